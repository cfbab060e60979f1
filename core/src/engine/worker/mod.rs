//! The engine's thread: one task that owns the app file, the active company's copy and
//! the session, and handles commands and timers one at a time.

mod background;
mod company;
mod edits;
mod join;
mod mail;
mod members;
mod posting;
mod session;
mod sync;

use self::session::{account_refusal, setup_error};
use super::outlet::Outlet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::link::Link;
use super::{AccountEvent, Backoff, Command, CompanyChoice, EngineConfig, Event, Grace, Secret, SetupError, SyncState};
use crate::model::UserId;
use crate::store::{AppStore, StoreError};
use crate::sync::{AccountView, ClientError, SyncClient};

/// The folder of company files inside the data directory.
const COMPANIES_DIR: &str = "companies";
/// The personal settings the app file keeps for the UI.
pub(super) const PREFERENCES: [&str; 4] = ["language", "notify-payments", "notify-refusals", "notify-sync"];

/// How the engine is told to stop: `download` stops a download at its next page, `all`
/// drops whatever waits (see [`Worker::run`]).
pub(super) struct Stop {
    pub download: Arc<AtomicBool>,
    pub all: tokio::sync::watch::Receiver<bool>,
}

impl Stop {
    /// Resolves once the engine is told to stop (or its handle is gone).
    fn requested(&self) -> impl Future<Output = ()> + use<> {
        let mut all = self.all.clone();
        async move {
            let _ = all.wait_for(|stop| *stop).await;
        }
    }
}

/// What woke the worker up.
enum Wake {
    Command(Option<Command>),
    /// The open company's next sync is due.
    Sync,
    /// The ledger has sources to derive again.
    Ledger,
    /// The background download goes on.
    Aside,
    /// Events wait for room in the window's channel.
    Flush,
}

/// The commands the window sends, and how many of them wait (see [`Link::waiting_commands`]).
pub(super) struct Commands {
    pub receiver: Receiver<Command>,
    pub waiting: Arc<AtomicUsize>,
}

/// Counts a command off `waiting` once taken (never below zero: a command sent without
/// being counted, as the stop's, takes nothing off).
pub(super) fn count_off(waiting: &AtomicUsize) {
    let _ = waiting.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
}

pub(super) fn run(config: EngineConfig, commands: Commands, events: Outlet, stop: Stop) {
    let (report, wake) = (events.clone(), Arc::clone(&config.wake));
    // A fault (a panic) in the engine must not leave the window waiting for events that
    // never come: it is reported as the last status, and the window says so.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve(config, commands, events, stop)));
    if let Err(panic) = outcome {
        let reason = crate::panic_reason(panic.as_ref());
        tracing::error!(%reason, "the engine stopped on a fault");
        let _ = report.send(Event::Status(SyncState::Stopped { reason }));
        wake();
    }
}

fn serve(config: EngineConfig, commands: Commands, events: Outlet, stop: Stop) {
    // One worker thread besides this one: the next page of a download is fetched there
    // while this thread writes the current one.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("comptoir-engine-io")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = events.send(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
            (config.wake)();
            return;
        }
    };
    runtime.block_on(async move {
        match Worker::new(config, events, stop.download.clone(), Arc::clone(&commands.waiting)) {
            Ok(mut worker) => worker.run(commands.receiver, &stop).await,
            Err(failed) => {
                let (config, events, e) = *failed;
                tracing::error!(error = %e, "the engine cannot open its files");
                let _ = events.send(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
                (config.wake)();
            }
        }
    });
    // The worker has ended, its files closed. A check of a server's copy still running
    // on a blocking thread (seconds, for a large company) is not waited for: what it
    // received is deleted at the next download.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
}

struct Worker {
    config: EngineConfig,
    events: Outlet,
    app: AppStore,
    server: String,
    /// The signed-in session's access token; refreshed from the stored refresh token.
    access: Option<String>,
    /// A session refresh in flight (see [`Worker::refresh_session`]).
    refreshing: Option<session::RefreshTask>,
    email: Option<String>,
    user: Option<UserId>,
    challenge: Option<String>,
    account: Option<AccountView>,
    link: Option<Link>,
    active: Option<CompanyChoice>,
    state: SyncState,
    grace: Option<Grace>,
    grace_warned: bool,
    /// While the open company's first download is under way: when it last heard from the
    /// server (a page written), and the grace the server grants. Edits made meanwhile
    /// count their grace from there, as they would from a completed sync.
    download_heard: Option<(DateTime<Utc>, u32)>,
    backoff: Backoff,
    next_sync: Option<Instant>,
    /// No sync before this: the server answered busy and asked for a wait.
    not_before: Option<Instant>,
    offline_since: Option<DateTime<Utc>>,
    /// When the host of the local network was last looked for by mDNS (see
    /// [`crate::lan::discovery`]), so that an unreachable host is looked for at most
    /// every few minutes.
    last_discovery: Option<std::time::Instant>,
    stopping: Arc<AtomicBool>,
    /// How many commands wait: the open company's download pauses for them.
    waiting_commands: Arc<AtomicUsize>,
    /// Sources of accounting entries may have changed: derive them again, a chunk at a
    /// time between commands.
    ledger_work: bool,
    /// A download again waiting for the window to let go of the company's file.
    redownload: Option<company::Redownload>,
    /// The server's copy of the open company waits to replace its file until the window
    /// lets go of it ([`Event::CopyArrived`]), or until then.
    copy_release: Option<Instant>,
    /// Another company downloading while the open one stays in use.
    background: Option<background::Background>,
}

type Failed = Box<(EngineConfig, Outlet, StoreError)>;

impl Worker {
    fn new(
        config: EngineConfig,
        events: Outlet,
        stopping: Arc<AtomicBool>,
        waiting_commands: Arc<AtomicUsize>,
    ) -> Result<Self, Failed> {
        let app = match std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StoreError::Io { path: config.data_dir.clone(), source })
            .and_then(|()| AppStore::open(&config.data_dir.join(AppStore::FILE_NAME)))
        {
            Ok(app) => app,
            Err(e) => return Err(Box::new((config, events, e))),
        };
        let server = app.server_url().ok().flatten().unwrap_or_else(|| config.default_server.clone());
        // Jitter must differ between copies, even under a test's manual clock.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let seed = (u64::from(std::process::id()) << 32) ^ u64::from(nanos);
        let backoff = Backoff::new(config.timing.retry_min, config.timing.retry_max, seed);
        Ok(Self {
            config,
            events,
            app,
            server,
            access: None,
            refreshing: None,
            email: None,
            user: None,
            challenge: None,
            account: None,
            link: None,
            active: None,
            state: SyncState::Idle,
            grace: None,
            grace_warned: false,
            download_heard: None,
            backoff,
            next_sync: None,
            not_before: None,
            offline_since: None,
            last_discovery: None,
            stopping,
            waiting_commands,
            ledger_work: false,
            redownload: None,
            copy_release: None,
            background: None,
        })
    }

    /// Handles commands and timers until told to stop. Once told, work that waits (a
    /// request in flight, mostly) is dropped at its next wait: the copy is only written in
    /// whole transactions, and a download resumes from its cursor at the next start. The
    /// commands sent before the stop are still handled, as far as they go without waiting
    /// (local edits are written), then the worker ends and its files close.
    async fn run(&mut self, mut commands: Receiver<Command>, stop: &Stop) {
        tokio::select! {
            biased;
            () = self.resume() => {}
            () = stop.requested() => {}
        }
        loop {
            let next = self.next_sync;
            let due = async move {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let aside = self.background.as_ref().map(|b| b.next);
            let aside_due = async move {
                match aside {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let wake = tokio::select! {
                biased;
                command = commands.recv() => Wake::Command(command),
                () = due => Wake::Sync,
                () = std::future::ready(()), if self.ledger_work => Wake::Ledger,
                // The open company first: another one downloads when it has nothing to do.
                () = aside_due => Wake::Aside,
                // Events the window has not taken yet go out as it makes room.
                () = tokio::time::sleep(std::time::Duration::from_millis(20)), if self.events.waiting() => Wake::Flush,
            };
            let command = match wake {
                Wake::Command(command) => command,
                Wake::Sync => {
                    self.next_sync = None;
                    tokio::select! {
                        biased;
                        () = self.sync() => {}
                        () = stop.requested() => {}
                    }
                    self.ledger_work = self.link.is_some();
                    continue;
                }
                Wake::Ledger => {
                    self.ledger_step();
                    continue;
                }
                Wake::Aside => {
                    // A command cuts a stretch of the background download short, even in
                    // the middle of a request: it goes on from its last page written.
                    tokio::select! {
                        biased;
                        () = stop.requested() => continue,
                        command = commands.recv() => command,
                        () = self.background_step() => continue,
                    }
                }
                Wake::Flush => {
                    self.events.flush();
                    (self.config.wake)();
                    continue;
                }
            };
            match command {
                None | Some(Command::Shutdown) => break,
                Some(command) => {
                    count_off(&self.waiting_commands);
                    tokio::select! {
                        biased;
                        () = self.handle(command) => {}
                        () = stop.requested() => {}
                    }
                    self.ledger_work = self.link.is_some();
                }
            }
        }
        self.settle_refresh().await;
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
        (self.config.wake)();
    }

    fn set_state(&mut self, state: SyncState) {
        if self.state != state {
            self.state = state.clone();
            self.emit(Event::Status(state));
        }
    }

    fn sync_soon(&mut self, delay: std::time::Duration) {
        let at = Instant::now() + delay;
        self.next_sync = Some(self.next_sync.map_or(at, |current| current.min(at)));
    }

    fn companies_dir(&self) -> PathBuf {
        self.config.data_dir.join(COMPANIES_DIR)
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::SetServer { url } => self.set_server(url).await,
            Command::ChangePassword { current, new } => {
                let result = self.with_session(async |client| client.change_password(&current.0, &new.0).await).await;
                self.emit(Event::Account(match result {
                    Ok(()) => AccountEvent::PasswordChanged,
                    Err(e) => account_refusal(true, &e),
                }));
            }
            Command::StartTwoFactor => {
                let result = self.with_session(async |client| client.totp_setup().await).await;
                self.emit(Event::Account(match result {
                    Ok(setup) => {
                        AccountEvent::TwoFactorSetup { secret: Secret(setup.secret), uri: Secret(setup.otpauth_uri) }
                    }
                    Err(e) => account_refusal(false, &e),
                }));
            }
            Command::EnableTwoFactor { password, code } => {
                let result = self.with_session(async |client| client.totp_enable(&password.0, code.trim()).await).await;
                self.emit(Event::Account(match result {
                    Ok(()) => AccountEvent::TwoFactor { enabled: true },
                    Err(e) => account_refusal(false, &e),
                }));
            }
            Command::DisableTwoFactor { password, code } => {
                let result =
                    self.with_session(async |client| client.totp_disable(&password.0, code.trim()).await).await;
                self.emit(Event::Account(match result {
                    Ok(()) => AccountEvent::TwoFactor { enabled: false },
                    Err(e) => account_refusal(false, &e),
                }));
            }
            Command::Post { from, to, digest } => {
                let event = self.post(from, to, &digest).await;
                self.emit(Event::Accounting(event));
            }
            Command::Members(change) => {
                let event = self.change_members(change).await;
                self.emit(Event::Members(event));
            }
            Command::TestServer { url } => {
                let check = async {
                    let client = SyncClient::new(&url)?;
                    client.check().await
                };
                let result = check.await.map_err(|e| setup_error(&e, &url));
                self.emit(Event::ServerTested { url, result });
            }
            Command::SignIn { email, password } => self.sign_in(email, password.0).await,
            Command::SubmitCode { code } => self.submit_code(code).await,
            Command::Join { invitation, device_name } => self.join(&invitation, &device_name).await,
            Command::LocalHostAt { address } => {
                if self.follow_local_host(&address) {
                    self.backoff.reset();
                    self.sync().await;
                }
            }
            Command::ChooseCompany { company } => self.choose(company).await,
            Command::SignOut { remove_local_data } => self.sign_out(remove_local_data).await,
            Command::SyncNow | Command::NetworkUp => {
                self.backoff.reset();
                self.sync().await;
            }
            Command::Edit { request, intent } => self.edit(request, &intent),
            Command::DiscardEditsOf { author } => self.discard_edits_of(author),
            Command::CompanyFileReleased { company } => self.file_released(company).await,
            Command::ForgetKeptCopy { path } => {
                if let Err(e) = self.app.forget_kept_copy(&path) {
                    tracing::warn!(error = %e, "the kept copy could not be dismissed");
                }
                self.report_kept_copies();
            }
            Command::Relink { company, path } => self.relink(company, &path).await,
            Command::SetPreference { key, value } => {
                if !PREFERENCES.contains(&key.as_str()) {
                    tracing::warn!(key, "not a known preference; not kept");
                } else if let Err(e) = self.app.set_setting(&key, &value) {
                    tracing::warn!(key, error = %e, "a preference could not be kept");
                }
            }
            Command::SendMail => {
                let pass = self.send_mail().await;
                self.report_mail(pass);
            }
            Command::SaveMailSettings { settings, password } => self.save_mail_settings(&settings, password),
            Command::SaveMailTemplate { language, template } => self.save_mail_template(language, template.as_ref()),
            Command::QueueMail { request, document, mail } => self.queue_mail(request, document, &mail).await,
            Command::SendTestMail { mail } => self.send_test_mail(&mail).await,
            Command::Shutdown => {}
        }
    }

    fn client(&self) -> Result<SyncClient, ClientError> {
        let mut client = SyncClient::new(&self.server)?;
        client.set_access_token(self.access.clone());
        Ok(client)
    }
}
