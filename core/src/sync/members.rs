//! A company's members, as `/v1/companies/{company}/members` lists and changes them:
//! what owners and admins send from the Users screen, and what the server answers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::Role;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// Adds a user by email: the server creates the account when the email has none.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub email: String,
    pub role: Role,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    pub role: Role,
}

/// The answer to adding a member. When the email had no account, one was created with a
/// one-time password for the new user to sign in with (and change).
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddedMember {
    pub member: MemberView,
    pub account_created: bool,
    pub initial_password: Option<String>,
}

impl std::fmt::Debug for AddedMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddedMember").field("member", &self.member).finish_non_exhaustive()
    }
}
