//! Edits made on copies that are offline, then synced: against the real server on
//! loopback, with real company files.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use chrono::Utc;
use comptoir_core::engine::Link;
use comptoir_core::model::{Contact, DocumentStatus};
use comptoir_core::sync::{Intent, SyncClient};
use comptoir_tests::fixtures::{article, draft_invoice, new_contact};
use comptoir_tests::{TestServer, checks};

/// A client signed in as the demo account.
async fn signed_in(server: &TestServer) -> SyncClient {
    checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await.0
}

/// A copy of the server's large demo company, downloaded and synced once.
async fn copy(server: &TestServer, dir: &std::path::Path, name: &str) -> Link {
    let client = signed_in(server).await;
    let path = dir.join(format!("{name}.comptoir"));
    let (mut link, _) = Link::create(client, server.company(), &path, Utc::now()).await.unwrap();
    link.sync(Utc::now, &mut |_| {}).await.unwrap();
    link
}

async fn sync(link: &mut Link) -> comptoir_core::engine::SyncReport {
    link.sync(Utc::now, &mut |_| {}).await.unwrap()
}

fn first_customer(link: &Link) -> Contact {
    link.store.list_contacts(false, 0, 50).unwrap().into_iter().find(|c| c.is_customer).unwrap()
}

#[tokio::test]
async fn offline_edits_show_at_once_and_reach_the_server_once() {
    let mut server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;

    server.stop();
    let customer = new_contact("Atelier Hors Ligne");
    a.store.submit(&Intent::CreateContact { contact: customer.clone() }).unwrap();
    let invoice = draft_invoice(&customer, 150);
    a.store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
    a.store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
    // Shown at once, issued, its number pending.
    assert_eq!(a.store.contact(customer.id).unwrap().name, "Atelier Hors Ligne");
    let local = a.store.document(invoice.id).unwrap();
    assert_eq!((local.status, local.number.as_deref()), (DocumentStatus::Issued, None));
    assert_eq!(a.store.pending_count().unwrap(), 3);
    let offline = a.sync(Utc::now, &mut |_| {}).await.unwrap_err();
    assert_eq!(offline.kind(), comptoir_core::engine::ErrorKind::Offline);
    assert_eq!(a.store.pending_count().unwrap(), 3, "nothing is lost while offline");

    // A refusal changes nothing.
    let refused = a.store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap_err();
    assert_eq!(refused.code(), "document_not_editable", "{refused:?}");
    assert_eq!(a.store.pending_count().unwrap(), 3);

    server.restart().unwrap();
    let report = sync(&mut a).await;
    assert_eq!((report.applied, report.rejected.len()), (3, 0));
    let number = a.store.document(invoice.id).unwrap().number.unwrap();
    assert!(number.starts_with("FA"), "{number}");
    assert_eq!(a.store.pending_count().unwrap(), 0);
    assert_eq!(a.store.shadow_count().unwrap(), 0);
    assert_eq!(a.store.replica_stats().unwrap(), server.stats(server.company()).unwrap());

    // Sending the same outbox again (a lost answer) applies nothing twice.
    let again = sync(&mut a).await;
    assert_eq!(again.applied, 0);
    assert_eq!(a.store.replica_stats().unwrap(), server.stats(server.company()).unwrap());
}

#[tokio::test]
async fn a_refused_edit_is_undone_here_and_kept_with_its_reason() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;
    let mut b = copy(&server, dir.path(), "b").await;

    // Both create an article with the same code; B syncs first.
    let ours = article("DOUBLON");
    a.store.submit(&Intent::CreateArticle { article: ours.clone() }).unwrap();
    // A later edit of A's, on the article, waits behind the refused one.
    let mut renamed = ours.clone();
    renamed.name = "Renommé".into();
    a.store.submit(&Intent::UpdateArticle { article: renamed }).unwrap();
    b.store.submit(&Intent::CreateArticle { article: article("DOUBLON") }).unwrap();
    sync(&mut b).await;

    let report = sync(&mut a).await;
    assert_eq!(report.rejected.len(), 2, "{:?}", report.rejected);
    assert_eq!(report.rejected[0].code, "article_code_taken");
    assert!(!report.rejected[0].message.is_empty());
    assert!(a.store.article(ours.id).is_err(), "the refused article is gone from this copy");
    assert_eq!(a.store.article_by_code("DOUBLON").unwrap().unwrap().name, "Article DOUBLON", "B's article shows");
    assert_eq!(a.store.rejected_mutations().unwrap().len(), 2, "kept for the user, never dropped");
    assert_eq!(a.store.replica_stats().unwrap(), server.stats(server.company()).unwrap());
}

#[tokio::test]
async fn pending_edits_are_reapplied_on_newer_server_records() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;
    let mut b = copy(&server, dir.path(), "b").await;
    let customer = first_customer(&a);

    // A edits the customer's email, offline; B issues an invoice to it and syncs.
    let mut edited = customer.clone();
    edited.email = Some("nouvelle@example.fr".into());
    a.store.submit(&Intent::UpdateContact { contact: edited }).unwrap();
    let invoice = draft_invoice(&customer, 80);
    b.store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
    b.store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
    let mut b_renamed = b.store.contact(customer.id).unwrap();
    b_renamed.phone = Some("+33 1 23 45 67 89".into());
    b.store.submit(&Intent::UpdateContact { contact: b_renamed }).unwrap();
    sync(&mut b).await;

    // A pulls without pushing: B's changes arrive, A's edit stays on top.
    let mut report = comptoir_core::engine::SyncReport::default();
    a.pull(&mut report, &mut |_| {}).await.unwrap();
    assert!(a.store.document(invoice.id).unwrap().number.is_some(), "B's invoice arrived with its number");
    let shown = a.store.contact(customer.id).unwrap();
    assert_eq!(shown.email.as_deref(), Some("nouvelle@example.fr"), "A's pending edit still shows");
    assert_eq!(a.store.pending_count().unwrap(), 1);

    // Then A syncs: its update is applied after B's, and both copies equal the server.
    sync(&mut a).await;
    sync(&mut b).await;
    let stats = server.stats(server.company()).unwrap();
    assert_eq!(a.store.replica_stats().unwrap(), stats);
    assert_eq!(b.store.replica_stats().unwrap(), stats);
    assert_eq!(a.store.contact(customer.id).unwrap(), b.store.contact(customer.id).unwrap());
    assert_eq!(b.store.contact(customer.id).unwrap().email.as_deref(), Some("nouvelle@example.fr"));
}

#[tokio::test]
async fn two_copies_edit_offline_then_converge() {
    let mut server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;
    let mut b = copy(&server, dir.path(), "b").await;
    let shared = first_customer(&a);

    // Both offline: each creates a customer and an invoice, issues it, and edits the
    // same existing customer.
    server.stop();
    let mut issued = Vec::new();
    for (link, name, phone) in [(&mut a, "Chez A", "+33 1 11 11 11 11"), (&mut b, "Chez B", "+33 2 22 22 22 22")] {
        let customer = new_contact(name);
        link.store.submit(&Intent::CreateContact { contact: customer.clone() }).unwrap();
        let invoice = draft_invoice(&customer, 120);
        link.store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
        link.store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
        let mut edited = link.store.contact(shared.id).unwrap();
        edited.phone = Some(phone.into());
        link.store.submit(&Intent::UpdateContact { contact: edited }).unwrap();
        issued.push(invoice.id);
        assert!(link.sync(Utc::now, &mut |_| {}).await.is_err(), "offline");
    }

    // Back online: A, then B, then A again to hear B.
    server.restart().unwrap();
    let a_report = sync(&mut a).await;
    let b_report = sync(&mut b).await;
    sync(&mut a).await;
    assert_eq!((a_report.applied, b_report.applied), (4, 4), "every change applied");
    assert!(a_report.rejected.is_empty() && b_report.rejected.is_empty());
    let stats = server.stats(server.company()).unwrap();
    assert_eq!(a.store.replica_stats().unwrap(), stats);
    assert_eq!(b.store.replica_stats().unwrap(), stats);
    // Both invoices numbered, consecutively, the same on both copies.
    let numbers: Vec<String> = issued.iter().map(|id| a.store.document(*id).unwrap().number.unwrap()).collect();
    let counters: Vec<u64> = numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
    assert_eq!(counters[1], counters[0] + 1, "{numbers:?}");
    for id in &issued {
        assert_eq!(a.store.document(*id).unwrap(), b.store.document(*id).unwrap());
    }
    // The shared customer ends as the last change the server applied (B's).
    assert_eq!(a.store.contact(shared.id).unwrap().phone.as_deref(), Some("+33 2 22 22 22 22"));
    assert_eq!(a.store.contact(shared.id).unwrap(), b.store.contact(shared.id).unwrap());
}

#[tokio::test]
async fn downloading_again_keeps_the_old_file_aside() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;
    // An edit that never reached the server: it must survive in the kept copy.
    let pending = new_contact("Jamais envoyé");
    a.store.submit(&Intent::CreateContact { contact: pending.clone() }).unwrap();
    let path = a.store.path().to_path_buf();
    drop(a);

    let (mut again, backup) =
        Link::create(signed_in(&server).await, server.company(), &path, Utc::now()).await.unwrap();
    sync(&mut again).await;
    let backup = backup.expect("the old file was moved aside");
    assert_eq!(backup.extension().unwrap(), "bak");
    assert!(again.store.contact(pending.id).is_err(), "the new copy is the server's");
    let old = comptoir_core::store::CompanyStore::open_read_only(&backup).unwrap();
    assert_eq!(old.contact(pending.id).unwrap().name, "Jamais envoyé");
    assert_eq!(old.pending_count().unwrap(), 1);
    // Named, for the window's notice.
    let named = old.pending_edits().unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].action, "create");
    assert_eq!(named[0].record, Some(comptoir_core::store::RecordLabel::Contact("Jamais envoyé".into())));
}

/// A byte-for-byte copy of `link`'s file as it is now (a copied file, a backup), opened
/// as a second copy signed in as the same user.
async fn file_copy(server: &TestServer, link: &Link, to: &std::path::Path) -> Link {
    link.store.connection().execute("VACUUM INTO ?1", [to.to_str().unwrap()]).unwrap();
    Link::open(signed_in(server).await, server.company(), to).unwrap()
}

fn contact_names(server: &TestServer, link: &Link) -> Vec<String> {
    assert_eq!(link.store.replica_stats().unwrap(), server.stats(server.company()).unwrap());
    let mut names: Vec<String> =
        link.store.list_contacts(true, 0, 10_000).unwrap().into_iter().map(|c| c.name).collect();
    names.sort();
    names
}

#[tokio::test]
async fn two_copies_of_one_file_each_keep_their_edits() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;
    let mut b = file_copy(&server, &a, &dir.path().join("b.comptoir")).await;
    assert_eq!(a.store.client_id().unwrap(), b.store.client_id().unwrap(), "the copy shares the device id");

    // Each copy makes different edits under the same (client id, mutation id) keys.
    for (link, name) in [(&mut a, "Copie A"), (&mut b, "Copie B")] {
        link.store.submit(&Intent::CreateContact { contact: new_contact(name) }).unwrap();
        link.store.submit(&Intent::CreateContact { contact: new_contact(&format!("{name} bis")) }).unwrap();
    }
    let a_report = sync(&mut a).await;
    let b_report = sync(&mut b).await;
    sync(&mut a).await;
    assert_eq!((a_report.applied, b_report.applied), (2, 2), "the second copy's edits are applied, not answered");
    assert!(b_report.rejected.is_empty(), "{:?}", b_report.rejected);
    assert_ne!(a.store.client_id().unwrap(), b.store.client_id().unwrap(), "the second copy took a new id");
    assert_eq!((a.store.pending_count().unwrap(), b.store.pending_count().unwrap()), (0, 0));
    let names = contact_names(&server, &a);
    for name in ["Copie A", "Copie A bis", "Copie B", "Copie B bis"] {
        assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name} once in {names:?}");
    }
    assert_eq!(contact_names(&server, &b), names);

    // Later edits of both copies go on under their own ids.
    b.store.submit(&Intent::CreateContact { contact: new_contact("Copie B ter") }).unwrap();
    a.store.submit(&Intent::CreateContact { contact: new_contact("Copie A ter") }).unwrap();
    assert_eq!((sync(&mut b).await.applied, sync(&mut a).await.applied), (1, 1));
}

#[tokio::test]
async fn a_restored_backup_sends_its_old_edits_once_and_its_new_ones_too() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = copy(&server, dir.path(), "a").await;
    // A backup taken while an edit waits for the server.
    a.store.submit(&Intent::CreateContact { contact: new_contact("Avant la sauvegarde") }).unwrap();
    let backup = dir.path().join("backup.comptoir");
    a.store.connection().execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    // The copy goes on: the waiting edit reaches the server, then another one.
    sync(&mut a).await;
    a.store.submit(&Intent::CreateContact { contact: new_contact("Après la sauvegarde") }).unwrap();
    sync(&mut a).await;
    drop(a);

    // The backup is restored in its place, and edited before its first sync.
    let path = dir.path().join("a.comptoir");
    std::fs::remove_file(&path).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("a.comptoir{side}")));
    }
    std::fs::copy(&backup, &path).unwrap();
    let mut restored = Link::open(signed_in(&server).await, server.company(), &path).unwrap();
    restored.store.submit(&Intent::CreateContact { contact: new_contact("Après la restauration") }).unwrap();
    let report = sync(&mut restored).await;
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(restored.store.pending_count().unwrap(), 0);
    let names = contact_names(&server, &restored);
    for name in ["Avant la sauvegarde", "Après la sauvegarde", "Après la restauration"] {
        assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name} once in {names:?}");
    }
}
