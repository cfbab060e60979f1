//! Demo mode: the sync server inside the app, with the demo account and its companies.
//!
//! The demo keeps its own folder, away from real companies:
//!
//! - `server/`: the embedded server's data (its SQLite file), seeded on first use only;
//! - `client/`: the app's files (app file, company files, credentials), as for any server.

use std::path::{Path, PathBuf};

use comptoir_core::demo::DemoSize;

use crate::app::DemoAccount;

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the demo server cannot listen on 127.0.0.1: {0}")]
    Listen(std::io::Error),
    #[error("the demo server's storage: {0}")]
    Storage(#[from] comptoir_server::storage::StorageError),
    #[error("seeding the demo companies failed: {0}")]
    Seed(#[from] comptoir_server::demo::DemoError),
    #[error("cannot start the demo server's runtime: {0}")]
    Runtime(std::io::Error),
}

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

    /// Stops serving: the port refuses connections from then on.
    pub fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Seeds the demo data (the large company of `size`) on first use, then serves it on a
/// free port of 127.0.0.1.
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
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).map_err(DemoError::Listen)?;
    let url = format!("http://{}", listener.local_addr().map_err(DemoError::Listen)?);
    runtime.spawn(comptoir_server::serve(listener, state, std::future::pending()));
    tracing::info!(%url, "demo server listening");
    let account = DemoAccount {
        email: comptoir_server::demo::DEMO_EMAIL.to_owned(),
        password: comptoir_server::demo::DEMO_PASSWORD.to_owned(),
    };
    Ok(DemoServer { url, account, runtime: Some(runtime) })
}
