//! The company this computer hosts, served while the app runs (issue 15).
//!
//! When the app's folder holds a host ([`hosting::host_dir`]) with a company, the app
//! serves it on the local network for as long as it runs. The [`Host`] lives on a thread
//! of its own (`comptoir-local-host`): starting it binds a port and opens SQLite, and
//! every invitation, device list and revocation reads or writes the host's data, so none
//! of it runs on the UI thread. The window asks with [`HostRequest`]s (a bounded
//! channel) and takes the [`HostAnswer`]s once a frame; the thread wakes the window when
//! it answers.
//!
//! The wizard's « Créer une entreprise sur cet ordinateur » starts the thread with
//! [`LocalHost::prepare`]: the thread creates the company in the host's folder first
//! (argon2 hashing of the owner's password and SQLite writes: not for the UI thread),
//! then serves it as above.
//!
//! The thread also keeps the host's backups ([`hosting::back_up_if_due`]) in the folder
//! the user chose (remembered in the host's folder): one before the server opens the
//! data when due (none yet, another version of Comptoir — so before an upgrade migrates
//! it — or a day since the last), then whenever a day has passed; and one when asked.
//!
//! At quit the app drops its [`LocalHost`]: the thread sees its requests' channel close,
//! stops the server (bounded, see [`Host::stop`]) and reports it through [`HostStopped`],
//! which `main` waits on (bounded) once the window is gone, so that the port is free
//! when the process ends. The UI thread never waits for it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use comptoir_core::engine::Secret;
use comptoir_core::lan::HostAddress;
use comptoir_core::model::{CompanyId, Role};
use comptoir_server::storage::{DeviceRecord, MemberRecord};

use crate::hosting::{self, Host, HostProblem};

/// Where the app listens when its start-up config says nothing: every interface, on
/// the port kept from the last start (see [`hosting::start`]).
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

/// Requests waiting for the host's thread at most; a window asks a handful at a time.
const QUEUE: usize = 16;
/// How long a new host's thread waits for the one it replaces to stop.
const PREVIOUS_WAIT: Duration = Duration::from_secs(10);
/// How often the thread looks whether the daily backup is due.
const BACKUP_CHECK: Duration = Duration::from_mins(15);

/// What the window asks the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRequest {
    /// A fresh invitation for `member` (an email; the first owner when `None`).
    Invite { company: CompanyId, member: Option<String> },
    /// The devices paired with the company, revoked ones too.
    Devices { company: CompanyId },
    /// The company's members, whom an invitation may be for.
    Members { company: CompanyId },
    /// Ends a device's session.
    Revoke { company: CompanyId, device: uuid::Uuid },
    /// Where the backups go and the newest one.
    Backups,
    /// Backups go to `folder` from now on (remembered), and one is taken there now.
    SetBackupFolder(std::path::PathBuf),
    /// A backup now, into the folder chosen.
    BackUpNow,
    /// Puts the newest backup of the folder chosen in place of the host's data (Fichier
    /// → Restaurer…): the server stops, the data is replaced (every company at a new
    /// epoch: every copy downloads again, sending first what it had not sent), the
    /// server starts again.
    RestoreNewest,
    /// Moves `company` back to the Comptoir server it came from (« Remettre sur un
    /// serveur Comptoir… »): frozen here, its archive sent, hosted there again. The host
    /// goes on serving it read-only, so that its devices are told where it went.
    GiveBack { company: CompanyId, server: String, email: String, password: Secret, code: Option<String> },
}

/// The host's backups as the window shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupsView {
    /// The folder chosen; `None` before the user chose one.
    pub folder: Option<std::path::PathBuf>,
    /// When the newest backup there was taken.
    pub newest: Option<DateTime<Utc>>,
    /// How many backups the folder keeps.
    pub count: usize,
}

/// An invitation as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedInvitation {
    /// The `comptoir://pair` link, the QR code's content.
    pub link: String,
    /// The code to type on a device without a camera, with the host's address.
    pub typed: String,
    /// The member it is for, and their role.
    pub email: String,
    pub role: Role,
    /// Until when it serves (by the host's clock), once.
    pub expires_at: DateTime<Utc>,
}

/// What the host's thread answers. Errors carry a code, shown in the user's language
/// ([`HostProblem`]).
#[derive(Debug, Clone)]
pub enum HostAnswer {
    Invitation(Result<SharedInvitation, HostProblem>),
    Devices {
        company: CompanyId,
        devices: Result<Vec<DeviceRecord>, HostProblem>,
    },
    Members {
        company: CompanyId,
        members: Result<Vec<MemberRecord>, HostProblem>,
    },
    Revoked {
        company: CompanyId,
        device: uuid::Uuid,
        result: Result<(), HostProblem>,
    },
    /// The backups, after [`HostRequest::Backups`], or once one was taken (or failed).
    Backups(Result<BackupsView, HostProblem>),
    /// The newest backup was restored: when it had been taken.
    Restored(Result<DateTime<Utc>, HostProblem>),
    /// The company went back to its server (`server`), or why not.
    GivenBack {
        company: CompanyId,
        server: String,
        result: Result<(), HostProblem>,
    },
}

/// What the host's thread says of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostingState {
    /// Binding its port and opening its data.
    Starting,
    /// Serving these companies; devices reach it at `address`, this computer's own copy
    /// at `own` (the loopback, see [`Host::own_address`]).
    Serving { address: HostAddress, own: HostAddress, companies: Vec<CompanyId> },
    /// It could not start (the port is taken, the data cannot be read), or its folder
    /// holds no company: nothing is served.
    Stopped { reason: Option<HostProblem> },
}

/// A company to create in the host's folder before serving (the wizard's « Créer une
/// entreprise sur cet ordinateur »): see [`hosting::create_company`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    pub name: String,
    /// ISO 3166-1 alpha-2 (`FR`, `BE`).
    pub country: String,
    /// The owner's name and sign-in.
    pub owner: String,
    pub email: String,
    pub password: Secret,
}

/// A company to take from its Comptoir server before serving (« Héberger sur cet
/// ordinateur »): see [`crate::company_move::take_from_server`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenCompany {
    pub server: String,
    pub company: CompanyId,
    /// The owner's sign-in on the server; the password is theirs on this computer too.
    pub email: String,
    pub password: Secret,
    /// The two-factor code, when their account asks for one.
    pub code: Option<String>,
}

/// What the thread does before it serves ([`LocalHost::prepare`]).
#[derive(Debug)]
pub enum Setup {
    /// A new company (the wizard's « Créer une entreprise sur cet ordinateur »).
    Create(NewCompany),
    /// A company of a server moved here (« Héberger sur cet ordinateur »).
    Take(TakenCompany),
    /// The newest backup of this folder (remembered as the backups' folder) becomes the
    /// host's data: this computer takes over from a host that is lost.
    Restore(std::path::PathBuf),
}

/// What the thread sends: its state, or an answer.
#[derive(Debug)]
enum Message {
    State(HostingState),
    Answer(HostAnswer),
}

/// The end of the host's thread, once its server is stopped: `main` waits on it at quit.
pub type HostStopped = comptoir_core::engine::Finished;

/// The app's handle on the host's thread.
#[derive(Debug)]
pub struct LocalHost {
    requests: SyncSender<HostRequest>,
    messages: Receiver<Message>,
    state: HostingState,
    stopped: HostStopped,
}

impl LocalHost {
    /// Starts serving the host in the app's folder `data` on `listen`, on a thread of its
    /// own (`wake` repaints the window when it reports); `None` when the folder holds no
    /// host, or the thread cannot be made (logged).
    pub fn start(data: &Path, listen: SocketAddr, wake: Arc<dyn Fn() + Send + Sync>) -> Option<Self> {
        if !hosting::host_dir(data).is_dir() {
            return None;
        }
        Self::spawn(data, listen, wake, None, None)
    }

    /// Sets up the host's folder under `data` as `setup` says (creates a company, takes
    /// one from its server, or restores a backup), then serves it as [`Self::start`]
    /// does, all on the host's thread. `previous`: a host of the same folder the app has
    /// just dropped; the thread waits (bounded) for it to free its port and files first.
    /// A failed set-up is reported as [`HostingState::Stopped`] with its reason.
    pub fn prepare(
        data: &Path,
        listen: SocketAddr,
        wake: Arc<dyn Fn() + Send + Sync>,
        setup: Setup,
        previous: Option<HostStopped>,
    ) -> Option<Self> {
        Self::spawn(data, listen, wake, Some(setup), previous)
    }

    fn spawn(
        data: &Path,
        listen: SocketAddr,
        wake: Arc<dyn Fn() + Send + Sync>,
        setup: Option<Setup>,
        previous: Option<HostStopped>,
    ) -> Option<Self> {
        let (requests, inbox) = std::sync::mpsc::sync_channel(QUEUE);
        let (outbox, messages) = std::sync::mpsc::channel();
        let stopped = HostStopped::default();
        let data = data.to_path_buf();
        let done = stopped.clone();
        let spawned = std::thread::Builder::new().name("comptoir-local-host".into()).spawn(move || {
            if let Some(previous) = previous
                && !previous.wait(PREVIOUS_WAIT)
            {
                tracing::warn!("the previous local host has not stopped yet: starting anyway");
            }
            let prepared = match setup {
                None => Ok(()),
                Some(Setup::Create(company)) => hosting::create_company(
                    &data,
                    &company.name,
                    &company.country,
                    &company.email,
                    &company.owner,
                    &company.password.0,
                )
                .map(|_| ())
                .map_err(HostProblem::from),
                Some(Setup::Take(company)) => take(&data, &company),
                Some(Setup::Restore(folder)) => take_over(&data, &folder),
            };
            if let Err(error) = prepared {
                tracing::warn!(%error, "the company could not be set up on this computer");
                let _ = outbox.send(Message::State(HostingState::Stopped { reason: Some(error) }));
                wake();
                done.set();
                return;
            }
            serve(&data, listen, &inbox, &outbox, &*wake, &done);
        });
        match spawned {
            Ok(_) => Some(Self { requests, messages, state: HostingState::Starting, stopped }),
            Err(error) => {
                tracing::error!(%error, "the local host's thread could not start: nothing is hosted");
                None
            }
        }
    }

    /// Where the host stands, as of the last [`Self::answers`].
    pub fn state(&self) -> &HostingState {
        &self.state
    }

    /// Whether this computer serves `company` now.
    pub fn hosts(&self, company: CompanyId) -> bool {
        matches!(&self.state, HostingState::Serving { companies, .. } if companies.contains(&company))
    }

    /// Hands `request` to the host's thread; `false` when its queue is full or it has
    /// stopped (the window asks again later).
    pub fn ask(&self, request: HostRequest) -> bool {
        match self.requests.try_send(request) {
            Ok(()) => true,
            Err(TrySendError::Full(request)) => {
                tracing::debug!(?request, "the local host is busy: asked again later");
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// The answers that came since the last call (the state follows what the thread
    /// said).
    pub fn answers(&mut self) -> Vec<HostAnswer> {
        let mut answers = Vec::new();
        while let Ok(message) = self.messages.try_recv() {
            match message {
                Message::State(state) => self.state = state,
                Message::Answer(answer) => answers.push(answer),
            }
        }
        answers
    }

    /// Reported once the server is stopped, after this handle is dropped.
    pub fn stopped(&self) -> HostStopped {
        self.stopped.clone()
    }
}

/// The host's thread: starts the server, answers requests until the app drops its
/// handle, stops the server.
fn serve(
    data: &Path,
    listen: SocketAddr,
    requests: &Receiver<HostRequest>,
    outbox: &Sender<Message>,
    wake: &(dyn Fn() + Send + Sync),
    stopped: &HostStopped,
) {
    let say = |message: Message| {
        // The window is gone when this fails: the thread ends with the channel.
        let _ = outbox.send(message);
        wake();
    };
    // Before the data opens: a new version of Comptoir backs it up before migrating it.
    scheduled_backup(data);
    match start(data, listen) {
        Ok((host, state)) => {
            say(Message::State(state));
            let mut host = Some(host);
            while let Some(serving) = &host {
                match requests.recv_timeout(BACKUP_CHECK) {
                    Ok(HostRequest::RestoreNewest) => {
                        // The data folder must be closed for a restore: the whole host goes.
                        drop(host.take());
                        let restored = restore(data);
                        match start(data, listen) {
                            Ok((again, state)) => {
                                host = Some(again);
                                say(Message::State(state));
                            }
                            Err(reason) => say(Message::State(HostingState::Stopped { reason })),
                        }
                        say(Message::Answer(HostAnswer::Restored(restored)));
                    }
                    Ok(HostRequest::GiveBack { company, server, email, password, code }) => {
                        let result = give_back(data, company, &server, &email, &password, code.as_deref());
                        // It is no longer among the companies hosted here.
                        if result.is_ok()
                            && let Ok(state) = hosted_state(serving)
                        {
                            say(Message::State(state));
                        }
                        say(Message::Answer(HostAnswer::GivenBack { company, server, result }));
                    }
                    Ok(request) => say(Message::Answer(answer(serving, data, request))),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => scheduled_backup(data),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            drop(host);
            tracing::info!("the local host stopped");
        }
        Err(reason) => say(Message::State(HostingState::Stopped { reason })),
    }
    stopped.set();
}

/// Signs in to the company's server and moves it into the host's folder under `data`
/// (on a small runtime of this thread's own).
fn take(data: &Path, company: &TakenCompany) -> Result<(), HostProblem> {
    let runtime = small_runtime()?;
    runtime.block_on(async {
        let client = crate::company_move::signed_in(&company.server, &company.email, &company.password.0, &mut || {
            company.code.clone()
        })
        .await?;
        let to = comptoir_core::lan::pairing::this_device_name();
        crate::company_move::take_from_server(data, &client, company.company, &company.email, &company.password.0, &to)
            .await
            .map(|_| ())
            .map_err(HostProblem::from)
    })
}

/// Restores the newest backup of `folder` into the host's data under `data`, the folder
/// remembered for the next backups.
fn take_over(data: &Path, folder: &Path) -> Result<(), HostProblem> {
    let folder = hosting::backup_folder(data, Some(folder))?.ok_or_else(no_folder)?;
    let restored = hosting::restore_newest(data, &folder)?;
    tracing::info!(backup = %restored.path.display(), "this computer takes over as the host, from its newest backup");
    Ok(())
}

/// A runtime of the host's thread's own, for one request to a server.
fn small_runtime() -> Result<tokio::runtime::Runtime, HostProblem> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HostProblem::from(hosting::HostError::Runtime(e)))
}

/// The host of `data`, serving, when it holds a company; else why not (`None`: no
/// company, which is no error).
fn start(data: &Path, listen: SocketAddr) -> Result<(Host, HostingState), Option<HostProblem>> {
    let host = hosting::start(data, listen).map_err(|error| {
        tracing::error!(%error, "the company hosted here cannot be served");
        Some(HostProblem::from(error))
    })?;
    if host.companies().map_err(|error| Some(HostProblem::from(error)))?.is_empty() {
        tracing::info!(folder = %hosting::host_dir(data).display(), "the host's folder holds no company: nothing is hosted");
        return Err(None);
    }
    let state = hosted_state(&host)?;
    Ok((host, state))
}

/// What `host` serves: the companies it hosts (those that moved away are served
/// read-only, for their devices to learn where they went, and are not listed).
fn hosted_state(host: &Host) -> Result<HostingState, Option<HostProblem>> {
    let companies = host.hosted_companies().map_err(|error| Some(HostProblem::from(error)))?;
    Ok(HostingState::Serving { address: host.host_address(), own: host.own_address(), companies })
}

/// Signs in to `server` and moves `company` back to it (on a small runtime of this
/// thread's own).
fn give_back(
    data: &Path,
    company: CompanyId,
    server: &str,
    email: &str,
    password: &Secret,
    code: Option<&str>,
) -> Result<(), HostProblem> {
    let runtime = small_runtime()?;
    runtime.block_on(async {
        let client =
            crate::company_move::signed_in(server, email, &password.0, &mut || code.map(str::to_owned)).await?;
        crate::company_move::give_back(data, &client, company, email, server)
            .await
            .map(|_| ())
            .map_err(HostProblem::from)
    })
}

/// The backup due now, if one is and a folder was chosen; a failure is logged (the next
/// check tries again), never fatal to hosting.
fn scheduled_backup(data: &Path) {
    let folder = match hosting::backup_folder(data, None) {
        Ok(Some(folder)) => folder,
        Ok(None) => return,
        Err(error) => return tracing::warn!(%error, "the backup folder cannot be read"),
    };
    if let Err(error) = hosting::back_up_if_due(data, &folder, Utc::now()) {
        tracing::error!(%error, folder = %folder.path.display(), "the host's backup failed; tried again later");
    }
}

/// The backups of the folder chosen, as the window shows them.
fn backups_view(data: &Path) -> Result<BackupsView, HostProblem> {
    let Some(folder) = hosting::backup_folder(data, None)? else {
        return Ok(BackupsView { folder: None, newest: None, count: 0 });
    };
    let backups = folder.list().map_err(hosting::HostError::from)?;
    Ok(BackupsView {
        newest: backups.first().map(|newest| newest.name.taken_at),
        count: backups.len(),
        folder: Some(folder.path),
    })
}

/// Takes a backup now into the folder chosen (`chosen`: a new one, remembered).
fn back_up(data: &Path, chosen: Option<&Path>) -> Result<BackupsView, HostProblem> {
    let folder = hosting::backup_folder(data, chosen)?;
    let folder = folder.ok_or_else(no_folder)?;
    hosting::back_up_now(data, &folder, Utc::now())?;
    backups_view(data)
}

/// Restores the newest backup of the folder chosen into the host's data (the host
/// stopped): when that backup was taken.
fn restore(data: &Path) -> Result<DateTime<Utc>, HostProblem> {
    let folder = hosting::backup_folder(data, None)?;
    let folder = folder.ok_or_else(no_folder)?;
    let restored = hosting::restore_newest(data, &folder)?;
    tracing::info!(backup = %restored.path.display(), "the host's data was restored from its newest backup");
    Ok(restored.name.taken_at)
}

fn no_folder() -> HostProblem {
    HostProblem::new("no_backup_folder", "no backup folder was chosen")
}

/// The host is doing something else that needs it whole (a restore, a move).
fn busy() -> HostProblem {
    HostProblem::new("host_busy", "the host is busy")
}

/// Does what the window asked, with the host's answer.
fn answer(host: &Host, data: &Path, request: HostRequest) -> HostAnswer {
    match request {
        // Handled by the thread's loop, which owns the host.
        HostRequest::RestoreNewest => HostAnswer::Restored(Err(busy())),
        HostRequest::GiveBack { company, server, .. } => HostAnswer::GivenBack { company, server, result: Err(busy()) },
        HostRequest::Backups => HostAnswer::Backups(backups_view(data)),
        HostRequest::SetBackupFolder(folder) => HostAnswer::Backups(back_up(data, Some(&folder))),
        HostRequest::BackUpNow => HostAnswer::Backups(back_up(data, None)),
        HostRequest::Invite { company, member } => HostAnswer::Invitation(
            host.invite(company, member.as_deref())
                .map(|(invitation, link, typed)| SharedInvitation {
                    link: link.to_string(),
                    typed: typed.to_string(),
                    email: invitation.email,
                    role: invitation.role,
                    expires_at: invitation.expires_at,
                })
                .map_err(HostProblem::from),
        ),
        HostRequest::Devices { company } => {
            HostAnswer::Devices { company, devices: host.devices(company).map_err(HostProblem::from) }
        }
        HostRequest::Members { company } => {
            HostAnswer::Members { company, members: host.members(company).map_err(HostProblem::from) }
        }
        HostRequest::Revoke { company, device } => {
            HostAnswer::Revoked { company, device, result: host.revoke(company, device).map_err(HostProblem::from) }
        }
    }
}
