//! Export benchmark: the audit trail of a company file as an Excel workbook, for 200,000
//! and 1,100,000 records (the latter past one sheet's 1,048,575 rows, so on two sheets).
//!
//! The parent fills the trail (real store, valid chain); each export runs in a child
//! process (this benchmark started again) so that the peak memory printed is the
//! export's alone. Prints figures; asserts nothing about time.
//!
//! Targets (issue: users and audit): 200,000 rows under 2 s; 1,100,000 rows under 10 s
//! with peak memory under 200 MB.
//!
//! `COMPTOIR_BENCH_AUDIT=N,M` changes the sizes.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::{TimeZone as _, Utc};
use comptoir_core::demo;
use comptoir_core::export::{AuditColumns, AuditExportOptions, export_audit_xlsx};
use comptoir_core::model::Country;
use comptoir_core::store::{AuditFilter, CompanyStore};
use comptoir_tests::peak_rss_mib;

const CHILD_MODE: &str = "COMPTOIR_BENCH_EXPORT_FILE";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(file) = std::env::var(CHILD_MODE) {
        return export(Path::new(&file));
    }
    let sizes: Vec<u64> = std::env::var("COMPTOIR_BENCH_AUDIT")
        .ok()
        .map_or_else(|| vec![200_000, 1_100_000], |v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let dir = tempfile::tempdir()?;
    for size in sizes {
        let path = dir.path().join(format!("trail-{size}.comptoir"));
        let mut store = CompanyStore::create(&path, &demo::demo_company(1, &Country::France))?;
        let started = Instant::now();
        demo::fill_audit_trail(&mut store, 1, size, Utc.with_ymd_and_hms(2024, 1, 2, 8, 0, 0).single().ok_or("date")?)?;
        store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        println!("audit_export benchmark: {size} records filled in {:.1} s", started.elapsed().as_secs_f64());
        drop(store);
        let status = std::process::Command::new(std::env::current_exe()?).env(CHILD_MODE, &path).status()?;
        if !status.success() {
            return Err(format!("the export of {size} records failed: {status}").into());
        }
    }
    Ok(())
}

/// The child: export the whole trail and print time, size and peak memory.
fn export(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let store = CompanyStore::open_read_only(path)?;
    let out = path.with_extension("xlsx");
    let options = AuditExportOptions::new(AuditColumns::english());
    let started = Instant::now();
    let report = export_audit_xlsx(&store, &AuditFilter::default(), &options, &out, &AtomicBool::new(false), |_| {})?;
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "row counts and file sizes far below 2^52")]
    let (rate, mib) = (report.rows as f64 / elapsed, std::fs::metadata(&out)?.len() as f64 / 1024.0 / 1024.0);
    println!(
        "  exported {} rows on {} sheet(s) in {elapsed:.2} s ({rate:.0} rows/s), file {mib:.0} MiB, peak memory {} MiB",
        report.rows,
        report.sheets,
        peak_rss_mib()
    );
    Ok(())
}
