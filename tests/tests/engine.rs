//! The engine on its own thread, driven through its commands as the app drives it, against
//! the real server on loopback: setup, first download, offline work, grace period,
//! restart, sign-out.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use comptoir_core::clock::{Clock as _, ManualClock};
use comptoir_core::engine::credentials::{CredentialStore, FileCredentials};
use comptoir_core::engine::{
    Command, Engine, EngineConfig, Event, Grace, Notice, Secret, SetupError, SetupStep, SyncState, Timing,
};
use comptoir_core::store::{AppStore, CompanyStore};
use comptoir_core::sync::Intent;
use comptoir_tests::{TestServer, totp_code};

const WAIT: Duration = Duration::from_secs(30);

struct App {
    engine: Engine,
    clock: Arc<ManualClock>,
    credentials: Arc<FileCredentials>,
    wakes: Arc<AtomicUsize>,
    seen: Vec<Event>,
    /// Where the events that followed the last command start in `seen`.
    mark: usize,
}

fn start(dir: &Path, default_server: &str, clock: Arc<ManualClock>) -> App {
    let credentials = Arc::new(FileCredentials::new(&dir.join("credentials.json")));
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    let engine = Engine::start(EngineConfig {
        data_dir: dir.to_path_buf(),
        default_server: default_server.to_owned(),
        clock: clock.clone(),
        credentials: credentials.clone(),
        wake: Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
        // Syncs happen when the test asks, not on their own.
        timing: comptoir_tests::on_demand_timing(),
    })
    .unwrap();
    App { engine, clock, credentials, wakes, seen: Vec::new(), mark: 0 }
}

/// After a first download: the screens' indexes, the ledger's triggers and the documents'
/// search triggers set aside during it are back, and every document is searchable.
fn indexes_and_search_are_back(copy: &CompanyStore, path: &Path) {
    let count = |sql: &str| -> i64 { copy.connection().query_row(sql, [], |r| r.get(0)).unwrap() };
    let named = |what: &str, like: &str| {
        count(&format!("SELECT count(*) FROM sqlite_master WHERE type = '{what}' AND name LIKE '{like}'"))
    };
    // The screens' indexes: kept up all along, or built once their kind had arrived.
    assert_eq!(
        named("index", "documents_by_%"),
        7,
        "by date, number, customer, contact, corrects, status and structured communication"
    );
    assert_eq!(count("SELECT count(*) FROM deferred_index"), 0);
    // So are the triggers that list accounting sources, and every source was listed once
    // at the end (the engine then derives them in the background).
    assert_eq!(named("trigger", "ledger_%"), 6);
    // And the index of the entries to post, set aside while the ledger's rows came.
    assert_eq!(named("index", "ledger_pending"), 1);
    // Every document is searchable: its search triggers, set aside too, are back, and
    // the index was built from the table in one pass.
    assert_eq!(named("trigger", "documents_search_%"), 3);
    // The index holds exactly the table's documents (FTS5 checks it against its content).
    let checking = rusqlite::Connection::open(path).unwrap();
    checking.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')", []).unwrap();
    let invoices = comptoir_core::store::DocumentFilter::kind(comptoir_core::model::DocumentKind::Invoice);
    let highest = copy
        .list_documents(
            &invoices,
            comptoir_core::store::DocumentSort::Number,
            comptoir_core::store::SortDirection::Ascending,
            &comptoir_core::store::PageRequest::Last,
            1,
        )
        .unwrap()
        .rows
        .remove(0);
    let found = copy.search_documents(&invoices, highest.number.as_deref().unwrap(), 10).unwrap();
    assert!(found.iter().any(|row| row.id == highest.id), "{highest:?} not found");
}

/// A first download's progress: in the wizard until the copy can open
/// ([`Event::CopyUsable`]), in the status bar after.
fn download_progress(event: &Event) -> Option<&comptoir_core::engine::Progress> {
    match event {
        Event::Setup(SetupStep::Downloading { progress, .. }) | Event::Status(SyncState::Downloading { progress }) => {
            Some(progress)
        }
        _ => None,
    }
}

impl App {
    /// The first event since the last command that `pick` accepts, waiting for it if need
    /// be; every event is kept in `seen`.
    fn wait_for<T>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        if let Some(value) = self.seen[self.mark..].iter().find_map(&mut pick) {
            return value;
        }
        let deadline = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < deadline {
            if let Some(event) = self.engine.next_event(Duration::from_millis(100)) {
                let picked = pick(&event);
                self.seen.push(event);
                if let Some(value) = picked {
                    return value;
                }
            }
        }
        panic!("no {what} within {WAIT:?}; seen: {:#?}", self.seen);
    }

    fn send(&mut self, command: Command) {
        self.mark = self.seen.len();
        self.engine.send(command).unwrap();
    }

    fn ready(&mut self) -> comptoir_core::engine::CompanyChoice {
        self.wait_for("ready", |e| match e {
            Event::Setup(SetupStep::Ready { company, .. }) => Some(company.clone()),
            Event::SetupFailed(error) => panic!("setup failed: {error:?}"),
            _ => None,
        })
    }

    /// Chooses `company`, whose copy is not here, while another is open: it downloads in
    /// the background (the open company stays open), then opens when chosen again.
    fn switch_to_a_company_not_here(&mut self, company: comptoir_core::model::CompanyId) {
        self.send(Command::ChooseCompany { company });
        let downloaded = self.wait_for("the background download's end", |e| match e {
            Event::BackgroundReady { company } => Some(company.clone()),
            Event::BackgroundFailed { code, message, .. } => panic!("the background download failed: {code} {message}"),
            Event::Setup(SetupStep::Ready { .. }) => panic!("opened before it was asked to"),
            _ => None,
        });
        assert_eq!(downloaded.id, company);
        assert!(downloaded.local);
        self.send(Command::ChooseCompany { company });
        assert_eq!(self.ready().id, company);
    }

    fn status(&mut self, what: &str, mut accept: impl FnMut(&SyncState) -> bool) -> SyncState {
        self.wait_for(what, |e| match e {
            Event::Status(state) if accept(state) => Some(state.clone()),
            _ => None,
        })
    }

    fn synced(&mut self) {
        self.status("synced", |s| matches!(s, SyncState::Synced { .. }));
    }

    fn edit(&mut self, request: u64, intent: Intent) -> Result<u64, (String, String)> {
        self.send(Command::Edit { request, intent: Box::new(intent) });
        self.wait_for("edit answer", |e| match e {
            Event::EditApplied { request: r, mutation_id } if *r == request => Some(Ok(*mutation_id)),
            Event::EditRefused { request: r, code, message } if *r == request => {
                Some(Err((code.clone(), message.clone())))
            }
            _ => None,
        })
    }
}

fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc::now()))
}

/// The copy's file, opened beside the engine (as the UI reads it).
fn copy_of(dir: &Path, company: comptoir_core::model::CompanyId) -> CompanyStore {
    CompanyStore::open_read_only(&dir.join("companies").join(format!("{company}.comptoir"))).unwrap()
}

/// An address where no server answers: what the wizard proposes, refused before the
/// real address is given.
const NO_SERVER: &str = "http://127.0.0.1:9";

/// A server of about `records` records, and an app walked through the setup against it
/// up to the first download.
fn set_up_new(records: u32) -> (TestServer, tempfile::TempDir, Arc<ManualClock>, App) {
    let server = TestServer::start(records).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = manual_clock();
    let mut app = start(dir.path(), NO_SERVER, clock.clone());
    set_up(&mut app, &server);
    (server, dir, clock, app)
}

/// Walks the setup to a ready company: the server address, a wrong then a right
/// password, the company choice, the first download.
fn set_up(app: &mut App, server: &TestServer) {
    let url = app.wait_for("the server step", |e| match e {
        Event::Setup(SetupStep::Server { url }) => Some(url.clone()),
        _ => None,
    });
    assert_eq!(url, NO_SERVER, "the default address is proposed");
    app.send(Command::SetServer { url: url.clone() });
    let failure = app.wait_for("a failure", |e| match e {
        Event::SetupFailed(error) => Some(error.clone()),
        _ => None,
    });
    assert_eq!(failure, SetupError::Unreachable { url });
    app.send(Command::SetServer { url: server.url.clone() });
    app.wait_for("the sign-in step", |e| matches!(e, Event::Setup(SetupStep::SignIn { .. })).then_some(()));
    app.send(Command::SignIn { email: server.accounts.email.clone(), password: Secret("wrong password".into()) });
    let failure = app.wait_for("a failure", |e| match e {
        Event::SetupFailed(error) => Some(error.clone()),
        _ => None,
    });
    assert_eq!(failure, SetupError::WrongCredentials);
    app.send(Command::SignIn {
        email: server.accounts.email.clone(),
        password: Secret(server.accounts.password.clone()),
    });
    let companies = app.wait_for("the company choice", |e| match e {
        Event::Setup(SetupStep::ChooseCompany { companies }) => Some(companies.clone()),
        _ => None,
    });
    assert_eq!(companies.len(), 2);
    assert!(companies.iter().all(|c| !c.local));
    app.send(Command::ChooseCompany { company: server.company() });
}

#[test]
fn setup_downloads_with_forward_progress_then_works_offline_until_the_grace_runs_out() {
    let (mut server, dir, _clock, mut app) = set_up_new(2_000);

    // Progress only moves forward, per category and overall, up to 100 %.
    let company = app.ready();
    let mut last = 0.0_f32;
    let mut steps = 0;
    let mut categories = std::collections::BTreeMap::new();
    for event in &app.seen {
        if let Some(progress) = download_progress(event) {
            assert!(progress.overall >= last, "{} after {last}", progress.overall);
            last = progress.overall;
            for (kind, category) in &progress.categories {
                let before = categories.insert(*kind, category.done).unwrap_or(0);
                assert!(category.done >= before && category.done <= category.total, "{kind:?}: {category:?}");
            }
            steps += 1;
        }
    }
    assert!(steps >= 2, "{steps} progress steps");
    assert!((last - 1.0).abs() < f32::EPSILON, "ends at 100 %: {last}");
    assert_eq!(company.id, server.company());
    assert!(app.wakes.load(Ordering::Relaxed) > steps, "every event wakes the UI");
    let copy = copy_of(dir.path(), company.id);
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company.id).unwrap());
    indexes_and_search_are_back(&copy, &dir.path().join("companies").join(format!("{}.comptoir", company.id)));
    let sources: i64 = copy
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM documents WHERE kind IN ('invoice', 'credit_note') AND status <> 'draft')
                  + (SELECT count(*) FROM payments)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let listed: i64 = copy
        .connection()
        .query_row("SELECT (SELECT count(*) FROM ledger_dirty) + (SELECT count(*) FROM ledger)", [], |r| r.get(0))
        .unwrap();
    assert!(listed >= sources && sources > 0, "{listed} listed for {sources} sources");
    let grace = app.wait_for("the grace", |e| match e {
        Event::Grace(grace) => Some(*grace),
        _ => None,
    });
    assert_eq!(grace, Grace::Open { left: chrono::Duration::hours(72) });

    // The server goes away: the copy works on, offline, and counts down.
    server.stop();
    app.clock.advance(chrono::Duration::hours(50));
    app.send(Command::SyncNow);
    let SyncState::Offline { since } = app.status("offline", |s| matches!(s, SyncState::Offline { .. })) else {
        unreachable!()
    };
    assert_eq!(since, app.clock.now());
    let left = app.wait_for("the grace warning", |e| match e {
        Event::Notice(Notice::GraceEnding { left }) => Some(*left),
        _ => None,
    });
    assert_eq!(left, chrono::Duration::hours(22));
    let customer = copy.list_contacts(false, 0, 10).unwrap().into_iter().find(|c| c.is_customer).unwrap();
    let mut edited = customer.clone();
    edited.phone = Some("+33 4 72 00 00 00".into());
    app.edit(1, Intent::UpdateContact { contact: edited.clone() }).unwrap();
    assert_eq!(copy.contact(customer.id).unwrap().phone, edited.phone, "the edit shows at once");

    // The grace runs out: edits are refused, with the reason.
    app.clock.advance(chrono::Duration::hours(22));
    let mut archived = edited.clone();
    archived.archived = true;
    let (code, message) = app.edit(2, Intent::UpdateContact { contact: archived }).unwrap_err();
    assert_eq!(code, "read_only_offline");
    assert!(message.contains("read-only"), "{message}");
    assert!(app.seen.iter().any(|e| matches!(e, Event::Grace(Grace::ReadOnly { .. }))));
    assert!(!copy.contact(customer.id).unwrap().archived, "the refused edit changed nothing");

    // The server comes back: the pending edit goes through and editing reopens.
    server.restart().unwrap();
    app.send(Command::NetworkUp);
    app.synced();
    let grace = app.wait_for("the grace", |e| match e {
        Event::Grace(grace) => Some(*grace),
        _ => None,
    });
    assert!(grace.allows_edits());
    assert_eq!(copy.pending_count().unwrap(), 0);
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company.id).unwrap());
    assert_eq!(copy.contact(customer.id).unwrap().phone, edited.phone);
}

#[test]
fn two_factor_sign_in_with_a_wrong_then_a_right_code() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut app = start(dir.path(), &server.url, manual_clock());
    app.wait_for("the server step", |e| matches!(e, Event::Setup(SetupStep::Server { .. })).then_some(()));
    app.send(Command::SetServer { url: server.url.clone() });
    app.wait_for("the sign-in step", |e| matches!(e, Event::Setup(SetupStep::SignIn { .. })).then_some(()));
    app.send(Command::SignIn {
        email: server.accounts.totp_email.clone(),
        password: Secret(server.accounts.totp_password.clone()),
    });
    app.wait_for("the code step", |e| matches!(e, Event::Setup(SetupStep::Code { .. })).then_some(()));
    app.send(Command::SubmitCode { code: "000000".into() });
    let failure = app.wait_for("a failure", |e| match e {
        Event::SetupFailed(error) => Some(error.clone()),
        _ => None,
    });
    assert_eq!(failure, SetupError::WrongCode);
    let code = totp_code(&server.accounts.totp_secret, Utc::now()).unwrap();
    app.send(Command::SubmitCode { code });
    // One company only: no choice, straight to the download.
    let company = app.ready();
    assert_eq!(company.id, server.accounts.companies[0].0);
    assert!(!app.seen.iter().any(|e| matches!(e, Event::Setup(SetupStep::ChooseCompany { .. }))));
}

#[test]
fn a_restart_opens_the_copy_at_once_and_a_sign_out_keeps_the_data() {
    let (server, dir, clock, mut app) = set_up_new(500);
    let company = app.ready();
    app.synced();
    let email = server.accounts.email.clone();
    assert!(app.credentials.load(&email).unwrap().is_some(), "the refresh token is kept");
    app.engine.shutdown();

    let mut app = start(dir.path(), NO_SERVER, clock);
    assert_eq!(app.ready().id, company.id, "opened without signing in again");
    app.synced();
    assert!(!app.seen.iter().any(|e| matches!(e, Event::Setup(SetupStep::Server { .. } | SetupStep::SignIn { .. }))));

    // Switch to the other company without signing out, then back. Its copy is not here:
    // it downloads in the background first, and opens when chosen again.
    let other = server.accounts.companies[0].0;
    app.switch_to_a_company_not_here(other);
    app.send(Command::ChooseCompany { company: company.id });
    assert_eq!(app.ready().id, company.id);

    app.send(Command::SignOut { remove_local_data: false });
    app.wait_for("signed out", |e| matches!(e, Event::SignedOut).then_some(()));
    app.wait_for("the sign-in step", |e| matches!(e, Event::Setup(SetupStep::SignIn { .. })).then_some(()));
    assert_eq!(app.credentials.load(&email).unwrap(), None, "the tokens are gone");
    assert!(
        copy_of(dir.path(), company.id).replica_stats().unwrap()[&comptoir_core::sync::RecordKind::Document].count > 0
    );
}

#[test]
fn notices_for_payments_refused_changes_and_a_moved_file() {
    use comptoir_core::model::{
        Allocation, DocumentId, Payment, PaymentAnomaly, PaymentId, PaymentMethod, PaymentState,
    };
    let (server, dir, clock, mut app) = set_up_new(500);
    let company = app.ready();

    // Another copy, elsewhere, of the same company.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut other = runtime.block_on(async {
        let mut client = comptoir_core::sync::SyncClient::new(&server.url).unwrap();
        client.login(&server.accounts.email, &server.accounts.password).await.unwrap();
        let path = dir.path().join("elsewhere").join("copy.comptoir");
        let (mut link, _) = comptoir_core::engine::Link::create(client, company.id, &path, Utc::now()).await.unwrap();
        link.sync(Utc::now, &mut |_| {}).await.unwrap();
        link
    });
    let sync_other = |other: &mut comptoir_core::engine::Link| {
        runtime.block_on(other.sync(Utc::now, &mut |_| {})).unwrap();
    };
    let unpaid: uuid::Uuid = other
        .store
        .connection()
        .query_row(
            "SELECT id FROM documents WHERE kind = 'invoice' AND status = 'issued' ORDER BY rid LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let invoice = other.store.document(DocumentId(unpaid)).unwrap();
    let gross = invoice.totals().unwrap().gross;
    let pay = |amount| Intent::RecordPayment {
        payment: Payment {
            id: PaymentId::new(),
            contact_id: Some(invoice.contact_id),
            date: invoice.issue_date,
            amount,
            method: PaymentMethod::BankTransfer,
            reference: "VIR".into(),
            allocations: vec![Allocation { document_id: invoice.id, amount }],
        },
    };

    // Paid in full elsewhere: a notice here.
    other.store.submit(&pay(gross)).unwrap();
    sync_other(&mut other);
    app.send(Command::SyncNow);
    let received = app.wait_for("a payment notice", |e| match e {
        Event::Notice(Notice::PaymentReceived(notice)) => Some(notice.clone()),
        _ => None,
    });
    assert_eq!((received.document, received.amount), (invoice.id, gross));
    assert_eq!(received.assessment.after, PaymentState::Paid);
    assert_eq!(received.number, invoice.number);

    // The same amount again: a double payment.
    other.store.submit(&pay(gross)).unwrap();
    sync_other(&mut other);
    app.send(Command::SyncNow);
    let received = app.wait_for("a double payment notice", |e| match e {
        Event::Notice(Notice::PaymentReceived(notice)) => Some(notice.clone()),
        _ => None,
    });
    assert!(matches!(received.assessment.anomaly, Some(PaymentAnomaly::DoublePayment { .. })), "{received:?}");

    // An article code taken elsewhere first: the change made here is refused, and said so.
    let code = "NOTICE-1";
    app.edit(7, Intent::CreateArticle { article: comptoir_tests::fixtures::article(code) }).unwrap();
    other.store.submit(&Intent::CreateArticle { article: comptoir_tests::fixtures::article(code) }).unwrap();
    sync_other(&mut other);
    app.send(Command::SyncNow);
    let (action, refused) = app.wait_for("a refusal notice", |e| match e {
        Event::Notice(Notice::ChangeRejected { action, code, .. }) => Some((*action, code.clone())),
        _ => None,
    });
    assert_eq!((action, refused.as_str()), ("create", "article_code_taken"));

    // The company's file is renamed while the app is closed: found by its id, re-linked.
    app.engine.shutdown();
    let companies = dir.path().join("companies");
    let old = companies.join(format!("{}.comptoir", company.id));
    let renamed = companies.join("Ma société.comptoir");
    std::fs::rename(&old, &renamed).unwrap();
    let mut app = start(dir.path(), NO_SERVER, clock);
    let (expected, found) = app.wait_for("a moved-file notice", |e| match e {
        Event::Notice(Notice::CompanyFileMoved { expected, found, .. }) => Some((expected.clone(), found.clone())),
        _ => None,
    });
    assert_eq!((expected, found.as_deref()), (old, Some(renamed.as_path())));
    app.send(Command::Relink { company: company.id, path: renamed });
    assert_eq!(app.ready().id, company.id);
}

#[test]
fn closing_during_the_first_download_resumes_it_at_the_next_start() {
    let (server, dir, clock, mut app) = set_up_new(60_000);
    let started = app.wait_for("download progress", |e| download_progress(e).filter(|p| p.done() > 0).cloned());
    assert!(started.overall < 1.0);
    // Closed midway: the engine stops after the page it is writing.
    app.engine.shutdown();
    let company = server.company();
    let partial = copy_of(dir.path(), company);
    let done_before: u64 = partial.replica_counts().unwrap().values().sum();
    assert!(partial.last_sync().unwrap().is_none(), "the download had not finished");
    assert!(done_before > 0);

    // The next start resumes from the cursor, counting on from what was there.
    let mut app = start(dir.path(), NO_SERVER, clock);
    let resumed = app.wait_for("resumed progress", |e| download_progress(e).filter(|p| p.done() > 0).cloned());
    assert!(resumed.done() >= done_before, "{} < {done_before}: pages fetched again", resumed.done());
    assert_eq!(app.ready().id, company);
    assert_eq!(partial.replica_stats().unwrap(), server.stats(company).unwrap());
}

#[test]
fn a_fault_in_the_engine_is_reported_to_the_window_not_swallowed() {
    let server = TestServer::start(50).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    let engine = Engine::start(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        default_server: server.url.clone(),
        clock: manual_clock(),
        credentials: Arc::new(comptoir_tests::fixtures::PanickingKeychain),
        wake: Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
        timing: Timing::default(),
    })
    .unwrap();
    let mut app = App {
        engine,
        clock: manual_clock(),
        credentials: Arc::new(FileCredentials::new(&dir.path().join("unused.json"))),
        wakes,
        seen: Vec::new(),
        mark: 0,
    };
    app.wait_for("the server step", |e| matches!(e, Event::Setup(SetupStep::Server { .. })).then_some(()));
    app.send(Command::SetServer { url: server.url.clone() });
    app.wait_for("the sign-in step", |e| matches!(e, Event::Setup(SetupStep::SignIn { .. })).then_some(()));
    let woken_before = app.wakes.load(Ordering::Relaxed);
    app.send(Command::SignIn {
        email: server.accounts.email.clone(),
        password: Secret(server.accounts.password.clone()),
    });
    let SyncState::Stopped { reason } = app.status("the engine's stop", |s| matches!(s, SyncState::Stopped { .. }))
    else {
        unreachable!()
    };
    assert!(reason.contains("keychain fault injected"), "the reason names the fault: {reason}");
    // The engine wakes the window right after it sends the event (never before: a window
    // woken early could look before the event is there), so the wake may trail it a little.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while app.wakes.load(Ordering::Relaxed) <= woken_before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(app.wakes.load(Ordering::Relaxed) > woken_before, "the window was woken to show it");
    // The thread is gone: a command says so instead of waiting forever.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(app.engine.send(Command::SyncNow), Err(comptoir_core::engine::EngineError::Stopped));
}

/// A server restored from a backup hands out again the seqs it had handed out after the
/// backup. Its companies get a new epoch: the engine sees its cursor refused, keeps the old
/// file aside and downloads the company again, so that a change written meanwhile at a
/// re-used seq reaches the copy instead of being skipped. The edits the server had
/// acknowledged after the backup are sent again first: none is lost, and an invoice
/// another device numbered first on the restored server moves this one's number on,
/// which the user is told.
#[test]
fn a_restored_server_backup_gives_a_new_epoch_and_the_copy_downloads_again() {
    use comptoir_core::sync::{LoginResponse, Mutation, Outcome, SyncClient};

    let (mut server, dir, _clock, mut app) = set_up_new(300);
    let company = app.ready();
    app.synced();
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("server.backup");
    server.backup(&backup).unwrap();

    // Edits after the backup: pushed, pulled back; the copy's cursor passes them.
    let copy = copy_of(dir.path(), company.id);
    let customer = copy.list_contacts(false, 0, 10).unwrap().into_iter().find(|c| c.is_customer).unwrap();
    let mut edited = customer.clone();
    for (request, phone) in [(1, "+33 4 72 00 00 01"), (2, "+33 4 72 00 00 02")] {
        edited.phone = Some(phone.into());
        app.edit(request, Intent::UpdateContact { contact: edited.clone() }).unwrap();
    }
    let invoice = comptoir_tests::fixtures::draft_invoice(&customer, 90);
    app.edit(3, Intent::SaveDraft { document: invoice.clone() }).unwrap();
    app.edit(4, Intent::IssueDocument { id: invoice.id }).unwrap();
    app.send(Command::SyncNow);
    app.synced();
    let before = copy.sync_cursor().unwrap().unwrap();
    assert_eq!(copy.pending_count().unwrap(), 0);
    let number = copy.document(invoice.id).unwrap().number.unwrap();
    drop(copy);

    let restored = server.restore(&backup).unwrap();
    let epoch = restored.companies.iter().find(|(id, _)| *id == company.id).unwrap().1;
    assert_ne!(epoch, before.epoch, "a new epoch");

    // Another device writes on the restored server: at a seq the copy has passed already.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (arrived, seq) = runtime.block_on(async {
        let mut device = SyncClient::new(&server.url).unwrap();
        let LoginResponse::SignedIn(tokens) =
            device.login(&server.accounts.email, &server.accounts.password).await.unwrap()
        else {
            panic!("two-factor on the demo account")
        };
        device.set_access_token(Some(tokens.access_token));
        // A customer, and an invoice to them issued before this copy comes back.
        let contact = comptoir_tests::fixtures::new_contact("Arrivée après la restauration");
        let theirs = comptoir_tests::fixtures::draft_invoice(&contact, 40);
        let client_id = uuid::Uuid::now_v7();
        let intents = [
            Intent::CreateContact { contact: contact.clone() },
            Intent::SaveDraft { document: theirs.clone() },
            Intent::IssueDocument { id: theirs.id },
        ];
        let mutations = (1..).zip(intents).map(|(mutation_id, intent)| Mutation { client_id, mutation_id, intent });
        let answer = device.push(company.id, mutations.collect()).await.unwrap();
        let Outcome::Applied { seq, .. } = answer.results[0].outcome else { panic!("{answer:?}") };
        let Outcome::Applied { number: Some(theirs), .. } = &answer.results[2].outcome else { panic!("{answer:?}") };
        assert_eq!(*theirs, number, "the restored server gave again the number this copy's invoice had");
        (contact, seq)
    });
    assert!(seq <= before.seq, "seq {seq} re-used: the copy's cursor was at {}", before.seq);

    // The next sync finds its cursor stale and downloads the company again, once the
    // window has let go of the file (it must be moved aside, which Windows refuses while
    // the file is open).
    let reading = copy_of(dir.path(), company.id);
    app.send(Command::SyncNow);
    let released = app.wait_for("the file asked back", |e| match e {
        Event::ReleaseCompanyFile { company } => Some(*company),
        _ => None,
    });
    assert_eq!(released, company.id);
    assert!(!app.seen.iter().any(|e| matches!(e, Event::Notice(Notice::DownloadedAgain { .. }))), "nothing moved yet");
    drop(reading);
    app.send(Command::CompanyFileReleased { company: company.id });
    let (aside, pending, renumbered) = app.wait_for("the download again", |e| match e {
        Event::Notice(Notice::DownloadedAgain { backup, pending, renumbered, refused }) => {
            assert!(refused.is_empty(), "the restored server refused none: {refused:?}");
            Some((backup.clone(), pending.clone(), renumbered.clone()))
        }
        _ => None,
    });
    assert!(pending.is_empty(), "every edit had reached the server: {pending:?}");
    // The invoice this copy had issued kept its content and took the next number.
    assert_eq!(renumbered.len(), 1, "{renumbered:?}");
    assert_eq!((renumbered[0].document, renumbered[0].before.as_str()), (invoice.id, number.as_str()));
    let aside = aside.unwrap();
    assert!(aside.exists(), "the old file is kept aside");
    // Its path is kept in the app file and shown until the user has seen it.
    let kept = app.wait_for("the kept copies", |e| match e {
        Event::KeptCopies(kept) if !kept.is_empty() => Some(kept.clone()),
        _ => None,
    });
    assert_eq!((kept[0].path.as_path(), kept[0].pending), (aside.as_path(), 0));
    assert_eq!(kept[0].renumbered, renumbered, "and so is the renumbering, until seen");
    // The window opens the new file when it is ready.
    let (ready, path) = app.wait_for("the new file ready", |e| match e {
        Event::Setup(SetupStep::Ready { company, path }) => Some((company.id, path.clone())),
        _ => None,
    });
    assert_eq!(
        (ready, path.as_path()),
        (company.id, dir.path().join("companies").join(format!("{}.comptoir", company.id)).as_path())
    );
    app.synced();
    app.send(Command::ForgetKeptCopy { path: aside.clone() });
    app.wait_for("no kept copy", |e| matches!(e, Event::KeptCopies(kept) if kept.is_empty()).then_some(()));
    assert!(aside.exists(), "dismissing the banner keeps the file");
    let copy = copy_of(dir.path(), company.id);
    assert_eq!(copy.sync_cursor().unwrap().unwrap().epoch, epoch);
    assert_eq!(copy.contact(arrived.id).unwrap(), arrived, "the change at a re-used seq arrived");
    assert_eq!(copy.contact(customer.id).unwrap().phone, edited.phone, "the acknowledged edits were sent again");
    let renumbered_invoice = copy.document(invoice.id).unwrap();
    assert_eq!(renumbered_invoice.number.as_ref(), Some(&renumbered[0].after));
    let before = CompanyStore::open_read_only(&aside).unwrap().document(invoice.id).unwrap();
    assert_eq!(renumbered_invoice.lines, before.lines, "the same content");
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company.id).unwrap());
}

/// A computer hosting the company is restored from the newest of its backups
/// ([`comptoir_server::host_backup`]) while a device has edits waiting: the engine pushes
/// them before its pull finds the epoch stale, so the company downloaded again holds them
/// and nothing waits in the old file kept aside.
#[test]
fn a_host_restored_from_its_backup_folder_keeps_the_edits_a_device_made_offline() {
    use comptoir_server::host_backup::{self, BackupFolder, HostBackupError};

    let (mut server, dir, _clock, mut app) = set_up_new(300);
    let company = app.ready();
    app.synced();
    let folder_dir = tempfile::tempdir().unwrap();
    let folder = BackupFolder::new(folder_dir.path());
    folder.take(server.data_dir(), Utc::now()).unwrap();

    // The host goes down; the device works on, offline.
    server.stop();
    let copy = copy_of(dir.path(), company.id);
    let mut customer = copy.list_contacts(false, 0, 10).unwrap().into_iter().find(|c| c.is_customer).unwrap();
    drop(copy);
    customer.phone = Some("+33 4 72 00 00 07".into());
    app.edit(1, Intent::UpdateContact { contact: customer.clone() }).unwrap();
    let created = comptoir_tests::fixtures::new_contact("Créé hors ligne");
    app.edit(2, Intent::CreateContact { contact: created.clone() }).unwrap();
    app.send(Command::SyncNow);
    app.status("offline", |s| matches!(s, SyncState::Offline { .. }));
    assert_eq!(copy_of(dir.path(), company.id).pending_count().unwrap(), 2);

    // Its data folder is lost; the newest backup is restored in its place.
    for file in ["server.sqlite", "server.sqlite-wal", "server.sqlite-shm", "server.key", "audit-signing.key"] {
        let _ = std::fs::remove_file(server.data_dir().join(file));
    }
    server
        .restore_with(
            |data_dir| host_backup::restore_newest(data_dir, &folder),
            |e: &HostBackupError| e.code() == "backup_refused",
        )
        .unwrap();

    app.send(Command::SyncNow);
    app.wait_for("the file asked back", |e| matches!(e, Event::ReleaseCompanyFile { .. }).then_some(()));
    app.send(Command::CompanyFileReleased { company: company.id });
    let (aside, pending) = app.wait_for("the download again", |e| match e {
        Event::Notice(Notice::DownloadedAgain { backup, pending, .. }) => Some((backup.clone(), pending.clone())),
        _ => None,
    });
    assert!(pending.is_empty(), "the edits reached the restored host before the download: {pending:?}");
    assert_eq!(CompanyStore::open_read_only(&aside.unwrap()).unwrap().pending_count().unwrap(), 0);
    app.wait_for("the new file ready", |e| matches!(e, Event::Setup(SetupStep::Ready { .. })).then_some(()));
    app.synced();
    let copy = copy_of(dir.path(), company.id);
    assert_eq!(copy.contact(customer.id).unwrap().phone, customer.phone);
    assert_eq!(copy.contact(created.id).unwrap().name, created.name);
    assert_eq!(copy.pending_count().unwrap(), 0);
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company.id).unwrap());
}

#[test]
fn edits_wait_for_their_author_and_another_account_may_discard_them() {
    let (mut server, dir, clock, mut app) = set_up_new(200);
    app.ready();
    // The small company, where the two-factor account is a member too.
    let company = server.accounts.companies[0].0;
    app.switch_to_a_company_not_here(company);
    app.synced();
    let contacts =
        |server: &TestServer| server.stats(company).unwrap()[&comptoir_core::sync::RecordKind::Contact].count;
    let on_server = contacts(&server);

    // The first account edits offline, then signs out, keeping the copy.
    server.stop();
    let theirs = comptoir_tests::fixtures::new_contact("Modifié par le premier compte");
    app.edit(1, Intent::CreateContact { contact: theirs.clone() }).unwrap();
    app.send(Command::SignOut { remove_local_data: false });
    app.wait_for("signed out", |e| matches!(e, Event::SignedOut).then_some(()));
    server.restart().unwrap();

    // Another account signs in on the same computer: its first frame says whose edits wait.
    app.send(Command::SignIn {
        email: server.accounts.totp_email.clone(),
        password: Secret(server.accounts.totp_password.clone()),
    });
    app.wait_for("the code step", |e| matches!(e, Event::Setup(SetupStep::Code { .. })).then_some(()));
    app.send(Command::SubmitCode { code: totp_code(&server.accounts.totp_secret, Utc::now()).unwrap() });
    assert_eq!(app.ready().id, company);
    let waiting = app.wait_for("the edits waiting", |e| match e {
        Event::WaitingEdits(waiting) if !waiting.is_empty() => Some(waiting.clone()),
        _ => None,
    });
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!((waiting[0].name.as_str(), waiting[0].count), (server.accounts.email.as_str(), 1));

    // Its own edit waits behind them: nothing goes in its name but its own, in order.
    let mine = comptoir_tests::fixtures::new_contact("Modifié par le second compte");
    app.edit(2, Intent::CreateContact { contact: mine.clone() }).unwrap();
    app.send(Command::SyncNow);
    app.synced();
    assert_eq!(contacts(&server), on_server, "nothing was pushed in the second account's name");
    assert_eq!(copy_of(dir.path(), company).pending_count().unwrap(), 2);

    // Discarded (the window asked for a confirmation): the first account's edit is gone
    // from the copy, the second account's goes.
    app.send(Command::DiscardEditsOf { author: waiting[0].author });
    app.wait_for("no edits waiting", |e| matches!(e, Event::WaitingEdits(w) if w.is_empty()).then_some(()));
    app.send(Command::SyncNow);
    app.synced();
    assert_eq!(contacts(&server), on_server + 1);
    let copy = copy_of(dir.path(), company);
    assert_eq!(copy.pending_count().unwrap(), 0);
    assert!(copy.contact(theirs.id).is_err(), "the discarded edit is undone in the copy");
    assert_eq!(copy.contact(mine.id).unwrap().name, mine.name);
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company).unwrap());

    // The first account comes back: the next start resumes it, the account that signed
    // in last, not the first by email (the two-factor account's address sorts first).
    assert!(server.accounts.totp_email < server.accounts.email);
    app.send(Command::SignOut { remove_local_data: false });
    app.wait_for("signed out", |e| matches!(e, Event::SignedOut).then_some(()));
    app.send(Command::SignIn {
        email: server.accounts.email.clone(),
        password: Secret(server.accounts.password.clone()),
    });
    assert_eq!(app.ready().id, company);
    app.engine.shutdown();
    let mut app = start(dir.path(), NO_SERVER, clock);
    assert_eq!(app.ready().id, company);
    let email = app.wait_for("signed in", |e| match e {
        Event::SignedIn { email, .. } if !email.is_empty() => Some(email.clone()),
        _ => None,
    });
    assert_eq!(email, server.accounts.email);
}

/// An engine on `dir` whose wake-up call blocks, once `hold` is set, until `released`
/// answers: the engine's thread is then busy in the middle of its work, as in a long
/// write, and nothing the quitting side does can cut it short. `entered` hears of it.
fn busy_engine(
    dir: &Path,
    server: &str,
    hold: Arc<std::sync::atomic::AtomicBool>,
) -> (Engine, std::sync::mpsc::Receiver<()>, std::sync::mpsc::Sender<()>) {
    let (entered_tx, entered) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    let engine = Engine::start(EngineConfig {
        data_dir: dir.to_path_buf(),
        default_server: server.to_owned(),
        clock: Arc::new(ManualClock::new(Utc::now())),
        credentials: Arc::new(FileCredentials::new(&dir.join("credentials.json"))),
        wake: Arc::new(move || {
            if hold.load(Ordering::SeqCst) {
                let _ = entered_tx.send(());
                let _ = released.lock().unwrap().recv();
            }
        }),
        timing: Timing::default(),
    })
    .unwrap();
    (engine, entered, release)
}

/// Quits on a thread of its own, as the window's thread would: the engine told to stop,
/// then dropped. Answers once both have returned.
fn quit(mut engine: Engine) -> std::sync::mpsc::Receiver<comptoir_core::engine::EngineStopping> {
    let (quitted, quitting) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let stopping = engine.stop_in_background().unwrap();
        drop(engine);
        let _ = quitted.send(stopping);
    });
    quitting
}

#[test]
fn quitting_returns_while_the_engine_is_busy_and_the_engine_finishes_on_its_own() {
    let server = TestServer::builder().empty().start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hold = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (engine, entered, release) = busy_engine(dir.path(), &server.url, hold.clone());
    // The engine answers a server test, and is held in the middle of reporting it.
    hold.store(true, Ordering::SeqCst);
    engine.send(Command::TestServer { url: server.url.clone() }).unwrap();
    entered.recv_timeout(WAIT).expect("the engine reports the server test");

    // Quitting returns while the engine is still held: it never joined the busy thread.
    let stopping = quit(engine).recv_timeout(WAIT).expect("quitting returned while the engine was busy");
    assert!(!stopping.is_finished(), "the engine cannot have finished: it is held");
    // Let go, the engine finishes on its own, and says so.
    hold.store(false, Ordering::SeqCst);
    release.send(()).unwrap();
    assert!(stopping.wait(WAIT), "the engine finished once let go");
}

#[test]
fn a_stopped_engine_drops_a_request_the_server_never_answers() {
    // A server that takes connections and never answers: a request to it waits for the
    // client's timeout (two minutes), unless the engine drops it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let (accepted_tx, accepted) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream);
            let _ = accepted_tx.send(());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let hold = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (engine, _, _release) = busy_engine(dir.path(), &url, hold);
    engine.send(Command::TestServer { url: url.clone() }).unwrap();
    accepted.recv_timeout(WAIT).expect("the engine's request reached the silent server");

    let stopping = quit(engine).recv_timeout(WAIT).expect("quitting returned while a request was in flight");
    // The server never answers: the engine can only finish by dropping the request.
    assert!(stopping.wait(WAIT), "the engine dropped the request it waited on, and finished");
}

#[test]
fn a_session_refresh_the_server_answers_while_the_engine_stops_keeps_its_new_token() {
    let server = TestServer::builder().demo(300).start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = manual_clock();
    let mut app = start(dir.path(), NO_SERVER, clock.clone());
    set_up(&mut app, &server);
    let company = app.ready();
    app.synced();
    app.engine.shutdown();
    let first_token = app.credentials.load(&server.accounts.email).unwrap().unwrap();

    // The next start reaches the server through a relay that holds back the answer to
    // the session refresh: the server has spent the kept token, the app has no new one.
    let relay = comptoir_tests::relay::HoldingRelay::start(server.address(), "POST /v1/auth/refresh ").unwrap();
    let kept = AppStore::open(&dir.path().join(AppStore::FILE_NAME)).unwrap();
    assert!(kept.move_server(&server.url, relay.url()).unwrap());
    let app = start(dir.path(), NO_SERVER, clock.clone());
    assert!(relay.wait_held(WAIT), "the refresh reached the server, its answer is held");

    // The window closes now. The engine does not drop that answer: it waits for it.
    let stopping = quit(app.engine).recv_timeout(WAIT).expect("quitting returned while the refresh was held");
    assert!(!stopping.wait(Duration::from_millis(300)), "the engine waits for the refresh it sent");
    relay.release();
    assert!(stopping.wait(WAIT), "the engine finished once answered");
    let second_token = app.credentials.load(&server.accounts.email).unwrap().unwrap();
    assert_ne!(second_token, first_token, "the new refresh token is kept");

    // The start after: the kept token is the live one, the session goes on.
    assert!(kept.move_server(relay.url(), &server.url).unwrap());
    drop(relay);
    let mut app = start(dir.path(), NO_SERVER, clock);
    assert_eq!(app.ready().id, company.id);
    app.synced();
    assert!(
        !app.seen.iter().any(|e| matches!(e, Event::Status(SyncState::SignedOut) | Event::Notice(Notice::NotSignedIn))),
        "still signed in: {:#?}",
        app.seen
    );
}

#[test]
fn a_rate_limited_session_refresh_leaves_the_copy_online_and_busy_not_signed_out() {
    // Three sign-in requests a minute from this address: the setup takes two.
    let limits = comptoir_server::Limits {
        auth_per_address: comptoir_server::rate_limit::Rate { per_minute: 3 },
        ..comptoir_server::Limits::default()
    };
    let server = TestServer::builder().demo(300).limits(limits).start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = manual_clock();
    let mut app = start(dir.path(), NO_SERVER, clock.clone());
    set_up(&mut app, &server);
    let company = app.ready();
    app.synced();
    app.engine.shutdown();
    // Someone else behind the same address spends what is left of its sign-in budget.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refused = (0..10).find(|_| {
        runtime.block_on(server.login("nobody@example.fr", "whatever")).0 == reqwest::StatusCode::TOO_MANY_REQUESTS
    });
    assert!(refused.is_some(), "the address's budget is spent");

    // The next start opens the copy; refreshing its session is refused for a while.
    let mut app = start(dir.path(), NO_SERVER, clock.clone());
    assert_eq!(app.ready().id, company.id);
    let SyncState::Busy { retry_at } = app.status("busy", |s| matches!(s, SyncState::Busy { .. })) else {
        unreachable!()
    };
    // One token every 20 s: the engine waits at least that long before trying again.
    assert!(retry_at >= clock.now() + chrono::Duration::seconds(1), "{retry_at}");
    assert!(
        !app.seen.iter().any(|e| matches!(
            e,
            Event::Status(SyncState::SignedOut | SyncState::Offline { .. } | SyncState::Error { .. })
                | Event::Notice(Notice::NotSignedIn | Notice::SyncFailed { .. })
        )),
        "online, signed in, nothing to report: {:#?}",
        app.seen
    );
    assert!(app.credentials.load(&server.accounts.email).unwrap().is_some(), "the session is kept");
}

#[test]
fn queued_e_mails_wait_while_the_smtp_server_is_down_and_leave_after_the_next_sync() {
    use comptoir_core::mail::{Attachment, OutgoingMail, Security, SmtpSettings, new_message_id, save_password};
    use comptoir_tests::smtp::SmtpSink;

    let (_server, dir, clock, mut app) = set_up_new(200);
    let company = app.ready();
    app.synced();
    // What the window's "Envoyer par e-mail" will do: settings, password, a queued message.
    let path = dir.path().join("companies").join(format!("{}.comptoir", company.id));
    let mut store = CompanyStore::open(&path).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: Some("factures".into()),
        sender_address: "factures@example.fr".into(),
        sender_name: "Atelier".into(),
        reply_to: None,
    };
    store.save_mail_settings(&settings).unwrap();
    save_password(app.credentials.as_ref(), company.id, "mot de passe").unwrap();
    let mail = OutgoingMail {
        to: vec!["client@example.be".into()],
        cc: Vec::new(),
        subject: "Facture F-1".into(),
        body: "Bonjour,\nVeuillez trouver la facture ci-jointe.\n".into(),
        attachments: vec![Attachment { name: "F-1.pdf".into(), mime: "application/pdf".into(), bytes: vec![37; 4096] }],
    };
    let message_id = new_message_id(&settings);
    let id = store.queue_mail(&mail, &message_id, None, clock.now()).unwrap();

    // The SMTP server is down: the message waits, its error kept.
    app.send(Command::SendMail);
    let pass = app.wait_for("a mail pass", |e| match e {
        Event::MailPass(pass) => Some(pass.clone()),
        _ => None,
    });
    assert!(pass.sent.is_empty() && pass.failed.is_empty(), "{pass:?}");
    assert_eq!(pass.waiting, 1);
    let waiting = store.queued_mail(id).unwrap();
    assert_eq!((waiting.attempts, waiting.last_error_code.as_deref()), (1, Some("smtp_unreachable")));

    // Up again: the next sync sends it (once its retry is due).
    let sink = SmtpSink::start(&dir.path().join("smtp"), port, Some(("factures", "mot de passe"))).unwrap();
    clock.advance(chrono::Duration::minutes(2));
    app.send(Command::SyncNow);
    let pass = app.wait_for("a mail pass that sent", |e| match e {
        Event::MailPass(pass) if !pass.sent.is_empty() => Some(pass.clone()),
        _ => None,
    });
    assert_eq!((pass.sent, pass.waiting), (vec![id], 0));
    let received = sink.wait_at_most(2, Duration::from_millis(300));
    assert_eq!(received.len(), 1, "sent once");
    assert_eq!(received[0]["message_id"], message_id.as_str());
    assert_eq!(received[0]["subject"], "Facture F-1");
    assert_eq!(received[0]["authenticated"], true, "with the password from the credentials store");
    assert!(matches!(store.queued_mail(id).unwrap().state, comptoir_core::store::MailState::Sent { .. }));

    // A recipient the server refuses for good: the bell says so, with the reason.
    let refused = OutgoingMail { to: vec!["refused@example.be".into()], ..mail };
    store.queue_mail(&refused, &new_message_id(&settings), None, clock.now()).unwrap();
    app.send(Command::SendMail);
    let (code, message) = app.wait_for("the failure notice", |e| match e {
        Event::Notice(Notice::MailFailed { code, message }) => Some((code.clone(), message.clone())),
        _ => None,
    });
    assert!(!code.is_empty() && !message.is_empty());
    assert_eq!(sink.wait_at_most(2, Duration::from_millis(300)).len(), 1, "nothing more arrived");
}

/// One of the copy's ledger rows: (date, fingerprint), `None` when the source has none.
fn ledger_row(copy: &CompanyStore, source: uuid::Uuid) -> Option<(Option<String>, Option<String>)> {
    use rusqlite::OptionalExtension as _;
    copy.connection()
        .query_row("SELECT date, fingerprint FROM ledger WHERE source_id = ?1", [source], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .unwrap()
}

/// Issue 18: the engine takes commands between the pages of a first download. Edits made
/// while it runs are applied at once, before its end; they reach the server once, and
/// the books derived after the download count them (the ledger's triggers are set aside
/// while pages are written, and lent back for the edits).
#[test]
fn edits_during_the_first_download_are_applied_before_its_end_and_reach_the_server_once() {
    use comptoir_core::model::{DocumentKind, DocumentStatus, PaymentId};
    let (server, dir, _clock, mut app) = set_up_new(60_000);
    let company = server.company();
    let issued_before = server_issued_invoices(&server, company);
    // The company opens after its first page, long before the end: the window is told.
    let path = app.wait_for("the copy usable", |e| match e {
        Event::CopyUsable { company: usable, path } if usable.id == company => Some(path.clone()),
        Event::Setup(SetupStep::Ready { .. }) => panic!("the download ended before the copy could open"),
        _ => None,
    });
    // Once the newest documents are in, the window's list shows them: its first page is
    // the server's newest invoices, read through an index as at the end (no scan).
    app.wait_for("documents arriving", |e| {
        let documents = download_progress(e)?.categories.get(&comptoir_core::sync::RecordKind::Document).copied();
        documents.is_some_and(|d| d.done > 0 && d.done < d.total).then_some(())
    });
    let reader = CompanyStore::open_read_only(&path).unwrap();
    assert!(reader.last_sync().unwrap().is_none(), "the download goes on");
    let invoices = comptoir_core::store::DocumentFilter::kind(DocumentKind::Invoice);
    let (sort, newest_first, first) = (
        comptoir_core::store::DocumentSort::Date,
        comptoir_core::store::SortDirection::Descending,
        comptoir_core::store::PageRequest::First,
    );
    let page = reader.list_documents(&invoices, sort, newest_first, &first, 50).unwrap();
    assert_eq!(page.rows.len(), 50);
    assert_eq!(page.rows[0].issue_date, server_newest_invoice_date(&server, company));
    let plan = reader.list_documents_plan(&invoices, sort, newest_first, &first, 50).unwrap().join(" | ");
    assert!(plan.contains("USING INDEX documents_by_date"), "{plan}");
    assert!(
        app.seen
            .iter()
            .any(|e| matches!(e, Event::Status(SyncState::Downloading { progress }) if progress.overall < 1.0)),
        "the status bar follows the download"
    );
    // The payments have begun to arrive (after the settings, contacts, articles and
    // documents); the audit trail is still to come.
    app.wait_for("payments arriving", |e| {
        let payments = download_progress(e)?.categories.get(&comptoir_core::sync::RecordKind::Payment).copied();
        payments.is_some_and(|p| p.done > 0 && p.done < p.total).then_some(())
    });
    let copy = copy_of(dir.path(), company);
    assert!(copy.last_sync().unwrap().is_none(), "the download has not ended");
    let customer = copy.list_contacts(false, 0, 50).unwrap().into_iter().find(|c| c.is_customer).unwrap();
    // A payment derived as its page was written (its payer was here).
    let payment: uuid::Uuid = copy
        .connection()
        .query_row(
            "SELECT p.id FROM payments p JOIN ledger l ON l.source_id = p.id WHERE l.fingerprint IS NOT NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();

    let invoice = comptoir_tests::fixtures::draft_invoice(&customer, 90);
    app.edit(1, Intent::SaveDraft { document: invoice.clone() }).unwrap();
    app.edit(2, Intent::IssueDocument { id: invoice.id }).unwrap();
    app.edit(3, Intent::CancelPayment { id: PaymentId(payment), reason: "saisi deux fois".into() }).unwrap();
    assert!(
        !app.seen.iter().any(|e| matches!(e, Event::Setup(SetupStep::Ready { .. }))),
        "the edits were answered before the download ended"
    );
    assert_eq!(copy.document(invoice.id).unwrap().status, DocumentStatus::Issued, "applied to the copy at once");

    assert_eq!(app.ready().id, company);
    app.synced();
    app.wait_for("the ledger derived", |e| matches!(e, Event::LedgerChanged).then_some(()));
    // Once on the server: one more issued invoice, and the copy equals the server.
    assert_eq!(server_issued_invoices(&server, company), issued_before + 1);
    assert_eq!(copy.pending_count().unwrap(), 0);
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company).unwrap());
    let issued = copy.document(invoice.id).unwrap();
    assert_eq!((issued.kind, issued.status), (DocumentKind::Invoice, DocumentStatus::Issued));
    assert!(issued.number.is_some());
    // The books count both edits: the new invoice booked, the cancelled payment no more.
    assert!(ledger_row(&copy, invoice.id.0).is_some_and(|(_, fingerprint)| fingerprint.is_some()));
    assert_eq!(ledger_row(&copy, payment), Some((None, None)), "the cancelled payment leaves the books");
}

/// Issue 18, with a server that keeps the company's file ready: the company opens after
/// its first pages, the server's copy comes and is checked beside them, and the window
/// is asked to let go of the file before the copy takes its place. Edits made until
/// then (here while the engine waits for the window) come along into the copy, show
/// there at once, and reach the server once; the copy ends equal to the server's.
#[test]
fn edits_made_before_the_servers_copy_takes_the_files_place_come_along_and_reach_the_server_once() {
    use comptoir_core::model::{DocumentKind, DocumentStatus};
    let server = TestServer::builder().demo(20_000).copies_from(1).start().unwrap();
    server.refresh_copies().unwrap();
    let company = server.company();
    let issued_before = server_issued_invoices(&server, company);
    let dir = tempfile::tempdir().unwrap();
    let mut app = start(dir.path(), NO_SERVER, manual_clock());
    set_up(&mut app, &server);
    let path = app.wait_for("the copy usable", |e| match e {
        Event::CopyUsable { company: usable, path } if usable.id == company => Some(path.clone()),
        Event::Setup(SetupStep::Ready { .. }) => panic!("the download ended before the copy could open"),
        _ => None,
    });
    app.wait_for("the server's copy", |e| match e {
        Event::CopyArrived { company: arrived } if *arrived == company => Some(()),
        Event::Setup(SetupStep::Ready { .. }) => panic!("the download ended without the server's copy"),
        _ => None,
    });
    // The window has not let go of the file yet: the edits go to the file the pages began.
    let copy = CompanyStore::open_read_only(&path).unwrap();
    assert!(!copy.is_whole_copy().unwrap(), "still the file of the first pages");
    let customer = copy.list_contacts(false, 0, 50).unwrap().into_iter().find(|c| c.is_customer).unwrap();
    drop(copy);
    let invoice = comptoir_tests::fixtures::draft_invoice(&customer, 90);
    app.edit(1, Intent::SaveDraft { document: invoice.clone() }).unwrap();
    app.edit(2, Intent::IssueDocument { id: invoice.id }).unwrap();
    app.send(Command::CompanyFileReleased { company });
    let reopened = app.wait_for("the file opened again", |e| match e {
        Event::CopyUsable { company: usable, path } if usable.id == company => Some(path.clone()),
        _ => None,
    });
    assert_eq!(reopened, path, "the copy in the file's place");
    let copy = CompanyStore::open_read_only(&path).unwrap();
    assert_eq!(copy.document(invoice.id).unwrap().status, DocumentStatus::Issued, "the edits came along");
    assert_eq!(app.ready().id, company);
    app.synced();
    assert!(copy.is_whole_copy().unwrap() && copy.last_sync().unwrap().is_some());
    assert_eq!(server_issued_invoices(&server, company), issued_before + 1, "once on the server");
    assert_eq!(copy.pending_count().unwrap(), 0);
    assert_eq!(copy.replica_stats().unwrap(), server.stats(company).unwrap());
    let issued = copy.document(invoice.id).unwrap();
    assert_eq!((issued.kind, issued.status), (DocumentKind::Invoice, DocumentStatus::Issued));
    assert!(issued.number.is_some());
    for side in ["received", "takeover", "replaced"] {
        assert!(!std::path::PathBuf::from(format!("{}.{side}", path.display())).exists(), "{side} left");
    }
}

/// The newest issue date of `company`'s invoices on the server.
fn server_newest_invoice_date(server: &TestServer, company: comptoir_core::model::CompanyId) -> chrono::NaiveDate {
    server_invoices(server, company).map(|invoice| invoice.issue_date).max().unwrap_or(chrono::NaiveDate::MIN)
}

/// How many issued invoices the server's log holds for `company`.
fn server_issued_invoices(server: &TestServer, company: comptoir_core::model::CompanyId) -> usize {
    server_invoices(server, company)
        .filter(|invoice| invoice.status != comptoir_core::model::DocumentStatus::Draft)
        .count()
}

/// `company`'s invoices on the server.
fn server_invoices(
    server: &TestServer,
    company: comptoir_core::model::CompanyId,
) -> impl Iterator<Item = comptoir_core::model::Document> {
    server.live_records(company).unwrap().into_iter().filter_map(|body| match body {
        comptoir_core::sync::RecordBody::Document(record)
            if record.document.kind == comptoir_core::model::DocumentKind::Invoice =>
        {
            Some(record.document)
        }
        _ => None,
    })
}
