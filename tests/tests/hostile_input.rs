//! A member with a script, as issue 12 found them: amounts at and beyond the decimal
//! limit, totals that overflow, ids beyond what the storage holds. Through real HTTP, as
//! a sales member of company A: every answer is a 4xx with a code, or a rejected
//! outcome with a code, and changes nothing; the server goes on serving company B; a
//! fresh first download of company A (the app's own code path, then its ledger) opens
//! every record.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use chrono::NaiveDate;
use comptoir_core::model::{Allocation, CompanyId, DocumentId, MAX_AMOUNT, Payment, PaymentId, PaymentMethod, Role};
use comptoir_core::sync::{AddMember, Intent, Outcome, PushResponse, RecordKind};
use comptoir_tests::checks::signed_in;
use comptoir_tests::fixtures::{draft_invoice, new_contact};
use comptoir_tests::{Backend, TestServer};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

/// 5 × 10²⁸: two of them overflow a sum (issue 12's first crash).
const HALF_OF_DECIMAL: &str = "50000000000000000000000000000";
/// 7.9 × 10²⁸: fits a decimal, but × 100 (to cents) does not (issue 12's second crash).
const NEAR_DECIMAL_MAX: &str = "79000000000000000000000000000";

struct Member {
    http: reqwest::Client,
    url: String,
    company: CompanyId,
    token: String,
    client_id: Uuid,
    next: u64,
}

impl Member {
    /// Sends `intents` (as JSON, so that they may hold what the Rust types refuse to
    /// build) and returns the status and the body.
    async fn push_raw(&mut self, intents: Vec<Value>) -> (StatusCode, Value) {
        let mutations: Vec<Value> = intents
            .into_iter()
            .map(|intent| {
                self.next += 1;
                json!({"client_id": self.client_id, "mutation_id": self.next, "intent": intent})
            })
            .collect();
        self.post_push(json!({ "mutations": mutations })).await
    }

    async fn post_push(&self, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/v1/companies/{}/sync/push", self.url, self.company))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// One intent that must be refused: a 4xx with a code, or a rejected outcome.
    async fn refused(&mut self, intent: Value) -> String {
        let (status, body) = self.push_raw(vec![intent.clone()]).await;
        if status.is_client_error() {
            return body["error"]["code"].as_str().unwrap_or_else(|| panic!("a 4xx without a code: {body}")).to_owned();
        }
        assert_eq!(status, StatusCode::OK, "{intent}: {body}");
        let response: PushResponse = serde_json::from_value(body).unwrap();
        match &response.results[0].outcome {
            Outcome::Rejected { code, message } => {
                assert!(!message.is_empty());
                code.clone()
            }
            other => panic!("{other:?}: {intent}"),
        }
    }

    async fn applied(&mut self, intent: &Intent) -> Option<String> {
        let (status, body) = self.push_raw(vec![serde_json::to_value(intent).unwrap()]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let response: PushResponse = serde_json::from_value(body).unwrap();
        match response.results.into_iter().next().unwrap().outcome {
            Outcome::Applied { number, .. } => number,
            other => panic!("{intent:?} not applied: {other:?}"),
        }
    }
}

fn payment(amount: &str, allocations: &[(DocumentId, &str)]) -> Value {
    let mut payment = serde_json::to_value(Payment {
        id: PaymentId::new(),
        contact_id: None,
        date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        amount: Decimal::ONE,
        method: PaymentMethod::BankTransfer,
        reference: "VIR".into(),
        allocations: allocations.iter().map(|(id, _)| Allocation { document_id: *id, amount: Decimal::ONE }).collect(),
    })
    .unwrap();
    payment["amount"] = json!(amount);
    for (i, (_, amount)) in allocations.iter().enumerate() {
        payment["allocations"][i]["amount"] = json!(amount);
    }
    json!({"type": "record_payment", "payment": payment})
}

/// The demo server (a company of about 200 records) on `backend`.
async fn demo_server(backend: Backend) -> TestServer {
    tokio::task::spawn_blocking(move || TestServer::builder().backend(backend).demo(200).start())
        .await
        .unwrap()
        .unwrap()
}

#[allow(clippy::too_many_lines, reason = "one walk through the hostile numbers, in the order a reader follows it")]
async fn hostile_numbers_are_refused_and_harm_no_one(backend: Backend) {
    let server = demo_server(backend).await;
    let (a, b) = (server.company(), server.accounts.companies[0].0);
    let (owner, owner_token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let added = owner
        .add_member(a, &AddMember { email: "vendeur@example.fr".into(), role: Role::Sales, display_name: None })
        .await
        .unwrap();
    let (_, sales_token) = signed_in(&server.url, "vendeur@example.fr", &added.initial_password.unwrap()).await;
    let mut member = Member {
        http: reqwest::Client::new(),
        url: server.url.clone(),
        company: a,
        token: sales_token,
        client_id: Uuid::now_v7(),
        next: 0,
    };

    // Ordinary work first: a customer and two issued invoices of 120 €.
    let customer = new_contact("Client de test");
    member.applied(&Intent::CreateContact { contact: customer.clone() }).await;
    let mut invoices = Vec::new();
    for _ in 0..2 {
        let draft = draft_invoice(&customer, 100);
        member.applied(&Intent::SaveDraft { document: draft.clone() }).await;
        assert!(member.applied(&Intent::IssueDocument { id: draft.id }).await.is_some(), "numbered");
        invoices.push(draft.id);
    }
    let (one, two) = (invoices[0], invoices[1]);
    // Near the limit, and allowed: the most a payment may be, on one invoice.
    let max = MAX_AMOUNT.to_string();
    let max_payment = payment(&max, &[(one, &max)]);
    let max_payment_id = max_payment["payment"]["id"].clone();
    let (code, body) = member.push_raw(vec![max_payment]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(matches!(
        serde_json::from_value::<PushResponse>(body).unwrap().results[0].outcome,
        Outcome::Applied { .. }
    ));
    let stats_before = server.stats(a).unwrap();

    // The hostile part: each refused with its code.
    let mut draft = serde_json::to_value(Intent::SaveDraft { document: draft_invoice(&customer, 1) }).unwrap();
    draft["document"]["lines"][0]["quantity"] = json!("1000000000");
    draft["document"]["lines"][0]["unit_price"] = json!("999999999999.99");
    let mut two_max_lines = serde_json::to_value(Intent::SaveDraft { document: draft_invoice(&customer, 1) }).unwrap();
    let one_line = two_max_lines["document"]["lines"][0].clone();
    two_max_lines["document"]["lines"] = json!([one_line, one_line]);
    two_max_lines["document"]["lines"][0]["unit_price"] = json!(max);
    two_max_lines["document"]["lines"][1]["unit_price"] = json!(max);
    let mut beyond_decimal = draft.clone();
    beyond_decimal["document"]["lines"][0]["quantity"] = json!("99999999999999999999999999999999");
    // A payment of company B, whose id a member of A knows.
    let b_payment = owner
        .pull(b, 0, None, 5_000, false)
        .await
        .unwrap()
        .changes
        .into_iter()
        .find(|c| c.kind == RecordKind::Payment)
        .map(|c| c.id)
        .unwrap();
    let mut long_reference = serde_json::to_value(Intent::SaveDraft { document: draft_invoice(&customer, 1) }).unwrap();
    long_reference["document"]["customer_reference"] = json!("R".repeat(10_000));
    let mut priced_section = serde_json::to_value(Intent::SaveDraft { document: draft_invoice(&customer, 1) }).unwrap();
    priced_section["document"]["lines"][0]["section"] = json!(true);
    let cases = [
        (payment("100", &[(one, HALF_OF_DECIMAL), (two, HALF_OF_DECIMAL)]), "amount_out_of_range"),
        (payment(NEAR_DECIMAL_MAX, &[]), "amount_out_of_range"),
        (payment(&max, &[(one, &max)]), "amount_overflow"),
        (payment("0.001", &[]), "amount_too_precise"),
        (draft, "amount_out_of_range"),
        (two_max_lines, "amount_overflow"),
        (beyond_decimal, "invalid_body"),
        // What this stop added, fed the same way: a payment cancelled without a reason,
        // with an endless one, unknown, or company B's; an endless order number; a
        // section title that carries a price.
        (json!({"type": "cancel_payment", "id": max_payment_id, "reason": "  "}), "field_required"),
        (json!({"type": "cancel_payment", "id": max_payment_id, "reason": "x".repeat(201)}), "field_too_long"),
        (json!({"type": "cancel_payment", "id": Uuid::now_v7(), "reason": "erreur"}), "not_found"),
        (json!({"type": "cancel_payment", "id": b_payment, "reason": "erreur"}), "not_found"),
        (long_reference, "field_too_long"),
        (priced_section, "section_line_amounts"),
    ];
    for (intent, expected) in cases {
        assert_eq!(member.refused(intent.clone()).await, expected, "{intent}");
    }
    // Ids and cursors beyond what the storage holds.
    let (status, body) = member
        .post_push(json!({"mutations": [{"client_id": Uuid::now_v7(), "mutation_id": u64::MAX,
            "intent": serde_json::to_value(Intent::CreateContact { contact: new_contact("X") }).unwrap()}]}))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("mutation_id_invalid")));
    let response = member
        .http
        .get(format!("{}/v1/companies/{a}/sync/pull?after={}", server.url, u64::MAX))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(server.stats(a).unwrap(), stats_before, "the refusals changed nothing");
    // Cancelling the same payment twice in one push: once applied, then not found, and
    // the invoice owes again exactly once.
    let cancel = json!({"type": "cancel_payment", "id": max_payment_id, "reason": "saisi par erreur"});
    let (code, body) = member.push_raw(vec![cancel.clone(), cancel]).await;
    assert_eq!(code, StatusCode::OK);
    let results = serde_json::from_value::<PushResponse>(body).unwrap().results;
    assert!(matches!(results[0].outcome, Outcome::Applied { .. }), "{:?}", results[0]);
    assert!(matches!(&results[1].outcome, Outcome::Rejected { code, .. } if code == "not_found"), "{:?}", results[1]);

    // The server serves company B as before.
    let page = owner.pull(b, 0, None, 100, false).await.unwrap();
    assert!(!page.changes.is_empty());

    // A fresh first download of company A, as the app makes it, then its ledger.
    comptoir_tests::checks::fresh_download_opens_every_record(&server, a, owner_token, &invoices).await;
}

#[tokio::test]
async fn hostile_numbers_are_refused_and_harm_no_one_on_sqlite() {
    hostile_numbers_are_refused_and_harm_no_one(Backend::Sqlite).await;
}

#[tokio::test]
async fn hostile_numbers_are_refused_and_harm_no_one_on_postgres() {
    hostile_numbers_are_refused_and_harm_no_one(Backend::Postgres).await;
}
