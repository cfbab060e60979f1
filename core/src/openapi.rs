//! OpenAPI schemas for the types whose JSON form is a validated string (feature
//! `openapi`): they serialise through `String`, so their schema is a string with a format.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

macro_rules! string_schema {
    ($type:ty, $description:expr, $example:expr) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $type {}
    };
}

string_schema!(crate::model::Country, "ISO 3166-1 alpha-2 country code", "FR");
string_schema!(crate::model::Currency, "ISO 4217 currency code", "EUR");
string_schema!(
    crate::model::StructuredCommunication,
    "Belgian structured communication (12 digits, mod 97)",
    "+++123/4567/89002+++"
);
