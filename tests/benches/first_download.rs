//! Client benchmark: the first download of a company from a server on loopback, into a
//! local file on disk, for 10k and 100k records (and 1M with `COMPTOIR_BENCH_1M=1`).
//!
//! The download runs in a child process (this benchmark started again in client mode),
//! so that the peak memory printed is the client's alone. Prints figures; asserts
//! nothing about time. Targets (issue: the sync engine): 10k records in under 0.5 s,
//! 1M in under 20 s, client peak memory under 200 MB.

use std::time::Instant;

use comptoir_core::engine::Link;
use comptoir_core::model::CompanyId;
use comptoir_core::sync::{LoginResponse, SyncClient};
use comptoir_tests::{TestServer, peak_rss_mib};

const CLIENT_MODE: &str = "COMPTOIR_BENCH_CLIENT";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(args) = std::env::var(CLIENT_MODE) {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        return runtime.block_on(client(&args));
    }
    let mut sizes = vec![10_000, 100_000];
    if std::env::var("COMPTOIR_BENCH_1M").as_deref() == Ok("1") {
        sizes.push(1_000_000);
    }
    for records in sizes {
        server_and_download(records)?;
    }
    Ok(())
}

/// Seeds a server of about `records` records through the tests' harness (its own runtime,
/// on loopback), then downloads its large company in a child process.
fn server_and_download(records: u32) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let server = TestServer::start(records)?;
    let (company, _, count) = server.accounts.companies[1].clone();
    let seeded = started.elapsed().as_secs_f64();

    let client_dir = tempfile::tempdir()?;
    let target = client_dir.path().join("client.comptoir");
    let accounts = &server.accounts;
    let args = format!("{}|{}|{}|{company}|{}", server.url, accounts.email, accounts.password, target.display());
    let output = std::process::Command::new(std::env::current_exe()?).env(CLIENT_MODE, args).output()?;
    if !output.status.success() {
        return Err(format!("client failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    println!("{count} records (seeded in {seeded:.1} s): {}", String::from_utf8_lossy(&output.stdout).trim());
    Ok(())
}

/// Client mode: download the company into a new file, print time, rate and peak memory.
async fn client(args: &str) -> Result<(), Box<dyn std::error::Error>> {
    let parts: Vec<&str> = args.split('|').collect();
    let [url, email, password, company, path] = parts.as_slice() else { return Err("bad client arguments".into()) };
    let company = CompanyId(company.parse()?);
    let mut client = SyncClient::new(url)?;
    let LoginResponse::SignedIn(_) = client.login(email, password).await? else { return Err("two-factor".into()) };

    // The engine's own path: a new file from the first page, then pages until done.
    let started = Instant::now();
    let (mut link, _) = Link::create(client, company, std::path::Path::new(path), chrono::Utc::now()).await?;
    let report = link.sync(chrono::Utc::now, &mut |_| {}).await?;
    let changes = report.pulled;
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "record counts, far below 2^52")]
    let rate = changes as f64 / elapsed;
    println!("first download in {elapsed:.2} s ({rate:.0} records/s), client peak memory {} MiB", peak_rss_mib());
    // What the app runs right after, before its books are ready: the ledger derived from
    // every invoice and payment. Timed apart, then with the download.
    let derived = Instant::now();
    let entries = link.store.refresh_whole_ledger(chrono::Utc::now().date_naive())?;
    let ledger = derived.elapsed().as_secs_f64();
    println!(
        "ledger derivation after it: {ledger:.2} s ({entries} sources); download and ledger: {:.2} s; peak memory {} MiB",
        elapsed + ledger,
        peak_rss_mib()
    );
    Ok(())
}
