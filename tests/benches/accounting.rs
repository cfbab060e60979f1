//! Accounting benchmark on a company of N invoices with their payments (200,000 by
//! default; `COMPTOIR_BENCH_ACCOUNTING=N`):
//!
//! - deriving every entry from its source, as the engine does after a first download,
//!   in its chunks of 2,000 sources;
//! - counting what is pending (the banner's question);
//! - the posting dialog's batch of the whole period (count, totals, digest), streamed;
//! - exporting every entry as a FEC, in a child process so that its peak memory is its
//!   own;
//! - deriving again after one invoice changed (the engine's everyday step).
//!
//! Prints figures; asserts nothing about time.

use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use comptoir_core::accounting::export::{Format, Scope, export_entries_file};
use comptoir_core::demo::{self, DemoSize};
use comptoir_core::model::Country;
use comptoir_core::store::CompanyStore;
use comptoir_tests::peak_rss_mib;

const CHILD_MODE: &str = "COMPTOIR_BENCH_FEC_FILE";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(file) = std::env::var(CHILD_MODE) {
        return export(Path::new(&file));
    }
    let invoices: u32 = std::env::var("COMPTOIR_BENCH_ACCOUNTING").ok().and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("books.comptoir");
    let started = Instant::now();
    let size = DemoSize { payments: true, ..DemoSize::invoices_only(invoices) };
    let (mut store, _) = demo::create_demo_file(&path, 1, &Country::France, &size)?;
    let sources = store.ledger_backlog()?;
    println!(
        "accounting benchmark: {invoices} invoices and their payments ({sources} sources) made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    while store.refresh_ledger(today(), 2_000)? == 2_000 {}
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let rate = sources as f64 / elapsed;
    println!("  derived every entry in {elapsed:.2} s ({rate:.0} sources/s, chunks of 2,000)");

    let started = Instant::now();
    let pending = store.pending_entry_count()?;
    println!("  pending entries counted: {pending} in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);

    let started = Instant::now();
    let batch = store.pending_batch((None, today()))?;
    println!(
        "  the posting dialog's batch: {} entries, debit {} = credit {}, in {:.2} s",
        batch.entries,
        batch.debit,
        batch.credit,
        started.elapsed().as_secs_f64()
    );

    // One issued invoice changes (its customer's name, as a correction would): its
    // entry is derived again, and its reversal and new entry wait.
    let id: uuid::Uuid = store.connection().query_row(
        "SELECT id FROM documents WHERE kind = 'invoice' AND number IS NOT NULL LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    store.connection().execute(
        "UPDATE documents SET customer_name = customer_name || ' (corrigé)' WHERE id = ?1",
        rusqlite::params![id],
    )?;
    let started = Instant::now();
    let done = store.refresh_ledger(today(), 2_000)?;
    println!(
        "  one changed invoice derived again in {:.2} ms ({done} source; {} entries now pending)",
        started.elapsed().as_secs_f64() * 1e3,
        store.pending_entry_count()?
    );
    store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    drop(store);
    let status = std::process::Command::new(std::env::current_exe()?).env(CHILD_MODE, &path).status()?;
    if !status.success() {
        return Err(format!("the FEC export failed: {status}").into());
    }
    Ok(())
}

/// The child: every entry as a FEC, with time, size and peak memory.
fn export(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let store = CompanyStore::open_read_only(path)?;
    let out = path.with_extension("txt");
    let started = Instant::now();
    let summary = export_entries_file(&store, Format::Fec, Scope::All, None, today(), &out)?;
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "counts and sizes far below 2^52")]
    let (rate, mib) = (summary.entries as f64 / elapsed, std::fs::metadata(&out)?.len() as f64 / 1024.0 / 1024.0);
    println!(
        "  FEC of {} entries ({} lines) in {elapsed:.2} s ({rate:.0} entries/s), file {mib:.0} MiB, balanced: {}, peak memory {} MiB",
        summary.entries,
        summary.lines,
        summary.debit == summary.credit,
        peak_rss_mib()
    );
    Ok(())
}
