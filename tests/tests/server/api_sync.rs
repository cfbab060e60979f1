//! Push and pull over real HTTP: exactly once, in order, numbers without gaps, rules
//! enforced, the audit chain intact.

use chrono::NaiveDate;
use comptoir_core::audit::verify_chain;
use comptoir_core::model::{
    Address, Allocation, CompanyId, Contact, ContactId, Country, Currency, Document, DocumentKind, DocumentLine,
    DocumentStatus, PartySnapshot, Payment, PaymentId, PaymentMethod, Role, VatRate,
};
use comptoir_core::sync::{Intent, Mutation, Outcome, PullPage, PushResponse, RecordBody, RecordKind};
use comptoir_server::admin;
use comptoir_tests::TestServer;
use comptoir_tests::api::{PASSWORD, code};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

/// A device pushing mutations with its own client id and counter.
pub(crate) struct Device {
    pub(crate) token: String,
    client_id: Uuid,
    next: u64,
}

impl Device {
    pub(crate) fn new(token: &str) -> Self {
        Self { token: token.to_owned(), client_id: Uuid::now_v7(), next: 1 }
    }

    fn mutation(&mut self, intent: Intent) -> Mutation {
        let mutation = Mutation { client_id: self.client_id, mutation_id: self.next, intent };
        self.next += 1;
        mutation
    }
}

pub(crate) async fn push(server: &TestServer, company: CompanyId, token: &str, mutations: &[Mutation]) -> Vec<Outcome> {
    let (status, body) =
        server.post(&format!("/v1/companies/{company}/sync/push"), json!({"mutations": mutations}), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response: PushResponse = serde_json::from_value(body).unwrap();
    response.results.into_iter().map(|r| r.outcome).collect()
}

pub(crate) async fn push_one(server: &TestServer, company: CompanyId, device: &mut Device, intent: Intent) -> Outcome {
    let mutation = device.mutation(intent);
    let token = device.token.clone();
    push(server, company, &token, &[mutation]).await.remove(0)
}

pub(crate) async fn pull_all(server: &TestServer, company: CompanyId, token: &str) -> Vec<comptoir_core::sync::Change> {
    let mut after = 0;
    let mut changes = Vec::new();
    loop {
        let (status, body) =
            server.get(&format!("/v1/companies/{company}/sync/pull?after={after}&limit=50"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page: PullPage = serde_json::from_value(body).unwrap();
        after = page.cursor.seq;
        changes.extend(page.changes);
        if !page.has_more {
            return changes;
        }
    }
}

pub(crate) fn assert_applied(outcome: &Outcome) -> (u64, Option<String>) {
    match outcome {
        Outcome::Applied { seq, number } => (*seq, number.clone()),
        other => panic!("not applied: {other:?}"),
    }
}

pub(crate) fn assert_rejected(outcome: &Outcome, expected: &str) {
    match outcome {
        Outcome::Rejected { code, message } => {
            assert_eq!(code, expected, "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}, expected {expected}"),
    }
}

/// A customer with no e-mail (the audit tests watch it being set).
pub(crate) fn contact(name: &str) -> Contact {
    Contact { email: None, ..comptoir_tests::fixtures::new_contact(name) }
}

pub(crate) fn draft(kind: DocumentKind, customer: &Contact, amount: i64) -> Document {
    let snapshot =
        PartySnapshot { name: customer.name.clone(), address: customer.billing_address.clone(), vat_number: None };
    let mut document =
        Document::draft(kind, customer.id, snapshot, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), Currency::EUR);
    document.lines.push(DocumentLine {
        article_id: None,
        description: "Prestation".into(),
        quantity: Decimal::ONE,
        unit: "h".into(),
        unit_price: Decimal::from(amount),
        discount_percent: Decimal::ZERO,
        vat_rate: VatRate::new(Decimal::from(20)).unwrap(),
        vat_category: None,
        section: false,
    });
    document
}

/// A company with members of every role, signed in.
pub(crate) async fn company_with_roles(
    server: &TestServer,
    name: &str,
) -> (CompanyId, std::collections::HashMap<Role, String>) {
    let storage = server.storage().as_ref();
    let company = admin::create_company(storage, name, "FR").unwrap();
    let mut tokens = std::collections::HashMap::new();
    for role in Role::ALL {
        let email = format!("{}.{}@example.fr", role.as_str(), company.0.simple());
        admin::create_user(storage, &email, PASSWORD, "").unwrap();
        admin::add_member(storage, company, &email, role).unwrap();
        tokens.insert(role, server.signed_in(&email, PASSWORD).await["access_token"].as_str().unwrap().to_owned());
    }
    (company, tokens)
}

#[tokio::test]
async fn documents_are_issued_with_numbers_and_pulled_back() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier Lumière").await;
    let mut device = Device::new(&tokens[&Role::Sales]);
    let customer = contact("Boulangerie Martin");
    assert_applied(&push_one(&server, company, &mut device, Intent::CreateContact { contact: customer.clone() }).await);
    let invoice = draft(DocumentKind::Invoice, &customer, 100);
    assert_applied(&push_one(&server, company, &mut device, Intent::SaveDraft { document: invoice.clone() }).await);
    let (_, number) =
        assert_applied(&push_one(&server, company, &mut device, Intent::IssueDocument { id: invoice.id }).await);
    assert_eq!(number.as_deref(), Some("FA-2026-00001"));

    // The status says where the log stands; a pull from zero brings everything, typed.
    let (status, sync_status) = server.get(&format!("/v1/companies/{company}/sync/status"), Some(&device.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sync_status["offline_grace_hours"], 72);
    let changes = pull_all(&server, company, &device.token).await;
    assert_eq!(changes.last().unwrap().seq, sync_status["seq"].as_u64().unwrap());
    let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in seq order");
    let stored = changes.iter().find(|c| c.id == invoice.id.0).unwrap();
    let Some(RecordBody::Document(record)) = &stored.body else { panic!("{stored:?}") };
    assert_eq!(record.document.status, DocumentStatus::Issued);
    assert_eq!(record.document.number.as_deref(), Some("FA-2026-00001"));
    assert!(changes.iter().any(|c| c.kind == RecordKind::Settings));
    assert_eq!(changes.iter().filter(|c| c.kind == RecordKind::Member).count(), Role::ALL.len());

    // Counts for progress, asked once.
    let (_, first) = server
        .get(&format!("/v1/companies/{company}/sync/pull?after=0&limit=2&counts=true"), Some(&device.token))
        .await;
    let page: PullPage = serde_json::from_value(first).unwrap();
    let remaining: u64 = page.remaining.unwrap().values().sum();
    assert_eq!(remaining + 2, changes.len() as u64);

    // A cursor from another epoch must download again.
    let (status, body) = server
        .get(&format!("/v1/companies/{company}/sync/pull?after=3&epoch={}", Uuid::now_v7()), Some(&device.token))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "stale_epoch"));
    let (status, body) = server.get(&format!("/v1/companies/{company}/sync/pull?after=-1"), Some(&device.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_query"));
}

#[tokio::test]
async fn a_mutation_sent_twice_is_applied_once() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let mut device = Device::new(&tokens[&Role::Sales]);
    let customer = contact("Garage Dubois");
    let create = device.mutation(Intent::CreateContact { contact: customer.clone() });
    let first = push(&server, company, &device.token, std::slice::from_ref(&create)).await;
    let again = push(&server, company, &device.token, &[create.clone(), create]).await;
    assert_eq!(again, vec![first[0].clone(), first[0].clone()], "the same answer each time");
    let contacts =
        pull_all(&server, company, &device.token).await.into_iter().filter(|c| c.kind == RecordKind::Contact).count();
    assert_eq!(contacts, 1);

    // Issuing: re-sending the same mutation returns the same number and takes no new one.
    let invoice = draft(DocumentKind::Invoice, &customer, 50);
    assert_applied(&push_one(&server, company, &mut device, Intent::SaveDraft { document: invoice.clone() }).await);
    let issue = device.mutation(Intent::IssueDocument { id: invoice.id });
    let once = push(&server, company, &device.token, std::slice::from_ref(&issue)).await;
    let twice = push(&server, company, &device.token, &[issue]).await;
    assert_eq!(once, twice);
    let other = draft(DocumentKind::Invoice, &customer, 60);
    assert_applied(&push_one(&server, company, &mut device, Intent::SaveDraft { document: other.clone() }).await);
    let (_, number) =
        assert_applied(&push_one(&server, company, &mut device, Intent::IssueDocument { id: other.id }).await);
    assert_eq!(number.as_deref(), Some("FA-2026-00002"));
    // An older mutation never seen arrives after a newer one: it comes from another copy
    // of the file that took the same numbers. Not applied, not remembered: the copy sends
    // it again under a new client id. So is the batch's next one, to keep its order.
    let late = Mutation {
        client_id: device.client_id,
        mutation_id: 1_000_000,
        intent: Intent::CreateContact { contact: contact("A") },
    };
    let later = Mutation {
        client_id: device.client_id,
        mutation_id: 999_999,
        intent: Intent::CreateContact { contact: contact("B") },
    };
    let after = Mutation {
        client_id: device.client_id,
        mutation_id: 1_000_001,
        intent: Intent::CreateContact { contact: contact("C") },
    };
    let outcomes = push(&server, company, &device.token, &[late.clone(), later.clone(), after]).await;
    assert_applied(&outcomes[0]);
    assert!(matches!(outcomes[1], Outcome::ClientIdTaken { .. }), "{:?}", outcomes[1]);
    assert!(matches!(outcomes[2], Outcome::ClientIdTaken { .. }), "{:?}", outcomes[2]);
    // Another edit under a used key: the same; the very edit again: its first answer.
    let reused = Mutation { intent: Intent::CreateContact { contact: contact("D") }, ..late.clone() };
    let outcomes = push(&server, company, &device.token, &[reused]).await;
    assert!(matches!(outcomes[0], Outcome::ClientIdTaken { .. }), "{:?}", outcomes[0]);
    let first_answer = push(&server, company, &device.token, std::slice::from_ref(&late)).await;
    assert_applied(&first_answer[0]);
    // Under a new client id, the refused ones go through, once.
    let renewed = Uuid::now_v7();
    let resent = push(&server, company, &device.token, &[Mutation { client_id: renewed, ..later }]).await;
    assert_applied(&resent[0]);
    let names: Vec<String> = pull_all(&server, company, &device.token)
        .await
        .into_iter()
        .filter_map(|c| match c.body {
            Some(RecordBody::Contact(contact)) => Some(contact.name),
            _ => None,
        })
        .collect();
    for (name, times) in [("A", 1), ("B", 1), ("C", 0), ("D", 0)] {
        assert_eq!(names.iter().filter(|n| *n == name).count(), times, "{name} in {names:?}");
    }
}

#[tokio::test]
async fn refused_changes_say_why_and_change_nothing() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let (other_company, other_tokens) = company_with_roles(&server, "Autre").await;
    let mut device = Device::new(&tokens[&Role::Owner]);
    let customer = contact("Fleuriste Roux");
    push_one(&server, company, &mut device, Intent::CreateContact { contact: customer.clone() }).await;
    let mut invoice = draft(DocumentKind::Invoice, &customer, 100);
    push_one(&server, company, &mut device, Intent::SaveDraft { document: invoice.clone() }).await;
    push_one(&server, company, &mut device, Intent::IssueDocument { id: invoice.id }).await;
    let seq_before = pull_all(&server, company, &device.token).await.last().unwrap().seq;

    // Editing or re-issuing an issued invoice.
    invoice.lines[0].unit_price = Decimal::ONE;
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::SaveDraft { document: invoice.clone() }).await,
        "document_not_editable",
    );
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::IssueDocument { id: invoice.id }).await,
        "document_not_editable",
    );
    // A payment with more than two decimals.
    let payment = Payment {
        id: PaymentId::new(),
        contact_id: Some(customer.id),
        date: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        amount: Decimal::new(120_001, 3),
        method: PaymentMethod::BankTransfer,
        reference: "VIR".into(),
        allocations: vec![Allocation { document_id: invoice.id, amount: Decimal::new(120_001, 3) }],
    };
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::RecordPayment { payment }).await,
        "amount_too_precise",
    );
    // A credit note for an invoice of another company.
    let mut foreign = Device::new(&other_tokens[&Role::Owner]);
    let foreign_customer = contact("Client ailleurs");
    push_one(&server, other_company, &mut foreign, Intent::CreateContact { contact: foreign_customer.clone() }).await;
    let mut credit = draft(DocumentKind::CreditNote, &foreign_customer, 10);
    credit.corrects = Some(invoice.id);
    // Refused as soon as its draft is saved: a record may only refer to one that exists
    // in its company (and stays: an issued invoice, not a draft).
    assert_rejected(
        &push_one(&server, other_company, &mut foreign, Intent::SaveDraft { document: credit.clone() }).await,
        "credit_note_target_invalid",
    );
    assert_rejected(
        &push_one(&server, other_company, &mut foreign, Intent::IssueDocument { id: credit.id }).await,
        "document_not_found",
    );
    // A credit note larger than its invoice.
    let mut too_much = draft(DocumentKind::CreditNote, &customer, 500);
    too_much.corrects = Some(invoice.id);
    push_one(&server, company, &mut device, Intent::SaveDraft { document: too_much.clone() }).await;
    let seq_mid = pull_all(&server, company, &device.token).await.last().unwrap().seq;
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::IssueDocument { id: too_much.id }).await,
        "credit_note_exceeds_invoice",
    );
    assert!(seq_mid > seq_before, "the credit note's draft was saved");
    assert_eq!(pull_all(&server, company, &device.token).await.last().unwrap().seq, seq_mid, "refusals wrote nothing");
    let (_, next) = assert_applied(
        &push_one(
            &server,
            company,
            &mut device,
            Intent::SaveDraft { document: draft(DocumentKind::Invoice, &customer, 1) },
        )
        .await,
    );
    assert!(next.is_none());

    // Malformed intents never reach the log: a bad UUID, an unknown intent.
    let bad = json!({"mutations": [{"client_id": "not-a-uuid", "mutation_id": 1, "intent": {"type": "create_contact", "contact": customer}}]});
    let (status, body) = server.post(&format!("/v1/companies/{company}/sync/push"), bad, Some(&device.token)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_body"));
    let unknown =
        json!({"mutations": [{"client_id": Uuid::now_v7(), "mutation_id": 1, "intent": {"type": "drop_everything"}}]});
    let (status, _) = server.post(&format!("/v1/companies/{company}/sync/push"), unknown, Some(&device.token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn each_role_may_do_what_it_should() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let (other, _) = company_with_roles(&server, "Autre").await;
    for role in Role::ALL {
        let mut device = Device::new(&tokens[&role]);
        let outcome =
            push_one(&server, company, &mut device, Intent::CreateContact { contact: contact("Client") }).await;
        if role.allows(comptoir_core::model::Permission::EditContacts) {
            assert_applied(&outcome);
        } else {
            assert_rejected(&outcome, "permission_denied");
        }
        // Everyone reads; nobody reads another company.
        let (status, _) = server.get(&format!("/v1/companies/{company}/sync/pull"), Some(&device.token)).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        let (status, body) = server.get(&format!("/v1/companies/{other}/sync/pull"), Some(&device.token)).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "not_a_member"));
        let (status, _) = server
            .post(&format!("/v1/companies/{other}/sync/push"), json!({"mutations": []}), Some(&device.token))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

/// On PostgreSQL the clients go through two instances of the server, alternately.
#[tokio::test]
async fn eight_clients_issuing_200_invoices_get_numbers_1_to_200() {
    let instances = crate::instances(crate::empty_server().0);
    let (company, tokens) = company_with_roles(&instances[0], "Atelier").await;
    let customer = contact("Client commun");
    let mut setup = Device::new(&tokens[&Role::Owner]);
    push_one(&instances[0], company, &mut setup, Intent::CreateContact { contact: customer.clone() }).await;
    let mut clients = Vec::new();
    for client in 0..8 {
        // A session opened on one instance is good on the other.
        let server = std::sync::Arc::clone(&instances[usize::try_from(client).unwrap() % instances.len()]);
        let token = tokens[&Role::Sales].clone();
        let customer = customer.clone();
        clients.push(tokio::spawn(async move {
            let mut device = Device::new(&token);
            let mut numbers = Vec::new();
            for i in 0..25 {
                let invoice = draft(DocumentKind::Invoice, &customer, 10 + client * 100 + i);
                let save = device.mutation(Intent::SaveDraft { document: invoice.clone() });
                let issue = device.mutation(Intent::IssueDocument { id: invoice.id });
                let outcomes = push(&server, company, &token, &[save, issue]).await;
                numbers.push(assert_applied(&outcomes[1]).1.unwrap());
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for client in clients {
        numbers.extend(client.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=200).map(|n| format!("FA-2026-{n:05}")).collect();
    assert_eq!(numbers, expected, "no gap, no duplicate");
}

/// Eight writers push contacts (through both instances on PostgreSQL) while a puller
/// follows the log from its cursor (through the other): whatever it pulls as the writers
/// commit, it never steps over a change. Its pages, put together, hold every seq from
/// where it started to the end, each once, and every contact written.
#[tokio::test]
async fn a_puller_following_eight_writers_never_skips_a_change() {
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let instances = crate::instances(crate::empty_server().0);
    let (company, tokens) = company_with_roles(&instances[0], "Atelier").await;
    let start = instances[0].storage().log_state(company).unwrap().unwrap().seq;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let puller = {
        let server = std::sync::Arc::clone(instances.last().unwrap());
        let (token, done) = (tokens[&Role::ReadOnly].clone(), std::sync::Arc::clone(&done));
        tokio::spawn(async move {
            let (mut after, mut seen) = (start, Vec::new());
            loop {
                // Read before the page: a page that comes back empty after the writers
                // ended is the true end.
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let path = format!("/v1/companies/{company}/sync/pull?after={after}&limit=7");
                let (status, body) = server.get(&path, Some(&token)).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                let page: PullPage = serde_json::from_value(body).unwrap();
                seen.extend(page.changes.iter().map(|c| (c.seq, c.kind, c.id)));
                after = page.cursor.seq;
                if finished && !page.has_more {
                    return seen;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let server = std::sync::Arc::clone(&instances[writer % instances.len()]);
        let token = tokens[&Role::Sales].clone();
        writers.push(tokio::spawn(async move {
            let mut device = Device::new(&token);
            let mut written = Vec::new();
            for i in 0..EACH {
                let customer = contact(&format!("Client {writer}-{i}"));
                assert_applied(
                    &push_one(&server, company, &mut device, Intent::CreateContact { contact: customer.clone() }).await,
                );
                written.push(customer.id.0);
            }
            written
        }));
    }
    let mut written = Vec::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = puller.await.unwrap();
    let end = instances[0].storage().log_state(company).unwrap().unwrap().seq;
    let seqs: Vec<u64> = seen.iter().map(|(seq, _, _)| *seq).collect();
    assert_eq!(seqs, ((start + 1)..=end).collect::<Vec<_>>(), "every seq once, in order");
    let contacts: std::collections::BTreeSet<Uuid> =
        seen.iter().filter(|(_, kind, _)| *kind == RecordKind::Contact).map(|(_, _, id)| *id).collect();
    assert_eq!(contacts, written.into_iter().collect(), "every contact written");
}

#[tokio::test]
async fn the_audit_chain_records_every_change_and_verifies() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let mut device = Device::new(&tokens[&Role::Admin]);
    let mut customer = contact("Traiteur Moreau");
    push_one(&server, company, &mut device, Intent::CreateContact { contact: customer.clone() }).await;
    customer.email = Some("contact@moreau.fr".into());
    push_one(&server, company, &mut device, Intent::UpdateContact { contact: customer.clone() }).await;
    let changes = pull_all(&server, company, &device.token).await;
    let trail: Vec<_> = changes
        .into_iter()
        .filter_map(|c| match c.body {
            Some(RecordBody::Audit(record)) => Some(record),
            _ => None,
        })
        .collect();
    // Company created, a member added and signed in per role, the contact created and changed.
    assert_eq!(trail.len(), 1 + 2 * Role::ALL.len() + 2);
    assert_eq!(verify_chain(&trail), Ok(trail.len() as u64));
    let update = trail.last().unwrap();
    assert_eq!(update.action, "update");
    assert_eq!(update.entity, "contact");
    assert!(update.user_email.starts_with("admin."));
    let change = update.changes.iter().find(|c| c.field == "email").unwrap();
    // A field that was null reads as absent.
    assert_eq!((change.before.as_deref(), change.after.as_deref()), (None, Some("contact@moreau.fr")));
    // A creation lists the fields it set, one by one, and not those it left empty.
    let create = &trail[trail.len() - 2];
    assert_eq!(create.action, "create");
    let name = create.changes.iter().find(|c| c.field == "name").unwrap();
    assert_eq!((name.before.as_deref(), name.after.as_deref()), (None, Some(customer.name.as_str())));
    assert!(create.changes.iter().any(|c| c.field == "billing_address.city"));
    assert!(create.changes.iter().all(|c| c.field != "email" && c.after.is_some()));
}

#[tokio::test]
async fn the_status_publishes_the_audit_key_and_the_last_page_carries_the_signed_head() {
    use comptoir_core::audit::{SignedAuditHead, verify_trail};
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let mut device = Device::new(&tokens[&Role::Admin]);
    for name in ["Traiteur Moreau", "Boulangerie Martin", "Fromagerie Petit"] {
        assert_applied(
            &push_one(&server, company, &mut device, Intent::CreateContact { contact: contact(name) }).await,
        );
    }
    let (status, sync_status) = server.get(&format!("/v1/companies/{company}/sync/status"), Some(&device.token)).await;
    assert_eq!(status, StatusCode::OK);
    let key = sync_status["audit_key"].as_str().unwrap().to_owned();
    assert_eq!(key, server.audit_key(), "the key of the server's signer");

    // Pages of 10: only the last one carries the head.
    let (mut after, mut trail) = (0, Vec::new());
    let head = loop {
        let (status, body) =
            server.get(&format!("/v1/companies/{company}/sync/pull?after={after}&limit=10"), Some(&device.token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page: PullPage = serde_json::from_value(body).unwrap();
        assert_eq!(page.audit_head.is_some(), !page.has_more, "a head on the last page only");
        after = page.cursor.seq;
        trail.extend(page.changes.into_iter().filter_map(|c| match c.body {
            Some(RecordBody::Audit(record)) => Some(record),
            _ => None,
        }));
        if !page.has_more {
            break page.audit_head.unwrap();
        }
    };
    let last = trail.last().unwrap();
    assert_eq!((head.company_id, head.seq, head.hash.as_str()), (company, last.seq, last.hash.as_str()));
    assert_eq!(head.key, key);
    assert!(head.signed_by(&key), "the head verifies with the published key");
    let report = verify_trail(&trail, Some(&head), Some(&key), company).unwrap();
    assert_eq!((report.records, report.unsigned), (last.seq, 0));
    // Changed in any part, it does not.
    assert!(
        !SignedAuditHead { seq: head.seq - 1, hash: trail[trail.len() - 2].hash.clone(), ..head.clone() }
            .signed_by(&key)
    );

    // Up to date, the empty page still brings the current head; after another change, the
    // head moves to its record.
    let (_, body) = server.get(&format!("/v1/companies/{company}/sync/pull?after={after}"), Some(&device.token)).await;
    let page: PullPage = serde_json::from_value(body).unwrap();
    assert!(page.changes.is_empty());
    assert_eq!(page.audit_head.as_ref().map(|h| h.seq), Some(head.seq));
    assert_applied(
        &push_one(&server, company, &mut device, Intent::CreateContact { contact: contact("Cave Roux") }).await,
    );
    let (_, body) = server.get(&format!("/v1/companies/{company}/sync/pull?after={after}"), Some(&device.token)).await;
    let page: PullPage = serde_json::from_value(body).unwrap();
    let next = page.audit_head.unwrap();
    assert_eq!(next.seq, head.seq + 1);
    assert!(next.signed_by(&key) && next.signed_at >= head.signed_at);
}

#[tokio::test]
async fn sign_ins_and_failed_sign_ins_are_in_the_trail() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let email = format!("sales.{}@example.fr", company.0.simple());
    let (status, _) = server.login(&email, "pas le bon mot de passe").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.signed_in(&email, PASSWORD).await;
    let trail: Vec<_> = pull_all(&server, company, &tokens[&Role::Owner])
        .await
        .into_iter()
        .filter_map(|c| match c.body {
            Some(RecordBody::Audit(record)) => Some(record),
            _ => None,
        })
        .collect();
    assert_eq!(verify_chain(&trail), Ok(trail.len() as u64));
    let actions: Vec<_> = trail.iter().filter(|r| r.user_email == email).map(|r| r.action.as_str()).collect();
    // Signed in once by the set-up, then the failure, then the success.
    assert_eq!(actions, ["sign_in", "sign_in_failed", "sign_in"]);
}

#[tokio::test]
async fn numbering_continues_from_a_settable_number_and_never_goes_back() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let mut owner = Device::new(&tokens[&Role::Owner]);
    let mut sales = Device::new(&tokens[&Role::Sales]);
    let mut series = comptoir_core::model::NumberingSeries::default_for(DocumentKind::Invoice);
    series.set_next_number(116).unwrap();
    assert_rejected(
        &push_one(&server, company, &mut sales, Intent::SetNumbering { series: series.clone() }).await,
        "permission_denied",
    );
    assert_applied(&push_one(&server, company, &mut owner, Intent::SetNumbering { series: series.clone() }).await);
    let customer = contact("Client");
    push_one(&server, company, &mut sales, Intent::CreateContact { contact: customer.clone() }).await;
    let invoice = draft(DocumentKind::Invoice, &customer, 10);
    push_one(&server, company, &mut sales, Intent::SaveDraft { document: invoice.clone() }).await;
    let (_, number) =
        assert_applied(&push_one(&server, company, &mut sales, Intent::IssueDocument { id: invoice.id }).await);
    assert_eq!(number.as_deref(), Some("FA-2026-00116"));
    // Going back would duplicate 116, even from a client that believes nothing was issued.
    let mut back = comptoir_core::model::NumberingSeries::default_for(DocumentKind::Invoice);
    back.set_next_number(100).unwrap();
    assert_rejected(
        &push_one(&server, company, &mut owner, Intent::SetNumbering { series: back }).await,
        "next_number_not_after_last_issued",
    );
}

#[tokio::test]
async fn unknown_fields_inside_records_are_refused() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let mut record = serde_json::to_value(contact("Client")).unwrap();
    record["discount_for_friends"] = json!(50);
    let body = json!({"mutations": [{"client_id": Uuid::now_v7(), "mutation_id": 1, "intent": {"type": "create_contact", "contact": record}}]});
    let (status, answer) =
        server.post(&format!("/v1/companies/{company}/sync/push"), body, Some(&tokens[&Role::Owner])).await;
    assert_eq!((status, code(&answer)), (StatusCode::BAD_REQUEST, "invalid_body"));
    assert!(answer["error"]["message"].as_str().unwrap().contains("discount_for_friends"), "{answer}");
}

/// The company's settings as the server last logged them.
async fn settings_of(server: &TestServer, company: CompanyId, token: &str) -> comptoir_core::sync::Settings {
    pull_all(server, company, token)
        .await
        .into_iter()
        .filter_map(|change| match change.body {
            Some(RecordBody::Settings(settings)) => Some(*settings),
            _ => None,
        })
        .next_back()
        .unwrap()
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A PNG header and end of `width` × `height`, `padding` bytes between them.
fn png(width: u32, height: u32, padding: usize) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13];
    bytes.extend(b"IHDR");
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0]);
    bytes.extend(std::iter::repeat_n(0, padding));
    bytes.extend([0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
    bytes
}

#[tokio::test]
async fn hostile_company_settings_are_refused_with_a_code_and_change_nothing() {
    use comptoir_core::model::Logo;
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let mut device = Device::new(&tokens[&Role::Owner]);
    let created = settings_of(&server, company, &device.token).await;
    // A company created on the server has a name and a country, and is asked for the rest.
    assert_eq!(
        created.company.missing_for_invoices(),
        ["address", "national_id", "vat_number", "legal_form", "late_penalty_rate"]
    );
    let seq_before = pull_all(&server, company, &device.token).await.last().unwrap().seq;
    let mut filled = created.company.clone();
    filled.address = Address {
        street: "8 rue Pasteur".into(),
        street2: String::new(),
        postcode: "69007".into(),
        city: "Lyon".into(),
        country: Country::France,
    };

    // A capital beyond any amount, a penalty rate over 100 %, a form 10 000 characters long.
    let mut huge = filled.clone();
    huge.share_capital = Some(Decimal::MAX);
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::UpdateCompany { company: huge }).await,
        "amount_out_of_range",
    );
    let mut usury = filled.clone();
    usury.late_penalty_rate = Some(Decimal::new(10_001, 2));
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::UpdateCompany { company: usury }).await,
        "penalty_rate_invalid",
    );
    let mut long = filled.clone();
    long.legal_form = "S".repeat(10_000);
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::UpdateCompany { company: long }).await,
        "field_too_long",
    );
    // Logos: over 256 KiB, larger than 400 × 200, not a PNG; 10 MB never gets past the door.
    for (bytes, expected) in [
        (png(100, 50, Logo::MAX_BYTES), "logo_too_large"),
        (png(4000, 50, 10), "logo_dimensions"),
        (b"<svg onload=alert(1)>".to_vec(), "logo_invalid"),
    ] {
        // What a hostile client sends: base64 of anything (only `validate` would refuse it).
        let logo: Logo = serde_json::from_value(json!(base64_of(&bytes))).unwrap();
        assert_rejected(&push_one(&server, company, &mut device, Intent::SetLogo { logo: Some(logo) }).await, expected);
    }
    let ten_mb = base64_of(&png(100, 50, 10 * 1024 * 1024));
    let body = json!({"mutations": [{"client_id": Uuid::now_v7(), "mutation_id": 1,
        "intent": {"type": "set_logo", "logo": ten_mb}}]});
    let (status, answer) = server.post(&format!("/v1/companies/{company}/sync/push"), body, Some(&device.token)).await;
    assert_eq!((status, code(&answer)), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
    // An IBAN whose check digits are wrong is not an IBAN: the request is malformed.
    let mut bad_iban = serde_json::to_value(&filled).unwrap();
    bad_iban["iban"] = json!("FR7630006000011234567890188");
    let body = json!({"mutations": [{"client_id": Uuid::now_v7(), "mutation_id": 1,
        "intent": {"type": "update_company", "company": bad_iban}}]});
    let (status, answer) = server.post(&format!("/v1/companies/{company}/sync/push"), body, Some(&device.token)).await;
    assert_eq!((status, code(&answer)), (StatusCode::BAD_REQUEST, "invalid_body"));
    assert!(answer["error"]["message"].as_str().unwrap().contains("IBAN"), "{answer}");
    // A salesperson may not change the company at all.
    let mut sales = Device::new(&tokens[&Role::Sales]);
    assert_rejected(
        &push_one(&server, company, &mut sales, Intent::UpdateCompany { company: filled.clone() }).await,
        "permission_denied",
    );
    assert_rejected(&push_one(&server, company, &mut sales, Intent::SetLogo { logo: None }).await, "permission_denied");
    assert_eq!(
        pull_all(&server, company, &device.token).await.last().unwrap().seq,
        seq_before,
        "refusals wrote nothing"
    );

    // The owner's real settings are kept as sent, the logo beside them.
    filled.legal_form = "SARL".into();
    filled.share_capital = Some(Decimal::new(10_000, 0));
    filled.register_city = "Lyon".into();
    filled.late_penalty_rate = Some(Decimal::new(1015, 2));
    assert_applied(&push_one(&server, company, &mut device, Intent::UpdateCompany { company: filled.clone() }).await);
    let logo = Logo::from_png(png(400, 200, 1000)).unwrap();
    assert_applied(&push_one(&server, company, &mut device, Intent::SetLogo { logo: Some(logo.clone()) }).await);
    let kept = settings_of(&server, company, &device.token).await;
    assert_eq!((kept.company, kept.logo), (filled, Some(logo)));
}

#[tokio::test]
async fn contacts_and_articles_are_deleted_only_when_nothing_refers_to_them() {
    use comptoir_core::model::{Article, ArticleId};
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Références").await;
    let mut owner = Device::new(&tokens[&Role::Owner]);
    let customer = contact("Client avec factures");
    let payer = contact("Client qui a payé");
    let lonely = contact("Doublon saisi par erreur");
    for c in [&customer, &payer, &lonely] {
        assert_applied(&push_one(&server, company, &mut owner, Intent::CreateContact { contact: c.clone() }).await);
    }
    let article = Article {
        id: ArticleId::new(),
        code: "CONSEIL".into(),
        name: "Conseil".into(),
        unit: "h".into(),
        unit_price: Decimal::from(90),
        vat_rate: VatRate::new(Decimal::from(20)).unwrap(),
        archived: false,
    };
    let unused =
        Article { id: ArticleId::new(), code: "VIEUX".into(), name: "Ancien article".into(), ..article.clone() };
    for a in [&article, &unused] {
        assert_applied(&push_one(&server, company, &mut owner, Intent::CreateArticle { article: a.clone() }).await);
    }
    // A draft of `customer` with a line of `article`; a payment of `payer`.
    let mut with_article = draft(DocumentKind::Invoice, &customer, 90);
    with_article.lines[0].article_id = Some(article.id);
    assert_applied(&push_one(&server, company, &mut owner, Intent::SaveDraft { document: with_article.clone() }).await);
    let payment = Payment {
        id: PaymentId::new(),
        contact_id: Some(payer.id),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        amount: Decimal::from(10),
        method: PaymentMethod::BankTransfer,
        reference: String::new(),
        allocations: Vec::new(),
    };
    assert_applied(&push_one(&server, company, &mut owner, Intent::RecordPayment { payment }).await);

    let seq_before = pull_all(&server, company, &owner.token).await.last().unwrap().seq;
    let reader = &mut Device::new(&tokens[&Role::ReadOnly]);
    for (intent, expected) in [
        (Intent::DeleteContact { id: customer.id }, "contact_in_use"),
        (Intent::DeleteContact { id: payer.id }, "contact_in_use"),
        (Intent::DeleteArticle { id: article.id }, "article_in_use"),
        (Intent::DeleteContact { id: ContactId::new() }, "not_found"),
        (Intent::DeleteArticle { id: ArticleId::new() }, "not_found"),
    ] {
        assert_rejected(&push_one(&server, company, &mut owner, intent).await, expected);
    }
    assert_rejected(
        &push_one(&server, company, reader, Intent::DeleteContact { id: lonely.id }).await,
        "permission_denied",
    );
    assert_eq!(
        pull_all(&server, company, &owner.token).await.last().unwrap().seq,
        seq_before,
        "refusals wrote nothing"
    );

    // What nothing refers to goes, and its article code is free again.
    assert_applied(&push_one(&server, company, &mut owner, Intent::DeleteContact { id: lonely.id }).await);
    assert_applied(&push_one(&server, company, &mut owner, Intent::DeleteArticle { id: unused.id }).await);
    let reuse = Article { id: ArticleId::new(), ..unused.clone() };
    assert_applied(&push_one(&server, company, &mut owner, Intent::CreateArticle { article: reuse }).await);
    // The line that named the article is removed from the draft: the article is free.
    let mut without = with_article.clone();
    without.lines[0].article_id = None;
    assert_applied(&push_one(&server, company, &mut owner, Intent::SaveDraft { document: without }).await);
    assert_applied(&push_one(&server, company, &mut owner, Intent::DeleteArticle { id: article.id }).await);
    // The draft is deleted: its customer is free.
    assert_applied(&push_one(&server, company, &mut owner, Intent::DeleteDraft { id: with_article.id }).await);
    assert_applied(&push_one(&server, company, &mut owner, Intent::DeleteContact { id: customer.id }).await);
    // A pull says they are gone.
    let changes = pull_all(&server, company, &owner.token).await;
    for id in [lonely.id.0, customer.id.0, article.id.0, unused.id.0] {
        let last = changes.iter().rfind(|c| c.id == id).unwrap();
        assert!(last.body.is_none(), "{id} deleted");
    }
}
