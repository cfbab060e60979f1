//! Hosting a company on this computer (issue 15): the embedded sync server serves it on
//! the local network, over TLS with the host's own certificate, and devices pair with it
//! by link (QR code) or typed code.
//!
//! The host keeps its files under the app's folder:
//!
//! - `host/`: the server's data (its SQLite file and keys), as a Comptoir server's;
//! - `host/tls/`: the certificate and its key, made once and kept: the devices pin it;
//! - `host/host-port`: the port it listened on, bound again at the next start so that
//!   the devices find it where they left it.
//!
//! - `host/backup-folder`: where its backups go (the user's choice: a USB disk, a synced
//!   folder); see [`back_up_if_due`].
//!
//! [`start`] serves; [`Host`] makes invitations, lists and revokes devices. The same
//! [`Host`] backs `comptoir host` and, through [`crate::local_host`], the window's
//! "Partager sur le réseau local…".

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use comptoir_core::lan::{Fingerprint, HostAddress, HostIdentity, PairingLink, TypedInvitation};
use comptoir_core::model::{CompanyId, Role};
use comptoir_server::host_backup::{BackupFile, BackupFolder, Versions};
use comptoir_server::pairing::{Invitation, PairingError};
use comptoir_server::storage::{CompanyRecord, DeviceRecord, MemberRecord, Storage as _};

/// The host's folder, under the app's.
pub const HOST_DIR: &str = "host";
/// The port a host listens on when it has none yet (and it is free).
pub const DEFAULT_PORT: u16 = 7443;
/// The file, in the host's folder, that remembers its port.
const PORT_FILE: &str = "host-port";
/// How long [`Host::stop`] waits for the server's tasks.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// Why hosting cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot listen on {address}: {source}. Another program may use this port; choose another with --listen.")]
    Listen { address: SocketAddr, source: std::io::Error },
    #[error("cannot start the host's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the host's data: {0}")]
    Open(#[from] comptoir_server::OpenError),
    #[error("the host's data: {0}")]
    Storage(#[from] comptoir_server::storage::StorageError),
    #[error(transparent)]
    Lan(#[from] comptoir_core::lan::LanError),
    #[error(transparent)]
    Pairing(#[from] PairingError),
    #[error(transparent)]
    Admin(#[from] comptoir_server::admin::AdminError),
    #[error("{0}")]
    Company(String),
    #[error("the host's backups: {0}")]
    Backup(#[from] comptoir_server::host_backup::HostBackupError),
}

impl HostError {
    /// A stable code, read by the window's messages (`error-…` in the locale files).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "host_io",
            Self::Listen { .. } => "host_listen",
            Self::Runtime(_) => "host_runtime",
            Self::Lan(error) => error.code(),
            Self::Pairing(error) => error.code(),
            Self::Admin(comptoir_server::admin::AdminError::Invalid(_)) => "host_invalid",
            Self::Admin(comptoir_server::admin::AdminError::Storage(
                comptoir_server::storage::StorageError::EmailTaken,
            )) => "email_taken",
            Self::Open(_) | Self::Storage(_) | Self::Admin(_) => "host_data",
            Self::Company(_) => "host_company",
            Self::Backup(error) => error.code(),
        }
    }
}

/// What went wrong on the host, for the window: a stable code (its message in the
/// user's language, `error-CODE`) and the host's own words (shown when the code has no
/// message, and logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostProblem {
    pub code: String,
    pub message: String,
}

impl HostProblem {
    pub fn new(code: &str, message: impl std::fmt::Display) -> Self {
        Self { code: code.to_owned(), message: message.to_string() }
    }

    /// The problem in the user's language.
    pub fn text(&self, texts: &crate::i18n::Texts) -> String {
        texts.error(&self.code, &self.message)
    }
}

impl std::fmt::Display for HostProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl From<HostError> for HostProblem {
    fn from(error: HostError) -> Self {
        Self::new(error.code(), &error)
    }
}

/// Where the host's backups go: `chosen` (remembered for the next starts), else the
/// folder remembered; `None` when none was ever chosen.
pub fn backup_folder(data: &Path, chosen: Option<&Path>) -> Result<Option<BackupFolder>, HostError> {
    let dir = host_dir(data);
    let file = dir.join(BACKUP_FOLDER_FILE);
    if let Some(chosen) = chosen {
        std::fs::create_dir_all(&dir).map_err(|source| HostError::Io { path: dir.clone(), source })?;
        let text = chosen.to_string_lossy();
        std::fs::write(&file, format!("{text}\n")).map_err(|source| HostError::Io { path: file.clone(), source })?;
        return Ok(Some(BackupFolder::new(chosen)));
    }
    match std::fs::read_to_string(&file) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(BackupFolder::new(text.trim_end_matches(['\n', '\r'])))),
        Ok(_) => Ok(None),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(HostError::Io { path: file, source }),
    }
}

/// Takes a backup of the host's data into `folder` when one is due — none yet, another
/// version of Comptoir than the newest backup's (so, before an upgrade opens the data),
/// or a day since the newest — then keeps the newest
/// [`comptoir_server::host_backup::KEEP`]. The host may be serving.
pub fn back_up_if_due(
    data: &Path,
    folder: &BackupFolder,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<BackupFile>, HostError> {
    if folder.why_due(&Versions::running(), now)?.is_none() {
        return Ok(None);
    }
    back_up_now(data, folder, now).map(Some)
}

/// Takes a backup of the host's data into `folder` now (Fichier → Sauvegarder
/// maintenant), then keeps the newest [`comptoir_server::host_backup::KEEP`].
pub fn back_up_now(
    data: &Path,
    folder: &BackupFolder,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<BackupFile, HostError> {
    let file = folder.take(&host_dir(data), now)?;
    // The certificate goes with the keys: a host restored on another computer keeps the
    // fingerprint its devices pinned, and they find it again (mDNS) without pairing.
    if let (Some(keys), Some(identity)) = (&file.keys, HostIdentity::load(&tls_dir(data))?) {
        identity.save(&keys.join(TLS_DIR))?;
    }
    let removed = folder.prune(comptoir_server::host_backup::KEEP)?;
    tracing::info!(backup = %file.path.display(), pruned = removed.len(), "host backup taken");
    Ok(file)
}

/// Puts the newest backup of `folder` in place of the host's data (hosting stopped):
/// every company at a new epoch, so every device downloads again, sending first what it
/// had not sent.
pub fn restore_newest(data: &Path, folder: &BackupFolder) -> Result<BackupFile, HostError> {
    let (file, _) = comptoir_server::host_backup::restore_newest(&host_dir(data), folder)?;
    // The backup's certificate, when it has one, becomes the host's (another computer
    // taking over a lost host): the one it replaces is kept aside.
    if let Some(identity) =
        file.keys.as_ref().map(|keys| HostIdentity::load(&keys.join(TLS_DIR))).transpose()?.flatten()
    {
        let tls = tls_dir(data);
        if tls.exists() {
            let aside =
                host_dir(data).join(format!("tls.before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
            std::fs::rename(&tls, &aside).map_err(|source| HostError::Io { path: tls.clone(), source })?;
        }
        identity.save(&tls)?;
    }
    Ok(file)
}

/// The host's certificate folder, under its folder.
const TLS_DIR: &str = "tls";

fn tls_dir(data: &Path) -> PathBuf {
    host_dir(data).join(TLS_DIR)
}

/// The file, in the host's folder, that remembers where its backups go.
const BACKUP_FOLDER_FILE: &str = "backup-folder";

/// The host's folder under the app's folder `data`.
pub fn host_dir(data: &Path) -> PathBuf {
    data.join(HOST_DIR)
}

/// A new company hosted by this computer, from nothing: its owner's account (`email`,
/// `password`) and the company (`name`, ISO `country`) with its settings, in the host's
/// data. Nothing needs a network.
///
/// # Errors
///
/// A bad email, a short password, an unknown country, an email already taken.
pub fn create_company(
    data: &Path,
    name: &str,
    country: &str,
    email: &str,
    display_name: &str,
    password: &str,
) -> Result<CompanyId, HostError> {
    let dir = host_dir(data);
    std::fs::create_dir_all(&dir).map_err(|source| HostError::Io { path: dir.clone(), source })?;
    let storage = comptoir_server::storage::SqliteStorage::open(&dir)?;
    if storage.user_by_email(&email.trim().to_lowercase())?.is_none() {
        comptoir_server::admin::create_user(&storage, email, password, display_name)?;
    }
    let company = comptoir_server::admin::create_company(&storage, name, country)?;
    comptoir_server::admin::add_member(&storage, company, email, Role::Owner)?;
    tracing::info!(%company, "a company hosted by this computer was created");
    Ok(company)
}

/// A company's host, serving while this value lives.
#[derive(Debug)]
pub struct Host {
    state: comptoir_server::AppState,
    fingerprint: Fingerprint,
    addresses: Vec<SocketAddr>,
    /// The address it listens on (an unspecified IP when it listens on every interface).
    local: SocketAddr,
    /// Its mDNS announcement, so devices find it when its address changes; `None` when
    /// the network refused it (devices then use the addresses they know).
    announcement: Option<comptoir_core::lan::discovery::Announcement>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// The company `wanted` (its name or id) among those hosted here, or the only one when
/// not said.
///
/// # Errors
///
/// None, none of that name, or several and none said.
pub fn choose_company(companies: &[CompanyRecord], wanted: Option<&str>) -> Result<CompanyRecord, HostError> {
    let matches: Vec<_> = companies
        .iter()
        .filter(|c| wanted.is_none_or(|w| c.id.to_string() == w || c.name.eq_ignore_ascii_case(w)))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] if companies.is_empty() => {
            Err(HostError::Company("this computer hosts no company yet: create one with --create".into()))
        }
        [] => Err(HostError::Company(format!("no company here is called {}", wanted.unwrap_or_default()))),
        several => {
            let names: Vec<_> = several.iter().map(|c| format!("{} ({})", c.name, c.id)).collect();
            Err(HostError::Company(format!("several companies are hosted here; choose one: {}", names.join(", "))))
        }
    }
}

/// Serves the host's data under `data` on `listen` (port 0: the port of the last start,
/// else [`DEFAULT_PORT`], else a free one — remembered).
///
/// # Errors
///
/// When the folder cannot be written, the data cannot be opened, or the address cannot
/// be bound.
pub fn start(data: &Path, listen: SocketAddr) -> Result<Host, HostError> {
    let dir = host_dir(data);
    std::fs::create_dir_all(&dir).map_err(|source| HostError::Io { path: dir.clone(), source })?;
    let identity = HostIdentity::load_or_create(&tls_dir(data))?;
    let fingerprint = identity.fingerprint();
    let config = identity.server_config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("comptoir-host")
        .enable_all()
        .build()
        .map_err(HostError::Runtime)?;
    let state = comptoir_server::open_state(&dir)?.hosting(fingerprint);
    let listener = bind(&runtime, &dir, listen)?;
    let local = listener.local_addr().map_err(|source| HostError::Listen { address: listen, source })?;
    let addresses = advertised(local);
    runtime.spawn(comptoir_server::serve_tls(listener, config, state.clone(), std::future::pending()));
    tracing::info!(%local, fingerprint = %fingerprint, "hosting on the local network");
    let announcement = match comptoir_core::lan::discovery::announce(&fingerprint, local.port()) {
        Ok(announcement) => Some(announcement),
        Err(error) => {
            tracing::warn!(%error, "the host is not announced on the local network: devices use the addresses they know");
            None
        }
    };
    Ok(Host { state, fingerprint, addresses, local, announcement, runtime: Some(runtime) })
}

impl Host {
    /// The fingerprint of the certificate the devices pin.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The addresses a pairing link gives (the first is tried first).
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// How this computer's own copy, or any device, names this host.
    pub fn host_address(&self) -> HostAddress {
        HostAddress { fingerprint: self.fingerprint, addresses: self.addresses.clone() }
    }

    /// How this computer's own copy reaches the host: over the loopback (the address it
    /// listens on, or `127.0.0.1`/`::1` on its port when it listens on every interface).
    /// Unlike [`Self::host_address`] this needs no network at all, never leaves the
    /// computer (no firewall asks), and stays right when the network's address changes
    /// (a DHCP lease, another Wi-Fi); the certificate is pinned all the same.
    pub fn own_address(&self) -> HostAddress {
        let address = match self.local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.local.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), self.local.port())
            }
            _ => self.local,
        };
        HostAddress { fingerprint: self.fingerprint, addresses: vec![address] }
    }

    /// The companies hosted here.
    pub fn companies(&self) -> Result<Vec<CompanyRecord>, HostError> {
        Ok(self.state.storage.companies()?)
    }

    /// The companies hosted here and not moved away (those are served read-only).
    pub fn hosted_companies(&self) -> Result<Vec<CompanyId>, HostError> {
        let storage = self.state.storage.as_ref();
        let mut hosted = Vec::new();
        for company in storage.companies()? {
            if storage.moved(company.id)?.is_none() {
                hosted.push(company.id);
            }
        }
        Ok(hosted)
    }

    /// The company `wanted` (its name or id), or the only one when not said.
    pub fn company(&self, wanted: Option<&str>) -> Result<CompanyRecord, HostError> {
        choose_company(&self.companies()?, wanted)
    }

    /// The members of `company`: those an invitation may be for.
    pub fn members(&self, company: CompanyId) -> Result<Vec<MemberRecord>, HostError> {
        Ok(self.state.storage.members(company)?)
    }

    /// An invitation for `member` (an email; the first owner when `None`) of `company`,
    /// with its link and its typed form.
    pub fn invite(
        &self,
        company: CompanyId,
        member: Option<&str>,
    ) -> Result<(Invitation, PairingLink, TypedInvitation), HostError> {
        let storage = self.state.storage.as_ref();
        let email = match member {
            Some(email) => email.to_owned(),
            None => storage
                .members(company)?
                .into_iter()
                .find(|m| m.role == Role::Owner)
                .map(|m| m.email)
                .ok_or_else(|| HostError::Company("the company has no owner".into()))?,
        };
        let invitation = comptoir_server::pairing::invite(storage, company, &email, self.state.clock.now())?;
        let link = PairingLink {
            addresses: self.addresses.clone(),
            fingerprint: self.fingerprint,
            secret: invitation.secret.clone(),
        };
        let address = self.addresses.first().copied().unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let typed = TypedInvitation { code: invitation.code.clone(), address };
        Ok((invitation, link, typed))
    }

    /// The devices paired with `company`, revoked ones too.
    pub fn devices(&self, company: CompanyId) -> Result<Vec<DeviceRecord>, HostError> {
        Ok(comptoir_server::pairing::devices(self.state.storage.as_ref(), company)?)
    }

    /// Revokes a device of `company`: its next request is refused.
    pub fn revoke(&self, company: CompanyId, device: uuid::Uuid) -> Result<(), HostError> {
        Ok(comptoir_server::pairing::revoke(self.state.storage.as_ref(), company, device, self.state.clock.now())?)
    }

    /// Stops serving; the port is free when it returns. Not to be called from inside an
    /// async runtime.
    pub fn stop(&mut self) {
        self.announcement = None;
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(STOP_WAIT);
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `text` as a QR code drawn with Unicode half blocks, for a terminal: its light
/// modules drawn in the terminal's foreground, since terminals are mostly dark and a
/// reader wants dark modules on a light ground.
///
/// # Errors
///
/// When `text` is too long for a QR code.
pub fn terminal_qr(text: &str) -> Result<String, HostError> {
    use qrcode::render::unicode::Dense1x2;
    let qr = qrcode::QrCode::new(text.as_bytes()).map_err(|e| HostError::Company(format!("QR code: {e}")))?;
    Ok(qr.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build())
}

/// Binds `listen`; with port 0, the port remembered in `dir`, else [`DEFAULT_PORT`],
/// else a free one, and remembers it.
fn bind(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    listen: SocketAddr,
) -> Result<tokio::net::TcpListener, HostError> {
    let bound = if listen.port() == 0 {
        crate::kept_port::bind(runtime, listen.ip(), &dir.join(PORT_FILE), Some(DEFAULT_PORT), "host")
    } else {
        runtime.block_on(tokio::net::TcpListener::bind(listen))
    };
    bound.map_err(|source| HostError::Listen { address: listen, source })
}

/// The addresses to give devices for a listener on `local`: itself, or when it listens
/// on every interface, the address this computer uses on its network first (found by
/// routing a datagram socket, without sending anything), then its other interfaces'
/// addresses (IPv4 before IPv6, no loopback nor link-local: a URL cannot carry an IPv6
/// scope), at most [`comptoir_core::lan::link::MAX_ADDRESSES`]; the loopback when it has
/// no other.
fn advertised(local: SocketAddr) -> Vec<SocketAddr> {
    if !local.ip().is_unspecified() {
        return vec![local];
    }
    let routed = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|socket| {
            // TEST-NET-1: routed like any outside address, never contacted (UDP connect
            // sends nothing).
            socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
            socket.local_addr()
        })
        .ok()
        .map(|address| address.ip())
        .filter(|ip| !ip.is_unspecified());
    let mut interfaces: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|interface| !interface.is_loopback() && !interface.is_link_local())
        .map(|interface| interface.ip())
        .collect();
    interfaces.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    let mut ips: Vec<IpAddr> = routed.into_iter().collect();
    for ip in interfaces {
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if ips.is_empty() {
        ips.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    ips.truncate(comptoir_core::lan::link::MAX_ADDRESSES);
    ips.into_iter().map(|ip| SocketAddr::new(ip, local.port())).collect()
}
