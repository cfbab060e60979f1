//! Posting a large period through real HTTP (issue 12, item 10): the demo's large company
//! of N records (`COMPTOIR_BENCH_POSTING=N`, 20,000 by default), its pending entries as
//! the app derives them, posted
//!
//! - in parts of 1,000 entries then one commit (one posting, whole or not at all): the
//!   time to stage the parts, and the commit's, during which the server's storage is held;
//! - for comparison, on a copy of the same server, as separate one-request postings of
//!   1,000 entries (what the app did before: each its own transaction).
//!
//! Prints figures; asserts nothing about time.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use comptoir_core::accounting::{PostBatch, PostingPart};
use comptoir_core::engine::link::Link;
use comptoir_tests::TestServer;
use comptoir_tests::checks::signed_in;

const PART: usize = 1_000;

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn rate(count: usize, seconds: f64) -> f64 {
    count as f64 / seconds
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let records: u32 = std::env::var("COMPTOIR_BENCH_POSTING").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let started = Instant::now();
    let server = TestServer::start(records)?;
    let company = server.company();
    let (client, _) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let dir = tempfile::tempdir()?;
    let (mut link, _) = Link::create(client, company, &dir.path().join("copy.comptoir"), Utc::now()).await?;
    link.sync(Utc::now, &mut |_| {}).await?;
    link.store.refresh_whole_ledger(Utc::now().date_naive())?;
    let to = NaiveDate::from_ymd_opt(2099, 12, 31).ok_or("date")?;
    let pending = link.store.pending_entries(None, to)?;
    let bytes = serde_json::to_vec(&pending)?.len();
    println!(
        "posting benchmark: {records} records, {} pending entries ({:.1} MiB of JSON), ready in {:.1} s",
        pending.len(),
        rate(bytes, 1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    // The same server as it is now, for the one-request postings.
    let copy_dir = tempfile::tempdir()?;
    let copy = server.fork_in(copy_dir.path())?;

    let (client, _) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let posting = uuid::Uuid::now_v7();
    let started = Instant::now();
    let mut parts = 0;
    for entries in pending.chunks(PART) {
        parts += 1;
        let part = PostingPart { from: None, to, entries: entries.to_vec() };
        client.post_part(company, posting, parts, &part).await?;
    }
    let staged = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let receipt = client.commit_posting(company, posting, parts).await?;
    let committed = started.elapsed().as_secs_f64();
    println!(
        "  in {parts} parts: staged in {staged:.2} s ({:.0} entries/s), committed in {committed:.2} s \
         ({:.0} entries/s; the storage is held that long), {} entries posted",
        rate(pending.len(), staged),
        rate(pending.len(), committed),
        receipt.entries
    );

    let (client, _) = signed_in(&copy.url, &copy.accounts.email, &copy.accounts.password).await;
    let started = Instant::now();
    let mut longest = 0.0_f64;
    for entries in pending.chunks(PART) {
        let batch = PostBatch { id: uuid::Uuid::now_v7(), from: None, to, entries: entries.to_vec() };
        let one = Instant::now();
        client.post_batch(company, &batch).await?;
        longest = longest.max(one.elapsed().as_secs_f64());
    }
    let total = started.elapsed().as_secs_f64();
    println!(
        "  as {parts} one-request postings (before): {total:.2} s ({:.0} entries/s), the longest {longest:.2} s",
        rate(pending.len(), total)
    );
    Ok(())
}
