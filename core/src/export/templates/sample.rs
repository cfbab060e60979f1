//! The sample documents a template is checked with: built in code from the model (not
//! the demo's data), fixed, and chosen to reach what a template can break on:
//!
//! - an issued French invoice with the logo, the EPC payment QR code, a discount, two VAT
//!   rates, section titles, a credit line (a negative amount) and enough lines to run over
//!   several pages, so that a template whose table or totals break on a page break fails;
//! - an issued credit note that names the invoice it corrects, in Dutch;
//! - a draft quote in English: "BROUILLON" across each page, no number, no payment block,
//!   and no logo (a template that reads `/logo.png` whatever `data.logo` says fails).

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use rust_decimal::Decimal;

use crate::export::einvoice::InvoiceReference;
use crate::export::pdf::DocumentPdf;
use crate::model::{
    Address, Bic, Company, CompanyId, ContactId, Country, Currency, Document, DocumentKind, DocumentLanguage,
    DocumentLine, Iban, Logo, ModelError, NationalId, PartySnapshot, VatNumber, VatRate,
};

/// The lines of the long invoice: enough for three A4 pages with the built-in layout.
pub(super) const LONG_INVOICE_LINES: usize = 90;

/// The sample logo (160 × 48 PNG).
const LOGO: &[u8] = include_bytes!("../../../../resources/templates/sample-logo.png");

/// What the sample documents are laid out from; [`Samples::inputs`] borrows from it.
#[derive(Debug)]
pub(super) struct Samples {
    pub(super) seller: Company,
    pub(super) logo: Logo,
    pub(super) invoice: Document,
    pub(super) invoice_reference: InvoiceReference,
    pub(super) credit_note: Document,
    pub(super) quote: Document,
    pub(super) created: DateTime<Utc>,
}

/// A fixed date of the samples (valid: the default is never used).
fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn line(
    description: &str,
    quantity: i64,
    price_cents: i64,
    discount: i64,
    rate: i64,
) -> Result<DocumentLine, ModelError> {
    Ok(DocumentLine {
        article_id: None,
        description: description.to_owned(),
        quantity: Decimal::from(quantity),
        unit: "h".to_owned(),
        unit_price: Decimal::new(price_cents, 2),
        discount_percent: Decimal::from(discount),
        vat_rate: VatRate::new(Decimal::from(rate))?,
        vat_category: None,
        section: false,
    })
}

fn section(title: &str) -> Result<DocumentLine, ModelError> {
    let mut line = line(title, 0, 0, 0, 20)?;
    line.section = true;
    Ok(line)
}

fn address(street: &str, postcode: &str, city: &str, country: Country) -> Address {
    Address {
        street: street.to_owned(),
        street2: String::new(),
        postcode: postcode.to_owned(),
        city: city.to_owned(),
        country,
    }
}

impl Samples {
    /// Builds the samples. Only a change of the model's rules can make this fail (the
    /// built-in template's check in the tests would say so).
    pub(super) fn new() -> Result<Self, ModelError> {
        let seller = Company {
            id: CompanyId(uuid::Uuid::nil()),
            legal_name: "Atelier Exemple SARL".to_owned(),
            address: address("12 quai de Saône", "69005", "Lyon", Country::France),
            vat_number: Some(VatNumber::parse("FR11123456782")?),
            national_id: Some(NationalId::parse("FR", "123456782")?),
            iban: Some(Iban::parse("FR7630006000011234567890189")?),
            bic: Some(Bic::parse("AGRIFRPP")?),
            currency: Currency::EUR,
            payment_terms_days: 30,
            legal_form: "SARL".to_owned(),
            share_capital: Some(Decimal::from(10_000)),
            register_city: "Lyon".to_owned(),
            late_penalty_rate: Some(Decimal::new(1215, 2)),
            vat_exempt: false,
            early_payment_discount: String::new(),
        };
        let logo = Logo::from_png(LOGO.to_vec())?;
        let customer = PartySnapshot {
            name: "Boulangerie des Pentes — Martin & Fils".to_owned(),
            address: address("3 montée de la Grande-Côte", "69001", "Lyon", Country::France),
            vat_number: None,
        };
        let issued = date(2026, 11, 2);

        let mut invoice = Document::draft(
            DocumentKind::Invoice,
            ContactId(uuid::Uuid::nil()),
            customer.clone(),
            issued,
            Currency::EUR,
        );
        invoice.due_date = Some(date(2026, 12, 2));
        invoice.delivery_date = Some(date(2026, 10, 30));
        invoice.customer_reference = Some("BC-2026-117".to_owned());
        "Merci de rappeler le numéro de la facture avec votre paiement.".clone_into(&mut invoice.notes);
        let mut lines = vec![section("Lot 1 — Études")?];
        for n in 1..=LONG_INVOICE_LINES {
            if n % 30 == 0 {
                lines.push(section(&format!("Lot {} — Réalisation", n / 30 + 1))?);
            }
            let long = n % 7 == 0;
            let description = if long {
                format!(
                    "Prestation {n} : relevé, plans et notice descriptive sur une description assez longue \
                     pour tenir sur plusieurs lignes de la colonne"
                )
            } else {
                format!("Prestation {n}")
            };
            let quantity = i64::try_from(n % 5 + 1).unwrap_or(1);
            let discount = if n % 4 == 0 { 10 } else { 0 };
            let rate = if n % 3 == 0 { 10 } else { 20 };
            lines.push(line(&description, quantity, 4_550, discount, rate)?);
        }
        lines.push(line("Avoir sur la commande précédente", -1, 12_000, 0, 20)?);
        invoice.lines = lines;
        invoice.issue(Some("FA-2026-0042".to_owned()))?;
        let invoice_reference = InvoiceReference { number: "FA-2026-0042".to_owned(), issue_date: issued };

        let mut credit_note =
            Document::draft(DocumentKind::CreditNote, ContactId(uuid::Uuid::nil()), customer, issued, Currency::EUR);
        credit_note.corrects = Some(invoice.id);
        credit_note.lines = vec![line("Prestation 3 : heures non réalisées", 2, 4_550, 0, 10)?];
        credit_note.issue(Some("AV-2026-0007".to_owned()))?;

        let foreign = PartySnapshot {
            name: "Northwind Trading Ltd".to_owned(),
            address: address("1 Market Street", "EH1 1AA", "Edinburgh", Country::Other("GB".to_owned())),
            vat_number: None,
        };
        let mut quote =
            Document::draft(DocumentKind::Quote, ContactId(uuid::Uuid::nil()), foreign, issued, Currency::EUR);
        quote.lines = vec![line("Workshop", 1, 90_000, 5, 20)?];

        let created = Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).single().unwrap_or_default();
        Ok(Self { seller, logo, invoice, invoice_reference, credit_note, quote, created })
    }

    /// The documents to lay out, each with what it is called in a check's report.
    pub(super) fn inputs(&self) -> [(&'static str, DocumentPdf<'_>); 3] {
        let input = |document, language, corrected_invoice, logo| DocumentPdf {
            seller: &self.seller,
            logo,
            document,
            corrected_invoice,
            language,
            buyer_is_business: true,
            paid: Decimal::ZERO,
            created: self.created,
        };
        [
            ("invoice", input(&self.invoice, DocumentLanguage::French, None, Some(&self.logo))),
            (
                "credit note",
                input(&self.credit_note, DocumentLanguage::Dutch, Some(&self.invoice_reference), Some(&self.logo)),
            ),
            ("draft quote", input(&self.quote, DocumentLanguage::English, None, None)),
        ]
    }
}
