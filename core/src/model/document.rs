//! Quotes, invoices, credit notes and delivery notes: their lines, their totals and
//! their lifecycle.
//!
//! Totals follow EN 16931: each line's net amount is rounded to 2 decimals; VAT is
//! computed per rate on the sum of that rate's line nets and rounded half-up to
//! 2 decimals, never per line. Credit notes carry positive amounts, like the invoices
//! they correct; the document kind gives the sign in accounting.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    Address, ArticleId, ContactId, Currency, DocumentId, MAX_INPUT_DECIMALS, MAX_PERCENT_DECIMALS, MAX_QUANTITY,
    ModelError, StructuredCommunication, VatCategory, VatNumber, VatRate, add_amounts, check_amount, decimals,
    round_amount, sum_amounts, validate_document_number,
};

/// The most lines a document may have.
pub const MAX_LINES: usize = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Quote,
    Invoice,
    CreditNote,
    DeliveryNote,
}

impl DocumentKind {
    pub const ALL: [Self; 4] = [Self::Quote, Self::Invoice, Self::CreditNote, Self::DeliveryNote];

    /// The stable name used in files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quote => "quote",
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
            Self::DeliveryNote => "delivery_note",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| ModelError::UnknownValue { field: "document kind", value: value.to_owned() })
    }

    /// Invoices and credit notes are the documents that are paid (or refunded).
    pub fn is_payable(self) -> bool {
        matches!(self, Self::Invoice | Self::CreditNote)
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Quote => "quote",
            Self::Invoice => "invoice",
            Self::CreditNote => "credit note",
            Self::DeliveryNote => "delivery note",
        })
    }
}

/// Where a document is in its life. Which moves are allowed depends on the kind:
///
/// - every kind: draft → issued (numbered, then immutable);
/// - quote: issued → accepted or declined; accepted → converted (into an invoice);
/// - invoice and credit note: issued ⇄ partially paid ⇄ paid, following the payments
///   allocated to it;
/// - nothing ever goes back to draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Draft,
    Issued,
    Accepted,
    Declined,
    Converted,
    PartiallyPaid,
    Paid,
}

impl DocumentStatus {
    pub const ALL: [Self; 7] =
        [Self::Draft, Self::Issued, Self::Accepted, Self::Declined, Self::Converted, Self::PartiallyPaid, Self::Paid];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Converted => "converted",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
            .ok_or_else(|| ModelError::UnknownValue { field: "document status", value: value.to_owned() })
    }

    /// Has the document left the draft stage (and so is immutable)?
    pub fn is_issued(self) -> bool {
        self != Self::Draft
    }

    /// Whether `kind` may move from `self` to `to`.
    pub fn can_become(self, kind: DocumentKind, to: Self) -> bool {
        use DocumentKind::{CreditNote, Invoice, Quote};
        use DocumentStatus::{Accepted, Converted, Declined, Draft, Issued, Paid, PartiallyPaid};
        match (kind, self, to) {
            (_, Draft, Issued) | (Quote, Issued, Accepted | Declined) | (Quote, Accepted, Converted) => true,
            (Invoice | CreditNote, Issued | PartiallyPaid | Paid, Issued | PartiallyPaid | Paid) => self != to,
            _ => false,
        }
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// The customer as they were when the document was made: an issued invoice keeps the
/// buyer's name and address even if the contact changes later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartySnapshot {
    pub name: String,
    pub address: Address,
    pub vat_number: Option<VatNumber>,
}

/// One line of a document: an article or free text.
///
/// Ranges, checked by [`validate`](Self::validate): the quantity is not zero, within
/// ±[`MAX_QUANTITY`], with at most [`MAX_INPUT_DECIMALS`] decimals; the unit price within
/// ±[`MAX_AMOUNT`](super::MAX_AMOUNT) with at most [`MAX_INPUT_DECIMALS`] decimals (negative for a rebate
/// line); the discount from 0 to 100 % with at most 2 decimals; the net amount within
/// ±[`MAX_AMOUNT`](super::MAX_AMOUNT).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentLine {
    pub article_id: Option<ArticleId>,
    pub description: String,
    pub quantity: Decimal,
    pub unit: String,
    /// Net unit price, before discount and VAT.
    pub unit_price: Decimal,
    /// Line discount in percent, 0 to 100.
    pub discount_percent: Decimal,
    pub vat_rate: VatRate,
    /// The line's VAT category; `None`: the one its rate implies (standard above 0 %,
    /// zero-rated at 0 %), see [`Self::category`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_category: Option<VatCategory>,
    /// A section title between lines ("Lot 1 — Gros œuvre"): only its description is
    /// printed; its quantity, price and discount are zero and it counts for nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub section: bool,
}

impl DocumentLine {
    /// Quantity × unit price, less the discount, rounded to the cent. Every step is
    /// checked: a line whose amount leaves ±[`MAX_AMOUNT`](super::MAX_AMOUNT) is an error, never a panic.
    pub fn net_amount(&self) -> Result<Decimal, ModelError> {
        if self.section {
            return Ok(Decimal::ZERO);
        }
        let gross = self.quantity.checked_mul(self.unit_price).ok_or(ModelError::AmountOverflow)?;
        let discount = gross
            .checked_mul(self.discount_percent)
            .and_then(|d| d.checked_div(Decimal::ONE_HUNDRED))
            .ok_or(ModelError::AmountOverflow)?;
        let net = gross.checked_sub(discount).ok_or(ModelError::AmountOverflow)?;
        check_amount(round_amount(net))
    }

    /// The line's VAT category, given or implied by its rate.
    pub fn category(&self) -> VatCategory {
        self.vat_category.unwrap_or_else(|| VatCategory::of_rate(self.vat_rate))
    }

    /// The ranges every line keeps, in a draft too (a draft is saved as it is typed:
    /// a line without its description yet, or a quantity of 0, is allowed there; see
    /// [`Self::ensure_complete`]).
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.description.chars().count() > 1000 {
            return Err(ModelError::TooLong { field: "description", max: 1000 });
        }
        if self.unit.chars().count() > 20 {
            return Err(ModelError::TooLong { field: "unit", max: 20 });
        }
        if self.section
            && !(self.quantity.is_zero()
                && self.unit_price.is_zero()
                && self.discount_percent.is_zero()
                && self.article_id.is_none())
        {
            return Err(ModelError::SectionWithAmounts);
        }
        if self.quantity.abs() > MAX_QUANTITY {
            return Err(ModelError::QuantityOutOfRange { quantity: self.quantity });
        }
        if decimals(self.quantity) > MAX_INPUT_DECIMALS {
            return Err(ModelError::TooPrecise { field: "quantity", value: self.quantity, max: MAX_INPUT_DECIMALS });
        }
        super::check_unit_price(self.unit_price)?;
        if self.discount_percent < Decimal::ZERO
            || self.discount_percent > Decimal::ONE_HUNDRED
            || decimals(self.discount_percent) > MAX_PERCENT_DECIMALS
        {
            return Err(ModelError::InvalidDiscount { percent: self.discount_percent });
        }
        self.category().check_rate(self.vat_rate)?;
        self.net_amount().map(drop)
    }

    /// What an issued line needs besides its ranges: a description and a quantity.
    pub fn ensure_complete(&self) -> Result<(), ModelError> {
        if self.description.trim().is_empty() {
            return Err(ModelError::Required { field: "description" });
        }
        if self.quantity.is_zero() && !self.section {
            return Err(ModelError::ZeroQuantity);
        }
        Ok(())
    }
}

/// VAT for one rate of one category: the taxable base (sum of those lines' nets) and
/// the tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    pub category: VatCategory,
    pub rate: VatRate,
    pub taxable: Decimal,
    pub vat: Decimal,
}

/// A document's totals, as printed at its foot.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    pub net: Decimal,
    pub vat: Decimal,
    pub gross: Decimal,
    /// One entry per VAT rate and category, by increasing rate (then category).
    pub breakdown: Vec<VatBreakdown>,
}

impl Totals {
    /// EN 16931 totals of `lines`. Every sum is checked: a base, a tax or a total outside
    /// ±[`MAX_AMOUNT`](super::MAX_AMOUNT) is [`ModelError::AmountOverflow`].
    pub fn of_lines<'a>(lines: impl IntoIterator<Item = &'a DocumentLine>) -> Result<Self, ModelError> {
        let mut per_rate: BTreeMap<(VatRate, VatCategory), Decimal> = BTreeMap::new();
        for line in lines.into_iter().filter(|line| !line.section) {
            let taxable = per_rate.entry((line.vat_rate, line.category())).or_default();
            *taxable = add_amounts(*taxable, line.net_amount()?)?;
        }
        let breakdown = per_rate
            .into_iter()
            .map(|((rate, category), taxable)| {
                // A rate is at most 100 %: the tax is never larger than its base.
                let vat = taxable
                    .checked_mul(rate.percent())
                    .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
                    .ok_or(ModelError::AmountOverflow)?;
                Ok(VatBreakdown { category, rate, taxable, vat: round_amount(vat) })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        let net = sum_amounts(breakdown.iter().map(|b| b.taxable))?;
        let vat = sum_amounts(breakdown.iter().map(|b| b.vat))?;
        Ok(Self { net, vat, gross: add_amounts(net, vat)?, breakdown })
    }
}

/// A quote, invoice, credit note or delivery note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub status: DocumentStatus,
    /// Given when issued, by the server (continuous per series). `None` on drafts, and on
    /// documents issued offline until the server has allocated their number.
    pub number: Option<String>,
    pub contact_id: ContactId,
    pub customer: PartySnapshot,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// For a credit note: the invoice it corrects.
    pub corrects: Option<DocumentId>,
    /// The document this one was made from (the quote of an invoice, the invoice of a
    /// delivery note).
    pub source: Option<DocumentId>,
    pub currency: Currency,
    pub lines: Vec<DocumentLine>,
    pub notes: String,
    /// Belgian structured communication for the payment, on BE companies' invoices.
    pub structured_communication: Option<StructuredCommunication>,
    /// Why exempt lines bear no VAT (EN 16931 BT-120), printed on the document: "TVA non
    /// applicable, art. 293 B du CGI", "Autoliquidation" …; at most 300 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_exemption_reason: Option<String>,
    /// When the goods were delivered or the service done, when not the issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_date: Option<NaiveDate>,
    /// The customer's own reference for this sale (their order number, BT-13): at most
    /// 100 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_reference: Option<String>,
}

impl Document {
    /// A new, empty draft.
    pub fn draft(
        kind: DocumentKind,
        contact_id: ContactId,
        customer: PartySnapshot,
        issue_date: NaiveDate,
        currency: Currency,
    ) -> Self {
        Self {
            id: DocumentId::new(),
            kind,
            status: DocumentStatus::Draft,
            number: None,
            contact_id,
            customer,
            issue_date,
            due_date: None,
            corrects: None,
            source: None,
            currency,
            lines: Vec::new(),
            notes: String::new(),
            structured_communication: None,
            vat_exemption_reason: None,
            delivery_date: None,
            customer_reference: None,
        }
    }

    /// The document's totals; an error when a line or a total leaves ±[`MAX_AMOUNT`](super::MAX_AMOUNT)
    /// (which [`validate`](Self::validate) refuses first).
    pub fn totals(&self) -> Result<Totals, ModelError> {
        Totals::of_lines(&self.lines)
    }

    /// Refuses any change to a document that has left the draft stage: an issued
    /// invoice is corrected only by a credit note.
    pub fn ensure_editable(&self) -> Result<(), ModelError> {
        if self.status == DocumentStatus::Draft {
            Ok(())
        } else {
            Err(ModelError::DocumentNotEditable { kind: self.kind, status: self.status })
        }
    }

    /// Checks the rules that hold for any document, draft or not.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.kind == DocumentKind::CreditNote && self.corrects.is_none() {
            return Err(ModelError::CreditNoteWithoutInvoice);
        }
        if self.due_date.is_some_and(|due| due < self.issue_date) {
            return Err(ModelError::DueBeforeIssue);
        }
        if let Some(number) = &self.number {
            validate_document_number(number)?;
        }
        if self.customer.name.trim().is_empty() {
            return Err(ModelError::Required { field: "customer" });
        }
        if self.notes.chars().count() > 4000 {
            return Err(ModelError::TooLong { field: "notes", max: 4000 });
        }
        if self.customer_reference.as_ref().is_some_and(|r| r.chars().count() > 100) {
            return Err(ModelError::TooLong { field: "customer_reference", max: 100 });
        }
        if self.lines.len() > MAX_LINES {
            return Err(ModelError::TooManyItems { field: "lines", max: MAX_LINES });
        }
        self.lines.iter().try_for_each(DocumentLine::validate)?;
        self.check_categories()?;
        self.totals().map(drop)
    }

    /// The VAT category rules that need the whole document but not the seller: exempt
    /// lines say why, lines outside the scope of VAT stand alone.
    fn check_categories(&self) -> Result<(), ModelError> {
        let reason = self.vat_exemption_reason.as_deref().map_or("", str::trim);
        if reason.chars().count() > 300 {
            return Err(ModelError::TooLong { field: "vat_exemption_reason", max: 300 });
        }
        // Section titles bear no VAT: only the lines that sell count.
        let selling = || self.lines.iter().filter(|l| !l.section);
        let has = |category: VatCategory| selling().any(|l| l.category() == category);
        if has(VatCategory::Exempt) && reason.is_empty() {
            return Err(ModelError::VatExemptionReasonMissing);
        }
        if has(VatCategory::OutOfScope) && selling().any(|l| l.category() != VatCategory::OutOfScope) {
            return Err(ModelError::OutOfScopeMixed);
        }
        Ok(())
    }

    /// The VAT category rules that need the seller, checked when the document is issued:
    /// reverse charge and intra-EU supplies name both VAT numbers, an intra-EU supply
    /// goes to another EU country, an export leaves the EU.
    pub fn check_vat(&self, seller: &super::Company) -> Result<(), ModelError> {
        self.check_categories()?;
        let has = |category: VatCategory| self.lines.iter().any(|l| !l.section && l.category() == category);
        let buyer = &self.customer.address.country;
        if (has(VatCategory::ReverseCharge) || has(VatCategory::IntraCommunitySupply))
            && (seller.vat_number.is_none() || self.customer.vat_number.is_none())
        {
            return Err(ModelError::VatNumbersRequired);
        }
        if has(VatCategory::IntraCommunitySupply) && (!buyer.is_eu() || *buyer == seller.address.country) {
            return Err(ModelError::IntraCommunityBuyerNotInEu);
        }
        if has(VatCategory::Export) && buyer.is_eu() {
            return Err(ModelError::ExportBuyerInEu);
        }
        Ok(())
    }

    /// Moves the document to `to`, if its kind allows that move from where it is.
    pub fn transition(&mut self, to: DocumentStatus) -> Result<(), ModelError> {
        if self.status.can_become(self.kind, to) {
            self.status = to;
            Ok(())
        } else {
            Err(ModelError::TransitionRefused { kind: self.kind, from: self.status, to })
        }
    }

    /// Issues a draft. `number` is `None` when issued offline: the server allocates it
    /// later (see [`Self::assign_number`]).
    pub fn issue(&mut self, number: Option<String>) -> Result<(), ModelError> {
        self.ensure_editable()?;
        self.validate()?;
        if self.lines.is_empty() {
            return Err(ModelError::DocumentWithoutLines { kind: self.kind });
        }
        self.lines.iter().try_for_each(DocumentLine::ensure_complete)?;
        let total = self.totals()?.gross;
        if self.kind.is_payable() && total < Decimal::ZERO {
            return Err(ModelError::NegativeInvoiceTotal { total });
        }
        if let Some(number) = &number {
            validate_document_number(number)?;
        }
        self.transition(DocumentStatus::Issued)?;
        self.number = number;
        Ok(())
    }

    /// Gives an issued document the number the server allocated to it.
    pub fn assign_number(&mut self, number: String) -> Result<(), ModelError> {
        if !self.status.is_issued() {
            return Err(ModelError::TransitionRefused {
                kind: self.kind,
                from: self.status,
                to: DocumentStatus::Issued,
            });
        }
        validate_document_number(&number)?;
        self.number = Some(number);
        Ok(())
    }

    /// Turns an accepted quote into a draft invoice with the same customer and lines;
    /// the quote becomes "converted".
    pub fn convert_to_invoice(&mut self, issue_date: NaiveDate) -> Result<Self, ModelError> {
        if self.kind != DocumentKind::Quote {
            return Err(ModelError::TransitionRefused {
                kind: self.kind,
                from: self.status,
                to: DocumentStatus::Converted,
            });
        }
        self.transition(DocumentStatus::Converted)?;
        let mut invoice =
            Self::draft(DocumentKind::Invoice, self.contact_id, self.customer.clone(), issue_date, self.currency);
        invoice.lines.clone_from(&self.lines);
        invoice.source = Some(self.id);
        invoice.customer_reference.clone_from(&self.customer_reference);
        invoice.vat_exemption_reason.clone_from(&self.vat_exemption_reason);
        Ok(invoice)
    }

    /// A draft credit note cancelling `invoice` in full; the user may remove lines or
    /// lower quantities before issuing it for a partial correction.
    pub fn credit_note_for(invoice: &Self, issue_date: NaiveDate) -> Result<Self, ModelError> {
        if invoice.kind != DocumentKind::Invoice || !invoice.status.is_issued() {
            return Err(ModelError::CreditNoteTargetInvalid);
        }
        let mut credit_note = Self::draft(
            DocumentKind::CreditNote,
            invoice.contact_id,
            invoice.customer.clone(),
            issue_date,
            invoice.currency,
        );
        credit_note.lines.clone_from(&invoice.lines);
        credit_note.corrects = Some(invoice.id);
        credit_note.customer_reference.clone_from(&invoice.customer_reference);
        credit_note.vat_exemption_reason.clone_from(&invoice.vat_exemption_reason);
        Ok(credit_note)
    }

    /// A new draft of `kind` with this document's customer, lines, notes and VAT
    /// exemption, dated `issue_date`: "Dupliquer" (a quote duplicated into an invoice
    /// takes no link to it; converting an accepted quote does).
    #[must_use]
    pub fn duplicate(&self, kind: DocumentKind, issue_date: NaiveDate) -> Self {
        let mut copy = Self::draft(kind, self.contact_id, self.customer.clone(), issue_date, self.currency);
        copy.lines.clone_from(&self.lines);
        copy.notes.clone_from(&self.notes);
        copy.vat_exemption_reason.clone_from(&self.vat_exemption_reason);
        if kind.is_payable() {
            copy.due_date = self
                .due_date
                .and_then(|due| due.signed_duration_since(self.issue_date).to_std().ok())
                .and_then(|terms| issue_date.checked_add_days(chrono::Days::new(terms.as_secs() / 86_400)));
        }
        copy
    }

    /// A draft delivery note listing what an issued invoice or an accepted quote sells.
    pub fn delivery_note_for(source: &Self, issue_date: NaiveDate) -> Result<Self, ModelError> {
        let ok = match source.kind {
            DocumentKind::Invoice => source.status.is_issued(),
            DocumentKind::Quote => matches!(source.status, DocumentStatus::Accepted | DocumentStatus::Converted),
            _ => false,
        };
        if !ok {
            return Err(ModelError::TransitionRefused {
                kind: source.kind,
                from: source.status,
                to: DocumentStatus::Issued,
            });
        }
        let mut note = Self::draft(
            DocumentKind::DeliveryNote,
            source.contact_id,
            source.customer.clone(),
            issue_date,
            source.currency,
        );
        note.lines.clone_from(&source.lines);
        note.source = Some(source.id);
        note.customer_reference.clone_from(&source.customer_reference);
        Ok(note)
    }

    /// Sets an issued invoice's (or credit note's) status from the amount paid on it.
    pub fn apply_paid_amount(&mut self, paid: Decimal) -> Result<super::PaymentState, ModelError> {
        if !self.kind.is_payable() || !self.status.is_issued() {
            return Err(ModelError::PaymentOnUnissuedDocument);
        }
        let state = super::PaymentState::of(self.totals()?.gross, check_amount(paid)?);
        let status = state.document_status();
        if status != self.status {
            self.transition(status)?;
        }
        Ok(state)
    }
}

/// Refuses a credit note that would bring the credited total above the invoice's.
pub fn ensure_credit_within(
    invoice_total: Decimal,
    already_credited: Decimal,
    this_credit_note: Decimal,
) -> Result<(), ModelError> {
    let credited = add_amounts(already_credited, this_credit_note)?;
    if credited > invoice_total {
        Err(ModelError::CreditNoteExceedsInvoice { credited, invoice_total })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Country;
    use rust_decimal_macros::dec;

    fn rate(percent: Decimal) -> VatRate {
        VatRate::new(percent).unwrap()
    }

    fn line(quantity: Decimal, unit_price: Decimal, discount: Decimal, vat: Decimal) -> DocumentLine {
        DocumentLine {
            article_id: None,
            description: "Prestation".into(),
            quantity,
            unit: "h".into(),
            unit_price,
            discount_percent: discount,
            vat_rate: rate(vat),
            vat_category: None,
            section: false,
        }
    }

    fn invoice(lines: Vec<DocumentLine>) -> Document {
        let customer = PartySnapshot {
            name: "Menuiserie Dubois".into(),
            address: Address {
                street: "3 avenue Louise".into(),
                street2: String::new(),
                postcode: "1050".into(),
                city: "Bruxelles".into(),
                country: Country::Belgium,
            },
            vat_number: None,
        };
        let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let mut doc = Document::draft(DocumentKind::Invoice, ContactId::new(), customer, date, Currency::EUR);
        doc.lines = lines;
        doc
    }

    #[test]
    fn line_net_is_rounded_after_discount() {
        // 3 × 19.99 = 59.97, less 15 % = 50.9745 → 50.97
        assert_eq!(line(dec!(3), dec!(19.99), dec!(15), dec!(20)).net_amount().unwrap(), dec!(50.97));
        // 0.125 € × 3 = 0.375 → 0.38 (half-up)
        assert_eq!(line(dec!(3), dec!(0.125), dec!(0), dec!(20)).net_amount().unwrap(), dec!(0.38));
    }

    #[test]
    fn totals_with_several_rates() {
        let doc = invoice(vec![
            line(dec!(2), dec!(100), dec!(0), dec!(20)),
            line(dec!(1), dec!(49.90), dec!(10), dec!(5.5)),
            line(dec!(3), dec!(12.50), dec!(0), dec!(20)),
            line(dec!(1), dec!(8), dec!(0), dec!(0)),
        ]);
        let totals = doc.totals().unwrap();
        // 0 %: 8.00; 5.5 %: 44.91 → 2.47; 20 %: 237.50 → 47.50
        assert_eq!(totals.breakdown.len(), 3);
        assert_eq!(totals.breakdown[0].taxable, dec!(8));
        assert_eq!(totals.breakdown[0].vat, dec!(0));
        assert_eq!(totals.breakdown[1].taxable, dec!(44.91));
        assert_eq!(totals.breakdown[1].vat, dec!(2.47));
        assert_eq!(totals.breakdown[2].taxable, dec!(237.50));
        assert_eq!(totals.breakdown[2].vat, dec!(47.50));
        assert_eq!(totals.net, dec!(290.41));
        assert_eq!(totals.vat, dec!(49.97));
        assert_eq!(totals.gross, dec!(340.38));
    }

    #[test]
    fn vat_is_computed_per_rate_not_per_line() {
        // Three lines of 0.10 at 5.5 %: per line 0.0055 would round to 0.01 each (0.03);
        // EN 16931 rounds once on the 0.30 base: 0.0165 → 0.02.
        let doc = invoice(vec![
            line(dec!(1), dec!(0.10), dec!(0), dec!(5.5)),
            line(dec!(1), dec!(0.10), dec!(0), dec!(5.5)),
            line(dec!(1), dec!(0.10), dec!(0), dec!(5.5)),
        ]);
        assert_eq!(doc.totals().unwrap().vat, dec!(0.02));
        assert_eq!(doc.totals().unwrap().gross, dec!(0.32));
    }

    #[test]
    fn credit_note_lines_mirror_the_invoice() {
        let mut inv =
            invoice(vec![line(dec!(2), dec!(100), dec!(0), dec!(20)), line(dec!(1), dec!(33.33), dec!(5), dec!(5.5))]);
        inv.issue(Some("FA-2026-0001".into())).unwrap();
        let date = inv.issue_date;
        let mut credit = Document::credit_note_for(&inv, date).unwrap();
        assert_eq!(credit.kind, DocumentKind::CreditNote);
        assert_eq!(credit.corrects, Some(inv.id));
        assert_eq!(credit.totals().unwrap(), inv.totals().unwrap());
        // A partial credit note: one line, half the quantity.
        credit.lines.truncate(1);
        credit.lines[0].quantity = dec!(1);
        assert_eq!(credit.totals().unwrap().gross, dec!(120.00));
        ensure_credit_within(inv.totals().unwrap().gross, Decimal::ZERO, credit.totals().unwrap().gross).unwrap();
        let err =
            ensure_credit_within(inv.totals().unwrap().gross, dec!(200), credit.totals().unwrap().gross).unwrap_err();
        assert_eq!(err.code(), "credit_note_exceeds_invoice");
        credit.issue(None).unwrap();
        assert_eq!(credit.status, DocumentStatus::Issued);
        assert_eq!(credit.number, None, "issued offline: number pending");
        credit.assign_number("AV-2026-0001".into()).unwrap();
    }

    #[test]
    fn credit_note_requires_an_issued_invoice() {
        let inv = invoice(vec![line(dec!(1), dec!(10), dec!(0), dec!(20))]);
        let err = Document::credit_note_for(&inv, inv.issue_date).unwrap_err();
        assert_eq!(err.code(), "credit_note_target_invalid");
        let mut orphan = inv.clone();
        orphan.kind = DocumentKind::CreditNote;
        assert_eq!(orphan.issue(None).unwrap_err().code(), "credit_note_without_invoice");
    }

    #[test]
    fn editing_an_issued_invoice_is_refused() {
        let mut inv = invoice(vec![line(dec!(1), dec!(10), dec!(0), dec!(20))]);
        inv.ensure_editable().unwrap();
        inv.issue(Some("F-0116".into())).unwrap();
        let err = inv.ensure_editable().unwrap_err();
        assert_eq!(err.code(), "document_not_editable");
        assert_eq!(err.to_string(), "This invoice is issued: only a draft can be changed.");
        // Issuing twice is refused too.
        assert_eq!(inv.issue(Some("F-0117".into())).unwrap_err().code(), "document_not_editable");
        // And it never goes back to draft.
        assert_eq!(inv.transition(DocumentStatus::Draft).unwrap_err().code(), "document_transition_refused");
    }

    #[test]
    fn issuing_needs_lines_and_a_non_negative_total() {
        let mut empty = invoice(vec![]);
        assert_eq!(empty.issue(None).unwrap_err().code(), "document_without_lines");
        assert_eq!(empty.status, DocumentStatus::Draft, "nothing changed");
        let mut negative = invoice(vec![line(dec!(-1), dec!(10), dec!(0), dec!(20))]);
        assert_eq!(negative.issue(None).unwrap_err().code(), "invoice_total_negative");
        let mut bad_number = invoice(vec![line(dec!(1), dec!(10), dec!(0), dec!(20))]);
        assert_eq!(bad_number.issue(Some("F 01".into())).unwrap_err().code(), "number_invalid_characters");
        assert_eq!(bad_number.status, DocumentStatus::Draft);
        // A draft is saved as it is typed; issuing needs every line complete.
        let mut typing =
            invoice(vec![DocumentLine { description: String::new(), ..line(dec!(1), dec!(10), dec!(0), dec!(20)) }]);
        typing.validate().unwrap();
        assert_eq!(typing.issue(None).unwrap_err().code(), "field_required");
        typing.lines[0].description = "Pose".into();
        typing.lines[0].quantity = Decimal::ZERO;
        typing.validate().unwrap();
        assert_eq!(typing.issue(None).unwrap_err().code(), "quantity_zero");
        assert_eq!(typing.status, DocumentStatus::Draft);
    }

    #[test]
    fn quote_lifecycle() {
        let mut quote = invoice(vec![line(dec!(1), dec!(10), dec!(0), dec!(20))]);
        quote.kind = DocumentKind::Quote;
        quote.customer_reference = Some("BC-2026-118".into());
        let date = quote.issue_date;
        // A draft quote cannot be accepted or converted.
        assert!(quote.transition(DocumentStatus::Accepted).is_err());
        assert!(quote.clone().convert_to_invoice(date).is_err());
        quote.issue(Some("DE-0001".into())).unwrap();
        assert!(quote.clone().convert_to_invoice(date).is_err(), "issued but not accepted");
        quote.transition(DocumentStatus::Accepted).unwrap();
        let invoice = quote.convert_to_invoice(date).unwrap();
        assert_eq!(quote.status, DocumentStatus::Converted);
        assert_eq!(invoice.kind, DocumentKind::Invoice);
        assert_eq!(invoice.status, DocumentStatus::Draft);
        assert_eq!(invoice.source, Some(quote.id));
        assert_eq!(invoice.lines, quote.lines);
        assert_eq!(invoice.customer_reference, quote.customer_reference, "the order number follows");
        // Converted once only.
        assert!(quote.convert_to_invoice(date).is_err());
        // A declined quote stays declined.
        let mut declined = invoice.clone();
        declined.kind = DocumentKind::Quote;
        declined.issue(None).unwrap();
        declined.transition(DocumentStatus::Declined).unwrap();
        assert!(declined.transition(DocumentStatus::Accepted).is_err());
    }

    #[test]
    fn transitions_table() {
        use DocumentKind::*;
        use DocumentStatus::*;
        let mut allowed = vec![
            (Quote, Draft, Issued),
            (Quote, Issued, Accepted),
            (Quote, Issued, Declined),
            (Quote, Accepted, Converted),
            (DeliveryNote, Draft, Issued),
        ];
        // Invoices and credit notes follow their payments both ways (a bounced cheque
        // takes a paid invoice back to partially paid or unpaid).
        for kind in [Invoice, CreditNote] {
            allowed.push((kind, Draft, Issued));
            for from in [Issued, PartiallyPaid, Paid] {
                for to in [Issued, PartiallyPaid, Paid] {
                    if from != to {
                        allowed.push((kind, from, to));
                    }
                }
            }
        }
        for kind in DocumentKind::ALL {
            for from in DocumentStatus::ALL {
                for to in DocumentStatus::ALL {
                    let expected = allowed.contains(&(kind, from, to));
                    assert_eq!(from.can_become(kind, to), expected, "{kind}: {from} → {to}");
                }
            }
        }
    }

    #[test]
    fn payments_move_an_invoice_through_its_states() {
        let mut inv = invoice(vec![line(dec!(1), dec!(100), dec!(0), dec!(20))]);
        assert_eq!(inv.apply_paid_amount(dec!(10)).unwrap_err().code(), "payment_on_unissued_document");
        inv.issue(Some("F-1".into())).unwrap();
        inv.apply_paid_amount(dec!(50)).unwrap();
        assert_eq!(inv.status, DocumentStatus::PartiallyPaid);
        inv.apply_paid_amount(dec!(120)).unwrap();
        assert_eq!(inv.status, DocumentStatus::Paid);
        let state = inv.apply_paid_amount(dec!(240)).unwrap();
        assert_eq!(state, crate::model::PaymentState::Overpaid { excess: dec!(120) });
        assert_eq!(inv.status, DocumentStatus::Paid);
    }

    #[test]
    fn every_number_of_a_line_has_its_range() {
        let ok = line(dec!(1), dec!(10), dec!(0), dec!(20));
        let cases = [
            (DocumentLine { quantity: dec!(1000000000.5), ..ok.clone() }, "quantity_out_of_range"),
            (DocumentLine { quantity: dec!(0.0000001), ..ok.clone() }, "value_too_precise"),
            (DocumentLine { unit_price: dec!(1000000000000), ..ok.clone() }, "unit_price_out_of_range"),
            (DocumentLine { unit_price: dec!(1.0000001), ..ok.clone() }, "value_too_precise"),
            (DocumentLine { discount_percent: dec!(10.001), ..ok.clone() }, "discount_invalid"),
            (DocumentLine { discount_percent: dec!(100.01), ..ok.clone() }, "discount_invalid"),
            // Each number in range, the product not: 1e9 × 1e11.
            (
                DocumentLine { quantity: dec!(1000000000), unit_price: dec!(100000000000), ..ok.clone() },
                "amount_out_of_range",
            ),
            (DocumentLine { unit: "u".repeat(21), ..ok.clone() }, "field_too_long"),
        ];
        for (bad, code) in cases {
            assert_eq!(bad.validate().unwrap_err().code(), code, "{bad:?}");
        }
        // The extremes that are allowed.
        let edge = DocumentLine { quantity: dec!(-1000000000), unit_price: dec!(999.999999), ..ok };
        edge.validate().unwrap();
        assert_eq!(edge.net_amount().unwrap(), dec!(-999999999000.00));
    }

    #[test]
    fn totals_that_leave_the_range_are_refused_not_wrapped() {
        // Two lines each within range whose sum is not.
        let big = line(dec!(1), dec!(999999999999.99), dec!(0), dec!(0));
        let doc = invoice(vec![big.clone(), big.clone()]);
        assert_eq!(doc.totals().unwrap_err().code(), "amount_overflow");
        assert_eq!(doc.validate().unwrap_err().code(), "amount_overflow");
        // One line within range whose VAT takes the total out of it.
        let taxed = invoice(vec![line(dec!(1), dec!(900000000000), dec!(0), dec!(20))]);
        assert_eq!(taxed.validate().unwrap_err().code(), "amount_overflow");
        let too_many = invoice(vec![line(dec!(1), dec!(1), dec!(0), dec!(20)); MAX_LINES + 1]);
        assert_eq!(too_many.validate().unwrap_err().code(), "too_many_items");
    }

    #[test]
    fn a_duplicate_is_a_new_draft_with_the_same_lines_and_terms() {
        let mut quote = invoice(vec![line(dec!(2), dec!(100), dec!(5), dec!(20))]);
        quote.kind = DocumentKind::Quote;
        quote.notes = "Valable 30 jours".into();
        quote.due_date = quote.issue_date.checked_add_days(chrono::Days::new(30));
        quote.issue(Some("DE-0001".into())).unwrap();
        let later = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let copy = quote.duplicate(DocumentKind::Invoice, later);
        assert_ne!(copy.id, quote.id);
        assert_eq!((copy.kind, copy.status, copy.number.clone()), (DocumentKind::Invoice, DocumentStatus::Draft, None));
        assert_eq!((copy.lines.clone(), copy.notes.clone()), (quote.lines.clone(), quote.notes.clone()));
        assert_eq!(copy.issue_date, later);
        assert_eq!(copy.due_date, NaiveDate::from_ymd_opt(2027, 1, 14), "the same 30 days of terms");
        assert_eq!(copy.source, None, "a duplicate is not a conversion");
        assert_eq!(copy.totals().unwrap(), quote.totals().unwrap());
    }

    #[test]
    fn a_section_title_counts_for_nothing_and_carries_no_amount() {
        let section = DocumentLine {
            description: "Lot 2 — Finitions".into(),
            quantity: Decimal::ZERO,
            unit_price: Decimal::ZERO,
            section: true,
            ..line(dec!(1), dec!(0), dec!(0), dec!(20))
        };
        let mut doc = invoice(vec![line(dec!(2), dec!(100), dec!(0), dec!(20)), section.clone()]);
        let alone = invoice(vec![line(dec!(2), dec!(100), dec!(0), dec!(20))]);
        assert_eq!(doc.totals().unwrap(), alone.totals().unwrap(), "the title adds nothing");
        assert_eq!(section.net_amount().unwrap(), Decimal::ZERO);
        doc.issue(Some("F-12".into())).unwrap();
        let priced = DocumentLine { unit_price: dec!(5), ..section.clone() };
        assert_eq!(priced.validate().unwrap_err().code(), "section_line_amounts");
        let untitled = DocumentLine { description: String::new(), ..section };
        assert_eq!(untitled.ensure_complete().unwrap_err().code(), "field_required");
    }

    #[test]
    fn due_date_not_before_issue_date() {
        let mut inv = invoice(vec![line(dec!(1), dec!(100), dec!(0), dec!(20))]);
        inv.due_date = inv.issue_date.pred_opt();
        assert_eq!(inv.validate().unwrap_err().code(), "due_date_before_issue");
    }
}
