//! A real PostgreSQL for the tests: [`PgCluster::shared`] starts one cluster per test
//! process from the machine's PostgreSQL binaries (Debian's `postgresql` package), and
//! [`PgCluster::database`] gives each test a fresh database of its own.
//!
//! The cluster lives in a temp folder: `initdb` writes `DIR/data`, the server listens on a
//! Unix socket in `DIR` and on no TCP port, with durability off (`fsync`,
//! `synchronous_commit` and `full_page_writes`: a test's data need not survive a power
//! cut). `initdb` and `postgres` refuse to run as root: as root they run as the `postgres`
//! user through `runuser`, and `DIR` belongs to that user.
//!
//! Statics are never dropped, so the cluster cannot stop itself when the tests end. A
//! supervisor does: a `sh` started first, which waits for the end of the pipe the test
//! process holds (the pipe closes when the process ends, however it ends: a normal exit, a
//! panic, SIGKILL), then stops the server (`pg_ctl stop -m immediate`) and removes `DIR`.
//!
//! `COMPTOIR_TEST_POSTGRES=URL` points the tests at an existing server instead; databases
//! are still created per test through it (and left there: name them `comptoir_t…`).

use std::io::Read as _;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The environment variable naming an existing server to use instead of a cluster of our own.
pub const EXTERNAL_ENV: &str = "COMPTOIR_TEST_POSTGRES";

/// The superuser of a cluster the harness starts (`initdb -U`), whoever runs the tests.
const SUPERUSER: &str = "postgres";

/// How long the server may take to accept connections after it is started.
const READY_TIMEOUT: Duration = Duration::from_mins(1);

/// A PostgreSQL server the tests create their databases on.
#[derive(Debug)]
pub struct PgCluster {
    /// How to reach the server's `postgres` database as a superuser.
    admin: postgres::Config,
    /// Where the databases' URLs point: the admin URL without its database.
    source: Source,
    /// Databases made so far, for unique names.
    made: AtomicU64,
}

/// Whose server it is.
#[derive(Debug)]
enum Source {
    /// Started here: its folder (data in `data/`, the socket in the folder itself), and the
    /// pipe whose end tells the supervisor to stop it.
    Own { dir: PathBuf, _supervisor: ChildStdin },
    /// `COMPTOIR_TEST_POSTGRES`.
    External { url: String },
}

static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();

impl PgCluster {
    /// The test process's server: `COMPTOIR_TEST_POSTGRES` when it is set, else a cluster
    /// started on the first call (its start-up time printed on standard error) and stopped
    /// when the process ends. Every later call gets the same one, or the same error.
    pub fn shared() -> Result<&'static Self, String> {
        SHARED.get_or_init(Self::open).as_ref().map_err(Clone::clone)
    }

    fn open() -> Result<Self, String> {
        match std::env::var(EXTERNAL_ENV) {
            Ok(url) if !url.trim().is_empty() => {
                let admin = url.parse().map_err(|e| format!("{EXTERNAL_ENV}={url:?} does not parse: {e}"))?;
                Ok(Self { admin, source: Source::External { url }, made: AtomicU64::new(0) })
            }
            _ => off_runtime(Self::start),
        }
    }

    /// `initdb`, then `postgres`, waited for.
    fn start() -> Result<Self, String> {
        let begun = Instant::now();
        let bin = binaries()?;
        let as_root = std::fs::metadata("/proc/self").map_err(|e| format!("/proc/self: {e}"))?.uid() == 0;
        let dir = tempfile::Builder::new()
            .prefix("comptoir-pg-")
            .tempdir_in(socket_parent())
            .map_err(|e| format!("cannot make the cluster's folder: {e}"))?
            .keep();
        // First, so that whatever fails below, the folder and any server go when we do.
        let supervisor = supervise(&bin, &dir, as_root)?;
        let data = dir.join("data");
        if as_root {
            run(Command::new("chown").arg(format!("{SUPERUSER}:")).arg(&dir), "chown")?;
        }
        let mut initdb = as_user(as_root, &bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]);
        run(&mut initdb, "initdb")?;
        let initialised = begun.elapsed();

        let log = std::fs::File::create(dir.join("postgres.log")).map_err(|e| format!("postgres.log: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("postgres.log: {e}"))?;
        let mut server = as_user(as_root, &bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&dir)
            .args(["-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=300"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Not in the test's process group: a Ctrl-C at the terminal is the supervisor's
            // to handle, with the folder.
            .process_group(0);
        let mut child = server.spawn().map_err(|e| format!("cannot start postgres: {e}"))?;

        let mut admin = postgres::Config::new();
        admin.host_path(&dir).user(SUPERUSER).dbname("postgres").connect_timeout(Duration::from_secs(5));
        loop {
            match admin.connect(postgres::NoTls) {
                Ok(client) => {
                    drop(client);
                    break;
                }
                Err(error) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!("postgres ended ({status}): {}", log_tail(&dir)));
                    }
                    if begun.elapsed() > READY_TIMEOUT {
                        return Err(format!("postgres was not ready after {READY_TIMEOUT:?}: {error}"));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        report_start(initialised, begun.elapsed(), &dir);
        Ok(Self { admin, source: Source::Own { dir, _supervisor: supervisor }, made: AtomicU64::new(0) })
    }

    /// A new, empty database of its own for a test, and its URL: for a cluster of ours
    /// `postgresql://postgres@/NAME?host=SOCKET_DIR` (the socket's folder as the `host`
    /// parameter, which the `postgres` crate reads as a Unix socket), for
    /// `COMPTOIR_TEST_POSTGRES` its URL with the database replaced.
    pub fn database(&self) -> Result<String, String> {
        self.new_database(None)
    }

    /// A new database that starts as a copy of the database at `url` (one of this
    /// server's), and its URL: `CREATE DATABASE … TEMPLATE`, far cheaper than seeding
    /// again. PostgreSQL copies a database only while nobody is connected to it: the
    /// connections of a server still running on it are closed (its pool opens new ones).
    pub fn copy_of(&self, url: &str) -> Result<String, String> {
        let name = database_name(url).ok_or_else(|| format!("no database name in {url:?}"))?;
        self.new_database(Some(name))
    }

    /// Drops the database at `url` (one of this server's), closing its connections first;
    /// a database that is already gone is no error.
    pub fn drop_database(&self, url: &str) -> Result<(), String> {
        let name = database_name(url).ok_or_else(|| format!("no database name in {url:?}"))?.to_owned();
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("not a database name of the tests: {name:?}"));
        }
        let admin = self.admin.clone();
        off_runtime(move || {
            let mut client = admin.connect(postgres::NoTls).map_err(|e| format!("cannot connect as admin: {e}"))?;
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .map_err(|e| format!("DROP DATABASE: {e}"))
        })
    }

    fn new_database(&self, template: Option<&str>) -> Result<String, String> {
        let name = format!(
            "comptoir_t{}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos()),
            self.made.fetch_add(1, Ordering::Relaxed)
        );
        let admin = self.admin.clone();
        let create = name.clone();
        let template = template.map(str::to_owned);
        off_runtime(move || {
            let mut client = admin.connect(postgres::NoTls).map_err(|e| format!("cannot connect as admin: {e}"))?;
            let Some(template) = template else {
                // `name` is ours: digits, lower-case letters and underscores.
                return client
                    .batch_execute(&format!("CREATE DATABASE {create}"))
                    .map_err(|e| format!("CREATE DATABASE: {e}"));
            };
            if !template.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!("not a database name of the tests: {template:?}"));
            }
            let mut tries = 0;
            loop {
                client
                    .execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                        &[&template],
                    )
                    .map_err(|e| format!("closing the connections to {template}: {e}"))?;
                match client.batch_execute(&format!("CREATE DATABASE {create} TEMPLATE {template}")) {
                    Ok(()) => return Ok(()),
                    // A connection opened in between: close it again.
                    Err(e) if tries < 50 && e.code() == Some(&postgres::error::SqlState::OBJECT_IN_USE) => {
                        tries += 1;
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => return Err(format!("CREATE DATABASE … TEMPLATE {template}: {e}")),
                }
            }
        })?;
        Ok(match &self.source {
            Source::Own { dir, .. } => format!("postgresql://{SUPERUSER}@/{name}?host={}", dir.display()),
            Source::External { url } => with_database(url, &name),
        })
    }

    /// The folder of a cluster started here (its socket; its data in `data/`); `None` for
    /// `COMPTOIR_TEST_POSTGRES`.
    pub fn dir(&self) -> Option<&Path> {
        match &self.source {
            Source::Own { dir, .. } => Some(dir),
            Source::External { .. } => None,
        }
    }

    /// The process id of the server's postmaster, for a cluster started here (read from
    /// its `postmaster.pid`).
    pub fn server_pid(&self) -> Option<u32> {
        let pid_file = std::fs::read_to_string(self.dir()?.join("data/postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }
}

/// Runs `work` on a thread of its own: the `postgres` crate's client runs a runtime of its
/// own, which it may not do on a thread that is inside one (an async test's).
fn off_runtime<T: Send>(work: impl FnOnce() -> Result<T, String> + Send) -> Result<T, String> {
    std::thread::scope(|scope| scope.spawn(work).join().map_err(|_| "the PostgreSQL thread panicked".to_owned())?)
}

/// The folder of `initdb`, `postgres` and `pg_ctl`: `pg_config --bindir`, else the newest
/// of `/usr/lib/postgresql/*/bin` (Debian installs `pg_config` with the headers only).
fn binaries() -> Result<PathBuf, String> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(bin) = from_pg_config.filter(|bin| bin.join("initdb").is_file()) {
        return Ok(bin);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "no PostgreSQL found (pg_config --bindir, /usr/lib/postgresql/*/bin): install the `postgresql` package \
         (scripts/system-packages.sh) or set COMPTOIR_TEST_POSTGRES=URL"
            .to_owned()
    })
}

/// Where the cluster's folder goes: the temp folder, unless its path is too long for a
/// Unix socket's (about 107 bytes with `/.s.PGSQL.5432`).
fn socket_parent() -> PathBuf {
    let temp = std::env::temp_dir();
    if temp.as_os_str().len() > 60 { PathBuf::from("/tmp") } else { temp }
}

/// `program` as the `postgres` user when we are root, as ourselves otherwise.
fn as_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", SUPERUSER, "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command` to its end; its output in the error when it fails.
fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Starts the supervisor of the cluster in `dir`: it reads its standard input to the end
/// (the pipe's end is ours, closed when this process ends), then stops the server,
/// whatever state it is in, and removes `dir`. Its own process group, output nowhere: it
/// neither dies with a Ctrl-C meant for the tests nor holds their output open.
fn supervise(bin: &Path, dir: &Path, as_root: bool) -> Result<ChildStdin, String> {
    const SCRIPT: &str = r#"cat >/dev/null
if [ -f "$2/data/postmaster.pid" ]; then
    if [ "$3" = root ]; then
        runuser -u postgres -- "$1" stop -D "$2/data" -m immediate -w
    else
        "$1" stop -D "$2/data" -m immediate -w
    fi
fi
rm -rf "$2""#;
    let mut child = Command::new("sh")
        .args(["-c", SCRIPT, "comptoir-pg-supervisor"])
        .arg(bin.join("pg_ctl"))
        .arg(dir)
        .arg(if as_root { "root" } else { "user" })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the cluster's supervisor: {e}"))?;
    child.stdin.take().ok_or_else(|| "the supervisor's stdin is not piped".to_owned())
}

/// The end of the server's log, for an error.
fn log_tail(dir: &Path) -> String {
    let mut log = String::new();
    if let Ok(mut file) = std::fs::File::open(dir.join("postgres.log")) {
        let _ = file.read_to_string(&mut log);
    }
    let start = log.len().saturating_sub(2_000);
    log.get(start..).unwrap_or(&log).to_owned()
}

/// Says once, on standard error, how long the cluster took to start.
#[allow(clippy::print_stderr, reason = "the harness's one figure, shown with --nocapture")]
fn report_start(initdb: Duration, ready: Duration, dir: &Path) {
    eprintln!(
        "PostgreSQL test cluster in {}: initdb {} ms, ready after {} ms",
        dir.display(),
        initdb.as_millis(),
        ready.as_millis()
    );
}

/// The database a URL of [`PgCluster::database`] names (its path).
fn database_name(url: &str) -> Option<&str> {
    let after_scheme = &url[url.find("://")? + 3..];
    let path = &after_scheme[after_scheme.find('/')? + 1..];
    Some(path.split('?').next().unwrap_or(path)).filter(|name| !name.is_empty())
}

/// The URL of the database `name` on the server `url` names: the path of a URL
/// (`postgres://user@host:port/NAME?…`), or a `dbname=` added to a key=value string (the
/// last value of a key counts).
pub fn with_database(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return format!("{url} dbname={name}") };
    let (head, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let authority_end = head[scheme_end + 3..].find('/').map_or(head.len(), |slash| scheme_end + 3 + slash);
    format!("{}/{name}{query}", &head[..authority_end])
}
