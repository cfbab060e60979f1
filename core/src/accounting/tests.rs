use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::export::{ExportEntry, FEC_COLUMNS, Format, write_entries};
use super::*;
use crate::model::{
    Address, ContactId, Currency, DocumentLine, DocumentStatus, PartySnapshot, PaymentId, PaymentMethod, VatRate,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn line(price: Decimal, rate: Decimal) -> DocumentLine {
    DocumentLine {
        article_id: None,
        description: "Conseil".into(),
        quantity: Decimal::ONE,
        unit: "h".into(),
        unit_price: price,
        discount_percent: Decimal::ZERO,
        vat_rate: VatRate::new(rate).unwrap(),
        vat_category: None,
        section: false,
    }
}

fn issued(kind: DocumentKind, number: &str, lines: Vec<DocumentLine>) -> Document {
    let customer = PartySnapshot {
        name: "Atelier Dupont".into(),
        address: Address {
            street: "1 rue Haute".into(),
            street2: String::new(),
            postcode: "69001".into(),
            city: "Lyon".into(),
            country: Country::France,
        },
        vat_number: None,
    };
    let mut document = Document::draft(kind, ContactId::new(), customer, day(3), Currency::EUR);
    document.lines = lines;
    document.status = DocumentStatus::Issued;
    document.number = Some(number.into());
    document
}

fn plan() -> AccountPlan {
    AccountPlan::for_country(&Country::France)
}

fn sides(entry: &Entry, account: &str) -> (Decimal, Decimal) {
    entry
        .lines
        .iter()
        .filter(|l| l.account == account)
        .fold((Decimal::ZERO, Decimal::ZERO), |(d, c), l| (d + l.debit, c + l.credit))
}

#[test]
fn an_invoice_debits_the_customer_and_credits_sales_and_vat_per_rate() {
    let invoice =
        issued(DocumentKind::Invoice, "F-2026-0001", vec![line(dec!(100), dec!(20)), line(dec!(50), dec!(5.5))]);
    let entry = entry_of_document(&invoice, &plan()).unwrap().unwrap();
    assert!(entry.is_balanced());
    assert_eq!(entry.journal, Journal::Sales);
    assert_eq!(sides(&entry, "411000"), (dec!(172.75), Decimal::ZERO));
    assert_eq!(sides(&entry, "706000"), (Decimal::ZERO, dec!(150)));
    assert_eq!(sides(&entry, "445710"), (Decimal::ZERO, dec!(22.75)));
    assert_eq!(entry.lines.len(), 5, "the customer, then sales and VAT for each of the two rates");
    assert_eq!(entry.lines[0].aux_account.as_deref(), Some(customer_account(invoice.contact_id.0).as_str()));

    // A credit note books the same on the other sides.
    let mut credit = issued(DocumentKind::CreditNote, "AV-2026-0001", vec![line(dec!(100), dec!(20))]);
    credit.contact_id = invoice.contact_id;
    let reversed = entry_of_document(&credit, &plan()).unwrap().unwrap();
    assert!(reversed.is_balanced());
    assert_eq!(sides(&reversed, "411000"), (Decimal::ZERO, dec!(120)));
    assert_eq!(sides(&reversed, "706000"), (dec!(100), Decimal::ZERO));

    // Drafts, quotes, and documents waiting for their number book nothing.
    let mut draft = invoice.clone();
    draft.status = DocumentStatus::Draft;
    assert!(entry_of_document(&draft, &plan()).unwrap().is_none());
    let mut pending = invoice.clone();
    pending.number = None;
    assert!(entry_of_document(&pending, &plan()).unwrap().is_none());
    assert!(
        entry_of_document(&issued(DocumentKind::Quote, "D-1", vec![line(dec!(1), dec!(20))]), &plan())
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_payment_debits_the_bank_and_credits_the_customer() {
    let payment = Payment {
        id: PaymentId::new(),
        contact_id: None,
        date: day(10),
        amount: dec!(172.75),
        method: PaymentMethod::BankTransfer,
        reference: "VIR 123".into(),
        allocations: Vec::new(),
    };
    let customer = uuid::Uuid::now_v7();
    let entry = entry_of_payment(&payment, Some((customer, "Atelier Dupont")), &plan());
    assert!(entry.is_balanced());
    assert_eq!(entry.journal, Journal::Bank);
    assert_eq!(sides(&entry, "512000"), (dec!(172.75), Decimal::ZERO));
    assert_eq!(sides(&entry, "411000"), (Decimal::ZERO, dec!(172.75)));
    assert_eq!(entry.piece_ref, "VIR 123");
    // Belgium books on its own chart.
    let belgian = entry_of_payment(&payment, None, &AccountPlan::for_country(&Country::Belgium));
    assert_eq!(sides(&belgian, "550000"), (dec!(172.75), Decimal::ZERO));
}

#[test]
fn the_fingerprint_follows_what_the_books_record_and_a_reversal_cancels_its_entry() {
    let invoice = issued(DocumentKind::Invoice, "F-2026-0002", vec![line(dec!(100), dec!(20))]);
    let entry = entry_of_document(&invoice, &plan()).unwrap().unwrap();
    assert_eq!(entry.fingerprint, entry.compute_fingerprint());
    assert_eq!(entry.fingerprint.len(), 32);
    let mut same = invoice.clone();
    same.status = DocumentStatus::Paid;
    assert_eq!(
        entry_of_document(&same, &plan()).unwrap().unwrap().fingerprint,
        entry.fingerprint,
        "being paid books nothing new"
    );
    let mut changed = invoice;
    changed.lines[0].unit_price = dec!(110);
    assert_ne!(entry_of_document(&changed, &plan()).unwrap().unwrap().fingerprint, entry.fingerprint);

    let reversal = entry.reversal_of(day(20));
    assert!(reversal.reversal && reversal.is_balanced());
    assert_eq!((reversal.date, reversal.fingerprint.as_str()), (day(20), entry.fingerprint.as_str()));
    for (a, b) in entry.lines.iter().zip(&reversal.lines) {
        assert_eq!((a.debit, a.credit), (b.credit, b.debit));
    }
}

#[test]
fn a_batch_is_refused_when_empty_unbalanced_or_numbered_with_a_gap() {
    let invoice = issued(DocumentKind::Invoice, "F-2026-0003", vec![line(dec!(100), dec!(20))]);
    let mut entry = entry_of_document(&invoice, &plan()).unwrap().unwrap();
    entry.number = Some(1);
    let batch = |entries: Vec<Entry>| PostBatch { id: uuid::Uuid::now_v7(), from: None, to: day(30), entries };
    batch(vec![entry.clone()]).validate().unwrap();
    assert_eq!(batch(Vec::new()).validate(), Err(BatchError::Empty));
    let mut second = entry.reversal_of(day(4));
    second.number = Some(3);
    assert_eq!(batch(vec![entry.clone(), second.clone()]).validate(), Err(BatchError::Numbering));
    second.number = Some(2);
    batch(vec![entry.clone(), second]).validate().unwrap();
    let wrong_way = PostBatch { from: Some(day(30)), to: day(1), ..batch(vec![entry.clone()]) };
    assert_eq!(wrong_way.validate(), Err(BatchError::Period));
    let mut unbalanced = entry;
    unbalanced.lines[0].debit += dec!(0.01);
    assert_eq!(batch(vec![unbalanced]).validate().unwrap_err().code(), "entry_unbalanced");
}

#[test]
fn the_fec_has_its_18_columns_tab_separated_with_comma_decimals() {
    let invoice = issued(DocumentKind::Invoice, "F-2026-0004", vec![line(dec!(1234.5), dec!(20))]);
    let entry = entry_of_document(&invoice, &plan()).unwrap().unwrap();
    let mut out = Vec::new();
    let export = ExportEntry { entry, number: 7, validated: Some(day(30)) };
    let summary = write_entries(&mut out, Format::Fec, &plan(), vec![export]).unwrap();
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], FEC_COLUMNS.to_vec());
    assert_eq!(rows.len(), 4, "a header and three lines");
    assert!(rows.iter().all(|r| r.len() == 18));
    let customer = &rows[1];
    assert_eq!(&customer[..4], &["VE", "Journal des ventes", "7", "20261103"]);
    assert_eq!((customer[4], customer[8], customer[9]), ("411000", "F-2026-0004", "20261103"));
    assert_eq!((customer[11], customer[12], customer[15]), ("1481,40", "0,00", "20261130"));
    assert_eq!((summary.entries, summary.lines, summary.debit, summary.credit), (1, 3, dec!(1481.40), dec!(1481.40)));
}
