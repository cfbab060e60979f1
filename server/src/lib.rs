//! The Comptoir sync server.
//!
//! - [`storage`]: the storage interface and its embedded SQLite backend;
//! - [`auth`]: passwords, tokens, two-factor codes, the clock and the failed-login policy;
//! - [`api`]: the HTTP API under `/v1`, with JSON errors ([`error`]) that always carry a
//!   stable code;
//! - [`admin`]: what the `admin` commands of the binary do (backup and restore among them);
//! - [`pause`]: pause points inside multi-step changes, for crash tests.
//!
//! - [`sync`]: companies' change logs: push, pull, status, numbering and the audit chain.

pub mod admin;
pub mod api;
pub mod auth;
pub mod demo;
pub mod error;
pub mod pause;
pub mod storage;
pub mod sync;

use std::sync::Arc;

pub use api::{AppState, Health};

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, api::router(state)).with_graceful_shutdown(shutdown).await
}

/// How long clients may work offline, unless configured otherwise.
pub const DEFAULT_OFFLINE_GRACE_HOURS: u32 = 72;

/// The state of a server storing under `data_dir`, on the system clock.
pub fn open_state(data_dir: &std::path::Path) -> Result<AppState, storage::StorageError> {
    Ok(AppState {
        storage: Arc::new(storage::SqliteStorage::open(data_dir)?),
        clock: Arc::new(auth::SystemClock),
        policy: auth::AuthPolicy::default(),
        offline_grace_hours: DEFAULT_OFFLINE_GRACE_HOURS,
    })
}
