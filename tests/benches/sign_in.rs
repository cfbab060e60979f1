//! Sign-in benchmark: how many sign-ins a second the real server completes over loopback
//! HTTP, with password hashing behind its bounded pool (one Argon2id hash per core at a
//! time), as more clients sign in at once; then what a burst far beyond the pool gets.
//!
//! A sign-in here is the whole request: the account read, one Argon2id check (19 MiB,
//! 2 passes), the failure count cleared, a session and an access token stored, and a
//! sign-in record in the audit trail of each of the account's two companies.
//!
//! Prints figures; asserts nothing about time. What to look for: the rate levels off at
//! about the cores divided by one hash's time, instead of falling as clients are added;
//! latency grows with the queue; a burst beyond the queue is answered `503` at once, and
//! the process's memory stays bounded.
//!
//! `COMPTOIR_BENCH_SIGN_INS=N` sets the sign-ins measured per level (default 128).

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::time::{Duration, Instant};

use comptoir_core::sync::SyncClient;
use comptoir_server::Limits;
use comptoir_server::hashing::HashingLimits;
use comptoir_server::rate_limit::Rate;
use comptoir_tests::{TestServer, ms, peak_rss_mib, spread};

/// Limits that let the benchmark sign in as fast as the hashing pool allows.
fn unlimited_rates(hashing: HashingLimits) -> Limits {
    Limits {
        auth_per_address: Rate { per_minute: u32::MAX },
        auth_global: Rate { per_minute: u32::MAX },
        hashing,
        ..Limits::default()
    }
}

/// `total` sign-ins by `clients` clients at once, each signing in again as soon as it is
/// answered. Returns the wall time and each sign-in's time.
async fn sign_ins(
    server: &TestServer,
    clients: usize,
    total: usize,
    password: &str,
) -> Result<(Duration, Vec<Duration>), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (url, email, password) = (server.url.clone(), server.accounts.email.clone(), password.to_owned());
        let count = total / clients + usize::from(client < total % clients);
        tasks.spawn(async move {
            let mut sync = SyncClient::new(&url)?;
            let mut times = Vec::with_capacity(count);
            for _ in 0..count {
                let one = Instant::now();
                sync.login(&email, &password).await?;
                times.push(one.elapsed());
            }
            Ok::<_, comptoir_core::sync::ClientError>(times)
        });
    }
    let mut times = Vec::with_capacity(total);
    for result in tasks.join_all().await {
        times.extend(result?);
    }
    Ok((started.elapsed(), times))
}

#[allow(clippy::cast_precision_loss, reason = "counts below a million, for a rate")]
fn per_second(count: usize, wall: Duration) -> f64 {
    count as f64 / wall.as_secs_f64()
}

/// `count` unknown-email sign-ins sent at once: how each was answered, and how long the
/// whole burst took.
async fn burst(
    server: &TestServer,
    count: usize,
) -> Result<(Vec<(u16, String)>, Duration), Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let request = http
            .post(format!("{}/v1/auth/login", server.url))
            .json(&serde_json::json!({"email": format!("nobody-{i}@example.fr"), "password": "whatever"}));
        tasks.spawn(async move {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await?;
            Ok::<_, reqwest::Error>((status, body["error"]["code"].as_str().unwrap_or_default().to_owned()))
        });
    }
    let mut answers = Vec::with_capacity(count);
    for answer in tasks.join_all().await {
        answers.push(answer?);
    }
    Ok((answers, started.elapsed()))
}

fn tally(answers: &[(u16, String)]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for (status, code) in answers {
        *counts.entry(format!("{status} {code}")).or_insert(0_usize) += 1;
    }
    counts.iter().map(|(answer, n)| format!("{n} × {answer}")).collect::<Vec<_>>().join(", ")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = std::env::var("COMPTOIR_BENCH_SIGN_INS").ok().and_then(|v| v.parse().ok()).unwrap_or(128);
    let hashing = HashingLimits { queue: 100_000, max_wait: Duration::from_mins(10), ..HashingLimits::default() };
    println!(
        "sign-in benchmark: {} cores available, {} Argon2id hashes at a time",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        hashing.parallel
    );

    let mut hash_times = Vec::new();
    let hash = comptoir_server::auth::hash_password("un mot de passe solide")?;
    for _ in 0..16 {
        let one = Instant::now();
        comptoir_server::auth::verify_password("un mot de passe solide", &hash);
        hash_times.push(one.elapsed());
    }
    println!("one Argon2id check alone, on this thread:      {}", spread(hash_times));

    let server = TestServer::start_with(100, unlimited_rates(hashing))?;
    println!("peak resident memory once the server is seeded: {} MiB", peak_rss_mib());
    let password = server.accounts.password.clone();
    // Warm up: connections, the dummy hash, SQLite's caches.
    sign_ins(&server, 2, 8, &password).await?;
    for clients in [1, 2, 4, 16, 64] {
        let (wall, times) = sign_ins(&server, clients, total.max(clients), &password).await?;
        println!(
            "{clients:>3} clients at once: {:>6.1} sign-ins/s ({} in {:.2} s); each {}; peak memory {} MiB",
            per_second(times.len(), wall),
            times.len(),
            wall.as_secs_f64(),
            spread(times),
            peak_rss_mib()
        );
    }
    drop(server);

    // A burst far beyond the pool: with the default queue (32 waiting per permit) and
    // wait (10 s), what cannot wait is turned away at once rather than piled up.
    let server = TestServer::start_with(100, unlimited_rates(HashingLimits::default()))?;
    let (answers, wall) = burst(&server, 1_000).await?;
    println!(
        "burst of 1,000 sign-ins at once, default hashing queue: {} in {:.0} ms; peak memory {} MiB",
        tally(&answers),
        ms(wall),
        peak_rss_mib()
    );
    drop(server);

    // The same burst from one address with the default limits: the rate limit answers first.
    let server = TestServer::start(100)?;
    let (answers, wall) = burst(&server, 1_000).await?;
    println!(
        "burst of 1,000 from one address, default limits: {} in {:.0} ms; peak memory {} MiB",
        tally(&answers),
        ms(wall),
        peak_rss_mib()
    );
    Ok(())
}
