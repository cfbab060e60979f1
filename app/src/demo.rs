//! Demo mode: the sync server inside the app, with the demo account and its companies.
//!
//! The demo keeps its own folder, away from real companies:
//!
//! - `server/`: the embedded server's data (its SQLite file), seeded on first use only:
//!   a later start serves the same accounts, companies and change logs (same epochs), so
//!   the copy's sessions and cursors stay valid;
//! - `client/`: the app's files (app file, company files, credentials), as for any server;
//! - `server-port`: the port the embedded server listened on last time.
//!
//! The copy keeps its server's address (in its app file), so the embedded server must be
//! found there again at the next start: otherwise the company opens offline, its grace
//! counter running, although the server is right inside the app. [`start`] binds the
//! remembered port again; when another program holds it, it binds a free one and moves
//! the copy's stored address there before the engine starts (see [`follow`]).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use comptoir_core::demo::DemoSize;
use comptoir_core::store::AppStore;

use crate::wizard::DemoAccount;

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the demo server cannot listen on 127.0.0.1: {0}")]
    Listen(std::io::Error),
    #[error("the demo server's storage: {0}")]
    Storage(#[from] comptoir_server::storage::StorageError),
    #[error("the demo server cannot start: {0}")]
    Open(#[from] comptoir_server::OpenError),
    #[error("seeding the demo companies failed: {0}")]
    Seed(#[from] comptoir_server::demo::DemoError),
    #[error("cannot start the demo server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot point the demo's copy at its server: {0}")]
    Copy(#[from] comptoir_core::store::StoreError),
}

/// The file, in the demo's folder, that remembers the embedded server's port.
const PORT_FILE: &str = "server-port";

/// How long [`DemoServer::stop`] waits for the server's tasks to end; they are idle at
/// an `await`, so it returns at once in practice, with the port free.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// The embedded server's data, under the demo's folder.
pub fn server_dir(folder: &Path) -> PathBuf {
    folder.join("server")
}

/// The app's files, under the demo's folder.
pub fn client_dir(folder: &Path) -> PathBuf {
    folder.join("client")
}

/// The embedded server, serving while this value lives.
#[derive(Debug)]
pub struct DemoServer {
    url: String,
    account: DemoAccount,
    runtime: Option<tokio::runtime::Runtime>,
}

impl DemoServer {
    /// The address the app syncs with (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The demo account, which the wizard shows.
    pub fn account(&self) -> &DemoAccount {
        &self.account
    }

    /// Stops serving: when it returns the port is closed (free for the next start) and
    /// refuses connections. Not to be called from inside an async runtime.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(STOP_WAIT);
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Seeds the demo data (the large company of `size`) on first use only, then serves it
/// on 127.0.0.1: on the port of the last start when it is free, otherwise on a free port
/// that the copy in `client/` follows. Returns once the copy's stored address is the
/// server's, so an engine started afterwards syncs at once.
///
/// # Errors
///
/// When the folder cannot be written, the storage cannot be opened or seeded, or no port
/// can be bound.
pub fn start(folder: &Path, size: &DemoSize) -> Result<DemoServer, DemoError> {
    let dir = server_dir(folder);
    std::fs::create_dir_all(&dir).map_err(|source| DemoError::Io { path: dir.clone(), source })?;
    let storage = comptoir_server::storage::SqliteStorage::open(&dir)?;
    let seeded =
        comptoir_server::storage::Storage::user_by_email(&storage, comptoir_server::demo::DEMO_EMAIL)?.is_some();
    if !seeded {
        tracing::info!(dir = %dir.display(), "seeding the demo companies (first start only)");
        comptoir_server::demo::seed(&storage, &dir.join("work"), size, None, None)?;
    }
    drop(storage);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("comptoir-demo-server")
        .enable_all()
        .build()
        .map_err(DemoError::Runtime)?;
    let state = comptoir_server::open_state(&dir)?;
    let listener = bind(&runtime, folder)?;
    let url = format!("http://{}", listener.local_addr().map_err(DemoError::Listen)?);
    follow(folder, &url)?;
    runtime.spawn(comptoir_server::serve(listener, state, std::future::pending()));
    tracing::info!(%url, "demo server listening");
    let account = DemoAccount {
        email: comptoir_server::demo::DEMO_EMAIL.to_owned(),
        password: comptoir_server::demo::DEMO_PASSWORD.to_owned(),
    };
    Ok(DemoServer { url, account, runtime: Some(runtime) })
}

/// Binds the port remembered from the last start, so that the address the copy keeps
/// answers again; when none is remembered or another program holds it, a free port,
/// remembered for the next start.
fn bind(runtime: &tokio::runtime::Runtime, folder: &Path) -> Result<tokio::net::TcpListener, DemoError> {
    crate::kept_port::bind(runtime, Ipv4Addr::LOCALHOST.into(), &folder.join(PORT_FILE), None, "demo server")
        .map_err(DemoError::Listen)
}

/// Points the copy in `client/` at the embedded server's address `url`, before the
/// engine starts: every address the copy keeps (the one the wizard proposes, each
/// account's) that is the embedded server's on another port moves to `url`. That covers
/// a remembered port found taken, and a demo folder from before the port was remembered.
/// The server behind it is the same (same data folder), so the sessions, company files
/// and cursors stay valid: the engine syncs at once and downloads nothing again. Any
/// other address (a real server typed in the wizard) is left alone.
fn follow(folder: &Path, url: &str) -> Result<(), DemoError> {
    let path = client_dir(folder).join(AppStore::FILE_NAME);
    if !path.exists() {
        // First start: the engine proposes `url` and keeps it once the user confirms.
        return Ok(());
    }
    let app = AppStore::open(&path)?;
    let mut stale: Vec<String> = app
        .server_url()?
        .into_iter()
        .chain(app.accounts()?.into_iter().map(|account| account.server_url))
        .filter(|kept| kept != url && is_embedded_address(kept))
        .collect();
    stale.sort();
    stale.dedup();
    for old in stale {
        app.move_server(&old, url)?;
        tracing::info!(%old, new = %url, "the demo's copy follows its server to a new port");
    }
    Ok(())
}

/// Whether `url` is an address [`start`] gives out: `http://127.0.0.1:PORT`.
fn is_embedded_address(url: &str) -> bool {
    url.strip_prefix("http://127.0.0.1:").is_some_and(|port| port.parse::<u16>().is_ok_and(|port| port != 0))
}

#[cfg(test)]
mod tests {
    use super::is_embedded_address;

    #[test]
    fn embedded_addresses_are_the_loopback_ones_start_gives_out() {
        assert!(is_embedded_address("http://127.0.0.1:40123"));
        for other in [
            "https://sync.comptoir.app",
            "http://127.0.0.1:0",
            "http://127.0.0.1:40123/v1",
            "https://127.0.0.1:40123",
            "http://192.168.1.10:40123",
        ] {
            assert!(!is_embedded_address(other), "{other}");
        }
    }
}
