//! Typed identifiers. Every record id is a `UUIDv7`, made by whoever creates the record,
//! so that records created offline on different devices never collide and sort by time.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

define_id!(
    /// A company: one local SQLite file per company records this id inside it.
    CompanyId
);
define_id!(
    /// A customer or supplier.
    ContactId
);
define_id!(
    /// A catalogue article.
    ArticleId
);
define_id!(
    /// A quote, invoice, credit note or delivery note.
    DocumentId
);
define_id!(
    /// A payment received or made.
    PaymentId
);
define_id!(
    /// A Comptoir user account.
    UserId
);
