//! Copies of the server's database: a backup taken while the server serves, and the
//! restore of such a copy.
//!
//! A backup is `VACUUM INTO`: one read transaction on a WAL database, so it copies the
//! state as of its start — every change acknowledged before it began, nothing half-done —
//! while the server goes on writing. It is written beside its destination first and
//! renamed into place once complete and checked, so an interrupted backup never leaves a
//! partial file under the name asked for.
//!
//! A restore puts a backup in place of the database, and gives every company's log a new
//! epoch: the seqs after the backup's were handed out to clients already, and will be
//! handed out again for other changes. A client's cursor of the old epoch is refused
//! (`409 stale_epoch`) and the client downloads the company again, instead of skipping
//! changes whose seqs it believes it has. The restore runs only while nothing has the
//! data folder open (the folder lock below), prepares the new database completely beside
//! the old one, keeps the old one aside, and swaps them by a rename, so that a crash at
//! any point leaves either the old database or the restored one with its new epochs.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use comptoir_core::model::CompanyId;
use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use super::{DATABASE_FILE, SqliteStorage, migrate};
use crate::storage::{StorageError, unit_of_work};

/// The lock file in the data folder: held shared while a storage is open on the folder (a
/// server serving, an admin command, a backup), exclusively by a restore.
const LOCK_FILE: &str = "server.lock";

fn io_error(path: &Path, e: &std::io::Error) -> StorageError {
    StorageError::Backend(format!("{}: {e}", path.display()))
}

/// A lock on the data folder, released when dropped (or when the process dies).
#[derive(Debug)]
pub(crate) struct FolderLock(#[allow(dead_code, reason = "held for its lock")] File);

impl FolderLock {
    fn open(data_dir: &Path) -> Result<(File, PathBuf), StorageError> {
        let path = data_dir.join(LOCK_FILE);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error(&path, &e))?;
        Ok((file, path))
    }

    /// Taken by whatever opens the storage: refused only while a restore runs. Where the
    /// file system has no locks, the storage opens all the same (and a restore refuses).
    pub(crate) fn shared(data_dir: &Path) -> Result<Self, StorageError> {
        let (file, path) = Self::open(data_dir)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Self(file)),
            Err(TryLockError::WouldBlock) => Err(StorageError::Refused(format!(
                "a backup is being restored into {}: try again when it is done",
                data_dir.display()
            ))),
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                tracing::warn!(path = %path.display(), "no file locks here: a restore cannot tell whether the server runs");
                Ok(Self(file))
            }
            Err(TryLockError::Error(e)) => Err(io_error(&path, &e)),
        }
    }

    /// Taken by a restore (or a migration's copy): refused while anything has the storage open.
    pub(super) fn exclusive(data_dir: &Path) -> Result<Self, StorageError> {
        let (file, path) = Self::open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(TryLockError::WouldBlock) => Err(StorageError::Refused(format!(
                "{} is in use (a server serves it, or an admin command runs on it): stop it first",
                data_dir.display()
            ))),
            Err(TryLockError::Error(e)) => Err(io_error(&path, &e)),
        }
    }
}

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema_version: u32,
    pub companies: usize,
    /// The key files written beside it (see [`crate::key_backup`]).
    pub keys: Vec<PathBuf>,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreSummary {
    /// Every company of the backup, with the new epoch of its log.
    pub companies: Vec<(CompanyId, Uuid)>,
    /// The database the restore replaced, kept aside (none when the folder had none).
    pub previous: Option<PathBuf>,
    /// What became of each key file the backup carried (see [`crate::key_backup`]).
    pub keys: Vec<crate::key_backup::KeyRestored>,
}

/// `path` + `suffix`, beside it.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Removes a file, when there.
fn remove_if_there(path: &Path) -> Result<(), StorageError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path, &e)),
    }
}

/// Removes a database file and its WAL companions, when there.
fn remove_database(path: &Path) -> Result<(), StorageError> {
    remove_if_there(path)?;
    remove_wal(path)
}

fn remove_wal(path: &Path) -> Result<(), StorageError> {
    remove_if_there(&with_suffix(path, "-wal"))?;
    remove_if_there(&with_suffix(path, "-shm"))
}

/// Flushes a file (and, where the system allows it, the folder that names it) to disk.
fn sync_to_disk(path: &Path) -> Result<(), StorageError> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| io_error(path, &e))?;
    if let Some(folder) = path.parent() {
        // Folders cannot be opened on Windows, where a rename is durable on its own.
        if let Ok(folder) = File::open(folder) {
            let _ = folder.sync_all();
        }
    }
    Ok(())
}

/// Opens an existing database without creating one, and without migrating it.
fn open_existing(path: &Path, flags: OpenFlags) -> Result<Connection, StorageError> {
    if !path.is_file() {
        return Err(StorageError::Refused(format!("{} does not exist", path.display())));
    }
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

/// What a database file holds, checked: its schema version and its number of companies.
/// Refused when it is damaged or not a server database.
fn check_database(path: &Path) -> Result<(u32, usize), StorageError> {
    let not_a_backup =
        |why: String| StorageError::Refused(format!("{} is not a usable server backup: {why}", path.display()));
    let conn = open_existing(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| not_a_backup(e.to_string()))?;
    let integrity: String =
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| not_a_backup(e.to_string()))?;
    if integrity != "ok" {
        return Err(not_a_backup(format!("the integrity check says “{integrity}”")));
    }
    let application: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let has_logs: bool =
        conn.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'logs'", [], |r| {
            r.get(0)
        })?;
    if !(application == migrate::SERVER_APPLICATION_ID || (application == 0 && has_logs)) {
        return Err(not_a_backup("it is not a Comptoir server database".into()));
    }
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > migrate::LATEST_VERSION {
        return Err(not_a_backup(format!(
            "it was written by a newer server (schema {version}, this one knows up to {})",
            migrate::LATEST_VERSION
        )));
    }
    let companies: i64 = conn.query_row("SELECT count(*) FROM companies", [], |r| r.get(0))?;
    Ok((version, usize::try_from(companies).unwrap_or(0)))
}

impl SqliteStorage {
    /// Writes a consistent copy of the database under `data_dir` to `out`, which must not
    /// exist, while a server may be serving the folder: the copy holds every change
    /// committed before it started. The copy is checked before it takes its name.
    pub fn backup(data_dir: &Path, out: &Path) -> Result<BackupSummary, StorageError> {
        let _in_use = FolderLock::shared(data_dir)?;
        if out.exists() {
            return Err(StorageError::Refused(format!("{} already exists: choose another name", out.display())));
        }
        let conn = open_existing(&data_dir.join(DATABASE_FILE), OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let partial = with_suffix(out, ".partial");
        remove_database(&partial)?;
        conn.execute("VACUUM INTO ?1", [partial.to_string_lossy()])?;
        drop(conn);
        let (schema_version, companies) = check_database(&partial)?;
        sync_to_disk(&partial)?;
        std::fs::rename(&partial, out).map_err(|e| io_error(out, &e))?;
        sync_to_disk(out)?;
        let bytes = std::fs::metadata(out).map_err(|e| io_error(out, &e))?.len();
        tracing::info!(from = %data_dir.display(), to = %out.display(), bytes, "backup written");
        Ok(BackupSummary { path: out.to_path_buf(), bytes, schema_version, companies, keys: Vec::new() })
    }

    /// Puts the backup `from` in place of the database under `data_dir`, migrated to the
    /// latest schema, every company's log at a new epoch. Refused while anything has the
    /// folder open (stop the server first). The database it replaces is kept aside.
    /// `put_keys` puts the backup's key files in place, once the folder is the restore's
    /// alone and before the restored database is opened (opening it makes a sealing key
    /// when none is there, see [`crate::key_backup`]).
    pub fn restore(
        data_dir: &Path,
        from: &Path,
        put_keys: impl FnOnce() -> Result<Vec<crate::key_backup::KeyRestored>, StorageError>,
    ) -> Result<RestoreSummary, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(|e| io_error(data_dir, &e))?;
        let _alone = FolderLock::exclusive(data_dir)?;
        check_database(from)?;
        let keys = put_keys()?;
        let database = data_dir.join(DATABASE_FILE);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3f");

        // The restored database, prepared completely under a name of its own.
        let staging = with_suffix(&database, ".restoring");
        remove_database(&staging)?;
        open_existing(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?
            .execute("VACUUM INTO ?1", [staging.to_string_lossy()])?;
        let companies = {
            let storage = Self::open_file(&staging, data_dir)?;
            let companies = unit_of_work(&storage, |tx| {
                let mut epochs = Vec::new();
                for company in tx.companies()? {
                    let epoch = Uuid::now_v7();
                    tx.set_epoch(company.id, epoch)?;
                    epochs.push((company.id, epoch));
                }
                Ok::<_, StorageError>(epochs)
            })?;
            storage.self_contained()?;
            companies
        };
        sync_to_disk(&staging)?;

        // The database it replaces: kept aside, and out of WAL mode so that no WAL file
        // is left to be read with the restored database.
        let previous = if database.exists() {
            let aside = with_suffix(&database, &format!(".before-restore-{stamp}"));
            let conn = open_existing(&database, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            conn.execute("VACUUM INTO ?1", [aside.to_string_lossy()])?;
            conn.pragma_update(None, "journal_mode", "DELETE")?;
            drop(conn);
            sync_to_disk(&aside)?;
            remove_wal(&database)?;
            Some(aside)
        } else {
            None
        };
        std::fs::rename(&staging, &database).map_err(|e| io_error(&database, &e))?;
        sync_to_disk(&database)?;
        tracing::info!(from = %from.display(), into = %database.display(), companies = companies.len(), "backup restored");
        Ok(RestoreSummary { companies, previous, keys })
    }

    /// Leaves WAL mode and closes: the file then holds everything, with no WAL beside it.
    fn self_contained(self) -> Result<(), StorageError> {
        let conn = self.conn.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.close().map_err(|(_, e)| StorageError::from(e))
    }
}
