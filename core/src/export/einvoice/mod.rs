//! Structured e-invoices of issued invoices and credit notes, written from the model:
//!
//! - [`cii()`]: the UN/CEFACT Cross Industry Invoice of Factur-X, EN 16931 profile (the XML
//!   a Factur-X PDF carries as `factur-x.xml`);
//! - [`ubl()`]: UBL `Invoice` or `CreditNote`, under Peppol BIS Billing 3.0 (what a Peppol
//!   access point sends) or the French CTC rules ([`UblProfile`]), with the PDF embedded
//!   when given.
//!
//! Both say the same things (one `content` module derives them): every amount comes from the model's own
//! [`Totals`](crate::model::Totals) (line nets, VAT per rate and category, totals), never
//! recomputed, so the XML, the PDF and the app show the same figures. Texts the law
//! requires (French late-payment mentions, exemption reasons) are written in French, the
//! language of Comptoir's markets.
//!
//! The test `core/tests/einvoice_rules.rs` runs the official rule sets (Factur-X XSD,
//! EN 16931 CII and UBL schematrons, BR-FR for French sellers, Peppol BIS 3.0) on the
//! issue's six cases, two more VAT categories and seeded random invoices, and wants no
//! fatal or error finding.
//!
//! Decisions and known limits:
//!
//! - The buyer's electronic address is the contact's own Peppol id when it records one
//!   (the caller gives it, [`InvoiceData::buyer_endpoint`]), else derived from its VAT
//!   number.
//! - A line's discount is a line allowance (BT-136): quantity × price rounded, less the
//!   model's net; the net price (BT-146) is the unit price. A rebate line (negative
//!   price) is written with a negative quantity, as EN 16931 wants prices positive.
//! - French sellers: the billing mode (BT-23) is `M1` (the model does not tell goods
//!   from services); the French rules allow at most 4 decimals in quantities (the model
//!   6) and want the VAT in euros for other currencies (BR-FR-CO-12), which is not
//!   written yet: such invoices fail BR-FR.

mod cii;
mod content;
mod parties;
mod ubl;
mod units;
mod xml;

use chrono::NaiveDate;
use thiserror::Error;

use crate::model::{Company, Document, DocumentKind, DocumentStatus, ModelError};

pub use crate::model::ElectronicAddress;

/// The VAT breakdown with its exemption reasons, which the PDF prints as the XML states it.
pub(crate) use content::{TaxRow, tax_rows};

/// What an e-invoice is written from.
#[derive(Clone, Debug)]
pub struct InvoiceData<'a> {
    /// The seller: the company whose file holds the document.
    pub seller: &'a Company,
    /// An issued, numbered invoice or credit note; its customer snapshot is the buyer.
    pub document: &'a Document,
    /// For a credit note, the invoice it corrects (EN 16931 BT-25 and BT-26).
    pub corrected_invoice: Option<InvoiceReference>,
    /// The buyer's electronic address (Peppol participant id) when known; otherwise one
    /// is derived from the buyer's VAT number (see [`ElectronicAddress::of_vat_number`]).
    pub buyer_endpoint: Option<ElectronicAddress>,
}

/// A preceding invoice, as a credit note names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceReference {
    pub number: String,
    pub issue_date: NaiveDate,
}

/// Why an e-invoice cannot be written.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EinvoiceError {
    /// Only invoices and credit notes are e-invoices.
    #[error("a {0} is not an e-invoice: only invoices and credit notes are")]
    NotAnInvoice(DocumentKind),
    /// A draft is not an invoice yet.
    #[error("this document is a draft ({0}): only issued documents leave the app")]
    NotIssued(DocumentStatus),
    /// Issued offline: the server has not allocated its number yet.
    #[error("this document waits for its number from the server")]
    NumberPending,
    /// A credit note names the invoice it corrects.
    #[error("a credit note must name the invoice it corrects (its number and date)")]
    CorrectedInvoiceMissing,
    /// The seller's settings lack what the law of its country requires on invoices.
    #[error("the company settings lack what invoices must state: {}", .0.join(", "))]
    SellerIncomplete(Vec<&'static str>),
    /// A Peppol invoice needs the electronic address of both parties.
    #[error("no electronic address (Peppol id) for the {party}: give its VAT or registration number")]
    ElectronicAddressMissing { party: &'static str },
    /// The document breaks a model rule (a total out of range …).
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The Factur-X (EN 16931 profile) CII XML of an issued invoice or credit note.
pub fn cii(data: &InvoiceData<'_>) -> Result<String, EinvoiceError> {
    Ok(cii::write(&content::Content::of(data)?))
}

/// Which rules a UBL e-invoice follows. Peppol and the French CTC read two fields of
/// EN 16931 differently, so one file cannot satisfy both:
///
/// - the business process (BT-23, `cbc:ProfileID`) is Peppol's billing profile for
///   Peppol, the billing mode (`M1` …) for the French rules (BR-FR-08);
/// - Peppol allows one document note (PEPPOL-EN16931-R002), the French rules want the
///   late-payment mentions as three notes with their subject codes (BR-FR-05).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UblProfile {
    /// Peppol BIS Billing 3.0: what a Peppol access point sends (Belgium's B2B network).
    Peppol,
    /// EN 16931 UBL with the French CTC rules (BR-FR): what a French accredited
    /// platform (PA) receives.
    FrenchCtc,
}

/// The UBL XML of an issued invoice (`Invoice`) or credit note (`CreditNote`) under
/// `profile`. `pdf`, when given, is embedded as the document's visual rendering
/// (BT-125, named after the document number).
pub fn ubl(data: &InvoiceData<'_>, profile: UblProfile, pdf: Option<&[u8]>) -> Result<String, EinvoiceError> {
    ubl::write(&content::Content::of(data)?, profile, pdf)
}
