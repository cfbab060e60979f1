//! What the template prints, derived from the model: every text already in the
//! customer's language and every amount already formatted, so that the template only
//! lays out. Serialised as JSON, the template reads it as `/data.json`.
//!
//! Amounts are the model's: line nets from [`DocumentLine::net_amount`], the VAT
//! breakdown and its exemption reasons from the e-invoice's derivation
//! ([`tax_rows`]), totals from [`Totals`](crate::model::Totals); only the amount due
//! subtracts what was already paid.

use rust_decimal::Decimal;
use serde::Serialize;

use super::epc::{EpcReference, EpcTransfer};
use super::format::Formatter;
use super::labels::Labels;
use super::{DocumentPdf, PdfError};
use crate::export::einvoice::{TaxRow, tax_rows};
use crate::model::{
    Address, Company, Country, Currency, DocumentKind, DocumentLine, ModelError, NationalId, Totals, VatCategory,
    add_amounts,
};

/// Everything the template reads.
#[derive(Debug, Serialize)]
pub(super) struct TemplateData {
    /// ISO 639-1, for the text's hyphenation.
    pub lang: &'static str,
    /// The document has not been issued: "BROUILLON" across each page, no number.
    pub draft: bool,
    pub labels: TemplateLabels,
    pub title: String,
    /// (label, value) pairs under the title: number, dates, references.
    pub meta: Vec<(String, String)>,
    /// For a credit note, the invoice it corrects.
    pub corrects: Option<String>,
    pub seller: PartyBlock,
    /// Whether `/logo.png` exists.
    pub logo: bool,
    pub buyer: PartyBlock,
    pub lines: Vec<LineRow>,
    pub totals: Vec<TotalRow>,
    pub notes: String,
    pub payment: Option<PaymentBlock>,
    /// The legal mentions below the totals, one paragraph each.
    pub mentions: Vec<String>,
    /// The seller's legal identity, at the foot of each page.
    pub footer: String,
}

/// The fixed words of the layout.
#[derive(Debug, Serialize)]
pub(super) struct TemplateLabels {
    pub draft: String,
    pub draft_notice: String,
    pub seller: String,
    pub buyer: String,
    pub page: String,
    /// The lines table's header: description, quantity, unit, unit price, discount,
    /// VAT rate, line total.
    pub columns: [String; 7],
}

#[derive(Debug, Serialize)]
pub(super) struct PartyBlock {
    pub name: String,
    pub address: Vec<String>,
    /// Legal form and identifiers, one per line.
    pub ids: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct LineRow {
    pub section: bool,
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub price: String,
    pub discount: String,
    pub vat: String,
    pub total: String,
}

#[derive(Debug, Serialize)]
pub(super) struct TotalRow {
    pub label: String,
    pub value: String,
    /// Printed larger: the total including VAT and the amount due.
    pub strong: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct PaymentBlock {
    pub title: String,
    pub rows: Vec<(String, String)>,
    /// Whether `/qr.svg` exists (the EPC payment QR code).
    pub qr: bool,
    pub qr_caption: String,
}

/// The template's data and, for a euro invoice with an IBAN, the EPC QR payload.
pub(super) fn template_data(input: &DocumentPdf<'_>) -> Result<(TemplateData, Option<String>), PdfError> {
    let document = input.document;
    let seller = input.seller;
    let labels = Labels::new(input.language);
    let fmt = Formatter::new(input.language);
    let draft = !document.status.is_issued();
    let number = if draft { None } else { Some(document.number.clone().ok_or(PdfError::NumberPending)?) };
    if !draft && document.kind.is_payable() {
        let missing = seller.missing_for_invoices();
        if !missing.is_empty() {
            return Err(PdfError::SellerIncomplete(missing));
        }
    }
    let corrects = match (document.kind, input.corrected_invoice) {
        (DocumentKind::CreditNote, Some(invoice)) => {
            Some(labels.with("doc-corrects", &[("number", &invoice.number), ("date", &fmt.date(invoice.issue_date))]))
        }
        (DocumentKind::CreditNote, None) if !draft => return Err(PdfError::CorrectedInvoiceMissing),
        _ => None,
    };
    let totals = document.totals()?;

    let meta = meta(input, number.as_deref(), labels, fmt);

    let lines =
        document.lines.iter().map(|line| line_row(line, fmt, document.currency)).collect::<Result<Vec<_>, _>>()?;

    let rows = tax_rows(&totals, document.vat_exemption_reason.as_deref(), seller);
    let (total_rows, due) = total_rows(input, &totals, &rows, labels, fmt)?;

    let mentions = mentions(input, &rows, labels, fmt);
    let (payment, qr_payload) = payment(input, number.as_deref(), due, labels, fmt);

    let buyer = &document.customer;
    let mut buyer_ids = Vec::new();
    if let Some(vat) = &buyer.vat_number {
        buyer_ids.push(format!("{} {}", labels.get("party-vat"), vat.as_str()));
    }
    let seller_ids = seller_ids(seller, labels, fmt);
    let footer =
        std::iter::once(seller.legal_name.trim().to_owned()).chain(seller_ids.iter().cloned()).collect::<Vec<_>>();

    let data = TemplateData {
        lang: input.language.code(),
        draft,
        labels: TemplateLabels {
            draft: labels.get("doc-draft"),
            draft_notice: labels.get("doc-draft-notice"),
            seller: labels.get("doc-seller"),
            buyer: labels.get("doc-buyer"),
            page: labels.get("doc-page"),
            columns: [
                labels.get("col-description"),
                labels.get("col-quantity"),
                labels.get("col-unit"),
                labels.get("col-unit-price"),
                labels.get("col-discount"),
                labels.get("col-vat"),
                labels.get("col-total"),
            ],
        },
        title: labels.get(match document.kind {
            DocumentKind::Quote => "doc-quote",
            DocumentKind::Invoice => "doc-invoice",
            DocumentKind::CreditNote => "doc-credit-note",
            DocumentKind::DeliveryNote => "doc-delivery-note",
        }),
        meta,
        corrects,
        seller: PartyBlock {
            name: seller.legal_name.trim().to_owned(),
            address: address_lines(&seller.address, None, labels),
            ids: seller_ids,
        },
        logo: input.logo.is_some(),
        buyer: PartyBlock {
            name: buyer.name.trim().to_owned(),
            address: address_lines(&buyer.address, Some(&seller.address.country), labels),
            ids: buyer_ids,
        },
        lines,
        totals: total_rows,
        notes: document.notes.trim().to_owned(),
        payment,
        mentions,
        footer: footer.join(" — "),
    };
    Ok((data, qr_payload))
}

/// Number, dates and references, under the title.
fn meta(input: &DocumentPdf<'_>, number: Option<&str>, labels: Labels, fmt: Formatter) -> Vec<(String, String)> {
    let document = input.document;
    let mut meta = Vec::new();
    if let Some(number) = number {
        meta.push((labels.get("doc-number"), number.to_owned()));
    }
    meta.push((labels.get("doc-issue-date"), fmt.date(document.issue_date)));
    match (document.kind, document.due_date) {
        (DocumentKind::Invoice, Some(due)) => meta.push((labels.get("doc-due-date"), fmt.date(due))),
        (DocumentKind::Quote, Some(until)) => meta.push((labels.get("doc-valid-until"), fmt.date(until))),
        _ => {}
    }
    if let Some(delivery) = document.delivery_date {
        meta.push((labels.get("doc-delivery-date"), fmt.date(delivery)));
    }
    if let Some(reference) = document.customer_reference.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        meta.push((labels.get("doc-customer-reference"), reference.to_owned()));
    }
    meta
}

/// The totals: excluding VAT, VAT per rate (the e-invoice's rows), including VAT, and
/// on an invoice what was paid and the amount due (returned too); on a credit note its
/// amount.
fn total_rows(
    input: &DocumentPdf<'_>,
    totals: &Totals,
    rows: &[TaxRow],
    labels: Labels,
    fmt: Formatter,
) -> Result<(Vec<TotalRow>, Decimal), PdfError> {
    let document = input.document;
    let money = |amount: Decimal| fmt.money(amount, document.currency);
    let mut total_rows = vec![TotalRow { label: labels.get("total-net"), value: money(totals.net), strong: false }];
    for row in rows {
        total_rows.push(TotalRow {
            label: format!(
                "{} ({})",
                labels.with("total-vat", &[("rate", &fmt.percent(row.rate.percent()))]),
                labels.with("total-vat-base", &[("base", &money(row.taxable))])
            ),
            value: money(row.vat),
            strong: false,
        });
    }
    total_rows.push(TotalRow { label: labels.get("total-gross"), value: money(totals.gross), strong: true });
    let paid = input.paid.max(Decimal::ZERO);
    let due = add_amounts(totals.gross, -paid)?;
    match document.kind {
        DocumentKind::Invoice => {
            if !paid.is_zero() {
                total_rows.push(TotalRow { label: labels.get("total-paid"), value: money(-paid), strong: false });
            }
            total_rows.push(TotalRow { label: labels.get("total-due"), value: money(due), strong: true });
        }
        DocumentKind::CreditNote => {
            total_rows.push(TotalRow { label: labels.get("total-refund"), value: money(totals.gross), strong: true });
        }
        DocumentKind::Quote | DocumentKind::DeliveryNote => {}
    }
    Ok((total_rows, due))
}

fn line_row(line: &DocumentLine, fmt: Formatter, currency: Currency) -> Result<LineRow, ModelError> {
    let description = line.description.trim().to_owned();
    if line.section {
        return Ok(LineRow {
            section: true,
            description,
            quantity: String::new(),
            unit: String::new(),
            price: String::new(),
            discount: String::new(),
            vat: String::new(),
            total: String::new(),
        });
    }
    Ok(LineRow {
        section: false,
        description,
        quantity: fmt.number(line.quantity, 0),
        unit: line.unit.trim().to_owned(),
        price: fmt.money(line.unit_price, currency),
        discount: if line.discount_percent.is_zero() { String::new() } else { fmt.percent(line.discount_percent) },
        vat: fmt.percent(line.vat_rate.percent()),
        total: fmt.money(line.net_amount()?, currency),
    })
}

/// Street, second line, postcode and city, and the country when it is not `home` (the
/// seller's): its name in capitals in the document's language, or its ISO code for a
/// country the locale files do not name.
fn address_lines(address: &Address, home: Option<&Country>, labels: Labels) -> Vec<String> {
    let mut lines = vec![address.street.trim().to_owned()];
    if !address.street2.trim().is_empty() {
        lines.push(address.street2.trim().to_owned());
    }
    lines.push(format!("{} {}", address.postcode.trim(), address.city.trim()));
    if home.is_some_and(|home| *home != address.country) {
        let code = address.country.code();
        lines.push(labels.find(&format!("country-{code}")).unwrap_or_else(|| code.to_owned()));
    }
    lines.retain(|line| !line.trim().is_empty());
    lines
}

/// The seller's legal form, capital, register and numbers, as the law of its country
/// wants them printed.
fn seller_ids(seller: &Company, labels: Labels, fmt: Formatter) -> Vec<String> {
    let mut ids = Vec::new();
    let form = seller.legal_form.trim();
    match (form.is_empty(), seller.share_capital) {
        (false, Some(capital)) => {
            let amount = fmt.money(capital, seller.currency);
            ids.push(labels.with("party-capital", &[("form", form), ("amount", &amount)]));
        }
        (false, None) => ids.push(form.to_owned()),
        (true, _) => {}
    }
    let city = seller.register_city.trim();
    if !city.is_empty() {
        let id = match seller.address.country {
            Country::France => "party-register-fr",
            Country::Belgium => "party-register-be",
            _ => "party-register",
        };
        ids.push(labels.with(id, &[("city", city)]));
    }
    if let Some(national) = &seller.national_id {
        ids.push(national_id(national, &seller.address.country, labels));
    }
    if let Some(vat) = &seller.vat_number {
        ids.push(format!("{} {}", labels.get("party-vat"), vat.as_str()));
    }
    ids
}

/// `SIREN 303265045`, `SIRET 30326504500017`, `N° d'entreprise (BCE) 0403.170.701`.
fn national_id(id: &NationalId, country: &Country, labels: Labels) -> String {
    let number = id.as_str();
    match country {
        Country::France if number.len() == 14 => {
            format!("{} {} — {} {number}", labels.get("party-siren"), &number[..9], labels.get("party-siret"))
        }
        Country::France => format!("{} {number}", labels.get("party-siren")),
        Country::Belgium if number.len() == 10 => {
            format!("{} {}.{}.{}", labels.get("party-enterprise"), &number[..4], &number[4..7], &number[7..])
        }
        _ => format!("{} {number}", labels.get("party-national-id")),
    }
}

/// The mentions under the totals: exemption reasons (as the e-invoice states them),
/// both VAT numbers for a reverse charge or an intra-EU supply, and on invoices the
/// late-payment terms (France: Code de commerce L441-9; Belgium: the law of 2 August
/// 2002 gives the same 40 € to business creditors).
fn mentions(input: &DocumentPdf<'_>, rows: &[TaxRow], labels: Labels, fmt: Formatter) -> Vec<String> {
    let document = input.document;
    let seller = input.seller;
    let mut mentions: Vec<String> = Vec::new();
    for reason in rows.iter().filter_map(|row| row.exemption_reason.as_deref()) {
        if !mentions.iter().any(|m| m == reason) {
            mentions.push(reason.to_owned());
        }
    }
    let both_numbers =
        rows.iter().any(|row| matches!(row.category, VatCategory::ReverseCharge | VatCategory::IntraCommunitySupply));
    if both_numbers && let (Some(seller_vat), Some(buyer_vat)) = (&seller.vat_number, &document.customer.vat_number) {
        mentions.push(
            labels.with("mention-vat-numbers", &[("seller", seller_vat.as_str()), ("buyer", buyer_vat.as_str())]),
        );
    }
    if document.kind != DocumentKind::Invoice {
        return mentions;
    }
    let country = &seller.address.country;
    let (france, belgium) = (*country == Country::France, *country == Country::Belgium);
    match seller.late_penalty_rate {
        Some(rate) if france || belgium => {
            mentions.push(labels.with("mention-penalty-rate", &[("rate", &fmt.percent(rate))]));
        }
        None if france => mentions.push(labels.get("mention-penalty-legal")),
        _ => {}
    }
    if (france || belgium) && input.buyer_is_business {
        mentions.push(labels.get("mention-recovery"));
    }
    // France requires the early-payment discount terms or their absence (L441-9).
    match input.seller.early_payment_discount.trim() {
        "" if france => mentions.push(labels.get("mention-no-discount")),
        "" => {}
        terms => mentions.push(labels.with("mention-discount", &[("terms", terms)])),
    }
    mentions
}

/// The payment block of an invoice (due date, account, reference) and the EPC QR
/// payload when it can carry one: an issued euro invoice with an IBAN and an amount due.
fn payment(
    input: &DocumentPdf<'_>,
    number: Option<&str>,
    due: Decimal,
    labels: Labels,
    fmt: Formatter,
) -> (Option<PaymentBlock>, Option<String>) {
    let document = input.document;
    let seller = input.seller;
    if document.kind != DocumentKind::Invoice {
        return (None, None);
    }
    let mut rows = Vec::new();
    rows.push((
        labels.get("doc-due-date"),
        document.due_date.map_or_else(
            || labels.get("payment-on-receipt"),
            |date| labels.with("payment-due", &[("date", &fmt.date(date))]),
        ),
    ));
    if let Some(iban) = &seller.iban {
        rows.push((labels.get("payment-iban"), group_by_four(iban.as_str())));
    }
    if let Some(bic) = &seller.bic {
        rows.push((labels.get("payment-bic"), bic.as_str().to_owned()));
    }
    let structured = document.structured_communication.as_ref();
    match (structured, number) {
        (Some(communication), _) => rows.push((labels.get("payment-structured"), communication.to_string())),
        (None, Some(number)) => rows.push((labels.get("payment-reference"), number.to_owned())),
        (None, None) => {}
    }
    let payload = match (&seller.iban, number) {
        (Some(iban), Some(number)) if document.currency == Currency::EUR => EpcTransfer {
            beneficiary: seller.legal_name.trim(),
            iban,
            bic: seller.bic.as_ref(),
            amount: due,
            reference: structured.map_or(EpcReference::Text(number), EpcReference::Structured),
        }
        .payload(),
        _ => None,
    };
    let block = PaymentBlock {
        title: labels.get("payment-title"),
        rows,
        qr: payload.is_some(),
        qr_caption: labels.get("payment-qr"),
    };
    (Some(block), payload)
}

/// `BE68539007547034` → `BE68 5390 0754 7034`.
fn group_by_four(text: &str) -> String {
    text.as_bytes().chunks(4).map(|chunk| String::from_utf8_lossy(chunk).into_owned()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_grouped_by_four() {
        assert_eq!(group_by_four("BE68539007547034"), "BE68 5390 0754 7034");
        assert_eq!(group_by_four("FR7630006000011234567890189"), "FR76 3000 6000 0112 3456 7890 189");
    }
}
