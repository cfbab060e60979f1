//! The one error type for business-rule violations.

use rust_decimal::Decimal;
use thiserror::Error;

use super::{DocumentKind, DocumentStatus, Permission, Role};

/// A business rule was broken. Nothing was changed.
///
/// [`code`](Self::code) is stable: the sync server returns it in its 4xx answers and the
/// app looks up its translated message under `error-<code>` in the locale files. The
/// `Display` text is the English message, written for a user, not a developer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("The field “{field}” is required.")]
    Required { field: &'static str },
    #[error("The field “{field}” is too long ({max} characters at most).")]
    TooLong { field: &'static str, max: usize },
    #[error("“{value}” is not a valid email address.")]
    InvalidEmail { value: String },
    #[error("“{value}” is not a valid VAT number: {reason}.")]
    InvalidVatNumber { value: String, reason: &'static str },
    #[error("“{value}” is not a valid company registration number: {reason}.")]
    InvalidNationalId { value: String, reason: &'static str },
    #[error("“{value}” is not a valid IBAN: {reason}.")]
    InvalidIban { value: String, reason: &'static str },
    #[error("“{value}” is not a valid BIC (8 or 11 letters and digits).")]
    InvalidBic { value: String },
    #[error("“{code}” is not a currency code (three letters, such as EUR).")]
    InvalidCurrency { code: String },
    #[error("“{value}” is not a country code (two letters, such as FR).")]
    InvalidCountry { value: String },
    #[error("A VAT rate must be between 0 and 100 %, with at most 2 decimals (got {rate}).")]
    InvalidVatRate { rate: Decimal },
    #[error("The amount {amount} has more than 2 decimals.")]
    AmountTooPrecise { amount: Decimal },
    #[error("The amount {amount} is out of range (999,999,999,999.99 at most, either way).")]
    AmountOutOfRange { amount: Decimal },
    #[error("These amounts add up to more than Comptoir can handle (999,999,999,999.99 at most).")]
    AmountOverflow,
    #[error("A quantity must be between −1,000,000,000 and 1,000,000,000 (got {quantity}).")]
    QuantityOutOfRange { quantity: Decimal },
    #[error("A unit price must be between −999,999,999,999.99 and 999,999,999,999.99 (got {price}).")]
    UnitPriceOutOfRange { price: Decimal },
    #[error("The {field} {value} has more than {max} decimals.")]
    TooPrecise { field: &'static str, value: Decimal, max: u32 },
    #[error("Too many {field}: {max} at most.")]
    TooManyItems { field: &'static str, max: usize },
    #[error(
        "A line of VAT category {category} cannot bear a rate of {rate} % (standard: above 0 %; every other category: 0 %)."
    )]
    VatCategoryRate { category: &'static str, rate: Decimal },
    #[error(
        "An exempt line needs the reason of its exemption on the document (for example “TVA non applicable, art. 293 B du CGI”)."
    )]
    VatExemptionReasonMissing,
    #[error("A reverse-charge or intra-EU document needs the seller's and the customer's VAT numbers.")]
    VatNumbersRequired,
    #[error("An intra-EU supply goes to a customer in another EU country.")]
    IntraCommunityBuyerNotInEu,
    #[error("An export goes to a customer outside the European Union.")]
    ExportBuyerInEu,
    #[error("A line outside the scope of VAT cannot share a document with other VAT categories.")]
    OutOfScopeMixed,
    #[error("A section title has no quantity, price, discount or article.")]
    SectionWithAmounts,
    #[error("A discount must be between 0 and 100 %, with at most 2 decimals (got {percent}).")]
    InvalidDiscount { percent: Decimal },
    #[error("A line quantity cannot be zero.")]
    ZeroQuantity,
    #[error("A unit price cannot be negative on an article (got {price}).")]
    NegativeUnitPrice { price: Decimal },
    #[error("The article code “{code}” is not valid: 1 to 30 letters, digits, “-”, “_” or “.”.")]
    InvalidArticleCode { code: String },
    #[error("A contact must be a customer, a supplier, or both.")]
    ContactWithoutRole,
    #[error("A {kind} needs at least one line before it can be issued.")]
    DocumentWithoutLines { kind: DocumentKind },
    #[error("This {kind} is {status}: only a draft can be changed.")]
    DocumentNotEditable { kind: DocumentKind, status: DocumentStatus },
    #[error("A {kind} cannot go from {from} to {to}.")]
    TransitionRefused { kind: DocumentKind, from: DocumentStatus, to: DocumentStatus },
    #[error("An invoice cannot have a negative total ({total}); issue a credit note instead.")]
    NegativeInvoiceTotal { total: Decimal },
    #[error("A credit note must refer to the invoice it corrects.")]
    CreditNoteWithoutInvoice,
    #[error("A credit note can only correct an issued invoice.")]
    CreditNoteTargetInvalid,
    #[error("Credit notes would exceed the invoice they correct ({credited} credited, invoice total {invoice_total}).")]
    CreditNoteExceedsInvoice { credited: Decimal, invoice_total: Decimal },
    #[error("The due date cannot be before the issue date.")]
    DueBeforeIssue,
    #[error("A payment amount must be greater than zero (got {amount}).")]
    PaymentNotPositive { amount: Decimal },
    #[error("An allocated amount must be greater than zero (got {amount}).")]
    AllocationNotPositive { amount: Decimal },
    #[error("The allocations ({allocated}) exceed the payment ({amount}).")]
    AllocationsExceedPayment { allocated: Decimal, amount: Decimal },
    #[error("The same document appears twice in the allocations of one payment.")]
    DuplicateAllocation,
    #[error("A payment can only be allocated to an issued invoice or credit note.")]
    PaymentOnUnissuedDocument,
    #[error("The number “{number}” is too long (35 characters at most).")]
    NumberTooLong { number: String },
    #[error("The number “{number}” may only contain letters A–Z, digits and + - _ /.")]
    NumberInvalidCharacters { number: String },
    #[error("The next number must be at least 1.")]
    NextNumberZero,
    #[error("A series' counter goes up to {max}: start a new series.")]
    NextNumberTooLarge { max: u64 },
    #[error("The next number must come after the last number issued ({last_issued}).")]
    NextNumberNotAfterLastIssued { last_issued: u64 },
    #[error("“{value}” is not a valid structured communication: {reason}.")]
    InvalidStructuredCommunication { value: String, reason: &'static str },
    #[error("Your role ({role}) does not allow you to {permission}.")]
    PermissionDenied { role: Role, permission: Permission },
    #[error("The {field} “{value}” is not recognised.")]
    UnknownValue { field: &'static str, value: String },
    #[error("A company must keep at least one owner: name another owner first.")]
    LastOwner,
    #[error("A late-payment penalty rate is between 0 and 100 %, with at most 2 decimals (got {rate}).")]
    InvalidPenaltyRate { rate: Decimal },
    #[error("The logo is not a PNG picture Comptoir can read.")]
    LogoInvalid,
    #[error("The logo is too large ({bytes} bytes; {max} at most): choose a simpler picture.")]
    LogoTooLarge { bytes: usize, max: usize },
    #[error("The logo is {width} × {height} pixels: 400 × 200 at most.")]
    LogoDimensions { width: u32, height: u32 },
    #[error("“{value}” is not a valid {field} account: letters and digits only (3 to 20; a journal code 1 to 6).")]
    InvalidAccount { field: &'static str, value: String },
}

impl ModelError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Required { .. } => "field_required",
            Self::TooLong { .. } => "field_too_long",
            Self::InvalidEmail { .. } => "email_invalid",
            Self::InvalidVatNumber { .. } => "vat_number_invalid",
            Self::InvalidNationalId { .. } => "national_id_invalid",
            Self::InvalidIban { .. } => "iban_invalid",
            Self::InvalidBic { .. } => "bic_invalid",
            Self::InvalidCurrency { .. } => "currency_invalid",
            Self::InvalidCountry { .. } => "country_invalid",
            Self::InvalidVatRate { .. } => "vat_rate_invalid",
            Self::AmountTooPrecise { .. } => "amount_too_precise",
            Self::AmountOutOfRange { .. } => "amount_out_of_range",
            Self::AmountOverflow => "amount_overflow",
            Self::QuantityOutOfRange { .. } => "quantity_out_of_range",
            Self::UnitPriceOutOfRange { .. } => "unit_price_out_of_range",
            Self::TooPrecise { .. } => "value_too_precise",
            Self::TooManyItems { .. } => "too_many_items",
            Self::InvalidDiscount { .. } => "discount_invalid",
            Self::SectionWithAmounts => "section_line_amounts",
            Self::VatCategoryRate { .. } => "vat_category_rate",
            Self::VatExemptionReasonMissing => "vat_exemption_reason_missing",
            Self::VatNumbersRequired => "vat_numbers_required",
            Self::IntraCommunityBuyerNotInEu => "intra_community_buyer_not_in_eu",
            Self::ExportBuyerInEu => "export_buyer_in_eu",
            Self::OutOfScopeMixed => "out_of_scope_mixed",
            Self::ZeroQuantity => "quantity_zero",
            Self::NegativeUnitPrice { .. } => "unit_price_negative",
            Self::InvalidArticleCode { .. } => "article_code_invalid",
            Self::ContactWithoutRole => "contact_without_role",
            Self::DocumentWithoutLines { .. } => "document_without_lines",
            Self::DocumentNotEditable { .. } => "document_not_editable",
            Self::TransitionRefused { .. } => "document_transition_refused",
            Self::NegativeInvoiceTotal { .. } => "invoice_total_negative",
            Self::CreditNoteWithoutInvoice => "credit_note_without_invoice",
            Self::CreditNoteTargetInvalid => "credit_note_target_invalid",
            Self::CreditNoteExceedsInvoice { .. } => "credit_note_exceeds_invoice",
            Self::DueBeforeIssue => "due_date_before_issue",
            Self::PaymentNotPositive { .. } => "payment_not_positive",
            Self::AllocationNotPositive { .. } => "allocation_not_positive",
            Self::AllocationsExceedPayment { .. } => "allocations_exceed_payment",
            Self::DuplicateAllocation => "allocation_duplicate",
            Self::PaymentOnUnissuedDocument => "payment_on_unissued_document",
            Self::NumberTooLong { .. } => "number_too_long",
            Self::NumberInvalidCharacters { .. } => "number_invalid_characters",
            Self::NextNumberZero => "next_number_zero",
            Self::NextNumberTooLarge { .. } => "next_number_too_large",
            Self::NextNumberNotAfterLastIssued { .. } => "next_number_not_after_last_issued",
            Self::InvalidStructuredCommunication { .. } => "structured_communication_invalid",
            Self::PermissionDenied { .. } => "permission_denied",
            Self::UnknownValue { .. } => "unknown_value",
            Self::LastOwner => "last_owner",
            Self::InvalidAccount { .. } => "account_invalid",
            Self::InvalidPenaltyRate { .. } => "penalty_rate_invalid",
            Self::LogoInvalid => "logo_invalid",
            Self::LogoTooLarge { .. } => "logo_too_large",
            Self::LogoDimensions { .. } => "logo_dimensions",
        }
    }
}
