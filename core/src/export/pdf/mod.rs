//! Documents as PDF: a quote, an invoice, a credit note or a delivery note laid out by
//! `typst` (used as a library) from a template, A4, in the customer's language.
//!
//! - [`data`]: what the template prints, derived from the model: texts from
//!   `resources/locales/<language>/documents.ftl` ([`labels`]), amounts and dates
//!   formatted for the language ([`format`]), the VAT breakdown and exemption reasons
//!   as the e-invoice states them, the legal mentions of France and Belgium.
//! - [`epc`]: the SEPA payment QR code (EPC069-12) of a euro invoice with an IBAN.
//! - [`world`]: the closed world typst compiles in (template, data, fonts).
//! - The template, `resources/templates/document.typ`: seller block with the logo,
//!   buyer block, title, number and dates, a lines table whose header repeats on every
//!   page, totals kept with the last lines, "Page n / N", and "BROUILLON" across each
//!   page of a document not issued (which never shows a number).
//!
//! The template reads its data as JSON (`json("/data.json")`) rather than through
//! `sys.inputs` (strings only): lists and nested blocks arrive as typst arrays and
//! dictionaries, and a user's copy of the template (a later step) reads the very same
//! file, documented by [`data::TemplateData`].
//!
//! Output is deterministic: the creation date is given ([`DocumentPdf::created`]) and
//! the PDF identifier is derived from the document's id.
//!
//! Prepared for the next steps: [`render_with_template`] takes a user's template and
//! reports where a broken one is broken (its line); typst-pdf writes PDF/A-3b
//! (`PdfStandards`) and attaches files, which is how Factur-X will add `factur-x.xml`
//! to the same layout.

mod data;
mod epc;
mod facturx;
mod format;
mod labels;
mod world;

use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_decimal::Decimal;
use thiserror::Error;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::export::einvoice::InvoiceReference;
use crate::model::{Company, Document, DocumentLanguage, Logo, ModelError};

pub use epc::{EpcReference, EpcTransfer, qr_svg};
pub use facturx::{FACTURX_FILE_NAME, Relationship};
pub use format::Formatter;

/// The built-in template's typst source (`resources/templates/document.typ`): what a
/// user's template is copied from (see [`crate::export::templates`]).
pub const BUILT_IN_TEMPLATE: &str = world::TEMPLATE;

/// What a PDF is made from.
#[derive(Clone, Debug)]
pub struct DocumentPdf<'a> {
    /// The seller: the company whose file holds the document.
    pub seller: &'a Company,
    /// The company's logo, printed above its name.
    pub logo: Option<&'a Logo>,
    /// Any document, issued or draft; its customer snapshot is the buyer.
    pub document: &'a Document,
    /// For a credit note, the invoice it corrects (required once issued).
    pub corrected_invoice: Option<&'a InvoiceReference>,
    /// The customer's language (the contact's, else the company's choice).
    pub language: DocumentLanguage,
    /// Whether the customer is a business (the 40 € recovery indemnity is owed by
    /// businesses only): a contact of kind company.
    pub buyer_is_business: bool,
    /// What the customer has already paid of an invoice: the amount due is the total
    /// less this.
    pub paid: Decimal,
    /// The PDF's creation date, written in its metadata.
    pub created: DateTime<Utc>,
}

/// Why a PDF cannot be made.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PdfError {
    /// Issued offline: a document is printed with its number, which the server has
    /// not allocated yet.
    #[error("this document waits for its number from the server")]
    NumberPending,
    /// An issued credit note names the invoice it corrects.
    #[error("a credit note must name the invoice it corrects (its number and date)")]
    CorrectedInvoiceMissing,
    /// The seller's settings lack what the law of its country requires on invoices.
    #[error("the company settings lack what invoices must state: {}", .0.join(", "))]
    SellerIncomplete(Vec<&'static str>),
    /// The document breaks a model rule (a total out of range …).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The template could not be laid out: where and why (`line 12: unknown variable`).
    #[error("the template could not be laid out: {0}")]
    Template(String),
    /// A Factur-X is an issued invoice's: a draft has no e-invoice.
    #[error("only an issued invoice or credit note has a Factur-X")]
    NotIssued,
    /// The laid-out pages could not be written as PDF.
    #[error("the PDF could not be written: {0}")]
    Export(String),
}

/// The PDF of `input` with the built-in template.
pub fn render(input: &DocumentPdf<'_>) -> Result<Vec<u8>, PdfError> {
    render_with_template(input, None)
}

/// The PDF of `input` laid out by `template` (typst source reading `/data.json`,
/// `/logo.png` and `/qr.svg`), or by the built-in one when `None`.
pub fn render_with_template(input: &DocumentPdf<'_>, template: Option<&str>) -> Result<Vec<u8>, PdfError> {
    compile(input, template, None)
}

/// The Factur-X PDF of an issued invoice or credit note: a PDF/A-3b of the same layout
/// with `xml` (its CII, see [`crate::export::einvoice::cii`]) attached as
/// [`FACTURX_FILE_NAME`] under `relationship`, and the Factur-X XMP metadata (EN 16931
/// conformance level). A draft is refused: its XML does not exist.
pub fn render_facturx(
    input: &DocumentPdf<'_>,
    template: Option<&str>,
    xml: &str,
    relationship: Relationship,
) -> Result<Vec<u8>, PdfError> {
    if !input.document.status.is_issued() {
        return Err(PdfError::NotIssued);
    }
    let pdf = compile(input, template, Some((xml, relationship)))?;
    facturx::add_xmp_extension(&pdf)
}

/// Lays out `input` and writes it as PDF: PDF/A-3b with the XML attached when
/// `facturx` is given, plain PDF 1.7 otherwise.
fn compile(
    input: &DocumentPdf<'_>,
    template: Option<&str>,
    facturx: Option<(&str, Relationship)>,
) -> Result<Vec<u8>, PdfError> {
    let (data, qr_payload) = data::template_data(input)?;
    let mut data = serde_json::to_value(&data).map_err(|e| PdfError::Template(e.to_string()))?;
    make_printable(&mut data);
    let json = serde_json::to_vec(&data).map_err(|e| PdfError::Template(e.to_string()))?;
    let mut files = vec![(world::DATA_PATH, json)];
    if let Some(logo) = input.logo {
        files.push((world::LOGO_PATH, logo.png().to_vec()));
    }
    if let Some(svg) = qr_payload.as_deref().and_then(qr_svg) {
        files.push((world::QR_PATH, svg.into_bytes()));
    }
    let created = datetime(input.created)
        .ok_or_else(|| PdfError::Export(format!("creation date out of range: {}", input.created)))?;
    let source = match facturx {
        Some((xml, relationship)) => {
            files.push((world::FACTURX_PATH, xml.as_bytes().to_vec()));
            // The attachment is part of the layout's own source, appended after the
            // template so that its line numbers stay right.
            let mut source = template.unwrap_or(world::TEMPLATE).to_owned();
            source.push_str(&facturx::attach_source(relationship));
            source
        }
        None => template.unwrap_or(world::TEMPLATE).to_owned(),
    };
    let world = world::DocumentWorld::new(source, files, created)
        .ok_or_else(|| PdfError::Template("the template's files could not be named".to_owned()))?;
    let pages = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| PdfError::Template(world.describe(errors.as_slice())));
    // Drop what typst memoised and did not reuse lately: a batch of a thousand invoices
    // would otherwise keep every one's layout in memory; fonts and the library stay.
    typst::comemo::evict(3);
    let pages = pages?;
    let standards = match facturx {
        Some(_) => PdfStandards::new(&[PdfStandard::A_3b]).map_err(|e| PdfError::Export(e.message().to_string()))?,
        None => PdfStandards::default(),
    };
    let options = PdfOptions {
        ident: Smart::Custom(input.document.id.to_string()),
        creator: Smart::Custom(Some("Comptoir".to_owned())),
        timestamp: Some(Timestamp::new_utc(created)),
        standards,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&pages, &options).map_err(|errors| PdfError::Export(world.describe(errors.as_slice())))
}

/// Every string of the template's data as the fonts can print it (see
/// [`world::printable`]).
fn make_printable(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let Some(printable) = world::printable(text) {
                *text = printable;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(make_printable),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(make_printable),
        _ => {}
    }
}

/// A chrono date and time as typst's.
fn datetime(at: DateTime<Utc>) -> Option<Datetime> {
    let small = |value: u32| u8::try_from(value).ok();
    Datetime::from_ymd_hms(
        at.year(),
        small(at.month())?,
        small(at.day())?,
        small(at.hour())?,
        small(at.minute())?,
        small(at.second())?,
    )
}
