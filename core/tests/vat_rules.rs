//! Property tests of the document rules over random documents: the VAT categories'
//! rules, totals that always add up (or an error, never a panic), and credit notes that
//! never exceed their invoice whatever is tried, through the same rules the server runs.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::collections::HashMap;

use chrono::NaiveDate;
use comptoir_core::model::{
    Address, Company, CompanyId, ContactId, Country, Currency, Document, DocumentId, DocumentKind, DocumentLine,
    DocumentStatus, MAX_AMOUNT, NumberingSeries, PartySnapshot, VatCategory, VatNumber, VatRate,
};
use comptoir_core::sync::rules::{self, Numbering, Records, RuleError};
use comptoir_core::sync::{Intent, RecordBody, RecordKind, Settings};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

/// A decimal from a mantissa and a scale: ordinary amounts most of the time, and the
/// extremes of the type now and then.
fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        8 => (-100_000_i64..100_000, 0_u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => (any::<i64>(), 0_u32..12).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => Just(Decimal::MAX),
        1 => Just(MAX_AMOUNT),
    ]
}

fn rate() -> impl Strategy<Value = VatRate> {
    prop_oneof![
        Just(Decimal::ZERO),
        Just(Decimal::new(55, 1)),
        Just(Decimal::new(20, 0)),
        Just(Decimal::new(21, 0)),
        Just(Decimal::ONE_HUNDRED),
        (0_i64..10_000).prop_map(|m| Decimal::new(m, 2)),
    ]
    .prop_map(|percent| VatRate::new(percent).unwrap())
}

fn category() -> impl Strategy<Value = Option<VatCategory>> {
    prop_oneof![3 => Just(None), 2 => proptest::sample::select(VatCategory::ALL.to_vec()).prop_map(Some)]
}

fn line() -> impl Strategy<Value = DocumentLine> {
    (decimal(), decimal(), prop_oneof![Just(Decimal::ZERO), decimal()], rate(), category(), any::<bool>()).prop_map(
        |(quantity, unit_price, discount_percent, vat_rate, vat_category, described)| DocumentLine {
            article_id: None,
            description: if described { "Prestation".into() } else { String::new() },
            quantity,
            unit: "u".into(),
            unit_price,
            discount_percent,
            vat_rate,
            vat_category,
            section: false,
        },
    )
}

/// One line of 10 at `rate`, in `category`.
fn ten(rate: VatRate, category: VatCategory) -> DocumentLine {
    DocumentLine {
        article_id: None,
        description: "Ligne".into(),
        quantity: Decimal::ONE,
        unit: String::new(),
        unit_price: Decimal::TEN,
        discount_percent: Decimal::ZERO,
        vat_rate: rate,
        vat_category: Some(category),
        section: false,
    }
}

fn address(country: Country) -> Address {
    Address {
        street: "1 rue de la Paix".into(),
        street2: String::new(),
        postcode: "75002".into(),
        city: "Paris".into(),
        country,
    }
}

fn document(lines: Vec<DocumentLine>, reason: Option<String>) -> Document {
    let customer = PartySnapshot { name: "Client".into(), address: address(Country::France), vat_number: None };
    let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut document = Document::draft(DocumentKind::Invoice, ContactId::new(), customer, date, Currency::EUR);
    document.lines = lines;
    document.vat_exemption_reason = reason;
    document
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any document: `validate` answers without panicking; one it accepts has totals
    /// within range that add up exactly, and each line's category fits its rate.
    #[test]
    fn valid_documents_add_up_and_invalid_ones_say_why(
        lines in proptest::collection::vec(line(), 0..12),
        reason in proptest::option::of("[a-zA-Z ]{0,40}"),
    ) {
        let document = document(lines, reason);
        match document.validate() {
            Ok(()) => {
                let totals = document.totals().unwrap();
                let nets: Decimal = document.lines.iter().map(|l| l.net_amount().unwrap()).sum();
                prop_assert_eq!(totals.net, nets);
                prop_assert_eq!(totals.gross, totals.net + totals.vat);
                prop_assert!(totals.gross.abs() <= MAX_AMOUNT);
                for part in &totals.breakdown {
                    prop_assert!(part.vat.abs() <= part.taxable.abs());
                    prop_assert!(part.category.check_rate(part.rate).is_ok());
                }
                for line in &document.lines {
                    prop_assert_eq!(line.category() == VatCategory::Standard, !line.vat_rate.percent().is_zero());
                }
            }
            Err(e) => prop_assert!(!e.code().is_empty() && !e.to_string().is_empty()),
        }
    }

    /// The category rules of one line: a rate above 0 % exactly when standard.
    #[test]
    fn a_lines_category_decides_its_rate(rate in rate(), category in proptest::sample::select(VatCategory::ALL.to_vec())) {
        let line = ten(rate, category);
        let fits = (category == VatCategory::Standard) != rate.percent().is_zero();
        match line.validate() {
            Ok(()) => prop_assert!(fits),
            Err(e) => {
                prop_assert!(!fits);
                prop_assert_eq!(e.code(), "vat_category_rate");
            }
        }
    }

    /// The rules that need the seller: both VAT numbers for a reverse charge or an
    /// intra-EU supply, a buyer in another EU country for the latter, outside the EU for
    /// an export; an exempt line needs its reason.
    #[test]
    fn the_seller_and_buyer_rules_of_each_category(
        category in proptest::sample::select(VatCategory::ALL.to_vec()),
        seller_vat in any::<bool>(),
        buyer_vat in any::<bool>(),
        buyer_country in proptest::sample::select(vec!["FR", "BE", "DE", "CH", "US"]),
        reason in any::<bool>(),
    ) {
        let rate = if category == VatCategory::Standard { Decimal::new(20, 0) } else { Decimal::ZERO };
        let line = ten(VatRate::new(rate).unwrap(), category);
        let mut document = document(vec![line], reason.then(|| "Motif".to_owned()));
        let buyer = Country::from_code(buyer_country).unwrap();
        document.customer.address = address(buyer.clone());
        document.customer.vat_number = buyer_vat.then(|| VatNumber::parse("BE0417497106").unwrap());
        let seller = company(seller_vat);
        let expected = match category {
            VatCategory::Exempt if !reason => Some("vat_exemption_reason_missing"),
            VatCategory::ReverseCharge | VatCategory::IntraCommunitySupply if !(seller_vat && buyer_vat) => {
                Some("vat_numbers_required")
            }
            VatCategory::IntraCommunitySupply if !buyer.is_eu() || buyer == Country::France => {
                Some("intra_community_buyer_not_in_eu")
            }
            VatCategory::Export if buyer.is_eu() => Some("export_buyer_in_eu"),
            _ => None,
        };
        let checked = document.validate().and_then(|()| document.check_vat(&seller));
        prop_assert_eq!(checked.err().map(|e| e.code()), expected);
    }
}

fn company(with_vat: bool) -> Company {
    Company {
        id: CompanyId::new(),
        legal_name: "Vendeur SARL".into(),
        address: address(Country::France),
        vat_number: with_vat.then(|| VatNumber::parse("FR40303265045").unwrap()),
        national_id: None,
        iban: None,
        bic: None,
        currency: Currency::EUR,
        payment_terms_days: 30,
        legal_form: String::new(),
        share_capital: None,
        register_city: String::new(),
        late_penalty_rate: None,
        vat_exempt: false,
        early_payment_discount: String::new(),
    }
}

/// A company's records in memory, as the rules read and write them.
#[derive(Clone, Default)]
struct Memory {
    records: HashMap<(RecordKind, Uuid), RecordBody>,
    keys: HashMap<(String, String), Uuid>,
}

impl Records for Memory {
    type Error = std::convert::Infallible;
    fn get(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<RecordBody>, Self::Error> {
        Ok(self.records.get(&(kind, id)).cloned())
    }
    fn put(&mut self, kind: RecordKind, id: Uuid, body: Option<&RecordBody>) -> Result<(), Self::Error> {
        match body {
            Some(body) => self.records.insert((kind, id), body.clone()),
            None => self.records.remove(&(kind, id)),
        };
        Ok(())
    }
    fn claim_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<bool, Self::Error> {
        let holder = self.keys.entry((namespace.to_owned(), key.to_owned())).or_insert(owner);
        Ok(*holder == owner)
    }
    fn release_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<(), Self::Error> {
        if self.keys.get(&(namespace.to_owned(), key.to_owned())) == Some(&owner) {
            self.keys.remove(&(namespace.to_owned(), key.to_owned()));
        }
        Ok(())
    }
    fn is_referenced(&mut self, _kind: RecordKind, id: Uuid) -> Result<bool, Self::Error> {
        Ok(self.records.values().any(|body| body.references().contains(&id)))
    }
}

impl PartialEq for Memory {
    fn eq(&self, other: &Self) -> bool {
        self.records == other.records && self.keys == other.keys
    }
}

/// Applies `intent` as the server does: on a copy, kept only when accepted.
fn apply(memory: &mut Memory, company: CompanyId, intent: &Intent) -> Result<(), String> {
    let mut attempt = memory.clone();
    match rules::apply(&mut attempt, company, intent, Numbering::Allocate) {
        Ok(_) => {
            *memory = attempt;
            Ok(())
        }
        Err(RuleError::Rejected { code, .. }) => Err(code.to_owned()),
        Err(other) => panic!("{other:?}"),
    }
}

fn simple_line() -> impl Strategy<Value = DocumentLine> {
    (1_i64..20, 1_i64..50_000, prop_oneof![Just(0_i64), 1_i64..50], rate()).prop_map(|(q, p, d, rate)| DocumentLine {
        article_id: None,
        description: "Prestation".into(),
        quantity: Decimal::from(q),
        unit: "u".into(),
        unit_price: Decimal::new(p, 2),
        discount_percent: Decimal::from(d),
        vat_rate: rate,
        vat_category: None,
        section: false,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Whatever credit notes are attempted against an issued invoice (whole, partial,
    /// larger), those issued never add up to more than the invoice, and a refused one
    /// changes nothing.
    #[test]
    fn credit_notes_never_exceed_their_invoice(
        lines in proptest::collection::vec(simple_line(), 1..6),
        attempts in proptest::collection::vec((proptest::collection::vec(any::<bool>(), 6), 1_i64..4), 1..8),
    ) {
        let seller = company(true);
        let mut memory = Memory::default();
        let settings = Settings {
            company: seller.clone(),
            series: DocumentKind::ALL.iter().map(|k| NumberingSeries::default_for(*k)).collect(),
            accounts: None,
            logo: None,
        };
        memory.records.insert((RecordKind::Settings, seller.id.0), RecordBody::Settings(Box::new(settings)));
        let contact: comptoir_core::model::Contact = serde_json::from_value(serde_json::json!({
            "id": ContactId::new(), "kind": "company", "name": "Client", "is_customer": true, "is_supplier": false,
            "email": null, "phone": null, "vat_number": null, "billing_address": address(Country::France),
            "delivery_address": null, "payment_terms_days": null, "archived": false
        })).unwrap();
        apply(&mut memory, seller.id, &Intent::CreateContact { contact: contact.clone() }).unwrap();
        let mut invoice = document(lines, None);
        invoice.contact_id = contact.id;
        apply(&mut memory, seller.id, &Intent::SaveDraft { document: invoice.clone() }).unwrap();
        apply(&mut memory, seller.id, &Intent::IssueDocument { id: invoice.id }).unwrap();
        let invoice_total = invoice.totals().unwrap().gross;

        let mut credited = Decimal::ZERO;
        for (keep, factor) in attempts {
            // Some of the invoice's lines, at up to three times their quantity.
            let mut credit = Document::credit_note_for(&issued(&memory, invoice.id), invoice.issue_date).unwrap();
            credit.lines = credit
                .lines
                .into_iter()
                .zip(keep.iter().cycle())
                .filter(|(_, keep)| **keep)
                .map(|(mut line, _)| {
                    line.quantity *= Decimal::from(factor);
                    line
                })
                .collect();
            let gross = credit.totals().unwrap().gross;
            apply(&mut memory, seller.id, &Intent::SaveDraft { document: credit.clone() }).unwrap();
            let before = memory.clone();
            match apply(&mut memory, seller.id, &Intent::IssueDocument { id: credit.id }) {
                Ok(()) => credited += gross,
                Err(code) => {
                    prop_assert!(
                        ["credit_note_exceeds_invoice", "document_without_lines"].contains(&code.as_str()),
                        "{}", code
                    );
                    prop_assert!(memory == before, "a refusal changes nothing");
                }
            }
            prop_assert!(credited <= invoice_total, "{} credited on {}", credited, invoice_total);
        }
        let RecordBody::Document(record) = &memory.records[&(RecordKind::Document, invoice.id.0)] else {
            panic!("the invoice")
        };
        prop_assert_eq!(record.credited, credited, "the invoice keeps what was credited");
    }
}

fn issued(memory: &Memory, id: DocumentId) -> Document {
    match &memory.records[&(RecordKind::Document, id.0)] {
        RecordBody::Document(record) => {
            assert_ne!(record.document.status, DocumentStatus::Draft);
            record.document.clone()
        }
        _ => panic!("not a document"),
    }
}
