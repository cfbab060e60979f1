//! Everything a document's files are made from, read once from the company's copy:
//! the PDF, the Factur-X PDF, the UBL and CII e-invoices of one document.
//!
//! [`DocumentSources`] owns its data (`Send`), so a caller reads it on the thread that
//! holds the store and renders on another (the window renders its previews off the UI
//! thread; the command line and the e-mail outbox render where they are).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use thiserror::Error;

use crate::export::einvoice::{self, EinvoiceError, InvoiceData, InvoiceReference, UblProfile};
use crate::export::pdf::{self, DocumentPdf, PdfError, Relationship};
use crate::model::{
    Company, ContactKind, Document, DocumentId, DocumentKind, DocumentLanguage, ElectronicAddress, Logo,
};
use crate::store::{CompanyStore, StoreError};

/// What the files of one document are made from.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentSources {
    pub seller: Company,
    pub logo: Option<Logo>,
    pub document: Document,
    /// For a credit note, the invoice it corrects, once that invoice has its number.
    pub corrected_invoice: Option<InvoiceReference>,
    /// The customer's language: the contact's choice, else French.
    pub language: DocumentLanguage,
    /// A contact of kind company (owes the 40 € recovery indemnity).
    pub buyer_is_business: bool,
    /// What the customer has paid of it so far.
    pub paid: Decimal,
    /// The customer's Peppol id, when the contact records one.
    pub buyer_endpoint: Option<ElectronicAddress>,
}

/// Why a document's file cannot be made.
#[derive(Debug, Error)]
pub enum FileError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error(transparent)]
    Einvoice(#[from] EinvoiceError),
}

impl FileError {
    /// A stable code for the window and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Pdf(e) => pdf_code(e),
            Self::Einvoice(e) => einvoice_code(e),
        }
    }
}

fn pdf_code(error: &PdfError) -> &'static str {
    match error {
        PdfError::NumberPending => "number_pending",
        PdfError::CorrectedInvoiceMissing => "corrected_invoice_missing",
        PdfError::SellerIncomplete(_) => "seller_incomplete",
        PdfError::NotIssued => "not_issued",
        PdfError::Template(_) => "template_broken",
        PdfError::Export(_) => "pdf_export_failed",
        PdfError::Model(_) => "document_invalid",
    }
}

fn einvoice_code(error: &EinvoiceError) -> &'static str {
    match error {
        EinvoiceError::NumberPending => "number_pending",
        EinvoiceError::CorrectedInvoiceMissing => "corrected_invoice_missing",
        EinvoiceError::SellerIncomplete(_) => "seller_incomplete",
        EinvoiceError::NotIssued(_) => "not_issued",
        EinvoiceError::Model(_) => "document_invalid",
        EinvoiceError::NotAnInvoice(_) => "not_an_invoice",
        EinvoiceError::ElectronicAddressMissing { .. } => "electronic_address_missing",
    }
}

impl DocumentSources {
    /// Reads what document `id`'s files are made from.
    pub fn load(store: &CompanyStore, id: DocumentId) -> Result<Self, StoreError> {
        let document = store.document(id)?;
        let seller = store.company()?;
        let logo = store.company_logo()?;
        let corrected_invoice = match document.corrects {
            Some(invoice) => {
                let invoice = store.document(invoice)?;
                invoice.number.map(|number| InvoiceReference { number, issue_date: invoice.issue_date })
            }
            None => None,
        };
        // A contact removed since keeps its snapshot on the document: a VAT number
        // there means a business.
        let contact = match store.contact(document.contact_id) {
            Ok(contact) => Some(contact),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let buyer_is_business = contact
            .as_ref()
            .map_or(document.customer.vat_number.is_some(), |contact| contact.kind == ContactKind::Company);
        let language = contact.as_ref().and_then(|c| c.language).unwrap_or(DocumentLanguage::French);
        let buyer_endpoint = contact.and_then(|c| c.peppol_id);
        let paid = if document.kind.is_payable() {
            store.payments_of(id)?.iter().try_fold(Decimal::ZERO, |sum, (_, amount)| sum.checked_add(*amount))
        } else {
            Some(Decimal::ZERO)
        }
        .ok_or_else(|| StoreError::Corrupt {
            column: "payment_allocations.amount_cents",
            value: id.to_string(),
            reason: "the document's payments overflow".to_owned(),
        })?;
        Ok(Self { seller, logo, document, corrected_invoice, language, buyer_is_business, paid, buyer_endpoint })
    }

    /// The PDF's input, created at `created`.
    pub fn pdf_input(&self, created: DateTime<Utc>) -> DocumentPdf<'_> {
        DocumentPdf {
            seller: &self.seller,
            logo: self.logo.as_ref(),
            document: &self.document,
            corrected_invoice: self.corrected_invoice.as_ref(),
            language: self.language,
            buyer_is_business: self.buyer_is_business,
            paid: self.paid,
            created,
        }
    }

    fn invoice_data(&self) -> InvoiceData<'_> {
        InvoiceData {
            seller: &self.seller,
            document: &self.document,
            corrected_invoice: self.corrected_invoice.clone(),
            buyer_endpoint: self.buyer_endpoint.clone(),
        }
    }

    /// Whether the document is an e-invoice (an invoice or credit note): those are sent
    /// as Factur-X and may carry a UBL.
    pub fn is_einvoice(&self) -> bool {
        matches!(self.document.kind, DocumentKind::Invoice | DocumentKind::CreditNote)
            && self.document.status.is_issued()
    }

    /// The PDF, laid out by `template` (the built-in one when `None`).
    pub fn pdf(&self, template: Option<&str>, created: DateTime<Utc>) -> Result<Vec<u8>, FileError> {
        Ok(pdf::render_with_template(&self.pdf_input(created), template)?)
    }

    /// The Factur-X PDF/A-3b (an issued invoice or credit note).
    pub fn facturx(
        &self,
        template: Option<&str>,
        relationship: Relationship,
        created: DateTime<Utc>,
    ) -> Result<Vec<u8>, FileError> {
        let xml = self.cii()?;
        Ok(pdf::render_facturx(&self.pdf_input(created), template, &xml, relationship)?)
    }

    /// The Factur-X CII XML.
    pub fn cii(&self) -> Result<String, FileError> {
        Ok(einvoice::cii(&self.invoice_data())?)
    }

    /// The UBL e-invoice under `profile`, with `pdf` embedded (BT-125) when given.
    pub fn ubl(&self, profile: UblProfile, pdf: Option<&[u8]>) -> Result<String, FileError> {
        Ok(einvoice::ubl(&self.invoice_data(), profile, pdf)?)
    }

    /// The file name of this document's files: its number (a draft: its kind and id),
    /// with what a file system refuses replaced by `_`, and `extension`.
    pub fn file_name(&self, extension: &str) -> String {
        let stem = match &self.document.number {
            Some(number) => number.clone(),
            None => format!("{}-{}", self.document.kind.as_str(), self.document.id),
        };
        format!("{}.{extension}", safe_file_name(&stem))
    }
}

/// `name` with every character but letters, digits, `-`, `_` and `.` replaced by `_`.
pub fn safe_file_name(name: &str) -> String {
    name.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}
