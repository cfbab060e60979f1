//! The push and pull handlers fuzzed through real HTTP, as a sales member of company A
//! with a script: random intents from `comptoir_tests::fuzz` (well-formed ones about A's
//! records, and the same with hostile values), single and in batches, and random pull
//! queries. The properties:
//!
//! - no answer is a 5xx; a 4xx has a code and a message; a rejected outcome has both;
//! - a refusal changes nothing (A's log does not move);
//! - the server serves company B afterwards, and a fresh first download of A (the app's
//!   own code path, then its ledger) opens every record.
//!
//! Seeded: the seeds in `fuzz_seeds.txt` are replayed first, then fresh ones; a failing
//! seed is appended there. `COMPTOIR_FUZZ_SEEDS=N` runs N fresh seeds (default 20, of
//! [`INTENTS_PER_SEED`] intents each: 10,000 in all).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]
#![allow(clippy::print_stderr, reason = "a failing seed prints itself")]

use comptoir_core::demo::Rng;
use comptoir_core::model::{CompanyId, Role};
use comptoir_core::sync::{AddMember, Outcome, PullPage, PushResponse};
use comptoir_tests::checks::signed_in;
use comptoir_tests::fuzz::{self, Pools};
use comptoir_tests::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const INTENTS_PER_SEED: u64 = 500;
/// How many intents met each answer ("applied", "rejected <code>", "<status> <code>").
type Tally = std::collections::BTreeMap<String, usize>;

const SEEDS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_seeds.txt");

struct Member {
    http: reqwest::Client,
    url: String,
    company: CompanyId,
    token: String,
    client_id: Uuid,
    next: u64,
}

impl Member {
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn push(&mut self, intents: &[Value]) -> (StatusCode, Value) {
        let mutations: Vec<Value> = intents
            .iter()
            .map(|intent| {
                self.next += 1;
                json!({"client_id": self.client_id, "mutation_id": self.next, "intent": intent})
            })
            .collect();
        let url = format!("{}/v1/companies/{}/sync/push", self.url, self.company);
        self.send(self.http.post(url).json(&json!({ "mutations": mutations }))).await
    }

    /// Every change of A after `after`, and the new end of its log.
    async fn pull_after(&self, after: u64) -> (Vec<comptoir_core::sync::Change>, u64) {
        let (mut changes, mut cursor) = (Vec::new(), after);
        loop {
            let url = format!("{}/v1/companies/{}/sync/pull?after={cursor}&limit=1000", self.url, self.company);
            let (status, body) = self.send(self.http.get(url)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let page: PullPage = serde_json::from_value(body).unwrap();
            cursor = page.cursor.seq;
            changes.extend(page.changes);
            if !page.has_more {
                return (changes, cursor);
            }
        }
    }
}

/// A 4xx answer names its error.
fn assert_coded_error(status: StatusCode, body: &Value, what: &str) {
    assert!(!status.is_server_error(), "{status} for {what}: {body}");
    if status.is_client_error() {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(!code.is_empty() && !message.is_empty(), "{status} without a code or message for {what}: {body}");
    }
}

/// Runs one seed's intents against A; panics with the seed and the intent on a failure.
async fn run_seed(seed: u64, member: &mut Member, pools: &mut Pools, last_seq: &mut u64, tally: &mut Tally) {
    let mut rng = Rng::new(seed);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut sent = 0;
    while sent < INTENTS_PER_SEED {
        // Mostly one intent a push (to check each refusal alone), sometimes a batch.
        let batch = if rng.chance(10) { 1 + rng.below(20) } else { 1 };
        let intents: Vec<Value> = (0..batch).map(|_| fuzz::intent(&mut rng, pools, today)).collect();
        sent += batch;
        let what = format!("seed {seed}: {}", Value::Array(intents.clone()));
        let (status, body) = member.push(&intents).await;
        assert_coded_error(status, &body, &what);
        if status.is_client_error() {
            *tally
                .entry(format!("{} {}", status.as_u16(), body["error"]["code"].as_str().unwrap_or_default()))
                .or_default() += intents.len();
        }
        let mut applied = false;
        if status == StatusCode::OK {
            let response: PushResponse = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(response.results.len(), intents.len(), "{what}");
            for result in &response.results {
                match &result.outcome {
                    Outcome::Applied { .. } => {
                        applied = true;
                        *tally.entry("applied".into()).or_default() += 1;
                    }
                    Outcome::Rejected { code, message } => {
                        assert!(!code.is_empty() && !message.is_empty(), "{what}: {body}");
                        *tally.entry(format!("rejected {code}")).or_default() += 1;
                    }
                    Outcome::ClientIdTaken { message } => {
                        assert!(!message.is_empty(), "{what}: {body}");
                        *tally.entry("client id taken".into()).or_default() += 1;
                    }
                }
            }
        }
        let (changes, end) = member.pull_after(*last_seq).await;
        if !applied {
            assert!(changes.is_empty(), "a refusal changed A's log: {what}: {body}");
        }
        pools.absorb(&changes);
        *last_seq = end;
        // Now and then, a hostile pull.
        if rng.chance(5) {
            let query = fuzz::pull_query(&mut rng, *last_seq);
            let url = format!("{}/v1/companies/{}/sync/pull?{query}", member.url, member.company);
            let (status, body) = member.send(member.http.get(url)).await;
            assert_coded_error(status, &body, &format!("seed {seed}: pull?{query}"));
        }
    }
}

fn kept_seeds() -> Vec<u64> {
    std::fs::read_to_string(SEEDS_FILE)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| l.parse().ok())
        .collect()
}

async fn ten_thousand_random_intents_harm_no_one(backend: Backend) {
    let server = tokio::task::spawn_blocking(move || TestServer::builder().backend(backend).demo(200).start())
        .await
        .unwrap()
        .unwrap();
    let (a, b) = (server.company(), server.accounts.companies[0].0);
    let (owner, owner_token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let added = owner
        .add_member(a, &AddMember { email: "script@example.fr".into(), role: Role::Sales, display_name: None })
        .await
        .unwrap();
    let (_, token) = signed_in(&server.url, "script@example.fr", &added.initial_password.unwrap()).await;
    let mut member = Member {
        http: reqwest::Client::new(),
        url: server.url.clone(),
        company: a,
        token,
        client_id: Uuid::now_v7(),
        next: 0,
    };

    // The pools: A's records as its member sees them, B's ids as a leak would give them.
    let mut pools = Pools::default();
    let (changes, mut last_seq) = member.pull_after(0).await;
    pools.absorb(&changes);
    let b_page = owner.pull(b, 0, None, 1_000, false).await.unwrap();
    pools.foreign = b_page.changes.iter().map(|c| c.id).collect();
    assert!(!pools.documents.is_empty() && !pools.foreign.is_empty());

    let fresh: u64 = std::env::var("COMPTOIR_FUZZ_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(20);
    let first = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(1);
    let seeds: Vec<u64> = kept_seeds().into_iter().chain((0..fresh).map(|i| first.wrapping_add(i * 7919))).collect();
    let started = std::time::Instant::now();
    let mut tally = Tally::new();
    for seed in &seeds {
        let keep = KeepOnFailure(*seed);
        run_seed(*seed, &mut member, &mut pools, &mut last_seq, &mut tally).await;
        std::mem::forget(keep);
    }
    eprintln!(
        "{} seeds, {} intents in {:.1} s",
        seeds.len(),
        seeds.len() as u64 * INTENTS_PER_SEED,
        started.elapsed().as_secs_f64()
    );
    eprintln!("answers: {tally:#?}");
    // The intents reach the rules, not only the parser: many are applied, many refused
    // by a rule, many refused at the door.
    let rejected_by_rules: usize = tally.iter().filter(|(k, _)| k.starts_with("rejected")).map(|(_, n)| n).sum();
    let total: usize = tally.values().sum();
    assert!(tally.get("applied").copied().unwrap_or(0) * 20 > total, "{tally:?}");
    assert!(rejected_by_rules * 10 > total, "{tally:?}");

    // A member of A reaches nothing of B.
    let url = format!("{}/v1/companies/{b}/sync/pull?after=0", server.url);
    let (status, body) = member.send(member.http.get(url)).await;
    assert!(status.is_client_error(), "{status}: {body}");
    let (status, body) =
        Member { company: b, ..member }.push(&[json!({"type": "delete_draft", "id": Uuid::now_v7()})]).await;
    assert!(status.is_client_error(), "{status}: {body}");
    // B is served as before, and A opens everywhere.
    let page = owner.pull(b, 0, None, 100, false).await.unwrap();
    assert!(!page.changes.is_empty());
    comptoir_tests::checks::fresh_download_opens_every_record(&server, a, owner_token, &[]).await;
}

/// Appends its seed to the seeds file when a failure unwinds through it (a seed that
/// passes forgets it).
struct KeepOnFailure(u64);

impl Drop for KeepOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() && !kept_seeds().contains(&self.0) {
            let line = format!("{} # found {}\n", self.0, chrono::Utc::now().date_naive());
            let _ = std::fs::OpenOptions::new()
                .append(true)
                .open(SEEDS_FILE)
                .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
            eprintln!("fuzz seed {} failed and is kept in {SEEDS_FILE}", self.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_random_intents_harm_no_one_on_sqlite() {
    ten_thousand_random_intents_harm_no_one(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_random_intents_harm_no_one_on_postgres() {
    ten_thousand_random_intents_harm_no_one(Backend::Postgres).await;
}
