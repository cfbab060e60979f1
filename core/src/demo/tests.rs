use std::collections::HashMap;

use rust_decimal::Decimal;
use tempfile::TempDir;

use super::*;
use crate::model::{PaymentState, VatNumber, from_cents};

fn generate(dir: &TempDir, name: &str, seed: u64, country: &Country, size: &DemoSize) -> (CompanyStore, DemoReport) {
    create_demo_file(&dir.path().join(name), seed, country, size).unwrap()
}

/// Everything that identifies the generated data, row by row.
fn fingerprint(store: &CompanyStore) -> Vec<String> {
    let conn = store.connection();
    let mut rows = Vec::new();
    for sql in [
        "SELECT hex(id) || name || ifnull(vat_number, '') FROM contacts ORDER BY rid",
        "SELECT hex(id) || code || unit_price || vat_rate FROM articles ORDER BY rid",
        "SELECT hex(id) || kind || status || ifnull(number, '-') || issue_date || gross_cents || paid_cents
         FROM documents ORDER BY rid",
        "SELECT hex(id) || date || amount_cents FROM payments ORDER BY rid",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        rows.extend(stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap));
    }
    rows
}

#[test]
fn same_seed_same_data() {
    let dir = TempDir::new().unwrap();
    let (a, report_a) = generate(&dir, "a.comptoir", 1, &Country::France, &DemoSize::SMALL);
    let (b, report_b) = generate(&dir, "b.comptoir", 1, &Country::France, &DemoSize::SMALL);
    let (c, _) = generate(&dir, "c.comptoir", 2, &Country::France, &DemoSize::SMALL);
    assert_eq!(report_a, report_b);
    assert_eq!(a.company_id(), b.company_id());
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_ne!(fingerprint(&a), fingerprint(&c), "another seed, other data");
}

#[test]
fn report_matches_what_was_written() {
    let dir = TempDir::new().unwrap();
    let (store, report) = generate(&dir, "a.comptoir", 3, &Country::France, &DemoSize::SMALL);
    let counts: HashMap<_, _> = store.table_counts().unwrap().into_iter().map(|(t, s)| (t, s.count)).collect();
    assert_eq!(counts["contacts"], report.contacts);
    assert_eq!(counts["articles"], report.articles);
    assert_eq!(counts["document_lines"], report.document_lines);
    assert_eq!(counts["payments"], report.payments);
    let count = |kind: DocumentKind| store.count_documents(&crate::store::DocumentFilter::kind(kind)).unwrap();
    assert_eq!(count(DocumentKind::Quote), report.quotes);
    assert_eq!(count(DocumentKind::Invoice), report.invoices);
    assert_eq!(count(DocumentKind::CreditNote), report.credit_notes);
    assert_eq!(count(DocumentKind::DeliveryNote), report.delivery_notes);
    assert_eq!(report.contacts, u64::from(DemoSize::SMALL.contacts));
    assert_eq!(report.invoices, u64::from(DemoSize::SMALL.invoices));
}

/// Numbers run 1, 2, 3 … in date order in every series, and each series continues after
/// the last one issued.
#[test]
fn numbers_are_continuous_in_date_order() {
    let dir = TempDir::new().unwrap();
    let (store, _) = generate(&dir, "a.comptoir", 4, &Country::France, &DemoSize::SMALL);
    for kind in DocumentKind::ALL {
        let mut stmt = store
            .connection()
            .prepare("SELECT number FROM documents WHERE kind = ?1 AND number IS NOT NULL ORDER BY issue_date, rid")
            .unwrap();
        let numbers: Vec<String> = stmt.query_map([kind.as_str()], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert!(!numbers.is_empty(), "{kind}");
        for (i, number) in numbers.iter().enumerate() {
            let counter: usize = number.rsplit('-').next().unwrap().parse().unwrap();
            assert_eq!(counter, i + 1, "{kind}: {number}");
        }
        let series = store.numbering_series(kind).unwrap();
        assert_eq!(series.next_number, numbers.len() as u64 + 1);
    }
}

#[test]
fn generated_records_obey_the_rules() {
    let dir = TempDir::new().unwrap();
    let size = DemoSize { invoices: 2_500, credit_notes: 60, delivery_notes: 80, ..DemoSize::SMALL };
    let (store, report) = generate(&dir, "be.comptoir", 5, &Country::Belgium, &size);
    let conn = store.connection();

    // Every contact passes validation, VAT numbers included (Belgian and French).
    let mut countries = std::collections::BTreeSet::new();
    for contact in store.list_contacts(true, 0, 10_000).unwrap() {
        contact.validate().unwrap();
        if let Some(vat) = &contact.vat_number {
            VatNumber::parse(vat.as_str()).unwrap();
            countries.insert(vat.country_code().to_owned());
        }
    }
    assert!(countries.contains("BE"));

    // Every document reads back valid, with its structured communication for invoices.
    let mut stmt = conn.prepare("SELECT id FROM documents").unwrap();
    let ids: Vec<uuid::Uuid> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    for id in ids {
        let doc = store.document(DocumentId(id)).unwrap();
        doc.validate().unwrap();
        assert!(!doc.lines.is_empty());
        if doc.kind == DocumentKind::Invoice && doc.status.is_issued() {
            assert!(doc.structured_communication.is_some(), "BE invoices carry a structured communication");
        }
    }

    // Statuses agree with the payments, and double payments were reported.
    let mut stmt = conn
        .prepare("SELECT status, gross_cents, paid_cents FROM documents WHERE kind = 'invoice' AND status <> 'draft'")
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))).unwrap();
    let mut overpaid = 0;
    for row in rows {
        let (status, gross, paid) = row.unwrap();
        let state = PaymentState::of(from_cents(gross), from_cents(paid));
        assert_eq!(status, state.document_status().as_str());
        if matches!(state, PaymentState::Overpaid { .. }) {
            overpaid += 1;
        }
    }
    assert!(report.double_payments > 0);
    assert_eq!(overpaid, report.double_payments);

    // Credit notes correct issued invoices, within their totals.
    let over: i64 = conn
        .query_row(
            "SELECT count(*) FROM documents i
             WHERE i.kind = 'invoice'
               AND (SELECT ifnull(sum(c.gross_cents), 0) FROM documents c WHERE c.corrects_id = i.id) > i.gross_cents",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(over, 0);
    let credit_notes: i64 = conn
        .query_row("SELECT count(*) FROM documents WHERE kind = 'credit_note' AND corrects_id IS NOT NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(credit_notes > 0);

    // Converted quotes are the sources of invoices.
    let converted: i64 = conn
        .query_row(
            "SELECT count(*) FROM documents q WHERE q.kind = 'quote' AND q.status = 'converted'
               AND EXISTS (SELECT 1 FROM documents i WHERE i.source_id = q.id AND i.kind = 'invoice')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let all_converted: i64 = conn
        .query_row("SELECT count(*) FROM documents WHERE kind = 'quote' AND status = 'converted'", [], |r| r.get(0))
        .unwrap();
    assert!(converted > 0);
    assert_eq!(converted, all_converted);
    assert!(report.payments > 0);
    let total_paid: i64 = conn.query_row("SELECT sum(amount_cents) FROM payments", [], |r| r.get(0)).unwrap();
    assert!(from_cents(total_paid) > Decimal::ZERO);
}

#[test]
fn demo_companies_are_valid() {
    for country in [Country::France, Country::Belgium] {
        let company = demo_company(9, &country);
        company.validate().unwrap();
        assert_eq!(company.vat_number.as_ref().unwrap().country_code(), country.code());
        assert!(company.national_id.is_some(), "{country}");
    }
}
