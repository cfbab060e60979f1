//! Store tests on real SQLite files in temporary folders.

use std::path::PathBuf;

use chrono::NaiveDate;
use rusqlite::OptionalExtension as _;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tempfile::TempDir;

use super::*;
use crate::demo::{self, DemoSize};
use crate::model::{
    Address, Allocation, Article, ArticleId, Company, CompanyId, Contact, ContactId, ContactKind, Country, Currency,
    Document, DocumentKind, DocumentLine, DocumentStatus, PartySnapshot, Payment, PaymentAnomaly, PaymentId,
    PaymentMethod, PaymentState, VatRate,
};

fn latest_version() -> u32 {
    super::migrate::COMPANY_MIGRATIONS.last().unwrap().version
}

fn company(name: &str) -> Company {
    let mut company = demo::demo_company(7, &Country::France);
    company.id = CompanyId::new();
    name.clone_into(&mut company.legal_name);
    company
}

fn new_store(dir: &TempDir, file: &str) -> (CompanyStore, PathBuf) {
    let path = dir.path().join(file);
    (CompanyStore::create(&path, &company("Atelier Test SARL")).unwrap(), path)
}

fn address() -> Address {
    Address {
        street: "8 rue Pasteur".into(),
        street2: String::new(),
        postcode: "69007".into(),
        city: "Lyon".into(),
        country: Country::France,
    }
}

fn contact(name: &str) -> Contact {
    Contact {
        id: ContactId::new(),
        kind: ContactKind::Company,
        name: name.into(),
        is_customer: true,
        is_supplier: false,
        email: None,
        phone: None,
        vat_number: None,
        billing_address: address(),
        delivery_address: None,
        payment_terms_days: None,
        archived: false,
        language: None,
        peppol_id: None,
    }
}

fn article(code: &str) -> Article {
    Article {
        id: ArticleId::new(),
        code: code.into(),
        name: "Heure de conseil".into(),
        unit: "h".into(),
        unit_price: dec!(85),
        vat_rate: VatRate::new(dec!(20)).unwrap(),
        archived: false,
    }
}

fn invoice_for(contact: &Contact, lines: &[(Decimal, Decimal)]) -> Document {
    let customer =
        PartySnapshot { name: contact.name.clone(), address: contact.billing_address.clone(), vat_number: None };
    let mut doc = Document::draft(
        DocumentKind::Invoice,
        contact.id,
        customer,
        NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        Currency::EUR,
    );
    doc.lines = lines
        .iter()
        .map(|&(quantity, unit_price)| DocumentLine {
            article_id: None,
            description: "Prestation".into(),
            quantity,
            unit: "h".into(),
            unit_price,
            discount_percent: Decimal::ZERO,
            vat_rate: VatRate::new(dec!(20)).unwrap(),
            vat_category: None,
            section: false,
        })
        .collect();
    doc
}

#[test]
fn a_contact_keeps_its_peppol_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = new_store(&dir, "peppol.comptoir");
    let mut with = contact("Brasserie Lambic");
    with.peppol_id = Some("0208:0403170701".parse().unwrap());
    let without = contact("Sans identifiant");
    store
        .write(|tx| {
            tx.insert_contact(&with)?;
            tx.insert_contact(&without)
        })
        .unwrap();
    assert_eq!(store.contact(with.id).unwrap(), with);
    assert_eq!(store.contact(without.id).unwrap().peppol_id, None);
    // Changed, then removed.
    with.peppol_id = Some("9925:BE0403170701".parse().unwrap());
    store.write(|tx| tx.update_contact(&with)).unwrap();
    assert_eq!(store.contact(with.id).unwrap(), with);
    with.peppol_id = None;
    store.write(|tx| tx.update_contact(&with)).unwrap();
    assert_eq!(store.contact(with.id).unwrap().peppol_id, None);
}

#[test]
fn new_file_uses_wal_full_sync_foreign_keys_and_8_kib_pages() {
    let dir = TempDir::new().unwrap();
    let (store, path) = new_store(&dir, "a.comptoir");
    let conn = store.connection();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    let page_size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
    assert_eq!(page_size, i64::from(super::PAGE_SIZE));
    assert_eq!(store.schema_version().unwrap(), latest_version());
    let info = CompanyStore::identify(&path).unwrap();
    assert_eq!(info.company_id, store.company_id());
    assert_eq!(info.legal_name, "Atelier Test SARL");
    assert_eq!(store.company().unwrap().legal_name, "Atelier Test SARL");
    assert_eq!(store.numbering_series(DocumentKind::Invoice).unwrap().prefix, "FA-");
}

/// A statement is compiled once, whatever values are bound to it. Without the query
/// planner stability guarantee, SQLite compiled the ledger's payer lookup again at every
/// payment of a first download (seen in the `first_download` benchmark's profile: 40 % of
/// its payments' time in the SQL parser). This small company does not bring that about
/// by itself: the guarantee is checked on, and the lookup checked compiled once.
#[test]
fn statements_are_not_compiled_again_for_each_value_bound() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = demo_store(&dir, &DemoSize::SMALL);
    // As during a first download, which ran the lookup below for each payment.
    store.set_indexes_aside().unwrap();
    let conn = store.connection();
    assert!(conn.db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG).unwrap());
    let payments: Vec<uuid::Uuid> = conn
        .prepare("SELECT id FROM payments LIMIT 20")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(payments.len() >= 10, "the demo company has payments");
    for query in [super::ledger::PAYER, "SELECT count(*) FROM documents WHERE id = ?1 AND number IS NOT NULL"] {
        let mut stmt = conn.prepare(query).unwrap();
        for payment in &payments {
            let mut rows = stmt.query([payment]).unwrap();
            rows.next().unwrap();
        }
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0, "{query}");
    }
}

#[test]
fn create_refuses_to_overwrite() {
    let dir = TempDir::new().unwrap();
    let (_store, path) = new_store(&dir, "a.comptoir");
    let err = CompanyStore::create(&path, &company("Other")).unwrap_err();
    assert_eq!(err.code(), "file_exists");
}

#[test]
fn migrating_an_old_file_takes_a_backup_first_and_indexes_old_rows() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("old.comptoir");
    let c = contact("Société Générale des Eaux");
    {
        // A version-1 file (before full-text search) holding a contact.
        let mut store = CompanyStore::create_at_schema(&path, &company("Old SARL"), Some(1)).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
        store.write(|tx| tx.insert_contact(&c)).unwrap();
    }
    let store = CompanyStore::open(&path).unwrap();
    let report = store.migration().unwrap().clone();
    assert_eq!((report.from_version, report.to_version), (1, latest_version()));
    let backup = report.backup.expect("a backup was taken");
    assert!(backup.exists());
    assert_eq!(CompanyStore::identify(&backup).unwrap().schema_version, 1, "the backup is the old file");
    let hits = store.search("societe generale", 10).unwrap();
    assert_eq!(hits.len(), 1, "rows written before the migration are searchable");
    assert_eq!(hits[0].title, "Société Générale des Eaux");
    // Opening it again migrates nothing and copies nothing.
    drop(store);
    let again = CompanyStore::open(&path).unwrap();
    assert_eq!(again.migration().unwrap().backup, None);
}

#[test]
fn a_file_from_a_newer_version_is_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let (store, path) = new_store(&dir, "new.comptoir");
    store.connection().pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let err = CompanyStore::open(&path).unwrap_err();
    assert_eq!(err.code(), "file_from_newer_version");
}

/// A writer killed in the middle of a rollback-journal transaction (the moment a new
/// file switches to WAL) leaves a hot journal. The next reader, read-only, cannot roll it
/// back itself (`SQLITE_READONLY_ROLLBACK`): it has it rolled back and reads the file as
/// it was before that transaction. Made here by copying a file and its journal while a
/// transaction is open, which is what a kill leaves.
#[test]
fn a_hot_journal_left_by_a_killed_writer_is_rolled_back_before_reading() {
    let dir = TempDir::new().unwrap();
    let (store, path) = new_store(&dir, "atelier.comptoir");
    let id = store.company_id();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    conn.pragma_update(None, "cache_size", 1).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE; CREATE TABLE filler (x BLOB);").unwrap();
    for _ in 0..200 {
        conn.execute("INSERT INTO filler VALUES (zeroblob(4096))", []).unwrap();
    }
    conn.execute("UPDATE company SET legal_name = 'Pas encore validé'", []).unwrap();
    let killed = dir.path().join("killed.comptoir");
    std::fs::copy(&path, &killed).unwrap();
    std::fs::copy(dir.path().join("atelier.comptoir-journal"), dir.path().join("killed.comptoir-journal")).unwrap();
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);

    let info = CompanyStore::identify(&killed).unwrap();
    assert_eq!((info.company_id, info.legal_name.as_str()), (id, "Atelier Test SARL"));
    assert!(!dir.path().join("killed.comptoir-journal").exists(), "rolled back");
    let reader = CompanyStore::open_read_only(&killed).unwrap();
    assert_eq!(reader.company_id(), id);
    CompanyStore::open_expecting(&killed, id).unwrap();
}

#[test]
fn a_company_file_is_recognised_after_being_renamed() {
    let dir = TempDir::new().unwrap();
    let (store, path) = new_store(&dir, "atelier.comptoir");
    let id = store.company_id();
    drop(store);
    let app = AppStore::open(&dir.path().join(AppStore::FILE_NAME)).unwrap();
    app.upsert_company(&LocalCompany {
        company_id: id,
        account: None,
        name: "Atelier Test SARL".into(),
        file_path: path.clone(),
        active: true,
    })
    .unwrap();
    assert_eq!(app.check_company_file(id).unwrap(), CompanyFileCheck::Attached);

    // The user renames the file and moves it into a sub-folder.
    std::fs::create_dir(dir.path().join("archives")).unwrap();
    let moved = dir.path().join("archives").join("compta 2026.comptoir");
    std::fs::rename(&path, &moved).unwrap();
    assert_eq!(app.check_company_file(id).unwrap(), CompanyFileCheck::Missing);

    // Another company's file now sits at the old path: it is not taken for ours.
    let other = CompanyStore::create(&path, &company("Autre SAS")).unwrap();
    let other_id = other.company_id();
    drop(other);
    assert_eq!(app.check_company_file(id).unwrap(), CompanyFileCheck::OtherCompany { found: other_id });
    assert_eq!(app.relink_company(id, &path).unwrap_err().code(), "wrong_company_file");

    let found = app.find_company_file(id, &[dir.path()]).unwrap();
    assert_eq!(found.as_deref(), Some(moved.as_path()), "recognised by the id inside, whatever its name");
    app.relink_company(id, &moved).unwrap();
    assert_eq!(app.check_company_file(id).unwrap(), CompanyFileCheck::Attached);
    assert_eq!(app.active_company().unwrap().unwrap().file_path, moved);
    assert_eq!(CompanyStore::open_expecting(&moved, id).unwrap().company_id(), id);
    assert_eq!(CompanyStore::open_expecting(&path, id).unwrap_err().code(), "wrong_company_file");
}

#[test]
fn app_file_keeps_accounts_server_and_one_active_company() {
    let dir = TempDir::new().unwrap();
    let app = AppStore::open(&dir.path().join(AppStore::FILE_NAME)).unwrap();
    assert_eq!(app.server_url().unwrap(), None);
    app.set_server_url("https://sync.comptoir.example").unwrap();
    let user = crate::model::UserId::new();
    app.upsert_account(&LocalAccount {
        user_id: user,
        email: "claire@atelier.fr".into(),
        display_name: "Claire".into(),
        server_url: "https://sync.comptoir.example".into(),
    })
    .unwrap();
    let (a, b) = (CompanyId::new(), CompanyId::new());
    for (id, name) in [(a, "A"), (b, "B")] {
        app.upsert_company(&LocalCompany {
            company_id: id,
            account: Some(user),
            name: name.into(),
            file_path: dir.path().join(format!("{name}.comptoir")),
            active: false,
        })
        .unwrap();
    }
    app.set_active_company(a).unwrap();
    app.set_active_company(b).unwrap();
    let active: Vec<_> = app.companies().unwrap().into_iter().filter(|c| c.active).map(|c| c.company_id).collect();
    assert_eq!(active, vec![b]);
    assert_eq!(app.set_active_company(CompanyId::new()).unwrap_err().code(), "not_found");
    assert_eq!(app.active_company().unwrap().unwrap().company_id, b, "a refused switch changes nothing");
    drop(app);
    let app = AppStore::open(&dir.path().join(AppStore::FILE_NAME)).unwrap();
    assert_eq!(app.server_url().unwrap().as_deref(), Some("https://sync.comptoir.example"));
    assert_eq!(app.accounts().unwrap()[0].email, "claire@atelier.fr");
}

#[test]
fn app_file_moves_a_server_to_its_new_address() {
    let dir = TempDir::new().unwrap();
    let app = AppStore::open(&dir.path().join(AppStore::FILE_NAME)).unwrap();
    let (old, new, other) = ("http://127.0.0.1:40001", "http://127.0.0.1:40002", "https://sync.comptoir.example");
    assert!(!app.move_server(old, new).unwrap(), "nothing kept yet: nothing moves");
    app.set_server_url(old).unwrap();
    let account = |email: &str, server_url: &str| LocalAccount {
        user_id: crate::model::UserId::new(),
        email: email.into(),
        display_name: email.into(),
        server_url: server_url.into(),
    };
    let (here, elsewhere) = (account("claire@atelier.fr", old), account("marc@atelier.fr", other));
    app.upsert_account(&here).unwrap();
    app.upsert_account(&elsewhere).unwrap();

    assert!(app.move_server(old, new).unwrap());
    assert_eq!(app.server_url().unwrap().as_deref(), Some(new));
    let kept: Vec<_> = app.accounts().unwrap().into_iter().map(|a| (a.email, a.server_url)).collect();
    assert_eq!(kept, vec![(here.email, new.to_owned()), (elsewhere.email, other.to_owned())], "only `from` moves");
    assert!(!app.move_server(old, new).unwrap(), "moved once");
}

#[test]
fn records_round_trip() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let mut c = contact("Menuiserie Dubois");
    c.vat_number = Some(crate::model::VatNumber::parse("FR40303265045").unwrap());
    c.delivery_address = Some(Address { city: "Villeurbanne".into(), ..address() });
    let a = article("CONSEIL-H");
    let mut doc = invoice_for(&c, &[(dec!(2), dec!(100)), (dec!(1.5), dec!(85.333))]);
    doc.lines[1].article_id = Some(a.id);
    doc.notes = "Merci de votre confiance.".into();
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_article(&a)?;
            tx.insert_document(&doc)
        })
        .unwrap();
    assert_eq!(store.contact(c.id).unwrap(), c);
    assert_eq!(store.article(a.id).unwrap(), a);
    assert_eq!(store.article_by_code("conseil-h").unwrap().unwrap().id, a.id);
    assert_eq!(store.document(doc.id).unwrap(), doc);
}

#[test]
fn updates_change_the_record_in_place_and_refuse_unknown_ones() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let mut c = contact("Garage Martin");
    let mut a = article("PNEU-16");
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_article(&a)
        })
        .unwrap();
    c.archived = true;
    c.email = Some("atelier@garage-martin.fr".into());
    a.unit_price = dec!(89.90);
    let mut company = store.company().unwrap();
    company.legal_name = "Atelier Test SAS".into();
    company.payment_terms_days = 45;
    store
        .write(|tx| {
            tx.update_contact(&c)?;
            tx.update_article(&a)?;
            tx.update_company(&company)
        })
        .unwrap();
    assert_eq!(store.contact(c.id).unwrap(), c);
    assert_eq!(store.article(a.id).unwrap(), a);
    assert_eq!(store.company().unwrap(), company);
    let rid: i64 =
        store.connection().query_row("SELECT rid FROM contacts WHERE id = ?1", [c.id.0], |r| r.get(0)).unwrap();
    assert_eq!(rid, 1, "updated in place");
    let err = store.write(|tx| tx.update_contact(&contact("Nobody"))).unwrap_err();
    assert_eq!(err.code(), "not_found");
    let err = store.write(|tx| tx.insert_contact(&c)).unwrap_err();
    assert_eq!(err.code(), "already_exists");
    // An invalid change is refused by the model's rules before anything is written.
    c.name = String::new();
    assert_eq!(store.write(|tx| tx.update_contact(&c)).unwrap_err().code(), "field_required");
    assert_eq!(store.contact(c.id).unwrap().name, "Garage Martin");
}

#[test]
fn article_codes_are_unique_per_company() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    store.write(|tx| tx.insert_article(&article("DEV-1"))).unwrap();
    let err = store.write(|tx| tx.insert_article(&article("dev-1"))).unwrap_err();
    assert_eq!(err.code(), "article_code_taken");
    assert_eq!(store.table_counts().unwrap()[1], ("articles", TableStats { count: 1 }));
}

#[test]
fn an_issued_invoice_cannot_be_edited_or_deleted() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let c = contact("Garage Martin");
    let mut doc = invoice_for(&c, &[(dec!(1), dec!(100))]);
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_document(&doc)
        })
        .unwrap();
    // Editing the draft is fine, and issuing it is an edit of the draft.
    doc.lines[0].quantity = dec!(2);
    store.write(|tx| tx.update_draft(&doc)).unwrap();
    doc.issue(Some("FA-2026-00001".into())).unwrap();
    store.write(|tx| tx.update_draft(&doc)).unwrap();
    let stored = store.document(doc.id).unwrap();
    assert_eq!(stored.status, DocumentStatus::Issued);
    assert_eq!(stored.totals().unwrap().gross, dec!(240));

    let mut tampered = stored.clone();
    tampered.lines[0].unit_price = dec!(1);
    let err = store.write(|tx| tx.update_draft(&tampered)).unwrap_err();
    assert_eq!(err.code(), "document_not_editable");
    assert_eq!(err.to_string(), "This invoice is issued: only a draft can be changed.");
    assert_eq!(store.write(|tx| tx.delete_draft(doc.id)).unwrap_err().code(), "document_not_editable");
    assert_eq!(store.document(doc.id).unwrap(), stored, "nothing changed");
}

#[test]
fn numbers_are_unique_per_kind() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let c = contact("Garage Martin");
    let mut first = invoice_for(&c, &[(dec!(1), dec!(100))]);
    first.issue(Some("FA-2026-00001".into())).unwrap();
    let mut second = invoice_for(&c, &[(dec!(1), dec!(50))]);
    second.issue(None).unwrap();
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_document(&first)?;
            tx.insert_document(&second)
        })
        .unwrap();
    let err = store.write(|tx| tx.assign_number(second.id, "FA-2026-00001")).unwrap_err();
    assert_eq!(err.code(), "number_taken");
    store.write(|tx| tx.assign_number(second.id, "FA-2026-00002")).unwrap();
    assert_eq!(store.document(second.id).unwrap().number.as_deref(), Some("FA-2026-00002"));
}

#[test]
fn payments_settle_invoices_and_double_payments_are_reported() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let c = contact("Fleuriste Roux");
    let mut inv = invoice_for(&c, &[(dec!(1), dec!(100))]); // 120.00 with VAT
    let draft = invoice_for(&c, &[(dec!(1), dec!(10))]);
    inv.issue(Some("FA-2026-00001".into())).unwrap();
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_document(&inv)?;
            tx.insert_document(&draft)
        })
        .unwrap();
    let pay = |amount: Decimal, doc| Payment {
        id: PaymentId::new(),
        contact_id: Some(c.id),
        date: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
        amount,
        method: PaymentMethod::BankTransfer,
        reference: "VIR".into(),
        allocations: vec![Allocation { document_id: doc, amount }],
    };
    let partial = store.write(|tx| tx.record_payment(&pay(dec!(20), inv.id))).unwrap();
    assert_eq!(partial[0].1.after, PaymentState::PartiallyPaid { remaining: dec!(100) });
    assert_eq!(store.document(inv.id).unwrap().status, DocumentStatus::PartiallyPaid);
    let first_full = pay(dec!(100), inv.id);
    let full = store.write(|tx| tx.record_payment(&first_full)).unwrap();
    assert_eq!(full[0].1.after, PaymentState::Paid);
    assert_eq!(full[0].1.anomaly, None);
    let double = store.write(|tx| tx.record_payment(&pay(dec!(100), inv.id))).unwrap();
    assert_eq!(double[0].1.anomaly, Some(PaymentAnomaly::DoublePayment { previous: first_full.id, excess: dec!(100) }));
    assert_eq!(store.document(inv.id).unwrap().status, DocumentStatus::Paid);
    let stored = store.payment(first_full.id).unwrap();
    assert_eq!(stored, first_full);

    // A payment on a draft is refused and leaves nothing behind.
    let refused = pay(dec!(12), draft.id);
    let err = store.write(|tx| tx.record_payment(&refused)).unwrap_err();
    assert_eq!(err.code(), "payment_on_unissued_document");
    assert_eq!(store.payment(refused.id).unwrap_err().code(), "not_found");
}

#[test]
fn credit_notes_never_exceed_their_invoice() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let c = contact("Librairie Petit");
    let mut inv = invoice_for(&c, &[(dec!(2), dec!(50)), (dec!(1), dec!(30))]); // 156.00
    inv.issue(Some("FA-2026-00001".into())).unwrap();
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_document(&inv)
        })
        .unwrap();
    let date = inv.issue_date;
    let mut first = Document::credit_note_for(&inv, date).unwrap();
    first.lines.truncate(1); // 120.00
    first.issue(Some("AV-2026-00001".into())).unwrap();
    store.write(|tx| tx.insert_document(&first)).unwrap();
    let mut second = Document::credit_note_for(&inv, date).unwrap(); // 156.00 more: too much
    second.issue(Some("AV-2026-00002".into())).unwrap();
    let err = store.write(|tx| tx.insert_document(&second)).unwrap_err();
    assert_eq!(err.code(), "credit_note_exceeds_invoice");
    second.lines.remove(0); // 36.00: exactly what is left
    store.write(|tx| tx.insert_document(&second)).unwrap();
}

#[test]
fn a_read_only_store_refuses_writes() {
    let dir = TempDir::new().unwrap();
    let (_store, path) = new_store(&dir, "a.comptoir");
    let mut reader = CompanyStore::open_read_only(&path).unwrap();
    let err = reader.write(|tx| tx.insert_contact(&contact("X"))).unwrap_err();
    assert_eq!(err.code(), "read_only");
}

fn demo_store(dir: &TempDir, size: &DemoSize) -> (CompanyStore, PathBuf) {
    let path = dir.path().join("demo.comptoir");
    let (store, _) = demo::create_demo_file(&path, 42, &Country::France, size).unwrap();
    (store, path)
}

/// Every row of a list, read page after page in both directions, is the list a plain
/// `ORDER BY` gives.
#[test]
fn paging_walks_every_row_once_in_both_directions() {
    let dir = TempDir::new().unwrap();
    let (store, _) = demo_store(&dir, &DemoSize { invoices: 700, ..DemoSize::SMALL });
    let filter = DocumentFilter::kind(DocumentKind::Invoice);
    let total = store.count_documents(&filter).unwrap();
    assert!(total >= 700);
    for sort in [DocumentSort::Date, DocumentSort::Number, DocumentSort::Customer] {
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            let expected = expected_order(store.connection(), sort, direction);
            let mut forward = Vec::new();
            let mut page = store.list_documents(&filter, sort, direction, &PageRequest::First, 64).unwrap();
            loop {
                forward.extend(page.rows.iter().map(|r| r.id));
                if !page.more {
                    break;
                }
                let last = page.rows.last().unwrap().cursor.clone();
                page = store.list_documents(&filter, sort, direction, &PageRequest::After(last), 64).unwrap();
            }
            assert_eq!(forward, expected, "{sort:?} {direction:?} forward");

            let mut backward = Vec::new();
            let mut page = store.list_documents(&filter, sort, direction, &PageRequest::Last, 64).unwrap();
            loop {
                backward.splice(0..0, page.rows.iter().map(|r| r.id));
                if !page.more {
                    break;
                }
                let first = page.rows.first().unwrap().cursor.clone();
                page = store.list_documents(&filter, sort, direction, &PageRequest::Before(first), 64).unwrap();
            }
            assert_eq!(backward, expected, "{sort:?} {direction:?} backward");

            let jump = store.list_documents(&filter, sort, direction, &PageRequest::Offset(300), 64).unwrap();
            let ids: Vec<_> = jump.rows.iter().map(|r| r.id).collect();
            assert_eq!(ids, expected[300..364], "{sort:?} {direction:?} offset");

            // Bookmarks every 100 rows: row N is N % 100 rows after bookmark N / 100 - 1.
            let bookmarks = store.list_bookmarks(&filter, sort, direction, 100).unwrap();
            assert_eq!(bookmarks.len() as u64, total / 100);
            for row in [100_usize, 345, 699] {
                let request = PageRequest::AfterSkipping(bookmarks[row / 100 - 1].clone(), (row % 100) as u64);
                let page = store.list_documents(&filter, sort, direction, &request, 5).unwrap();
                let ids: Vec<_> = page.rows.iter().map(|r| r.id).collect();
                let end = (row + 5).min(expected.len());
                assert_eq!(ids, expected[row..end], "{sort:?} {direction:?} row {row} by bookmark");
            }
        }
    }
}

fn expected_order(
    conn: &rusqlite::Connection,
    sort: DocumentSort,
    direction: SortDirection,
) -> Vec<crate::model::DocumentId> {
    let dir = if direction == SortDirection::Ascending { "ASC" } else { "DESC" };
    let keys = match sort {
        DocumentSort::Date => format!("issue_date {dir}, rid {dir}"),
        DocumentSort::Number => format!("ifnull(number, '') {dir}, rid {dir}"),
        DocumentSort::Customer => format!("customer_key {dir}, issue_date {dir}, rid {dir}"),
    };
    let mut stmt =
        conn.prepare(&format!("SELECT id FROM documents NOT INDEXED WHERE kind = 'invoice' ORDER BY {keys}")).unwrap();
    stmt.query_map([], |r| Ok(crate::model::DocumentId(r.get(0)?))).unwrap().map(Result::unwrap).collect()
}

/// The list queries never scan the documents table and never sort: each page is read
/// from the index of its sort order.
#[test]
fn list_pages_are_read_through_indexes() {
    let dir = TempDir::new().unwrap();
    let (store, _) = demo_store(&dir, &DemoSize { invoices: 300, ..DemoSize::SMALL });
    store.connection().execute_batch("ANALYZE").unwrap();
    let filter = DocumentFilter::kind(DocumentKind::Invoice);
    let dated = DocumentFilter {
        from: NaiveDate::from_ymd_opt(2025, 1, 1),
        to: NaiveDate::from_ymd_opt(2025, 12, 31),
        ..filter.clone()
    };
    for sort in [DocumentSort::Date, DocumentSort::Number, DocumentSort::Customer] {
        let index = match sort {
            DocumentSort::Date => "documents_by_date",
            DocumentSort::Number => "documents_by_number",
            DocumentSort::Customer => "documents_by_customer",
        };
        let cursor =
            store.list_documents(&filter, sort, SortDirection::Ascending, &PageRequest::First, 10).unwrap().rows[5]
                .cursor
                .clone();
        for direction in [SortDirection::Ascending, SortDirection::Descending] {
            for request in [
                PageRequest::First,
                PageRequest::Last,
                PageRequest::After(cursor.clone()),
                PageRequest::Before(cursor.clone()),
                PageRequest::Offset(500_000),
            ] {
                let plan = store.list_documents_plan(&filter, sort, direction, &request, 50).unwrap().join(" | ");
                assert!(plan.contains(index), "{sort:?} {direction:?} {request:?}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{sort:?} {request:?} sorts: {plan}");
                assert!(
                    !plan.contains("SCAN documents") || plan.contains("USING INDEX"),
                    "{sort:?} {request:?} scans the table: {plan}"
                );
            }
        }
        if sort == DocumentSort::Date {
            let plan = store
                .list_documents_plan(&dated, sort, SortDirection::Descending, &PageRequest::First, 50)
                .unwrap()
                .join(" | ");
            assert!(plan.contains("SEARCH documents USING INDEX documents_by_date"), "{plan}");
        }
    }
}

#[test]
fn full_text_search_finds_contacts_articles_and_documents() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let mut c = contact("Boulangerie Lefèvre");
    c.email = Some("contact@lefevre.fr".into());
    let a = article("PAIN-CAMP");
    let mut inv = invoice_for(&c, &[(dec!(1), dec!(10))]);
    inv.issue(Some("FA-2026-00042".into())).unwrap();
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_article(&Article { name: "Pain de campagne".into(), ..a.clone() })?;
            tx.insert_document(&inv)
        })
        .unwrap();
    let kinds_in =
        |store: &CompanyStore, q: &str| store.search(q, 10).unwrap().into_iter().map(|h| h.kind).collect::<Vec<_>>();
    let kinds = |q: &str| kinds_in(&store, q);
    assert_eq!(kinds("lefevre"), vec![SearchKind::Contact, SearchKind::Document(DocumentKind::Invoice)]);
    assert_eq!(kinds("boul"), vec![SearchKind::Contact, SearchKind::Document(DocumentKind::Invoice)]);
    assert_eq!(kinds("campagne"), vec![SearchKind::Article]);
    assert_eq!(kinds("00042"), vec![SearchKind::Document(DocumentKind::Invoice)]);
    assert_eq!(store.search("FA-2026-00042", 10).unwrap()[0].title, "FA-2026-00042");
    assert!(kinds("\"unbalanced OR (").is_empty(), "odd input is not an error");
    // Renaming re-indexes.
    c.name = "Pâtisserie Lefèvre".into();
    store.write(|tx| tx.update_contact(&c)).unwrap();
    assert_eq!(kinds_in(&store, "patisserie"), vec![SearchKind::Contact]);
    assert!(!kinds_in(&store, "boulangerie").contains(&SearchKind::Contact));
    assert_search_index_consistent(&store);
}

#[test]
fn pickers_find_customers_and_articles_as_the_user_types() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let mut lefevre = contact("Boulangerie Lefèvre");
    lefevre.email = Some("compta@lefevre.fr".into());
    lefevre.vat_number = Some(crate::model::VatNumber::parse("FR40303265045").unwrap());
    let supplier = Contact { is_customer: false, is_supplier: true, ..contact("Boulons Lefort") };
    let archived = Contact { archived: true, ..contact("Boulangerie Fermée") };
    let dupont = contact("Atelier Dupont");
    store
        .write(|tx| {
            for c in [&lefevre, &supplier, &archived, &dupont] {
                tx.insert_contact(c)?;
            }
            tx.insert_article(&Article { name: "Pain de campagne".into(), ..article("PAIN-CAMP") })?;
            tx.insert_article(&Article { archived: true, ..article("PAIN-OLD") })?;
            tx.insert_article(&article("CONSEIL"))
        })
        .unwrap();
    let names = |q: &str| store.search_customers(q, 8).unwrap().into_iter().map(|c| c.name).collect::<Vec<_>>();
    // By name, email or VAT number; customers only, archived ones left out.
    assert_eq!(names("boul"), vec!["Boulangerie Lefèvre"]);
    assert_eq!(names("compta"), vec!["Boulangerie Lefèvre"]);
    assert_eq!(names("FR4030"), vec!["Boulangerie Lefèvre"]);
    assert_eq!(names("dup"), vec!["Atelier Dupont"]);
    assert!(names("").is_empty() && names("zzz").is_empty());
    let codes = |q: &str| store.search_articles(q, 8).unwrap().into_iter().map(|a| a.code).collect::<Vec<_>>();
    assert_eq!(codes("pain"), vec!["PAIN-CAMP"], "by code or name, not archived");
    assert_eq!(codes("camp"), vec!["PAIN-CAMP"]);
    assert_eq!(codes("conseil"), vec!["CONSEIL"]);
}

#[test]
fn version_14_indexes_contact_prefixes_and_keeps_queued_contacts_once() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("v13.comptoir");
    {
        // A version-13 file: one contact indexed, one still queued by a download cut short.
        let mut store = CompanyStore::create_at_schema(&path, &company("Old SARL"), Some(13)).unwrap();
        store.write(|tx| tx.insert_contact(&contact("Fromagerie Dupont"))).unwrap();
        store.defer_search_indexing(true).unwrap();
        store.write(|tx| tx.insert_contact(&contact("Fonderie Durand"))).unwrap();
    }
    let store = CompanyStore::open(&path).unwrap();
    assert_eq!(store.migration().unwrap().to_version, latest_version());
    let names = |q: &str| store.search_customers(q, 8).unwrap().into_iter().map(|c| c.name).collect::<Vec<_>>();
    // One, two and three letters read the prefix indexes; longer prefixes the terms.
    assert_eq!(names("f"), vec!["Fonderie Durand", "Fromagerie Dupont"]);
    assert_eq!(names("du"), vec!["Fonderie Durand", "Fromagerie Dupont"]);
    assert_eq!(names("dur"), vec!["Fonderie Durand"]);
    assert_eq!(names("dupo"), vec!["Fromagerie Dupont"]);
    assert_search_index_consistent(&store);
}

/// Version 26 writes the CHECK constraints of lists as comparisons (see its migration):
/// a row of the tables a download or an edit writes record by record is checked without
/// SQLite building a temporary B-tree for the statement, and the constraints still
/// refuse what they refused, on a file migrated from version 25 with rows in it.
#[test]
fn version_26_checks_rows_without_temporary_btrees_and_refuses_the_same_values() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("v25.comptoir");
    let c = contact("Fromagerie Dupont");
    let draft = invoice_for(&c, &[(dec!(2), dec!(50))]);
    {
        let mut store = CompanyStore::create_at_schema(&path, &company("Old SARL"), Some(25)).unwrap();
        store.write(|tx| tx.insert_contact(&c)).unwrap();
        store.write(|tx| tx.insert_document(&draft)).unwrap();
    }
    let mut store = CompanyStore::open(&path).unwrap();
    assert_eq!(store.migration().unwrap().to_version, latest_version());
    assert_eq!(store.document(draft.id).unwrap().lines, draft.lines);
    let conn = store.connection();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");

    // Each table's own checks, without the triggers (set aside during a download).
    let ephemeral_tables = |conn: &rusqlite::Connection, table: &str| -> usize {
        let mut explain = conn.prepare(&format!("EXPLAIN INSERT INTO {table} DEFAULT VALUES")).unwrap();
        let opcodes: Vec<String> = explain.query_map([], |r| r.get(1)).unwrap().map(Result::unwrap).collect();
        opcodes.iter().filter(|op| *op == "OpenEphemeral").count()
    };
    let tables = [
        "documents",
        "document_lines",
        "contacts",
        "articles",
        "payments",
        "payment_allocations",
        "replica",
        "ledger",
        "audit_trail",
        "search_pending",
        "shadow",
        "outbox",
        "held_record",
    ];
    store
        .write(|tx| {
            let conn = tx.connection();
            let triggers: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for trigger in triggers {
                conn.execute_batch(&format!("DROP TRIGGER {trigger}"))?;
            }
            for table in tables {
                assert_eq!(ephemeral_tables(conn, table), 0, "{table}");
            }
            // Rolled back: the triggers stay.
            Err::<(), _>(StoreError::NotFound { entity: "rollback" })
        })
        .unwrap_err();
    let conn = store.connection();
    let triggers: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'", [], |r| r.get(0)).unwrap();
    assert!(triggers > 0);

    // Every value the lists held is accepted, and others are still refused.
    let id = draft.id.0;
    for (column, accepted) in [
        ("kind", &["quote", "invoice", "credit_note", "delivery_note"][..]),
        ("status", &["draft", "issued", "accepted", "declined", "converted", "partially_paid", "paid"][..]),
    ] {
        let set = |value: &str| {
            // Within this column's list, the rules of the other constraints kept: a draft
            // has no number, anything else has one, and a credit note corrects a document.
            let number = if column == "status" && value != "draft" { Some("PROBE-1") } else { None };
            conn.execute_batch("SAVEPOINT probe").unwrap();
            let result = conn.execute(
                &format!("UPDATE documents SET number = ?3, corrects_id = id, {column} = ?2 WHERE id = ?1"),
                rusqlite::params![id, value, number],
            );
            conn.execute_batch("ROLLBACK TO probe; RELEASE probe").unwrap();
            result
        };
        for value in accepted {
            assert_eq!(set(value).unwrap(), 1, "{column} = {value}");
        }
        for refused in ["", "Invoice", "lost", "draft ", "paid'"] {
            let error = set(refused).unwrap_err().to_string();
            assert!(error.contains("CHECK constraint failed"), "{column} = {refused:?}: {error}");
        }
    }
    for (table, insert) in [
        ("replica", "INSERT INTO replica (kind, id, seq, digest) VALUES (?1, x'00', 1, 1)"),
        ("shadow", "INSERT INTO shadow (kind, id, body) VALUES (?1, x'00', NULL)"),
        ("search_pending", "INSERT INTO search_pending (tbl, rid) VALUES (?1, 1)"),
        ("outbox", "INSERT INTO outbox (intent, created_at, state) VALUES ('{}', '2026-11-03T00:00:00Z', ?1)"),
    ] {
        let error = conn.execute(insert, ["nothing"]).unwrap_err().to_string();
        assert!(error.contains("CHECK constraint failed"), "{table}: {error}");
    }
    let language = conn.execute("UPDATE contacts SET language = 'de'", []).unwrap_err().to_string();
    assert!(language.contains("CHECK constraint failed"), "{language}");
    conn.execute("UPDATE contacts SET language = 'nl'", []).unwrap();
    let category = conn.execute("UPDATE document_lines SET vat_category = 'X'", []).unwrap_err().to_string();
    assert!(category.contains("CHECK constraint failed"), "{category}");
    conn.execute("UPDATE document_lines SET vat_category = 'AE'", []).unwrap();
}

/// FTS5's own check that each index matches the rows of its table.
fn assert_search_index_consistent(store: &CompanyStore) {
    for table in ["contacts_fts", "articles_fts", "documents_fts"] {
        store
            .connection()
            .execute(&format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"), [])
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    let pending: i64 = store.connection().query_row("SELECT count(*) FROM search_pending", [], |r| r.get(0)).unwrap();
    assert_eq!(pending, 0, "every committed row is indexed");
}

/// Rows inserted, changed and deleted within one transaction end up indexed as they are
/// at commit, and nothing else is.
#[test]
fn search_index_follows_changes_within_a_transaction() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let mut c = contact("Traiteur Moreau");
    let gone = contact("Serrurerie Vincent");
    let mut draft = invoice_for(&c, &[(dec!(1), dec!(10))]);
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.insert_contact(&gone)?;
            tx.insert_document(&draft)?;
            // Changed while still queued for indexing.
            c.name = "Traiteur Moreau & Fils".into();
            tx.update_contact(&c)?;
            draft.notes = "Livraison mardi".into();
            tx.update_draft(&draft)?;
            Ok(())
        })
        .unwrap();
    assert_search_index_consistent(&store);
    assert_eq!(store.search("fils", 10).unwrap().len(), 1);
    assert_eq!(store.search("mardi", 10).unwrap().len(), 1);
    // Changed and deleted once indexed.
    store
        .write(|tx| {
            draft.notes = "Livraison jeudi".into();
            tx.update_draft(&draft)?;
            tx.delete_draft(draft.id)?;
            tx.connection().execute("DELETE FROM contacts WHERE id = ?1", [gone.id.0])?;
            Ok(())
        })
        .unwrap();
    assert_search_index_consistent(&store);
    assert!(store.search("jeudi", 10).unwrap().is_empty());
    assert!(store.search("vincent", 10).unwrap().is_empty());
    // A draft inserted then deleted in one transaction leaves no trace.
    let ephemeral = invoice_for(&c, &[(dec!(1), dec!(10))]);
    store
        .write(|tx| {
            tx.insert_document(&ephemeral)?;
            tx.delete_draft(ephemeral.id)
        })
        .unwrap();
    assert_search_index_consistent(&store);
}

#[test]
fn an_edit_and_its_outbox_entry_commit_together() {
    use crate::sync::{Intent, Outcome, PushResult};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let client = store.client_id().unwrap();
    assert_eq!(store.client_id().unwrap(), client, "one id per copy");

    let c = contact("Garage Martin");
    let id = store
        .write(|tx| {
            tx.insert_contact(&c)?;
            tx.enqueue(&Intent::CreateContact { contact: c.clone() }, None)
        })
        .unwrap();
    // A refused edit leaves no entry behind: the entry was queued first, then rolled back.
    let bad = Contact { name: String::new(), ..contact("X") };
    let err = store
        .write(|tx| {
            tx.enqueue(&Intent::CreateContact { contact: bad.clone() }, None)?;
            tx.insert_contact(&bad)
        })
        .unwrap_err();
    assert_eq!(err.code(), "field_required");
    let pending = store.pending_mutations(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].client_id, pending[0].mutation_id), (client, id));
    assert_eq!(pending[0].intent, Intent::CreateContact { contact: c.clone() });

    let second = store.write(|tx| tx.enqueue(&Intent::UpdateContact { contact: c.clone() }, None)).unwrap();
    assert!(second > id, "ids only grow");
    store
        .record_outcomes(&[
            PushResult { client_id: client, mutation_id: id, outcome: Outcome::Applied { seq: 7, number: None } },
            PushResult {
                client_id: client,
                mutation_id: second,
                outcome: Outcome::Rejected { code: "permission_denied".into(), message: "Not allowed.".into() },
            },
        ])
        .unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    let rejected = store.rejected_mutations().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].mutation_id, rejected[0].code.as_str()), (second, "permission_denied"));

    // The applied entry is a local edit until the copy has pulled past seq 7.
    assert_eq!(store.acknowledge_applied().unwrap(), 0, "no cursor yet");
    let page = |seq| crate::sync::RawPullPage {
        epoch: uuid::Uuid::nil(),
        changes: Vec::new(),
        cursor: crate::sync::Cursor { epoch: uuid::Uuid::nil(), seq },
        has_more: false,
        remaining: None,
        audit_head: None,
    };
    store.apply_pull_page(0, &page(6)).unwrap();
    assert_eq!(store.acknowledge_applied().unwrap(), 0, "not pulled past it yet");
    assert_eq!(store.kept_count().unwrap(), 0);
    store.apply_pull_page(6, &page(7)).unwrap();
    assert_eq!(store.kept_count().unwrap(), 1, "the page that passed it acknowledged it; it is kept");
    assert_eq!(store.pending_count().unwrap(), 0, "and not counted as waiting");
    assert_eq!(store.rebase().unwrap().replayed, 0, "nor applied again by a rebase");
    assert_eq!(store.rejected_mutations().unwrap().len(), 1, "refusals are never dropped");
    let third = store.write(|tx| tx.enqueue(&Intent::UpdateContact { contact: c.clone() }, None)).unwrap();
    assert!(third > second, "never reused, even after pruning");
}

#[test]
fn the_dashboard_counts_unpaid_overdue_and_this_months_sales() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let c = contact("Fleuriste Roux");
    let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let issued = |number: &str, net: Decimal, issue_day: u32, due_day: u32| {
        let mut doc = invoice_for(&c, &[(dec!(1), net)]);
        doc.issue_date = date(issue_day);
        doc.due_date = Some(date(due_day));
        doc.issue(Some(number.into())).unwrap();
        doc
    };
    // 120.00 due on the 10th (overdue on the 20th), 60 of it paid.
    let overdue = issued("FA-1", dec!(100), 1, 10);
    // 240.00 due on the 30th.
    let open = issued("FA-2", dec!(200), 15, 30);
    // 12.00, paid in full.
    let paid = issued("FA-3", dec!(10), 16, 30);
    let draft = invoice_for(&c, &[(dec!(1), dec!(999))]);
    store
        .write(|tx| {
            tx.insert_contact(&c)?;
            for doc in [&overdue, &open, &paid, &draft] {
                tx.insert_document(doc)?;
            }
            for (doc, amount) in [(overdue.id, dec!(60)), (paid.id, dec!(12))] {
                tx.record_payment(&Payment {
                    id: PaymentId::new(),
                    contact_id: Some(c.id),
                    date: date(18),
                    amount,
                    method: PaymentMethod::BankTransfer,
                    reference: "VIR".into(),
                    allocations: vec![Allocation { document_id: doc, amount }],
                })?;
            }
            Ok(())
        })
        .unwrap();

    let figures = store.dashboard(date(20)).unwrap();
    assert_eq!((figures.unpaid_count, figures.unpaid_total), (2, dec!(300.00)));
    assert_eq!((figures.overdue_count, figures.overdue_total), (1, dec!(60.00)));
    assert_eq!((figures.month_count, figures.month_sales), (3, dec!(310.00)));
    assert_eq!(figures.drafts, 1);
    // The 1st of December: a new month with no sales yet.
    let december = store.dashboard(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()).unwrap();
    assert_eq!((december.month_count, december.month_sales), (0, Decimal::ZERO));
    assert_eq!(december.overdue_count, 2);

    // Payments list: newest first, with the documents they pay.
    let payments = store.list_payments(0, 10).unwrap();
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0].contact_name.as_deref(), Some("Fleuriste Roux"));
    let mut numbers: Vec<&str> = payments.iter().map(|p| p.documents.as_str()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, ["FA-1", "FA-3"]);
    assert_eq!(store.count_payments().unwrap(), 2);
}

#[test]
fn a_document_search_keeps_to_the_list_kind_and_filters() {
    let dir = TempDir::new().unwrap();
    let (store, _) = demo_store(&dir, &DemoSize::SMALL);
    let filter = DocumentFilter::kind(DocumentKind::Invoice);
    let page = store.list_documents(&filter, DocumentSort::Date, SortDirection::Descending, &PageRequest::First, 50);
    let first = page.unwrap().rows.into_iter().find(|r| r.number.is_some()).unwrap();
    let word = first.customer_name.split_whitespace().next().unwrap().to_owned();
    let hits = store.search_documents(&filter, &word, 500).unwrap();
    assert!(hits.iter().any(|h| h.id == first.id), "{word} finds its invoice");
    assert!(hits.iter().all(|h| h.kind == DocumentKind::Invoice && h.customer_name.contains(&word)));
    let paid_only = DocumentFilter { statuses: vec![DocumentStatus::Paid], ..filter.clone() };
    let paid = store.search_documents(&paid_only, &word, 500).unwrap();
    assert!(paid.iter().all(|h| h.status == DocumentStatus::Paid));
    assert!(paid.len() <= hits.len());
    let number = first.number.clone().unwrap();
    let by_number = store.search_documents(&filter, &number, 10).unwrap();
    assert_eq!(by_number[0].id, first.id);
    assert!(store.search_documents(&filter, " -- ", 10).unwrap().is_empty());
}

#[test]
fn the_integrity_check_names_the_first_altered_or_missing_record() {
    use crate::audit::{ChainError, TrailError, TrailReport};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 9, 0, 0).unwrap();
    demo::fill_audit_trail(&mut store, 3, 50, start).unwrap();
    // No signed head yet: the chain alone, every record unsigned.
    assert_eq!(store.verify_audit_chain().unwrap(), Ok(TrailReport { records: 50, signed: None, unsigned: 50 }));
    assert_eq!(store.audit_count(&AuditFilter::default()).unwrap(), 50);
    let newest = store.audit_page_at(&AuditFilter::default(), 0, 3).unwrap();
    assert_eq!(newest.iter().map(|r| r.seq).collect::<Vec<_>>(), [50, 49, 48]);

    // Someone edits the file by hand: the check names the record.
    store
        .connection()
        .execute("UPDATE audit_trail SET user_email = 'quelqu.un@autre.test' WHERE seq = 17", [])
        .unwrap();
    assert_eq!(store.verify_audit_chain().unwrap(), Err(TrailError::Chain(ChainError::Altered { seq: 17 })));
    store.connection().execute("DELETE FROM audit_trail WHERE seq BETWEEN 10 AND 20", []).unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        Err(TrailError::Chain(ChainError::OutOfSequence { seq: 21, expected: 10 }))
    );
}

/// A copy with 50 audit records whose head (record 40) came signed with the last page
/// of a pull, and the signer.
fn signed_trail(dir: &TempDir) -> (CompanyStore, crate::audit::AuditSigner, crate::audit::SignedAuditHead) {
    let (mut store, _) = new_store(dir, "signed.comptoir");
    let start = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 9, 0, 0).unwrap();
    demo::fill_audit_trail(&mut store, 5, 50, start).unwrap();
    let (signer, _) = crate::audit::AuditSigner::generate().unwrap();
    assert_eq!(store.compare_server_key(signer.public_key()).unwrap(), KeyPin::NotPinned);
    let fortieth = store.audit_page(&AuditFilter::default(), Some(41), 1).unwrap().remove(0);
    let head = signer.sign(store.company_id(), 40, &fortieth.hash, chrono::Utc::now());
    let page = |seq, audit_head| crate::sync::RawPullPage {
        epoch: uuid::Uuid::nil(),
        changes: Vec::new(),
        cursor: crate::sync::Cursor { epoch: uuid::Uuid::nil(), seq },
        has_more: false,
        remaining: None,
        audit_head,
    };
    store.apply_pull_page(0, &page(1, Some(head.clone()))).unwrap();
    // An older head that arrives later does not replace it; a page without one keeps it.
    let older = signer.sign(store.company_id(), 30, "older", chrono::Utc::now());
    store.apply_pull_page(1, &page(2, Some(older))).unwrap();
    store.apply_pull_page(2, &page(3, None)).unwrap();
    assert_eq!(store.audit_head().unwrap().as_ref(), Some(&head));
    // The first head pinned its key.
    assert_eq!(store.server_key().unwrap().as_deref(), Some(signer.public_key()));
    assert_eq!(store.compare_server_key(signer.public_key()).unwrap(), KeyPin::Same);
    (store, signer, head)
}

#[test]
fn the_integrity_check_holds_the_trail_to_the_head_the_server_signed() {
    use crate::audit::{SignedPoint, TrailError, TrailReport};
    let dir = TempDir::new().unwrap();
    let (store, signer, head) = signed_trail(&dir);
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        Ok(TrailReport { records: 50, signed: Some(SignedPoint { seq: 40, signed_at: head.signed_at }), unsigned: 10 })
    );
    // The server publishes another key: the pinned one stays, and the comparison says so;
    // a head signed with the new key does not pin it.
    let (mut store, other) = (store, crate::audit::AuditSigner::generate().unwrap().0);
    assert_eq!(
        store.compare_server_key(other.public_key()).unwrap(),
        KeyPin::Changed { pinned: signer.public_key().to_owned() }
    );
    let fiftieth = store.audit_page(&AuditFilter::default(), None, 1).unwrap().remove(0);
    let newer = other.sign(store.company_id(), 50, &fiftieth.hash, chrono::Utc::now());
    let page = crate::sync::RawPullPage {
        epoch: uuid::Uuid::nil(),
        changes: Vec::new(),
        cursor: crate::sync::Cursor { epoch: uuid::Uuid::nil(), seq: 4 },
        has_more: false,
        remaining: None,
        audit_head: Some(newer),
    };
    store.apply_pull_page(3, &page).unwrap();
    assert_eq!(store.server_key().unwrap().as_deref(), Some(signer.public_key()));
    assert_eq!(
        store.verify_audit_chain().unwrap().unwrap_err(),
        TrailError::KeyChanged { pinned: signer.public_key().to_owned(), key: other.public_key().to_owned() }
    );
    store.connection().execute("DELETE FROM audit_head", []).unwrap();
    assert_eq!(store.verify_audit_chain().unwrap(), Err(TrailError::HeadRemoved), "the head removed by hand");
    store.apply_pull_page(4, &crate::sync::RawPullPage { audit_head: Some(head.clone()), ..page }).unwrap();

    // The last 15 records removed by hand: the chain alone would still verify.
    store.connection().execute("DELETE FROM audit_trail WHERE seq > 35", []).unwrap();
    let err = store.verify_audit_chain().unwrap().unwrap_err();
    assert_eq!(err, TrailError::MissingTail { signed: 40, last: 35 });
    assert_eq!(err.code(), "audit_tail_missing");
}

#[test]
fn a_forged_head_or_a_head_of_another_key_fails_the_check() {
    use crate::audit::TrailError;
    let dir = TempDir::new().unwrap();
    let (store, signer, head) = signed_trail(&dir);
    // The head moved back to record 30 by hand, its signature kept.
    let thirtieth = store.audit_page(&AuditFilter::default(), Some(31), 1).unwrap().remove(0);
    store.connection().execute("UPDATE audit_head SET seq = 30, hash = ?1", [&thirtieth.hash]).unwrap();
    assert_eq!(store.verify_audit_chain().unwrap(), Err(TrailError::ForgedHead { seq: 30 }));
    // Signed anew by a forger's key: named as a changed key.
    let (forger, _) = crate::audit::AuditSigner::generate().unwrap();
    let theirs = forger.sign(store.company_id(), 30, &thirtieth.hash, head.signed_at);
    store
        .connection()
        .execute("UPDATE audit_head SET key = ?1, signature = ?2", [&theirs.key, &theirs.signature])
        .unwrap();
    assert_eq!(
        store.verify_audit_chain().unwrap(),
        Err(TrailError::KeyChanged { pinned: signer.public_key().to_owned(), key: forger.public_key().to_owned() })
    );
    // The pinned key removed to make the head unverifiable: still not vouched for.
    store.connection().execute("DELETE FROM server_key", []).unwrap();
    assert_eq!(store.verify_audit_chain().unwrap(), Err(TrailError::ForgedHead { seq: 30 }));
}

/// Every issued invoice, credit note and payment stands for one balanced entry; a posting
/// leaves nothing pending; a posted invoice that changes comes back as a reversal plus
/// its new entry, and the books of the period still balance.
#[test]
fn entries_are_derived_posted_and_reversed_never_rewritten() {
    use crate::accounting::PostBatch;
    use crate::accounting::export::{Format, write_entries};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = demo_store(&dir, &DemoSize::SMALL);
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    assert!(store.ledger_backlog().unwrap() > 0, "the generator's documents wait to be derived");
    while store.refresh_ledger(today, 100).unwrap() == 100 {}
    assert_eq!(store.ledger_backlog().unwrap(), 0);
    let sources: i64 = store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM documents WHERE kind IN ('invoice', 'credit_note') AND number IS NOT NULL)
                  + (SELECT count(*) FROM payments)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(store.pending_entry_count().unwrap(), u64::try_from(sources).unwrap());
    let pending = store.pending_entries(None, today).unwrap();
    assert_eq!(pending.len() as u64, store.pending_entry_count().unwrap());
    assert!(pending.iter().all(crate::accounting::Entry::is_balanced));
    // Read by pages (as the engine posts them), the same entries, numbered the same.
    let mut paged = Vec::new();
    let (mut after, mut numbers) = (None, store.next_entry_numbers().unwrap());
    loop {
        let (page, next) = store.pending_entries_page((None, today), after.as_ref(), 7, &mut numbers).unwrap();
        paged.extend(page);
        match next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(paged, pending);
    let batch = PostBatch { id: uuid::Uuid::now_v7(), from: None, to: today, entries: pending };
    batch.validate().unwrap();

    // Posted (as the server's posting record would arrive): nothing pending.
    let posting = batch.posting(chrono::Utc::now(), "compta@exemple.fr");
    store.write(|tx| super::ledger::apply_posting(tx, &posting)).unwrap();
    assert_eq!(store.pending_entry_count().unwrap(), 0);
    assert_eq!(store.postings().unwrap().len(), 1);

    // A posted invoice changes: its reversal and its new entry wait, the posting stays.
    let invoice_id = crate::model::DocumentId(
        store
            .connection()
            .query_row("SELECT id FROM documents WHERE kind = 'invoice' AND number IS NOT NULL LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap(),
    );
    let mut invoice = store.document(invoice_id).unwrap();
    invoice.lines[0].unit_price += dec!(10);
    store.write(|tx| tx.write_document(&invoice, company::Write::Update)).unwrap();
    let later = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    store.refresh_ledger(later, 100).unwrap();
    assert_eq!(store.pending_entry_count().unwrap(), 2);
    let pending = store.pending_entries(None, later).unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending[0].reversal && !pending[1].reversal, "the reversal first");
    assert!(pending.iter().all(|e| e.source == invoice_id.0 && e.date == later));
    let posted = posting.entries.iter().find(|e| e.source == invoice_id.0).unwrap();
    assert_eq!(pending[0].fingerprint, posted.fingerprint, "the reversal cancels the entry as it was posted");
    assert_ne!(pending[1].fingerprint, posted.fingerprint);
    let last_sales = posting.entries.iter().filter(|e| e.journal == posted.journal).filter_map(|e| e.number).max();
    assert_eq!(pending[0].number, last_sales.map(|n| n + 1), "numbers go on from the posted ones");

    // The period's books, posted and pending, balance entry by entry and overall.
    let mut entries = Vec::new();
    store
        .for_each_export_entry::<StoreError>((None, later), |e| {
            entries.push(e);
            Ok(())
        })
        .unwrap();
    assert_eq!(entries.len(), posting.entries.len() + 2);
    let mut out = Vec::new();
    let summary = write_entries(&mut out, Format::Fec, &store.account_plan().unwrap(), entries).unwrap();
    assert_eq!(summary.debit, summary.credit);
    assert_eq!(summary.entries, posting.entries.len() as u64 + 2);

    // The company moves its bank to another account: every posted bank entry comes back
    // as its reversal and a new entry on the new account; sales entries stay posted.
    let mut plan = store.account_plan().unwrap();
    plan.bank.number = "512100".into();
    let bad = crate::accounting::AccountPlan {
        bank: crate::accounting::Account { number: "51 2".into(), label: "x".into() },
        ..plan.clone()
    };
    assert_eq!(store.submit(&crate::sync::Intent::SetAccountPlan { plan: bad }).unwrap_err().code(), "account_invalid");
    store.submit(&crate::sync::Intent::SetAccountPlan { plan: plan.clone() }).unwrap();
    assert_eq!(store.account_plan().unwrap(), plan);
    while store.refresh_ledger(later, 100).unwrap() == 100 {}
    let bank = posting.entries.iter().filter(|e| e.journal == crate::accounting::Journal::Bank).count() as u64;
    assert!(bank > 0);
    assert_eq!(store.pending_entry_count().unwrap(), 2 + 2 * bank);
    let pending = store.pending_entries(None, later).unwrap();
    assert!(
        pending
            .iter()
            .filter(|e| !e.reversal && e.journal == crate::accounting::Journal::Bank)
            .all(|e| e.lines[0].account == "512100")
    );
}

#[test]
fn the_dashboard_charts_sum_sales_by_month_and_receivables_by_age() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let (a, b, c) = (contact("Atelier Alpha"), contact("Boulangerie Beta"), contact("Cave Gamma"));
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let today = day(2026, 11, 20);
    // An issued invoice of one line at `net` (gross: net + 20 %).
    let issued = |who: &Contact, number: &str, net: Decimal, issue: NaiveDate, due: Option<NaiveDate>| {
        let mut doc = invoice_for(who, &[(dec!(1), net)]);
        doc.issue_date = issue;
        doc.due_date = due;
        doc.issue(Some(number.into())).unwrap();
        doc
    };
    let documents = [
        // Not due: due in ten days, and one without a due date.
        issued(&a, "FA-1", dec!(100), day(2026, 11, 1), Some(day(2026, 11, 30))),
        issued(&a, "FA-7", dec!(5), day(2026, 11, 2), None),
        // 16 days late, 40.00 of its 240.00 paid below.
        issued(&a, "FA-2", dec!(200), day(2026, 10, 5), Some(day(2026, 11, 4))),
        // Exactly 60 and 90 days late.
        issued(&b, "FA-3", dec!(50), day(2026, 9, 1), Some(day(2026, 9, 21))),
        issued(&b, "FA-4", dec!(10), day(2026, 8, 1), Some(day(2026, 8, 22))),
        // Paid in full below: a sale, not a receivable.
        issued(&b, "FA-5", dec!(1000), day(2025, 12, 1), Some(day(2025, 12, 31))),
        // Issued thirteen months ago: a receivable over 90 days, not in the twelve months.
        issued(&c, "FA-6", dec!(300), day(2025, 11, 10), Some(day(2025, 12, 10))),
    ];
    let fa5 = documents[5].clone();
    let mut credit = Document::credit_note_for(&fa5, day(2026, 10, 10)).unwrap();
    credit.lines[0].unit_price = dec!(250);
    credit.issue(Some("AV-1".into())).unwrap();
    let mut draft = invoice_for(&a, &[(dec!(1), dec!(999))]);
    draft.issue_date = day(2026, 11, 3);
    let draft_credit = Document::credit_note_for(&fa5, day(2026, 11, 4)).unwrap();
    store
        .write(|tx| {
            for who in [&a, &b, &c] {
                tx.insert_contact(who)?;
            }
            for doc in documents.iter().chain([&credit, &draft, &draft_credit]) {
                tx.insert_document(doc)?;
            }
            for (doc, amount) in [(documents[2].id, dec!(40)), (fa5.id, dec!(1200))] {
                tx.record_payment(&Payment {
                    id: PaymentId::new(),
                    contact_id: None,
                    date: day(2026, 11, 18),
                    amount,
                    method: PaymentMethod::BankTransfer,
                    reference: "VIR".into(),
                    allocations: vec![Allocation { document_id: doc, amount }],
                })?;
            }
            Ok(())
        })
        .unwrap();

    let charts = store.dashboard_charts(today).unwrap();
    let months: Vec<(NaiveDate, Decimal, u64)> = charts.months.iter().map(|m| (m.month, m.net, m.invoices)).collect();
    let mut expected: Vec<(NaiveDate, Decimal, u64)> =
        (0..12).map(|i| (day(2025, 12, 1) + chrono::Months::new(i), Decimal::ZERO, 0)).collect();
    expected[0] = (day(2025, 12, 1), dec!(1000.00), 1);
    expected[8] = (day(2026, 8, 1), dec!(10.00), 1);
    expected[9] = (day(2026, 9, 1), dec!(50.00), 1);
    // October: 200.00 sold, 250.00 credited.
    expected[10] = (day(2026, 10, 1), dec!(-50.00), 1);
    // November: the drafts are not sales.
    expected[11] = (day(2026, 11, 1), dec!(105.00), 2);
    assert_eq!(months, expected);

    let ages: Vec<(AgeBucket, u64, Decimal)> = charts.ages.iter().map(|a| (a.bucket, a.invoices, a.due)).collect();
    assert_eq!(
        ages,
        [
            (AgeBucket::NotDue, 2, dec!(126.00)),
            (AgeBucket::Days1To30, 1, dec!(200.00)),
            (AgeBucket::Days31To60, 1, dec!(60.00)),
            (AgeBucket::Days61To90, 1, dec!(12.00)),
            (AgeBucket::Over90, 1, dec!(360.00)),
        ]
    );
    // The buckets add up to the unpaid figure of the cards.
    let unpaid = store.dashboard(today).unwrap();
    assert_eq!(charts.ages.iter().map(|a| a.due).sum::<Decimal>(), unpaid.unpaid_total);
    assert_eq!(charts.ages.iter().map(|a| a.invoices).sum::<u64>(), unpaid.unpaid_count);

    let top: Vec<(&str, u64, Decimal)> =
        charts.top_customers.iter().map(|t| (t.name.as_str(), t.invoices, t.due)).collect();
    assert_eq!(
        top,
        [("Cave Gamma", 1, dec!(360.00)), ("Atelier Alpha", 3, dec!(326.00)), ("Boulangerie Beta", 2, dec!(72.00))]
    );
    assert_eq!(charts.top_customers[0].contact_id, c.id);

    assert_each_age_filters_its_invoices(&store, &charts, today);
}

mod receivables {
    use proptest::prelude::*;

    use super::*;
    use crate::model::from_cents;

    /// An invoice of the property below: its customer (an index), its net amount, its
    /// due date (days from today), and how far it is paid.
    #[derive(Clone, Debug)]
    struct Owed {
        customer: usize,
        net: Decimal,
        due_in: Option<i64>,
        state: State,
    }

    #[derive(Clone, Copy, Debug)]
    enum State {
        Draft,
        Issued,
        HalfPaid,
        Paid,
    }

    fn owed(customers: usize) -> impl Strategy<Value = Owed> {
        // Few amounts, so that customers tie; due dates around each bucket's bounds.
        let net = prop_oneof![Just(dec!(100)), Just(dec!(250)), (1_i64..2_000_000).prop_map(|c| Decimal::new(c, 2))];
        let due_in =
            proptest::option::of(prop_oneof![-100_i64..10, Just(0), Just(-30), Just(-31), Just(-60), Just(-91)]);
        let state = prop_oneof![Just(State::Draft), Just(State::Issued), Just(State::HalfPaid), Just(State::Paid)];
        (0..customers, net, due_in, state).prop_map(|(customer, net, due_in, state)| Owed {
            customer,
            net,
            due_in,
            state,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// The ages and the customers summed in one walk are what SQLite's grouped
        /// queries give (the queries the dashboard ran before, kept here as the oracle):
        /// buckets at their bounds, invoices without a due date, drafts and paid invoices
        /// left out, and customers owing equal amounts ranked by name.
        #[test]
        fn the_receivables_summed_in_one_walk_are_those_sqlite_groups(
            names in proptest::collection::vec(prop_oneof![Just("Alpha"), Just("alpha"), Just("Beta"), Just("Gamma")], 1..8),
            invoices in proptest::collection::vec(owed(8), 0..40),
        ) {
            let dir = TempDir::new().unwrap();
            let (mut store, _) = new_store(&dir, "receivables.comptoir");
            let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
            let contacts: Vec<Contact> = names.iter().map(|name| contact(name)).collect();
            store
                .write(|tx| {
                    for who in &contacts {
                        tx.insert_contact(who)?;
                    }
                    for (i, invoice) in invoices.iter().enumerate() {
                        let mut doc = invoice_for(&contacts[invoice.customer % contacts.len()], &[(dec!(1), invoice.net)]);
                        // Issued before any due date drawn.
                        doc.issue_date = today - chrono::Days::new(200);
                        doc.due_date = invoice.due_in.and_then(|days| today.checked_add_signed(chrono::Duration::days(days)));
                        if matches!(invoice.state, State::Draft) {
                            tx.insert_document(&doc)?;
                            continue;
                        }
                        doc.issue(Some(format!("FA-{i}"))).unwrap();
                        tx.insert_document(&doc)?;
                        let gross = doc.totals().unwrap().gross;
                        let paid = match invoice.state {
                            State::HalfPaid => (gross / dec!(2)).round_dp(2),
                            State::Paid => gross,
                            State::Draft | State::Issued => continue,
                        };
                        tx.record_payment(&Payment {
                            id: PaymentId::new(),
                            contact_id: None,
                            date: today,
                            amount: paid,
                            method: PaymentMethod::BankTransfer,
                            reference: "VIR".into(),
                            allocations: vec![Allocation { document_id: doc.id, amount: paid }],
                        })?;
                    }
                    Ok(())
                })
                .unwrap();

            let charts = store.dashboard_charts(today).unwrap();
            let conn = store.connection();
            let bound = |bucket: AgeBucket| bucket.due_range(today).0.map(|d| d.to_string());
            let mut expected_ages: Vec<(AgeBucket, u64, Decimal)> =
                AgeBucket::ALL.iter().map(|&bucket| (bucket, 0, Decimal::ZERO)).collect();
            let mut stmt = conn
                .prepare(
                    "SELECT CASE WHEN due_date IS NULL OR due_date >= ?1 THEN 0 WHEN due_date >= ?2 THEN 1
                                 WHEN due_date >= ?3 THEN 2 WHEN due_date >= ?4 THEN 3 ELSE 4 END,
                            count(*), sum(gross_cents - paid_cents)
                     FROM documents WHERE kind = 'invoice' AND status IN ('issued', 'partially_paid')
                     GROUP BY 1",
                )
                .unwrap();
            let grouped = stmt
                .query_map(
                    rusqlite::params![
                        bound(AgeBucket::NotDue),
                        bound(AgeBucket::Days1To30),
                        bound(AgeBucket::Days31To60),
                        bound(AgeBucket::Days61To90)
                    ],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
                )
                .unwrap();
            for row in grouped {
                let (bucket, invoices, cents) = row.unwrap();
                let bucket = usize::try_from(bucket).unwrap();
                expected_ages[bucket] = (AgeBucket::ALL[bucket], u64::try_from(invoices).unwrap(), from_cents(cents));
            }
            let ages: Vec<(AgeBucket, u64, Decimal)> = charts.ages.iter().map(|a| (a.bucket, a.invoices, a.due)).collect();
            prop_assert_eq!(ages, expected_ages);

            let expected_top: Vec<(ContactId, String, u64, Decimal)> = conn
                .prepare(
                    "SELECT d.contact_id, c.name, count(*), sum(d.gross_cents - d.paid_cents) AS due
                     FROM documents d JOIN contacts c ON c.id = d.contact_id
                     WHERE d.kind = 'invoice' AND d.status IN ('issued', 'partially_paid')
                     GROUP BY d.contact_id ORDER BY due DESC, c.name_key, d.contact_id LIMIT ?1",
                )
                .unwrap()
                .query_map([TOP_CUSTOMERS], |r| {
                    Ok((ContactId(r.get(0)?), r.get(1)?, u64::try_from(r.get::<_, i64>(2)?).unwrap(), from_cents(r.get(3)?)))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let top: Vec<(ContactId, String, u64, Decimal)> =
                charts.top_customers.iter().map(|t| (t.contact_id, t.name.clone(), t.invoices, t.due)).collect();
            prop_assert_eq!(top, expected_top);
        }
    }
}

/// Each age bucket's due-date range, as a list filter, keeps exactly the bucket's
/// invoices: counted, listed and searched.
fn assert_each_age_filters_its_invoices(store: &CompanyStore, charts: &DashboardCharts, today: NaiveDate) {
    for aged in &charts.ages {
        let (due_from, due_to) = aged.bucket.due_range(today);
        let filter = DocumentFilter {
            statuses: vec![DocumentStatus::Issued, DocumentStatus::PartiallyPaid],
            due_from,
            due_to,
            ..DocumentFilter::kind(DocumentKind::Invoice)
        };
        assert_eq!(store.count_documents(&filter).unwrap(), aged.invoices, "{:?}", aged.bucket);
        let page = store
            .list_documents(&filter, DocumentSort::Date, SortDirection::Descending, &PageRequest::First, 50)
            .unwrap();
        let due: Decimal = page.rows.iter().map(|r| r.gross - r.paid).sum();
        assert_eq!(due, aged.due, "{:?}", aged.bucket);
        // The full-text search keeps to the same range.
        let found: usize = ["Alpha", "Beta", "Gamma"]
            .iter()
            .map(|name| store.search_documents(&filter, name, 50).unwrap().len())
            .sum();
        assert_eq!(found as u64, aged.invoices, "{:?}", aged.bucket);
    }
}

/// The company's legal mentions and logo, set through the shared rules, are kept in the
/// copy (migration 12's columns) and read back after the file is opened again.
#[test]
fn company_mentions_and_logo_are_kept_and_read_back() {
    let dir = TempDir::new().unwrap();
    let (mut store, path) = new_store(&dir, "mentions.comptoir");
    let mut company = store.company().unwrap();
    assert_eq!((company.legal_form.as_str(), company.share_capital), ("SARL", Some(dec!(10000))), "the demo's");
    company.legal_form = "SAS".into();
    company.share_capital = Some(dec!(25000));
    company.register_city = "Lyon".into();
    company.late_penalty_rate = Some(dec!(10.15));
    company.vat_exempt = true;
    company.early_payment_discount = "2 % pour un paiement sous 10 jours".into();
    store.submit(&crate::sync::Intent::UpdateCompany { company: company.clone() }).unwrap();
    // Terms longer than the bound are refused, and change nothing.
    let long = crate::model::Company { early_payment_discount: "x".repeat(201), ..company.clone() };
    let refused = store.submit(&crate::sync::Intent::UpdateCompany { company: long }).unwrap_err();
    assert_eq!(refused.code(), "field_too_long");
    let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13];
    png.extend(b"IHDR");
    png.extend(40_u32.to_be_bytes());
    png.extend(20_u32.to_be_bytes());
    png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
    let logo = crate::model::Logo::from_png(png).unwrap();
    store.submit(&crate::sync::Intent::SetLogo { logo: Some(logo.clone()) }).unwrap();
    // A hostile capital is refused by the same rules, and changes nothing.
    let mut huge = company.clone();
    huge.share_capital = Some(dec!(1e20));
    let refused = store.submit(&crate::sync::Intent::UpdateCompany { company: huge }).unwrap_err();
    assert_eq!(refused.code(), "amount_out_of_range");
    drop(store);
    let store = CompanyStore::open(&path).unwrap();
    assert_eq!(store.company().unwrap(), company);
    assert_eq!(store.company_logo().unwrap(), Some(logo));
    let mut store = store;
    store.submit(&crate::sync::Intent::SetLogo { logo: None }).unwrap();
    assert_eq!(store.company_logo().unwrap(), None);
}

/// Reads a list page after page (keyset) and by offset; both give the same keys.
fn walk<T, K>(
    first: impl Fn() -> Vec<T>,
    after: impl Fn(&T) -> Vec<T>,
    offset: impl Fn(u64) -> Vec<T>,
    key: impl Fn(&T) -> K,
) -> usize
where
    K: PartialEq + std::fmt::Debug,
{
    let mut by_key = Vec::new();
    let mut page = first();
    while let Some(last) = page.last() {
        let next = after(last);
        by_key.extend(page.iter().map(&key));
        page = next;
    }
    let mut by_offset = Vec::new();
    loop {
        let page = offset(by_offset.len() as u64);
        if page.is_empty() {
            break;
        }
        by_offset.extend(page.iter().map(&key));
    }
    assert_eq!(by_key, by_offset);
    by_key.len()
}

/// The contact, article, payment and audit lists read a block after the block before
/// (keyset) exactly as they read by offset: every row once, in the list's order, archived
/// rows included.
#[test]
fn keyset_pages_of_the_simple_lists_equal_their_offset_pages() {
    let dir = TempDir::new().unwrap();
    let (mut store, _) = demo_store(&dir, &DemoSize { invoices: 300, ..DemoSize::SMALL });
    // Some archived rows, and names that sort the same, so the tie-breaks matter.
    for name in ["Zèbre", "zebre", "ZEBRE"] {
        let mut twin = contact(name);
        twin.archived = name == "zebre";
        store.write(|tx| tx.insert_contact(&twin)).unwrap();
    }
    let n = walk(
        || store.list_contacts(true, 0, 7).unwrap(),
        |c| store.list_contacts_after(true, c.id, 7).unwrap(),
        |o| store.list_contacts(true, o, 7).unwrap(),
        |c| c.id,
    );
    assert_eq!(n as u64, store.count_contacts(true).unwrap());
    let n = walk(
        || store.list_articles(true, 0, 7).unwrap(),
        |a| store.list_articles_after(true, a.id, 7).unwrap(),
        |o| store.list_articles(true, o, 7).unwrap(),
        |a| a.id,
    );
    assert_eq!(n as u64, store.count_articles(true).unwrap());
    let n = walk(
        || store.list_payments(0, 7).unwrap(),
        |p| store.list_payments_after(p.id, 7).unwrap(),
        |o| store.list_payments(o, 7).unwrap(),
        |p| p.id,
    );
    assert_eq!(n as u64, store.count_payments().unwrap());
    assert!(n > 7);
    let filter = AuditFilter::default();
    let n = walk(
        || store.audit_page_at(&filter, 0, 50).unwrap(),
        |r| store.audit_page(&filter, Some(r.seq), 50).unwrap(),
        |o| store.audit_page_at(&filter, o, 50).unwrap(),
        |r| r.seq,
    );
    assert_eq!(n as u64, store.audit_count(&filter).unwrap());
}

/// A change of the server's log, as a pull page carries it.
fn server_change(seq: u64, body: &crate::sync::RecordBody) -> crate::sync::RawChange {
    crate::sync::RawChange {
        seq,
        kind: body.kind(),
        id: record_id(body),
        body: Some(serde_json::value::RawValue::from_string(serde_json::to_string(body).unwrap()).unwrap()),
    }
}

fn record_id(body: &crate::sync::RecordBody) -> uuid::Uuid {
    use crate::sync::RecordBody;
    match body {
        RecordBody::Contact(c) => c.id.0,
        RecordBody::Article(a) => a.id.0,
        RecordBody::Document(d) => d.document.id.0,
        RecordBody::Payment(p) => p.id.0,
        other => panic!("not used here: {other:?}"),
    }
}

fn server_page(changes: Vec<crate::sync::RawChange>, seq: u64, has_more: bool) -> crate::sync::RawPullPage {
    crate::sync::RawPullPage {
        epoch: uuid::Uuid::nil(),
        changes,
        cursor: crate::sync::Cursor { epoch: uuid::Uuid::nil(), seq },
        has_more,
        remaining: None,
        audit_head: None,
    }
}

/// A server's document or payment is inserted when new and replaced in place when here:
/// a later change of it leaves its new lines and allocations, none of the old ones.
#[test]
fn a_server_document_and_payment_changed_again_keep_only_their_new_lines_and_allocations() {
    use crate::sync::{DocumentRecord, RecordBody};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let customer = contact("Client");
    let mut first = invoice_for(&customer, &[(dec!(1), dec!(100)), (dec!(2), dec!(30)), (dec!(3), dec!(5))]);
    first.issue(Some("FA-2026-00001".into())).unwrap();
    let mut second = invoice_for(&customer, &[(dec!(1), dec!(40))]);
    second.issue(Some("FA-2026-00002".into())).unwrap();
    let mut payment = Payment {
        id: PaymentId::new(),
        contact_id: Some(customer.id),
        date: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
        amount: dec!(60),
        method: PaymentMethod::BankTransfer,
        reference: "VIR 118".into(),
        allocations: vec![
            Allocation { document_id: first.id, amount: dec!(20) },
            Allocation { document_id: second.id, amount: dec!(40) },
        ],
    };
    let page = vec![
        server_change(1, &RecordBody::Contact(customer.clone())),
        server_change(2, &RecordBody::Document(DocumentRecord::new(first.clone()))),
        server_change(3, &RecordBody::Document(DocumentRecord::new(second.clone()))),
        server_change(4, &RecordBody::Payment(payment.clone())),
    ];
    assert!(store.apply_pull_page(0, &server_page(page, 4, false)).unwrap().is_empty());
    assert_eq!(store.document(first.id).unwrap().lines, first.lines);
    // The server's next versions: fewer lines, another allocation.
    first.lines.truncate(1);
    first.notes = "Corrigée".into();
    payment.allocations = vec![Allocation { document_id: first.id, amount: dec!(60) }];
    let page = vec![
        server_change(5, &RecordBody::Document(DocumentRecord::new(first.clone()))),
        server_change(6, &RecordBody::Payment(payment.clone())),
    ];
    assert!(store.apply_pull_page(4, &server_page(page, 6, false)).unwrap().is_empty());
    let stored = store.document(first.id).unwrap();
    assert_eq!((stored.lines, stored.notes), (first.lines, first.notes));
    assert_eq!(store.document(second.id).unwrap().lines, second.lines);
    let allocations: Vec<(uuid::Uuid, i64)> = store
        .connection()
        .prepare("SELECT document_id, amount_cents FROM payment_allocations WHERE payment_id = ?1")
        .unwrap()
        .query_map([payment.id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(allocations, vec![(first.id.0, 6_000)]);
}

#[test]
fn a_refusal_heard_between_two_pages_is_recorded_and_the_rebase_waits_for_the_next_page() {
    use crate::sync::{DocumentRecord, Intent, Outcome, PushResult, RecordBody};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let client = store.client_id().unwrap();
    let (first, second) = (contact("Premier client"), contact("Second client"));
    let mut draft = invoice_for(&first, &[(dec!(1), dec!(100))]);
    let page = vec![
        server_change(1, &RecordBody::Contact(first.clone())),
        server_change(2, &RecordBody::Document(DocumentRecord::new(draft.clone()))),
    ];
    assert!(store.apply_pull_page(0, &server_page(page, 2, false)).unwrap().is_empty());
    let issue = store.submit(&Intent::IssueDocument { id: draft.id }).unwrap();
    let refused = store.submit(&Intent::CreateContact { contact: contact("Refusé") }).unwrap();
    // Meanwhile another device moved the draft to a new customer, created at seq 3 and
    // edited at seq 5: this copy pulls the draft (seq 4) a page before its customer.
    draft.contact_id = second.id;
    let draft_change = server_change(4, &RecordBody::Document(DocumentRecord::new(draft.clone())));
    assert!(store.apply_pull_page(2, &server_page(vec![draft_change], 4, true)).unwrap().is_empty());

    let waits_for = store.dangling_reference().unwrap().unwrap();
    assert!(waits_for.contains(&draft.id.to_string()) && waits_for.contains(&second.id.to_string()), "{waits_for}");
    assert!(store.shadow_count().unwrap() > 0, "only a look: the rebase was rolled back");
    let held = store
        .record_outcomes(&[
            PushResult { client_id: client, mutation_id: issue, outcome: Outcome::Applied { seq: 6, number: None } },
            PushResult {
                client_id: client,
                mutation_id: refused,
                outcome: Outcome::Rejected { code: "permission_denied".into(), message: "Not allowed.".into() },
            },
        ])
        .unwrap();
    assert!(held.is_empty());
    assert_eq!(store.pending_count().unwrap(), 0, "both answers are recorded: nothing is pushed again");
    assert_eq!(store.rejected_mutations().unwrap()[0].mutation_id, refused);

    // The next page brings the customer; its rebase undoes the refused edit.
    let customer = server_change(5, &RecordBody::Contact(second.clone()));
    assert!(store.apply_pull_page(4, &server_page(vec![customer], 5, false)).unwrap().is_empty());
    let names: Vec<String> = store
        .connection()
        .prepare("SELECT name FROM contacts ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(names, ["Premier client", "Second client"], "the refused contact is gone");
    let fk: Option<String> =
        store.connection().query_row("PRAGMA foreign_key_check", [], |r| r.get(0)).optional().unwrap();
    assert_eq!(fk, None, "caught up, every reference holds");
    assert_eq!(store.document(draft.id).unwrap().status, DocumentStatus::Issued, "the applied edit still shows");
}

#[test]
fn a_record_the_copy_cannot_apply_is_kept_aside_once_and_the_log_goes_on() {
    use crate::sync::{DocumentRecord, RawChange, RecordBody, RecordKind};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let customer = contact("Garage Martin");
    let issued = |number: &str| {
        let mut invoice = invoice_for(&customer, &[(dec!(1), dec!(100))]);
        invoice.status = DocumentStatus::Issued;
        invoice.number = Some(number.into());
        invoice
    };
    let (first, twin) = (issued("FA-2026-00001"), issued("FA-2026-00001"));
    let unreadable = uuid::Uuid::now_v7();
    let page = vec![
        server_change(1, &RecordBody::Contact(customer.clone())),
        server_change(2, &RecordBody::Document(DocumentRecord::new(first.clone()))),
        // A record of a newer server, and one that breaks this copy's unique numbers.
        RawChange {
            seq: 3,
            kind: RecordKind::Document,
            id: unreadable,
            body: Some(
                serde_json::value::RawValue::from_string(r#"{"kind":"document","record":{"x":1}}"#.into()).unwrap(),
            ),
        },
        server_change(4, &RecordBody::Document(DocumentRecord::new(twin.clone()))),
        server_change(5, &RecordBody::Article(article("ART-1"))),
    ];
    let held = store.apply_pull_page(0, &server_page(page, 5, false)).unwrap();
    let named: Vec<(RecordKind, uuid::Uuid, &str)> = held.iter().map(|h| (h.kind, h.id, h.code.as_str())).collect();
    assert_eq!(
        named,
        [(RecordKind::Document, unreadable, "record_unreadable"), (RecordKind::Document, twin.id.0, "number_taken")]
    );
    assert!(held.iter().all(|h| h.message.contains(&h.id.to_string())), "the message names the record: {held:?}");
    assert_eq!(store.sync_cursor().unwrap().unwrap().seq, 5, "the cursor moved past them");
    assert_eq!(store.document(first.id).unwrap().number.as_deref(), Some("FA-2026-00001"));
    assert!(store.document(twin.id).is_err(), "the screens do not show a held record");
    let articles: i64 = store.connection().query_row("SELECT count(*) FROM articles", [], |r| r.get(0)).unwrap();
    assert_eq!(articles, 1, "the rest of the page is applied");
    assert_eq!(store.held_records().unwrap().len(), 2);

    // The next pages do not say it again; a new version of a held record replaces it.
    assert!(store.apply_pull_page(5, &server_page(Vec::new(), 5, false)).unwrap().is_empty());
    let renumbered = Document { number: Some("FA-2026-00002".into()), ..twin.clone() };
    let change = server_change(6, &RecordBody::Document(DocumentRecord::new(renumbered)));
    assert!(store.apply_pull_page(5, &server_page(vec![change], 6, false)).unwrap().is_empty());
    assert_eq!(store.document(twin.id).unwrap().number.as_deref(), Some("FA-2026-00002"));
    let left: Vec<uuid::Uuid> = store.held_records().unwrap().iter().map(|h| h.id).collect();
    assert_eq!(left, [unreadable]);
}

#[test]
fn a_draft_refers_only_to_records_that_exist_and_stay() {
    use crate::sync::Intent;
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let customer = contact("Garage Martin");
    store.submit(&Intent::CreateContact { contact: customer.clone() }).unwrap();
    let refusal = |store: &mut CompanyStore, document: Document| {
        store.submit(&Intent::SaveDraft { document }).unwrap_err().code().to_owned()
    };
    let mut credit = invoice_for(&customer, &[(dec!(1), dec!(100))]);
    credit.kind = DocumentKind::CreditNote;
    credit.corrects = Some(crate::model::DocumentId::new());
    assert_eq!(refusal(&mut store, credit.clone()), "credit_note_target_invalid");
    // Nor a draft invoice: drafts can be deleted, and the credit note would point nowhere.
    let draft = invoice_for(&customer, &[(dec!(1), dec!(100))]);
    store.submit(&Intent::SaveDraft { document: draft.clone() }).unwrap();
    credit.corrects = Some(draft.id);
    assert_eq!(refusal(&mut store, credit.clone()), "credit_note_target_invalid");
    store.submit(&Intent::IssueDocument { id: draft.id }).unwrap();
    store.submit(&Intent::SaveDraft { document: credit }).unwrap();

    let mut converted = invoice_for(&customer, &[(dec!(1), dec!(100))]);
    converted.source = Some(crate::model::DocumentId::new());
    assert_eq!(refusal(&mut store, converted.clone()), "source_not_found");
    converted.source = None;
    converted.lines[0].article_id = Some(ArticleId::new());
    assert_eq!(refusal(&mut store, converted), "article_not_found");

    let payment = Payment {
        id: PaymentId::new(),
        contact_id: Some(ContactId::new()),
        date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        amount: dec!(120),
        method: PaymentMethod::BankTransfer,
        reference: String::new(),
        allocations: vec![Allocation { document_id: draft.id, amount: dec!(120) }],
    };
    let err = store.submit(&Intent::RecordPayment { payment }).unwrap_err();
    assert_eq!(err.code(), "payer_not_found");
}

#[test]
fn a_reference_to_a_record_not_here_yet_is_named_with_its_owner() {
    use crate::sync::{DocumentRecord, RecordBody};
    let dir = TempDir::new().unwrap();
    let (mut store, _) = new_store(&dir, "a.comptoir");
    let customer = contact("Garage Martin");
    let mut draft = invoice_for(&customer, &[(dec!(1), dec!(100))]);
    let missing = ArticleId::new();
    draft.lines[0].article_id = Some(missing);
    // The log's order: the draft comes a page before the article its line names.
    let page = vec![
        server_change(1, &RecordBody::Contact(customer)),
        server_change(2, &RecordBody::Document(DocumentRecord::new(draft.clone()))),
    ];
    store.apply_pull_page(0, &server_page(page, 2, true)).unwrap();
    let named = super::outbox::first_dangling_reference(store.connection()).unwrap().unwrap();
    assert_eq!(named, format!("documents {} refers to articles {missing}, not in this copy yet", draft.id));
}

/// A snapshot page as a broken or hostile server may send it: records with a field
/// replaced by a value out of every range, a record twice, under another kind or another
/// record's id, or deleted. Whatever arrives, the first download neither panics nor
/// stops for good (a page refused whole would be asked again and refused forever): the
/// page is written with what cannot be applied set aside, the records no mutation
/// touched among them, the indexes set aside during the download build again, and every
/// record written is read back by the screens.
mod hostile_snapshot {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::accounting::AccountPlan;
    use crate::store::PreparedSnapshot;
    use crate::sync::{DocumentRecord, RawChange, RawSnapshotPage, RecordBody, RecordKind};

    /// The records of a small company, as a snapshot sends them: a customer, an article,
    /// an issued invoice (lines at two rates), a draft, a payment of part of the invoice.
    fn records() -> Vec<(RecordKind, uuid::Uuid, Value)> {
        let customer = contact("Garage Martin");
        let service = article("ART-1");
        let mut invoice = invoice_for(&customer, &[(dec!(2), dec!(85)), (dec!(1.5), dec!(12.40))]);
        invoice.lines[1].vat_rate = VatRate::new(dec!(5.5)).unwrap();
        invoice.lines[0].article_id = Some(service.id);
        invoice.issue(Some("FA-2026-00001".into())).unwrap();
        let draft = invoice_for(&customer, &[(dec!(1), dec!(10))]);
        let payment = Payment {
            id: PaymentId::new(),
            contact_id: Some(customer.id),
            date: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            amount: dec!(50),
            method: PaymentMethod::BankTransfer,
            reference: "VIR 118".into(),
            allocations: vec![Allocation { document_id: invoice.id, amount: dec!(50) }],
        };
        [
            RecordBody::Contact(customer),
            RecordBody::Article(service),
            RecordBody::Document(DocumentRecord::new(invoice)),
            RecordBody::Document(DocumentRecord::new(draft)),
            RecordBody::Payment(payment),
        ]
        .into_iter()
        .map(|body| (body.kind(), super::record_id(&body), serde_json::to_value(&body).unwrap()))
        .collect()
    }

    /// What a hostile server puts in a field.
    fn hostile_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!("99999999999999999999999999999")),
            Just(json!("-79228162514264337593543950335")),
            Just(json!("0.0000000000000000000000000001")),
            Just(json!(-1)),
            Just(json!(u64::MAX)),
            Just(json!(1e300)),
            Just(json!("")),
            Just(Value::Null),
            Just(json!("\u{0}")),
            Just(json!("x".repeat(5_000))),
            Just(json!([])),
            Just(json!({})),
            Just(json!("2026-02-30")),
            Just(json!("FA-2026-00001")),
            Just(json!(true)),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z0-9 .:-]{0,12}".prop_map(|s| json!(s)),
        ]
    }

    #[derive(Clone, Debug)]
    enum Mutation {
        /// The `leaf`-th scalar (modulo their count) of a record becomes `value`.
        Field { record: usize, leaf: usize, value: Value },
        /// A record sent twice, the second time with a field changed.
        Twice { record: usize, leaf: usize, value: Value },
        /// A record under another kind.
        Kind { record: usize, kind: RecordKind },
        /// A record under another record's id.
        Id { record: usize, of: usize },
        /// A record deleted (a snapshot sends none: a hostile one may).
        Deleted { record: usize },
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        let kinds = proptest::sample::select(vec![
            RecordKind::Contact,
            RecordKind::Article,
            RecordKind::Document,
            RecordKind::Payment,
            RecordKind::Settings,
            RecordKind::Audit,
        ]);
        prop_oneof![
            4 => (0..5usize, any::<usize>(), hostile_value())
                .prop_map(|(record, leaf, value)| Mutation::Field { record, leaf, value }),
            1 => (0..5usize, any::<usize>(), hostile_value())
                .prop_map(|(record, leaf, value)| Mutation::Twice { record, leaf, value }),
            1 => (0..5usize, kinds).prop_map(|(record, kind)| Mutation::Kind { record, kind }),
            1 => (0..5usize, 0..5usize).prop_map(|(record, of)| Mutation::Id { record, of }),
            1 => (0..5usize).prop_map(|record| Mutation::Deleted { record }),
        ]
    }

    /// The scalar leaves of `value` (and its empty arrays and objects), depth first.
    fn leaves(value: &mut Value) -> Vec<&mut Value> {
        let nested = match &*value {
            Value::Array(items) => !items.is_empty(),
            Value::Object(fields) => !fields.is_empty(),
            _ => false,
        };
        if !nested {
            return vec![value];
        }
        match value {
            Value::Array(items) => items.iter_mut().flat_map(leaves).collect(),
            Value::Object(fields) => fields.values_mut().flat_map(leaves).collect(),
            _ => Vec::new(),
        }
    }

    fn set_leaf(body: &mut Value, leaf: usize, value: Value) {
        let mut all = leaves(body);
        let count = all.len();
        *all.swap_remove(leaf % count) = value;
    }

    /// The page of `records`: one change each (seq 1, 2, …), the mutations applied.
    fn page(records: &[(RecordKind, uuid::Uuid, Value)], mutations: &[Mutation]) -> RawSnapshotPage {
        let mut changes: Vec<(RecordKind, uuid::Uuid, Option<Value>)> =
            records.iter().map(|(kind, id, body)| (*kind, *id, Some(body.clone()))).collect();
        let ids: Vec<uuid::Uuid> = changes.iter().map(|c| c.1).collect();
        for mutation in mutations {
            match mutation.clone() {
                Mutation::Field { record, leaf, value } => {
                    if let Some(body) = &mut changes[record].2 {
                        set_leaf(body, leaf, value);
                    }
                }
                Mutation::Twice { record, leaf, value } => {
                    let mut again = changes[record].clone();
                    if let Some(body) = &mut again.2 {
                        set_leaf(body, leaf, value);
                    }
                    changes.push(again);
                }
                Mutation::Kind { record, kind } => changes[record].0 = kind,
                Mutation::Id { record, of } => changes[record].1 = ids[of],
                Mutation::Deleted { record } => changes[record].2 = None,
            }
        }
        let changes: Vec<RawChange> = changes
            .into_iter()
            .zip(1u64..)
            .map(|((kind, id, body), seq)| RawChange {
                seq,
                kind,
                id,
                body: body.map(|body| serde_json::value::RawValue::from_string(body.to_string()).unwrap()),
            })
            .collect();
        RawSnapshotPage { epoch: uuid::Uuid::nil(), upto: changes.len() as u64, changes, next: None, records: None }
    }

    /// Reads back, as the screens do, a record the page wrote.
    fn read_back(store: &CompanyStore, kind: RecordKind, id: uuid::Uuid) -> Result<(), StoreError> {
        match kind {
            RecordKind::Contact => store.contact(ContactId(id)).map(drop),
            RecordKind::Article => store.article(ArticleId(id)).map(drop),
            RecordKind::Document => store.document(crate::model::DocumentId(id)).map(drop),
            RecordKind::Payment => store.payment(PaymentId(id)).map(drop),
            _ => Ok(()),
        }
    }

    /// Whether the store holds a record of `kind` with `id` that the screens list.
    fn stored(store: &CompanyStore, kind: RecordKind, id: uuid::Uuid) -> bool {
        let table = match kind {
            RecordKind::Contact => "contacts",
            RecordKind::Article => "articles",
            RecordKind::Document => "documents",
            RecordKind::Payment => "payments",
            _ => return false,
        };
        store
            .connection()
            .query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"), [id], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_page_unharmed_is_written_whole() {
        let dir = TempDir::new().unwrap();
        let (mut store, _) = new_store(&dir, "snapshot.comptoir");
        store.set_indexes_aside().unwrap();
        let records = records();
        let held = store.apply_snapshot_page(None, &PreparedSnapshot::prepare(page(&records, &[]), None)).unwrap();
        assert!(held.is_empty(), "{held:?}");
        store.restore_indexes().unwrap();
        for &(kind, id, _) in &records {
            assert!(stored(&store, kind, id), "{kind:?} {id}");
            read_back(&store, kind, id).unwrap();
        }
    }

    /// The ledger rows a first download keeps: (source, date, fingerprint), in order.
    fn ledger_rows(store: &CompanyStore) -> Vec<(uuid::Uuid, Option<String>, Option<String>)> {
        let mut stmt =
            store.connection().prepare("SELECT source_id, date, fingerprint FROM ledger ORDER BY source_id").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    }

    /// A table's rows as values, in `order`, without the columns a copy sets itself.
    fn table_rows(store: &CompanyStore, table: &str, order: &str) -> Vec<Vec<(String, rusqlite::types::Value)>> {
        let mut stmt = store.connection().prepare(&format!("SELECT * FROM {table} ORDER BY {order}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        stmt.query_map([], |r| {
            names
                .iter()
                .enumerate()
                .filter(|(_, name)| !matches!(name.as_str(), "rid" | "updated_at"))
                .map(|(i, name)| Ok((name.clone(), r.get(i)?)))
                .collect::<Result<Vec<_>, rusqlite::Error>>()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// The values of a document's row and lines worked out ahead (in the task that parses
    /// a page: its totals, its sort key, its amounts and rates as text) are those a write
    /// here makes: the server's invoice (two lines at two rates) and draft, downloaded,
    /// leave the rows and lines the same documents leave when written here.
    #[test]
    fn documents_downloaded_are_stored_as_the_same_documents_written_here() {
        let dir = TempDir::new().unwrap();
        let records = records();
        let (mut downloaded, _) = new_store(&dir, "downloaded.comptoir");
        downloaded.set_indexes_aside().unwrap();
        let prepared = PreparedSnapshot::prepare(page(&records, &[]), None);
        assert!(downloaded.apply_snapshot_page(None, &prepared).unwrap().is_empty());
        let (mut here, _) = new_store(&dir, "here.comptoir");
        here.write(|tx| {
            for (_, _, body) in &records {
                match serde_json::from_value(body.clone()).unwrap() {
                    RecordBody::Contact(contact) => tx.insert_contact(&contact)?,
                    RecordBody::Article(article) => tx.insert_article(&article)?,
                    RecordBody::Document(record) => tx.insert_document(&record.document)?,
                    _ => {}
                }
            }
            Ok(())
        })
        .unwrap();
        let documents = table_rows(&here, "documents", "id");
        assert_eq!(documents.len(), 2);
        assert_eq!(table_rows(&downloaded, "documents", "id"), documents);
        let lines = table_rows(&here, "document_lines", "document_id, position");
        assert_eq!(lines.len(), 3);
        assert_eq!(table_rows(&downloaded, "document_lines", "document_id, position"), lines);
    }

    /// The ledger rows worked out ahead, in the task that parses a page, are those the
    /// writer derives; worked out with another chart of accounts than the copy's, they
    /// are not used.
    #[test]
    fn ledger_rows_worked_out_ahead_are_those_the_writer_derives() {
        let dir = TempDir::new().unwrap();
        let records = records();
        // A first download of the page, its ledger rows worked out ahead with the chart
        // `ahead` gives from the copy's own (`None`: none worked out ahead).
        let download = |file: &str, ahead: &dyn Fn(AccountPlan) -> Option<AccountPlan>| {
            let (mut store, _) = new_store(&dir, file);
            store.set_indexes_aside().unwrap();
            let plan = ahead(store.account_plan().unwrap());
            let held = store.apply_snapshot_page(None, &PreparedSnapshot::prepare(page(&records, &[]), plan.as_ref()));
            assert!(held.unwrap().is_empty());
            ledger_rows(&store)
        };
        let another = |mut plan: AccountPlan| {
            plan.sales.number = "706900".into();
            plan
        };

        let derived = download("writer.comptoir", &|_| None);
        // The invoice's and the payment's.
        assert_eq!(derived.len(), 2, "{derived:?}");
        assert!(derived.iter().all(|(_, date, fingerprint)| date.is_some() && fingerprint.is_some()), "{derived:?}");
        assert_eq!(download("ahead.comptoir", &|own| Some(own)), derived);
        assert_eq!(download("other.comptoir", &|own| Some(another(own))), derived);

        // Worked out with the other chart, the invoice's row would have differed.
        let (store, _) = new_store(&dir, "plan.comptoir");
        let plan = store.account_plan().unwrap();
        let invoice = records
            .iter()
            .find_map(|(_, _, body)| match serde_json::from_value(body.clone()) {
                Ok(RecordBody::Document(record)) if record.document.number.is_some() => Some(record.document),
                _ => None,
            })
            .unwrap();
        let fingerprint = |plan: &AccountPlan| crate::accounting::entry_of_document(&invoice, plan).unwrap().unwrap();
        assert_ne!(fingerprint(&plan).fingerprint, fingerprint(&another(plan.clone())).fingerprint);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn a_hostile_snapshot_page_is_written_with_its_bad_records_aside_or_refused_whole(
            mutations in proptest::collection::vec(mutation(), 1..4)
        ) {
            let dir = TempDir::new().unwrap();
            let (mut store, _) = new_store(&dir, "snapshot.comptoir");
            store.set_indexes_aside().unwrap();
            let records = records();
            let page = page(&records, &mutations);
            let changes: Vec<(RecordKind, uuid::Uuid)> = page.changes.iter().map(|c| (c.kind, c.id)).collect();
            // The replica's rows the page leaves: each record's last change, its seq and
            // the digest of its body as sent (none after a deletion).
            let mut replica = std::collections::BTreeMap::new();
            for change in &page.changes {
                let digest = change.body.as_ref().map(|body| crate::sync::record_digest(change.id, body.get()));
                match digest {
                    Some(digest) => replica.insert((change.kind.as_str(), change.id), (change.seq, digest)),
                    None => replica.remove(&(change.kind.as_str(), change.id)),
                };
            }
            // The records no mutation names (by place, or by id for another's): a contact
            // and an article depend on no other record, so they are written whatever else
            // the page holds.
            let touched: Vec<usize> = mutations
                .iter()
                .flat_map(|m| match *m {
                    Mutation::Field { record, .. }
                    | Mutation::Twice { record, .. }
                    | Mutation::Kind { record, .. }
                    | Mutation::Deleted { record } => vec![record],
                    Mutation::Id { record, of } => vec![record, of],
                })
                .collect();
            let untouched_roots: Vec<(RecordKind, uuid::Uuid)> = records
                .iter()
                .enumerate()
                .filter(|(i, (kind, _, _))| {
                    !touched.contains(i) && matches!(kind, RecordKind::Contact | RecordKind::Article)
                })
                .map(|(_, (kind, id, _))| (*kind, *id))
                .collect();
            // Prepared as the download does: the ledger rows worked out ahead too.
            let plan = store.account_plan().unwrap();
            let held = store
                .apply_snapshot_page(None, &PreparedSnapshot::prepare(page, Some(&plan)))
                .map_err(|e| TestCaseError::fail(format!("the page refused whole: {e}")))?;
            prop_assert!(held.iter().all(|h| !h.code.is_empty() && h.message.contains(&h.id.to_string())));
            let in_replica: std::collections::BTreeMap<(&str, uuid::Uuid), (u64, u64)> = store
                .connection()
                .prepare("SELECT kind, id, seq, digest FROM replica")
                .unwrap()
                .query_map([], |r| {
                    let kind = RecordKind::parse(&r.get::<_, String>(0)?).unwrap().as_str();
                    let digest = u64::from_be_bytes(r.get::<_, i64>(3)?.to_be_bytes());
                    Ok(((kind, r.get(1)?), (u64::try_from(r.get::<_, i64>(2)?).unwrap(), digest)))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            prop_assert_eq!(in_replica, replica);
            // The download ends: what was set aside builds again over what was written.
            store.restore_indexes().map_err(|e| TestCaseError::fail(format!("indexes: {e}")))?;
            let check: String = store.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
            prop_assert_eq!(check, "ok");
            prop_assert_eq!(store.sync_cursor().unwrap().map(|c| c.seq), Some(changes.len() as u64));
            // Every record the screens list reads back.
            for (kind, id) in &changes {
                if stored(&store, *kind, *id) {
                    let read = read_back(&store, *kind, *id);
                    prop_assert!(read.is_ok(), "{:?} {} written but unreadable: {:?}", kind, id, read);
                }
            }
            for (kind, id) in &untouched_roots {
                prop_assert!(stored(&store, *kind, *id), "{:?} {} untouched, not written", kind, id);
            }
            for sort in [DocumentSort::Date, DocumentSort::Number, DocumentSort::Customer] {
                let listed = store.list_documents(
                    &DocumentFilter::kind(DocumentKind::Invoice),
                    sort,
                    SortDirection::Descending,
                    &PageRequest::First,
                    50,
                );
                prop_assert!(listed.is_ok(), "{:?}", listed.err());
            }
        }
    }
}
