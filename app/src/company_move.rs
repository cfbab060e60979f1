//! Moving a company from a Comptoir server onto this computer, which then hosts it on the
//! local network (issue 15; see `comptoir_server::company_archive`).
//!
//! 1. The server freezes the company (`POST …/move`, owners only): its audit chain there
//!    ends with `move_out`, every change is refused from then on, and its other copies
//!    are told where it went.
//! 2. Its archive is downloaded into the host's folder (`host/incoming/`), under a
//!    temporary name renamed once whole.
//! 3. The archive is checked whole, then imported into the host's data in one
//!    transaction, with a new epoch and the audit record `move_in` that carries the
//!    server's signed head. The owner who moved it gets an account here with the password
//!    they give (unless they have one here already); the other members get accounts
//!    without a known password: they join by pairing a device.
//!
//! Each step can be run again after a crash or a lost connection: a company frozen
//! already is downloaded, a company imported already is left as it is.
//!
//! [`give_back`] is the way back: the company is frozen here (`move_out` in its chain),
//! its archive written (`host/outgoing/`) with this host's signed head, and sent to the
//! server it left (`PUT …/archive`), which replaces its frozen copy with it in a new
//! epoch. This computer then keeps serving the company read-only, so that its devices
//! are told where it went.

use std::path::{Path, PathBuf};

use comptoir_core::model::CompanyId;
use comptoir_core::sync::{ClientError, SyncClient};
use comptoir_server::company_archive::{self, ArchiveError};
use comptoir_server::storage::{SqliteStorage, Storage as _, UserRecord};

use crate::hosting::{HostError, host_dir};

/// Why a company cannot be moved onto this computer.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("the server: {0}")]
    Server(#[from] ClientError),
    #[error("the company's archive: {0}")]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("this account has two-factor on: its code is needed (from the command line: on the next line of input)")]
    CodeNeeded,
}

impl MoveError {
    /// A stable code, read by the window's messages.
    pub fn code(&self) -> &str {
        match self {
            Self::Server(error) => error.code(),
            Self::Archive(error) => error.code(),
            Self::Host(error) => error.code(),
            Self::Io { .. } => "host_io",
            Self::CodeNeeded => "code_needed",
        }
    }
}

impl From<MoveError> for crate::hosting::HostProblem {
    fn from(error: MoveError) -> Self {
        Self::new(error.code(), &error)
    }
}

/// A client of `server` signed in as `email`, for a move; when the account has
/// two-factor on, `code` gives its code (asked only then).
///
/// # Errors
///
/// The server refuses, or a code is needed and `code` has none.
pub async fn signed_in(
    server: &str,
    email: &str,
    password: &str,
    code: &mut dyn FnMut() -> Option<String>,
) -> Result<SyncClient, MoveError> {
    let mut client = SyncClient::new(server)?;
    if let comptoir_core::sync::LoginResponse::TotpRequired { challenge, .. } = client.login(email, password).await? {
        let code = code().ok_or(MoveError::CodeNeeded)?;
        client.login_totp(&challenge, code.trim()).await?;
    }
    Ok(client)
}

/// What a move brought here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    pub company: CompanyId,
    /// Records of the company's log (deleted ones too), as the server had them.
    pub records: u64,
    /// The archive's size.
    pub bytes: u64,
    /// False when the company was here already (a move run again): nothing was imported.
    pub imported: bool,
}

/// The folder of archives being brought here.
fn incoming(data: &Path) -> PathBuf {
    host_dir(data).join("incoming")
}

/// Moves `company` from the server `client` is signed in to (as `email`, an owner) onto
/// this computer's host data under `data`; `password` is the owner's password here.
/// `to` tells the company's other copies where it went.
///
/// # Errors
///
/// The server refuses (not an owner, unreachable), the archive does not check out, the
/// host's folder cannot be written.
pub async fn take_from_server(
    data: &Path,
    client: &SyncClient,
    company: CompanyId,
    email: &str,
    password: &str,
    to: &str,
) -> Result<Moved, MoveError> {
    let dir = host_dir(data);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MoveError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    if hosted_here(&dir, company)? {
        tracing::info!(%company, "the company is hosted here already: nothing to move");
        return Ok(Moved { company, records: 0, bytes: 0, imported: false });
    }
    match client.move_company(company, to).await {
        Ok(answer) => tracing::info!(%company, moved_to = answer.moved_to, "frozen on the server"),
        // Frozen by an earlier attempt: its archive is still there to take.
        Err(ClientError::Refused { code, .. }) if code == "company_moved" => {
            tracing::info!(%company, "frozen on the server already");
        }
        Err(error) => return Err(error.into()),
    }
    let folder = incoming(data);
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let path = folder.join(format!("{company}.jsonl"));
    let partial = folder.join(format!("{company}.jsonl.part"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io(&partial))?);
    let bytes = client.download_archive(company, &mut file).await?;
    let file = file.into_inner().map_err(|e| MoveError::Io { path: partial.clone(), source: e.into_error() })?;
    file.sync_all().map_err(io(&partial))?;
    std::fs::rename(&partial, &path).map_err(io(&path))?;
    let (email, password) = (email.to_owned(), password.to_owned());
    let archive = path.clone();
    let records = tokio::task::spawn_blocking(move || import_here(&dir, &archive, &email, &password))
        .await
        .map_err(|e| MoveError::Io { path: path.clone(), source: std::io::Error::other(e) })??;
    std::fs::remove_file(&path).map_err(io(&path))?;
    tracing::info!(%company, records, bytes, "the company moved onto this computer");
    Ok(Moved { company, records, bytes, imported: true })
}

/// Whether the host's data under `dir` holds `company`, not moved away.
fn hosted_here(dir: &Path, company: CompanyId) -> Result<bool, MoveError> {
    let storage = SqliteStorage::open(dir).map_err(HostError::from)?;
    Ok(storage.company(company).map_err(HostError::from)?.is_some()
        && storage.moved(company).map_err(HostError::from)?.is_none())
}

/// Checks the archive at `path`, then imports it into the host's data under `dir`, the
/// owner `email` getting an account with `password` when they have none here. Returns
/// the number of records.
fn import_here(dir: &Path, path: &Path, email: &str, password: &str) -> Result<u64, MoveError> {
    let storage = SqliteStorage::open(dir).map_err(HostError::from)?;
    let checked = company_archive::check(company_archive::open(path)?)?;
    let email = email.trim().to_lowercase();
    if storage.user_by_email(&email).map_err(HostError::from)?.is_none() {
        // The owner's account here keeps the id and name it had on the server, so that
        // their member record stays as it was.
        let (id, _, name, _) =
            checked.members.iter().find(|(_, member, _, _)| *member == email).ok_or(ArchiveError::NotAnOwner)?;
        if password.chars().count() < comptoir_server::api::MIN_PASSWORD_CHARS {
            return Err(HostError::Admin(comptoir_server::admin::AdminError::Invalid(format!(
                "a password needs at least {} characters",
                comptoir_server::api::MIN_PASSWORD_CHARS
            )))
            .into());
        }
        let hash = comptoir_server::auth::hash_password(password)
            .map_err(|e| HostError::Company(format!("cannot hash the password: {e}")))?;
        let mut account = UserRecord::new(&email, Some(name), hash);
        account.id = *id;
        storage.create_user(&account).map_err(HostError::from)?;
    }
    company_archive::import_checked(&storage, &checked, path, &email, true, chrono::Utc::now())?;
    Ok(checked.records)
}

/// What a move back to the server did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GivenBack {
    pub company: CompanyId,
    /// Records of the company's log, deleted ones too.
    pub records: u64,
    /// False when the server had it back already (a move run again).
    pub sent: bool,
}

/// Moves `company` from this computer back to the server `client` is signed in to (as
/// `email`, an owner there and here): frozen here, its archive sent, hosted there again.
/// `server` names the server for the devices.
///
/// # Errors
///
/// Not an owner here, the host's data cannot be read, the server refuses the archive.
pub async fn give_back(
    data: &Path,
    client: &SyncClient,
    company: CompanyId,
    email: &str,
    server: &str,
) -> Result<GivenBack, MoveError> {
    let dir = host_dir(data);
    let folder = dir.join("outgoing");
    std::fs::create_dir_all(&folder).map_err(|source| MoveError::Io { path: folder.clone(), source })?;
    let path = folder.join(format!("{company}.jsonl"));
    let (email, server, archive) = (email.trim().to_lowercase(), server.to_owned(), path.clone());
    let written = tokio::task::spawn_blocking(move || freeze_and_write(&dir, company, &email, &server, &archive))
        .await
        .map_err(|e| MoveError::Io { path: path.clone(), source: std::io::Error::other(e) })??;
    let file = std::fs::File::open(&path).map_err(|source| MoveError::Io { path: path.clone(), source })?;
    let sent = match client.upload_archive(company, file).await {
        Ok(imported) => {
            tracing::info!(%company, records = imported.records, epoch = %imported.epoch, "the company is hosted by the server again");
            true
        }
        // Brought back by an earlier attempt whose answer was lost.
        Err(ClientError::Refused { code, .. }) if code == "company_exists" => false,
        Err(error) => return Err(error.into()),
    };
    std::fs::remove_file(&path).map_err(|source| MoveError::Io { path: path.clone(), source })?;
    Ok(GivenBack { company, records: written, sent })
}

/// Freezes `company` in the host's data under `dir` (unless it is already), by its
/// owner `email`, and writes its archive to `path`. Returns its number of records.
fn freeze_and_write(dir: &Path, company: CompanyId, email: &str, to: &str, path: &Path) -> Result<u64, MoveError> {
    let storage = SqliteStorage::open(dir).map_err(HostError::from)?;
    let owner = storage
        .members(company)
        .map_err(HostError::from)?
        .into_iter()
        .find(|m| m.email == email && m.role == comptoir_core::model::Role::Owner)
        .ok_or(ArchiveError::NotAnOwner)?;
    if storage.moved(company).map_err(HostError::from)?.is_none() {
        let user = storage.user(owner.user_id).map_err(HostError::from)?.ok_or(ArchiveError::NotAnOwner)?;
        let actor = comptoir_server::sync::Actor::member(&user, owner.role);
        company_archive::move_out(&storage, company, &actor, to, chrono::Utc::now())?;
    }
    let key = comptoir_server::audit_key::default_path(dir);
    let signer = comptoir_server::audit_key::load_or_create(&key)
        .map_err(|e| HostError::Company(format!("the host's audit key: {e}")))?;
    let partial = path.with_extension("jsonl.part");
    let file = std::fs::File::create(&partial).map_err(|source| MoveError::Io { path: partial.clone(), source })?;
    let mut out = std::io::BufWriter::new(file);
    let written = company_archive::write(
        &storage,
        company,
        &signer,
        "un ordinateur du réseau local",
        chrono::Utc::now(),
        &mut out,
    )?;
    let file = out.into_inner().map_err(|e| MoveError::Io { path: partial.clone(), source: e.into_error() })?;
    file.sync_all().map_err(|source| MoveError::Io { path: partial.clone(), source })?;
    std::fs::rename(&partial, path).map_err(|source| MoveError::Io { path: path.to_path_buf(), source })?;
    Ok(written.records)
}
