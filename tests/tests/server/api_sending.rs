//! A document sent by e-mail, recorded for the audit trail ([`Intent::RecordSending`]):
//! the trail names the document, who sent it, to whom and when; hostile notes (no or too
//! many recipients, a broken address or Message-ID, too many or bad file names, a draft,
//! another company's document, a role that may not issue) are refused with a stable code
//! and write nothing.

use chrono::{TimeZone as _, Utc};
use comptoir_core::model::{DocumentKind, Role};
use comptoir_core::sync::{Intent, RecordBody, SendingNote};
use serde_json::json;

use super::api_sync::{
    Device, assert_applied, assert_rejected, company_with_roles, contact, draft, pull_all, push_one,
};

type Spoil = fn(&mut SendingNote);

fn note(document: comptoir_core::model::DocumentId) -> SendingNote {
    SendingNote {
        document,
        to: vec!["client@exemple.fr".into()],
        cc: vec!["compta@exemple.fr".into()],
        at: Utc.with_ymd_and_hms(2026, 11, 30, 14, 2, 0).unwrap(),
        message_id: "<0193a1b2c3d4@atelier.fr>".into(),
        files: vec!["FA-2026-00001.pdf".into(), "FA-2026-00001.xml".into()],
    }
}

#[tokio::test]
async fn a_sending_is_in_the_documents_trail_and_hostile_ones_are_refused() {
    let (server, _) = crate::empty_server();
    let (company, tokens) = company_with_roles(&server, "Atelier").await;
    let (other_company, other_tokens) = company_with_roles(&server, "Autre").await;
    let mut device = Device::new(&tokens[&Role::Sales]);
    let customer = contact("Fleuriste Roux");
    push_one(&server, company, &mut device, Intent::CreateContact { contact: customer.clone() }).await;
    let invoice = draft(DocumentKind::Invoice, &customer, 100);
    push_one(&server, company, &mut device, Intent::SaveDraft { document: invoice.clone() }).await;
    let unissued = draft(DocumentKind::Invoice, &customer, 5);
    push_one(&server, company, &mut device, Intent::SaveDraft { document: unissued.clone() }).await;
    assert_applied(&push_one(&server, company, &mut device, Intent::IssueDocument { id: invoice.id }).await);
    let seq_before = pull_all(&server, company, &device.token).await.last().unwrap().seq;

    // Hostile notes: each refused with its code.
    let long = format!("{}@exemple.fr", "a".repeat(250));
    let cases: [(Spoil, &str); 10] = [
        (|n| n.to.clear(), "sending_recipients_invalid"),
        (|n| n.cc = vec!["x@exemple.fr".into(); SendingNote::MAX_RECIPIENTS], "sending_recipients_invalid"),
        (|n| n.to = vec!["client@exemple.fr\r\nBcc: victime@exemple.org".into()], "sending_recipients_invalid"),
        (|n| n.cc = vec!["pas une adresse".into()], "sending_recipients_invalid"),
        (|n| n.message_id = "sans chevrons".into(), "sending_message_id_invalid"),
        (|n| n.message_id = format!("<{}@a.fr>", "x".repeat(300)), "sending_message_id_invalid"),
        (|n| n.message_id = "<a b@c.fr>".into(), "sending_message_id_invalid"),
        (|n| n.files = vec!["f.pdf".into(); SendingNote::MAX_FILES + 1], "sending_files_invalid"),
        (|n| n.files = vec!["../../etc/passwd".into()], "sending_files_invalid"),
        (|n| n.files = vec![String::new()], "sending_files_invalid"),
    ];
    for (spoil, code) in cases {
        let mut bad = note(invoice.id);
        spoil(&mut bad);
        assert_rejected(&push_one(&server, company, &mut device, Intent::RecordSending { sending: bad }).await, code);
    }
    let mut too_long = note(invoice.id);
    too_long.to = vec![long];
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::RecordSending { sending: too_long }).await,
        "sending_recipients_invalid",
    );
    // A draft is not sent; a document that does not exist, or another company's, is not found.
    assert_rejected(
        &push_one(&server, company, &mut device, Intent::RecordSending { sending: note(unissued.id) }).await,
        "document_not_issued",
    );
    let mut foreign = Device::new(&other_tokens[&Role::Owner]);
    assert_rejected(
        &push_one(&server, other_company, &mut foreign, Intent::RecordSending { sending: note(invoice.id) }).await,
        "document_not_found",
    );
    // A role that may not issue documents may not record a sending.
    let mut reader = Device::new(&tokens[&Role::ReadOnly]);
    let refused = push_one(&server, company, &mut reader, Intent::RecordSending { sending: note(invoice.id) }).await;
    assert!(matches!(&refused, comptoir_core::sync::Outcome::Rejected { .. }), "{refused:?}");
    // An unknown field in the note never reaches the rules.
    let (status, _) = server
        .post(
            &format!("/v1/companies/{company}/sync/push"),
            json!({"mutations": [{"client_id": uuid::Uuid::now_v7(), "mutation_id": 1, "intent": {
                "type": "record_sending", "sending": {"document": invoice.id, "to": ["a@b.fr"], "cc": [],
                "at": "2026-11-30T14:02:00Z", "message_id": "<a@b.fr>", "files": [], "bcc": ["x@y.fr"]}}}]}),
            Some(&device.token),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(
        pull_all(&server, company, &device.token).await.last().unwrap().seq,
        seq_before,
        "refusals wrote nothing"
    );

    // A good one: the trail names the invoice, the sender, the recipients and the time.
    assert_applied(&push_one(&server, company, &mut device, Intent::RecordSending { sending: note(invoice.id) }).await);
    let record = pull_all(&server, company, &device.token)
        .await
        .into_iter()
        .filter_map(|c| match c.body {
            Some(RecordBody::Audit(record)) => Some(record),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert_eq!((record.action.as_str(), record.entity.as_str()), ("send_mail", "invoice"));
    assert_eq!(record.entity_id, Some(invoice.id.0));
    assert!(record.user_email.starts_with("sales."), "{}", record.user_email);
    let field = |name: &str| record.changes.iter().find(|c| c.field == name).and_then(|c| c.after.clone());
    assert_eq!(field("sent_to").as_deref(), Some("client@exemple.fr"));
    assert_eq!(field("cc").as_deref(), Some("compta@exemple.fr"));
    assert_eq!(field("sent_at").as_deref(), Some("2026-11-30T14:02:00+00:00"));
    assert_eq!(field("message_id").as_deref(), Some("<0193a1b2c3d4@atelier.fr>"));
    assert_eq!(field("files").as_deref(), Some("FA-2026-00001.pdf, FA-2026-00001.xml"));
}
