//! The app reads through a read-only connection while the engine writes through its
//! own (design: "read visible rows: read-only SQLite connection (WAL) owned by the UI").
//! With WAL, a reader never waits for the writer and always sees whole transactions.

use comptoir_core::demo::{self, DemoSize};
use comptoir_core::model::{Country, DocumentKind};
use comptoir_core::store::{CompanyStore, DocumentFilter, DocumentSort, PageRequest, SortDirection};

#[test]
fn the_ui_reads_consistent_pages_while_the_engine_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.comptoir");
    let (mut writer, _) = demo::create_demo_file(
        &path,
        11,
        &Country::France,
        &DemoSize { invoices: 200, payments: false, ..DemoSize::SMALL },
    )
    .unwrap();
    let reader = CompanyStore::open_read_only(&path).unwrap();
    let filter = DocumentFilter::kind(DocumentKind::Invoice);
    let before = reader.count_documents(&filter).unwrap();

    let writing = {
        std::thread::spawn(move || {
            // Ten transactions of 100 invoices each, the way a sync applies pages.
            for round in 0..10 {
                demo::fill(
                    &mut writer,
                    100 + round,
                    &DemoSize { contacts: 0, articles: 0, ..DemoSize::invoices_only(100) },
                )
                .unwrap();
            }
        })
    };

    let mut seen = Vec::new();
    while !writing.is_finished() {
        // Count and page in one read transaction, as a screen does.
        reader.connection().execute_batch("BEGIN").unwrap();
        let count = reader.count_documents(&filter).unwrap();
        let page = reader
            .list_documents(&filter, DocumentSort::Date, SortDirection::Descending, &PageRequest::First, 50)
            .unwrap();
        reader.connection().execute_batch("COMMIT").unwrap();
        assert_eq!(page.rows.len(), 50);
        assert_eq!((count - before) % 100, 0, "a reader sees whole transactions only, saw {count}");
        seen.push(count);
    }
    writing.join().unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "counts only grow: {seen:?}");
    assert_eq!(reader.count_documents(&filter).unwrap(), before + 1_000);
}
