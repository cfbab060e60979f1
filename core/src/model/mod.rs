//! Domain types and the business rules that govern them.
//!
//! Every rule violation is a [`ModelError`]: a typed error with a stable
//! [`code`](ModelError::code) (used by the server's API and by the app's locale files)
//! and a message a user understands.

mod address;
mod article;
mod company;
mod contact;
mod document;
mod electronic_address;
mod error;
pub mod identifiers;
mod ids;
mod logo;
mod money;
mod numbering;
mod payment;
mod roles;
mod structured_communication;
mod vat;

pub use address::{Address, Country};
pub use article::Article;
pub use company::{Company, MAX_LEGAL_FORM, MAX_LEGAL_NAME, MAX_PAYMENT_TERMS_DAYS, MAX_REGISTER_CITY};
pub use contact::{Contact, ContactKind, DocumentLanguage, validate_email};
pub use document::{
    Document, DocumentKind, DocumentLine, DocumentStatus, MAX_LINES, PartySnapshot, Totals, VatBreakdown,
    ensure_credit_within,
};
pub use electronic_address::ElectronicAddress;
pub use error::ModelError;
pub use identifiers::{Bic, Iban, NationalId, VatNumber};
pub use ids::{ArticleId, CompanyId, ContactId, DocumentId, PaymentId, UserId};
pub use logo::Logo;
pub use money::{
    Currency, MAX_AMOUNT, MAX_INPUT_DECIMALS, MAX_PERCENT_DECIMALS, MAX_QUANTITY, add_amounts, check_amount,
    check_unit_price, decimals, from_cents, mul_amounts, round_amount, sum_amounts, to_cents,
};
pub use numbering::{MAX_COUNTER, NumberingSeries, YearInNumber, validate_document_number};
pub use payment::{
    Allocation, MAX_ALLOCATIONS, Payment, PaymentAnomaly, PaymentAssessment, PaymentMethod, PaymentState,
    assess_payment,
};
pub use roles::{Permission, Role, authorize_membership};
pub use structured_communication::StructuredCommunication;
pub use vat::{VatCategory, VatRate};
