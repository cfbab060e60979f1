//! End-to-end tests across Comptoir's crates live in `tests/tests/`, benchmarks in
//! `tests/benches/`. This library holds what they share: a real sync server on loopback
//! that a test can stop and start again on the same port ([`TestServer`]), the HTTP
//! helpers the API tests talk to it with ([`api`]), and the server's binary run as a real
//! process ([`process`]), a real SMTP server run as a process ([`smtp`]), and a real
//! PostgreSQL cluster with a database per test ([`postgres`]), and a relay that holds back
//! the server's answers to one kind of request ([`relay`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use comptoir_core::demo::DemoSize;
use comptoir_core::model::CompanyId;
use comptoir_server::auth::{AuthPolicy, Clock};
use comptoir_server::client_address::TrustedProxies;
use comptoir_server::demo::DemoAccounts;
use comptoir_server::storage::Storage;
use comptoir_server::sync::copies::{Copies, Renewal};

/// Why the test server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("seeding the demo data failed: {0}")]
    Seed(String),
    #[error("opening the server's storage failed: {0}")]
    Storage(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// The real sync server, in a runtime of its own: stopping it drops every connection, as
/// a server that goes down would.
///
/// [`TestServer::start`] seeds the demo accounts; [`TestServer::builder`] starts one empty,
/// on a clock of the test's, with a failed-login policy and limits of its own. The API
/// tests talk to it with the helpers of [`api`]; [`process`] runs the real binary instead.
#[derive(Debug)]
pub struct TestServer {
    pub url: String,
    /// What the demo seeded; nothing (no account, no company) for a server started empty.
    pub accounts: DemoAccounts,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    /// The PostgreSQL database the server stores in; `None`: SQLite files in `dir`.
    database: Option<String>,
    limits: comptoir_server::Limits,
    trusted_proxies: TrustedProxies,
    policy: AuthPolicy,
    clock: Arc<dyn Clock>,
    /// The storage the running server writes to; `None` while it is stopped.
    storage: Option<Arc<dyn Storage>>,
    /// Whether the PostgreSQL database goes with this server (another instance of the
    /// same server leaves it to the first).
    owns_database: bool,
    /// The public key the server signs its audit chains' heads with.
    audit_key: String,
    /// The HTTP client of [`api`]'s helpers, made on first use.
    http: std::sync::OnceLock<reqwest::Client>,
    /// A server hosting on the local network serves TLS with this identity (kept in
    /// its data folder, so the fingerprint survives a restart).
    identity: Option<comptoir_core::lan::HostIdentity>,
    /// The company files the server keeps ready for first downloads, brought up to date
    /// when a test asks ([`Self::refresh_copies`]) rather than every minute.
    copies: Option<Arc<Copies>>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Server limits for a test that signs in hundreds of times a minute from 127.0.0.1 (the
/// default allows 30 per address): the sign-in guards themselves are tested apart.
pub fn generous_limits() -> comptoir_server::Limits {
    let rate = comptoir_server::rate_limit::Rate { per_minute: 100_000 };
    comptoir_server::Limits { auth_per_address: rate, auth_global: rate, ..comptoir_server::Limits::default() }
}

/// Where a test server stores its data: the embedded SQLite files of its folder, or a
/// PostgreSQL database of its own on the tests' cluster ([`postgres::PgCluster::shared`]).
/// The server suite runs once on each (`tests/tests/server/` and
/// `tests/tests/server_postgres/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// A new place for a storage: a folder of its own under `parent` (the keys; SQLite's
    /// files) and, on PostgreSQL, a new database.
    pub fn place_in(self, parent: &Path) -> Result<StoragePlace, ServerError> {
        let dir = tempfile::tempdir_in(parent)?;
        let database = match self {
            Self::Sqlite => None,
            Self::Postgres => Some(
                postgres::PgCluster::shared().and_then(postgres::PgCluster::database).map_err(ServerError::Storage)?,
            ),
        };
        Ok(StoragePlace { dir, database })
    }

    /// [`Self::place_in`] the system's temp folder.
    pub fn place(self) -> Result<StoragePlace, ServerError> {
        self.place_in(&std::env::temp_dir())
    }
}

/// A storage's folder and database (see [`Backend::place_in`]); the folder goes when
/// this is dropped, a database of the tests' cluster when the cluster stops.
#[derive(Debug)]
pub struct StoragePlace {
    pub dir: tempfile::TempDir,
    /// `None` on SQLite.
    pub database: Option<String>,
}

impl StoragePlace {
    /// Opens the storage there, as the server opens it (`--data DIR [--database URL]`).
    pub fn open(&self) -> Result<Arc<dyn Storage>, ServerError> {
        comptoir_server::open_storage(self.dir.path(), self.database.as_deref())
            .map_err(|e| ServerError::Storage(e.to_string()))
    }

    /// The folder, for `--data`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The environment that points the server's commands here beside `--data`
    /// (`COMPTOIR_DATABASE_URL` on PostgreSQL; nothing on SQLite).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.database.iter().map(|url| ("COMPTOIR_DATABASE_URL", url.clone())).collect()
    }

    /// `serve`'s arguments for this place: `--data DIR` and, on PostgreSQL, `--database URL`.
    pub fn serve_args(&self) -> Vec<std::ffi::OsString> {
        let mut args = vec!["--data".into(), self.dir.path().as_os_str().to_owned()];
        if let Some(database) = &self.database {
            args.extend(["--database".into(), database.into()]);
        }
        args
    }
}

/// How a [`TestServer`] starts: with the demo data or empty, its clock, its failed-login
/// policy, its limits, and where its data folder goes.
#[derive(Debug)]
pub struct TestServerBuilder {
    demo: Option<DemoSize>,
    parent: PathBuf,
    clock: Arc<dyn Clock>,
    policy: AuthPolicy,
    limits: comptoir_server::Limits,
    trusted_proxies: TrustedProxies,
    /// The address to listen on, and whether over TLS with a host's identity.
    host: Option<std::net::IpAddr>,
    backend: Backend,
    /// Keeps company files ready for first downloads, from this many changes.
    copies_from: Option<u64>,
}

impl TestServerBuilder {
    /// Serves as a computer hosting a company on the local network: over TLS with a
    /// self-signed certificate made in its data folder (its fingerprint:
    /// [`TestServer::fingerprint`]), on `address` (another loopback address, say
    /// 127.0.0.2, so that a host and its devices each have their own), its URL
    /// `https://address:port`.
    #[must_use]
    pub fn lan_host(self, address: std::net::IpAddr) -> Self {
        Self { host: Some(address), ..self }
    }

    /// Keeps a company file ready for the first download of each company whose log holds
    /// at least `changes` changes, as `serve --copies-from` does, in the data folder's
    /// `copies`; written when the test calls [`TestServer::refresh_copies`]. None by
    /// default: devices download page by page.
    #[must_use]
    pub fn copies_from(self, changes: u64) -> Self {
        Self { copies_from: Some(changes), ..self }
    }

    /// Stores in SQLite files (the default) or in a PostgreSQL database of its own.
    #[must_use]
    pub fn backend(self, backend: Backend) -> Self {
        Self { backend, ..self }
    }

    /// Seeds the demo accounts, the large company of about `records` records.
    #[must_use]
    pub fn demo(self, records: u32) -> Self {
        self.demo_size(DemoSize::with_records(records))
    }

    /// Seeds the demo accounts, the large company of exactly `size` (the demo's own
    /// [`DemoSize::LARGE`], say).
    #[must_use]
    pub fn demo_size(self, size: DemoSize) -> Self {
        Self { demo: Some(size), ..self }
    }

    /// No account and no company: the test creates what it needs (the default).
    #[must_use]
    pub fn empty(self) -> Self {
        Self { demo: None, ..self }
    }

    /// The server's time: a [`comptoir_server::auth::ManualClock`] the test moves on, say
    /// (the system clock by default).
    #[must_use]
    pub fn clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// The failed-login policy (slow-down, lock-out, token lifetimes).
    #[must_use]
    pub fn policy(self, policy: AuthPolicy) -> Self {
        Self { policy, ..self }
    }

    /// The rate limits, in-flight limit, timeout and hashing pool.
    #[must_use]
    pub fn limits(self, limits: comptoir_server::Limits) -> Self {
        Self { limits, ..self }
    }

    /// The reverse proxies whose `X-Forwarded-For` the server believes (none by default),
    /// as `serve --trusted-proxy` sets them.
    #[must_use]
    pub fn trusted_proxies(self, trusted_proxies: TrustedProxies) -> Self {
        Self { trusted_proxies, ..self }
    }

    /// The server's data in a new folder under `parent` (a tmpfs for tests that write a lot
    /// and do not test durability) instead of the system's temp folder.
    #[must_use]
    pub fn parent(self, parent: &Path) -> Self {
        Self { parent: parent.to_path_buf(), ..self }
    }

    /// Seeds what was asked and serves it on a free port of 127.0.0.1.
    pub fn start(self) -> Result<TestServer, ServerError> {
        let StoragePlace { dir, database } = self.backend.place_in(&self.parent)?;
        let accounts = match self.demo {
            Some(size) => {
                let storage = comptoir_server::open_storage(dir.path(), database.as_deref())
                    .map_err(|e| ServerError::Storage(e.to_string()))?;
                comptoir_server::demo::seed(storage.as_ref(), &dir.path().join("work"), &size, None, None)
                    .map_err(|e| ServerError::Seed(e.to_string()))?
            }
            None => DemoAccounts::default(),
        };
        let ip = self.host.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        let listener = std::net::TcpListener::bind((ip, 0))?;
        let addr = listener.local_addr()?;
        let identity = match self.host {
            Some(_) => Some(
                comptoir_core::lan::HostIdentity::load_or_create(&dir.path().join("host"))
                    .map_err(|e| ServerError::Storage(e.to_string()))?,
            ),
            None => None,
        };
        let scheme = if identity.is_some() { "https" } else { "http" };
        // A test's refresh brings the copy to the log's end (the server's default waits
        // for a page of changes or an hour).
        let copies = self
            .copies_from
            .map(|from| Arc::new(Copies::new(dir.path().join("copies"), from).with_renewal(Renewal::EVERY_CHANGE)));
        let mut server = TestServer {
            url: format!("{scheme}://{addr}"),
            identity,
            accounts,
            addr,
            dir,
            database,
            owns_database: true,
            limits: self.limits,
            trusted_proxies: self.trusted_proxies,
            policy: self.policy,
            clock: self.clock,
            storage: None,
            audit_key: String::new(),
            http: std::sync::OnceLock::new(),
            copies,
            runtime: None,
        };
        server.run(listener)?;
        Ok(server)
    }
}

impl TestServer {
    /// An empty server on the system clock, with the default policy and limits, its data
    /// under the system's temp folder: say what differs, then [`TestServerBuilder::start`].
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder {
            demo: None,
            parent: std::env::temp_dir(),
            clock: Arc::new(comptoir_server::auth::SystemClock),
            policy: AuthPolicy::default(),
            limits: comptoir_server::Limits::default(),
            trusted_proxies: TrustedProxies::default(),
            host: None,
            backend: Backend::Sqlite,
            copies_from: None,
        }
    }

    /// Brings the company files kept ready for first downloads up to date now (see
    /// [`TestServerBuilder::copies_from`]), as the server's background thread does every
    /// minute.
    pub fn refresh_copies(&self) -> Result<(), ServerError> {
        let (Some(copies), Some(storage)) = (&self.copies, &self.storage) else {
            return Err(ServerError::Storage("this server keeps no copies, or is stopped".into()));
        };
        copies.refresh_all(storage.as_ref()).map_err(|e| ServerError::Storage(e.to_string()))
    }

    /// The SHA-256 fingerprint of the certificate a [`TestServerBuilder::lan_host`]
    /// server presents; `None` for a plain HTTP one.
    pub fn fingerprint(&self) -> Option<comptoir_core::lan::Fingerprint> {
        self.identity.as_ref().map(comptoir_core::lan::HostIdentity::fingerprint)
    }

    /// The address the server listens on (IP and port).
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// An invitation of the host (a [`TestServerBuilder::lan_host`]) for `member` of
    /// `company`, made by the host's clock, and its pairing link.
    pub fn invite(
        &self,
        company: CompanyId,
        member: &str,
    ) -> Result<(comptoir_server::pairing::Invitation, comptoir_core::lan::PairingLink), ServerError> {
        let fingerprint = self.fingerprint().ok_or_else(|| ServerError::Storage("not a LAN host".into()))?;
        let invitation = comptoir_server::pairing::invite(self.storage().as_ref(), company, member, self.clock.now())
            .map_err(|e| ServerError::Storage(e.to_string()))?;
        let link = comptoir_core::lan::PairingLink {
            addresses: vec![self.addr],
            fingerprint,
            secret: invitation.secret.clone(),
        };
        Ok((invitation, link))
    }

    /// Seeds the demo accounts (the large company of about `records` records) and serves
    /// them on a free port of 127.0.0.1.
    pub fn start(records: u32) -> Result<Self, ServerError> {
        Self::builder().demo(records).start()
    }

    /// [`Self::start`] with the server's rate limits, in-flight limit and hashing pool
    /// set to `limits` (a benchmark signing in hundreds of times from 127.0.0.1, say).
    pub fn start_with(records: u32, limits: comptoir_server::Limits) -> Result<Self, ServerError> {
        Self::builder().demo(records).limits(limits).start()
    }

    /// [`Self::start`], with the server's data in a new folder under `parent` (a tmpfs
    /// for tests that write a lot and do not test durability).
    pub fn start_in(records: u32, parent: &Path) -> Result<Self, ServerError> {
        Self::builder().demo(records).parent(parent).start()
    }

    /// A second server, on a port of its own, starting from a copy of this one's data as
    /// it is now (its accounts, sessions, companies and logs), with the same clock, policy
    /// and limits. Stop this one first if it may be writing: the copy is of its files. Far
    /// cheaper than seeding again. On PostgreSQL the database is copied as a template,
    /// which closes this server's connections to it (its pool opens new ones).
    pub fn fork_in(&self, parent: &Path) -> Result<Self, ServerError> {
        let dir = tempfile::tempdir_in(parent)?;
        copy_tree(self.dir.path(), dir.path())?;
        let database = match &self.database {
            Some(url) => Some(
                postgres::PgCluster::shared().and_then(|cluster| cluster.copy_of(url)).map_err(ServerError::Storage)?,
            ),
            None => None,
        };
        self.sibling(dir, database, true)
    }

    /// Another instance of this server (PostgreSQL only): a server of its own, on a
    /// port of its own, serving the same database with the same keys (a copy of the
    /// data folder), as a second `comptoir-server serve --database` behind a load
    /// balancer would. Sessions, sign-in lock-outs and logs are the database's, so either
    /// instance answers for the other; the database stays until the first is dropped.
    pub fn instance(&self) -> Result<Self, ServerError> {
        let Some(database) = self.database.clone() else {
            return Err(ServerError::Storage("several instances serve a PostgreSQL database, not SQLite files".into()));
        };
        let dir = tempfile::tempdir_in(self.dir.path().parent().unwrap_or(self.dir.path()))?;
        copy_tree(self.dir.path(), dir.path())?;
        self.sibling(dir, Some(database), false)
    }

    /// A server serving `dir` (and `database`) with this one's accounts, clock, policy
    /// and limits, on a port of its own and over plain HTTP, whatever this one serves
    /// (a fork, or another instance). `owns_database`: whether it drops the database.
    fn sibling(
        &self,
        dir: tempfile::TempDir,
        database: Option<String>,
        owns_database: bool,
    ) -> Result<Self, ServerError> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let mut server = Self {
            url: format!("http://{addr}"),
            accounts: self.accounts.clone(),
            addr,
            dir,
            database,
            owns_database,
            limits: self.limits,
            trusted_proxies: self.trusted_proxies.clone(),
            policy: self.policy.clone(),
            clock: Arc::clone(&self.clock),
            storage: None,
            audit_key: String::new(),
            http: std::sync::OnceLock::new(),
            identity: None,
            copies: None,
            runtime: None,
        };
        server.run(listener)?;
        Ok(server)
    }

    fn run(&mut self, listener: std::net::TcpListener) -> Result<(), ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-server")
            .enable_all()
            .build()?;
        let key = comptoir_server::audit_key::default_path(self.dir.path());
        let state =
            comptoir_server::open_state_in(self.dir.path(), self.database.as_deref(), &key, Arc::clone(&self.clock))
                .map_err(|e| ServerError::Storage(e.to_string()))?
                .with_limits(self.limits)
                .with_trusted_proxies(self.trusted_proxies.clone());
        let state = comptoir_server::AppState { policy: self.policy.clone(), ..state };
        let state = match &self.copies {
            Some(copies) => state.with_copies(Arc::clone(copies)),
            None => state,
        };
        listener.set_nonblocking(true)?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        self.storage = Some(Arc::clone(&state.storage));
        state.audit_signer.public_key().clone_into(&mut self.audit_key);
        match &self.identity {
            Some(identity) => {
                let config = identity.server_config().map_err(|e| ServerError::Storage(e.to_string()))?;
                let state = state.hosting(identity.fingerprint());
                runtime.spawn(comptoir_server::serve_tls(listener, config, state, std::future::pending()));
            }
            None => {
                runtime.spawn(comptoir_server::serve(listener, state, std::future::pending()));
            }
        }
        self.runtime = Some(runtime);
        Ok(())
    }

    /// Stops the server: its port refuses connections until [`Self::restart`].
    pub fn stop(&mut self) {
        self.storage = None;
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// Starts the server again on the same port, with the same data.
    pub fn restart(&mut self) -> Result<(), ServerError> {
        self.stop();
        // The old runtime's threads release the port asynchronously.
        let listener = (0..100)
            .find_map(|_| {
                std::net::TcpListener::bind(self.addr).ok().or_else(|| {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                })
            })
            .ok_or_else(|| std::io::Error::other(format!("{} stayed busy", self.addr)))?;
        self.run(listener)
    }

    /// The storage the running server writes to: the very instance it serves from, so that
    /// what a test writes there is what the server reads, at once.
    ///
    /// # Panics
    ///
    /// While the server is stopped: its storage is closed then (a restore replaces it).
    pub fn storage(&self) -> &Arc<dyn Storage> {
        self.storage.as_ref().unwrap_or_else(|| panic!("the test server at {} is stopped", self.url))
    }

    /// The public key the server signs its audit chains' heads with, as its sync status
    /// publishes it.
    pub fn audit_key(&self) -> &str {
        &self.audit_key
    }

    /// The server's time, on its clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The PostgreSQL database the server stores in; `None` on SQLite.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The backend the server stores in.
    pub fn backend(&self) -> Backend {
        if self.database.is_some() { Backend::Postgres } else { Backend::Sqlite }
    }

    /// Opens the server's storage apart from the server (as an admin command beside it
    /// would).
    pub fn open_storage(&self) -> Result<Arc<dyn Storage>, ServerError> {
        comptoir_server::open_storage(self.dir.path(), self.database.as_deref())
            .map_err(|e| ServerError::Storage(e.to_string()))
    }

    /// SQLite only: the backup and restore of the server's files.
    fn sqlite_only(&self, what: &str) -> Result<(), ServerError> {
        match self.database {
            None => Ok(()),
            Some(_) => Err(ServerError::Storage(format!(
                "{what} is of a SQLite server's files (PostgreSQL has its own tools)"
            ))),
        }
    }

    /// Writes a copy of the server's database to `out`, and its keys to `out.keys/`, while
    /// it serves, as `comptoir-server admin backup` does.
    pub fn backup(&self, out: &Path) -> Result<comptoir_server::admin::BackupSummary, ServerError> {
        self.sqlite_only("admin backup")?;
        comptoir_server::admin::backup(self.dir.path(), out).map_err(|e| ServerError::Storage(e.to_string()))
    }

    /// Stops the server, restores the backup `from` (and its keys) as `comptoir-server admin
    /// restore` does (every company at a new epoch), and starts it again on the same port.
    pub fn restore(&mut self, from: &Path) -> Result<comptoir_server::admin::RestoreSummary, ServerError> {
        self.restore_with(
            |data_dir| comptoir_server::admin::restore(data_dir, from, false),
            |e| {
                matches!(
                    e,
                    comptoir_server::admin::AdminError::Storage(comptoir_server::storage::StorageError::Refused(_))
                )
            },
        )
    }

    /// Stops the server, runs `restore` on its data folder (a restore of another kind
    /// than [`Self::restore`]'s: the newest of a host's backups, say), and starts it again
    /// on the same port. The stopped runtime lets go of the storage on its own threads:
    /// `restore` is tried again, for a while, as long as it fails in a way `busy` says
    /// is the folder still in use.
    pub fn restore_with<T, E: std::fmt::Display>(
        &mut self,
        mut restore: impl FnMut(&Path) -> Result<T, E>,
        busy: impl Fn(&E) -> bool,
    ) -> Result<T, ServerError> {
        self.sqlite_only("admin restore")?;
        self.stop();
        let mut tries = 0;
        let restored = loop {
            match restore(self.dir.path()) {
                Err(e) if busy(&e) && tries < 250 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.map_err(|e| ServerError::Storage(e.to_string()))?,
            }
        };
        self.restart()?;
        Ok(restored)
    }

    /// The large demo company (the one of `records` records).
    pub fn company(&self) -> CompanyId {
        self.accounts.companies[1].0
    }

    /// Count and checksum per kind of record, as `comptoir-server admin stats` prints them.
    pub fn stats(
        &self,
        company: CompanyId,
    ) -> Result<std::collections::BTreeMap<comptoir_core::sync::RecordKind, comptoir_core::sync::TableStats>, ServerError>
    {
        let storage = self.open_storage()?;
        comptoir_server::admin::stats(storage.as_ref(), company).map_err(|e| ServerError::Storage(e.to_string()))
    }

    /// The live records of `company` in the server's log, read from its storage.
    ///
    /// # Errors
    ///
    /// The storage cannot be read, or a record does not parse.
    pub fn live_records(&self, company: CompanyId) -> Result<Vec<comptoir_core::sync::RecordBody>, ServerError> {
        let storage = self.open_storage()?;
        let failed = |e: &dyn std::fmt::Display| ServerError::Storage(e.to_string());
        let (mut after, mut records) = (0, Vec::new());
        loop {
            let page = storage
                .changes_after(company, after, comptoir_server::storage::PageLimit::count(5_000))
                .map_err(|e| failed(&e))?;
            for body in page.changes.iter().filter_map(|c| c.body.as_deref()) {
                records.push(serde_json::from_str(body).map_err(|e| failed(&e))?);
            }
            match page.changes.last() {
                Some(last) if page.has_more => after = last.seq,
                _ => return Ok(records),
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
        // A database per server would otherwise stay until the cluster stops: a suite
        // that forks hundreds (the simulation) would fill the disk.
        if let Some(url) = self.database.as_ref().filter(|_| self.owns_database)
            && let Ok(cluster) = postgres::PgCluster::shared()
            && let Err(e) = cluster.drop_database(url)
        {
            #[allow(clippy::print_stderr, reason = "a test harness's note, where the tests print theirs")]
            {
                eprintln!("the test database {url} stays: {e}");
            }
        }
    }
}

/// Copies the files under `from` into `to`, folders included.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The code an authenticator app shows at `at`, computed from the account's secret.
pub fn totp_code(secret: &str, at: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
    let secret = totp_rs::Secret::try_from_base32(secret).map_err(|e| e.to_string())?;
    let totp = totp_rs::Builder::new().with_secret(secret).build().map_err(|e| e.to_string())?;
    Ok(totp.generate(u64::try_from(at.timestamp()).map_err(|e| e.to_string())?).to_string())
}

/// The real app, as `comptoir` starts it, on the data folder `dir` with `server` as the
/// address the wizard proposes and `clock` as its time, in a headless kittest harness of
/// `size` points; widgets are found by their accessible labels.
///
/// # Panics
///
/// When the engine cannot start (a test failure).
pub fn app_harness(
    dir: &std::path::Path,
    server: &str,
    clock: std::sync::Arc<dyn comptoir_core::clock::Clock>,
    size: egui::Vec2,
) -> egui_kittest::Harness<'static, comptoir::app::ComptoirApp> {
    app_harness_with_credentials(dir, server, clock, size, file_credentials(dir))
}

/// The secrets kept in a file of the data folder `dir`, as where no keychain answers.
pub fn file_credentials(dir: &std::path::Path) -> std::sync::Arc<comptoir_core::engine::credentials::FileCredentials> {
    std::sync::Arc::new(comptoir_core::engine::credentials::FileCredentials::new(&dir.join("credentials.json")))
}

/// The engine's configuration as `comptoir` builds it, on the data folder `dir`, with
/// `server` as the address the wizard proposes, `clock` as its time and its secrets
/// kept by `credentials`.
pub fn engine_config(
    dir: &std::path::Path,
    server: &str,
    clock: std::sync::Arc<dyn comptoir_core::clock::Clock>,
    credentials: std::sync::Arc<dyn comptoir_core::engine::credentials::CredentialStore>,
) -> comptoir_core::engine::EngineConfig {
    comptoir_core::engine::EngineConfig {
        data_dir: dir.to_path_buf(),
        default_server: server.to_owned(),
        clock,
        credentials,
        wake: std::sync::Arc::new(|| {}),
        timing: comptoir_core::engine::Timing::default(),
    }
}

/// [`app_harness`] with the secrets kept by `credentials` (a failing keychain, say).
///
/// # Panics
///
/// When the engine cannot start (a test failure).
pub fn app_harness_with_credentials(
    dir: &std::path::Path,
    server: &str,
    clock: std::sync::Arc<dyn comptoir_core::clock::Clock>,
    size: egui::Vec2,
    credentials: std::sync::Arc<dyn comptoir_core::engine::credentials::CredentialStore>,
) -> egui_kittest::Harness<'static, comptoir::app::ComptoirApp> {
    let config = engine_config(dir, server, clock, credentials);
    harness_of(config, comptoir::app::AppConfig::new(comptoir::i18n::Language::French), size)
}

/// [`app_harness`] on a folder that holds a company hosted by this computer
/// ([`comptoir::hosting::create_company`]): the app serves it on `host_listen` (another
/// loopback address, say 127.0.0.2:0) while the harness lives, as the real app serves
/// it on the local network.
///
/// # Panics
///
/// When the engine cannot start (a test failure).
pub fn hosting_app_harness(
    dir: &std::path::Path,
    server: &str,
    size: egui::Vec2,
    host_listen: SocketAddr,
) -> egui_kittest::Harness<'static, comptoir::app::ComptoirApp> {
    let config =
        engine_config(dir, server, std::sync::Arc::new(comptoir_core::clock::SystemClock), file_credentials(dir));
    let app =
        comptoir::app::AppConfig { host_listen, ..comptoir::app::AppConfig::new(comptoir::i18n::Language::French) };
    harness_of(config, app, size)
}

/// The real app started with `config` and `app`, in a headless kittest harness.
fn harness_of(
    config: comptoir_core::engine::EngineConfig,
    app: comptoir::app::AppConfig,
    size: egui::Vec2,
) -> egui_kittest::Harness<'static, comptoir::app::ComptoirApp> {
    #[allow(clippy::expect_used, reason = "a test harness: a panic is the failure report")]
    let app = comptoir::app::ComptoirApp::start_with(config, app).expect("the engine starts");
    egui_kittest::Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut comptoir::app::ComptoirApp| app.frame_ui(ui), app)
}

/// Engine timing for a test that syncs when it asks (`Command::SyncNow`), never on its own.
pub fn on_demand_timing() -> comptoir_core::engine::Timing {
    let hour = std::time::Duration::from_hours(1);
    comptoir_core::engine::Timing { debounce: hour, interval: hour, retry_min: hour, retry_max: hour }
}

/// A duration in milliseconds, for benchmarks' figures.
pub fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The median, 95th percentile and worst of some durations, in ms, as benchmarks print
/// them.
pub fn spread(mut times: Vec<std::time::Duration>) -> String {
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let p95 = times.get(times.len() * 95 / 100).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    format!("median {:.2} ms, p95 {:.2} ms, worst {:.2} ms", ms(median), ms(p95), ms(worst))
}

/// Whether `needle` occurs in `haystack` (a file's bytes: a PDF, a database).
pub fn contains_bytes(haystack: &[u8], needle: impl AsRef<[u8]>) -> bool {
    let needle = needle.as_ref();
    haystack.windows(needle.len().max(1)).any(|window| window == needle)
}

/// The process's peak resident memory (Linux `VmHWM`), in MiB, for benchmarks.
pub fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| proc_kib(&status, "VmHWM:"))
        .map_or_else(|| "unknown".to_owned(), |kb| (kb / 1024).to_string())
}

/// The CPU time the calling thread has had, in seconds (Linux `schedstat`, nanoseconds
/// on a CPU), for benchmarks: on a shared machine, less noisy than the time it waited.
pub fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    #[allow(clippy::cast_precision_loss, reason = "nanoseconds of a benchmark, far below 2^52")]
    Some(nanos as f64 / 1e9)
}

/// The CPU time (user and system) of process `pid` (`self` for this one), its ended
/// threads included, in seconds (Linux `/proc/<pid>/stat`, in the kernel's fixed 100
/// ticks a second).
pub fn process_cpu_seconds(pid: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's name, which may hold spaces, in parentheses: utime and stime
    // are the 12th and 13th fields.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    #[allow(clippy::cast_precision_loss, reason = "ticks of a benchmark, far below 2^52")]
    Some(ticks as f64 / 100.0)
}

/// The figure of a `key: N kB` line of a `/proc` file (`status`, `smaps_rollup`), in KiB.
pub fn proc_kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

pub mod api;
pub mod bench;
pub mod files;
pub mod fuzz;
pub mod postgres;
pub mod process;
pub mod relay;
pub mod smtp;

/// Checks the end-to-end tests share.
#[allow(clippy::unwrap_used, clippy::missing_panics_doc, reason = "test checks: a panic is the failure report")]
pub mod checks {
    use comptoir_core::engine::link::Link;
    use comptoir_core::model::{CompanyId, DocumentId};
    use comptoir_core::sync::{RecordKind, SyncClient};
    use uuid::Uuid;

    use crate::TestServer;

    /// A client signed in as `email` (an account without two-factor), and its access token.
    pub async fn signed_in(url: &str, email: &str, password: &str) -> (SyncClient, String) {
        let mut client = SyncClient::new(url).unwrap();
        let comptoir_core::sync::LoginResponse::SignedIn(tokens) = client.login(email, password).await.unwrap() else {
            panic!("{email} has two-factor on")
        };
        (client, tokens.access_token)
    }

    /// Downloads `company` into a new copy through the app's own `Link`, derives its ledger,
    /// and opens every document of it (`invoices` among them).
    pub async fn fresh_download_opens_every_record(
        server: &TestServer,
        a: CompanyId,
        owner_token: String,
        invoices: &[DocumentId],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut client = SyncClient::new(&server.url).unwrap();
        client.set_access_token(Some(owner_token));
        let path = dir.path().join("a.comptoir");
        let (mut link, _) = Link::create(client, a, &path, chrono::Utc::now()).await.unwrap();
        link.sync(chrono::Utc::now, &mut |_| {}).await.unwrap();
        // What the download did not derive as its pages arrived.
        link.store.refresh_whole_ledger(chrono::Utc::now().date_naive()).unwrap();
        let entries: i64 = link
            .store
            .connection()
            .query_row("SELECT count(*) FROM ledger WHERE fingerprint IS NOT NULL", [], |r| r.get(0))
            .unwrap();
        assert!(entries > 0, "the ledger derived the invoices and payments");
        let copy_stats = link.store.replica_stats().unwrap();
        assert_eq!(copy_stats, server.stats(a).unwrap(), "the copy equals the server");
        // Every document opens, with its totals.
        let ids: Vec<Uuid> = {
            let conn = link.store.connection();
            let mut stmt = conn.prepare("SELECT id FROM documents").unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        assert_eq!(ids.len() as u64, copy_stats[&RecordKind::Document].count);
        for id in ids {
            let document = link.store.document(DocumentId(id)).unwrap();
            assert!(document.totals().is_ok(), "{id}");
        }
        assert!(invoices.iter().all(|id| link.store.document(*id).is_ok()));
    }
}

pub mod ui;

/// Records for tests to create.
#[allow(clippy::expect_used, clippy::missing_panics_doc, reason = "fixtures built from constants: they are valid")]
pub mod fixtures {
    use chrono::NaiveDate;
    use comptoir_core::engine::credentials::{CredentialError, CredentialStore};
    use comptoir_core::model::{
        Article, ArticleId, Contact, ContactId, Document, DocumentKind, DocumentLine, PartySnapshot, VatRate,
    };
    use rust_decimal::Decimal;

    /// A French company customer in Lyon.
    pub fn new_contact(name: &str) -> Contact {
        serde_json::from_value(serde_json::json!({
            "id": ContactId::new(),
            "kind": "company",
            "name": name,
            "is_customer": true,
            "is_supplier": false,
            "email": "compta@example.fr",
            "phone": null,
            "vat_number": null,
            "billing_address": {"street": "12 rue des Lilas", "street2": "", "postcode": "69003", "city": "Lyon", "country": "FR"},
            "delivery_address": null,
            "payment_terms_days": null,
            "archived": false
        }))
        .expect("a valid fixture")
    }

    pub fn draft_invoice(customer: &Contact, amount: i64) -> Document {
        let mut document = Document::draft(
            DocumentKind::Invoice,
            customer.id,
            PartySnapshot {
                name: customer.name.clone(),
                address: customer.billing_address.clone(),
                vat_number: customer.vat_number.clone(),
            },
            NaiveDate::from_ymd_opt(2026, 11, 24).expect("a valid fixture"),
            comptoir_core::model::Currency::EUR,
        );
        document.lines.push(DocumentLine {
            article_id: None,
            description: "Conseil".into(),
            quantity: Decimal::ONE,
            unit: "h".into(),
            unit_price: Decimal::from(amount),
            discount_percent: Decimal::ZERO,
            vat_rate: VatRate::new(Decimal::from(20)).expect("a valid fixture"),
            vat_category: None,
            section: false,
        });
        document
    }

    pub fn article(code: &str) -> Article {
        Article {
            id: ArticleId::new(),
            code: code.into(),
            name: format!("Article {code}"),
            unit: "pièce".into(),
            unit_price: Decimal::from(10),
            vat_rate: VatRate::new(Decimal::from(20)).expect("a valid fixture"),
            archived: false,
        }
    }

    /// A keychain that fails the worst way: it panics when asked to keep a secret (as
    /// `tray-icon` does without its library, a keychain crate might). The engine must
    /// report the fault, not vanish.
    #[derive(Debug)]
    pub struct PanickingKeychain;

    impl CredentialStore for PanickingKeychain {
        fn load(&self, _account: &str) -> Result<Option<String>, CredentialError> {
            Ok(None)
        }
        fn save(&self, _account: &str, _secret: &str) -> Result<(), CredentialError> {
            panic!("keychain fault injected by the test");
        }
        fn delete(&self, _account: &str) -> Result<(), CredentialError> {
            Ok(())
        }
        fn describe(&self) -> String {
            "a keychain that panics".into()
        }
    }
}
