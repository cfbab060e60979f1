//! Sync server benchmark: how fast a large demo company is served to a client pulling it
//! from scratch over loopback HTTP, in pages, as a first download does.
//!
//! Prints figures; asserts nothing about time. Target: at least 100,000 records per
//! second served, so that the server is never what slows a first download.
//!
//! `COMPTOIR_BENCH_PULL_RECORDS=N` sets the large company's size (default: the demo's
//! large company); `COMPTOIR_BENCH_PAGE=N` the page size (default 5,000, the maximum).

use std::time::Instant;

use comptoir_core::demo::DemoSize;
use comptoir_core::model::CompanyId;
use comptoir_core::sync::PullPage;
use comptoir_tests::TestServer;

/// A pull page read for its cursor only.
#[derive(serde::Deserialize)]
struct PageOutline {
    changes: Vec<serde::de::IgnoredAny>,
    cursor: CursorOutline,
    has_more: bool,
}

#[derive(serde::Deserialize)]
struct CursorOutline {
    seq: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size = std::env::var("COMPTOIR_BENCH_PULL_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(DemoSize::LARGE, DemoSize::with_records);
    let page_size: u32 = std::env::var("COMPTOIR_BENCH_PAGE").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);

    // The server through the tests' harness, in its own runtime; the client in this one.
    let started = Instant::now();
    let server = TestServer::builder().demo_size(size).start()?;
    let (company, name, records) = server.accounts.companies[1].clone();
    println!("pull benchmark: {name}, {records} records, seeded in {:.1} s", started.elapsed().as_secs_f64());
    tokio::runtime::Runtime::new()?.block_on(pull_runs(&server, company, page_size))
}

/// Three first downloads of `company` in pages of `page_size`: each timed as served (the
/// body read whole), then as the engine parses it.
async fn pull_runs(
    test_server: &TestServer,
    company: CompanyId,
    page_size: u32,
) -> Result<(), Box<dyn std::error::Error>> {
    let (url, http, accounts) = (&test_server.url, test_server.http(), &test_server.accounts);
    let login = test_server.signed_in(&accounts.email, &accounts.password).await;
    let token = login["access_token"].as_str().ok_or("no token")?.to_owned();

    for run in 1..=3 {
        // Served: the server's side of the work (query, JSON, HTTP), the body read whole.
        let started = Instant::now();
        let (mut after, mut changes, mut bytes, mut pages) = (0_u64, 0_usize, 0_usize, 0);
        loop {
            let body = http
                .get(format!("{url}/v1/companies/{company}/sync/pull?after={after}&limit={page_size}"))
                .bearer_auth(&token)
                .send()
                .await?
                .bytes()
                .await?;
            bytes += body.len();
            pages += 1;
            // Only the cursor is read here (changes skipped unbuilt); the typed pass below
            // measures the client's parse.
            let page: PageOutline = serde_json::from_slice(&body)?;
            changes += page.changes.len();
            after = page.cursor.seq;
            if !page.has_more {
                break;
            }
        }
        let served = started.elapsed().as_secs_f64();

        // Typed: the same download parsed into the protocol's types, as the engine will.
        let started = Instant::now();
        let mut after = 0_u64;
        loop {
            let page: PullPage = http
                .get(format!("{url}/v1/companies/{company}/sync/pull?after={after}&limit={page_size}"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            after = page.cursor.seq;
            if !page.has_more {
                break;
            }
        }
        let typed = started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52, printed only")]
        let (changes_f, bytes_f) = (changes as f64, bytes as f64);
        println!(
            "run {run}: {changes} changes in {pages} pages of {page_size}, {:.1} MiB: served in {served:.2} s \
             ({:.0} records/s); with typed parsing {typed:.2} s ({:.0} records/s)",
            bytes_f / 1024.0 / 1024.0,
            changes_f / served,
            changes_f / typed,
        );
    }
    Ok(())
}
