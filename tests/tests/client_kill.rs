//! Crash safety of the desktop copy, tested for real: the app's own binary runs
//! `comptoir sync` against the real server, and is killed with SIGKILL at seeded points —
//! during a first download, during the push of pending edits, during the derivation of
//! the accounting entries that follows a sync. After each kill the file is reopened as the
//! next start would: SQLite's integrity check passes, the file opens as the company's
//! copy, and nothing the killed process had reported done is lost (the pages it said it
//! had downloaded, the entries it said it had derived). Then `comptoir sync` runs again
//! to its end: the copy equals the server, every pending edit was applied exactly once
//! (one audit record each, nothing refused, nothing left to send), and the accounting
//! entries are those of a copy never interrupted.
//!
//! A kill point is a random delay, drawn from the point's seed, after the process says it
//! starts the phase (the line it prints on stderr), within the phase's length measured by
//! a first, uninterrupted run. A process that ends before its delay is not a kill point:
//! the test draws another. [`KILL_POINTS`] kill points run in the suite;
//! `COMPTOIR_KILL_SEEDS=N` runs N.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]
#![allow(clippy::print_stderr, reason = "each kill point says what it did")]

use comptoir_core::demo::Rng;
use std::collections::BTreeMap;
use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use chrono::Utc;
use comptoir_core::engine::Link;
use comptoir_core::model::{CompanyId, ContactId, DocumentId};
use comptoir_core::store::{AppStore, CompanyStore};
use comptoir_core::sync::{Intent, SyncClient};
use comptoir_tests::fixtures::{draft_invoice, new_contact};
use comptoir_tests::{TestServer, checks, process};

/// Kill points in the suite.
const KILL_POINTS: usize = 50;
/// The company downloaded: large enough that its download and its entries take a while.
const RECORDS: u32 = 1_500;
/// Changes per page: small, so that the download takes many pages, each committed with
/// the cursor (as a company of more than 5,000 records does with the server's pages).
const PAGE_SIZE: u32 = 200;
/// Edits waiting in the copy when a push is killed.
const EDITS: usize = 30;
/// Longer than any run of `comptoir sync` here.
const TIMEOUT: Duration = Duration::from_mins(2);

/// A fraction of `span`, uniformly, drawn from `rng`.
fn within(rng: &mut Rng, span: Duration) -> Duration {
    span.mul_f64(f64::from(u32::try_from(rng.next_u64() >> 40).unwrap()) / f64::from(1_u32 << 24))
}

/// Where in a run a kill point strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A first download: from an empty folder.
    Download,
    /// The push of edits waiting in a downloaded copy.
    Push,
    /// The derivation of the entries of a copy downloaded without them.
    Ledger,
}

impl Phase {
    /// The line `comptoir sync` prints as the phase starts.
    fn start_line(self) -> &'static str {
        match self {
            Self::Download | Self::Push => "signed in as",
            Self::Ledger => "up to date at change",
        }
    }
}

/// A running `comptoir sync`, its stderr read line by line as it comes.
struct Run {
    child: Child,
    lines: Receiver<(Instant, String)>,
    seen: Vec<String>,
}

impl Run {
    fn spawn(world: &World, data: &Path) -> Self {
        let accounts = &world.server.accounts;
        let mut command =
            process::app_sync(env!("CARGO_BIN_EXE_comptoir-app"), &world.server.url, &accounts.email, data);
        command.args(["--json", "--company", &world.company.to_string(), "--page-size", &PAGE_SIZE.to_string()]);
        let mut child = process::spawn_with_password(&mut command, &accounts.password).unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if send.send((Instant::now(), line)).is_err() {
                    return;
                }
            }
        });
        Self { child, lines, seen: Vec::new() }
    }

    /// Waits for a line containing `needle`; `None` when the process ended without one.
    fn wait_for(&mut self, needle: &str) -> Option<Instant> {
        loop {
            match self.lines.recv_timeout(TIMEOUT) {
                Ok((at, line)) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return Some(at);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => panic!("comptoir sync is stuck: {:?}", self.seen),
            }
        }
    }

    /// Kills the process `delay` after `from`. Returns whether it was still running, and
    /// every line it printed.
    fn kill_at(mut self, from: Instant, delay: Duration) -> (bool, Vec<String>) {
        let deadline = from + delay;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok((_, line)) => self.seen.push(line),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    // Its stderr closed: it is ending; let it.
                    std::thread::sleep(left);
                    break;
                }
            }
        }
        let running = self.child.try_wait().unwrap().is_none();
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        // What it printed before it died.
        while let Ok((_, line)) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (running, self.seen)
    }

    /// Lets the run end; returns its stdout, after checking it succeeded.
    fn finish(mut self) -> (String, Instant) {
        let mut stdout = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        let status = self.child.wait().unwrap();
        let ended = Instant::now();
        while let Ok((_, line)) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        assert!(status.success(), "comptoir sync failed after a kill: {:?}", self.seen);
        (stdout, ended)
    }
}

/// How long each phase lasts, measured on uninterrupted runs.
#[derive(Debug)]
struct Lengths {
    download: Duration,
    push: Duration,
    ledger: Duration,
}

/// One server for every kill point, and what the checks compare with.
struct World {
    server: TestServer,
    company: CompanyId,
    token: String,
    token_made: Instant,
    root: tempfile::TempDir,
    /// A copy downloaded (in this process) without its entries derived.
    downloaded: PathBuf,
    /// A copy never interrupted, brought up to date before each comparison.
    reference: Link,
}

fn client(url: &str, token: &str) -> SyncClient {
    let mut client = SyncClient::new(url).unwrap();
    client.set_access_token(Some(token.to_owned()));
    client
}

fn company_file(data: &Path, company: CompanyId) -> PathBuf {
    data.join("companies").join(format!("{company}.comptoir"))
}

fn copy_file(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    for side in ["", "-wal"] {
        let source = PathBuf::from(format!("{}{side}", from.display()));
        if source.exists() {
            std::fs::copy(source, format!("{}{side}", to.display())).unwrap();
        }
    }
}

/// The number in a line like "downloaded 1200 of 3000 changes" after `prefix`.
fn number_after(line: &str, prefix: &str) -> Option<u64> {
    line.split_once(prefix)?.1.split_whitespace().next()?.parse().ok()
}

/// The last figure the killed run reported done: changes downloaded, entries derived.
fn last_reported(lines: &[String], prefix: &str) -> u64 {
    lines.iter().filter_map(|l| number_after(l, prefix)).next_back().unwrap_or(0)
}

fn count(conn: &rusqlite::Connection, sql: &str) -> u64 {
    u64::try_from(conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap()).unwrap()
}

/// Every derived entry of a copy: source, date and fingerprint.
fn ledger(store: &CompanyStore) -> BTreeMap<uuid::Uuid, (Option<String>, Option<String>)> {
    let mut stmt = store.connection().prepare("SELECT source_id, date, fingerprint FROM ledger").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))).unwrap().map(Result::unwrap).collect()
}

impl World {
    /// `copies`: the server keeps the company's file ready, and a first download takes it
    /// in its file's place after the first pages.
    async fn new(records: u32, copies: bool) -> Self {
        // Every run of `comptoir sync` signs in: far more than the default 30 a minute
        // from one address.
        let builder = TestServer::builder().demo(records).limits(comptoir_tests::generous_limits());
        let server = if copies { builder.copies_from(1) } else { builder }.start().unwrap();
        if copies {
            server.refresh_copies().unwrap();
        }
        let company = server.company();
        let (_, token) = checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        let root = tempfile::tempdir().unwrap();
        let downloaded = root.path().join("downloaded.comptoir");
        let (mut link, _) = Link::create(client(&server.url, &token), company, &downloaded, Utc::now()).await.unwrap();
        link.sync(Utc::now, &mut |_| {}).await.unwrap();
        drop(link);
        let reference_path = root.path().join("reference.comptoir");
        copy_file(&downloaded, &reference_path);
        let mut reference = Link::open(client(&server.url, &token), company, &reference_path).unwrap();
        reference.store.refresh_whole_ledger(Utc::now().date_naive()).unwrap();
        Self { server, company, token, token_made: Instant::now(), root, downloaded, reference }
    }

    /// A new folder of the app's files, with a copy of the company's file `from` in it,
    /// as another computer's: the server knows each device by the id in its file, and
    /// would take the edits of two files with one id for the same edits sent twice.
    fn folder(&self, name: &str, from: Option<&Path>) -> PathBuf {
        let data = self.root.path().join(name);
        if let Some(from) = from {
            let path = company_file(&data, self.company);
            copy_file(from, &path);
            rusqlite::Connection::open(&path).unwrap().execute("DELETE FROM device", []).unwrap();
        }
        data
    }

    /// Queues edits in the copy at `path`: new customers, new phone numbers for existing
    /// ones, and an invoice issued. Returns the records they touch, with how many edits
    /// each.
    fn queue_edits(path: &Path, rng: &mut Rng) -> BTreeMap<uuid::Uuid, u64> {
        let mut store = CompanyStore::open(path).unwrap();
        let existing: Vec<uuid::Uuid> = store
            .connection()
            .prepare("SELECT id FROM contacts WHERE is_customer = 1 AND archived = 0 ORDER BY rid LIMIT 50")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut touched = BTreeMap::new();
        for n in 0..EDITS {
            let pick = rng.next_u64();
            let intent = match n % 3 {
                0 => Intent::CreateContact { contact: new_contact(&format!("Client tué {pick}")) },
                1 => {
                    let id = existing[usize::try_from(pick % existing.len() as u64).unwrap()];
                    let mut contact = store.contact(ContactId(id)).unwrap();
                    contact.phone = Some(format!("+33 1 {:08}", pick % 100_000_000));
                    Intent::UpdateContact { contact }
                }
                _ => {
                    let customer = store.contact(ContactId(existing[n % existing.len()])).unwrap();
                    let invoice = draft_invoice(&customer, i64::try_from(pick % 900).unwrap() + 10);
                    let id = invoice.id;
                    store.submit(&Intent::SaveDraft { document: invoice }).unwrap();
                    *touched.entry(id.0).or_default() += 1;
                    Intent::IssueDocument { id: DocumentId(id.0) }
                }
            };
            store.submit(&intent).unwrap();
            *touched.entry(intent.target().1).or_default() += 1;
        }
        touched
    }

    /// The server's figures, as `comptoir sync --json` prints the copy's.
    fn server_stats(&self) -> serde_json::Value {
        let stats = self.server.stats(self.company).unwrap();
        serde_json::to_value(stats.into_iter().map(|(k, s)| (k.as_str().to_owned(), s)).collect::<BTreeMap<_, _>>())
            .unwrap()
    }

    /// Brings the reference copy up to date with the server, its entries derived.
    async fn update_reference(&mut self) {
        if self.token_made.elapsed() > Duration::from_mins(10) {
            // Sessions last 15 minutes.
            let accounts = &self.server.accounts;
            self.token = checks::signed_in(&self.server.url, &accounts.email, &accounts.password).await.1;
            self.token_made = Instant::now();
            self.reference.client = client(&self.server.url, &self.token);
        }
        self.reference.sync(Utc::now, &mut |_| {}).await.unwrap();
        self.reference.store.refresh_whole_ledger(Utc::now().date_naive()).unwrap();
    }

    /// How many audit records the server holds about each record.
    fn trail_counts(store: &CompanyStore, ids: impl Iterator<Item = uuid::Uuid>) -> BTreeMap<uuid::Uuid, u64> {
        ids.map(|id| {
            let n: i64 = store
                .connection()
                .query_row("SELECT count(*) FROM audit_trail WHERE entity_id = ?1 AND action <> 'sign_in'", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            (id, u64::try_from(n).unwrap())
        })
        .collect()
    }

    /// Uninterrupted runs, to measure each phase.
    fn measure(&self) -> Lengths {
        let data = self.folder("measure-download", None);
        let mut run = Run::spawn(self, &data);
        let signed = run.wait_for("signed in as").unwrap();
        let synced = run.wait_for("up to date at change").unwrap();
        run.finish();
        let download = synced - signed;

        let data = self.folder("measure-ledger", Some(&self.downloaded));
        let mut run = Run::spawn(self, &data);
        let synced = run.wait_for("up to date at change").unwrap();
        let (_, ended_ledger) = run.finish();
        let ledger = ended_ledger - synced;

        let data = self.folder("measure-push", Some(&self.downloaded));
        Self::queue_edits(&company_file(&data, self.company), &mut Rng::new(0));
        let mut run = Run::spawn(self, &data);
        let signed = run.wait_for("signed in as").unwrap();
        let pushed = run.wait_for("up to date at change").unwrap();
        run.finish();
        Lengths { download, push: pushed - signed, ledger }
    }
}

/// What one kill point left, checked as the next start would find it.
fn check_killed(world: &World, data: &Path, phase: Phase, lines: &[String]) {
    let app = data.join(AppStore::FILE_NAME);
    if app.exists() {
        let conn = rusqlite::Connection::open(&app).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "the app's file after a kill during {phase:?}");
        AppStore::open(&app).unwrap();
    }
    let path = company_file(data, world.company);
    // As the next start does first: a server's copy that was taking the file's place ends
    // its move.
    comptoir_core::store::finish_take_over(&path).unwrap();
    if !path.exists() {
        assert_eq!(last_reported(lines, "downloaded "), 0, "pages were reported written, and the file is gone");
        return;
    }
    let store = CompanyStore::open_expecting(&path, world.company).unwrap();
    let conn = store.connection();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok", "the company's file after a kill during {phase:?}");
    if phase == Phase::Download {
        let downloaded = last_reported(lines, "downloaded ");
        let replica = count(conn, "SELECT count(*) FROM replica");
        assert!(replica >= downloaded, "{downloaded} changes reported written, {replica} in the file");
    }
    if phase != Phase::Push {
        let derived = last_reported(lines, "accounting entries derived for ");
        let entries = count(conn, "SELECT count(*) FROM ledger");
        assert!(entries >= derived, "entries of {derived} records reported derived, {entries} in the file");
    }
}

#[test]
fn the_copy_survives_sigkill_at_any_point_of_a_sync() {
    let points = std::env::var("COMPTOIR_KILL_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(KILL_POINTS);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut world = runtime.block_on(World::new(RECORDS, false));
    let lengths = world.measure();
    eprintln!("phases of an uninterrupted run: {lengths:?}");
    let started = Instant::now();
    let (mut killed, mut seed) = (BTreeMap::<&str, u32>::new(), 0_u64);
    let mut pushes = BTreeMap::<&str, u32>::new();
    while killed.values().sum::<u32>() < u32::try_from(points).unwrap() {
        seed += 1;
        assert!(seed < 4 * points as u64 + 20, "too many runs ended before their kill point: {killed:?}");
        let mut rng = Rng::new(seed);
        let phase = [Phase::Download, Phase::Push, Phase::Ledger][usize::try_from(seed % 3).unwrap()];
        let data = world.folder(&format!("kill-{seed}"), (phase != Phase::Download).then_some(&*world.downloaded));
        let touched = if phase == Phase::Push {
            World::queue_edits(&company_file(&data, world.company), &mut rng)
        } else {
            BTreeMap::new()
        };
        runtime.block_on(world.update_reference());
        let before = World::trail_counts(&world.reference.store, touched.keys().copied());
        let window = match phase {
            Phase::Download => lengths.download,
            Phase::Push => lengths.push,
            Phase::Ledger => lengths.ledger,
        };
        // Most points inside the phase; a few just before it starts or just after it ends.
        let delay = within(&mut rng, window.mul_f64(1.2));
        let mut run = Run::spawn(&world, &data);
        let Some(from) = run.wait_for(phase.start_line()) else { panic!("no {:?} in {:?}", phase, run.seen) };
        let (running, lines) = run.kill_at(from, delay);
        if !running {
            eprintln!("seed {seed}: {phase:?} ended before {delay:?}; not a kill point");
            continue;
        }
        *killed
            .entry(match phase {
                Phase::Download => "download",
                Phase::Push => "push",
                Phase::Ledger => "ledger",
            })
            .or_default() += 1;
        eprintln!("seed {seed}: killed {delay:.0?} into {phase:?}; last line {:?}", lines.last());
        check_killed(&world, &data, phase, &lines);
        if phase == Phase::Push {
            // Where the kill fell: before the server applied the edits, between its
            // applying them and the copy recording its answers, or after.
            let pending = CompanyStore::open(&company_file(&data, world.company)).unwrap().pending_count().unwrap();
            runtime.block_on(world.update_reference());
            let applied = World::trail_counts(&world.reference.store, touched.keys().copied()) != before;
            *pushes
                .entry(match (applied, pending > 0) {
                    (false, _) => "before the server applied them",
                    (true, true) => "applied by the server, its answer not recorded",
                    (true, false) => "after the copy recorded the answer",
                })
                .or_default() += 1;
        }

        // The next sync completes, and leaves the copy the server's, whole.
        let (stdout, _) = Run::spawn(&world, &data).finish();
        let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(printed, world.server_stats(), "seed {seed}: the copy equals the server after the next sync");
        let store = CompanyStore::open_expecting(&company_file(&data, world.company), world.company).unwrap();
        let conn = store.connection();
        assert_eq!(store.pending_count().unwrap(), 0, "seed {seed}: nothing left to send");
        assert_eq!(store.rejected_mutations().unwrap(), [], "seed {seed}: no edit refused (none was sent twice)");
        let after = World::trail_counts(&store, touched.keys().copied());
        for (id, edits) in &touched {
            assert_eq!(after[id] - before[id], *edits, "seed {seed}: record {id} changed once per edit");
        }
        assert_eq!(count(conn, "SELECT count(*) FROM ledger_dirty"), 0, "seed {seed}: every entry derived");
        runtime.block_on(world.update_reference());
        assert_eq!(
            ledger(&store),
            ledger(&world.reference.store),
            "seed {seed}: the entries of a copy never interrupted"
        );
        drop(store);
        std::fs::remove_dir_all(&data).unwrap();
    }
    eprintln!("{killed:?} kill points ({seed} runs) in {:.1?}; pushes killed: {pushes:?}", started.elapsed());
}

/// Kill points of a first download that takes the server's ready copy.
const COPY_KILL_POINTS: usize = 12;
/// The company downloaded through the server's copy: large enough that receiving and
/// checking the copy, and its taking the file's place, take a while.
const COPY_RECORDS: u32 = 20_000;

/// A first download from a server that keeps the company's file ready: its first pages,
/// the copy received and checked beside the file, the copy taking the file's place, the
/// log after it. Killed with SIGKILL at seeded points of it, the next start finds a
/// sound file of the company (or none, before the first page), and the next sync leaves
/// the copy the server's, with nothing of the copy left beside the file.
/// `COMPTOIR_KILL_SEEDS=N` runs N points.
#[test]
fn a_first_download_through_the_servers_copy_survives_sigkill_at_any_point() {
    let points = std::env::var("COMPTOIR_KILL_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(COPY_KILL_POINTS);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let world = runtime.block_on(World::new(COPY_RECORDS, true));
    let taken = "took the server's ready copy";
    let left_beside = |data: &Path| {
        let path = company_file(data, world.company);
        ["received", "takeover", "replaced", "received-journal"]
            .into_iter()
            .filter(|side| PathBuf::from(format!("{}.{side}", path.display())).exists())
            .collect::<Vec<_>>()
    };
    let data = world.folder("measure-copy", None);
    let mut run = Run::spawn(&world, &data);
    let signed = run.wait_for("signed in as").unwrap();
    assert!(run.wait_for(taken).is_some(), "an uninterrupted download takes the copy: {:?}", run.seen);
    let synced = run.wait_for("up to date at change").unwrap();
    run.finish();
    let window = synced - signed;
    eprintln!("an uninterrupted first download through the copy: {window:?}");
    let (mut killed, mut seed) = (0, 0_u64);
    while killed < points {
        seed += 1;
        assert!(seed < 4 * points as u64 + 20, "too many runs ended before their kill point");
        let mut rng = Rng::new(seed);
        let delay = within(&mut rng, window.mul_f64(1.2));
        let data = world.folder(&format!("kill-copy-{seed}"), None);
        let mut run = Run::spawn(&world, &data);
        let Some(from) = run.wait_for("signed in as") else { panic!("no sign-in in {:?}", run.seen) };
        let (running, lines) = run.kill_at(from, delay);
        if !running {
            eprintln!("seed {seed}: the download ended before {delay:?}; not a kill point");
            continue;
        }
        killed += 1;
        let copy_taken = lines.iter().any(|line| line.contains(taken));
        eprintln!("seed {seed}: killed {delay:.0?} into the download (copy taken: {copy_taken}); {:?}", lines.last());
        check_killed(&world, &data, Phase::Download, &lines);

        let (stdout, _) = Run::spawn(&world, &data).finish();
        let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(printed, world.server_stats(), "seed {seed}: the copy equals the server after the next sync");
        let store = CompanyStore::open_expecting(&company_file(&data, world.company), world.company).unwrap();
        let integrity: String = store.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "seed {seed}");
        assert_eq!(store.pending_count().unwrap(), 0, "seed {seed}");
        assert_eq!(left_beside(&data), Vec::<&str>::new(), "seed {seed}: nothing of the copy left beside the file");
        drop(store);
        std::fs::remove_dir_all(&data).unwrap();
    }
}
