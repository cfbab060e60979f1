//! A seeded simulation of several copies of one company working against the real server
//! through an unreliable network: requests dropped before or after the server saw them,
//! duplicated, delayed and delivered out of order; the server stopped and restarted;
//! copies crashing between two steps and in the middle of a write. When the network
//! heals, every copy must equal the server and pass SQLite's integrity check; every
//! change a copy committed must have been applied exactly once or be in its rejected list
//! with a reason; no copy may keep a server's record aside; numbers must run 1..n per
//! series without a gap; and no issued document may have changed.
//!
//! **Crashes in the middle of a write.** A crash kills the copy's process: what is on
//! disk at that instant is all the next start finds. Most crashes strike inside the
//! copy's next write (a local edit with its outbox entry, the recording of the server's
//! answers, or a pull page with its cursor): a `SQLite` progress handler on the copy's
//! connection counts the virtual machine's steps, and at a seeded count, in the middle
//! of a statement of the open transaction, copies the database file and its WAL as they
//! are on disk (what `kill -9` would leave: `SQLite`'s page cache is lost, frames already
//! in the WAL stay) and stops the statement. The copy is then reopened from that image,
//! and `SQLite`'s recovery finds what it finds. A write that ends before its crash point
//! is followed by the crash. Other crashes strike between two steps. Whether a local edit
//! hit by a crash was committed is read from the reopened file.
//!
//! **Runs.** Seeds that ever failed are kept in `simulation_seeds.txt` (beside this file)
//! and run first, as regression cases; a failing seed is appended there. Then the suite's
//! own seeds ([`SUITE_SEEDS`]), and on demand:
//! - `COMPTOIR_SIM_SEED=S` runs seed S alone (its steps are printed when it fails);
//! - `COMPTOIR_SIM_SEEDS=N` runs N more seeds, from `COMPTOIR_SIM_START` or from a
//!   random seed (`scripts/simulate.sh N` runs them in release).
//!
//! The seeds run twice, with the server on SQLite and on PostgreSQL (each seed on a
//! database of its own, copied from the prepared one).
//!
//! Every seed starts from a copy of one prepared world (a server seeded with a company of
//! 150 records, signed in, and its copies downloaded), on a tmpfs where there is one:
//! the simulation tests the sync's logic and crash images, not the disk's durability,
//! and `fsync` would be most of its time.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]
#![allow(clippy::print_stderr, reason = "a failing seed prints its steps")]

use comptoir_core::demo::Rng;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use comptoir_core::engine::Link;
use comptoir_core::model::{
    Allocation, Article, CompanyId, Document, DocumentId, DocumentStatus, Payment, PaymentId, PaymentMethod, from_cents,
};
use comptoir_core::sync::{Intent, Mutation, PushResponse, RawPullPage, RecordBody, RecordKind, SyncClient};
use comptoir_tests::fixtures::{article, draft_invoice, new_contact};
use comptoir_tests::{Backend, TestServer, checks};
use rusqlite::OptionalExtension as _;
use rust_decimal::Decimal;

/// Seeds run on every `cargo test`, after the regression seeds.
const SUITE_SEEDS: std::ops::Range<u64> = 1..101;
const CLIENTS: usize = 3;
const STEPS: usize = 120;
/// The progress handler of a crash is called every this many virtual machine steps.
const PROGRESS_STEPS: i32 = 16;
/// Sessions last 15 minutes: the prepared world is prepared again before.
const TEMPLATE_LIFETIME: Duration = Duration::from_mins(10);

/// A request the network holds back, delivered later (or never).
enum Delayed {
    Push(Vec<Mutation>),
    Page { after: u64, page: RawPullPage },
}

struct Copy {
    link: Option<Link>,
    path: PathBuf,
    token: String,
    /// Every mutation id a local commit returned.
    committed: Vec<u64>,
    delayed: Vec<Delayed>,
    /// A crash waits in the copy's next write, after this many calls of the progress
    /// handler.
    crash_at: Option<u64>,
}

/// The world every seed starts from: a server seeded with the demo company, a session,
/// and each copy's file downloaded (each with its own client id). The server is stopped:
/// each seed runs on a fork of it.
struct Template {
    server: TestServer,
    token: String,
    copies: Vec<PathBuf>,
    made: Instant,
    _dir: tempfile::TempDir,
}

impl Template {
    async fn new(backend: Backend) -> Self {
        let root = scratch_root();
        let dir = tempfile::tempdir_in(&root).unwrap();
        let mut server = TestServer::builder().backend(backend).demo(150).parent(&root).start().unwrap();
        let (_, token) = checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        let mut copies = Vec::new();
        for i in 0..CLIENTS {
            let path = dir.path().join(format!("copy-{i}.comptoir"));
            let (mut link, _) =
                Link::create(client(&server.url, &token), server.company(), &path, Utc::now()).await.unwrap();
            link.sync(Utc::now, &mut |_| {}).await.unwrap();
            copies.push(path);
        }
        server.stop();
        Self { server, token, copies, made: Instant::now(), _dir: dir }
    }
}

/// Where the simulation writes: a tmpfs when there is one.
fn scratch_root() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() }
}

/// The files of a company copy: the database, its WAL, its shared memory.
fn copy_files(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Copies the database and its WAL as they are on disk now to `image` (its shared memory
/// is rebuilt by whoever opens it next, as after a crash).
fn take_image(path: &Path, image: &Path) {
    let [db, wal, _] = copy_files(path);
    let [image_db, image_wal, _] = copy_files(image);
    std::fs::copy(db, image_db).unwrap();
    if wal.exists() {
        std::fs::copy(wal, image_wal).unwrap();
    } else {
        let _ = std::fs::remove_file(image_wal);
    }
}

struct World {
    server: TestServer,
    server_up: bool,
    company: CompanyId,
    copies: Vec<Copy>,
    rng: Rng,
    /// Each numbered document as first seen by any copy, status aside.
    issued: HashMap<DocumentId, Document>,
    log: Vec<String>,
}

/// A client of the server at `url`. Each request opens a connection of its own (no
/// pool), as a fresh client would: a connection kept from before the server stopped must
/// not decide a seed's fate, which would then depend on timing.
fn client(url: &str, token: &str) -> SyncClient {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let http = HTTP.get_or_init(|| reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap());
    let mut client = SyncClient::with_http(url, http.clone()).unwrap();
    client.set_access_token(Some(token.to_owned()));
    client
}

/// A document's content, whatever its status (payments and answers move the status of
/// issued documents; nothing else may change).
fn content(document: &Document) -> Document {
    let mut content = document.clone();
    content.status = DocumentStatus::Issued;
    content
}

impl World {
    fn new(seed: u64, template: &Template, dir: &Path) -> Self {
        let server = template.server.fork_in(&scratch_root()).unwrap();
        let company = server.company();
        let mut copies = Vec::new();
        for (i, prepared) in template.copies.iter().enumerate() {
            let path = dir.join(format!("copy-{i}.comptoir"));
            for (from, to) in copy_files(prepared).iter().zip(copy_files(&path)) {
                if from.exists() {
                    std::fs::copy(from, to).unwrap();
                }
            }
            copies.push(Copy {
                link: None,
                path,
                token: template.token.clone(),
                committed: Vec::new(),
                delayed: Vec::new(),
                crash_at: None,
            });
        }
        Self { server, server_up: true, company, copies, rng: Rng::new(seed), issued: HashMap::new(), log: Vec::new() }
    }

    fn note(&mut self, line: String) {
        self.log.push(line);
    }

    fn link(&mut self, i: usize) -> &mut Link {
        let copy = &mut self.copies[i];
        if copy.link.is_none() {
            copy.link = Some(Link::open(client(&self.server.url, &copy.token), self.company, &copy.path).unwrap());
        }
        copy.link.as_mut().unwrap()
    }

    async fn step(&mut self, n: usize) {
        let i = usize::try_from(self.rng.below(CLIENTS as u64)).unwrap();
        match self.rng.below(100) {
            0..40 => self.local_edit(i),
            40..65 => self.push(i).await,
            65..85 => self.pull(i).await,
            85..91 => self.deliver_delayed(i).await,
            91..93 => {
                self.note(format!("{n}: copy {i} crashes"));
                self.copies[i].link = None;
            }
            93..96 => {
                // Somewhere in its next write: early in a short one, or deep in a page.
                let scale = 1 + self.rng.below(10);
                let at = 1 + self.rng.below(1 << scale);
                self.note(format!("{n}: copy {i} will crash in its next write, at progress call {at}"));
                self.copies[i].crash_at = Some(at);
            }
            _ => {
                if self.server_up {
                    self.note(format!("{n}: server stops"));
                    self.server.stop();
                } else {
                    self.note(format!("{n}: server restarts"));
                    self.server.restart().unwrap();
                }
                self.server_up = !self.server_up;
            }
        }
    }

    /// A random business operation on copy `i`; the copy's rules may refuse it.
    #[allow(clippy::too_many_lines, reason = "one arm per kind of operation, read as a table")]
    fn local_edit(&mut self, i: usize) {
        let op = self.rng.below(11);
        let pick = self.rng.next_u64();
        let amount_choice = self.rng.below(3);
        let link = self.link(i);
        let store = &link.store;
        let nth = |sql: &str| -> Option<uuid::Uuid> {
            let count: i64 =
                store.connection().query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0)).unwrap();
            if count == 0 {
                return None;
            }
            let offset = i64::try_from(pick % u64::try_from(count).unwrap()).unwrap();
            Some(store.connection().query_row(&format!("{sql} LIMIT 1 OFFSET ?1"), [offset], |r| r.get(0)).unwrap())
        };
        let date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let intents: Vec<Intent> = match op {
            0 => vec![Intent::CreateContact { contact: new_contact(&format!("Client simulé {pick}")) }],
            1 => nth("SELECT id FROM contacts ORDER BY rid").map_or_else(Vec::new, |id| {
                let mut contact = store.contact(comptoir_core::model::ContactId(id)).unwrap();
                contact.phone = Some(format!("+33 1 {:08}", pick % 100_000_000));
                vec![Intent::UpdateContact { contact }]
            }),
            2 => vec![Intent::CreateArticle { article: article(&format!("SIM-{}", pick % 6)) }],
            3 => nth("SELECT id FROM articles ORDER BY rid").map_or_else(Vec::new, |id| {
                let mut article: Article = store.article(comptoir_core::model::ArticleId(id)).unwrap();
                article.unit_price += Decimal::ONE;
                vec![Intent::UpdateArticle { article }]
            }),
            4 => nth("SELECT id FROM contacts WHERE is_customer = 1 AND archived = 0 ORDER BY rid").map_or_else(
                Vec::new,
                |id| {
                    let customer = store.contact(comptoir_core::model::ContactId(id)).unwrap();
                    let invoice = draft_invoice(&customer, i64::try_from(pick % 900).unwrap() + 10);
                    vec![Intent::SaveDraft { document: invoice }]
                },
            ),
            5 => nth("SELECT id FROM documents WHERE status = 'draft' ORDER BY rid")
                .map_or_else(Vec::new, |id| vec![Intent::IssueDocument { id: DocumentId(id) }]),
            6 => nth("SELECT id FROM documents WHERE kind = 'invoice' AND status IN ('issued', 'partially_paid') ORDER BY rid")
                .map_or_else(Vec::new, |id| {
                    let document = store.document(DocumentId(id)).unwrap();
                    let paid: Decimal = store.payments_of(document.id).unwrap().iter().map(|p| p.1).sum();
                    let due = document.totals().unwrap().gross - paid;
                    let amount = match amount_choice {
                        0 => due,
                        1 => (due / Decimal::TWO).round_dp(2).max(from_cents(1)),
                        // Paid again in full: a double payment.
                        _ => document.totals().unwrap().gross,
                    };
                    if amount <= Decimal::ZERO {
                        return Vec::new();
                    }
                    vec![Intent::RecordPayment {
                        payment: Payment {
                            id: PaymentId::new(),
                            contact_id: Some(document.contact_id),
                            date,
                            amount,
                            method: PaymentMethod::BankTransfer,
                            reference: format!("VIR {pick}"),
                            allocations: vec![Allocation { document_id: document.id, amount }],
                        },
                    }]
                }),
            7 => nth("SELECT id FROM documents WHERE kind = 'invoice' AND status <> 'draft' ORDER BY rid").map_or_else(
                Vec::new,
                |id| {
                    let invoice = store.document(DocumentId(id)).unwrap();
                    let mut credit = Document::credit_note_for(&invoice, date).unwrap();
                    credit.lines.truncate(1);
                    vec![Intent::SaveDraft { document: credit.clone() }, Intent::IssueDocument { id: credit.id }]
                },
            ),
            8 => nth("SELECT id FROM documents WHERE status = 'draft' ORDER BY rid")
                .map_or_else(Vec::new, |id| vec![Intent::DeleteDraft { id: DocumentId(id) }]),
            9 => nth("SELECT id FROM documents WHERE kind = 'quote' AND status = 'issued' ORDER BY rid").map_or_else(
                Vec::new,
                |id| {
                    let status = if pick.is_multiple_of(3) { DocumentStatus::Declined } else { DocumentStatus::Accepted };
                    vec![Intent::AnswerQuote { id: DocumentId(id), status }]
                },
            ),
            _ => nth("SELECT id FROM documents WHERE kind = 'quote' AND status = 'accepted' ORDER BY rid").map_or_else(
                Vec::new,
                |id| {
                    let invoice = DocumentId::new();
                    vec![
                        Intent::ConvertQuote { quote: DocumentId(id), invoice, issue_date: date },
                        Intent::IssueDocument { id: invoice },
                    ]
                },
            ),
        };
        for intent in intents {
            let action = intent.action();
            let armed = self.arm_crash(i);
            let result = self.link(i).store.submit(&intent);
            if self.crash_if_armed(i, armed, action) {
                // Committed or not: the reopened file says.
                let last = self.copies[i].committed.last().copied().unwrap_or(0);
                let found: Option<i64> = self
                    .link(i)
                    .store
                    .connection()
                    .query_row(
                        "SELECT max(mutation_id) FROM outbox WHERE mutation_id > ?1",
                        [i64::try_from(last).unwrap()],
                        |r| r.get(0),
                    )
                    .unwrap();
                if let Some(id) = found.map(|id| u64::try_from(id).unwrap()) {
                    self.copies[i].committed.push(id);
                    self.note(format!("copy {i} had committed #{id} {action} before it crashed"));
                }
                return;
            }
            match result {
                Ok(id) => {
                    self.copies[i].committed.push(id);
                    self.note(format!("copy {i} commits #{id} {action}"));
                }
                Err(e) => self.note(format!("copy {i} refuses {action} locally: {}", e.code())),
            }
        }
    }

    /// Installs the crash copy `i` waits for, if any, on its connection: at the chosen
    /// call of the progress handler, the files on disk are kept as the crash's image and
    /// the statement stops (and so does every later one, as in a dead process).
    fn arm_crash(&mut self, i: usize) -> Option<Arc<AtomicBool>> {
        let at = self.copies[i].crash_at.take()?;
        let path = self.copies[i].path.clone();
        let image = path.with_extension("crash");
        let crashed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&crashed);
        let mut calls = 0;
        let handler = move || {
            if flag.load(Ordering::SeqCst) {
                return true;
            }
            calls += 1;
            if calls < at {
                return false;
            }
            take_image(&path, &image);
            flag.store(true, Ordering::SeqCst);
            true
        };
        let connection = self.link(i).store.connection_mut();
        // A small page cache spills the transaction's pages to the WAL before it commits:
        // the image then holds frames of a transaction that never committed.
        connection.pragma_update(None, "cache_size", 4).unwrap();
        connection.progress_handler(PROGRESS_STEPS, Some(handler)).unwrap();
        Some(crashed)
    }

    /// After a write that had a crash waiting: the copy dies, reopened later from the
    /// image taken in the middle of the write, or as it is when the write ended first.
    /// Returns whether it crashed.
    fn crash_if_armed(&mut self, i: usize, armed: Option<Arc<AtomicBool>>, what: &str) -> bool {
        let Some(crashed) = armed else { return false };
        if let Some(link) = self.copies[i].link.as_mut() {
            link.store.connection_mut().progress_handler(0, None::<fn() -> bool>).unwrap();
        }
        self.copies[i].link = None;
        let path = self.copies[i].path.clone();
        if crashed.load(Ordering::SeqCst) {
            let image = path.with_extension("crash");
            let [db, wal, shm] = copy_files(&path);
            let [image_db, image_wal, _] = copy_files(&image);
            let _ = std::fs::remove_file(&shm);
            let _ = std::fs::remove_file(&wal);
            std::fs::rename(image_db, db).unwrap();
            if image_wal.exists() {
                std::fs::rename(image_wal, wal).unwrap();
            }
            self.note(format!("copy {i} crashes in the middle of {what}"));
        } else {
            self.note(format!("copy {i} crashes right after {what}"));
        }
        true
    }

    async fn push(&mut self, i: usize) {
        let size = 1 + u32::try_from(self.rng.below(4)).unwrap();
        let batch = self.link(i).store.pending_mutations(size).unwrap();
        if batch.is_empty() {
            return;
        }
        let fault = self.rng.below(100);
        let ids: Vec<u64> = batch.iter().map(|m| m.mutation_id).collect();
        let url = self.server.url.clone();
        let (company, token) = (self.company, self.copies[i].token.clone());
        match fault {
            0..10 => self.note(format!("copy {i} push {ids:?}: request lost")),
            10..20 => {
                self.copies[i].delayed.push(Delayed::Push(batch));
                self.note(format!("copy {i} push {ids:?}: delayed"));
            }
            _ => {
                let answer = client(&url, &token).push(company, batch.clone()).await;
                let answer = if (20..30).contains(&fault) {
                    // Duplicated: the server sees it twice; the copy hears the second answer.
                    let again = client(&url, &token).push(company, batch).await;
                    if let (Ok(first), Ok(second)) = (&answer, &again) {
                        assert_eq!(first, second, "a duplicate gets the same answer");
                    }
                    again
                } else {
                    answer
                };
                match answer {
                    Ok(_) if (30..40).contains(&fault) => self.note(format!("copy {i} push {ids:?}: answer lost")),
                    Ok(response) => self.record(i, &response, &ids),
                    Err(e) => self.note(format!("copy {i} push {ids:?}: {}", e.code())),
                }
            }
        }
    }

    fn record(&mut self, i: usize, response: &PushResponse, ids: &[u64]) {
        let armed = self.arm_crash(i);
        let result = self.link(i).store.record_outcomes(&response.results);
        if self.crash_if_armed(i, armed, "recording answers") {
            return;
        }
        let held = result.unwrap();
        assert!(held.is_empty(), "copy {i} could not put back {held:?}");
        self.note(format!("copy {i} push {ids:?}: answered"));
    }

    async fn pull(&mut self, i: usize) {
        let cursor = self.link(i).store.sync_cursor().unwrap();
        let after = cursor.map_or(0, |c| c.seq);
        let limit = 1 + self.rng.below(40);
        let fault = self.rng.below(100);
        let page = client(&self.server.url, &self.copies[i].token)
            .pull(self.company, after, cursor.map(|c| c.epoch), u32::try_from(limit).unwrap(), false)
            .await;
        let page = match page {
            Ok(page) => page,
            Err(e) => return self.note(format!("copy {i} pull after {after}: {}", e.code())),
        };
        match fault {
            0..10 => self.note(format!("copy {i} pull after {after}: answer lost")),
            10..20 => {
                self.note(format!("copy {i} pull after {after}: delayed"));
                self.copies[i].delayed.push(Delayed::Page { after, page });
            }
            _ => {
                self.apply(i, after, &page);
                if fault < 30 {
                    self.apply(i, after, &page);
                }
            }
        }
    }

    fn apply(&mut self, i: usize, after: u64, page: &RawPullPage) {
        let armed = self.arm_crash(i);
        let result = self.link(i).store.apply_pull_page(after, page);
        if self.crash_if_armed(i, armed, "a page") {
            return;
        }
        match result {
            Ok(held) => {
                assert!(held.is_empty(), "copy {i} kept records aside: {held:?}");
                self.note(format!("copy {i} applies {} changes after {after}", page.changes.len()));
                self.watch_issued(page);
            }
            Err(e) => self.note(format!("copy {i} refuses a page after {after}: {}", e.code())),
        }
    }

    /// Remembers each numbered document as first seen, and checks it never changes.
    fn watch_issued(&mut self, page: &RawPullPage) {
        for change in &page.changes {
            if let Ok(Some(RecordBody::Document(record))) = change.parse()
                && record.document.number.is_some()
            {
                let seen = self.issued.entry(record.document.id).or_insert_with(|| content(&record.document));
                assert_eq!(*seen, content(&record.document), "an issued document changed");
            }
        }
    }

    async fn deliver_delayed(&mut self, i: usize) {
        if self.copies[i].delayed.is_empty() {
            return;
        }
        let at = usize::try_from(self.rng.below(self.copies[i].delayed.len() as u64)).unwrap();
        match self.copies[i].delayed.remove(at) {
            Delayed::Push(batch) => {
                let ids: Vec<u64> = batch.iter().map(|m| m.mutation_id).collect();
                match client(&self.server.url, &self.copies[i].token).push(self.company, batch).await {
                    Ok(response) => self.record(i, &response, &ids),
                    Err(e) => self.note(format!("copy {i} late push {ids:?}: {}", e.code())),
                }
            }
            Delayed::Page { after, page } => self.apply(i, after, &page),
        }
    }

    /// The network heals: late requests arrive, then every copy syncs until none has
    /// anything left to send, then once more to hear the others.
    async fn heal(&mut self) {
        if !self.server_up {
            self.server.restart().unwrap();
            self.server_up = true;
        }
        for i in 0..CLIENTS {
            while !self.copies[i].delayed.is_empty() {
                self.deliver_delayed(i).await;
            }
            if self.copies[i].crash_at.take().is_some() {
                self.note(format!("copy {i} crashes before the network heals"));
                self.copies[i].link = None;
            }
        }
        for _ in 0..5 {
            for i in 0..CLIENTS {
                let report = self.link(i).sync(Utc::now, &mut |_| {}).await.unwrap();
                assert!(report.held.is_empty(), "copy {i} kept records aside: {:?}", report.held);
            }
        }
    }

    /// Every record the server holds now (its latest state), read through its pull.
    async fn server_records(&self) -> BTreeMap<(RecordKind, uuid::Uuid), RecordBody> {
        let client = client(&self.server.url, &self.copies[0].token);
        let mut records = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = client.pull(self.company, after, None, 5_000, false).await.unwrap();
            for change in &page.changes {
                match change.parse().unwrap() {
                    Some(body) => records.insert((change.kind, change.id), normalized(body)),
                    None => records.remove(&(change.kind, change.id)),
                };
            }
            after = page.cursor.seq;
            if !page.has_more {
                return records;
            }
        }
    }

    fn check(&mut self, audit_before: u64, server: &BTreeMap<(RecordKind, uuid::Uuid), RecordBody>) {
        let stats = self.server.stats(self.company).unwrap();
        let mut applied = 0;
        for i in 0..CLIENTS {
            let store = &self.link(i).store;
            assert_eq!(store.replica_stats().unwrap(), stats, "copy {i} equals the server");
            assert_eq!(store.pending_count().unwrap(), 0, "copy {i} has sent everything");
            assert_eq!(store.shadow_count().unwrap(), 0, "copy {i} has no edit of its own left");
            assert_eq!(store.held_records().unwrap(), [], "copy {i} keeps no record aside");
            let integrity: String = store.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
            assert_eq!(integrity, "ok", "copy {i} passes SQLite's integrity check");
            let dangling: Option<String> =
                store.connection().query_row("PRAGMA foreign_key_check", [], |r| r.get(0)).optional().unwrap();
            assert_eq!(dangling, None, "copy {i}'s references hold");
            // What the screens read is the server's records, field by field.
            let shown = [RecordKind::Contact, RecordKind::Article, RecordKind::Document, RecordKind::Payment];
            for ((kind, id), body) in
                server.iter().filter(|((kind, _), _)| shown.contains(kind) || *kind == RecordKind::Settings)
            {
                let local = store.record(*kind, *id).unwrap().map(normalized);
                assert_eq!(local.as_ref(), Some(body), "copy {i} shows {} {id} as the server has it", kind.as_str());
            }
            for (kind, table) in shown.into_iter().zip(["contacts", "articles", "documents", "payments"]) {
                let rows: i64 =
                    store.connection().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap();
                let expected = server.keys().filter(|(k, _)| *k == kind).count();
                assert_eq!(usize::try_from(rows).unwrap(), expected, "copy {i} has no {table} the server lacks");
            }
            let rejected = store.rejected_mutations().unwrap();
            for r in &rejected {
                assert!(!r.code.is_empty() && !r.message.is_empty(), "a refusal keeps its reason: {r:?}");
            }
            let rejected: Vec<u64> = rejected.iter().map(|r| r.mutation_id).collect();
            assert!(rejected.iter().all(|id| self.copies[i].committed.contains(id)));
            applied += self.copies[i].committed.iter().filter(|id| !rejected.contains(id)).count() as u64;
        }
        let committed: usize = self.copies.iter().map(|c| c.committed.len()).sum();
        let count = |what: &str| self.log.iter().filter(|l| l.contains(what)).count();
        eprintln!(
            "{committed} commits, {applied} applied, {} refused by the server; {} lost requests, {} lost answers, \
             {} delayed, {} crashes ({} mid-write), {} server stops, {} pages refused",
            committed as u64 - applied,
            count("request lost"),
            count("answer lost"),
            count("delayed"),
            count(" crashes"),
            count("crashes in the middle"),
            count("server stops"),
            count("refuses a page"),
        );
        // One audit record per applied mutation: none applied twice, none lost.
        assert_eq!(stats[&RecordKind::Audit].count - audit_before, applied, "applied exactly once");

        // Numbers run 1..n per series, and issued documents kept their content.
        self.link(0);
        let store = &self.copies[0].link.as_ref().unwrap().store;
        let mut numbers: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut stmt =
            store.connection().prepare("SELECT id, kind, number FROM documents WHERE number IS NOT NULL").unwrap();
        let rows: Vec<(uuid::Uuid, String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        for (id, kind, number) in rows {
            let digits: String = number.chars().rev().take_while(char::is_ascii_digit).collect();
            let counter: u64 = digits.chars().rev().collect::<String>().parse().unwrap();
            numbers.entry(kind).or_default().push(counter);
            let document = store.document(DocumentId(id)).unwrap();
            if let Some(seen) = self.issued.get(&document.id) {
                assert_eq!(*seen, content(&document), "issued document {number} changed");
            }
        }
        for (kind, mut counters) in numbers {
            counters.sort_unstable();
            let expected: Vec<u64> = (1..=counters.len() as u64).collect();
            assert_eq!(counters, expected, "{kind} numbers have a gap or a duplicate");
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("its steps:\n{}", self.log.join("\n"));
        }
    }
}

/// A record with its lists in a fixed order, for comparing copies.
fn normalized(body: RecordBody) -> RecordBody {
    match body {
        RecordBody::Document(mut record) => {
            record.payments.sort_by_key(|p| p.payment_id.0);
            RecordBody::Document(record)
        }
        RecordBody::Payment(mut payment) => {
            payment.allocations.sort_by_key(|a| a.document_id.0);
            RecordBody::Payment(payment)
        }
        RecordBody::Settings(mut settings) => {
            settings.series.sort_by_key(|s| s.kind.as_str());
            RecordBody::Settings(settings)
        }
        other => other,
    }
}

fn run(seed: u64, template: &Template) {
    let dir = tempfile::tempdir_in(scratch_root()).unwrap();
    let mut world = World::new(seed, template, dir.path());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let audit_before = world.server.stats(world.company).unwrap()[&RecordKind::Audit].count;
        for n in 0..STEPS {
            world.step(n).await;
        }
        world.heal().await;
        let server = world.server_records().await;
        world.check(audit_before, &server);
    });
}

fn regressions_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/simulation_seeds.txt")
}

fn regression_seeds() -> Vec<u64> {
    std::fs::read_to_string(regressions_file())
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split('#').next()?.trim().parse().ok())
        .collect()
}

/// Runs `seed`; a failing seed is kept in the regressions file. Returns whether it passed.
fn run_seed(seed: u64, backend: Backend, template: &mut Option<Template>) -> bool {
    if template.as_ref().is_none_or(|t| t.made.elapsed() > TEMPLATE_LIFETIME) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        *template = Some(runtime.block_on(Template::new(backend)));
    }
    let prepared = template.as_ref().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(seed, prepared)));
    if result.is_err() {
        if !regression_seeds().contains(&seed) {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new().append(true).create(true).open(regressions_file()).unwrap();
            writeln!(file, "{seed} # failed on {} ({backend:?})", Utc::now().format("%Y-%m-%d")).unwrap();
        }
        eprintln!("simulation seed {seed} failed on {backend:?}; it is kept in {}", regressions_file().display());
    }
    result.is_ok()
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|n| n.trim().parse().ok())
}

/// Runs the seeds (see the module's documentation) with the server on `backend`.
fn converge(backend: Backend) {
    let seeds: Vec<u64> = if let Some(seed) = env_number("COMPTOIR_SIM_SEED") {
        vec![seed]
    } else {
        let more = env_number("COMPTOIR_SIM_SEEDS").unwrap_or(0);
        let start =
            env_number("COMPTOIR_SIM_START").unwrap_or_else(|| u64::from(Utc::now().timestamp_subsec_nanos()) << 16);
        regression_seeds().into_iter().chain(SUITE_SEEDS).chain(start..start + more).collect()
    };
    let started = Instant::now();
    let mut template = None;
    let mut failed = Vec::new();
    for (n, &seed) in seeds.iter().enumerate() {
        if !run_seed(seed, backend, &mut template) {
            failed.push(seed);
        }
        if (n + 1) % 1000 == 0 {
            eprintln!("{} seeds in {:.0?}, {} failed", n + 1, started.elapsed(), failed.len());
        }
    }
    eprintln!("{backend:?}: {} seeds in {:.1?}; failed: {failed:?}", seeds.len(), started.elapsed());
    assert!(failed.is_empty(), "seeds {failed:?} failed on {backend:?} (their steps are printed above)");
}

#[test]
fn copies_converge_through_an_unreliable_network_on_sqlite() {
    converge(Backend::Sqlite);
}

/// The same seeds with the server on PostgreSQL: its locks, not one writer at a time,
/// keep the log gapless and the numbers in order.
#[test]
fn copies_converge_through_an_unreliable_network_on_postgres() {
    converge(Backend::Postgres);
}
