//! Store benchmark: fills one company with 1,000,000 invoices (about three lines each)
//! through the real store and demo generator, then reads the first and the last page of
//! the invoice list sorted by date, number and customer.
//!
//! Prints figures; asserts nothing about time. Targets on a 2-core machine: the fill
//! under 60 s, each page read under 5 ms.
//!
//! `COMPTOIR_BENCH_INVOICES=N` changes the number of invoices;
//! `COMPTOIR_BENCH_BASELINE=0` skips the plain-SQLite baseline.

use std::time::{Duration, Instant};

use comptoir_core::demo::{self, DemoSize};
use comptoir_core::model::{Country, DocumentKind};
use comptoir_core::store::{CompanyStore, DocumentFilter, DocumentSort, PageRequest, SortDirection};

const PAGE: u32 = 50;
const READS: usize = 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let invoices: u32 = std::env::var("COMPTOIR_BENCH_INVOICES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    println!("invoice_list benchmark: {invoices} invoices, pages of {PAGE} rows");

    if std::env::var("COMPTOIR_BENCH_BASELINE").as_deref() != Ok("0") {
        let elapsed = plain_sqlite_baseline(&dir.path().join("baseline.sqlite"), invoices)?;
        println!("baseline: plain SQLite, {invoices} rows with two indexes: {:.1} s", elapsed.as_secs_f64());
    }

    let path = dir.path().join("bench.comptoir");
    let mut store = CompanyStore::create(&path, &demo::demo_company(1, &Country::France))?;
    let started = Instant::now();
    let report = demo::fill(&mut store, 1, &DemoSize::invoices_only(invoices))?;
    let fill = started.elapsed();
    store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    // File sizes are far below 2^52 bytes: the conversion to f64 for printing is exact.
    #[allow(clippy::cast_precision_loss)]
    let size = std::fs::metadata(&path)?.len() as f64;
    println!(
        "fill: {} invoices, {} lines, {} contacts in {:.1} s ({:.0} invoices/s); file {:.0} MiB ({:.0} bytes per invoice)",
        report.invoices,
        report.document_lines,
        report.contacts,
        fill.as_secs_f64(),
        f64::from(invoices) / fill.as_secs_f64(),
        size / 1024.0 / 1024.0,
        size / f64::from(invoices),
    );
    drop(store);

    // Pages are read the way the app reads them: through a read-only connection.
    let reader = CompanyStore::open_read_only(&path)?;
    let filter = DocumentFilter::kind(DocumentKind::Invoice);
    println!("page reads (first read, then median and worst of {READS}):");
    for sort in [DocumentSort::Date, DocumentSort::Number, DocumentSort::Customer] {
        for (label, request) in [
            ("first page", PageRequest::First),
            ("last page", PageRequest::Last),
            ("middle page (offset)", PageRequest::Offset(u64::from(invoices / 2))),
        ] {
            let mut times = Vec::with_capacity(READS + 1);
            let mut rows = 0;
            for _ in 0..=READS {
                let started = Instant::now();
                let page = reader.list_documents(&filter, sort, SortDirection::Descending, &request, PAGE)?;
                times.push(started.elapsed());
                rows = page.rows.len();
            }
            let first = times[0];
            let mut rest = times[1..].to_vec();
            rest.sort();
            println!(
                "  {sort:?} {label:<22} {rows} rows: first {:.3} ms, median {:.3} ms, worst {:.3} ms",
                ms(first),
                ms(rest[rest.len() / 2]),
                ms(rest[rest.len() - 1])
            );
        }
        let plan = reader.list_documents_plan(&filter, sort, SortDirection::Descending, &PageRequest::Last, PAGE)?;
        println!("  {sort:?} plan: {}", plan.join(" | "));
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The same number of rows of about the same size, in one plain table with two indexes:
/// what SQLite itself costs on this machine, to compare the store's fill with.
fn plain_sqlite_baseline(path: &std::path::Path, rows: u32) -> Result<Duration, Box<dyn std::error::Error>> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, day TEXT NOT NULL, total INTEGER NOT NULL,
                         payload TEXT NOT NULL);
         CREATE INDEX t_customer ON t (customer, day);
         CREATE INDEX t_day ON t (day);",
    )?;
    let started = Instant::now();
    let mut remaining = rows;
    let mut n: u64 = 0;
    while remaining > 0 {
        let batch = remaining.min(5_000);
        let tx = conn.unchecked_transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO t (customer, day, total, payload) VALUES (?1, ?2, ?3, ?4)")?;
            for _ in 0..batch {
                n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                stmt.execute(rusqlite::params![
                    format!("Client {}", n % 10_000),
                    format!("2025-{:02}-{:02}", n % 12 + 1, n % 28 + 1),
                    i64::try_from(n % 100_000)?,
                    "Ligne de facture avec une description de taille moyenne, quantité et prix",
                ])?;
            }
        }
        tx.commit()?;
        remaining -= batch;
    }
    Ok(started.elapsed())
}
