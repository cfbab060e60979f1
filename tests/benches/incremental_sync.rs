//! Incremental sync benchmark: once a copy is up to date, how long 100 changes take to
//! travel. Copy A edits 100 contacts (each edit committed locally with its outbox entry),
//! then syncs (push, pull back); copy B then syncs and receives them. Both copies talk to
//! the real server over loopback, with real files, in release mode.
//!
//! Prints figures; asserts nothing about time. Target: a round trip of 100 changes
//! (A's push and pull, then B's pull) under 30 ms.
//!
//! The same rounds are then measured again with A's outbox full of the acknowledged edits
//! it keeps for a restored server ([`comptoir_core::store::KEPT_MAX`]).
//!
//! `COMPTOIR_BENCH_ROUNDS=N` sets how many rounds are measured (default 30).

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::time::Duration;

use chrono::Utc;
use comptoir_core::engine::Link;
use comptoir_core::store::KEPT_MAX;
use comptoir_core::sync::SyncClient;
use comptoir_tests::TestServer;
use comptoir_tests::bench::edit_round;

const CHANGES: usize = 100;

async fn copy(server: &TestServer, path: &std::path::Path) -> Result<Link, Box<dyn std::error::Error>> {
    let mut client = SyncClient::new(&server.url)?;
    client.login(&server.accounts.email, &server.accounts.password).await?;
    let (mut link, _) = Link::create(client, server.company(), path, Utc::now()).await?;
    link.sync(Utc::now, &mut |_| {}).await?;
    Ok(link)
}

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a short list of samples"
        )]
        let index = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[index].as_secs_f64() * 1000.0
    };
    println!("{label:<58} median {:>7.2} ms   p90 {:>7.2} ms   max {:>7.2} ms", at(0.5), at(0.9), at(1.0));
}

/// Measures `rounds` rounds and prints their figures, labelled with `note`.
async fn measure(
    a: &mut Link,
    b: &mut Link,
    contacts: &[comptoir_core::model::Contact],
    first: usize,
    rounds: usize,
    note: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut edits, mut a_push, mut a_sync, mut b_sync, mut round_trips) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in first..first + rounds {
        let times = edit_round(a, b, contacts, |i| format!("+33 1 {:02} {i:02} 00 00", round % 100)).await?;
        edits.push(times.edit);
        a_push.push(times.push);
        a_sync.push(times.a_sync);
        b_sync.push(times.b_sync);
        round_trips.push(times.round_trip);
        a.store.expire_kept(Utc::now())?;
    }
    summary(&format!("one local edit (commit with its outbox entry){note}"), edits);
    summary(&format!("A: push 100 edits (server applies each){note}"), a_push);
    summary(&format!("A: push 100 edits, pull them back{note}"), a_sync);
    summary(&format!("B: pull 100 edits (and their audit records){note}"), b_sync);
    summary(&format!("round trip of 100 changes (target 30 ms){note}"), round_trips);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::var("COMPTOIR_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let server = TestServer::start(10_000)?;
    let dir = tempfile::tempdir()?;
    let mut a = copy(&server, &dir.path().join("a.comptoir")).await?;
    let mut b = copy(&server, &dir.path().join("b.comptoir")).await?;
    let contacts = a.store.list_contacts(false, 0, u32::try_from(CHANGES)?)?;
    println!(
        "company of {} records; {rounds} rounds of {CHANGES} contact edits",
        server.stats(server.company())?.values().map(|s| s.count).sum::<u64>()
    );

    measure(&mut a, &mut b, &contacts, 0, rounds, "").await?;
    assert_eq!(a.store.replica_stats()?, b.store.replica_stats()?, "both copies agree");

    // A's outbox keeps what the server acknowledged, for a restored server (issue 15), up
    // to KEPT_MAX entries: the same rounds again once it is full. (A round pushes and
    // pulls; the bound is kept by a whole sync, done here after each round, untimed.)
    let mut round = rounds;
    while a.store.kept_count()? < KEPT_MAX {
        edit_round(&mut a, &mut b, &contacts, |i| format!("+33 2 {:02} {i:02} 00 00", round % 100)).await?;
        a.store.expire_kept(Utc::now())?;
        round += 1;
    }
    println!("A now keeps {} acknowledged edits ({round} rounds in all)", a.store.kept_count()?);
    measure(&mut a, &mut b, &contacts, round, rounds, ", full outbox").await?;
    assert_eq!(a.store.kept_count()?, KEPT_MAX, "never more");
    Ok(())
}
