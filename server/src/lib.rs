//! The Comptoir sync server.
//!
//! - [`storage`]: the storage interface and its embedded SQLite backend;
//! - [`auth`]: passwords, tokens, two-factor codes, the clock and the failed-login policy;
//!   [`hashing`]: password hashing, a few at a time; [`rate_limit`]: token buckets;
//!   [`server_key`]: the key that seals secrets at rest, kept outside the database;
//! - [`api`]: the HTTP API under `/v1`, with JSON errors ([`error`]) that always carry a
//!   stable code;
//! - [`admin`]: what the `admin` commands of the binary do.
//!
//! - [`sync`]: companies' change logs: push, pull, status, numbering and the audit chain.

pub mod admin;
pub mod api;
pub mod auth;
pub mod demo;
pub mod error;
pub mod hashing;
pub mod rate_limit;
pub mod server_key;
pub mod storage;
pub mod sync;

use std::sync::Arc;

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

/// How long clients may work offline, unless configured otherwise.
pub const DEFAULT_OFFLINE_GRACE_HOURS: u32 = 72;

/// The state of a server storing under `data_dir`, on the system clock, with the
/// default policy and limits.
pub fn open_state(data_dir: &std::path::Path) -> Result<AppState, storage::StorageError> {
    Ok(AppState::new(Arc::new(storage::SqliteStorage::open(data_dir)?), Arc::new(auth::SystemClock)))
}
