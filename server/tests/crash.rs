//! A server killed without warning (SIGKILL) and restarted loses nothing it had
//! acknowledged.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use comptoir_core::model::{Address, CompanyId, Contact, ContactId, ContactKind, Country, Role};
use comptoir_core::sync::{Intent, Mutation, Outcome, PullPage, PushResponse, RecordKind};
use comptoir_server::admin;
use comptoir_server::storage::SqliteStorage;
use serde_json::json;

/// Starts `comptoir-server serve` on a port of its own and returns it with its address.
fn start(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_comptoir-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line}")).to_owned();
    (child, format!("http://{address}"))
}

async fn push(http: &reqwest::Client, url: &str, company: CompanyId, token: &str, mutation: &Mutation) -> Outcome {
    let response: PushResponse = http
        .post(format!("{url}/v1/companies/{company}/sync/push"))
        .bearer_auth(token)
        .json(&json!({"mutations": [mutation]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response.results.into_iter().next().unwrap().outcome
}

/// The ids of the contacts the server holds, in change-log order.
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
    Contact {
        id: ContactId::new(),
        kind: ContactKind::Person,
        name: format!("Client {i}"),
        is_customer: true,
        is_supplier: false,
        email: None,
        phone: None,
        vat_number: None,
        billing_address: Address {
            street: "1 place du Marché".into(),
            street2: String::new(),
            postcode: "59000".into(),
            city: "Lille".into(),
            country: Country::France,
        },
        delivery_address: None,
        payment_terms_days: None,
        archived: false,
        language: None,
    }
}

#[tokio::test]
async fn acknowledged_changes_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let company = {
        let storage = SqliteStorage::open(dir.path()).unwrap();
        admin::create_user(&storage, "claire@atelier.fr", "mot de passe solide", "").unwrap();
        let company = admin::create_company(&storage, "Atelier", "FR").unwrap();
        admin::add_member(&storage, company, "claire@atelier.fr", Role::Owner).unwrap();
        company
    };
    let http = reqwest::Client::new();
    let (mut server, url) = start(dir.path());
    let login: serde_json::Value = http
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"email": "claire@atelier.fr", "password": "mot de passe solide"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let client_id = uuid::Uuid::now_v7();
    let mut acknowledged = Vec::new();
    for i in 1..=40_u64 {
        let mutation = Mutation { client_id, mutation_id: i, intent: Intent::CreateContact { contact: contact(i) } };
        assert!(matches!(push(&http, &url, company, &token, &mutation).await, Outcome::Applied { .. }));
        let Intent::CreateContact { contact } = mutation.intent else { unreachable!() };
        acknowledged.push(contact.id);
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut server, url) = start(dir.path());
    assert_eq!(contacts(&http, &url, company, &token).await, acknowledged, "every acknowledged change, in order");
    // The session survived too, and re-sending an acknowledged mutation applies nothing.
    let again = Mutation { client_id, mutation_id: 40, intent: Intent::CreateContact { contact: contact(99) } };
    assert!(matches!(push(&http, &url, company, &token, &again).await, Outcome::Applied { .. }));
    assert_eq!(contacts(&http, &url, company, &token).await.len(), 40, "applied once only");
    server.kill().unwrap();
    server.wait().unwrap();
}
