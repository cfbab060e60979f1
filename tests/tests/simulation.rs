//! A seeded simulation of several copies of one company working against the real server
//! through an unreliable network: requests dropped before or after the server saw them,
//! duplicated, delayed and delivered out of order; the server stopped and restarted;
//! copies crashing between any two steps. When the network heals, every copy must equal
//! the server; every change a copy committed must have been applied exactly once or be
//! in its rejected list with a reason; numbers must run 1..n per series without a gap;
//! and no issued document may have changed.
//!
//! Seeds that ever failed are kept in `simulation_seeds.txt` (beside this file) and run
//! first, as regression cases; a failing seed is appended there. `COMPTOIR_SIM_SEEDS=N`
//! runs N more seeds, starting from a random one.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]
#![allow(clippy::print_stderr, reason = "a failing seed prints its steps")]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use comptoir_core::engine::Link;
use comptoir_core::model::{
    Allocation, Article, CompanyId, Document, DocumentId, DocumentStatus, Payment, PaymentId, PaymentMethod, from_cents,
};
use comptoir_core::sync::{Intent, Mutation, PushResponse, RawPullPage, RecordBody, RecordKind, SyncClient};
use comptoir_tests::TestServer;
use comptoir_tests::fixtures::{article, draft_invoice, new_contact};
use rust_decimal::Decimal;

/// Seeds run on every `cargo test`, after the regression seeds.
const SEEDS: std::ops::Range<u64> = 1..7;
const CLIENTS: usize = 3;
const STEPS: usize = 120;

/// A small deterministic generator (`SplitMix64`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

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

fn client(url: &str, token: &str) -> SyncClient {
    let mut client = SyncClient::new(url).unwrap();
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
    async fn new(seed: u64, dir: &Path) -> Self {
        let server = TestServer::start(150).unwrap();
        let company = server.company();
        let mut copies = Vec::new();
        for i in 0..CLIENTS {
            let mut sign_in = SyncClient::new(&server.url).unwrap();
            let tokens = match sign_in.login(&server.accounts.email, &server.accounts.password).await.unwrap() {
                comptoir_core::sync::LoginResponse::SignedIn(tokens) => tokens,
                other @ comptoir_core::sync::LoginResponse::TotpRequired { .. } => panic!("{other:?}"),
            };
            let path = dir.join(format!("copy-{i}.comptoir"));
            let (mut link, _) =
                Link::create(client(&server.url, &tokens.access_token), company, &path, Utc::now()).await.unwrap();
            link.sync(Utc::now, &mut |_| {}).await.unwrap();
            copies.push(Copy {
                link: Some(link),
                path,
                token: tokens.access_token,
                committed: Vec::new(),
                delayed: Vec::new(),
            });
        }
        Self { server, server_up: true, company, copies, rng: Rng(seed), issued: HashMap::new(), log: Vec::new() }
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
            91..96 => {
                self.note(format!("{n}: copy {i} crashes"));
                self.copies[i].link = None;
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
        let pick = self.rng.next();
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
            match self.link(i).store.submit(&intent) {
                Ok(id) => {
                    self.copies[i].committed.push(id);
                    self.note(format!("copy {i} commits #{id} {action}"));
                }
                Err(e) => self.note(format!("copy {i} refuses {action} locally: {}", e.code())),
            }
        }
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
        self.link(i).store.record_outcomes(&response.results).unwrap();
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
        match self.link(i).store.apply_pull_page(after, page) {
            Ok(()) => {
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
        }
        for _ in 0..5 {
            for i in 0..CLIENTS {
                self.link(i).sync(Utc::now, &mut |_| {}).await.unwrap();
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
             {} delayed, {} crashes, {} server stops, {} pages refused",
            committed as u64 - applied,
            count("request lost"),
            count("answer lost"),
            count("delayed"),
            count("crashes"),
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

async fn run(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new(seed, dir.path()).await;
    let audit_before = world.server.stats(world.company).unwrap()[&RecordKind::Audit].count;
    for n in 0..STEPS {
        world.step(n).await;
    }
    world.heal().await;
    let server = world.server_records().await;
    let log = world.log.join("\n");
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| world.check(audit_before, &server)));
    if let Err(panic) = checked {
        eprintln!("seed {seed} failed; its steps:\n{log}");
        std::panic::resume_unwind(panic);
    }
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

fn run_seed(seed: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(run(seed))));
    if let Err(panic) = result {
        if !regression_seeds().contains(&seed) {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new().append(true).create(true).open(regressions_file()).unwrap();
            writeln!(file, "{seed} # failed on {}", Utc::now().format("%Y-%m-%d")).unwrap();
        }
        eprintln!("simulation seed {seed} failed; it is kept in {}", regressions_file().display());
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn copies_converge_through_an_unreliable_network() {
    for seed in regression_seeds() {
        run_seed(seed);
    }
    for seed in SEEDS {
        run_seed(seed);
    }
    if let Some(more) = std::env::var("COMPTOIR_SIM_SEEDS").ok().and_then(|n| n.parse::<u64>().ok()) {
        let start = u64::from(Utc::now().timestamp_subsec_nanos()) << 16;
        for seed in start..start + more {
            run_seed(seed);
        }
    }
}
