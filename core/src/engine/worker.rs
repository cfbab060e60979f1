//! The engine's thread: one task that owns the app file, the active company's copy and
//! the session, and handles commands and timers one at a time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;

use super::link::{ErrorKind, Link};
use super::{
    AccountEvent, AccountingEvent, Backoff, Command, CompanyChoice, EngineConfig, Event, Grace, MemberChange,
    MembersEvent, Notice, Progress, Secret, SetupError, SetupStep, SyncState,
};
use crate::model::{CompanyId, Role, UserId};
use crate::store::{AppStore, CompanyFileCheck, LocalAccount, LocalCompany, StoreError};
use crate::sync::{AccountView, ClientError, LoginResponse, SyncClient, Tokens};

/// The folder of company files inside the data directory.
const COMPANIES_DIR: &str = "companies";
/// The personal settings the app file keeps for the UI.
pub(super) const PREFERENCES: [&str; 4] = ["language", "notify-payments", "notify-refusals", "notify-sync"];
/// Warn when less than this is left of the grace period.
const GRACE_WARNING_HOURS: i64 = 24;

pub(super) fn run(config: EngineConfig, commands: Receiver<Command>, events: Sender<Event>, stopping: Arc<AtomicBool>) {
    let (report, wake) = (events.clone(), Arc::clone(&config.wake));
    // A fault (a panic) in the engine must not leave the window waiting for events that
    // never come: it is reported as the last status, and the window says so.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve(config, commands, events, stopping)));
    if let Err(panic) = outcome {
        let reason = crate::panic_reason(panic.as_ref());
        tracing::error!(%reason, "the engine stopped on a fault");
        let _ = report.send(Event::Status(SyncState::Stopped { reason }));
        wake();
    }
}

fn serve(config: EngineConfig, commands: Receiver<Command>, events: Sender<Event>, stopping: Arc<AtomicBool>) {
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
        match Worker::new(config, events, stopping) {
            Ok(mut worker) => worker.run(commands).await,
            Err(failed) => {
                let (config, events, e) = *failed;
                tracing::error!(error = %e, "the engine cannot open its files");
                let _ = events.send(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
                (config.wake)();
            }
        }
    });
}

struct Worker {
    config: EngineConfig,
    events: Sender<Event>,
    app: AppStore,
    server: String,
    /// The signed-in session's access token; refreshed from the stored refresh token.
    access: Option<String>,
    email: Option<String>,
    user: Option<UserId>,
    challenge: Option<String>,
    account: Option<AccountView>,
    link: Option<Link>,
    active: Option<CompanyChoice>,
    state: SyncState,
    grace: Option<Grace>,
    grace_warned: bool,
    backoff: Backoff,
    next_sync: Option<Instant>,
    offline_since: Option<DateTime<Utc>>,
    stopping: Arc<AtomicBool>,
    /// Sources of accounting entries may have changed: derive them again, a chunk at a
    /// time between commands.
    ledger_work: bool,
}

/// Sources derived again per step: a step takes tens of milliseconds, so commands wait
/// no longer than that.
const LEDGER_CHUNK: u32 = 2_000;

/// A posting's request stays well under the server's body limit.
const POSTING_BYTES: usize = 800 * 1024;

/// Pending entries read (and derived) at a time while posting.
const POSTING_PAGE: usize = 2_000;

type Failed = Box<(EngineConfig, Sender<Event>, StoreError)>;

impl Worker {
    fn new(config: EngineConfig, events: Sender<Event>, stopping: Arc<AtomicBool>) -> Result<Self, Failed> {
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
            email: None,
            user: None,
            challenge: None,
            account: None,
            link: None,
            active: None,
            state: SyncState::Idle,
            grace: None,
            grace_warned: false,
            backoff,
            next_sync: None,
            offline_since: None,
            stopping,
            ledger_work: false,
        })
    }

    async fn run(&mut self, mut commands: Receiver<Command>) {
        self.resume().await;
        loop {
            let next = self.next_sync;
            let due = async move {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => {
                        self.handle(command).await;
                        self.ledger_work = self.link.is_some();
                    }
                },
                () = due => {
                    self.next_sync = None;
                    self.sync().await;
                    self.ledger_work = self.link.is_some();
                }
                () = std::future::ready(()), if self.ledger_work => self.ledger_step(),
            }
        }
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

    /// At start: reopen what was set up here, or start the setup flow.
    async fn resume(&mut self) {
        let preferences = PREFERENCES
            .iter()
            .filter_map(|key| Some(((*key).to_owned(), self.app.setting(key).ok().flatten()?)))
            .collect();
        self.emit(Event::Preferences(preferences));
        let account = self.app.accounts().ok().and_then(|accounts| accounts.into_iter().next());
        let Some(account) = account else {
            self.emit(Event::Setup(SetupStep::Server { url: self.server.clone() }));
            return;
        };
        self.server.clone_from(&account.server_url);
        self.email = Some(account.email.clone());
        self.user = Some(account.user_id);
        let signed_in = matches!(self.config.credentials.load(&account.email), Ok(Some(_)));
        if let Some(active) = self.app.active_company().ok().flatten() {
            let choice =
                CompanyChoice { id: active.company_id, name: active.name.clone(), role: Role::ReadOnly, local: true };
            self.open_company(choice).await;
        } else if signed_in {
            match self.refresh_session().await {
                Ok(()) => self.after_sign_in().await,
                Err(e) => {
                    // No company to open yet: the user signs in again (or retries).
                    if matches!(e, ClientError::Unreachable(_)) {
                        self.emit(Event::SetupFailed(setup_error(&e, &self.server)));
                    }
                    let step = SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() };
                    self.emit(Event::Setup(step));
                }
            }
        }
        if !signed_in {
            self.set_state(SyncState::SignedOut);
            self.emit(Event::Notice(Notice::NotSignedIn));
            if self.active.is_none() {
                self.emit(Event::Setup(SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() }));
            }
        }
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
            Command::EnableTwoFactor { code } => {
                let result = self.with_session(async |client| client.totp_enable(code.trim()).await).await;
                self.emit(Event::Account(match result {
                    Ok(()) => AccountEvent::TwoFactor { enabled: true },
                    Err(e) => account_refusal(false, &e),
                }));
            }
            Command::DisableTwoFactor { code } => {
                let result = self.with_session(async |client| client.totp_disable(code.trim()).await).await;
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
            Command::ChooseCompany { company } => self.choose(company).await,
            Command::SignOut { remove_local_data } => self.sign_out(remove_local_data).await,
            Command::SyncNow | Command::NetworkUp => {
                self.backoff.reset();
                self.sync().await;
            }
            Command::Edit { request, intent } => self.edit(request, &intent),
            Command::Relink { company, path } => self.relink(company, &path).await,
            Command::SetPreference { key, value } => {
                if !PREFERENCES.contains(&key.as_str()) {
                    tracing::warn!(key, "not a known preference; not kept");
                } else if let Err(e) = self.app.set_setting(&key, &value) {
                    tracing::warn!(key, error = %e, "a preference could not be kept");
                }
            }
            Command::Shutdown => {}
        }
    }

    fn client(&self) -> Result<SyncClient, ClientError> {
        let mut client = SyncClient::new(&self.server)?;
        client.set_access_token(self.access.clone());
        Ok(client)
    }

    async fn set_server(&mut self, url: String) {
        let check = async {
            let client = SyncClient::new(&url)?;
            client.check().await
        };
        match check.await {
            Ok(()) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                if let Err(e) = self.app.set_server_url(&url) {
                    self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
                    return;
                }
                self.server = url;
                self.emit(Event::Setup(SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() }));
            }
            Err(e) => self.emit(Event::SetupFailed(setup_error(&e, &url))),
        }
    }

    async fn sign_in(&mut self, email: String, password: String) {
        let mut client = match SyncClient::new(&self.server) {
            Ok(client) => client,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        match client.login(email.trim(), &password).await {
            Ok(LoginResponse::SignedIn(tokens)) => {
                self.email = Some(email.trim().to_lowercase());
                self.signed_in(&tokens).await;
            }
            Ok(LoginResponse::TotpRequired { challenge, .. }) => {
                self.email = Some(email.trim().to_lowercase());
                self.challenge = Some(challenge);
                self.emit(Event::Setup(SetupStep::Code { email: email.trim().to_owned() }));
            }
            Err(e) => self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        }
    }

    async fn submit_code(&mut self, code: String) {
        let Some(challenge) = self.challenge.clone() else {
            return self.emit(Event::SetupFailed(SetupError::WrongCode));
        };
        let result = async {
            let mut client = SyncClient::new(&self.server)?;
            client.login_totp(&challenge, code.trim()).await
        };
        match result.await {
            Ok(tokens) => {
                self.challenge = None;
                self.signed_in(&tokens).await;
            }
            Err(e) => self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        }
    }

    /// Keeps the session's tokens, then goes on to the company.
    async fn signed_in(&mut self, tokens: &Tokens) {
        self.access = Some(tokens.access_token.clone());
        self.user = Some(UserId(tokens.user_id));
        if let Some(email) = &self.email
            && let Err(e) = self.config.credentials.save(email, &tokens.refresh_token)
        {
            tracing::warn!(error = %e, "the sign-in token could not be kept: the next start asks to sign in again");
        }
        self.after_sign_in().await;
    }

    /// With a session: read the account, then open the active company or ask for one.
    async fn after_sign_in(&mut self) {
        let account = match self.client() {
            Ok(client) => client.account().await,
            Err(e) => Err(e),
        };
        let account = match account {
            Ok(account) => account,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        self.email = Some(account.email.clone());
        self.user = Some(UserId(account.user_id));
        let saved = self.app.upsert_account(&LocalAccount {
            user_id: UserId(account.user_id),
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            server_url: self.server.clone(),
        });
        if let Err(e) = saved {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        let choices = self.choices(&account);
        self.emit(Event::Companies(choices.clone()));
        self.emit(Event::Account(AccountEvent::TwoFactor { enabled: account.totp_enabled }));
        self.account = Some(account);
        let active = self
            .active
            .as_ref()
            .map(|a| a.id)
            .or_else(|| self.app.active_company().ok().flatten().map(|c| c.company_id));
        self.emit(Event::SignedIn { email: self.email.clone().unwrap_or_default(), role: None });
        match (choices.as_slice(), active) {
            ([], _) => self.emit(Event::SetupFailed(SetupError::NoCompany)),
            (_, Some(active)) if choices.iter().any(|c| c.id == active) => self.choose(active).await,
            ([one], _) => self.choose(one.id).await,
            _ => self.emit(Event::Setup(SetupStep::ChooseCompany { companies: choices })),
        }
    }

    /// The account's companies, each marked when its copy is on this machine.
    fn choices(&self, account: &AccountView) -> Vec<CompanyChoice> {
        let known: Vec<CompanyId> = self.app.companies().unwrap_or_default().iter().map(|c| c.company_id).collect();
        account
            .companies
            .iter()
            .map(|m| CompanyChoice {
                id: CompanyId(m.company_id),
                name: m.name.clone(),
                role: m.role,
                local: known.contains(&CompanyId(m.company_id)),
            })
            .collect()
    }

    /// Runs a request of the signed-in user, getting a fresh access token first when
    /// there is none or the server says the one held has expired.
    async fn with_session<T>(
        &mut self,
        request: impl AsyncFn(&SyncClient) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        if self.access.is_none() {
            self.refresh_session().await?;
        }
        match request(&self.client()?).await {
            Err(ClientError::SignedOut) => {
                self.refresh_session().await?;
                request(&self.client()?).await
            }
            other => other,
        }
    }

    /// Gets a new access token from the stored refresh token.
    async fn refresh_session(&mut self) -> Result<(), ClientError> {
        let email = self.email.clone().ok_or(ClientError::SignedOut)?;
        let refresh = self.config.credentials.load(&email).ok().flatten().ok_or(ClientError::SignedOut)?;
        let mut client = SyncClient::new(&self.server)?;
        let tokens = client.refresh(&refresh).await?;
        self.access = Some(tokens.access_token.clone());
        if let Err(e) = self.config.credentials.save(&email, &tokens.refresh_token) {
            tracing::warn!(error = %e, "the new sign-in token could not be kept");
        }
        Ok(())
    }

    /// Reads the account (companies and roles) when this run has not yet, if a session
    /// can be had; offline, the copy goes on with what it knows.
    async fn ensure_account(&mut self) {
        if self.account.is_some() || self.email.is_none() {
            return;
        }
        if self.access.is_none() && self.refresh_session().await.is_err() {
            return;
        }
        let Ok(client) = self.client() else { return };
        if let Ok(account) = client.account().await {
            if let Some(active) = self.active.as_mut()
                && let Some(membership) = account.companies.iter().find(|m| m.company_id == active.id.0)
                && active.role != membership.role
            {
                active.role = membership.role;
                let role = Some(active.role);
                self.emit(Event::SignedIn { email: account.email.clone(), role });
            }
            self.emit(Event::Companies(self.choices(&account)));
            self.emit(Event::Account(AccountEvent::TwoFactor { enabled: account.totp_enabled }));
            self.account = Some(account);
        }
    }

    async fn choose(&mut self, company: CompanyId) {
        self.ensure_account().await;
        let membership = self.account.as_ref().and_then(|a| a.companies.iter().find(|m| m.company_id == company.0));
        let known = self.app.company(company).ok();
        let choice = match (membership, known) {
            (Some(m), known) => {
                CompanyChoice { id: company, name: m.name.clone(), role: m.role, local: known.is_some() }
            }
            (None, Some(known)) => CompanyChoice { id: company, name: known.name, role: Role::ReadOnly, local: true },
            (None, None) => {
                return self.emit(Event::SetupFailed(SetupError::Refused {
                    code: "not_a_member".into(),
                    message: "This account is not a member of this company.".into(),
                }));
            }
        };
        self.open_company(choice).await;
    }

    /// Opens a company: at once when its copy is here, else after its first download.
    async fn open_company(&mut self, mut choice: CompanyChoice) {
        self.link = None;
        self.active = None;
        self.grace = None;
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        let path = match self.app.company(choice.id) {
            Ok(known) => match self.app.check_company_file(choice.id) {
                Ok(CompanyFileCheck::Attached) => Some(known.file_path),
                Ok(CompanyFileCheck::Missing) => {
                    let dirs = [self.companies_dir(), self.config.data_dir.clone()];
                    let found =
                        self.app.find_company_file(choice.id, &[dirs[0].as_path(), dirs[1].as_path()]).ok().flatten();
                    if found.is_some() {
                        self.emit(Event::Notice(Notice::CompanyFileMoved {
                            company: choice.id,
                            expected: known.file_path,
                            found,
                        }));
                        return;
                    }
                    // Deleted: download it again.
                    None
                }
                Ok(_) | Err(_) => {
                    self.emit(Event::Notice(Notice::CompanyFileMoved {
                        company: choice.id,
                        expected: known.file_path,
                        found: None,
                    }));
                    return;
                }
            },
            Err(_) => None,
        };
        let link = if let Some(path) = path {
            Link::open(client, choice.id, &path)
        } else {
            let path = self.companies_dir().join(format!("{}.{}", choice.id, crate::store::COMPANY_FILE_EXTENSION));
            Link::create(client, choice.id, &path, self.config.clock.now()).await.map(|(link, _)| link)
        };
        let mut link = match link {
            Ok(link) => link,
            Err(e) => return self.emit(Event::SetupFailed(sync_setup_error(&e, &self.server))),
        };
        link.cancel = self.stopping.clone();
        let recorded = self.app.upsert_company(&LocalCompany {
            company_id: choice.id,
            account: self.user,
            name: choice.name.clone(),
            file_path: link.store.path().to_path_buf(),
            active: true,
        });
        if let Err(e) = recorded.and_then(|()| self.app.set_active_company(choice.id)) {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        if self.account.is_none() {
            // Offline at start: the role as the copy last saw it.
            if let (Some(user), Ok(members)) = (self.user, link.store.members()) {
                choice.role = members.iter().find(|m| m.0 == user).map_or(Role::ReadOnly, |m| m.3);
            }
        }
        choice.local = true;
        let downloaded = link.downloaded().unwrap_or(false);
        let path = link.store.path().to_path_buf();
        self.link = Some(link);
        self.active = Some(choice.clone());
        self.emit(Event::SignedIn { email: self.email.clone().unwrap_or_default(), role: Some(choice.role) });
        if downloaded {
            self.emit(Event::Setup(SetupStep::Ready { company: choice, path }));
            self.emit(Event::DataChanged);
            self.update_grace();
            self.sync_soon(std::time::Duration::ZERO);
        } else {
            self.emit(Event::Setup(SetupStep::Downloading { company: choice.clone(), progress: Progress::default() }));
            self.sync().await;
            if self.link.as_ref().is_some_and(|l| l.downloaded().unwrap_or(false)) {
                self.emit(Event::Setup(SetupStep::Ready { company: choice, path }));
                self.emit(Event::DataChanged);
            }
        }
    }

    /// Pushes and pulls, once, and schedules the next sync.
    async fn sync(&mut self) {
        if self.link.is_none() {
            return;
        }
        if self.access.is_none() && self.email.is_some() {
            match self.refresh_session().await {
                Ok(()) => {}
                Err(e @ ClientError::Unreachable(_)) => return self.failed(&super::SyncError::Client(e)),
                Err(_) => return self.signed_out(),
            }
        }
        self.ensure_account().await;
        let mut retried = false;
        loop {
            let result = self.sync_once().await;
            match result {
                // Stopped on purpose: nothing to report.
                Ok(()) | Err(super::SyncError::Cancelled) => return,
                Err(e) if e.kind() == ErrorKind::SignedOut && !retried => {
                    retried = true;
                    self.access = None;
                    match self.refresh_session().await {
                        Ok(()) => {}
                        Err(e @ ClientError::Unreachable(_)) => return self.failed(&super::SyncError::Client(e)),
                        Err(_) => return self.signed_out(),
                    }
                }
                Err(e) if e.kind() == ErrorKind::SignedOut => return self.signed_out(),
                Err(e) if e.kind() == ErrorKind::Rebuilt => return self.download_again().await,
                Err(e) => return self.failed(&e),
            }
        }
    }

    async fn sync_once(&mut self) -> Result<(), super::SyncError> {
        let Some(link) = self.link.as_mut() else { return Ok(()) };
        link.client.set_access_token(self.access.clone());
        let first = !link.downloaded()?;
        let events = self.events.clone();
        let wake = self.config.wake.clone();
        let clock = self.config.clock.clone();
        let company = self.active.clone();
        self.state = SyncState::Syncing { progress: None };
        self.emit(Event::Status(self.state.clone()));
        let Some(link) = self.link.as_mut() else { return Ok(()) };
        let mut on_progress = |progress: &Progress| {
            let event = match (&company, first) {
                (Some(company), true) => {
                    Event::Setup(SetupStep::Downloading { company: company.clone(), progress: progress.clone() })
                }
                _ => Event::Status(SyncState::Syncing { progress: Some(progress.clone()) }),
            };
            let _ = events.send(event);
            wake();
        };
        let report = link.sync(|| clock.now(), &mut on_progress).await?;
        self.backoff.reset();
        self.offline_since = None;
        let now = self.config.clock.now();
        for rejected in &report.rejected {
            self.emit(Event::Notice(Notice::ChangeRejected {
                mutation_id: rejected.mutation_id,
                action: rejected.intent.action(),
                code: rejected.code.clone(),
                message: rejected.message.clone(),
            }));
        }
        for held in &report.held {
            self.emit(Event::Notice(Notice::RecordHeld(held.clone())));
        }
        for payment in &report.payments {
            self.emit(Event::Notice(Notice::PaymentReceived(payment.clone())));
        }
        if report.pulled > 0 || !report.rejected.is_empty() {
            self.emit(Event::DataChanged);
        }
        self.set_state(SyncState::Synced { at: now });
        self.update_grace();
        self.sync_soon(self.config.timing.interval);
        Ok(())
    }

    fn failed(&mut self, error: &super::SyncError) {
        let now = self.config.clock.now();
        let kind = error.kind();
        if kind == ErrorKind::Offline {
            let since = *self.offline_since.get_or_insert(now);
            self.set_state(SyncState::Offline { since });
        } else {
            tracing::warn!(error = %error, "sync failed");
            let (code, message) = (error.code().to_owned(), error.to_string());
            self.set_state(SyncState::Error { kind, code: code.clone(), message: message.clone() });
            self.emit(Event::Notice(Notice::SyncFailed { kind, code, message }));
        }
        self.update_grace();
        let delay = self.backoff.next_delay();
        self.sync_soon(delay);
    }

    fn signed_out(&mut self) {
        self.access = None;
        self.set_state(SyncState::SignedOut);
        self.emit(Event::Notice(Notice::NotSignedIn));
        self.update_grace();
    }

    /// The server's data was rebuilt: keep the old file aside, download again.
    async fn download_again(&mut self) {
        let Some(choice) = self.active.clone() else { return };
        let Some(old) = self.link.take() else { return };
        let path = old.store.path().to_path_buf();
        drop(old);
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => return self.failed(&super::SyncError::Client(e)),
        };
        match Link::create(client, choice.id, &path, self.config.clock.now()).await {
            Ok((mut link, backup)) => {
                link.cancel = self.stopping.clone();
                self.link = Some(link);
                self.emit(Event::Notice(Notice::DownloadedAgain { backup }));
                Box::pin(self.sync()).await;
            }
            Err(e) => self.failed(&e),
        }
    }

    fn update_grace(&mut self) {
        let Some(link) = &self.link else { return };
        let now = self.config.clock.now();
        let grace = match link.store.last_sync() {
            Ok(Some((at, hours))) => Grace::at(Some(at), hours, now),
            _ => Grace::at(None, 0, now),
        };
        if let Grace::Open { left } = grace {
            if left <= chrono::Duration::hours(GRACE_WARNING_HOURS) {
                if !self.grace_warned {
                    self.grace_warned = true;
                    self.emit(Event::Notice(Notice::GraceEnding { left }));
                }
            } else {
                self.grace_warned = false;
            }
        }
        if self.grace != Some(grace) {
            self.grace = Some(grace);
            self.emit(Event::Grace(grace));
        }
    }

    fn edit(&mut self, request: u64, intent: &crate::sync::Intent) {
        let refuse = |code: &str, message: String| Event::EditRefused { request, code: code.to_owned(), message };
        self.update_grace();
        let (Some(active), Some(_)) = (&self.active, &self.link) else {
            return self.emit(refuse("no_company", "No company is open.".into()));
        };
        if let Err(e) = active.role.authorize(intent.permission()) {
            return self.emit(refuse(e.code(), e.to_string()));
        }
        if let Some(Grace::ReadOnly { .. }) = self.grace {
            return self.emit(refuse(
                "read_only_offline",
                "This company is read-only: it has not synced for too long. Connect to the network and sync to edit again."
                    .into(),
            ));
        }
        let Some(link) = self.link.as_mut() else { return };
        match link.store.submit(intent) {
            Ok(mutation_id) => {
                self.emit(Event::EditApplied { request, mutation_id });
                self.emit(Event::DataChanged);
                self.sync_soon(self.config.timing.debounce);
            }
            Err(e) => self.emit(refuse(e.code(), e.to_string())),
        }
    }

    /// Derives again one chunk of the accounting sources that changed; says so when the
    /// last chunk is done.
    fn ledger_step(&mut self) {
        let today = self.config.clock.now().date_naive();
        let Some(link) = self.link.as_mut() else {
            self.ledger_work = false;
            return;
        };
        match link.store.refresh_ledger(today, LEDGER_CHUNK) {
            Ok(done) if done < LEDGER_CHUNK as usize => {
                self.ledger_work = false;
                if done > 0 {
                    self.emit(Event::LedgerChanged);
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "accounting entries could not be derived");
                self.ledger_work = false;
            }
        }
    }

    /// Posts the entries pending in the period, in batches the server takes whole.
    async fn post(&mut self, from: Option<chrono::NaiveDate>, to: chrono::NaiveDate, digest: &str) -> AccountingEvent {
        // Its pages of entries follow one another by a cursor over the copy, which only
        // this engine writes: nothing moves in between.
        let refused = |code: &str, message: String, posted: usize| AccountingEvent::Refused {
            code: code.to_owned(),
            message,
            posted,
        };
        let today = self.config.clock.now().date_naive();
        let (Some(active), Some(link)) = (&self.active, self.link.as_mut()) else {
            return refused("no_company", "No company is open.".into(), 0);
        };
        if let Err(e) = active.role.authorize(crate::model::Permission::PostAccounting) {
            return refused(e.code(), e.to_string(), 0);
        }
        let company = active.id;
        let period = (from, to);
        // The ledger first brought up to date, then the batch checked against the one the
        // user exported, without holding it all in memory.
        let checked = link.store.refresh_whole_ledger(today).and_then(|_| link.store.pending_batch(period));
        match checked {
            Ok(batch) if batch.entries == 0 => {
                let e = crate::accounting::BatchError::Empty;
                return refused(e.code(), e.to_string(), 0);
            }
            Ok(batch) if batch.clone().finish() != digest => {
                let message = "The pending entries changed since the batch was exported: export it again.";
                return refused("batch_changed", message.into(), 0);
            }
            Ok(_) => {}
            Err(e) => return refused(e.code(), e.to_string(), 0),
        }
        let mut numbers = match link.store.next_entry_numbers() {
            Ok(numbers) => numbers,
            Err(e) => return refused(e.code(), e.to_string(), 0),
        };
        let mut posted = 0;
        let mut after = None;
        while let Some(link) = self.link.as_ref() {
            let page = link.store.pending_entries_page(period, after.as_ref(), POSTING_PAGE, &mut numbers);
            let (entries, next) = match page {
                Ok(page) => page,
                Err(e) => return refused(e.code(), e.to_string(), posted),
            };
            for entries in posting_batches(entries) {
                let batch = crate::accounting::PostBatch { id: uuid::Uuid::now_v7(), from, to, entries };
                if let Err(e) = batch.validate() {
                    return refused(e.code(), e.to_string(), posted);
                }
                match self.with_session(async |client| client.post_batch(company, &batch).await).await {
                    Ok(receipt) => posted += receipt.entries,
                    Err(e) => {
                        self.sync().await;
                        return refused(e.code(), e.to_string(), posted);
                    }
                }
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        self.sync().await;
        AccountingEvent::Posted { entries: posted }
    }

    /// Checks a change of members against the user's role and the copy's members, has
    /// the server make it, then pulls so that the members table shows it.
    async fn change_members(&mut self, change: MemberChange) -> MembersEvent {
        let refused = |code: &str, message: String| MembersEvent::Refused { code: code.to_owned(), message };
        let (Some(active), Some(link)) = (&self.active, &self.link) else {
            return refused("no_company", "No company is open.".into());
        };
        let (company, role) = (active.id, active.role);
        let members = match link.store.members() {
            Ok(members) => members,
            Err(e) => return refused(e.code(), e.to_string()),
        };
        let owners = members.iter().filter(|m| m.3 == Role::Owner).count();
        let member = |user: UserId| members.iter().find(|m| m.0 == user);
        let (from, to, email) = match &change {
            MemberChange::Add { email, role } => {
                let email = email.trim().to_lowercase();
                if let Err(e) = crate::model::validate_email(&email) {
                    return refused(e.code(), e.to_string());
                }
                let from = members.iter().find(|m| m.1.eq_ignore_ascii_case(&email)).map(|m| m.3);
                (from, Some(*role), email)
            }
            MemberChange::SetRole { user, role } => (member(*user).map(|m| m.3), Some(*role), String::new()),
            MemberChange::Remove { user } => (member(*user).map(|m| m.3), None, String::new()),
        };
        if from.is_none() && !matches!(change, MemberChange::Add { .. }) {
            return refused("not_found", "This user is not a member of this company.".into());
        }
        if let Err(e) = crate::model::authorize_membership(role, from, to, owners) {
            return refused(e.code(), e.to_string());
        }
        let result = match change {
            MemberChange::Add { role, .. } => {
                let request = crate::sync::AddMember { email: email.clone(), role, display_name: None };
                self.with_session(async |client| client.add_member(company, &request).await).await.map(|added| {
                    MembersEvent::Added {
                        email: added.member.email,
                        initial_password: added.initial_password.map(Secret),
                    }
                })
            }
            MemberChange::SetRole { user, role } => self
                .with_session(async |client| client.change_role(company, user, role).await)
                .await
                .map(|view| MembersEvent::RoleChanged { email: view.email, role: view.role }),
            MemberChange::Remove { user } => {
                let email = member(user).map(|m| m.1.clone()).unwrap_or_default();
                self.with_session(async |client| client.remove_member(company, user).await)
                    .await
                    .map(|()| MembersEvent::Removed { email })
            }
        };
        match result {
            Ok(event) => {
                self.sync().await;
                event
            }
            Err(e) => refused(e.code(), e.to_string()),
        }
    }

    async fn sign_out(&mut self, remove_local_data: bool) {
        if let Ok(mut client) = self.client() {
            // Best effort: offline, the tokens die with their expiry.
            let _ = client.logout().await;
        }
        if let Some(email) = &self.email
            && let Err(e) = self.config.credentials.delete(email)
        {
            tracing::warn!(error = %e, "the sign-in token could not be deleted");
        }
        self.access = None;
        self.account = None;
        self.challenge = None;
        let link = self.link.take();
        self.next_sync = None;
        if remove_local_data {
            drop(link);
            for company in self.app.companies().unwrap_or_default() {
                if company.account.is_none() || company.account == self.user {
                    remove_company_file(&company.file_path);
                }
            }
            if let Some(user) = self.user {
                let _ = self.app.remove_account(user);
            }
        }
        self.active = None;
        self.state = SyncState::SignedOut;
        self.emit(Event::SignedOut);
        self.emit(Event::Status(SyncState::SignedOut));
        self.emit(Event::Setup(SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() }));
    }

    async fn relink(&mut self, company: CompanyId, path: &Path) {
        match self.app.relink_company(company, path) {
            Ok(()) => self.choose(company).await,
            Err(e) => self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() })),
        }
    }
}

fn remove_company_file(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists()
            && let Err(e) = std::fs::remove_file(&file)
        {
            tracing::warn!(file = %file.display(), error = %e, "could not remove a company file");
        }
    }
}

fn sync_setup_error(error: &super::SyncError, url: &str) -> SetupError {
    match error {
        super::SyncError::Client(e) => setup_error(e, url),
        super::SyncError::Incompatible { .. } | super::SyncError::NoSettings => SetupError::Incompatible,
        super::SyncError::Store(_) | super::SyncError::Cancelled => SetupError::Local { message: error.to_string() },
    }
}

/// Entries in batches of at most [`crate::accounting::MAX_BATCH`] entries and about
/// [`POSTING_BYTES`] of JSON, in their order.
fn posting_batches(entries: Vec<crate::accounting::Entry>) -> Vec<Vec<crate::accounting::Entry>> {
    let mut batches = vec![Vec::new()];
    let mut bytes = 0;
    for entry in entries {
        let size = serde_json::to_vec(&entry).map_or(POSTING_BYTES, |json| json.len());
        let full = batches.last().is_some_and(|b| b.len() >= crate::accounting::MAX_BATCH);
        if full || (bytes + size > POSTING_BYTES && batches.last().is_some_and(|b| !b.is_empty())) {
            batches.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(batch) = batches.last_mut() {
            batch.push(entry);
        }
    }
    batches
}

/// What a setup step's failure means for the user.
/// A refused change of the user's password or two-factor, as the UI reports it.
fn account_refusal(password: bool, error: &ClientError) -> AccountEvent {
    AccountEvent::Refused { password, code: error.code().to_owned(), message: error.to_string() }
}

fn setup_error(error: &ClientError, url: &str) -> SetupError {
    match error {
        ClientError::BadUrl(_) => SetupError::BadUrl { url: url.to_owned() },
        ClientError::Unreachable(_) => SetupError::Unreachable { url: url.to_owned() },
        ClientError::WrongCredentials | ClientError::SignedOut => SetupError::WrongCredentials,
        ClientError::WrongCode => SetupError::WrongCode,
        ClientError::Locked => SetupError::Locked,
        ClientError::Incompatible(_) => SetupError::Incompatible,
        ClientError::Forbidden | ClientError::StaleEpoch | ClientError::Refused { .. } => {
            SetupError::Refused { code: error.code().to_owned(), message: error.to_string() }
        }
    }
}
