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
//! [`start`] serves; [`Host`] makes invitations, lists and revokes devices. The same
//! [`Host`] backs `comptoir host` and, through [`crate::local_host`], the window's
//! "Partager sur le réseau local…".

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use comptoir_core::lan::{Fingerprint, HostAddress, HostIdentity, PairingLink, TypedInvitation};
use comptoir_core::model::{CompanyId, Role};
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
}

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
    runtime: Option<tokio::runtime::Runtime>,
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
    let identity = HostIdentity::load_or_create(&dir.join("tls"))?;
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
    Ok(Host { state, fingerprint, addresses, runtime: Some(runtime) })
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

    /// The companies hosted here.
    pub fn companies(&self) -> Result<Vec<CompanyRecord>, HostError> {
        Ok(self.state.storage.companies()?)
    }

    /// The company `wanted` (its name or id), or the only one when not said.
    pub fn company(&self, wanted: Option<&str>) -> Result<CompanyRecord, HostError> {
        let companies = self.companies()?;
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
    let bind = |address: SocketAddr| runtime.block_on(tokio::net::TcpListener::bind(address));
    if listen.port() != 0 {
        return bind(listen).map_err(|source| HostError::Listen { address: listen, source });
    }
    let path = dir.join(PORT_FILE);
    let remembered = std::fs::read_to_string(&path).ok().and_then(|text| text.trim().parse::<u16>().ok());
    for port in remembered.into_iter().chain([DEFAULT_PORT]).filter(|port| *port != 0) {
        match bind(SocketAddr::new(listen.ip(), port)) {
            Ok(listener) => {
                remember(&path, port);
                return Ok(listener);
            }
            Err(error) => tracing::info!(port, %error, "the host's port is taken: trying another"),
        }
    }
    let listener = bind(listen).map_err(|source| HostError::Listen { address: listen, source })?;
    if let Ok(local) = listener.local_addr() {
        remember(&path, local.port());
    }
    Ok(listener)
}

fn remember(path: &Path, port: u16) {
    if let Err(error) = std::fs::write(path, format!("{port}\n")) {
        // Not fatal: the next start may take another port, and devices look again.
        tracing::warn!(path = %path.display(), %error, "the host's port could not be remembered");
    }
}

/// The addresses to give devices for a listener on `local`: itself, or when it listens
/// on every interface, the address this computer uses on its network (found by routing
/// a datagram socket, without sending anything), else the loopback.
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
    vec![SocketAddr::new(routed.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)), local.port())]
}
