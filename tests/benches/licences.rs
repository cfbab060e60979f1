//! Licence list benchmark: what the « À propos de Comptoir » window costs to open —
//! decompressing and parsing the list built into the binary (on a thread of its own in
//! the app) — and a search of it (on the UI thread, once per change of the query).
//! Prints figures; asserts nothing about time.
//!
//! `COMPTOIR_BENCH_LICENCE_RUNS=N` changes the number of runs (default 20).

use std::time::{Duration, Instant};

use comptoir::licences::Licences;
use comptoir_tests::{ms, spread};

fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = work();
    (result, started.elapsed())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::var("COMPTOIR_BENCH_LICENCE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);

    let mut reads = Vec::new();
    let mut licences = Licences::default();
    for _ in 0..runs {
        let (read, time) = timed(Licences::embedded);
        licences = read?;
        reads.push(time);
    }
    let bytes: usize = licences.texts.iter().map(String::len).sum();
    println!(
        "licence list read ({} components, {} texts, {:.2} MB of text; {runs} runs): {}",
        licences.components.len(),
        licences.texts.len(),
        f64::from(u32::try_from(bytes)?) / 1e6,
        spread(reads)
    );

    for query in ["", "egui", "mit apache"] {
        let mut searches = Vec::new();
        let mut found = 0;
        for _ in 0..runs {
            let (count, time) = timed(|| licences.search(query).count());
            found = count;
            searches.push(time);
        }
        println!("search “{query}” ({found} found; {runs} runs): {}", spread(searches));
    }
    let (_, first) = timed(|| licences.search("egui").count());
    println!("one search: {:.3} ms", ms(first));
    Ok(())
}
