//! LAN sync benchmark (issue 15): a company hosted by a computer of the local network,
//! served over TLS with the host's self-signed certificate on 127.0.0.2 (Linux routes all
//! of 127/8 to the loopback), and a device trusting it by the pinned fingerprint only.
//!
//! Two processes: the host (this benchmark, through the tests' harness) and the device
//! (this benchmark started again in client mode), so that the peak memory printed is the
//! device's alone. Prints figures; asserts nothing about time.
//!
//! - The first LAN sync of 10,000 and of 100,000 records (and 1,000,000 with
//!   `COMPTOIR_BENCH_1M=1`), timed as the user waits for it: from the device's start
//!   (its pinned client made, the TLS handshake and the sign-in) to the copy written on
//!   disk. The ledger derivation the app runs next is timed apart, then added, as
//!   `first_download` prints it over plain http. Target: 10,000 records under 1 s.
//! - An incremental sync of 100 changes, as `incremental_sync` times it over plain http:
//!   copy A edits 100 contacts, pushes and pulls; copy B then pulls them. Both copies
//!   are in the device's process and keep their connection between rounds; a third copy
//!   C pulls each round over a new TLS connection (its handshake included), as a device
//!   whose idle connection was closed does. Target: A's push and pull plus B's pull of
//!   100 changes under 50 ms. `COMPTOIR_BENCH_ROUNDS=N` sets the rounds (default 30).

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use comptoir_core::engine::Link;
use comptoir_core::lan::Fingerprint;
use comptoir_core::model::CompanyId;
use comptoir_core::store::CompanyStore;
use comptoir_core::sync::{LoginResponse, SyncClient};
use comptoir_tests::bench::edit_round;
use comptoir_tests::{TestServer, peak_rss_mib, spread};

/// Set in the device's process: what it runs, and with what (fields separated by `|`).
const CLIENT_MODE: &str = "COMPTOIR_BENCH_LAN_CLIENT";

/// The host's address: another loopback address than the device's 127.0.0.1.
const HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// The changes of one incremental round.
const CHANGES: usize = 100;

type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult {
    if let Ok(args) = std::env::var(CLIENT_MODE) {
        return device(&args);
    }
    let rounds: usize = std::env::var("COMPTOIR_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let mut sizes = vec![10_000, 100_000];
    if std::env::var("COMPTOIR_BENCH_1M").as_deref() == Ok("1") {
        sizes.push(1_000_000);
    }
    println!(
        "LAN sync: host on {HOST} over TLS (self-signed certificate, pinned by the device), device in a process of its own"
    );
    for records in sizes {
        let started = Instant::now();
        let host = TestServer::builder().lan_host(HOST).demo(records).start()?;
        let seeded = started.elapsed().as_secs_f64();
        first_sync(&host, records, seeded)?;
        if records == 10_000 {
            incremental(&host, rounds)?;
        }
    }
    Ok(())
}

/// The device's arguments common to both modes: the host's address and pin, the account,
/// the company.
fn device_args(host: &TestServer) -> BenchResult<String> {
    let pin = host.fingerprint().ok_or("the host serves no certificate")?;
    let accounts = &host.accounts;
    Ok(format!("{}|{}|{}|{}|{}", host.url, pin.to_base64url(), accounts.email, accounts.password, host.company()))
}

/// Runs the device's process in `mode` on `path`, its output captured.
fn run_device(host: &TestServer, mode: &str, path: &Path) -> BenchResult<String> {
    let args = format!("{mode}|{}|{}", device_args(host)?, path.display());
    let output = std::process::Command::new(std::env::current_exe()?).env(CLIENT_MODE, args).output()?;
    if !output.status.success() {
        return Err(format!("the device failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The first sync of the host's large company into a new file on the device, then a check
/// that the copy equals the host (untimed).
fn first_sync(host: &TestServer, records: u32, seeded: f64) -> BenchResult {
    let (_, _, count) = host.accounts.companies[1].clone();
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("device.comptoir");
    let figures = run_device(host, "first", &target)?;
    let copy = CompanyStore::open_read_only(&target)?.replica_stats()?;
    if copy != host.stats(host.company())? {
        return Err(format!("the copy of {count} records differs from the host's").into());
    }
    let target_note = if records == 10_000 { " (target: under 1 s)" } else { "" };
    println!("{count} records (seeded in {seeded:.1} s), copy equal to the host's{target_note}:");
    for line in figures.lines() {
        println!("  {line}");
    }
    Ok(())
}

/// The incremental rounds, in the device's process (which prints them).
fn incremental(host: &TestServer, rounds: usize) -> BenchResult {
    let dir = tempfile::tempdir()?;
    let figures = run_device(host, &format!("incremental:{rounds}"), dir.path())?;
    println!("{figures}");
    Ok(())
}

/// The device's process: the mode, then [`device_args`], then a path.
fn device(args: &str) -> BenchResult {
    let parts: Vec<&str> = args.split('|').collect();
    let [mode, url, pin, email, password, company, path] = parts.as_slice() else {
        return Err("bad device arguments".into());
    };
    let host =
        Host { url, pin: Fingerprint::from_base64url(pin)?, email, password, company: CompanyId(company.parse()?) };
    let path = Path::new(path);
    if *mode == "first" {
        // As `first_download`'s client runs.
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        return runtime.block_on(first_sync_device(&host, path));
    }
    let rounds = mode.strip_prefix("incremental:").ok_or("unknown device mode")?.parse()?;
    // As `incremental_sync` runs.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(incremental_device(&host, path, rounds))
}

/// What the device knows of its host from pairing, and its account.
struct Host<'a> {
    url: &'a str,
    pin: Fingerprint,
    email: &'a str,
    password: &'a str,
    company: CompanyId,
}

impl Host<'_> {
    /// A client trusting the host's certificate only, signed in: the TLS handshake and
    /// the sign-in. Returns the access token too.
    async fn sign_in(&self) -> BenchResult<(SyncClient, String)> {
        let mut client = SyncClient::pinned(self.url, self.pin)?;
        let LoginResponse::SignedIn(tokens) = client.login(self.email, self.password).await? else {
            return Err("two-factor".into());
        };
        Ok((client, tokens.access_token))
    }
}

/// Device mode: the first sync into a new file at `path`, printing its time, rate and
/// peak memory, then the ledger derivation the app runs next.
async fn first_sync_device(host: &Host<'_>, path: &Path) -> BenchResult {
    let started = Instant::now();
    let (client, _) = host.sign_in().await?;
    let signed_in = started.elapsed();
    // The engine's own path: a new file from the first page, then pages until done.
    let (mut link, _) = Link::create(client, host.company, path, Utc::now()).await?;
    let report = link.sync(Utc::now, &mut |_| {}).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let download = elapsed - signed_in.as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "record counts, far below 2^52")]
    let rate = report.pulled as f64 / download;
    println!(
        "first LAN sync in {elapsed:.2} s: TLS handshake and sign-in {:.0} ms, download {download:.2} s ({rate:.0} records/s); client peak memory {} MiB",
        signed_in.as_secs_f64() * 1000.0,
        peak_rss_mib()
    );
    // What the app runs right after, before its books are ready: the ledger derived from
    // every invoice and payment. Timed apart, then with the sync.
    let derived = Instant::now();
    let entries = link.store.refresh_whole_ledger(Utc::now().date_naive())?;
    let ledger = derived.elapsed().as_secs_f64();
    println!(
        "ledger derivation after it: {ledger:.2} s ({entries} sources); sync and ledger: {:.2} s; peak memory {} MiB",
        elapsed + ledger,
        peak_rss_mib()
    );
    Ok(())
}

/// A copy of the host's company in a new file at `path`, up to date.
async fn copy(host: &Host<'_>, path: &Path) -> BenchResult<(Link, String)> {
    let (client, token) = host.sign_in().await?;
    let (mut link, _) = Link::create(client, host.company, path, Utc::now()).await?;
    link.sync(Utc::now, &mut |_| {}).await?;
    Ok((link, token))
}

/// Device mode: `rounds` rounds of 100 contact edits on copy A, pushed and pulled back,
/// then pulled by copies B and C (in files under `dir`).
async fn incremental_device(host: &Host<'_>, dir: &Path, rounds: usize) -> BenchResult {
    let (mut a, _) = copy(host, &dir.join("a.comptoir")).await?;
    let (mut b, _) = copy(host, &dir.join("b.comptoir")).await?;
    let (mut c, c_token) = copy(host, &dir.join("c.comptoir")).await?;
    let contacts = a.store.list_contacts(false, 0, u32::try_from(CHANGES)?)?;
    let records: u64 = a.store.replica_stats()?.values().map(|s| s.count).sum();
    println!("incremental sync: company of {records} records; {rounds} rounds of {CHANGES} contact edits");

    let (mut a_push, mut a_sync, mut b_sync, mut round_trips, mut c_sync) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let times = edit_round(&mut a, &mut b, &contacts, |i| format!("+33 2 {round:02} {i:02} 00 00")).await?;
        a_push.push(times.push);
        a_sync.push(times.a_sync);
        b_sync.push(times.b_sync);
        round_trips.push(times.round_trip);

        // C's client is made before the clock starts (as the app keeps one), with no
        // connection yet: its sync opens one, handshake and all.
        c.client = SyncClient::pinned(host.url, host.pin)?;
        c.client.set_access_token(Some(c_token.clone()));
        let c_started = Instant::now();
        let report = c.sync(Utc::now, &mut |_| {}).await?;
        assert!(report.pulled >= CHANGES as u64, "every change received");
        c_sync.push(c_started.elapsed());
    }
    let a_stats = a.store.replica_stats()?;
    assert_eq!(a_stats, b.store.replica_stats()?, "copies A and B agree");
    assert_eq!(a_stats, c.store.replica_stats()?, "copies A and C agree");
    let line = |label: &str, samples: Vec<Duration>| println!("  {label:<58} {}", spread(samples));
    line("A: push 100 edits (the host applies each)", a_push);
    line("A: push 100 edits, pull them back", a_sync);
    line("B: pull 100 edits (and their audit records)", b_sync);
    line("round trip of 100 changes, A then B (target: under 50 ms)", round_trips);
    line("C: pull 100 edits over a new TLS connection", c_sync);
    println!("  device peak memory (three copies) {} MiB", peak_rss_mib());
    Ok(())
}
