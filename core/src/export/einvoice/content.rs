//! What an e-invoice says, whatever its syntax: the lines with their discounts, the VAT
//! breakdown with its exemption reasons, the notes the law requires, the parties and
//! the payment. Every amount is the model's ([`Totals`], [`DocumentLine::net_amount`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::parties::Party;
use super::units::unit_code;
use super::{EinvoiceError, InvoiceData, InvoiceReference};
use crate::model::{
    Company, Country, Currency, DocumentKind, DocumentLine, ModelError, Totals, VatCategory, VatRate, round_amount,
};

/// The French billing mode (cadre de facturation, BT-23 of the French rules) of every
/// invoice: M1, goods and services, paid after the invoice. The model does not tell
/// goods from services yet, and M1 is true of both.
pub(super) const FRENCH_BILLING_MODE: &str = "M1";

/// A note of the document (BG-1) with its UNTDID 4451 subject code.
#[derive(Clone, Debug)]
pub(super) struct Note {
    pub subject: Option<&'static str>,
    pub text: String,
}

/// One invoice line (BG-25).
#[derive(Clone, Debug)]
pub(super) struct Line {
    /// 1, 2, … over the lines that sell (section titles are not invoice lines).
    pub id: usize,
    pub name: String,
    /// Signed so that the price is never negative: a rebate line has a negative quantity.
    pub quantity: Decimal,
    pub unit_code: &'static str,
    /// The net price of one unit (BT-146), before the line's discount, never negative.
    pub price: Decimal,
    /// The line's discount as an amount (BT-136): quantity × price, rounded, less the
    /// line's net amount.
    pub allowance: Option<Decimal>,
    pub discount_percent: Decimal,
    /// The model's net amount of the line (BT-131).
    pub net: Decimal,
    pub category: VatCategory,
    pub rate: VatRate,
}

/// One row of the VAT breakdown (BG-23); the PDF prints the same rows.
#[derive(Clone, Debug)]
pub(crate) struct TaxRow {
    pub category: VatCategory,
    pub rate: VatRate,
    pub taxable: Decimal,
    pub vat: Decimal,
    pub exemption_reason: Option<String>,
    pub exemption_code: Option<&'static str>,
}

/// How the buyer pays (BG-16): a credit transfer to the seller's account.
#[derive(Clone, Debug)]
pub(super) struct Payment {
    /// UNTDID 4461: 58 SEPA credit transfer (euros), 30 credit transfer otherwise.
    pub means_code: &'static str,
    pub iban: String,
    pub bic: Option<String>,
}

/// Everything both writers need, derived once.
#[derive(Clone, Debug)]
pub(super) struct Content {
    pub kind: DocumentKind,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub delivery_date: Option<NaiveDate>,
    pub currency: Currency,
    pub seller: Party,
    pub buyer: Party,
    /// The French billing mode ([`FRENCH_BILLING_MODE`]), for French sellers.
    pub french_billing_mode: Option<&'static str>,
    pub customer_reference: Option<String>,
    pub corrected_invoice: Option<InvoiceReference>,
    pub notes: Vec<Note>,
    pub lines: Vec<Line>,
    pub tax_rows: Vec<TaxRow>,
    pub totals: Totals,
    /// The reference the buyer gives with the payment (BT-83): the Belgian structured
    /// communication, or the document number.
    pub payment_reference: String,
    pub payment: Option<Payment>,
    /// Payment terms (BT-20).
    pub payment_terms: String,
}

impl Content {
    pub(super) fn of(data: &InvoiceData<'_>) -> Result<Self, EinvoiceError> {
        let document = data.document;
        let seller = data.seller;
        if !document.kind.is_payable() {
            return Err(EinvoiceError::NotAnInvoice(document.kind));
        }
        if !document.status.is_issued() {
            return Err(EinvoiceError::NotIssued(document.status));
        }
        let number = document.number.clone().ok_or(EinvoiceError::NumberPending)?;
        let corrected_invoice = match document.kind {
            DocumentKind::CreditNote => {
                Some(data.corrected_invoice.clone().ok_or(EinvoiceError::CorrectedInvoiceMissing)?)
            }
            _ => None,
        };
        let missing = seller.missing_for_invoices();
        if !missing.is_empty() {
            return Err(EinvoiceError::SellerIncomplete(missing));
        }
        document.validate()?;
        document.check_vat(seller)?;
        let totals = document.totals()?;
        let french = seller.address.country == Country::France;

        let lines = document
            .lines
            .iter()
            .filter(|line| !line.section)
            .enumerate()
            .map(|(index, line)| Line::of(index + 1, line))
            .collect::<Result<Vec<_>, EinvoiceError>>()?;

        let tax_rows = tax_rows(&totals, document.vat_exemption_reason.as_deref(), seller);

        let mut notes = Vec::new();
        if !document.notes.trim().is_empty() {
            notes.push(Note { subject: Some("AAI"), text: document.notes.trim().to_owned() });
        }
        if french {
            notes.extend(french_payment_notes(seller.late_penalty_rate, &seller.early_payment_discount));
        }

        let payment = seller.iban.as_ref().map(|iban| Payment {
            means_code: if document.currency == Currency::EUR { "58" } else { "30" },
            iban: iban.as_str().to_owned(),
            bic: seller.bic.as_ref().map(|bic| bic.as_str().to_owned()),
        });
        let payment_reference =
            document.structured_communication.as_ref().map_or_else(|| number.clone(), ToString::to_string);
        let payment_terms = match (document.kind, document.due_date) {
            (DocumentKind::CreditNote, _) => "Avoir : montant remboursé ou déduit d'une prochaine facture".to_owned(),
            (_, Some(due)) => format!("Paiement au plus tard le {}", due.format("%d/%m/%Y")),
            (_, None) => "Paiement à réception de la facture".to_owned(),
        };

        let (mut seller_party, mut buyer_party) =
            (Party::seller(seller), Party::buyer(&document.customer, data.buyer_endpoint.as_ref()));
        // Outside the scope of VAT, no VAT number may be stated (EN 16931 BR-O-02 to 04).
        if totals.breakdown.iter().any(|b| b.category == VatCategory::OutOfScope) {
            seller_party.vat = None;
            buyer_party.vat = None;
        }

        Ok(Self {
            kind: document.kind,
            issue_date: document.issue_date,
            due_date: document.due_date.filter(|_| document.kind == DocumentKind::Invoice),
            delivery_date: document.delivery_date,
            currency: document.currency,
            seller: seller_party,
            buyer: buyer_party,
            french_billing_mode: french.then_some(FRENCH_BILLING_MODE),
            customer_reference: document.customer_reference.clone().filter(|r| !r.trim().is_empty()),
            corrected_invoice,
            notes,
            lines,
            tax_rows,
            totals,
            payment_reference,
            payment,
            payment_terms,
            number,
        })
    }

    /// Whether the VAT breakdown has a category that needs the place of delivery (an
    /// intra-EU supply: EN 16931 BR-IC-11/12).
    pub(super) fn needs_delivery_place(&self) -> bool {
        self.tax_rows.iter().any(|row| row.category == VatCategory::IntraCommunitySupply)
    }

    /// The delivery date to state: the document's, or for an intra-EU supply the issue
    /// date (BR-IC-11 wants one).
    pub(super) fn delivery_date(&self) -> Option<NaiveDate> {
        self.delivery_date.or_else(|| self.needs_delivery_place().then_some(self.issue_date))
    }

    /// UNTDID 1001: 380 commercial invoice, 381 credit note.
    pub(super) fn type_code(&self) -> &'static str {
        if self.kind == DocumentKind::CreditNote { "381" } else { "380" }
    }

    /// The sum of the line net amounts (BT-106): the taxable total, as there are no
    /// document-level allowances or charges (the line discounts are inside the line nets).
    pub(super) fn line_total(&self) -> Decimal {
        self.totals.net
    }
}

impl Line {
    fn of(id: usize, line: &DocumentLine) -> Result<Self, EinvoiceError> {
        let net = line.net_amount()?;
        let negative = line.unit_price.is_sign_negative() && !line.unit_price.is_zero();
        let (quantity, price) =
            if negative { (-line.quantity, -line.unit_price) } else { (line.quantity, line.unit_price) };
        let gross = round_amount(quantity.checked_mul(price).ok_or(ModelError::AmountOverflow)?);
        let allowance = gross.checked_sub(net).ok_or(ModelError::AmountOverflow)?;
        Ok(Self {
            id,
            name: line.description.trim().to_owned(),
            quantity: quantity.normalize(),
            unit_code: unit_code(&line.unit),
            price: price.normalize(),
            allowance: (!allowance.is_zero()).then_some(allowance),
            discount_percent: line.discount_percent.normalize(),
            net,
            category: line.category(),
            rate: line.vat_rate,
        })
    }
}

/// The VAT breakdown with the exemption reasons and codes. A document has one reason
/// text: it is that of its only exempt category; with several, each takes its legal
/// mention. The PDF states the same reasons ([`crate::export::pdf`]).
pub(crate) fn tax_rows(totals: &Totals, reason: Option<&str>, seller: &Company) -> Vec<TaxRow> {
    let french_franchise = seller.address.country == Country::France && seller.vat_exempt;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let exempt_categories: Vec<VatCategory> =
        totals.breakdown.iter().map(|b| b.category).filter(|c| is_exempt(*c)).collect();
    totals
        .breakdown
        .iter()
        .map(|b| {
            let mention = b.category.legal_mention(&seller.address.country).map(str::to_owned);
            let exemption_reason = if !is_exempt(b.category) {
                None
            } else if exempt_categories.iter().all(|c| *c == b.category) {
                reason.map(str::to_owned).or(mention)
            } else {
                mention.or_else(|| reason.map(str::to_owned))
            };
            TaxRow {
                category: b.category,
                rate: b.rate,
                taxable: b.taxable,
                vat: b.vat,
                exemption_code: exemption_code(b.category, french_franchise),
                exemption_reason,
            }
        })
        .collect()
}

/// The categories whose lines bear no VAT for a reason the invoice states.
fn is_exempt(category: VatCategory) -> bool {
    !matches!(category, VatCategory::Standard | VatCategory::ZeroRated)
}

/// The VATEX code of an exemption (CEF code list), when one fits.
fn exemption_code(category: VatCategory, french_franchise: bool) -> Option<&'static str> {
    match category {
        VatCategory::ReverseCharge => Some("VATEX-EU-AE"),
        VatCategory::IntraCommunitySupply => Some("VATEX-EU-IC"),
        VatCategory::Export => Some("VATEX-EU-G"),
        VatCategory::OutOfScope => Some("VATEX-EU-O"),
        VatCategory::Exempt if french_franchise => Some("VATEX-FR-FRANCHISE"),
        _ => None,
    }
}

/// The payment mentions French law requires on every invoice between businesses
/// (Code de commerce L441-9), with the subject codes the French rules look for.
fn french_payment_notes(late_penalty_rate: Option<Decimal>, early_payment_discount: &str) -> [Note; 3] {
    let penalty = late_penalty_rate.map_or_else(
        || "Pénalités de retard : trois fois le taux d'intérêt légal".to_owned(),
        |rate| format!("Pénalités de retard : taux annuel de {} %", rate.normalize().to_string().replace('.', ",")),
    );
    [
        Note {
            subject: Some("PMT"),
            text: "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €".to_owned(),
        },
        Note { subject: Some("PMD"), text: penalty },
        Note {
            subject: Some("AAB"),
            text: match early_payment_discount.trim() {
                "" => "Pas d'escompte pour paiement anticipé".to_owned(),
                terms => format!("Escompte pour paiement anticipé : {terms}"),
            },
        },
    ]
}

/// An amount with exactly two decimals, as both syntaxes write money.
pub(super) fn amount(value: Decimal) -> String {
    let mut value = round_amount(value);
    value.rescale(2);
    value.to_string()
}

/// A quantity, price or percentage with no trailing zeros.
pub(super) fn number(value: Decimal) -> String {
    value.normalize().to_string()
}
