//! A posting split over several requests is one posting (issue 12, item 10): parts are
//! staged on the server, and one commit posts them all, or nothing. Through real HTTP
//! against the real server, with the entries the app itself derives:
//!
//! - a posting whose last part never comes posts nothing; a later full posting of the
//!   period posts every entry once;
//! - a part or a commit sent again changes nothing and is answered as before;
//! - hostile parts and commits are refused with stable codes, and change nothing;
//! - parts left more than a day are dropped, and a company stages a bounded size;
//! - parts in any order, repeated, with commits too early or with the wrong count (a
//!   property test): the posting is made exactly when parts `1..=n` are all there, once;
//! - the engine posts a large period in parts, and when a part is refused posts nothing
//!   and says so.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use comptoir_core::accounting::{Entry, Posting, batch_digest};
use comptoir_core::engine::link::Link;
use comptoir_core::engine::{AccountingEvent, Command, Engine, EngineConfig, Event, Secret, SetupStep};
use comptoir_core::model::{CompanyId, Role};
use comptoir_core::sync::AddMember;
use comptoir_tests::TestServer;
use comptoir_tests::checks::signed_in;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// The end of every period posted here: after every demo entry.
fn to() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).unwrap()
}

/// A member posting for `company` through raw HTTP, so that requests may hold what the
/// app would never send.
struct Poster {
    http: reqwest::Client,
    url: String,
    company: CompanyId,
    token: String,
}

/// What the company's log holds of postings.
#[derive(Debug, PartialEq)]
struct Log {
    seq: u64,
    /// Every posting record, in log order.
    postings: Vec<Posting>,
    /// "post" records of the audit trail.
    posts: usize,
    /// The requests each of them took (their "parts"; one when they do not say).
    parts: Vec<u64>,
}

impl Poster {
    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> (StatusCode, Value) {
        let url = format!("{}/v1/companies/{}/accounting/postings{path}", self.url, self.company);
        let response = self.http.request(method, url).bearer_auth(&self.token).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Part `part` of `posting` (path segments as given: they may be hostile).
    async fn part(&self, posting: &str, part: &str, entries: &[Entry]) -> (StatusCode, Value) {
        self.part_of(posting, part, None, entries).await
    }

    async fn part_of(
        &self,
        posting: &str,
        part: &str,
        from: Option<NaiveDate>,
        entries: &[Entry],
    ) -> (StatusCode, Value) {
        let body = json!({"from": from, "to": to(), "entries": entries});
        self.send(reqwest::Method::PUT, &format!("/{posting}/parts/{part}"), &body).await
    }

    async fn commit(&self, posting: &str, parts: u32) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, &format!("/{posting}/commit"), &json!({ "parts": parts })).await
    }

    /// The whole posting in one request.
    async fn post(&self, id: Uuid, entries: &[Entry]) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, "", &json!({"id": id, "from": null, "to": to(), "entries": entries})).await
    }

    /// Sends `parts` of a new posting, each answered 201, then its commit.
    async fn post_in_parts(&self, parts: &[&[Entry]]) -> (Uuid, StatusCode, Value) {
        let id = Uuid::now_v7();
        for (n, entries) in (1..).zip(parts) {
            let (status, body) = self.part(&id.to_string(), &n.to_string(), entries).await;
            assert_eq!(status, StatusCode::CREATED, "part {n}: {body}");
            assert_eq!(body["entries"], entries.len());
            assert_eq!(body["posted"], false);
        }
        let (status, body) = self.commit(&id.to_string(), u32::try_from(parts.len()).unwrap()).await;
        (id, status, body)
    }

    async fn log(&self) -> Log {
        let (mut after, mut postings, mut posts, mut parts) = (0, Vec::new(), 0, Vec::new());
        loop {
            let url = format!("{}/v1/companies/{}/sync/pull?after={after}&limit=1000", self.url, self.company);
            let page: Value = self.http.get(url).bearer_auth(&self.token).send().await.unwrap().json().await.unwrap();
            for change in page["changes"].as_array().unwrap() {
                match change["kind"].as_str().unwrap() {
                    "posting" => postings.push(serde_json::from_value(change["body"]["record"].clone()).unwrap()),
                    "audit" if change["body"]["record"]["action"] == "post" => {
                        posts += 1;
                        let changes = change["body"]["record"]["changes"].as_array().unwrap();
                        let count = changes
                            .iter()
                            .find(|c| c["field"] == "parts")
                            .map_or(1, |c| c["after"].as_str().unwrap().parse().unwrap());
                        parts.push(count);
                    }
                    _ => {}
                }
            }
            after = page["cursor"]["seq"].as_u64().unwrap();
            if page["has_more"] != true {
                return Log { seq: after, postings, posts, parts };
            }
        }
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The entries of every posting record, as (source, reversal), each once.
fn posted_entries(log: &Log) -> BTreeSet<(Uuid, bool)> {
    let mut seen = BTreeSet::new();
    for posting in &log.postings {
        for entry in &posting.entries {
            assert!(seen.insert((entry.source, entry.reversal)), "{} posted twice", entry.piece_ref);
        }
    }
    seen
}

/// A server, the demo owner posting for its large company, and a copy of that company
/// (the app's own download and ledger) with its pending entries, numbered as the next
/// posting books them.
async fn set_up(records: u32) -> (TestServer, Poster, Link, Vec<Entry>) {
    let server = TestServer::start(records).unwrap();
    let (client, token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let company = server.company();
    let dir = tempfile::tempdir().unwrap().keep();
    let (mut link, _) = Link::create(client, company, &dir.join("copy.comptoir"), Utc::now()).await.unwrap();
    let pending = pending_in(&mut link).await;
    let poster = Poster { http: reqwest::Client::new(), url: server.url.clone(), company, token };
    (server, poster, link, pending)
}

/// Syncs the copy and returns its pending entries.
async fn pending_in(link: &mut Link) -> Vec<Entry> {
    link.sync(Utc::now, &mut |_| {}).await.unwrap();
    link.store.refresh_whole_ledger(Utc::now().date_naive()).unwrap();
    link.store.pending_entries(None, to()).unwrap()
}

/// `entries` cut into `parts` parts of about the same size, in order (none empty when
/// there are enough entries).
fn cut(entries: &[Entry], parts: usize) -> Vec<&[Entry]> {
    let len = entries.len();
    (0..parts).map(|i| &entries[i * len / parts..(i + 1) * len / parts]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posting_whose_last_part_never_comes_posts_nothing_and_a_full_one_posts_every_entry_once() {
    let (_server, poster, mut link, pending) = set_up(150).await;
    assert!(pending.len() >= 8, "{} pending entries", pending.len());
    let before = poster.log().await;
    let parts = cut(&pending, 4);

    // Parts 1 to 3 of 4; the fourth never comes.
    let abandoned = Uuid::now_v7().to_string();
    for (n, entries) in (1..).zip(&parts[..3]) {
        let (status, body) = poster.part(&abandoned, &n.to_string(), entries).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = poster.commit(&abandoned, 4).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "posting_parts_missing"), "{body}");
    // Nothing posted: the log is as it was, every entry still pending in the copy.
    assert_eq!(poster.log().await, before);
    assert_eq!(pending_in(&mut link).await, pending);

    // A full posting of the period (a new one: the abandoned parts are dropped).
    let (id, status, receipt) = poster.post_in_parts(&parts).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["id"], json!(id));
    assert_eq!(receipt["entries"], pending.len());
    let after = poster.log().await;
    let booked = posted_entries(&after);
    let expected: BTreeSet<_> = pending.iter().map(|e| (e.source, e.reversal)).collect();
    assert_eq!(booked, expected, "every pending entry posted, once");
    assert_eq!(after.postings.len(), before.postings.len() + 1, "one posting record: it fits a pull page");
    let record = after.postings.last().unwrap();
    assert_eq!((record.id, record.group, record.entries.len()), (id, None, pending.len()));
    assert_eq!(after.posts, before.posts + 1, "one \"post\" in the audit trail");
    assert_eq!(after.parts.last(), Some(&4));
    // The abandoned posting's parts are gone: its commit now finds none.
    let (status, body) = poster.commit(&abandoned, 3).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "posting_parts_missing"), "{body}");
    // The copy sees it all posted.
    assert!(pending_in(&mut link).await.is_empty());
    assert_eq!(poster.log().await, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_a_part_or_the_commit_changes_nothing() {
    let (_server, poster, _link, pending) = set_up(150).await;
    let parts = cut(&pending, 3);
    let id = Uuid::now_v7().to_string();
    let (status, first) = poster.part(&id, "2", parts[1]).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // Part 2 again (an answer lost on the way), before and after the others.
    let (status, again) = poster.part(&id, "2", parts[1]).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    for n in [3, 1] {
        let (status, body) = poster.part(&id, &n.to_string(), parts[n - 1]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, again) = poster.part(&id, "2", parts[1]).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));

    let (status, receipt) = poster.commit(&id, 3).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["entries"], pending.len());
    let made = poster.log().await;
    // The commit again: the same receipt; a part again: "posted", staged nowhere.
    let (status, again) = poster.commit(&id, 3).await;
    assert_eq!((status, &again), (StatusCode::OK, &receipt));
    let (status, body) = poster.part(&id, "1", parts[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["posted"], true);
    assert_eq!(poster.log().await, made, "nothing changed");
    // So does the one-request posting with the same id.
    let (status, body) = poster.post(id.parse().unwrap(), parts[0]).await;
    assert_eq!((status, &body), (StatusCode::OK, &receipt));
    assert_eq!(poster.log().await, made);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_parts_are_refused_with_codes_and_change_nothing() {
    let (server, poster, _link, pending) = set_up(150).await;
    let before = poster.log().await;
    let parts = cut(&pending, 3);
    let id = Uuid::now_v7().to_string();
    let refused = async |answer: (StatusCode, Value), status: StatusCode, expected: &str| {
        assert_eq!((answer.0, code(&answer.1)), (status, expected), "{}", answer.1);
        assert!(!answer.1["error"]["message"].as_str().unwrap().is_empty());
    };

    // Part numbers and counts out of range, ids that are not ids.
    for part in ["0", "10001", "-1", "x", "4294967296"] {
        refused(poster.part(&id, part, parts[0]).await, StatusCode::BAD_REQUEST, "posting_part_out_of_range").await;
    }
    refused(poster.part("not-an-id", "1", parts[0]).await, StatusCode::BAD_REQUEST, "invalid_id").await;
    refused(poster.commit(&id, 0).await, StatusCode::BAD_REQUEST, "posting_part_out_of_range").await;
    refused(poster.commit(&id, 10_001).await, StatusCode::BAD_REQUEST, "posting_part_out_of_range").await;
    // An empty part, an unbalanced entry.
    refused(poster.part(&id, "1", &[]).await, StatusCode::BAD_REQUEST, "batch_empty").await;
    let mut unbalanced = parts[0].to_vec();
    unbalanced[0].lines[0].debit += rust_decimal::Decimal::ONE;
    refused(poster.part(&id, "1", &unbalanced).await, StatusCode::BAD_REQUEST, "entry_unbalanced").await;
    // An entry the records do not give.
    let mut invented = parts[0].to_vec();
    invented[0].source = Uuid::now_v7();
    refused(poster.part(&id, "1", &invented).await, StatusCode::CONFLICT, "entry_not_derived").await;
    // A commit of nothing staged.
    refused(poster.commit(&id, 1).await, StatusCode::CONFLICT, "posting_parts_missing").await;

    // Part 1 staged; then part 1 with other entries, a part of another period.
    assert_eq!(poster.part(&id, "1", parts[0]).await.0, StatusCode::CREATED);
    refused(poster.part(&id, "1", &parts[0][1..]).await, StatusCode::CONFLICT, "posting_part_differs").await;
    let from = NaiveDate::from_ymd_opt(2000, 1, 1);
    refused(poster.part_of(&id, "2", from, parts[1]).await, StatusCode::CONFLICT, "posting_period_differs").await;
    // Part 3 without part 2; a count below the parts staged.
    assert_eq!(poster.part(&id, "3", parts[2]).await.0, StatusCode::CREATED);
    refused(poster.commit(&id, 3).await, StatusCode::CONFLICT, "posting_parts_missing").await;
    refused(poster.commit(&id, 2).await, StatusCode::CONFLICT, "posting_parts_mismatch").await;
    refused(poster.commit(&id, 1).await, StatusCode::CONFLICT, "posting_parts_mismatch").await;

    // The same entry in two parts of one posting (numbered on, so each part is valid).
    // Postings of periods of their own: a new posting of a period drops the parts of
    // another one of the same period.
    let twice = Uuid::now_v7().to_string();
    let period = NaiveDate::from_ymd_opt(2001, 1, 1);
    let mut next = parts[0][..1].to_vec();
    next[0].number = next[0].number.map(|n| n + 1);
    assert_eq!(poster.part_of(&twice, "1", period, &parts[0][..1]).await.0, StatusCode::CREATED);
    assert_eq!(poster.part_of(&twice, "2", period, &next).await.0, StatusCode::CREATED);
    refused(poster.commit(&twice, 2).await, StatusCode::BAD_REQUEST, "entry_twice").await;
    // A gap in the numbers between two parts.
    let gap = Uuid::now_v7().to_string();
    let period = NaiveDate::from_ymd_opt(2002, 1, 1);
    let (first, rest) = pending.split_at(1);
    let journal = first[0].journal;
    let skipped = rest.iter().position(|e| e.journal == journal).unwrap();
    assert_eq!(poster.part_of(&gap, "1", period, first).await.0, StatusCode::CREATED);
    assert_eq!(poster.part_of(&gap, "2", period, &rest[skipped + 1..]).await.0, StatusCode::CREATED);
    refused(poster.commit(&gap, 2).await, StatusCode::CONFLICT, "entry_numbering").await;

    // Parts of company A are not company B's: a commit there finds none, A's stay whole.
    let other = server.accounts.companies[0].0;
    assert_ne!(other, poster.company);
    let elsewhere =
        Poster { company: other, http: poster.http.clone(), url: poster.url.clone(), token: poster.token.clone() };
    let b_before = elsewhere.log().await;
    refused(elsewhere.commit(&id, 3).await, StatusCode::CONFLICT, "posting_parts_missing").await;
    refused(elsewhere.part(&id, "2", parts[1]).await, StatusCode::CONFLICT, "entry_not_derived").await;
    assert_eq!(elsewhere.log().await, b_before);
    // A sales member may not post, nor stage.
    let (owner, _) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let request = AddMember { email: "vente@exemple.fr".into(), role: Role::Sales, display_name: None };
    let added = owner.add_member(poster.company, &request).await.unwrap();
    let (_, sales_token) = signed_in(&server.url, "vente@exemple.fr", &added.initial_password.unwrap()).await;
    let sales =
        Poster { token: sales_token, http: poster.http.clone(), url: poster.url.clone(), company: poster.company };
    refused(sales.part(&id, "2", parts[1]).await, StatusCode::FORBIDDEN, "permission_denied").await;
    refused(sales.commit(&id, 3).await, StatusCode::FORBIDDEN, "permission_denied").await;

    // Nothing of it reached the log (but the member added).
    let after = poster.log().await;
    assert_eq!((after.postings, after.posts), (before.postings.clone(), before.posts));
    // The posting, completed as it should be, is made whole.
    assert_eq!(poster.part(&id, "2", parts[1]).await.0, StatusCode::CREATED);
    let (status, receipt) = poster.commit(&id, 3).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["entries"], pending.len());
    assert_eq!(posted_entries(&poster.log().await).len(), pending.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_left_more_than_a_day_are_dropped() {
    let (server, poster, _link, pending) = set_up(150).await;
    let parts = cut(&pending, 3);
    let id = Uuid::now_v7().to_string();
    for n in 1..=2 {
        assert_eq!(poster.part(&id, &n.to_string(), parts[n - 1]).await.0, StatusCode::CREATED);
    }
    // A day and a minute pass for these parts (on the server's clock: they are made older).
    let database = rusqlite::Connection::open(server.data_dir().join("server.sqlite")).unwrap();
    let staged_at = (Utc::now() - chrono::TimeDelta::hours(24) - chrono::TimeDelta::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let aged = database.execute("UPDATE posting_parts SET staged_at = ?1", [&staged_at]).unwrap();
    assert_eq!(aged, 2);
    // The last part comes too late: the others are gone, nothing is posted.
    assert_eq!(poster.part(&id, "3", parts[2]).await.0, StatusCode::CREATED);
    let before = poster.log().await;
    let (status, body) = poster.commit(&id, 3).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "posting_parts_missing"), "{body}");
    assert_eq!(poster.log().await, before);
    let left: i64 = database.query_row("SELECT count(*) FROM posting_parts", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 1, "only the last part, staged now, is left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_stages_a_bounded_size() {
    let limits = comptoir_server::Limits { staged_posting_bytes: 4_000, ..comptoir_server::Limits::default() };
    let server = TestServer::start_with(150, limits).unwrap();
    let (client, token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut link, _) =
        Link::create(client, server.company(), &dir.path().join("copy.comptoir"), Utc::now()).await.unwrap();
    let pending = pending_in(&mut link).await;
    let poster = Poster { http: reqwest::Client::new(), url: server.url.clone(), company: server.company(), token };
    let before = poster.log().await;
    let id = Uuid::now_v7().to_string();
    let mut staged = 0;
    let answer = loop {
        let (status, body) = poster.part(&id, &(staged + 1).to_string(), &pending[staged..=staged]).await;
        if status != StatusCode::CREATED {
            break (status, body);
        }
        staged += 1;
    };
    assert!(staged >= 1, "one entry fits in 4,000 bytes");
    assert_eq!((answer.0, code(&answer.1)), (StatusCode::PAYLOAD_TOO_LARGE, "posting_parts_too_large"), "{}", answer.1);
    // The parts staged still commit; the bytes are free again after.
    let parts = u32::try_from(staged).unwrap();
    let (status, receipt) = poster.commit(&id, parts).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["entries"], staged);
    let (_, status, body) = poster.post_in_parts(&[&pending[staged..=staged]]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(poster.log().await.postings.len(), before.postings.len() + 2);
}

/// One step of a client sending a posting's parts.
#[derive(Clone, Debug)]
enum Step {
    /// Part `n` (from 1), maybe again.
    Part(usize),
    /// The commit, with this count.
    Commit(usize),
}

#[test]
fn parts_in_any_order_and_repeated_post_once_exactly_when_all_are_there() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    const PARTS: usize = 4;
    const CASES: u32 = 12;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (_server, poster, _link, pending) = runtime.block_on(set_up(400));
    // Each case posts (at most) the next slice of the pending entries: a prefix of what
    // is left, so that numbers go on from the last posted.
    let slice = pending.len() / usize::try_from(CASES * 2).unwrap();
    assert!(slice >= PARTS, "{} pending entries", pending.len());
    let done = RefCell::new(0_usize);
    let step = prop_oneof![3 => (1..=PARTS).prop_map(Step::Part), 1 => (1..=PARTS + 1).prop_map(Step::Commit)];
    let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
    runner
        .run(&proptest::collection::vec(step, 1..12), |steps| {
            runtime.block_on(async {
                let start = *done.borrow();
                let entries = &pending[start..(start + slice).min(pending.len())];
                let parts = cut(entries, PARTS);
                let id = Uuid::now_v7().to_string();
                let before = poster.log().await;
                let mut staged = BTreeSet::new();
                let mut made: Option<(usize, Value)> = None;
                for step in &steps {
                    match *step {
                        Step::Part(n) => {
                            let (status, body) = poster.part(&id, &n.to_string(), parts[n - 1]).await;
                            let expected = if made.is_some() || staged.contains(&n) {
                                StatusCode::OK
                            } else {
                                StatusCode::CREATED
                            };
                            prop_assert_eq!(status, expected, "{:?}: {}", step, body);
                            prop_assert_eq!(&body["posted"], &json!(made.is_some()));
                            if made.is_none() {
                                staged.insert(n);
                            }
                        }
                        Step::Commit(count) => {
                            let (status, body) = poster.commit(&id, u32::try_from(count).unwrap()).await;
                            if let Some((_, receipt)) = &made {
                                prop_assert_eq!((status, &body), (StatusCode::OK, receipt));
                            } else if staged == (1..=count).collect::<BTreeSet<_>>() {
                                prop_assert_eq!(status, StatusCode::CREATED, "{:?}: {}", step, body);
                                made = Some((count, body));
                            } else {
                                let expected = if staged.iter().any(|n| *n > count) {
                                    "posting_parts_mismatch"
                                } else {
                                    "posting_parts_missing"
                                };
                                prop_assert_eq!((status, code(&body)), (StatusCode::CONFLICT, expected));
                            }
                        }
                    }
                }
                let after = poster.log().await;
                if let Some((count, receipt)) = made {
                    let booked: usize = parts[..count].iter().map(|p| p.len()).sum();
                    prop_assert_eq!(&receipt["entries"], &json!(booked));
                    prop_assert_eq!(after.postings.len(), before.postings.len() + 1);
                    prop_assert_eq!(after.posts, before.posts + 1);
                    let record = after.postings.last().unwrap();
                    prop_assert_eq!(&record.entries[..], &entries[..booked]);
                    *done.borrow_mut() += booked;
                } else {
                    prop_assert_eq!(&after, &before, "nothing posted");
                    // Whatever came before, the missing parts and the commit post the
                    // whole slice, once.
                    for n in (1..=PARTS).filter(|n| !staged.contains(n)) {
                        prop_assert_eq!(poster.part(&id, &n.to_string(), parts[n - 1]).await.0, StatusCode::CREATED);
                    }
                    let (status, receipt) = poster.commit(&id, u32::try_from(PARTS).unwrap()).await;
                    prop_assert_eq!(status, StatusCode::CREATED, "{}", receipt);
                    prop_assert_eq!(&receipt["entries"], &json!(entries.len()));
                    let record = poster.log().await.postings.pop().unwrap();
                    prop_assert_eq!(&record.entries[..], entries);
                    *done.borrow_mut() += entries.len();
                }
                posted_entries(&poster.log().await);
                Ok(())
            })
        })
        .unwrap();
}

/// The engine on its thread, set up against `server` as the app does, ready on the large
/// company; returns it with the folder of its copies.
fn engine_on(server: &TestServer) -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let credentials = Arc::new(comptoir_core::engine::credentials::FileCredentials::new(&dir.path().join("c.json")));
    let engine = Engine::start(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        default_server: server.url.clone(),
        clock: Arc::new(comptoir_core::clock::SystemClock),
        credentials,
        wake: Arc::new(|| {}),
        timing: comptoir_tests::on_demand_timing(),
    })
    .unwrap();
    engine.send(Command::SetServer { url: server.url.clone() }).unwrap();
    wait(&engine, |e| matches!(e, Event::Setup(SetupStep::SignIn { .. })).then_some(()));
    let (email, password) = (server.accounts.email.clone(), Secret(server.accounts.password.clone()));
    engine.send(Command::SignIn { email, password }).unwrap();
    wait(&engine, |e| matches!(e, Event::Setup(SetupStep::ChooseCompany { .. })).then_some(()));
    engine.send(Command::ChooseCompany { company: server.company() }).unwrap();
    wait(&engine, |e| matches!(e, Event::Setup(SetupStep::Ready { .. })).then_some(()));
    (engine, dir)
}

/// The first event `pick` takes, within a minute.
fn wait<T>(engine: &Engine, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while std::time::Instant::now() < deadline {
        if let Some(event) = engine.next_event(Duration::from_millis(100)) {
            if let Event::SetupFailed(error) = &event {
                panic!("setup failed: {error:?}");
            }
            if let Some(value) = pick(&event) {
                return value;
            }
        }
    }
    panic!("no such event within a minute");
}

/// The engine posts everything pending up to [`to`]; returns its answer, and how many
/// entries were pending before.
fn post_all(engine: &Engine, dir: &std::path::Path, company: CompanyId) -> (AccountingEvent, usize) {
    let copy =
        comptoir_core::store::CompanyStore::open_read_only(&dir.join("companies").join(format!("{company}.comptoir")))
            .unwrap();
    // The engine derives the ledger in the background: wait until it has.
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while copy.ledger_backlog().unwrap() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let pending = copy.pending_entries(None, to()).unwrap();
    let digest = batch_digest(&pending).unwrap();
    engine.send(Command::Post { from: None, to: to(), digest }).unwrap();
    let answer = wait(engine, |e| match e {
        Event::Accounting(answer) => Some(answer.clone()),
        _ => None,
    });
    (answer, pending.len())
}

#[test]
fn the_engine_posts_a_large_period_in_parts_and_nothing_when_a_part_is_refused() {
    // Enough entries for several requests of 800 KiB.
    const RECORDS: u32 = 6_000;

    // Refused after its first part (the server stages 1 MiB at most): nothing posted,
    // and the answer says so.
    let limits = comptoir_server::Limits { staged_posting_bytes: 1024 * 1024, ..comptoir_server::Limits::default() };
    let server = TestServer::start_with(RECORDS, limits).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let poster = runtime.block_on(async {
        let (_, token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        Poster { http: reqwest::Client::new(), url: server.url.clone(), company: server.company(), token }
    });
    let before = runtime.block_on(poster.log());
    let (engine, dir) = engine_on(&server);
    let (answer, pending) = post_all(&engine, dir.path(), server.company());
    assert!(pending > 2_000, "{pending} entries: several requests");
    let AccountingEvent::Refused { code, .. } = answer else { panic!("posted: {answer:?}") };
    assert_eq!(code, "posting_parts_too_large");
    let after = runtime.block_on(poster.log());
    assert_eq!((after.postings, after.posts), (before.postings, before.posts), "nothing posted");
    drop(engine);

    // With room enough, the same period is posted whole, in parts, once.
    let server = TestServer::start(RECORDS).unwrap();
    let (engine, dir) = engine_on(&server);
    let (answer, pending) = post_all(&engine, dir.path(), server.company());
    assert_eq!(answer, AccountingEvent::Posted { entries: pending });
    let poster = runtime.block_on(async {
        let (_, token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        Poster { http: reqwest::Client::new(), url: server.url.clone(), company: server.company(), token }
    });
    let log = runtime.block_on(poster.log());
    assert_eq!(posted_entries(&log).len(), pending);
    assert_eq!(log.posts, 1, "one posting in the audit trail");
    assert!(log.parts[0] > 1, "sent in {} parts", log.parts[0]);
    // Too heavy for one pull page: records of one group, written together.
    let id = log.postings[0].id;
    let records = u32::try_from(log.postings.len()).unwrap();
    assert!(records > 1, "{records} records");
    for (n, record) in (1..).zip(&log.postings) {
        let group = comptoir_core::accounting::PostingGroup { posting: id, record: n, records, entries: pending };
        assert_eq!(record.group, Some(group));
        let bytes = serde_json::to_vec(record).unwrap().len();
        assert!(bytes < comptoir_server::sync::MAX_PAGE_BYTES / 2 + 64 * 1024, "{bytes} bytes");
    }
    // The copy synced: nothing is pending there.
    let copy = comptoir_core::store::CompanyStore::open_read_only(
        &dir.path().join("companies").join(format!("{}.comptoir", server.company())),
    )
    .unwrap();
    assert_eq!(copy.pending_entry_count().unwrap(), 0);
}
