//! The background engine that keeps a company's copy in sync.
//!
//! [`Engine::start`] runs it on a thread of its own (`comptoir-engine`) with a tokio
//! runtime. The UI talks to it through a bounded [`Command`] channel that never blocks
//! (a full channel is an error to show, not a wait), and hears back through [`Event`]s;
//! after each event the engine calls the wake-up callback it was given, so that the app
//! can `request_repaint`. The UI reads the company's rows itself, from the same file,
//! with a read-only connection (WAL lets it read while the engine writes).
//!
//! - [`link`]: one company's copy and the server: first download, push, pull.
//! - [`Grace`]: how long a copy may be edited offline.
//! - [`credentials`]: where the refresh token is kept.

mod backoff;
mod copy_fetch;
pub mod credentials;
mod grace;
pub mod link;
mod outlet;
mod stopping;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use backoff::{Backoff, MAX_SERVER_WAIT};
pub use grace::Grace;
pub use link::{CategoryProgress, ErrorKind, Link, PAGE, PaymentNotice, Progress, SyncError, SyncReport};
pub use stopping::{EngineStopping, Finished};

use crate::clock::Clock;
use crate::mail::{MailTemplate, OutgoingMail, SmtpSettings};
use crate::model::{CompanyId, DocumentId, DocumentLanguage, Role, UserId};
use crate::sync::Intent;
use credentials::CredentialStore;

/// How the engine is set up.
#[derive(Clone)]
pub struct EngineConfig {
    /// Where the app-level file and the company files live.
    pub data_dir: PathBuf,
    /// The server address the first-run wizard proposes.
    pub default_server: String,
    pub clock: Arc<dyn Clock>,
    pub credentials: Arc<dyn CredentialStore>,
    /// Called after every event: the app passes one that calls `request_repaint`.
    pub wake: Arc<dyn Fn() + Send + Sync>,
    pub timing: Timing,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("data_dir", &self.data_dir)
            .field("default_server", &self.default_server)
            .field("credentials", &self.credentials.describe())
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// When the engine syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// After a local edit, wait this long for more before pushing.
    pub debounce: Duration,
    /// Sync at least this often when all is well.
    pub interval: Duration,
    /// Retries after errors back off from `retry_min` up to `retry_max`, with jitter.
    pub retry_min: Duration,
    pub retry_max: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(400),
            interval: Duration::from_mins(1),
            retry_min: Duration::from_secs(2),
            retry_max: Duration::from_mins(5),
        }
    }
}

/// A password on its way to the server: never printed, not even in debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// What the UI asks of the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Setup: the server's address (checked before going on).
    SetServer {
        url: String,
    },
    /// Setup, or later after a sign-out: email and password.
    SignIn {
        email: String,
        password: Secret,
    },
    /// Setup: pairs this computer with a computer hosting a company on the local network,
    /// by its pairing link (`comptoir://pair?…`) or its typed code and address
    /// (`CODE@IP:PORT`), under `device_name`; then, as after a sign-in, keeps the
    /// session, records the account with the host's `comptoir-lan://` address, and
    /// downloads the company (see `worker/join.rs`).
    Join {
        invitation: String,
        device_name: String,
    },
    /// This computer hosts a company and serves it at `address` (its `comptoir-lan://`
    /// loopback address): a copy that syncs with that host (the same certificate) at
    /// other addresses — its port was taken at this start, say — follows it there.
    LocalHostAt {
        address: String,
    },
    /// The two-factor code, when the sign-in asked for one.
    SubmitCode {
        code: String,
    },
    /// Opens a company: at once when it is on this machine, else after its first
    /// download. Also how the active company is switched, without signing out.
    ChooseCompany {
        company: CompanyId,
    },
    /// Signs out: the tokens are deleted; the company files stay unless asked.
    SignOut {
        remove_local_data: bool,
    },
    SyncNow,
    /// The operating system says the network is back.
    NetworkUp,
    /// A business write: applied to the copy at once, then sent to the server. The
    /// answer comes back as [`Event::EditApplied`] or [`Event::EditRefused`] with the
    /// same `request`.
    Edit {
        request: u64,
        intent: Box<Intent>,
    },
    /// Préférences → Personnel: changes the signed-in user's password.
    ChangePassword {
        current: Secret,
        new: Secret,
    },
    /// Starts turning two-factor on: answered with a new secret and its `otpauth://` URI.
    StartTwoFactor,
    /// Turns two-factor on, confirmed by the account's password and a code of the
    /// authenticator app.
    EnableTwoFactor {
        password: Secret,
        code: String,
    },
    /// Turns two-factor off, confirmed by the account's password and a current code.
    DisableTwoFactor {
        password: Secret,
        code: String,
    },
    /// Checks that `url` answers as a compatible Comptoir server (Préférences → Serveur);
    /// answered by [`Event::ServerTested`]. Changes nothing.
    TestServer {
        url: String,
    },
    /// Users screen: adds, re-roles or removes a member of the active company. Checked
    /// first against the user's role and the copy's members, then done on the server
    /// (online only); answered by [`Event::Members`].
    Members(MemberChange),
    /// The window closed its connections to the company's file after
    /// [`Event::ReleaseCompanyFile`] or [`Event::CopyArrived`]: the engine may move the
    /// file aside, or replace it.
    CompanyFileReleased {
        company: CompanyId,
    },
    /// The user has seen the banner of an old copy kept aside: it no longer shows (the
    /// file stays where it is).
    ForgetKeptCopy {
        path: PathBuf,
    },
    /// The banner of edits waiting for another account: "Abandonner" (after the user
    /// confirmed) discards them and undoes their effect on the copy; answered by
    /// [`Event::WaitingEdits`] and [`Event::DataChanged`].
    DiscardEditsOf {
        author: UserId,
    },
    /// Posting dialog: marks the entries pending in the period posted, on the server
    /// (online only; in one request, or in parts the server posts together, whole or not at
    /// all); answered by [`Event::Accounting`].
    Post {
        from: Option<chrono::NaiveDate>,
        to: chrono::NaiveDate,
        /// [`crate::accounting::batch_digest`] of the batch the user exported: when the
        /// pending entries are no longer those, nothing is posted.
        digest: String,
    },
    /// Points a company at its file's new place (after [`Notice::CompanyFileMoved`]).
    Relink {
        company: CompanyId,
        path: PathBuf,
    },
    /// Keeps a personal setting of this machine (the display language …) in the app
    /// file; all of them come back as [`Event::Preferences`] at start.
    SetPreference {
        key: String,
        value: String,
    },
    /// Runs the e-mail outbox's sending pass now (it also runs after each sync): after a
    /// message was queued, or to try the waiting ones again. Answered by
    /// [`Event::MailPass`].
    SendMail,
    /// Paramètres → E-mail: keeps where the company's e-mails leave from, and the SMTP
    /// password in the credentials store (the OS keychain), never in a file, when one is
    /// given (`None`: the saved one stays). Owners and admins only. Answered by
    /// [`Event::Mail`].
    SaveMailSettings {
        settings: Box<SmtpSettings>,
        password: Option<Secret>,
    },
    /// Keeps the company's own e-mail text for customers of `language` (`None`: back to
    /// the built-in one). Owners and admins only. Answered by [`Event::Mail`].
    SaveMailTemplate {
        language: DocumentLanguage,
        template: Option<MailTemplate>,
    },
    /// "Envoyer par e-mail": queues `mail`, which carries `document`, in the company's
    /// e-mail outbox, then runs the sending pass (offline, the message waits for the next
    /// one). Answered by [`Event::Mail`] with the same `request`, then [`Event::MailPass`].
    QueueMail {
        request: u64,
        document: DocumentId,
        mail: Box<OutgoingMail>,
    },
    /// "Envoyer un e-mail d'essai": sends `mail` at once through the saved SMTP settings
    /// and the keychain's password, not through the outbox (it checks the settings: it is
    /// not kept, and a failure is the answer). Owners and admins only. Answered by
    /// [`Event::Mail`].
    SendTestMail {
        mail: Box<OutgoingMail>,
    },
    Shutdown,
}

/// A company the account can open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyChoice {
    pub id: CompanyId,
    pub name: String,
    pub role: Role,
    /// Already downloaded on this machine.
    pub local: bool,
}

/// The step of the setup flow the UI should draw.
#[derive(Clone, Debug, PartialEq)]
pub enum SetupStep {
    Server {
        url: String,
    },
    SignIn {
        server: String,
        email: Option<String>,
    },
    /// The account has two-factor authentication on.
    Code {
        email: String,
    },
    ChooseCompany {
        companies: Vec<CompanyChoice>,
    },
    Downloading {
        company: CompanyChoice,
        progress: Progress,
    },
    Ready {
        company: CompanyChoice,
        /// The company file, which the UI reads through its own read-only connection.
        path: PathBuf,
    },
}

/// Why a setup step failed; each can be retried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("The server at {url} cannot be reached: check the network and the address.")]
    Unreachable { url: String },
    #[error("“{url}” is not a server address (it starts with https://).")]
    BadUrl { url: String },
    /// The computer hosting the company on the local network does not answer at
    /// `address` (switched off, another network, or its firewall).
    #[error(
        "The computer hosting the company at {address} does not answer: check that it is on, on the same network, and that its firewall lets Comptoir in."
    )]
    HostUnreachable { address: String },
    #[error("This address answers, but not as a Comptoir server of a compatible version.")]
    Incompatible,
    #[error("The email or the password is wrong.")]
    WrongCredentials,
    #[error("This code is wrong or was already used.")]
    WrongCode,
    #[error("The account is locked after too many failed sign-ins; try again later.")]
    Locked,
    #[error("This account belongs to no company yet.")]
    NoCompany,
    #[error("The server refused: {message}")]
    Refused { code: String, message: String },
    #[error("The local files failed: {message}")]
    Local { message: String },
}

impl SetupError {
    /// A stable code, for the locale files.
    pub fn code(&self) -> &str {
        match self {
            Self::Unreachable { .. } => "server_unreachable",
            Self::BadUrl { .. } => "bad_server_url",
            Self::HostUnreachable { .. } => "host_unreachable",
            Self::Incompatible => "incompatible_server",
            Self::WrongCredentials => "invalid_credentials",
            Self::WrongCode => "invalid_code",
            Self::Locked => "account_locked",
            Self::NoCompany => "no_company",
            Self::Refused { code, .. } => code,
            Self::Local { .. } => "local_file_error",
        }
    }
}

/// Where sync stands, for the status bar and the tray.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncState {
    /// Nothing opened yet.
    Idle,
    Synced {
        at: DateTime<Utc>,
    },
    Syncing {
        progress: Option<Progress>,
    },
    /// The open company's first download goes on after the copy was opened (see
    /// [`Event::CopyUsable`]): how far it has come.
    Downloading {
        progress: Progress,
    },
    Offline {
        since: DateTime<Utc>,
    },
    /// Online, but the server is busy or limits this copy's requests: the next attempt
    /// is at `retry_at`, not before (the server's `Retry-After`, see
    /// [`Backoff::next_delay_after`]).
    Busy {
        retry_at: DateTime<Utc>,
    },
    Error {
        kind: ErrorKind,
        code: String,
        message: String,
    },
    SignedOut,
    /// The engine's thread stopped on a fault (a bug): nothing syncs or saves until the
    /// app starts again. What was saved before is on disk.
    Stopped {
        reason: String,
    },
}

/// Something to tell the user, in a banner or the notifications bell.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A sync failed for another reason than the network; "Retry" sends
    /// [`Command::SyncNow`].
    SyncFailed { kind: ErrorKind, code: String, message: String },
    /// Nobody is signed in (or the session ended): "Sign in".
    NotSignedIn,
    /// The company's file is not where it was recorded. `found`: a file with the
    /// company's id inside, elsewhere, that [`Command::Relink`] can attach.
    CompanyFileMoved { company: CompanyId, expected: PathBuf, found: Option<PathBuf> },
    /// The server refused a change made here; the copy shows the server's version.
    ChangeRejected { mutation_id: u64, action: &'static str, code: String, message: String },
    /// A payment recorded elsewhere arrived; its assessment says whether it is partial,
    /// complete, or a double payment.
    PaymentReceived(PaymentNotice),
    /// The offline grace period ends soon.
    GraceEnding { left: chrono::Duration },
    /// The server's data was rebuilt: the company was downloaded again, and the old file
    /// kept aside at `backup`, with its edits that never reached the server (`pending`)
    /// and, of the old copy's acknowledged edits sent again to a restored server, the
    /// issued documents it numbered otherwise (`renumbered`) and the edits it refused
    /// (`refused`).
    DownloadedAgain {
        backup: Option<PathBuf>,
        pending: Vec<crate::store::PendingEdit>,
        renumbered: Vec<crate::store::Renumbering>,
        refused: Vec<crate::store::PendingEdit>,
    },
    /// A record of the server's could not be applied to this copy: it is kept aside, with
    /// the reason, and the sync goes on without it (said once, by the sync that met it).
    RecordHeld(crate::store::HeldRecord),
    /// An e-mail will not leave (refused for good, or no settings or password to send
    /// with): the reason, with its stable code.
    MailFailed { code: String, message: String },
}

/// A change to the active company's members (Users screen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Adds a user by email; the server creates the account when the email has none.
    Add {
        email: String,
        role: Role,
    },
    SetRole {
        user: UserId,
        role: Role,
    },
    Remove {
        user: UserId,
    },
}

/// The answer to [`Command::Members`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MembersEvent {
    /// Added. A new account comes with a one-time password to hand to its user.
    Added {
        email: String,
        initial_password: Option<Secret>,
    },
    RoleChanged {
        email: String,
        role: Role,
    },
    Removed {
        email: String,
    },
    /// Refused, by the app's check or by the server: a stable code and the reason.
    Refused {
        code: String,
        message: String,
    },
}

/// The answer to [`Command::Post`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountingEvent {
    Posted {
        entries: usize,
    },
    /// Refused or failed: nothing was posted (a posting is made whole or not at all).
    Refused {
        code: String,
        message: String,
    },
}

/// What happened to the user's password or two-factor settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountEvent {
    PasswordChanged,
    /// Two-factor setup started: show the secret (as text and as a QR code of the URI)
    /// and ask for a code to confirm.
    TwoFactorSetup {
        secret: Secret,
        uri: Secret,
    },
    /// Whether two-factor is on (after sign-in, and after each change).
    TwoFactor {
        enabled: bool,
    },
    /// A change was refused: the server's code and reason.
    Refused {
        password: bool,
        code: String,
        message: String,
    },
}

/// What the engine reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Setup(SetupStep),
    SetupFailed(SetupError),
    Status(SyncState),
    Grace(Grace),
    Notice(Notice),
    EditApplied {
        request: u64,
        mutation_id: u64,
    },
    EditRefused {
        request: u64,
        code: String,
        message: String,
    },
    /// The copy's data changed (an edit, a pull): screens re-read what they show.
    DataChanged,
    /// The open company's first download has brought the company's settings and its
    /// first pages: the window may open the copy at `path` now. The rest comes on behind
    /// ([`SyncState::Downloading`], with [`Event::DataChanged`] every
    /// [`DOWNLOAD_REFRESH`]): lists show what has arrived, edits are taken, and search is
    /// partial until [`SetupStep::Ready`] says the download has ended. Said once per copy:
    /// at its first page, or when a copy whose download stopped midway opens again.
    CopyUsable {
        company: CompanyChoice,
        path: PathBuf,
    },
    /// The signed-in user and their role in the active company.
    SignedIn {
        email: String,
        role: Option<Role>,
        /// The account syncs with a computer hosting the company on the local network,
        /// not a server: its `comptoir-lan://` address. The window says « l'ordinateur
        /// hôte » when it cannot be reached, and Préférences → Compte which host it is.
        lan_host: Option<String>,
    },
    SignedOut,
    /// The signed-in user's own account: password and two-factor.
    Account(AccountEvent),
    /// The answer to [`Command::Post`].
    Accounting(AccountingEvent),
    /// The copy's accounting entries were derived again: the pending count may differ.
    LedgerChanged,
    /// The answer to [`Command::Members`]; the members table follows with the next pull.
    Members(MembersEvent),
    /// The answer to [`Command::TestServer`].
    ServerTested {
        url: String,
        result: Result<(), SetupError>,
    },
    /// The server's whole copy of the open company, whose first download goes on, has
    /// come and passed its checks: it takes the file's place (the same path), with the
    /// edits made meanwhile. The window closes its connections to the file, keeping its
    /// screens, then answers [`Command::CompanyFileReleased`]; the file opens again with
    /// the [`Event::CopyUsable`] that follows (the copy, or the file as it was when the
    /// copy could not replace it). Without an answer the engine goes on after a while.
    CopyArrived {
        company: CompanyId,
    },
    /// The company's file is about to be replaced (the server's data was rebuilt): the
    /// window closes its connections to it, then answers
    /// [`Command::CompanyFileReleased`]; the new file comes with [`SetupStep::Ready`].
    /// Without an answer the engine goes on after a while (where an open file can be
    /// moved, it can be moved anyway).
    ReleaseCompanyFile {
        company: CompanyId,
    },
    /// The old copies of the open company kept aside and not yet dismissed (see
    /// [`Notice::DownloadedAgain`]), newest first.
    KeptCopies(Vec<crate::store::KeptCopy>),
    /// Edits in the open copy that wait for other accounts than the signed-in one: they go
    /// to the server only in their author's name, and the signed-in account's own edits
    /// wait behind them. Sent when a company opens and whenever the list changes; empty
    /// when none wait.
    WaitingEdits(Vec<crate::store::WaitingEdits>),
    /// The companies of the signed-in account (Preferences → Compte lists them to switch).
    Companies(Vec<CompanyChoice>),
    /// The personal settings kept on this machine, sent first at start.
    Preferences(std::collections::BTreeMap<String, String>),
    /// What a sending pass of the open company's e-mail outbox did: after a sync when it
    /// sent or failed something, and always after [`Command::SendMail`].
    MailPass(MailPass),
    /// The answer to [`Command::SaveMailSettings`], [`Command::SaveMailTemplate`] and
    /// [`Command::QueueMail`].
    Mail(MailEvent),
    /// A company asked for ([`Command::ChooseCompany`]) whose copy is not on this
    /// computer downloads in the background, while the open company stays open and in
    /// use: how far it has come.
    BackgroundDownload {
        company: CompanyChoice,
        progress: Progress,
    },
    /// The background download ended: the company opens at once when chosen again.
    BackgroundReady {
        company: CompanyChoice,
    },
    /// The background download failed: the reason, with its stable code (see
    /// [`SetupError::code`]). It is tried again after a while, unless it could not start.
    BackgroundFailed {
        company: CompanyChoice,
        code: String,
        message: String,
    },
}

/// What became of an e-mail command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailEvent {
    SettingsSaved,
    TemplateSaved {
        language: DocumentLanguage,
    },
    /// The message waits in the outbox (the sending pass follows).
    Queued {
        request: u64,
    },
    /// The SMTP server took the test message.
    TestSent {
        to: String,
    },
    /// Refused, with a stable code and the reason; nothing changed. `request`: the
    /// [`Command::QueueMail`] refused, `None` for the settings and texts.
    Refused {
        request: Option<u64>,
        code: String,
        message: String,
    },
}

/// What a sending pass of the e-mail outbox did, for the window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailPass {
    /// The queued messages the SMTP server took.
    pub sent: Vec<uuid::Uuid>,
    /// How many messages still wait (the server unreachable, a temporary refusal).
    pub waiting: usize,
    /// Messages that will not leave, or why none could be tried (no settings, no
    /// password: then `id` is `None`), with a stable code and a message.
    pub failed: Vec<MailFailure>,
}

/// One message that failed for good, or a pass that could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailFailure {
    pub id: Option<uuid::Uuid>,
    pub code: String,
    pub message: String,
}

/// Why a command could not be handed to the engine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    #[error("The engine is busy; try again in a moment.")]
    Busy,
    #[error("The engine has stopped.")]
    Stopped,
    #[error("The engine could not start: {0}")]
    Start(String),
}

/// How often, at most, a first download opened before its end tells the window that
/// more has arrived ([`Event::DataChanged`]): its lists and counts are read again.
pub const DOWNLOAD_REFRESH: Duration = Duration::from_secs(2);

/// How many commands may wait for the engine.
const COMMAND_QUEUE: usize = 256;

/// The handle the UI holds.
#[derive(Debug)]
pub struct Engine {
    commands: tokio::sync::mpsc::Sender<Command>,
    /// How many commands were sent and not yet taken: a download pauses between two
    /// pages while any wait (see [`link::Link::waiting_commands`]).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    events: std::sync::mpsc::Receiver<Event>,
    /// Tells a download in progress to stop at its next page.
    stopping: Arc<std::sync::atomic::AtomicBool>,
    /// Tells the engine to drop work that waits (a request in flight) and finish.
    stop: tokio::sync::watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Engine {
    /// Starts the engine's thread. It reports the first setup step (or, when an account
    /// and a company are already set up here, opens it) on its own.
    pub fn start(config: EngineConfig) -> Result<Self, EngineError> {
        let (command_tx, command_rx) = tokio::sync::mpsc::channel(COMMAND_QUEUE);
        let (event_tx, event_rx) = std::sync::mpsc::sync_channel(outlet::EVENT_QUEUE);
        let event_tx = outlet::Outlet::new(event_tx);
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker_stopping = stopping.clone();
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let commands = worker::Commands { receiver: command_rx, waiting: Arc::clone(&waiting) };
        let thread = std::thread::Builder::new()
            .name("comptoir-engine".into())
            .spawn(move || {
                worker::run(config, commands, event_tx, worker::Stop { download: worker_stopping, all: stop_rx });
            })
            .map_err(|e| EngineError::Start(e.to_string()))?;
        Ok(Self { commands: command_tx, waiting, events: event_rx, stopping, stop, thread: Some(thread) })
    }

    /// Hands a command to the engine without waiting.
    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        self.try_send(command).map_err(|(e, _)| e)
    }

    /// Hands a command to the engine without waiting; when it cannot be taken, the
    /// command comes back with the reason (the caller may keep it and try again).
    pub fn try_send(&self, command: Command) -> Result<(), (EngineError, Command)> {
        // Counted before it is sent: the engine may take it at once, and counts it off.
        self.waiting.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.commands.try_send(command).map_err(|e| {
            worker::count_off(&self.waiting);
            match e {
                tokio::sync::mpsc::error::TrySendError::Full(command) => (EngineError::Busy, command),
                tokio::sync::mpsc::error::TrySendError::Closed(command) => (EngineError::Stopped, command),
            }
        })
    }

    /// The next event, if one is waiting.
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (for tests and the command line; the UI
    /// uses [`Self::try_event`]).
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Stops the engine and waits for its thread (for tests and the command line: the
    /// window uses [`Self::stop_in_background`], as dropping the engine does). A download
    /// in progress stops after the page it is writing (each page commits with its cursor:
    /// the next start resumes from there).
    pub fn shutdown(mut self) {
        if let Some(thread) = self.signal_stop() {
            let _ = thread.join();
        }
    }

    /// Tells the engine to stop and returns at once: it handles the commands sent before
    /// (local edits are written), drops work that waits on the network, closes its files
    /// and ends, on its own thread. The answer says when it has; `None` when it was told
    /// already. Quitting the window never waits for a busy engine.
    pub fn stop_in_background(&mut self) -> Option<EngineStopping> {
        self.signal_stop().map(EngineStopping::join_on_helper)
    }

    fn signal_stop(&mut self) -> Option<std::thread::JoinHandle<()>> {
        let thread = self.thread.take()?;
        self.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        self.stop.send_replace(true);
        let _ = self.commands.try_send(Command::Shutdown);
        Some(thread)
    }
}

/// Dropping the engine stops it without waiting ([`Engine::stop_in_background`]).
impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.stop_in_background();
    }
}
