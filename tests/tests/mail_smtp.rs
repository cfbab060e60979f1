//! Documents sent by e-mail through a real SMTP server: the harness's [`SmtpSink`]
//! (`scripts/smtp_sink.py`, aiosmtpd) started on 127.0.0.1 by each test as its own
//! process, writing every message it receives to a folder with what Python's `email`
//! package reads in it.
//!
//! - A message queued with two attachments (a PDF-like file holding every byte value, and
//!   an XML file) leaves through the outbox's pass, signed in with the password from the
//!   credentials store, and is read back whole: subject, recipients, body, attachments
//!   byte-identical, the Message-ID recorded when it was queued.
//! - With the SMTP server down, the message waits (attempt counted, error kept) and
//!   leaves once, at the first pass after the server is up.
//! - A sending process killed (SIGKILL) after the server took the message but before it
//!   heard the "250" and marked it sent: the next pass sends it again, with the same
//!   Message-ID (at least once, recognisably), and only once more.
//! - A refused recipient fails for good; a wrong password leaves the message waiting.
//! - A message that carried an issued document is recorded for the audit trail
//!   (`Intent::RecordSending`, queued for the server) in the commit that marks it sent.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test: a panic is the failure report")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use comptoir_core::demo::demo_company;
use comptoir_core::engine::credentials::FileCredentials;
use comptoir_core::mail::{
    Attachment, MailTemplate, OutgoingMail, Security, SmtpSender, SmtpSettings, TemplateValues, load_password,
    new_message_id, save_password, send_pass,
};
use comptoir_core::model::{Country, DocumentLanguage};
use comptoir_core::store::{CompanyStore, MailState};
use comptoir_tests::smtp::SmtpSink;
use uuid::Uuid;

fn settings(port: u16, username: Option<&str>) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: username.map(str::to_owned),
        sender_address: "factures@atelier-lumiere.fr".into(),
        sender_name: "Atelier Lumière".into(),
        reply_to: Some("compta@atelier-lumiere.fr".into()),
    }
}

fn new_store(dir: &Path) -> (CompanyStore, PathBuf) {
    let path = dir.join("company.comptoir");
    (CompanyStore::create(&path, &demo_company(7, &Country::France)).unwrap(), path)
}

/// An invoice's e-mail from the French template, with a PDF-like file (every byte value,
/// 300 KB) and its XML.
fn invoice_mail(to: &str) -> OutgoingMail {
    let values = TemplateValues {
        number: "F-2026-0042".into(),
        client: "Café du Nord".into(),
        amount: "1 234,50 €".into(),
        due_date: "31/12/2026".into(),
        company: "Atelier Lumière".into(),
    };
    let (subject, body) = MailTemplate::built_in(DocumentLanguage::French).render(&values).unwrap();
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    pdf.extend((0..300_000_u32).map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24).unwrap()));
    pdf.extend(0..=255_u8);
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossIndustryInvoice>Café à 5,5 %</rsm:CrossIndustryInvoice>\n";
    OutgoingMail {
        to: vec![to.into()],
        cc: vec!["comptabilite@cafedunord.fr".into()],
        subject,
        body,
        attachments: vec![
            Attachment { name: "F-2026-0042.pdf".into(), mime: "application/pdf".into(), bytes: pdf },
            Attachment { name: "factur-x.xml".into(), mime: "application/xml".into(), bytes: xml.as_bytes().to_vec() },
        ],
    }
}

fn decoded(attachment: &serde_json::Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(attachment["base64"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn an_invoice_with_two_attachments_arrives_whole() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&dir.path().join("received"), 0, Some(("factures", "s3cret pass"))).unwrap();
    let (mut store, _) = new_store(dir.path());
    let settings = settings(sink.port, Some("factures"));
    store.save_mail_settings(&settings).unwrap();
    let credentials = FileCredentials::new(&dir.path().join("credentials.json"));
    save_password(&credentials, store.company_id(), "s3cret pass").unwrap();

    let mail = invoice_mail("contact@cafedunord.fr");
    let message_id = new_message_id(&settings);
    let id = store.queue_mail(&mail, &message_id, Some(Uuid::now_v7()), Utc::now()).unwrap();

    let settings = store.mail_settings().unwrap().unwrap();
    let password = load_password(&credentials, store.company_id()).unwrap();
    let sender = SmtpSender::new(&settings, password.as_deref()).unwrap();
    let pass = send_pass(&mut store, &settings, &sender, Utc::now()).await.unwrap();
    assert_eq!(pass.sent, vec![id], "{pass:?}");
    let queued = store.queued_mail(id).unwrap();
    assert!(matches!(queued.state, MailState::Sent { .. }), "{:?}", queued.state);
    assert_eq!(queued.attempts, 1);

    let received = sink.wait_for(1);
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got["authenticated"], true, "signed in with the keychain's password");
    assert_eq!(got["login"], "factures");
    assert_eq!(got["mail_from"], "factures@atelier-lumiere.fr");
    assert_eq!(got["rcpt_tos"], serde_json::json!(["contact@cafedunord.fr", "comptabilite@cafedunord.fr"]));
    assert_eq!(got["to"], "contact@cafedunord.fr");
    assert_eq!(got["cc"], "comptabilite@cafedunord.fr");
    assert_eq!(got["reply_to"], "compta@atelier-lumiere.fr");
    assert_eq!(got["from"], "Atelier Lumière <factures@atelier-lumiere.fr>");
    assert_eq!(got["message_id"], message_id.as_str(), "the Message-ID recorded when queued");
    assert_eq!(got["subject"], mail.subject.as_str());
    assert_eq!(got["subject"], "Facture F-2026-0042 — Atelier Lumière");
    let body = got["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(body.trim_end(), mail.body.trim_end());
    assert!(body.contains("Café du Nord") && body.contains("1 234,50 €"), "{body}");
    let attachments = got["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    for (got, sent) in attachments.iter().zip(&mail.attachments) {
        assert_eq!(got["name"], sent.name.as_str());
        assert_eq!(got["mime"], sent.mime.as_str());
        assert!(decoded(got) == sent.bytes, "{} is not byte-identical", sent.name);
    }

    // A later pass sends nothing again.
    let again = send_pass(&mut store, &settings, &sender, Utc::now() + chrono::Duration::days(1)).await.unwrap();
    assert!(again.sent.is_empty() && again.resent.is_empty(), "{again:?}");
    assert_eq!(sink.wait_at_most(2, Duration::from_millis(300)).len(), 1, "no duplicate");
}

#[tokio::test]
async fn offline_the_message_waits_and_leaves_once_when_the_server_is_up() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on, for now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (mut store, _) = new_store(dir.path());
    let settings = settings(port, None);
    let sender = SmtpSender::new(&settings, None).unwrap();
    let mail = invoice_mail("contact@cafedunord.fr");
    let message_id = new_message_id(&settings);
    let queued_at = Utc::now();
    let id = store.queue_mail(&mail, &message_id, None, queued_at).unwrap();
    let other = store.queue_mail(&mail, &new_message_id(&settings), None, queued_at).unwrap();

    let pass = send_pass(&mut store, &settings, &sender, queued_at).await.unwrap();
    assert!(pass.sent.is_empty());
    assert_eq!(pass.waiting.len(), 1, "the pass stops at the first unreachable server: {pass:?}");
    assert_eq!(pass.waiting[0].1.code(), "smtp_unreachable");
    let waiting = store.queued_mail(id).unwrap();
    assert_eq!((waiting.state.clone(), waiting.attempts), (MailState::Waiting, 1));
    assert_eq!(waiting.last_error_code.as_deref(), Some("smtp_unreachable"));
    assert!(waiting.last_error.as_deref().unwrap().contains(&format!("127.0.0.1:{port}")), "{waiting:?}");
    assert_eq!(store.queued_mail(other).unwrap().attempts, 0, "not tried: the server was down");

    let sink = SmtpSink::start(&dir.path().join("received"), port, None).unwrap();
    // Not due yet (the retry waits a minute): the other one goes.
    let pass = send_pass(&mut store, &settings, &sender, queued_at).await.unwrap();
    assert_eq!(pass.sent, vec![other]);
    let later = queued_at + chrono::Duration::minutes(2);
    let pass = send_pass(&mut store, &settings, &sender, later).await.unwrap();
    assert_eq!(pass.sent, vec![id], "{pass:?}");
    let sent = store.queued_mail(id).unwrap();
    assert!(matches!(sent.state, MailState::Sent { .. }));
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.last_error_code.as_deref(), Some("smtp_unreachable"), "the last error is kept");
    let pass = send_pass(&mut store, &settings, &sender, later + chrono::Duration::hours(1)).await.unwrap();
    assert!(pass.sent.is_empty(), "{pass:?}");

    let received = sink.wait_at_most(3, Duration::from_millis(300));
    assert_eq!(received.len(), 2, "each message once");
    assert!(received.iter().any(|m| m["message_id"] == message_id.as_str()));
}

/// Set in the child process of the crash test: the company file to send from, and the port.
const CHILD_MODE: &str = "COMPTOIR_MAIL_CRASH_CHILD";

#[tokio::test]
async fn a_sender_killed_between_sent_and_marked_sends_again_with_the_same_id() {
    if let Ok(child) = std::env::var(CHILD_MODE) {
        // The child: one sending pass, killed by the parent while the server holds its "250".
        let (path, port) = child.rsplit_once(':').unwrap();
        let mut store = CompanyStore::open(Path::new(path)).unwrap();
        let settings = settings(port.parse().unwrap(), None);
        let sender = SmtpSender::new(&settings, None).unwrap();
        send_pass(&mut store, &settings, &sender, Utc::now()).await.unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The server writes the message, then holds its "250" for 20 s.
    let holding = SmtpSink::start_with(&dir.path().join("first"), 0, None, &["--hold-reply", "20"]).unwrap();
    let (mut store, path) = new_store(dir.path());
    let mail = invoice_mail("contact@cafedunord.fr");
    let message_id = new_message_id(&settings(holding.port, None));
    let id = store.queue_mail(&mail, &message_id, None, Utc::now()).unwrap();
    drop(store);

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["a_sender_killed_between_sent_and_marked_sends_again_with_the_same_id", "--exact", "--nocapture"])
        .env(CHILD_MODE, format!("{}:{}", path.display(), holding.port))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let first = holding.wait_for(1);
    assert_eq!(first.len(), 1, "the server has the message");
    child.kill().unwrap(); // SIGKILL: the process never hears the "250"
    assert!(!child.wait().unwrap().success());
    drop(holding);

    let mut store = CompanyStore::open(&path).unwrap();
    let interrupted = store.queued_mail(id).unwrap();
    assert_eq!((interrupted.state, interrupted.attempts), (MailState::Sending, 1), "counted before sending");
    let sink = SmtpSink::start(&dir.path().join("second"), 0, None).unwrap();
    let settings = settings(sink.port, None);
    let sender = SmtpSender::new(&settings, None).unwrap();
    let pass = send_pass(&mut store, &settings, &sender, Utc::now()).await.unwrap();
    assert_eq!((pass.sent.clone(), pass.resent.clone()), (vec![id], vec![id]), "{pass:?}");
    let second = sink.wait_for(1);
    assert_eq!(second.len(), 1);
    assert_eq!(first[0]["message_id"], message_id.as_str());
    assert_eq!(second[0]["message_id"], message_id.as_str(), "at least once: the copy carries the same Message-ID");
    let sent = store.queued_mail(id).unwrap();
    assert!(matches!(sent.state, MailState::Sent { .. }));
    assert_eq!(sent.attempts, 2);
    let again = send_pass(&mut store, &settings, &sender, Utc::now() + chrono::Duration::days(1)).await.unwrap();
    assert!(again.sent.is_empty() && again.resent.is_empty(), "{again:?}");
}

#[tokio::test]
async fn a_refused_recipient_fails_for_good_and_a_wrong_password_waits() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&dir.path().join("received"), 0, Some(("factures", "right"))).unwrap();
    let (mut store, _) = new_store(dir.path());
    let settings = settings(sink.port, Some("factures"));
    let now = Utc::now();

    let wrong = SmtpSender::new(&settings, Some("wrong")).unwrap();
    let id = store.queue_mail(&invoice_mail("contact@cafedunord.fr"), &new_message_id(&settings), None, now).unwrap();
    let pass = send_pass(&mut store, &settings, &wrong, now).await.unwrap();
    assert_eq!(pass.waiting.len(), 1, "{pass:?}");
    assert_eq!(pass.waiting[0].1.code(), "smtp_sign_in_refused");
    assert_eq!(store.queued_mail(id).unwrap().state, MailState::Waiting);
    assert_eq!(SmtpSender::new(&settings, None).unwrap_err().code(), "smtp_password_missing");

    let right = SmtpSender::new(&settings, Some("right")).unwrap();
    let refused =
        store.queue_mail(&invoice_mail("refused@cafedunord.fr"), &new_message_id(&settings), None, now).unwrap();
    let pass = send_pass(&mut store, &settings, &right, now + chrono::Duration::minutes(5)).await.unwrap();
    assert_eq!(pass.sent, vec![id], "{pass:?}");
    assert_eq!(pass.failed.len(), 1, "{pass:?}");
    assert_eq!((pass.failed[0].0, pass.failed[0].1.as_str()), (refused, "smtp_rejected"));
    let failed = store.queued_mail(refused).unwrap();
    assert_eq!((failed.state, failed.attempts), (MailState::Failed, 1));
    assert!(failed.last_error.unwrap().contains("550"));
    assert_eq!(sink.wait_at_most(2, Duration::from_millis(300)).len(), 1, "only the accepted message arrived");
}

#[tokio::test]
async fn starttls_is_required_never_optional() {
    let dir = tempfile::tempdir().unwrap();
    // A server that offers no STARTTLS (and takes sign-ins in clear): nothing may go.
    let sink = SmtpSink::start(&dir.path().join("received"), 0, Some(("factures", "secret"))).unwrap();
    let (mut store, _) = new_store(dir.path());
    let settings = SmtpSettings { security: Security::StartTls, ..settings(sink.port, Some("factures")) };
    let sender = SmtpSender::new(&settings, Some("secret")).unwrap();
    let now = Utc::now();
    let id = store.queue_mail(&invoice_mail("contact@cafedunord.fr"), &new_message_id(&settings), None, now).unwrap();
    let pass = send_pass(&mut store, &settings, &sender, now).await.unwrap();
    assert!(pass.sent.is_empty(), "{pass:?}");
    assert_eq!(pass.waiting.len(), 1, "{pass:?}");
    assert_eq!(pass.waiting[0].1.code(), "smtp_tls_failed");
    let waiting = store.queued_mail(id).unwrap();
    assert_eq!(waiting.state, MailState::Waiting, "the setting can be mended: it waits");
    assert!(waiting.last_error.unwrap().contains("STARTTLS"), "says why");
    assert!(sink.wait_at_most(1, Duration::from_millis(300)).is_empty(), "neither the message nor the password left");
}

#[tokio::test]
async fn a_document_sent_is_recorded_for_the_audit_trail_in_the_commit_that_marks_it_sent() {
    use comptoir_core::sync::Intent;
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&dir.path().join("received"), 0, None).unwrap();
    let (mut store, _) = new_store(dir.path());
    let settings = settings(sink.port, None);
    let customer = comptoir_tests::fixtures::new_contact("Café du Nord");
    store.submit(&Intent::CreateContact { contact: customer.clone() }).unwrap();
    let invoice = comptoir_tests::fixtures::draft_invoice(&customer, 120);
    store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
    store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
    let mail = invoice_mail("contact@cafedunord.fr");
    let message_id = new_message_id(&settings);
    let queued_at = Utc::now();
    store.queue_mail(&mail, &message_id, Some(invoice.id.0), queued_at).unwrap();
    // A message about a document this copy does not have: sent all the same, not recorded.
    store.queue_mail(&mail, &new_message_id(&settings), Some(Uuid::now_v7()), queued_at).unwrap();
    // A message that carries no document: nothing to record.
    store.queue_mail(&mail, &new_message_id(&settings), None, queued_at).unwrap();
    let before = store.pending_count().unwrap();

    let sender = SmtpSender::new(&settings, None).unwrap();
    let sent_at = queued_at + chrono::Duration::seconds(5);
    let pass = send_pass(&mut store, &settings, &sender, sent_at).await.unwrap();
    assert_eq!(pass.sent.len(), 3, "{pass:?}");
    assert_eq!(sink.wait_for(3).len(), 3);
    assert_eq!(store.pending_count().unwrap(), before + 1, "one record, for the invoice");
    let mutations = store.pending_mutations(100).unwrap();
    let Some(Intent::RecordSending { sending }) = mutations.last().map(|m| &m.intent) else {
        panic!("no sending recorded: {mutations:?}");
    };
    assert_eq!(sending.document, invoice.id);
    assert_eq!((sending.to.clone(), sending.cc.clone()), (mail.to.clone(), mail.cc.clone()));
    assert_eq!(sending.at.timestamp_millis(), sent_at.timestamp_millis(), "when the SMTP server took it");
    assert_eq!(sending.message_id, message_id);
    assert_eq!(sending.files, vec!["F-2026-0042.pdf".to_owned(), "factur-x.xml".to_owned()]);
}
