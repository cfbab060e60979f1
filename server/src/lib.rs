//! The Comptoir sync server.
//!
//! - [`storage`]: the storage interface and its embedded SQLite backend;
//! - [`auth`]: passwords, tokens, two-factor codes, the clock and the failed-login policy;
//!   [`hashing`]: password hashing, a few at a time; [`rate_limit`]: token buckets;
//!   [`server_key`]: the key that seals secrets at rest, kept outside the database;
//!   [`client_address`]: whose request it is, behind trusted reverse proxies too;
//! - [`api`]: the HTTP API under `/v1`, with JSON errors ([`error`]) that always carry a
//!   stable code;
//! - [`logging`]: the logs, as text or JSON lines, each request's under its request id;
//! - [`admin`]: what the `admin` commands of the binary do (backup and restore among them,
//!   with the key files: [`key_backup`]); [`migrate_storage`]: a deployment copied whole
//!   from one storage to another (SQLite to PostgreSQL);
//! - [`host_backup`]: the backups of a computer hosting companies, into a folder of the
//!   user's, daily and before upgrades;
//! - [`audit_key`]: the key that signs the audit chains' heads, kept outside the database;
//! - [`pause`]: pause points inside multi-step changes, for crash tests;
//! - [`tls`]: serving over TLS with a host's own certificate (a company hosted on the
//!   local network); [`pairing`]: its invitations and the devices paired with it.
//!
//! - [`sync`]: companies' change logs: push, pull, status, numbering and the audit chain.

pub mod admin;
pub mod api;
pub mod audit_key;
pub mod auth;
pub mod client_address;
pub mod company_archive;
pub mod demo;
pub mod error;
pub mod hashing;
pub mod host_backup;
pub mod key_backup;
mod key_file;
pub mod logging;
pub mod migrate_storage;
pub mod pairing;
pub mod pause;
pub mod rate_limit;
pub mod server_key;
pub mod storage;
pub mod sync;
pub mod tls;

use std::sync::Arc;

use tokio_rustls::rustls as rustls_config;

pub use api::{AppState, Health, Limits};

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = api::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Serves the API over TLS with `config` (a host's certificate, see
/// [`comptoir_core::lan::HostIdentity::server_config`]) on `listener` until `shutdown`
/// resolves.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    config: Arc<rustls_config::ServerConfig>,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    let app = api::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // `tap_io` gives the connections their peer address as `ConnectInfo`, as a plain
    // TCP listener does.
    let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// How long clients may work offline, unless configured otherwise.
pub const DEFAULT_OFFLINE_GRACE_HOURS: u32 = 72;

/// Why a server's state cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error(transparent)]
    AuditKey(#[from] audit_key::AuditKeyError),
}

/// The state of a server storing under `data_dir`, on the system clock, signing with the
/// key next to its database (made on first start).
pub fn open_state(data_dir: &std::path::Path) -> Result<AppState, OpenError> {
    open_state_with_key(data_dir, &audit_key::default_path(data_dir))
}

/// [`open_state`] with the audit signing key at `key` (made there when missing).
pub fn open_state_with_key(data_dir: &std::path::Path, key: &std::path::Path) -> Result<AppState, OpenError> {
    open_state_on(data_dir, key, Arc::new(auth::SystemClock))
}

/// [`open_state`] on `clock` instead of the system's: a test that moves time on (token
/// lifetimes, lock-outs, two-factor codes) serves from files as the binary does.
pub fn open_state_with_clock(data_dir: &std::path::Path, clock: Arc<dyn auth::Clock>) -> Result<AppState, OpenError> {
    open_state_on(data_dir, &audit_key::default_path(data_dir), clock)
}

fn open_state_on(
    data_dir: &std::path::Path,
    key: &std::path::Path,
    clock: Arc<dyn auth::Clock>,
) -> Result<AppState, OpenError> {
    open_state_in(data_dir, None, key, clock)
}

/// The state of a server whose data is in `database` (a PostgreSQL address) when given,
/// else in the SQLite files of `data_dir`; its keys (`server.key`, the audit signing key
/// at `key`) are in `data_dir` either way: every instance on one database needs the same.
pub fn open_state_in(
    data_dir: &std::path::Path,
    database: Option<&str>,
    key: &std::path::Path,
    clock: Arc<dyn auth::Clock>,
) -> Result<AppState, OpenError> {
    let storage = open_storage(data_dir, database)?;
    let signer = Arc::new(audit_key::load_or_create(key)?);
    Ok(AppState::new(storage, clock, signer))
}

/// The storage: PostgreSQL at `database` when given (its two-factor secrets sealed with
/// `data_dir`'s `server.key`), else the SQLite files of `data_dir`.
pub fn open_storage(
    data_dir: &std::path::Path,
    database: Option<&str>,
) -> Result<Arc<dyn storage::Storage>, OpenError> {
    Ok(match database {
        None => Arc::new(storage::SqliteStorage::open(data_dir)?),
        Some(url) => {
            std::fs::create_dir_all(data_dir).map_err(|e| storage::StorageError::Backend(e.to_string()))?;
            let key = server_key::ServerKey::load_or_create(data_dir)
                .map_err(|e| storage::StorageError::Backend(e.to_string()))?;
            Arc::new(storage::PostgresStorage::connect(url, key)?)
        }
    })
}
