//! The first download of a company, page by page into a real local file, from the real
//! server on loopback.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir_core::model::{CompanyId, DocumentKind};
use comptoir_core::store::{CompanyStore, DocumentFilter, DocumentSort, PageRequest, SortDirection};
use comptoir_core::sync::{RawPullPage, RecordBody, RecordKind};
use comptoir_tests::TestServer;

struct Remote {
    url: String,
    token: String,
    company: CompanyId,
    server: TestServer,
    http: reqwest::Client,
}

/// A server on loopback holding the demo account, its large company of about `records`.
async fn remote(records: u32) -> Remote {
    let server = tokio::task::spawn_blocking(move || TestServer::start(records)).await.unwrap().unwrap();
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/v1/auth/login", server.url))
        .json(&serde_json::json!({"email": server.accounts.email, "password": server.accounts.password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Remote {
        url: server.url.clone(),
        token: login["access_token"].as_str().unwrap().to_owned(),
        company: server.company(),
        server,
        http,
    }
}

impl Remote {
    async fn page(&self, after: u64, counts: bool) -> RawPullPage {
        self.http
            .get(format!(
                "{}/v1/companies/{}/sync/pull?after={after}&limit=500&counts={counts}",
                self.url, self.company
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every document the server holds, read through its own pull.
    async fn server_documents(&self) -> Vec<comptoir_core::sync::DocumentRecord> {
        let mut documents = std::collections::HashMap::new();
        let mut after = 0;
        loop {
            let page = self.page(after, false).await;
            for change in &page.changes {
                match change.parse().unwrap() {
                    Some(RecordBody::Document(record)) => {
                        documents.insert(change.id, record);
                    }
                    None if change.kind == RecordKind::Document => {
                        documents.remove(&change.id);
                    }
                    _ => {}
                }
            }
            after = page.cursor.seq;
            if !page.has_more {
                return documents.into_values().collect();
            }
        }
    }

    fn server_stats(&self) -> std::collections::BTreeMap<RecordKind, comptoir_core::sync::TableStats> {
        self.server.stats(self.company).unwrap()
    }
}

/// Creates the local file from the company's settings, the first record of its log.
fn local_file(path: &std::path::Path, first: &RawPullPage) -> CompanyStore {
    let settings = first
        .changes
        .iter()
        .find_map(|c| match c.parse().unwrap() {
            Some(RecordBody::Settings(settings)) => Some(settings.company),
            _ => None,
        })
        .unwrap();
    CompanyStore::create(path, &settings).unwrap()
}

#[tokio::test]
async fn first_download_matches_the_server_and_progress_only_moves_forward() {
    let remote = remote(10_000).await;
    let dir = tempfile::tempdir().unwrap();
    let first = remote.page(0, true).await;
    let remaining = first.remaining.clone().unwrap();
    let total: u64 = remaining.values().sum::<u64>() + first.changes.len() as u64;
    assert!(total >= 10_000, "{total} records");
    let mut store = local_file(&dir.path().join("company.comptoir"), &first);

    let mut done = 0_u64;
    let mut progress = vec![0.0_f64];
    let mut page = first;
    let mut after = 0;
    loop {
        store.apply_pull_page(after, &page).unwrap();
        done += page.changes.len() as u64;
        #[allow(clippy::cast_precision_loss, reason = "record counts, far below 2^52")]
        progress.push(done as f64 / total as f64);
        after = page.cursor.seq;
        if !page.has_more {
            break;
        }
        page = remote.page(after, false).await;
    }
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress only moves forward");
    assert!((progress.last().unwrap() - 1.0).abs() < f64::EPSILON, "and reaches 100 %: {:?}", progress.last());
    assert_eq!(store.replica_stats().unwrap(), remote.server_stats(), "same counts and checksums");
    assert_eq!(store.sync_cursor().unwrap().unwrap().seq, after);
    assert_projected(&store, remote.server_documents().await);
}

/// The tables the screens read hold what the replica holds, with every reference whole.
fn assert_projected(store: &CompanyStore, server_documents: Vec<comptoir_core::sync::DocumentRecord>) {
    let conn = store.connection();
    let violations: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(violations, 0, "no dangling reference once caught up");
    let stats = store.replica_stats().unwrap();
    let count = |table: &str| -> u64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
            .unwrap()
            .try_into()
            .unwrap()
    };
    assert_eq!(count("contacts"), stats[&RecordKind::Contact].count);
    assert_eq!(count("articles"), stats[&RecordKind::Article].count);
    assert_eq!(count("documents"), stats[&RecordKind::Document].count);
    assert_eq!(count("payments"), stats[&RecordKind::Payment].count);
    assert_eq!(count("members"), stats[&RecordKind::Member].count);
    // Every document reads back exactly as the server holds it.
    assert_eq!(server_documents.len() as u64, stats[&RecordKind::Document].count);
    for record in server_documents {
        assert_eq!(store.document(record.document.id).unwrap(), record.document);
    }
    // Screens can list and search.
    let invoices = store
        .list_documents(
            &DocumentFilter::kind(DocumentKind::Invoice),
            DocumentSort::Date,
            SortDirection::Descending,
            &PageRequest::First,
            50,
        )
        .unwrap();
    assert_eq!(invoices.rows.len(), 50);
    let customer = &invoices.rows[0].customer_name;
    assert!(!store.search(customer, 5).unwrap().is_empty(), "search finds {customer}");
}

#[tokio::test]
async fn an_interrupted_download_resumes_after_its_last_committed_page() {
    let remote = remote(3_000).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("company.comptoir");
    let first = remote.page(0, false).await;
    let mut store = local_file(&path, &first);
    store.apply_pull_page(0, &first).unwrap();
    let second = remote.page(first.cursor.seq, false).await;
    store.apply_pull_page(first.cursor.seq, &second).unwrap();
    // A third page is fetched but the app is killed before it commits.
    let lost = remote.page(second.cursor.seq, false).await;
    assert!(lost.has_more);
    drop(store);

    let mut store = CompanyStore::open(&path).unwrap();
    let cursor = store.sync_cursor().unwrap().unwrap();
    assert_eq!(cursor.seq, second.cursor.seq, "resumes after the last committed page, not from zero");
    // A page that does not follow the cursor is refused and changes nothing.
    let err = store.apply_pull_page(0, &first).unwrap_err();
    assert_eq!(err.code(), "page_out_of_order");
    let mut after = cursor.seq;
    let mut fetched = 0;
    loop {
        let page = remote.page(after, false).await;
        fetched += 1;
        store.apply_pull_page(after, &page).unwrap();
        after = page.cursor.seq;
        if !page.has_more {
            break;
        }
    }
    assert!(fetched >= 1);
    assert_eq!(store.replica_stats().unwrap(), remote.server_stats());
    assert_projected(&store, remote.server_documents().await);
}

#[tokio::test]
async fn local_edits_go_through_the_outbox_exactly_once() {
    use comptoir_core::sync::{Intent, SyncClient};
    let remote = remote(500).await;
    let dir = tempfile::tempdir().unwrap();
    let first = remote.page(0, false).await;
    let mut store = local_file(&dir.path().join("company.comptoir"), &first);
    let mut after = 0;
    let mut page = first;
    loop {
        store.apply_pull_page(after, &page).unwrap();
        after = page.cursor.seq;
        if !page.has_more {
            break;
        }
        page = remote.page(after, false).await;
    }
    // Offline: a new customer, its entry queued with it.
    let mut contact = store.list_contacts(false, 0, 1).unwrap().remove(0);
    contact.id = comptoir_core::model::ContactId::new();
    contact.name = "Nouvelle cliente".into();
    store.submit(&Intent::CreateContact { contact: contact.clone() }).unwrap();
    // Back online: push, twice (a lost answer), then pull.
    let mut client = SyncClient::new(&remote.url).unwrap();
    client.set_access_token(Some(remote.token.clone()));
    let pending = store.pending_mutations(100).unwrap();
    let answer = client.push(remote.company, pending.clone()).await.unwrap();
    let again = client.push(remote.company, pending).await.unwrap();
    assert_eq!(answer, again, "the same answer, applied once");
    store.record_outcomes(&answer.results).unwrap();
    loop {
        let page = remote.page(after, false).await;
        store.apply_pull_page(after, &page).unwrap();
        after = page.cursor.seq;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(store.acknowledge_applied().unwrap(), 0, "the pull that brought it back acknowledged it");
    assert_eq!(store.kept_count().unwrap(), 1, "kept for a restored server");
    assert_eq!(store.pending_count().unwrap(), 0);
    assert_eq!(store.contact(contact.id).unwrap(), contact);
    assert_eq!(store.replica_stats().unwrap(), remote.server_stats(), "the copy equals the server");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_company_whose_settings_changed_last_downloads_from_any_page() {
    use chrono::Utc;
    use comptoir_core::engine::Link;
    use comptoir_core::sync::{Intent, SyncClient};
    // More changes than the server's largest page (5,000); then a number is issued, which
    // moves the settings record (it holds the numbering) to the end of the log.
    let remote = remote(5_200).await;
    let client = || {
        let mut client = SyncClient::new(&remote.url).unwrap();
        client.set_access_token(Some(remote.token.clone()));
        client
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut first, _) =
        Link::create(client(), remote.company, &dir.path().join("a.comptoir"), Utc::now()).await.unwrap();
    first.sync(Utc::now, &mut |_| {}).await.unwrap();
    let customer = first.store.list_contacts(false, 0, 1).unwrap().remove(0);
    let invoice = comptoir_tests::fixtures::draft_invoice(&customer, 120);
    first.store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
    first.store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
    first.sync(Utc::now, &mut |_| {}).await.unwrap();
    let changes: u64 = remote.server_stats().values().map(|s| s.count).sum();
    assert!(changes > u64::from(comptoir_core::engine::PAGE), "{changes} changes: more than a page");

    let (mut second, _) =
        Link::create(client(), remote.company, &dir.path().join("b.comptoir"), Utc::now()).await.unwrap();
    second.sync(Utc::now, &mut |_| {}).await.unwrap();
    assert_eq!(second.store.replica_stats().unwrap(), remote.server_stats());
    assert_eq!(second.store.company().unwrap(), first.store.company().unwrap(), "the settings arrived");
    let numbered = second.store.document(invoice.id).unwrap().number;
    assert!(numbered.is_some(), "the invoice came with its number");
}

/// A signed-in client of `remote`.
fn client_of(remote: &Remote) -> comptoir_core::sync::SyncClient {
    let mut client = comptoir_core::sync::SyncClient::new(&remote.url).unwrap();
    client.set_access_token(Some(remote.token.clone()));
    client
}

/// Every entry the copy has derived: (source, date, fingerprint), by source.
fn ledger_rows(store: &CompanyStore) -> Vec<(uuid::Uuid, Option<String>, Option<String>)> {
    let conn = store.connection();
    let mut stmt = conn.prepare("SELECT source_id, date, fingerprint FROM ledger ORDER BY source_id").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_derived_as_the_pages_arrive_is_the_one_derived_from_the_tables() {
    use chrono::Utc;
    use comptoir_core::engine::Link;
    // A Belgian company (the demo's large one): its chart of accounts is not the one a
    // copy starts with, so the settings must come before the entries are derived. Small
    // pages, so that kinds and sources straddle them.
    let remote = remote(3_000).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut link, _) =
        Link::create(client_of(&remote), remote.company, &dir.path().join("a.comptoir"), Utc::now()).await.unwrap();
    link.page_size = 97;
    link.sync(Utc::now, &mut |_| {}).await.unwrap();
    assert_eq!(link.store.replica_stats().unwrap(), remote.server_stats());
    let left = link.store.ledger_backlog().unwrap();
    let sources: i64 = link
        .store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM documents WHERE kind IN ('invoice', 'credit_note') AND status <> 'draft')
                  + (SELECT count(*) FROM payments)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sources > 1_000, "{sources} sources");
    assert!(left * 20 < u64::try_from(sources).unwrap(), "{left} of {sources} sources were left to derive after");
    link.store.refresh_whole_ledger(Utc::now().date_naive()).unwrap();
    let derived = ledger_rows(&link.store);
    assert_eq!(i64::try_from(derived.len()).unwrap(), sources, "an entry for every source");
    assert!(derived.iter().all(|(_, date, fingerprint)| date.is_some() && fingerprint.is_some()));
    // Every source derived again from the tables, as the triggers would have them.
    link.store
        .connection()
        .execute_batch(
            "INSERT OR IGNORE INTO ledger_dirty (source_id, kind)
                 SELECT id, 'document' FROM documents WHERE kind IN ('invoice', 'credit_note') AND status <> 'draft';
             INSERT OR IGNORE INTO ledger_dirty (source_id, kind) SELECT id, 'payment' FROM payments;",
        )
        .unwrap();
    link.store.refresh_whole_ledger(Utc::now().date_naive()).unwrap();
    assert_eq!(ledger_rows(&link.store), derived, "the same entries, whichever way they were derived");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_stopped_during_its_snapshot_goes_on_from_where_it_stood() {
    use std::sync::atomic::{AtomicU32, Ordering};

    use chrono::Utc;
    use comptoir_core::engine::Link;
    use comptoir_core::engine::link::ErrorKind;
    let remote = remote(2_000).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.comptoir");
    let (mut link, _) = Link::create(client_of(&remote), remote.company, &path, Utc::now()).await.unwrap();
    link.page_size = 113;
    let cancel = link.cancel.clone();
    let pages = AtomicU32::new(0);
    let stopped = link
        .sync(Utc::now, &mut |_| {
            if pages.fetch_add(1, Ordering::Relaxed) == 6 {
                cancel.store(true, Ordering::Relaxed);
            }
        })
        .await
        .unwrap_err();
    assert_eq!(stopped.kind(), ErrorKind::Offline, "{stopped}");
    let (_, _, stood) = link.store.snapshot_progress().unwrap().expect("stopped inside the snapshot");
    assert_eq!(link.store.sync_cursor().unwrap(), None, "no cursor before the snapshot is complete");
    let so_far: u64 = link.store.replica_counts().unwrap().values().sum();
    assert_eq!(so_far, 7 * 113, "seven pages written, none after the stop");
    drop(link);

    // Opened again, as after a restart: it goes on from there.
    let mut link = Link::open(client_of(&remote), remote.company, &path).unwrap();
    link.page_size = 113;
    let mut first_seen = None;
    let report = link
        .sync(Utc::now, &mut |progress| {
            first_seen.get_or_insert(progress.done());
        })
        .await
        .unwrap();
    assert!(first_seen.unwrap() > so_far, "the progress counts what the first run brought");
    assert_eq!(link.store.snapshot_progress().unwrap(), None);
    assert_eq!(link.store.replica_stats().unwrap(), remote.server_stats(), "every record once");
    let total: u64 = remote.server_stats().values().map(|s| s.count).sum();
    assert_eq!(report.pulled, total - so_far, "nothing brought twice ({stood:?})");
    assert!(link.downloaded().unwrap());
}

/// A download paused after every page (a background download pauses every couple of
/// seconds) keeps the page it fetched ahead and writes it when it goes on: each page of
/// the snapshot is asked once, and the copy ends whole. A relay in front of the server
/// notes the requests.
#[tokio::test(flavor = "multi_thread")]
async fn a_download_paused_after_every_page_asks_each_page_once() {
    use std::sync::{Arc, Mutex};

    use chrono::Utc;
    use comptoir_core::engine::Link;
    let remote = remote(2_000).await;
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let noted = Arc::clone(&asked);
    let relay = comptoir_tests::relay::HoldingRelay::holding(remote.server.address(), move |line| {
        let line = String::from_utf8_lossy(line);
        if line.contains("/sync/snapshot") {
            noted.lock().unwrap().push(line.trim_end().to_owned());
        }
        false
    })
    .unwrap();
    let mut client = comptoir_core::sync::SyncClient::new(relay.url()).unwrap();
    client.set_access_token(Some(remote.token.clone()));
    let dir = tempfile::tempdir().unwrap();
    let (mut link, _) = Link::create(client, remote.company, &dir.path().join("a.comptoir"), Utc::now()).await.unwrap();
    link.page_size = 211;
    let mut pauses = 0;
    loop {
        // Its time is up at once: every sync stops after the page it writes.
        link.pause_at = Some(std::time::Instant::now());
        let report = link.sync(Utc::now, &mut |_| {}).await.unwrap();
        if !report.paused {
            break;
        }
        pauses += 1;
    }
    assert!(link.downloaded().unwrap());
    assert_eq!(link.store.replica_stats().unwrap(), remote.server_stats(), "every record once");
    let asked = asked.lock().unwrap().clone();
    let total: u64 = remote.server_stats().values().map(|s| s.count).sum();
    assert!(pauses >= 9 && asked.len() >= 10, "{pauses} pauses, {} pages", asked.len());
    let mut distinct = asked.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), asked.len(), "a page asked twice: {asked:#?}");
    // Every page is full but the last of each kind: as many pages as that takes.
    assert!(asked.len() as u64 <= total / 211 + 12, "{} pages for {total} records", asked.len());
}

/// Issue 18: a download pauses between pages while commands wait, and goes on where it
/// stood. A local edit made during the pause changes the books even though the ledger's
/// triggers are set aside for the download: pulled without a push here, so that no echo
/// of the server's can mend what the copy would have missed.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_made_while_a_download_is_paused_is_in_the_books_it_derives() {
    use std::sync::atomic::Ordering;

    use chrono::Utc;
    use comptoir_core::engine::Link;
    use comptoir_core::model::PaymentId;
    use comptoir_core::sync::Intent;
    let remote = remote(2_000).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut link, _) =
        Link::create(client_of(&remote), remote.company, &dir.path().join("a.comptoir"), Utc::now()).await.unwrap();
    link.page_size = 211;
    // Its time up (the engine bounds a background download's stretches so), a sync stops
    // after the page it is writing.
    link.pause_at = Some(std::time::Instant::now());
    let report = link.sync(Utc::now, &mut |_| {}).await.unwrap();
    assert!(report.paused);
    assert_eq!(report.pulled, 211);
    link.pause_at = None;
    // A command waits all along: every sync stops after one page.
    link.waiting_commands.store(1, Ordering::Relaxed);
    let (mut pauses, mut pulled, mut last_done) = (1, 211, 0);
    let payment: uuid::Uuid = loop {
        let report = link.sync(Utc::now, &mut |progress| last_done = progress.done()).await.unwrap();
        assert!(report.paused, "one page, then a pause");
        assert_eq!(report.pulled, 211);
        assert!(!link.downloaded().unwrap(), "a paused download is not complete");
        // The pages went unflushed; what is written during the pause (an edit) is flushed.
        let conn = link.store.connection();
        let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        let checkpoint: i64 = conn.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0)).unwrap();
        assert_eq!((synchronous, checkpoint), (2, 1_000), "FULL, and the default checkpoint, during a pause");
        pauses += 1;
        pulled += report.pulled;
        assert_eq!(last_done, pulled, "the progress counts on across pauses");
        let derived: Option<uuid::Uuid> = link
            .store
            .connection()
            .query_row(
                "SELECT p.id FROM payments p JOIN ledger l ON l.source_id = p.id WHERE l.fingerprint IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .ok();
        if let Some(payment) = derived {
            break payment;
        }
    };
    assert!(pauses > 3);
    link.store.submit(&Intent::CancelPayment { id: PaymentId(payment), reason: "chèque rejeté".into() }).unwrap();

    // The rest, pulled without pushing the edit, then the books.
    link.waiting_commands.store(0, Ordering::Relaxed);
    let mut report = comptoir_core::engine::link::SyncReport::default();
    link.pull(&mut report, &mut |_| {}).await.unwrap();
    assert!(!report.paused);
    assert_eq!(link.store.pending_count().unwrap(), 1, "the edit still waits");
    link.store.refresh_whole_ledger(Utc::now().date_naive()).unwrap();
    let row: (Option<String>, Option<String>) = link
        .store
        .connection()
        .query_row("SELECT date, fingerprint FROM ledger WHERE source_id = ?1", [payment], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(row, (None, None), "the payment cancelled during the download left the books");
}

/// A server that keeps the company's file ready: a first download takes it whole, then
/// pulls only the log after it (here a contact added after the copy was written), and
/// ends the server's equal, to the checksum, with its indexes, search and ledger; the
/// copy's server-side file is not touched. A copy damaged on the server is refused by
/// the device, which then downloads page by page and ends the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_download_takes_the_servers_ready_copy_then_pulls_the_log_after_it() {
    use chrono::Utc;
    use comptoir_core::engine::Link;
    use comptoir_core::sync::{Intent, Mutation};
    let server = tokio::task::spawn_blocking(|| TestServer::builder().demo(3_000).copies_from(1).start())
        .await
        .unwrap()
        .unwrap();
    let company = server.company();
    tokio::task::block_in_place(|| server.refresh_copies()).unwrap();
    let copies = server.data_dir().join("copies").join(company.0.to_string());
    let copy_file = || {
        std::fs::read_dir(&copies)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("copy-"))
            .unwrap()
    };
    let written = copy_file();
    let (client, token) =
        comptoir_tests::checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let added = comptoir_tests::fixtures::new_contact("Arrivé après la copie");
    let mutation = Mutation {
        client_id: uuid::Uuid::now_v7(),
        mutation_id: 1,
        intent: Intent::CreateContact { contact: added.clone() },
    };
    client.push(company, vec![mutation]).await.unwrap();

    let download = |file: &'static str| {
        let (dir, url, token) = (tempfile::tempdir().unwrap(), server.url.clone(), token.clone());
        async move {
            let mut client = comptoir_core::sync::SyncClient::new(&url).unwrap();
            client.set_access_token(Some(token));
            let path = dir.path().join(file);
            let (mut link, _) = Link::create(client, company, &path, Utc::now()).await.unwrap();
            // Small pages: the snapshot would otherwise come whole in its first.
            link.page_size = 200;
            let mut opened_at = None;
            let report = link
                .sync(Utc::now, &mut |progress| {
                    if opened_at.is_none() && progress.usable() {
                        opened_at = Some(progress.done());
                    }
                })
                .await
                .unwrap();
            assert!(opened_at.is_some(), "the company could open from the first pages");
            assert!(!crate::received_left(&path), "nothing of the copy is left beside the file");
            (dir, link, report.pulled, report.replaced)
        }
    };
    let (_dir, link, pulled, replaced) = download("a.comptoir").await;
    assert_eq!(link.store.replica_stats().unwrap(), server.stats(company).unwrap(), "the server's, to the checksum");
    assert!(replaced, "the copy took the file's place");
    // The first pages, until the newest documents (every contact and article before
    // them), then only the log after the copy.
    let before_documents = server
        .stats(company)
        .unwrap()
        .iter()
        .filter(|(kind, _)| {
            !matches!(kind, RecordKind::Document | RecordKind::Payment | RecordKind::Audit | RecordKind::Posting)
        })
        .map(|(_, s)| s.count)
        .sum::<u64>();
    assert!(pulled < before_documents + 2 * 200, "the pages stopped for the copy: {pulled} records");
    assert_eq!(link.store.contact(added.id).unwrap().name, added.name);
    assert!(!link.store.search("Arrivé", 10).unwrap().is_empty(), "searchable");
    let derived: i64 = link
        .store
        .connection()
        .query_row("SELECT count(*) FROM ledger WHERE fingerprint IS NOT NULL", [], |r| r.get(0))
        .unwrap();
    assert!(derived > 1_000, "the copy came with its books: {derived} entries");
    assert!(written.exists(), "the server's copy stays, for the next device");

    // A copy damaged on the server: refused, and the download goes page by page.
    // The header of its second page, a b-tree's (a vacuumed file has no free page).
    let mut bytes = std::fs::read(&written).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    bytes[page_size..page_size + 64].fill(0xA5);
    std::fs::write(&written, &bytes).unwrap();
    let (_dir, link, pulled, replaced) = download("b.comptoir").await;
    assert!(pulled > 3_000 && !replaced, "page by page: {pulled} records");
    assert_eq!(link.store.replica_stats().unwrap(), server.stats(company).unwrap());
}

/// A download in short stretches, as a company downloading in the background does (the
/// engine bounds each stretch, and a command cuts it short): once the company can open,
/// the pages stop for the server's copy (held at a relay here), each stretch then pauses
/// in the wait without writing a page, its commits flushed; let go, the copy takes the
/// file's place within a stretch, and the download ends the server's equal.
#[tokio::test(flavor = "multi_thread")]
async fn a_download_in_stretches_waits_for_the_servers_copy_across_them() {
    use chrono::Utc;
    use comptoir_core::engine::Link;
    let server = tokio::task::spawn_blocking(|| TestServer::builder().demo(6_000).copies_from(1).start())
        .await
        .unwrap()
        .unwrap();
    let company = server.company();
    tokio::task::block_in_place(|| server.refresh_copies()).unwrap();
    let relay = comptoir_tests::relay::HoldingRelay::holding(server.address(), |line| {
        String::from_utf8_lossy(line).contains("/sync/copy?")
    })
    .unwrap();
    let (_, token) =
        comptoir_tests::checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let mut client = comptoir_core::sync::SyncClient::new(relay.url()).unwrap();
    client.set_access_token(Some(token));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.comptoir");
    let (mut link, _) = Link::create(client, company, &path, Utc::now()).await.unwrap();
    link.page_size = 200;
    let (mut stretches, mut waiting, mut replaced, mut held) = (0, 0, 0, false);
    loop {
        link.pause_at = Some(std::time::Instant::now() + std::time::Duration::from_millis(5));
        let report = link.sync(Utc::now, &mut |_| {}).await.unwrap();
        stretches += 1;
        replaced += u32::from(report.replaced);
        if !report.paused {
            break;
        }
        let synchronous: i64 = link.store.connection().pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        assert_eq!(synchronous, 2, "FULL between two stretches");
        // The server has answered the copy's request, and the relay holds its answer.
        held = held || relay.wait_held(std::time::Duration::ZERO);
        if report.pulled == 0 && held {
            // A stretch spent waiting for the copy: no page written.
            waiting += 1;
            if waiting == 3 {
                relay.release();
            }
        }
        assert!(stretches < 1_000, "the download ends");
    }
    assert!(waiting >= 3, "{waiting} stretches waited for the copy, of {stretches}");
    assert_eq!(replaced, 1, "the copy took the file's place once");
    assert_eq!(link.store.replica_stats().unwrap(), server.stats(company).unwrap());
    assert!(!received_left(&path));
}

/// Whether a received copy, or the mark of one taking over, lies beside `path`.
fn received_left(path: &std::path::Path) -> bool {
    ["received", "takeover", "replaced", "received-journal"]
        .iter()
        .any(|side| std::path::PathBuf::from(format!("{}.{side}", path.display())).exists())
}
