//! Company membership over real HTTP: roles allowed and refused, isolation between
//! companies, and an owner kept.

use comptoir_core::model::{CompanyId, Role};
use comptoir_server::admin;
use comptoir_tests::TestServer;
use comptoir_tests::api::{PASSWORD, code};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Two companies: A with an owner, an admin, a sales user and an accountant; B with its
/// own owner. Returns the server, the ids, and signed-in access tokens by name.
async fn two_companies() -> (TestServer, CompanyId, CompanyId, std::collections::HashMap<&'static str, String>) {
    let (server, _) = crate::empty_server();
    let storage = server.storage().as_ref();
    let a = admin::create_company(storage, "Atelier Lumière", "FR").unwrap();
    let b = admin::create_company(storage, "Studio Brabant", "BE").unwrap();
    let mut tokens = std::collections::HashMap::new();
    for (name, company, role) in [
        ("owner", a, Role::Owner),
        ("admin", a, Role::Admin),
        ("sales", a, Role::Sales),
        ("accountant", a, Role::Accountant),
        ("other", b, Role::Owner),
    ] {
        let email = format!("{name}@example.fr");
        admin::create_user(storage, &email, PASSWORD, name).unwrap();
        admin::add_member(storage, company, &email, role).unwrap();
        let signed = server.signed_in(&email, PASSWORD).await;
        tokens.insert(name, signed["access_token"].as_str().unwrap().to_owned());
    }
    (server, a, b, tokens)
}

#[tokio::test]
async fn members_are_listed_to_members_only() {
    let (server, a, b, tokens) = two_companies().await;
    let (status, members) = server.get(&format!("/v1/companies/{a}/members"), Some(&tokens["sales"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members.as_array().unwrap().len(), 4);
    // A member of B reads nothing of A, and the other way round.
    let (status, body) = server.get(&format!("/v1/companies/{a}/members"), Some(&tokens["other"])).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "not_a_member"));
    let (status, _) = server.get(&format!("/v1/companies/{b}/members"), Some(&tokens["owner"])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = server.get("/v1/companies/not-a-uuid/members", Some(&tokens["owner"])).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_id"));
    let (status, _) = server.get(&format!("/v1/companies/{a}/members"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn who_may_manage_members() {
    let (server, a, b, tokens) = two_companies().await;
    let add = |email: &str, role: &str| json!({"email": email, "role": role});
    let path = format!("/v1/companies/{a}/members");

    // Sales and accountant are refused, with the reason.
    for name in ["sales", "accountant"] {
        let (status, body) = server.post(&path, add("new@example.fr", "sales"), Some(&tokens[name])).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "permission_denied"), "{name}");
        assert!(body["error"]["message"].as_str().unwrap().contains("manage the company's users"));
    }
    // A member of another company is refused too, even as its owner.
    let (status, _) = server.post(&path, add("new@example.fr", "sales"), Some(&tokens["other"])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An admin adds a new user: the account is created, with a one-time password.
    let (status, added) = server.post(&path, add("Nouveau@Example.fr", "sales"), Some(&tokens["admin"])).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["account_created"], true);
    assert_eq!(added["member"]["email"], "nouveau@example.fr");
    let password = added["initial_password"].as_str().unwrap();
    // The new user signs in and sees only that company.
    let signed = server.signed_in("nouveau@example.fr", password).await;
    let (_, account) = server.get("/v1/account", signed["access_token"].as_str()).await;
    let companies = account["companies"].as_array().unwrap();
    assert_eq!(companies.len(), 1);
    assert_eq!(companies[0]["company_id"], a.to_string());
    assert_eq!(companies[0]["role"], "sales");

    // An existing account added to a second company keeps its own password; one email,
    // a different role in each company.
    let path_b = format!("/v1/companies/{b}/members");
    let (status, added) = server.post(&path_b, add("sales@example.fr", "accountant"), Some(&tokens["other"])).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(added["account_created"], false);
    assert!(added["initial_password"].is_null());
    let (_, account) = server.get("/v1/account", Some(&tokens["sales"])).await;
    let roles: Vec<_> = account["companies"].as_array().unwrap().iter().map(|c| c["role"].clone()).collect();
    assert_eq!(roles.len(), 2);
    assert!(roles.contains(&json!("sales")) && roles.contains(&json!("accountant")));

    // Admins may not name owners; owners may.
    let (status, body) = server.post(&path, add("boss@example.fr", "owner"), Some(&tokens["admin"])).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "permission_denied"));
    let (status, _) = server.post(&path, add("boss@example.fr", "owner"), Some(&tokens["owner"])).await;
    assert_eq!(status, StatusCode::CREATED);

    // Bad input changes nothing.
    let (status, body) = server.post(&path, add("not an email", "sales"), Some(&tokens["admin"])).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "email_invalid"));
    let (status, body) = server.post(&path, add("x@example.fr", "boss"), Some(&tokens["admin"])).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_body"));
    let (_, members) = server.get(&path, Some(&tokens["owner"])).await;
    assert_eq!(members.as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn roles_change_and_members_leave_but_an_owner_stays() {
    let (server, a, _, tokens) = two_companies().await;
    let storage = server.storage().as_ref();
    let id_of = |email: &str| comptoir_server::storage::Storage::user_by_email(storage, email).unwrap().unwrap().id;
    let member = |email: &str| format!("/v1/companies/{a}/members/{}", id_of(email));

    let (status, view) = server
        .send(Method::PUT, &member("sales@example.fr"), Some(json!({"role": "accountant"})), Some(&tokens["admin"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["role"], "accountant");
    // The sales user refused to change roles, the admin refused to demote the owner.
    let (status, _) = server
        .send(Method::PUT, &member("admin@example.fr"), Some(json!({"role": "read_only"})), Some(&tokens["sales"]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .send(Method::PUT, &member("owner@example.fr"), Some(json!({"role": "admin"})), Some(&tokens["admin"]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The last owner can neither leave nor step down.
    let (status, body) = server.send(Method::DELETE, &member("owner@example.fr"), None, Some(&tokens["owner"])).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "last_owner"));
    let (status, body) = server
        .send(Method::PUT, &member("owner@example.fr"), Some(json!({"role": "admin"})), Some(&tokens["owner"]))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "last_owner"));
    // Removing a member ends their access to the company.
    let (status, _) = server.send(Method::DELETE, &member("accountant@example.fr"), None, Some(&tokens["admin"])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.get(&format!("/v1/companies/{a}/members"), Some(&tokens["accountant"])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        server.send(Method::DELETE, &member("accountant@example.fr"), None, Some(&tokens["admin"])).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) =
        server.send(Method::DELETE, &format!("/v1/companies/{a}/members/nope"), None, Some(&tokens["owner"])).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_id"));
}

/// A payment of `amount` received from `payer` (a contact's id and name), recorded in
/// company `company` through a push, and its bank entry numbered `number` as a client
/// derives it from the same record.
async fn paid(
    server: &TestServer,
    company: CompanyId,
    token: &str,
    payer: (uuid::Uuid, &str),
    amount: i64,
    number: u64,
) -> comptoir_core::accounting::Entry {
    use comptoir_core::model::{ContactId, Payment, PaymentId, PaymentMethod};
    let payment = Payment {
        id: PaymentId::new(),
        contact_id: Some(ContactId(payer.0)),
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        amount: rust_decimal::Decimal::from(amount),
        method: PaymentMethod::BankTransfer,
        reference: format!("VIR {amount}"),
        allocations: Vec::new(),
    };
    push(server, company, token, json!({"type": "record_payment", "payment": payment})).await;
    let plan = comptoir_core::accounting::AccountPlan::for_country(&comptoir_core::model::Country::France);
    let mut entry = comptoir_core::accounting::entry_of_payment(&payment, Some(payer), &plan);
    entry.number = Some(number);
    entry
}

/// Pushes one intent, which must be applied.
async fn push(server: &TestServer, company: CompanyId, token: &str, intent: serde_json::Value) {
    let body = json!({"mutations": [{"client_id": uuid::Uuid::now_v7(), "mutation_id": 1, "intent": intent}]});
    let (status, answer) = server.post(&format!("/v1/companies/{company}/sync/push"), body, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["results"][0]["outcome"]["outcome"], "applied", "{answer}");
}

/// A customer of company `company`, created through a push.
async fn customer(server: &TestServer, company: CompanyId, token: &str, name: &str) -> serde_json::Value {
    let contact = json!({"id": uuid::Uuid::now_v7(), "kind": "company", "name": name, "is_customer": true,
        "is_supplier": false, "email": null, "phone": null, "vat_number": null,
        "billing_address": {"street": "1 rue de la Paix", "street2": "", "postcode": "75002", "city": "Paris",
            "country": "FR"},
        "delivery_address": null, "payment_terms_days": null, "archived": false});
    push(server, company, token, json!({"type": "create_contact", "contact": contact})).await;
    contact
}

fn batch(entries: &[comptoir_core::accounting::Entry]) -> serde_json::Value {
    json!({"id": uuid::Uuid::now_v7(), "from": null, "to": "2026-11-30", "entries": entries})
}

#[tokio::test]
async fn postings_are_made_once_reversed_only_when_posted_and_numbered_without_gaps() {
    let (server, a, _, tokens) = two_companies().await;
    let path = format!("/v1/companies/{a}/accounting/postings");
    let owner = &tokens["owner"];
    let client = customer(&server, a, owner, "Boulangerie Martin").await;
    let client_id: uuid::Uuid = client["id"].as_str().unwrap().parse().unwrap();
    let posted = paid(&server, a, owner, (client_id, "Boulangerie Martin"), 100, 1).await;
    let first = batch(std::slice::from_ref(&posted));

    // Posting takes the role that posts.
    let (status, body) = server.post(&path, first.clone(), Some(&tokens["sales"])).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "permission_denied"));

    let (status, receipt) = server.post(&path, first.clone(), Some(&tokens["accountant"])).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["entries"], 1);
    // The same batch again (an answer lost on the way): the same receipt, posted once.
    let (status, again) = server.post(&path, first, Some(&tokens["accountant"])).await;
    assert_eq!((status, &again), (StatusCode::OK, &receipt));

    // The same entry in another batch: refused, nothing posted twice.
    let mut twice = posted.clone();
    twice.number = Some(2);
    let (status, body) = server.post(&path, batch(&[twice]), Some(owner)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "already_posted"));
    // A gap in the journal's numbers, and an unbalanced entry.
    let other = paid(&server, a, owner, (client_id, "Boulangerie Martin"), 5, 9).await;
    let (status, body) = server.post(&path, batch(std::slice::from_ref(&other)), Some(owner)).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "entry_numbering"));
    let mut unbalanced = other.clone();
    unbalanced.number = Some(2);
    unbalanced.lines[0].debit += rust_decimal::Decimal::ONE;
    let (status, body) = server.post(&path, batch(&[unbalanced]), Some(owner)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "entry_unbalanced"));
    // Entries the company's records do not give: another amount on both sides (balanced,
    // so only the server's own derivation can tell), an account of the poster's choosing,
    // and a payment that does not exist.
    let mut inflated = other.clone();
    inflated.number = Some(2);
    for line in &mut inflated.lines {
        line.debit *= rust_decimal::Decimal::TEN;
        line.credit *= rust_decimal::Decimal::TEN;
    }
    inflated.fingerprint = inflated.compute_fingerprint();
    let mut elsewhere = other.clone();
    elsewhere.number = Some(2);
    elsewhere.lines[0].account = "467000".into();
    elsewhere.fingerprint = elsewhere.compute_fingerprint();
    let mut invented = other.clone();
    invented.number = Some(2);
    invented.source = uuid::Uuid::now_v7();
    for (entry, expected) in
        [(inflated, "entry_differs"), (elsewhere, "entry_differs"), (invented, "entry_not_derived")]
    {
        let (status, body) = server.post(&path, batch(&[entry]), Some(owner)).await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, expected), "{body}");
    }

    // The source's entry changed (its payer was renamed): the posted entry's reversal,
    // then the new one, as the server derives it too.
    let mut renamed = client.clone();
    renamed["name"] = json!("Boulangerie Martin & Fils");
    push(&server, a, owner, json!({"type": "update_contact", "contact": renamed})).await;
    let mut reversal = posted.reversal_of(posted.date);
    reversal.number = Some(2);
    let plan = comptoir_core::accounting::AccountPlan::for_country(&comptoir_core::model::Country::France);
    let payment: comptoir_core::model::Payment = {
        let (_, page) = server.get(&format!("/v1/companies/{a}/sync/pull?after=0&limit=1000"), Some(owner)).await;
        let change = page["changes"].as_array().unwrap().iter().find(|c| c["id"] == json!(posted.source)).unwrap();
        serde_json::from_value(change["body"]["record"].clone()).unwrap()
    };
    let mut replacement =
        comptoir_core::accounting::entry_of_payment(&payment, Some((client_id, "Boulangerie Martin & Fils")), &plan);
    replacement.number = Some(3);
    let (status, body) = server.post(&path, batch(&[reversal.clone(), replacement]), Some(&tokens["accountant"])).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The old entry no longer stands: reversing it again is refused.
    reversal.number = Some(4);
    let (status, body) = server.post(&path, batch(&[reversal]), Some(&tokens["accountant"])).await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "nothing_to_reverse"));

    // Two postings in the company's log, each written in the audit trail as "post".
    let (status, page) =
        server.get(&format!("/v1/companies/{a}/sync/pull?after=0&limit=1000"), Some(&tokens["accountant"])).await;
    assert_eq!(status, StatusCode::OK);
    let changes = page["changes"].as_array().unwrap();
    assert_eq!(changes.iter().filter(|c| c["kind"] == "posting").count(), 2);
    let posts =
        changes.iter().filter(|c| c["kind"] == "audit").filter(|c| c["body"]["record"]["action"] == "post").count();
    assert_eq!(posts, 2, "{page}");
}
