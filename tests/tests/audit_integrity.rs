//! The audit trail of a real copy, synced with the real server on loopback, against
//! someone who edits the copy's SQLite file: its last records removed, its chain rebuilt
//! from the first record with another amount (every hash computed again), its signed head
//! forged. Each fails the integrity check with its reason, where the chain alone verified.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::path::{Path, PathBuf};

use chrono::Utc;
use comptoir::i18n::{Language, Texts};
use comptoir::screens::audit::{Integrity, integrity_text};
use comptoir_core::audit::{AuditRecord, AuditSigner, TrailError, TrailReport, verify_chain};
use comptoir_core::engine::Link;
use comptoir_core::model::{Allocation, DocumentId, Payment, PaymentId, PaymentMethod};
use comptoir_core::store::{AuditFilter, CompanyStore};
use comptoir_core::sync::{Intent, SyncClient};
use comptoir_tests::fixtures::new_contact;
use comptoir_tests::{TestServer, checks};
use rust_decimal::Decimal;

/// A client signed in as the demo account.
async fn signed_in(server: &TestServer) -> SyncClient {
    checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await.0
}

/// A copy of the large demo company, downloaded, with a payment of `amount` recorded on
/// its first unpaid invoice and a contact created after it, synced: both are in the
/// trail, signed.
async fn copy_with_a_payment(server: &TestServer, path: &Path, amount: Decimal) -> Link {
    let (mut link, _) = Link::create(signed_in(server).await, server.company(), path, Utc::now()).await.unwrap();
    link.sync(Utc::now, &mut |_| {}).await.unwrap();
    let unpaid: uuid::Uuid = link
        .store
        .connection()
        .query_row(
            "SELECT id FROM documents WHERE kind = 'invoice' AND status = 'issued' ORDER BY rid LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let invoice = link.store.document(DocumentId(unpaid)).unwrap();
    let payment = Payment {
        id: PaymentId::new(),
        contact_id: Some(invoice.contact_id),
        date: invoice.issue_date,
        amount,
        method: PaymentMethod::BankTransfer,
        reference: "VIR 2026-11".into(),
        allocations: vec![Allocation { document_id: invoice.id, amount }],
    };
    link.store.submit(&Intent::RecordPayment { payment }).unwrap();
    // Something after it, so that the payment is inside the chain, not at its end.
    link.store.submit(&Intent::CreateContact { contact: new_contact("Boulangerie Martin") }).unwrap();
    let report = link.sync(Utc::now, &mut |_| {}).await.unwrap();
    assert_eq!(report.applied, 2, "the payment and the contact reached the server");
    link
}

/// Every record of the copy's trail, oldest first.
fn trail(store: &CompanyStore) -> Vec<AuditRecord> {
    let mut records = Vec::new();
    store
        .for_each_audit(&AuditFilter::default(), |record| -> Result<bool, comptoir_core::store::StoreError> {
            records.push(record);
            Ok(true)
        })
        .unwrap();
    records
}

/// A consistent copy of the company file, as a forger would take one to work on.
fn copy_file(from: &Path, to: PathBuf) -> PathBuf {
    let source = rusqlite::Connection::open(from).unwrap();
    source.execute("VACUUM INTO ?1", [to.to_string_lossy()]).unwrap();
    to
}

/// The check's outcome, and the words the audit screen shows for it (in French).
fn check(path: &Path) -> (Result<TrailReport, TrailError>, String) {
    let store = CompanyStore::open(path).unwrap();
    let outcome = store.verify_audit_chain().unwrap();
    let (text, verdict) = integrity_text(&Texts::new(Language::French), &outcome);
    assert_eq!(verdict == Integrity::Failed, outcome.is_err(), "{text}");
    (outcome, text)
}

/// The forger's work: every record read, the payment's amount changed, the chain sealed
/// again from its first record, written back in place of the old one.
fn rebuild_with_another_amount(path: &Path, paid: &str, forged: &str) -> (u64, Vec<AuditRecord>) {
    let mut records = {
        let store = CompanyStore::open(path).unwrap();
        trail(&store)
    };
    let mut changed = None;
    for record in &mut records {
        for change in &mut record.changes {
            if record.action == "payment" && change.field == "amount" && change.after.as_deref() == Some(paid) {
                change.after = Some(forged.to_owned());
                changed = Some(record.seq);
            }
        }
    }
    let changed = changed.unwrap_or_else(|| panic!("no payment of {paid} in the trail"));
    let mut rebuilt: Vec<AuditRecord> = Vec::with_capacity(records.len());
    for record in records {
        let sealed = record.seal_after(rebuilt.last());
        rebuilt.push(sealed);
    }
    assert_eq!(verify_chain(&rebuilt), Ok(rebuilt.len() as u64), "the rebuilt chain holds together");
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute("DELETE FROM audit_trail", []).unwrap();
    let mut insert = conn
        .prepare(
            "INSERT INTO audit_trail (seq, at, user_id, user_email, action, entity, entity_id, changes, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .unwrap();
    for r in &rebuilt {
        insert
            .execute(rusqlite::params![
                i64::try_from(r.seq).unwrap(),
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                r.user_id.map(|u| u.0),
                r.user_email,
                r.action,
                r.entity,
                r.entity_id,
                serde_json::to_string(&r.changes).unwrap(),
                r.prev_hash,
                r.hash,
            ])
            .unwrap();
    }
    (changed, rebuilt)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trail_cut_short_or_rebuilt_with_another_amount_fails_with_its_reason() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("copy.comptoir");
    let mut link = copy_with_a_payment(&server, &original, "1250.00".parse::<Decimal>().unwrap()).await;

    // As synced, the trail holds up to the head the server signed with the last pull.
    let records = trail(&link.store);
    let last = records.last().unwrap().seq;
    assert!(records.iter().any(|r| r.action == "payment"), "the payment is in the trail");
    let head = link.store.audit_head().unwrap().expect("the pull brought a signed head");
    assert_eq!((head.seq, head.hash.as_str()), (last, records.last().unwrap().hash.as_str()));
    let status = link.client.status(server.company()).await.unwrap();
    assert_eq!(link.store.server_key().unwrap(), status.audit_key, "the key of the status, pinned");
    let (outcome, text) = check(&original);
    let report = outcome.unwrap();
    assert_eq!((report.records, report.signed.map(|s| s.seq), report.unsigned), (last, Some(last), 0));
    assert!(text.starts_with(&format!("Chaîne intacte : {last} enregistrements vérifiés.")), "{text}");

    // (a) The last three records deleted from the file: the chain alone still verifies …
    let cut = copy_file(&original, dir.path().join("cut.comptoir"));
    {
        let conn = rusqlite::Connection::open(&cut).unwrap();
        let removed =
            conn.execute("DELETE FROM audit_trail WHERE seq > ?1", [i64::try_from(last - 3).unwrap()]).unwrap();
        assert_eq!(removed, 3);
    }
    let remaining = trail(&CompanyStore::open(&cut).unwrap());
    assert_eq!(verify_chain(&remaining), Ok(last - 3));
    // … but not up to the signed head.
    let (outcome, text) = check(&cut);
    let err = outcome.unwrap_err();
    assert_eq!(err, TrailError::MissingTail { signed: last, last: last - 3 });
    assert_eq!(err.code(), "audit_tail_missing");
    assert!(text.contains("Fin du journal supprimée") && text.contains(&format!("n° {}", last - 3)), "{text}");

    // (b) The chain rebuilt from the first record with the payment's amount changed.
    let rebuilt = copy_file(&original, dir.path().join("rebuilt.comptoir"));
    let (changed, _) = rebuild_with_another_amount(&rebuilt, "1250.00", "125.00");
    assert!(changed < last, "the payment is inside the signed chain");
    let (outcome, text) = check(&rebuilt);
    let err = outcome.unwrap_err();
    assert_eq!(err, TrailError::Rewritten { seq: last });
    assert_eq!(err.code(), "audit_chain_rewritten");
    assert!(text.contains("Chaîne réécrite"), "{text}");

    // Syncing again brings neither copy back: the cut records are behind the cursor, and
    // the head stays the server's. (The original syncs as before.)
    for path in [&cut, &rebuilt] {
        let mut tampered = Link::open(signed_in(&server).await, server.company(), path).unwrap();
        tampered.sync(Utc::now, &mut |_| {}).await.unwrap();
        drop(tampered);
        assert!(check(path).0.is_err(), "{} still fails after a sync", path.display());
    }
    link.sync(Utc::now, &mut |_| {}).await.unwrap();
    assert!(link.store.verify_audit_chain().unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_head_fails_the_check() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("copy.comptoir");
    let link = copy_with_a_payment(&server, &original, "480.00".parse::<Decimal>().unwrap()).await;
    let head = link.store.audit_head().unwrap().unwrap();
    drop(link);

    // The forger rebuilds the chain, then points the head at it, keeping the signature.
    let moved = copy_file(&original, dir.path().join("moved.comptoir"));
    let (_, rebuilt) = rebuild_with_another_amount(&moved, "480.00", "48.00");
    let forged_hash = rebuilt.iter().find(|r| r.seq == head.seq).unwrap().hash.clone();
    {
        let conn = rusqlite::Connection::open(&moved).unwrap();
        conn.execute("UPDATE audit_head SET hash = ?1", [&forged_hash]).unwrap();
    }
    let (outcome, text) = check(&moved);
    let err = outcome.unwrap_err();
    assert_eq!(err, TrailError::ForgedHead { seq: head.seq });
    assert_eq!(err.code(), "audit_head_forged");
    assert!(text.contains("Signature falsifiée"), "{text}");

    // Signed anew with the forger's own key: named as a key other than the server's.
    let resigned = copy_file(&moved, dir.path().join("resigned.comptoir"));
    let (forger, _) = AuditSigner::generate().unwrap();
    let theirs = forger.sign(head.company_id, head.seq, &forged_hash, Utc::now());
    {
        let conn = rusqlite::Connection::open(&resigned).unwrap();
        conn.execute(
            "UPDATE audit_head SET key = ?1, signature = ?2, signed_at = ?3",
            [&theirs.key, &theirs.signature, &theirs.signed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)],
        )
        .unwrap();
    }
    let (outcome, text) = check(&resigned);
    assert_eq!(outcome.unwrap_err().code(), "audit_key_changed");
    assert!(text.contains("La clé du serveur a changé"), "{text}");

    // … and with the pinned key replaced by the forger's too, the head verifies — but a
    // sync brings the server's head back, which the rebuilt chain does not match.
    {
        let conn = rusqlite::Connection::open(&resigned).unwrap();
        conn.execute("UPDATE server_key SET audit_key = ?1", [&theirs.key]).unwrap();
    }
    assert!(check(&resigned).0.is_ok(), "a forger who replaces the key too goes unseen offline");
    let mut synced = Link::open(signed_in(&server).await, server.company(), &resigned).unwrap();
    synced.sync(Utc::now, &mut |_| {}).await.unwrap();
    drop(synced);
    assert_eq!(check(&resigned).0.unwrap_err().code(), "audit_key_changed", "the server's head, not the pinned key's");

    // The head removed altogether: the pinned key says there was one.
    let removed = copy_file(&original, dir.path().join("removed.comptoir"));
    {
        let conn = rusqlite::Connection::open(&removed).unwrap();
        conn.execute("DELETE FROM audit_head", []).unwrap();
    }
    let (outcome, text) = check(&removed);
    assert_eq!(outcome.unwrap_err(), TrailError::HeadRemoved);
    assert!(text.contains("Signature supprimée"), "{text}");
}
