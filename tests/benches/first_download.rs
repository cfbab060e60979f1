//! Client benchmark: the first download of a company, against the raw SQLite insert of the
//! same rows, in one run (issue 18).
//!
//! For each size (the demo's large company of about 126,000 and 1,260,000 records; or
//! `COMPTOIR_BENCH_RECORDS=N[,N…]`, the sizes asked of the demo's generator, which makes
//! about 1.26 records per one asked; `COMPTOIR_BENCH_QUICK=1` for 10,000), a server on
//! loopback is seeded, then two child processes (this benchmark started again, so that
//! each one's peak memory is its own) download the company:
//!
//! - **raw**: pulls the same pages and inserts each record's kind, id, seq and JSON body
//!   into a plain table of a new SQLite file with two indexes (kind and id unique; kind
//!   and seq), one transaction per page, in WAL mode; run twice, with each commit flushed
//!   (`synchronous=FULL`, the app's edits) and without (`NORMAL`, what the app writes
//!   a snapshot's pages with). Only the inserts and commits are timed: the pull and the
//!   parse are left out. The ratio is taken against the `NORMAL` run, like for like;
//!   the one against `FULL` (the baseline of the stops before) is printed too.
//! - **app**: the engine's own path (`Link::create`, then `Link::sync`: the company's
//!   snapshot page by page, settings first and the newest documents before the older,
//!   then the log after it; records written to the screens' tables, the replica, the
//!   audit trail and the ledger as they arrive; indexes and search built at the end),
//!   then what is left of the ledger to derive, which the app runs before its books are
//!   ready. Timed whole, the network and the JSON parse included. Run twice: page by
//!   page first, then from the company file the server keeps ready (written by the server
//!   between the two runs, as its background thread does ahead of any download; that
//!   writing is printed, not counted in the app's time): the first pages come page by
//!   page until the company can open (settings, contacts, articles, newest documents),
//!   the file is downloaded and checked whole beside them (`integrity_check` and the
//!   rest, see `comptoir_core::store::check_copy`) while the pages wait, takes the place
//!   of the file the pages began (`CompanyStore::take_over`), then the log after it is
//!   pulled.
//!
//! Prints, per size: the raw insert time, the app's time until fully ready, their ratio,
//! the time until the company first opens (when the engine tells the window it may:
//! [`comptoir_core::engine::Event::CopyUsable`]; the window's reading of its first
//! screens is left out, see the `ui` benchmark), each child's peak memory, and the app
//! child's CPU time (the writing thread's, and the whole process's) and the server's
//! while it serves the app (it runs in this process, on the same cores). Asserts nothing
//! about time. Targets (issue 18): ratio ≤ 2.0 at 1.26M, first opening ≤ 2 s, client peak
//! memory ≤ 150 MB.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use comptoir_core::engine::Link;
use comptoir_core::engine::link::PAGE;
use comptoir_core::model::CompanyId;
use comptoir_core::sync::{LoginResponse, RecordKind, SyncClient};
use comptoir_tests::{TestServer, ms, peak_rss_mib, process_cpu_seconds, thread_cpu_seconds};

type BoxError = Box<dyn std::error::Error>;

/// Set in a child process: which part it runs, and the server and company it reads.
const CHILD_MODE: &str = "COMPTOIR_BENCH_CLIENT";

const TARGET_RATIO: f64 = 2.0;
const TARGET_FIRST_OPEN: Duration = Duration::from_secs(2);
const TARGET_PEAK_MIB: u64 = 150;

fn main() -> Result<(), BoxError> {
    if let Ok(args) = std::env::var(CHILD_MODE) {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        return runtime.block_on(child(&args));
    }
    let sizes: Vec<u32> = if let Ok(list) = std::env::var("COMPTOIR_BENCH_RECORDS") {
        list.split(',').map(|n| n.trim().parse()).collect::<Result<_, _>>()?
    } else if std::env::var("COMPTOIR_BENCH_QUICK").as_deref() == Ok("1") {
        vec![10_000]
    } else {
        // The demo's generator makes about 1.26 records per one asked: 126k and 1.26M.
        vec![100_000, 1_000_000]
    };
    println!(
        "first download: the raw SQLite insert of the same rows against the app's whole first download; load \
         average at start {} (a shared machine)",
        load_average()
    );
    for records in sizes {
        one_size(records)?;
    }
    Ok(())
}

/// What a child printed: `key=value` lines.
type Figures = BTreeMap<String, String>;

/// Seeds a server of about `records` records, then runs the raw and the app children
/// against its large company, and prints their figures side by side.
fn one_size(records: u32) -> Result<(), BoxError> {
    let started = Instant::now();
    // Copies kept from the first change: written below, once the page-by-page download
    // has been measured (a server keeps one only for companies of 20,000 changes or more).
    let server = TestServer::builder().demo(records).copies_from(1).start()?;
    let (company, _, count) = server.accounts.companies[1].clone();
    println!("\n{count} records (server seeded in {:.1} s, not measured):", started.elapsed().as_secs_f64());

    let dir = tempfile::tempdir()?;
    let accounts = &server.accounts;
    let run = |mode: &str, file: &str| -> Result<Figures, BoxError> {
        let target = dir.path().join(file);
        let args =
            format!("{mode}|{}|{}|{}|{company}|{}", server.url, accounts.email, accounts.password, target.display());
        let output = std::process::Command::new(std::env::current_exe()?).env(CHILD_MODE, args).output()?;
        if !output.status.success() {
            return Err(format!("the {mode} child failed: {}", String::from_utf8_lossy(&output.stderr)).into());
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect())
    };
    // The server runs in this process: its CPU time while the app downloads is the
    // serving of the pages (or of the copy), on the same two cores as the app's child.
    let app_with_serving = |file: &str| -> Result<(Figures, Option<f64>), BoxError> {
        let serving = process_cpu_seconds("self");
        let app = run("app", file)?;
        Ok((app, serving.zip(process_cpu_seconds("self")).map(|(before, after)| after - before)))
    };
    // The app first: its pulls warm the server's cache for the raw child, whose pulls
    // are not timed anyway.
    let (pages, pages_serving) = app_with_serving("pages.comptoir")?;
    let writing = Instant::now();
    server.refresh_copies()?;
    let copy_written = writing.elapsed();
    let (copied, copy_serving) = app_with_serving("copy.comptoir")?;
    let raw = run("raw", "raw.sqlite")?;
    let raw_normal = run("raw-normal", "raw-normal.sqlite")?;
    let raw_full = number(&raw, "insert_s")?;
    let raw_insert = number(&raw_normal, "insert_s")?;
    println!(
        "    raw SQLite insert of the same {} rows (two indexes, a transaction a page, WAL): {raw_insert:.2} s with \
         synchronous=NORMAL, {raw_full:.2} s with FULL; its file {} MiB; raw child peak memory {} MiB (pull and parse not \
         timed)",
        raw.get("rows").map_or("?", String::as_str),
        raw.get("file_mib").map_or("?", String::as_str),
        raw.get("peak_mib").map_or("?", String::as_str),
    );
    println!("  page by page (a server that keeps no copy of the company):");
    let pages_ready = print_app(&pages, pages_serving, raw_insert, raw_full)?;
    println!(
        "  from the server's ready copy (written by the server in {:.2} s, ahead of the download as its background \
         thread does every minute: not in the app's time):",
        copy_written.as_secs_f64()
    );
    let ready = print_app(&copied, copy_serving, raw_insert, raw_full)?;
    let ratio = ready / raw_insert.max(1e-9);
    let first_open = number(&copied, "first_open_s")?;
    let peak: u64 = [&pages, &copied]
        .iter()
        .map(|app| app.get("peak_mib").and_then(|p| p.parse().ok()).unwrap_or(u64::MAX))
        .max()
        .unwrap_or(u64::MAX);
    println!(
        "    targets, from the copy: ratio {ratio:.2} (against NORMAL; ≤ {TARGET_RATIO:.1}: {}; page by page {:.2}), first \
         opening {first_open:.2} s (≤ {} s: {}), peak memory of either {peak} MiB (≤ {TARGET_PEAK_MIB}: {})",
        verdict(ratio <= TARGET_RATIO),
        pages_ready / raw_insert.max(1e-9),
        TARGET_FIRST_OPEN.as_secs(),
        verdict(first_open <= TARGET_FIRST_OPEN.as_secs_f64()),
        verdict(peak <= TARGET_PEAK_MIB),
    );
    Ok(())
}

fn number(figures: &Figures, key: &str) -> Result<f64, BoxError> {
    figures.get(key).ok_or_else(|| format!("the child printed no {key}"))?.parse::<f64>().map_err(Into::into)
}

/// Prints an app child's figures; returns its time until fully ready.
fn print_app(app: &Figures, serving: Option<f64>, raw_insert: f64, raw_full: f64) -> Result<f64, BoxError> {
    let download = number(app, "download_s")?;
    let ledger = number(app, "ledger_s")?;
    let first_page = number(app, "first_page_s")?;
    let first_screen = number(app, "first_screen_s")?;
    let first_open = number(app, "first_open_s")?;
    let create = number(app, "create_s")?;
    let ready = download + ledger;
    println!(
        "    app: download {download:.2} s ({} records pulled page by page, {} a second; the server's copy taken in the \
         file's place: {}; the file created at {create:.2} s, its first page written at {first_page:.2} s), then the \
         ledger {ledger:.2} s ({} sources): fully ready after {ready:.2} s; its file {} MiB; app child peak memory {} MiB",
        app.get("pulled").map_or("?", String::as_str),
        app.get("rate").map_or("?", String::as_str),
        app.get("replaced").map_or("?", String::as_str),
        app.get("ledger_sources").map_or("?", String::as_str),
        app.get("file_mib").map_or("?", String::as_str),
        app.get("peak_mib").map_or("?", String::as_str),
    );
    println!(
        "    app child CPU time: {} s on the thread that writes, {} s in all (on a shared machine, steadier than the \
         times above for comparing two versions)",
        app.get("writer_cpu_s").map_or("?", String::as_str),
        app.get("cpu_s").map_or("?", String::as_str),
    );
    println!(
        "    the server's CPU time while it served them: {} s (this process, the same cores)",
        serving.map_or_else(|| "?".to_owned(), |s| format!("{s:.2}")),
    );
    println!(
        "    the company first opens after {first_open:.2} s (its settings and first page written: the engine's \
         CopyUsable; the window's own opening is not timed here); the copy holds every contact and article and the \
         newest documents after {first_screen:.2} s"
    );
    println!(
        "    ratio {:.2} against the raw insert with synchronous=NORMAL, {:.2} against FULL",
        ready / raw_insert.max(1e-9),
        ready / raw_full.max(1e-9)
    );
    Ok(ready)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "unknown".into(), |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// Child mode: signs in, then runs the part asked and prints its figures as `key=value`.
async fn child(args: &str) -> Result<(), BoxError> {
    let parts: Vec<&str> = args.split('|').collect();
    let [mode, url, email, password, company, path] = parts.as_slice() else {
        return Err("bad child arguments".into());
    };
    let company = CompanyId(company.parse()?);
    let mut client = SyncClient::new(url)?;
    let LoginResponse::SignedIn(_) = client.login(email, password).await? else { return Err("two-factor".into()) };
    let path = Path::new(path);
    match *mode {
        "app" => app(client, company, path).await?,
        "raw" => raw(&client, company, path, "FULL").await?,
        "raw-normal" => raw(&client, company, path, "NORMAL").await?,
        other => return Err(format!("unknown child mode {other}").into()),
    }
    println!("file_mib={}", file_mib(path));
    println!("peak_mib={}", peak_rss_mib());
    Ok(())
}

/// The engine's first download, then the ledger: what the app does before it is ready.
async fn app(client: SyncClient, company: CompanyId, path: &Path) -> Result<(), BoxError> {
    let started = Instant::now();
    let (mut link, _) = Link::create(client, company, path, chrono::Utc::now()).await?;
    let created = started.elapsed();
    let mut first_page: Option<Duration> = None;
    let mut first_open: Option<Duration> = None;
    let mut first_screen: Option<Duration> = None;
    let report = link
        .sync(chrono::Utc::now, &mut |progress| {
            first_page.get_or_insert_with(|| started.elapsed());
            // When the engine tells the window it may open the company (`CopyUsable`).
            if first_open.is_none() && progress.usable() {
                first_open = Some(started.elapsed());
            }
            // What the first screens need: the settings, every contact and article, and
            // a first page of documents (the newest, as the snapshot brings them).
            let category = |kind| progress.categories.get(&kind).copied().unwrap_or_default();
            let whole = |kind| {
                let c = category(kind);
                c.done >= c.total
            };
            if first_screen.is_none()
                && category(RecordKind::Settings).done > 0
                && whole(RecordKind::Contact)
                && whole(RecordKind::Article)
                && category(RecordKind::Document).done > 0
            {
                first_screen = Some(started.elapsed());
            }
        })
        .await?;
    let download = started.elapsed();
    let derived = Instant::now();
    let sources = link.store.refresh_whole_ledger(chrono::Utc::now().date_naive())?;
    let ledger = derived.elapsed();
    #[allow(clippy::cast_precision_loss, reason = "record counts, far below 2^52")]
    let rate = report.pulled as f64 / download.as_secs_f64();
    println!("download_s={:.3}", download.as_secs_f64());
    println!("first_page_s={:.3}", first_page.unwrap_or(download).as_secs_f64());
    println!("first_screen_s={:.3}", first_screen.unwrap_or(download).as_secs_f64());
    println!("first_open_s={:.3}", first_open.unwrap_or(download).as_secs_f64());
    println!("create_s={:.3}", created.as_secs_f64());
    println!("ledger_s={:.3}", ledger.as_secs_f64());
    // The engine writes on this thread (the future `block_on` runs); the pull and the
    // parse run on the runtime's workers.
    if let (Some(writer), Some(all)) = (thread_cpu_seconds(), process_cpu_seconds("self")) {
        println!("writer_cpu_s={writer:.2}");
        println!("cpu_s={all:.2}");
    }
    println!("ledger_sources={sources}");
    println!("rate={rate:.0}");
    println!("pulled={}", report.pulled);
    println!("replaced={}", report.replaced);
    Ok(())
}

/// The same pages, inserted as they are into a plain table: the floor SQLite sets.
async fn raw(client: &SyncClient, company: CompanyId, path: &Path, synchronous: &str) -> Result<(), BoxError> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.execute_batch(
        "CREATE TABLE record (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id BLOB NOT NULL, body TEXT);
         CREATE UNIQUE INDEX record_kind_id ON record (kind, id);
         CREATE INDEX record_kind_seq ON record (kind, seq);",
    )?;
    let (mut after, mut epoch, mut rows) = (0_u64, None, 0_u64);
    let mut inserting = Duration::ZERO;
    loop {
        let page = client.pull(company, after, epoch, PAGE, false).await?;
        let began = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO record (seq, kind, id, body) VALUES (?1, ?2, ?3, ?4)")?;
            for change in &page.changes {
                let seq = i64::try_from(change.seq)?;
                let body = change.body.as_deref().map(serde_json::value::RawValue::get);
                insert.execute(rusqlite::params![seq, change.kind.as_str(), change.id.as_bytes(), body])?;
            }
        }
        tx.commit()?;
        inserting += began.elapsed();
        rows += page.changes.len() as u64;
        (after, epoch) = (page.cursor.seq, Some(page.epoch));
        if !page.has_more {
            break;
        }
    }
    println!("insert_s={:.3}", inserting.as_secs_f64());
    #[allow(clippy::cast_precision_loss, reason = "row counts, far below 2^52")]
    let per_thousand = ms(inserting) * 1000.0 / rows.max(1) as f64;
    println!("insert_ms_per_1000={per_thousand:.3}");
    println!("rows={rows}");
    Ok(())
}

/// A SQLite file's size with its write-ahead log, in MiB.
fn file_mib(path: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    (size(path) + size(&wal)) / (1024 * 1024)
}
