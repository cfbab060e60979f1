//! A server killed without warning (SIGKILL) and restarted loses nothing it had
//! acknowledged, and keeps nothing of a change of several steps it was killed in the
//! middle of.

use std::io::BufRead as _;
use std::process::Child;

use comptoir_core::model::{CompanyId, Contact, ContactId, Role};
use comptoir_core::sync::{Intent, Mutation, Outcome, PullPage, RecordBody, RecordKind};
use comptoir_server::admin;
use comptoir_server::storage::PageLimit;
use comptoir_tests::StoragePlace;
use comptoir_tests::process::{self, ServerProcess};
use serde_json::json;

/// Starts `comptoir-server serve` on `place`, on a port of its own, with `env` added, and
/// returns it with its address.
fn start_with(place: &StoragePlace, env: &[(&str, &str)]) -> ServerProcess {
    let database = place.env();
    let mut env = env.to_vec();
    env.extend(database.iter().map(|(key, value)| (*key, value.as_str())));
    process::serve(crate::SERVER_BIN, place.path(), &env).unwrap()
}

/// Starts `comptoir-server serve` on `place` and returns it with its address.
fn start(place: &StoragePlace) -> (Child, String) {
    let ServerProcess { child, url, .. } = start_with(place, &[]);
    (child, url)
}

/// A server's storage with one company, Atelier, whose owner is claire@atelier.fr.
fn company_with_owner(place: &StoragePlace) -> CompanyId {
    let storage = place.open().unwrap();
    let storage = storage.as_ref();
    admin::create_user(storage, "claire@atelier.fr", "mot de passe solide", "").unwrap();
    let company = admin::create_company(storage, "Atelier", "FR").unwrap();
    admin::add_member(storage, company, "claire@atelier.fr", Role::Owner).unwrap();
    company
}

/// Claire's access token.
async fn sign_in(url: &str) -> String {
    comptoir_tests::checks::signed_in(url, "claire@atelier.fr", "mot de passe solide").await.1
}

async fn contacts(http: &reqwest::Client, url: &str, company: CompanyId, token: &str) -> Vec<ContactId> {
    let page: PullPage = http
        .get(format!("{url}/v1/companies/{company}/sync/pull?limit=5000"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page.changes.iter().filter(|c| c.kind == RecordKind::Contact).map(|c| ContactId(c.id)).collect()
}

fn contact(i: u64) -> Contact {
    comptoir_tests::fixtures::new_contact(&format!("Client {i}"))
}

#[tokio::test]
async fn acknowledged_changes_survive_a_kill() {
    let dir = crate::place();
    let company = company_with_owner(&dir);
    let http = reqwest::Client::new();
    let (mut server, url) = start(&dir);
    let token = sign_in(&url).await;
    let client_id = uuid::Uuid::now_v7();
    let mut acknowledged = Vec::new();
    let mut last = None;
    for i in 1..=40_u64 {
        let mutation = Mutation { client_id, mutation_id: i, intent: Intent::CreateContact { contact: contact(i) } };
        assert!(matches!(crate::push_one(&http, &url, company, &token, &mutation).await, Outcome::Applied { .. }));
        let Intent::CreateContact { contact } = &mutation.intent else { unreachable!() };
        acknowledged.push(contact.id);
        last = Some(mutation);
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut server, url) = start(&dir);
    assert_eq!(contacts(&http, &url, company, &token).await, acknowledged, "every acknowledged change, in order");
    // The session survived too, and re-sending an acknowledged mutation applies nothing.
    let again = last.unwrap();
    assert!(matches!(crate::push_one(&http, &url, company, &token, &again).await, Outcome::Applied { .. }));
    assert_eq!(contacts(&http, &url, company, &token).await.len(), 40, "applied once only");
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The points between the steps of adding a member: after the account is created, after
/// the membership, after the member record in the company's log, after the audit record
/// (the last thing before the commit).
const MEMBER_STEPS: [&str; 4] = ["member:account", "member:membership", "member:log_record", "member:audit_record"];

/// What the server's files hold of `email`'s membership of `company`: the account, the
/// membership, the member record in the company's log, and the audit records that add it.
#[derive(Debug, PartialEq, Eq)]
struct MemberTraces {
    account: bool,
    membership: bool,
    log_record: bool,
    audit_records: usize,
}

fn member_traces(place: &StoragePlace, company: CompanyId, email: &str) -> MemberTraces {
    let storage = place.open().unwrap();
    let account = storage.user_by_email(email).unwrap();
    let membership = storage.members(company).unwrap().iter().any(|m| m.email == email);
    let mut log_record = false;
    let mut audit_records = 0;
    let page = storage.changes_after(company, 0, PageLimit::count(10_000)).unwrap();
    assert!(!page.has_more);
    for change in page.changes {
        match change.body.as_deref().map(|b| serde_json::from_str::<RecordBody>(b).unwrap()) {
            Some(RecordBody::Member(member)) if member.email == email => log_record = true,
            Some(RecordBody::Audit(audit))
                if audit.action == "add_member"
                    && account.as_ref().is_some_and(|a| Some(a.id.0) == audit.entity_id) =>
            {
                audit_records += 1;
            }
            _ => {}
        }
    }
    // Whatever happened, the audit chain holds together.
    admin::verify_audit(storage.as_ref(), company).unwrap();
    MemberTraces { account: account.is_some(), membership, log_record, audit_records }
}

/// The owner adds marc@atelier.fr, who has no account yet, as a sales member.
async fn add_marc(
    http: reqwest::Client,
    url: String,
    company: CompanyId,
    token: String,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{url}/v1/companies/{company}/members"))
        .bearer_auth(token)
        .json(&json!({"email": "marc@atelier.fr", "role": "sales"}))
        .send()
        .await
}

#[tokio::test]
async fn a_kill_between_the_steps_of_adding_a_member_leaves_all_or_nothing() {
    for point in MEMBER_STEPS {
        let dir = crate::place();
        let company = company_with_owner(&dir);
        let http = reqwest::Client::new();
        let pause = [(comptoir_server::pause::PAUSE_AT, point)];
        let ServerProcess { child: mut server, url, mut stdout } = start_with(&dir, &pause);
        let token = sign_in(&url).await;
        let request = tokio::spawn(add_marc(http.clone(), url.clone(), company, token.clone()));
        // The server says when it stands at the point, inside the transaction.
        let paused = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            while stdout.read_line(&mut line).unwrap() > 0 {
                if line.trim() == format!("paused at {point}") {
                    return true;
                }
                line.clear();
            }
            false
        });
        assert!(tokio::time::timeout(std::time::Duration::from_mins(1), paused).await.unwrap().unwrap(), "{point}");
        server.kill().unwrap(); // SIGKILL, in the middle of the change
        server.wait().unwrap();
        assert!(request.await.unwrap().is_err(), "{point}: the caller never got an answer");

        let none = MemberTraces { account: false, membership: false, log_record: false, audit_records: 0 };
        assert_eq!(member_traces(&dir, company, "marc@atelier.fr"), none, "killed at {point}: nothing stays");

        // The caller tries again, on the restarted server: all of it, once.
        let (mut server, url) = start(&dir);
        let answer = add_marc(http.clone(), url, company, token).await.unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::CREATED, "{point}");
        let added: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(added["account_created"], true);
        server.kill().unwrap();
        server.wait().unwrap();
        let all = MemberTraces { account: true, membership: true, log_record: true, audit_records: 1 };
        assert_eq!(member_traces(&dir, company, "marc@atelier.fr"), all, "after {point}: all of it, once");
    }
}

/// SIGTERM (what systemd or a container runtime sends) while a request is in the middle
/// of its transaction: the request is answered in full, then the server exits cleanly,
/// and what it answered is stored.
#[tokio::test]
async fn sigterm_answers_the_request_in_flight_then_stops() {
    let dir = crate::place();
    let company = company_with_owner(&dir);
    let http = reqwest::Client::new();
    let pause = [(comptoir_server::pause::PAUSE_AT, "member:membership"), (comptoir_server::pause::PAUSE_FOR, "1500")];
    let ServerProcess { child: mut server, url, mut stdout } = start_with(&dir, &pause);
    let token = sign_in(&url).await;
    let request = tokio::spawn(add_marc(http.clone(), url.clone(), company, token));
    let paused = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap() > 0 {
            if line.trim() == "paused at member:membership" {
                return true;
            }
            line.clear();
        }
        false
    });
    assert!(tokio::time::timeout(std::time::Duration::from_mins(1), paused).await.unwrap().unwrap());
    let pid = server.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());

    let answer = request.await.unwrap().unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::CREATED, "the request in flight is answered");
    let exit = tokio::task::spawn_blocking(move || server.wait().unwrap()).await.unwrap();
    assert!(exit.success(), "a clean exit: {exit}");
    assert!(http.get(format!("{url}/v1/health")).send().await.is_err(), "no longer listening");
    let all = MemberTraces { account: true, membership: true, log_record: true, audit_records: 1 };
    assert_eq!(member_traces(&dir, company, "marc@atelier.fr"), all, "what it answered is stored");
}

/// The server killed (SIGKILL) at a random point of a copy's sync, which pushes 1,500
/// customers made offline in two batches and pulls them back 20 a page, then started
/// again on the same storage: the copy's next sync completes, nothing the server
/// acknowledged is lost, nothing is applied twice (a customer created twice would be
/// refused, and the copy would list the refusal), and the copy holds exactly the
/// server's records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_during_a_sync_comes_back_and_the_copy_converges() {
    use comptoir_core::engine::Link;
    const CUSTOMERS: u64 = 1_500;

    let place = crate::place();
    let company = company_with_owner(&place);
    let (mut server, url) = start(&place);
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("atelier.comptoir");
    let (client, _) = comptoir_tests::checks::signed_in(&url, "claire@atelier.fr", "mot de passe solide").await;
    let (mut link, _) = Link::create(client, company, &path, chrono::Utc::now()).await.unwrap();
    link.sync(chrono::Utc::now, &mut |_| {}).await.unwrap();
    for n in 0..CUSTOMERS {
        link.store.submit(&Intent::CreateContact { contact: contact(n) }).unwrap();
    }
    link.page_size = 20;

    let sync = tokio::spawn(async move {
        let result = link.sync(chrono::Utc::now, &mut |_| {}).await;
        (link, result.map(|report| report.applied))
    });
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 1_500;
    tokio::time::sleep(std::time::Duration::from_millis(u64::from(at))).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let (link, cut) = sync.await.unwrap();
    let waiting = link.store.pending_count().unwrap();
    eprintln!("server killed {at} ms into the sync; that sync: {cut:?}; {waiting} edits still waiting");
    drop(link);

    // Started again on the same storage (another port: the copy is given the new address).
    let (mut server, url) = start(&place);
    let (client, _) = comptoir_tests::checks::signed_in(&url, "claire@atelier.fr", "mot de passe solide").await;
    let mut link = Link::open(client, company, &path).unwrap();
    link.sync(chrono::Utc::now, &mut |_| {}).await.unwrap();
    assert_eq!(link.store.pending_count().unwrap(), 0, "every edit reached the server");
    assert!(link.store.rejected_mutations().unwrap().is_empty(), "none was refused, so none was applied twice");
    let replica: std::collections::BTreeMap<_, _> =
        link.store.replica_stats().unwrap().into_iter().filter(|(_, stats)| stats.count > 0).collect();
    drop(link);
    server.kill().unwrap();
    server.wait().unwrap();

    let storage = place.open().unwrap();
    let on_server: std::collections::BTreeMap<_, _> =
        admin::stats(storage.as_ref(), company).unwrap().into_iter().filter(|(_, stats)| stats.count > 0).collect();
    assert_eq!(on_server[&RecordKind::Contact].count, CUSTOMERS, "each customer once on the server");
    assert_eq!(replica, on_server, "the copy holds exactly the server's records");
}
