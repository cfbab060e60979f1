//! The backups of a computer that hosts companies on the local network. Its data folder
//! is the companies' only copy of record, so the host writes a backup every day and
//! before every upgrade into a folder the user chooses (a USB disk, a synced folder),
//! keeps the last [`KEEP`], and restores the newest when the computer is lost.
//!
//! Each backup is what `comptoir-server admin backup` writes ([`admin::backup`]): a
//! consistent copy of the database taken while the server serves, and its key files in a
//! folder beside it. Its name says, in this order:
//!
//! `comptoir-backup-000042-20261130T180000Z-v0.1.0-s4.sqlite`
//!
//! - `000042`: its number in the folder, one more than the highest there. The number, not
//!   the time, orders the backups: a clock set backwards (a flat BIOS battery) would
//!   otherwise sort every new backup before the old ones, and pruning would delete the
//!   newest backups first;
//! - `20261130T180000Z`: when it was taken, in UTC (for people, and for the schedule);
//! - `v0.1.0`, `s4`: the versions of the program that took it and of the database
//!   schema it writes ([`Versions`]): a backup is due again when they change (an
//!   upgrade).
//!
//! Its keys are in the folder of the same name plus `.keys` ([`admin::keys_folder`]).
//!
//! A backup is written under a hidden temporary name (`.partial-` + its name), then its
//! keys folder and then its database are renamed into place: a crash or a full disk
//! never leaves a half file under a backup's name, and a database under a backup's name
//! always has its keys beside it. Only a name exactly as [`BackupFolder::take`] writes it
//! is a backup: other files in the folder are never listed, pruned or restored. The
//! leftovers of an interrupted backup are removed by the next one. One hosting computer
//! per folder: two hosts writing into the same folder would number and prune each
//! other's backups.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, SubsecRound as _, TimeDelta, Utc};
use thiserror::Error;

use crate::admin::{self, AdminError, RestoreSummary};
use crate::storage::SCHEMA_VERSION;

/// How many backups a folder keeps: the newest 30 (a month of daily backups).
pub const KEEP: usize = 30;

/// How often a backup is due: a day after the last one.
pub const INTERVAL: TimeDelta = TimeDelta::hours(24);

/// The start of every backup's name.
const PREFIX: &str = "comptoir-backup-";
/// The end of every backup's name.
const EXTENSION: &str = ".sqlite";
/// What a backup is written under, before its own name: hidden, and never a backup's
/// name.
const PARTIAL: &str = ".partial-";
/// The time in a backup's name, in UTC.
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// The highest number a backup's name may carry (a backup a second for 30,000 years): a
/// file with a higher one is not a backup, so that the next number never overflows.
pub const MAX_NUMBER: u64 = 999_999_999_999;

/// Why a backup could not be taken, listed, pruned or restored. Each has a stable
/// [`code`](Self::code).
#[derive(Debug, Error)]
pub enum HostBackupError {
    /// The chosen folder is not there: a disk unplugged, a synced folder moved. It is
    /// never created here, lest the backups go to the computer's own disk unnoticed.
    #[error("the backup folder {0} is not there: plug in its disk, or choose another folder")]
    FolderMissing(PathBuf),
    /// The folder holds no backup to restore.
    #[error("the folder {0} holds no Comptoir backup")]
    NoBackup(PathBuf),
    /// A backup of that name is there already (another program writing into the folder).
    #[error("{0} already exists: another program is writing backups into this folder")]
    Exists(PathBuf),
    /// The newest backup carries the highest number a backup may: a file put there by
    /// hand, as no computer takes that many.
    #[error("{0} carries the highest backup number: move it out of the folder")]
    NumbersExhausted(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The backup or the restore itself failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl HostBackupError {
    /// A stable code, like the rest of the server's errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::FolderMissing(_) => "backup_folder_missing",
            Self::NoBackup(_) => "no_backup",
            Self::Exists(_) => "backup_exists",
            Self::NumbersExhausted(_) => "backup_numbers_exhausted",
            Self::Io { .. } => "backup_io",
            Self::Admin(AdminError::Storage(crate::storage::StorageError::Refused(_))) => "backup_refused",
            Self::Admin(AdminError::Keys(_)) => "backup_keys",
            Self::Admin(_) => "backup_failed",
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HostBackupError + '_ {
    move |source| HostBackupError::Io { path: path.to_path_buf(), source }
}

/// The versions a backup was taken by: the program's and its database schema's
/// ([`SCHEMA_VERSION`], the `user_version` the server's migrations bring its database
/// to). A backup is due before a program of other versions opens the data folder.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Versions {
    /// The program's version (`0.1.0`): letters, digits, `.`, `+` and `-` only.
    pub app: String,
    pub schema: u32,
}

impl Versions {
    /// The versions of this program. The server shares its version with the app (the
    /// workspace's).
    pub fn running() -> Self {
        Self { app: env!("CARGO_PKG_VERSION").to_owned(), schema: SCHEMA_VERSION }
    }
}

/// What a backup's name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupName {
    /// Its number in its folder: the higher, the newer; at most [`MAX_NUMBER`].
    pub number: u64,
    /// When it was taken (to the second), by the host's clock.
    pub taken_at: DateTime<Utc>,
    /// The versions that took it.
    pub versions: Versions,
}

impl BackupName {
    /// The file name: see the [module](self).
    pub fn file_name(&self) -> String {
        format!(
            "{PREFIX}{:06}-{}-v{}-s{}{EXTENSION}",
            self.number,
            self.taken_at.format(TIME_FORMAT),
            self.versions.app,
            self.versions.schema
        )
    }

    /// The name `file_name` says, when it is exactly a backup's name as
    /// [`Self::file_name`] writes it; `None` for any other file.
    pub fn parse(file_name: &str) -> Option<Self> {
        let rest = file_name.strip_prefix(PREFIX)?.strip_suffix(EXTENSION)?;
        let (number, rest) = rest.split_once('-')?;
        let (time, rest) = rest.split_once("-v")?;
        let (app, schema) = rest.rsplit_once("-s")?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(number)
            || !all_digits(schema)
            || app.is_empty()
            || !app.bytes().all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b))
        {
            return None;
        }
        let name = Self {
            number: number.parse().ok().filter(|n| *n <= MAX_NUMBER)?,
            taken_at: NaiveDateTime::parse_from_str(time, TIME_FORMAT).ok()?.and_utc(),
            versions: Versions { app: app.to_owned(), schema: schema.parse().ok()? },
        };
        // One spelling per backup: `42` for `000042`, or a leading zero in the schema,
        // is not a name this module writes.
        (name.file_name() == file_name).then_some(name)
    }
}

/// A backup in a [`BackupFolder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupFile {
    /// The database.
    pub path: PathBuf,
    pub name: BackupName,
    /// The folder of its key files ([`admin::keys_folder`]); `None` when it has none.
    pub keys: Option<PathBuf>,
    /// The database's size.
    pub bytes: u64,
}

/// The folder the user chose for the host's backups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupFolder {
    pub path: PathBuf,
}

impl BackupFolder {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The folder, refused when it is not there.
    fn existing(&self) -> Result<&Path, HostBackupError> {
        if self.path.is_dir() { Ok(&self.path) } else { Err(HostBackupError::FolderMissing(self.path.clone())) }
    }

    /// Takes a backup of the server whose data folder is `data_dir` (it may be serving)
    /// into this folder, dated `now`, numbered after the newest there, named with this
    /// program's [`Versions`]. Written under a temporary name and renamed into place (see
    /// the [module](self)). Old backups stay: [`Self::prune`] removes them.
    pub fn take(&self, data_dir: &Path, now: DateTime<Utc>) -> Result<BackupFile, HostBackupError> {
        let folder = self.existing()?;
        self.remove_partials()?;
        let number = match self.list()?.first() {
            None => 1,
            Some(newest) if newest.name.number < MAX_NUMBER => newest.name.number + 1,
            Some(newest) => return Err(HostBackupError::NumbersExhausted(newest.path.clone())),
        };
        // To the second, as the name says it.
        let name = BackupName { number, taken_at: now.trunc_subsecs(0), versions: Versions::running() };
        let file_name = name.file_name();
        let path = folder.join(&file_name);
        let keys = admin::keys_folder(&path);
        for taken in [&path, &keys] {
            if taken.exists() {
                return Err(HostBackupError::Exists(taken.clone()));
            }
        }
        let partial = folder.join(format!("{PARTIAL}{file_name}"));
        let summary = match admin::backup(data_dir, &partial) {
            Ok(summary) => summary,
            Err(e) => {
                // A full disk, say: what was written goes, the error stays the backup's.
                if let Err(cleanup) = remove_backup(&partial) {
                    tracing::warn!(error = %cleanup, "an unfinished backup could not be removed");
                }
                return Err(e.into());
            }
        };
        // The keys first: a database under a backup's name has its keys beside it.
        let has_keys = !summary.keys.is_empty();
        if has_keys {
            std::fs::rename(admin::keys_folder(&partial), &keys).map_err(io(&keys))?;
        }
        std::fs::rename(&partial, &path).map_err(io(&path))?;
        sync_folder(folder);
        tracing::info!(backup = %path.display(), bytes = summary.bytes, "host backup taken");
        Ok(BackupFile { path, name, keys: has_keys.then_some(keys), bytes: summary.bytes })
    }

    /// The backups in the folder, newest (highest number) first. Other files are left
    /// out, and so are the temporary files of a backup being written.
    pub fn list(&self) -> Result<Vec<BackupFile>, HostBackupError> {
        let folder = self.existing()?;
        let mut backups = Vec::new();
        for entry in std::fs::read_dir(folder).map_err(io(folder))? {
            let entry = entry.map_err(io(folder))?;
            let Some(name) = entry.file_name().to_str().and_then(BackupName::parse) else { continue };
            let path = entry.path();
            let metadata = entry.metadata().map_err(io(&path))?;
            if !metadata.is_file() {
                continue;
            }
            let keys = admin::keys_folder(&path);
            backups.push(BackupFile { keys: keys.is_dir().then_some(keys), path, name, bytes: metadata.len() });
        }
        backups.sort_by(|a, b| newest_first(&a.name, &b.name));
        Ok(backups)
    }

    /// The newest backup, if any.
    pub fn newest(&self) -> Result<Option<BackupFile>, HostBackupError> {
        Ok(self.list()?.into_iter().next())
    }

    /// Removes all but the newest `keep` backups (each with its keys folder), and the keys
    /// folders left without their backup; returns the backups removed. Other files are
    /// never touched.
    pub fn prune(&self, keep: usize) -> Result<Vec<BackupFile>, HostBackupError> {
        let backups = self.list()?;
        let removed: Vec<BackupFile> = backups.into_iter().skip(keep).collect();
        for backup in &removed {
            // The database first: keys without it are no backup, and are removed below.
            std::fs::remove_file(&backup.path).map_err(io(&backup.path))?;
        }
        self.remove_orphan_keys()?;
        sync_folder(&self.path);
        if !removed.is_empty() {
            tracing::info!(folder = %self.path.display(), removed = removed.len(), "old host backups removed");
        }
        Ok(removed)
    }

    /// Removes the keys folders of backup names whose database is not there (a prune
    /// interrupted between the two, or a backup between its two renames).
    fn remove_orphan_keys(&self) -> Result<(), HostBackupError> {
        let folder = self.existing()?;
        for entry in std::fs::read_dir(folder).map_err(io(folder))? {
            let path = entry.map_err(io(folder))?.path();
            let Some(database) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".keys")) else {
                continue;
            };
            if BackupName::parse(database).is_some() && path.is_dir() && !folder.join(database).exists() {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            }
        }
        Ok(())
    }

    /// Removes what interrupted backups left under their temporary names.
    fn remove_partials(&self) -> Result<(), HostBackupError> {
        let folder = self.existing()?;
        for entry in std::fs::read_dir(folder).map_err(io(folder))? {
            let path = entry.map_err(io(folder))?.path();
            let ours = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(PARTIAL))
                .is_some_and(|n| n.starts_with(PREFIX));
            if ours {
                tracing::info!(path = %path.display(), "removing what an interrupted backup left");
                let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                removed.map_err(io(&path))?;
            }
        }
        Ok(())
    }

    /// Why a backup is due now, if it is: none yet, another program's versions than the
    /// newest backup's ([`upgrade_due`]), or a day since the newest ([`due`]).
    pub fn why_due(&self, running: &Versions, now: DateTime<Utc>) -> Result<Option<Due>, HostBackupError> {
        Ok(match self.newest()? {
            None => Some(Due::First),
            Some(newest) if upgrade_due(running, Some(&newest.name.versions)) => {
                Some(Due::Upgrade { from: newest.name.versions })
            }
            Some(newest) if due(Some(newest.name.taken_at), now) => Some(Due::Daily),
            Some(_) => None,
        })
    }
}

/// Why a backup is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    /// The folder holds none.
    First,
    /// The program or its schema changed since the newest backup (`from`).
    Upgrade { from: Versions },
    /// A day has passed since the newest.
    Daily,
}

/// Orders backup names newest first: by number, then time, then versions.
fn newest_first(a: &BackupName, b: &BackupName) -> std::cmp::Ordering {
    (b.number, b.taken_at, &b.versions).cmp(&(a.number, a.taken_at, &a.versions))
}

/// Whether the daily backup is due at `now`, the last one taken at `last`: when there is
/// none, or a day ([`INTERVAL`]) has passed. A last backup dated after `now` (the clock
/// was set backwards) makes one due too: waiting for the clock to reach it could take
/// years. The backup then taken is dated `now`, and the days count from it.
pub fn due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|last| now < last || now - last >= INTERVAL)
}

/// Whether a backup is due before `running` opens the data folder, the newest backup
/// having been taken by `last`: when there is none, or when either version differs (an
/// upgrade, and a downgrade too: an older program may not read what a newer one wrote).
pub fn upgrade_due(running: &Versions, last: Option<&Versions>) -> bool {
    last != Some(running)
}

/// Restores the newest backup of `folder` into the data folder `data_dir` (the server
/// stopped), as `comptoir-server admin restore --replace-keys` does: every company at a
/// new epoch, so that every device downloads again, and the backup's keys in place. The
/// keys go with the database they sealed and signed: a key of `data_dir`'s (a computer
/// that served before, or one that made its own on first start) would leave the restored
/// two-factor secrets unreadable and the devices' pinned audit key unmatched; it is kept
/// aside, as the database the restore replaces is (see [`admin::restore`]). Returns the
/// backup restored.
pub fn restore_newest(data_dir: &Path, folder: &BackupFolder) -> Result<(BackupFile, RestoreSummary), HostBackupError> {
    let newest = folder.newest()?.ok_or_else(|| HostBackupError::NoBackup(folder.path.clone()))?;
    let summary = admin::restore(data_dir, &newest.path, true)?;
    tracing::info!(backup = %newest.path.display(), into = %data_dir.display(), "host backup restored");
    Ok((newest, summary))
}

/// Removes a backup written under `database` (its database, its keys folder, the
/// storage's own temporary file), whatever of it is there.
fn remove_backup(database: &Path) -> Result<(), HostBackupError> {
    let mut partial = database.as_os_str().to_os_string();
    partial.push(".partial");
    for file in [database.to_path_buf(), PathBuf::from(partial)] {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&file)(e)),
            _ => {}
        }
    }
    let keys = admin::keys_folder(database);
    match std::fs::remove_dir_all(&keys) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&keys)(e)),
        _ => Ok(()),
    }
}

/// Flushes the folder's entries (the renames) to disk, where the system allows it.
fn sync_folder(folder: &Path) {
    // Folders cannot be opened on Windows, where a rename is durable on its own.
    if let Ok(folder) = std::fs::File::open(folder) {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use comptoir_core::model::CompanyId;
    use proptest::prelude::*;

    use super::*;
    use crate::storage::{SqliteStorage, Storage as _};

    fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, 0, 0).unwrap()
    }

    fn name(number: u64, taken_at: DateTime<Utc>) -> BackupName {
        BackupName { number, taken_at, versions: Versions::running() }
    }

    /// A server's data folder with one company; the company.
    fn data_folder() -> (tempfile::TempDir, CompanyId) {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let company = admin::create_company(&storage, "Atelier", "FR").unwrap();
        crate::audit_key::load_or_create(&crate::audit_key::default_path(dir.path())).unwrap();
        (dir, company)
    }

    /// Writes an empty file (or folder) under `folder`.
    fn touch(folder: &Path, file_name: &str, directory: bool) {
        let path = folder.join(file_name);
        if directory { std::fs::create_dir(path).unwrap() } else { std::fs::write(path, b"").unwrap() }
    }

    fn entries(folder: &Path) -> std::collections::BTreeSet<String> {
        std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
    }

    #[test]
    fn a_name_says_number_time_and_versions_and_only_its_own_spelling_is_a_backup() {
        let taken = name(42, at(2026, 11, 30, 18));
        let file_name = taken.file_name();
        assert_eq!(
            file_name,
            format!("comptoir-backup-000042-20261130T180000Z-v{}-s{SCHEMA_VERSION}.sqlite", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(BackupName::parse(&file_name), Some(taken));
        let pre_release = BackupName {
            number: 1_234_567,
            taken_at: at(2030, 1, 2, 3),
            versions: Versions { app: "1.0.0-s5+build.7".into(), schema: 12 },
        };
        assert_eq!(pre_release.file_name(), "comptoir-backup-1234567-20300102T030000Z-v1.0.0-s5+build.7-s12.sqlite");
        assert_eq!(BackupName::parse(&pre_release.file_name()), Some(pre_release));
        for foreign in [
            "notes.txt",
            "server.sqlite",
            "comptoir-backup-42-20261130T180000Z-v0.1.0-s4.sqlite",
            "comptoir-backup-000042-20261130T180000Z-v0.1.0-s04.sqlite",
            "comptoir-backup-000042-20261130T180000Z-v0.1.0-s4.sqlite.keys",
            "comptoir-backup-000042-20261130T180000Z-v0.1.0-s4.sqlite.partial",
            ".partial-comptoir-backup-000042-20261130T180000Z-v0.1.0-s4.sqlite",
            "comptoir-backup-000042-20261130T180000Z-v0.1.0-s4.SQLITE",
            "comptoir-backup-000042-20261130T180000-v0.1.0-s4.sqlite",
            "comptoir-backup-000042-20261131T180000Z-v0.1.0-s4.sqlite",
            "comptoir-backup-000042-20261130T180000Z-v-s4.sqlite",
            "comptoir-backup-000042-20261130T180000Z-v0.1/0-s4.sqlite",
            "comptoir-backup-000042-20261130T180000Z-v0.1.0.sqlite",
            "comptoir-backup--20261130T180000Z-v0.1.0-s4.sqlite",
            "comptoir-backup-99999999999999999999999-20261130T180000Z-v0.1.0-s4.sqlite",
            "comptoir-backup-1000000000000-20261130T180000Z-v0.1.0-s4.sqlite",
        ] {
            assert_eq!(BackupName::parse(foreign), None, "{foreign}");
        }
    }

    fn versions() -> impl Strategy<Value = Versions> {
        ("[0-9A-Za-z.+-]{1,20}", any::<u32>()).prop_map(|(app, schema)| Versions { app, schema })
    }

    fn backup_name() -> impl Strategy<Value = BackupName> {
        // Any second from 1970 to 2200.
        (0..=MAX_NUMBER, 0_i64..7_258_118_400, versions()).prop_map(|(number, seconds, versions)| BackupName {
            number,
            taken_at: DateTime::from_timestamp(seconds, 0).unwrap(),
            versions,
        })
    }

    proptest! {
        /// Every name written reads back as itself.
        #[test]
        fn every_name_reads_back(name in backup_name()) {
            prop_assert_eq!(BackupName::parse(&name.file_name()), Some(name));
        }

        /// Whatever the clock did, a backup is due now or a day from now: a clock set
        /// backwards never stops the backups for longer than a day. And one is not due
        /// only within the day after the last.
        #[test]
        fn the_daily_backup_never_stops(last in 0_i64..8_000_000_000, now in 0_i64..8_000_000_000) {
            let (last, now) = (DateTime::from_timestamp(last, 0).unwrap(), DateTime::from_timestamp(now, 0).unwrap());
            prop_assert!(due(Some(last), now) || due(Some(last), now + INTERVAL));
            if !due(Some(last), now) {
                prop_assert!(last <= now && now < last + INTERVAL);
            }
        }
    }

    proptest! {
        // Each case writes up to 80 files and folders.
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever backups and other files a folder holds, a prune keeps exactly the
        /// newest `min(n, KEEP)` backups (by number), with their keys, removes the keys
        /// of the others, and leaves every other file alone.
        #[test]
        fn a_prune_keeps_exactly_the_newest_and_never_a_foreign_file(
            backups in proptest::collection::btree_map(0..=MAX_NUMBER, (0_i64..4_102_444_800, any::<bool>()), 0..70),
            foreign in proptest::collection::btree_set(prop_oneof![
                Just("notes.txt".to_owned()),
                Just("server.sqlite".to_owned()),
                "comptoir-backup-[0-9]{1,5}-20261130T180000Z-v0\\.1\\.0-s4\\.sqlite",
                "[a-z]{1,12}(\\.sqlite)?",
                "\\.partial-[a-z]{1,8}",
            ], 0..8),
            foreign_folder in any::<bool>(),
        ) {
            let folder = tempfile::tempdir().unwrap();
            let mut names = Vec::new();
            for (number, (seconds, with_keys)) in &backups {
                let name = BackupName {
                    number: *number,
                    taken_at: DateTime::from_timestamp(*seconds, 0).unwrap(),
                    versions: Versions::running(),
                };
                touch(folder.path(), &name.file_name(), false);
                if *with_keys {
                    touch(folder.path(), &format!("{}.keys", name.file_name()), true);
                }
                names.push((name, *with_keys));
            }
            let foreign: Vec<String> =
                foreign.into_iter().filter(|f| BackupName::parse(f).is_none()).collect();
            for file in &foreign {
                touch(folder.path(), file, false);
            }
            if foreign_folder {
                touch(folder.path(), "photos", true);
            }
            let before = entries(folder.path());

            let removed = BackupFolder::new(folder.path()).prune(KEEP).unwrap();

            names.sort_by(|a, b| newest_first(&a.0, &b.0));
            let kept = names.len().min(KEEP);
            prop_assert_eq!(removed.len(), names.len() - kept);
            let mut expected = before;
            for (name, with_keys) in &names[kept..] {
                expected.remove(&name.file_name());
                if *with_keys {
                    expected.remove(&format!("{}.keys", name.file_name()));
                }
            }
            prop_assert_eq!(entries(folder.path()), expected);
            let listed: Vec<BackupName> =
                BackupFolder::new(folder.path()).list().unwrap().into_iter().map(|b| b.name).collect();
            let newest: Vec<BackupName> = names[..kept].iter().map(|(n, _)| n.clone()).collect();
            prop_assert_eq!(listed, newest);
        }
    }

    #[test]
    fn a_backup_is_due_daily_and_when_the_clock_went_backwards() {
        let last = at(2026, 11, 30, 18);
        assert!(due(None, last), "no backup yet");
        assert!(!due(Some(last), last));
        assert!(!due(Some(last), last + INTERVAL - TimeDelta::seconds(1)));
        assert!(due(Some(last), last + INTERVAL));
        assert!(due(Some(last), last + TimeDelta::days(40)));
        // The clock set back a year (or a second): due now, not in a year.
        assert!(due(Some(last), last - TimeDelta::days(365)));
        assert!(due(Some(last), last - TimeDelta::seconds(1)));
    }

    #[test]
    fn a_backup_is_due_before_another_version_opens_the_data() {
        let running = Versions { app: "0.2.0".into(), schema: 5 };
        assert!(upgrade_due(&running, None));
        assert!(!upgrade_due(&running, Some(&running.clone())));
        assert!(upgrade_due(&running, Some(&Versions { app: "0.1.9".into(), schema: 5 })), "a new program");
        assert!(upgrade_due(&running, Some(&Versions { app: "0.2.0".into(), schema: 4 })), "a new schema");
        assert!(upgrade_due(&running, Some(&Versions { app: "0.3.0".into(), schema: 6 })), "a downgrade");
        assert_eq!(Versions::running(), Versions { app: env!("CARGO_PKG_VERSION").into(), schema: SCHEMA_VERSION });
    }

    #[test]
    fn backups_are_taken_listed_newest_first_and_restored_with_new_epochs() {
        let (data, company) = data_folder();
        let folder_dir = tempfile::tempdir().unwrap();
        let folder = BackupFolder::new(folder_dir.path());
        assert_eq!(folder.newest().unwrap(), None);
        touch(folder_dir.path(), "notes.txt", false);
        // What a backup interrupted by a crash left.
        touch(folder_dir.path(), ".partial-comptoir-backup-000001-20261129T180000Z-v0.1.0-s4.sqlite", false);
        touch(folder_dir.path(), ".partial-comptoir-backup-000001-20261129T180000Z-v0.1.0-s4.sqlite.keys", true);

        let first = folder.take(data.path(), at(2026, 11, 30, 18) + TimeDelta::milliseconds(700)).unwrap();
        assert_eq!(first.name, name(1, at(2026, 11, 30, 18)), "numbered, dated to the second");
        assert_eq!(first.path, folder_dir.path().join(first.name.file_name()));
        assert_eq!(first.bytes, std::fs::metadata(&first.path).unwrap().len());
        let keys = first.keys.clone().unwrap();
        assert!(keys.join("server.key").is_file() && keys.join("audit-signing.key").is_file());
        assert_eq!(
            entries(folder_dir.path()),
            ["notes.txt".to_owned(), first.name.file_name(), format!("{}.keys", first.name.file_name())].into(),
            "the leftovers are gone, nothing else is touched"
        );

        // A second company, then a second backup: the newest is listed first.
        let storage = SqliteStorage::open(data.path()).unwrap();
        let other = admin::create_company(&storage, "Boutique", "BE").unwrap();
        let epoch = storage.log_state(company).unwrap().unwrap().epoch;
        drop(storage);
        let second = folder.take(data.path(), at(2026, 12, 1, 18)).unwrap();
        assert_eq!(second.name.number, 2);
        assert_eq!(folder.list().unwrap(), vec![second.clone(), first.clone()]);
        assert_eq!(folder.newest().unwrap(), Some(second.clone()));

        // Restored into another computer's empty folder: the newest, every company at a new epoch.
        let elsewhere = tempfile::tempdir().unwrap();
        let (restored, summary) = restore_newest(elsewhere.path(), &folder).unwrap();
        assert_eq!(restored, second);
        let epochs: std::collections::BTreeMap<_, _> = summary.companies.into_iter().collect();
        assert_eq!(epochs.keys().copied().collect::<Vec<_>>(), {
            let mut both = vec![company, other];
            both.sort();
            both
        });
        let storage = SqliteStorage::open(elsewhere.path()).unwrap();
        let log = storage.log_state(company).unwrap().unwrap();
        assert_eq!(log.epoch, epochs[&company]);
        assert_ne!(log.epoch, epoch, "a new epoch: every device downloads again");
        assert_eq!(
            std::fs::read(elsewhere.path().join("server.key")).unwrap(),
            std::fs::read(data.path().join("server.key")).unwrap(),
            "the keys came back"
        );

        // Into the folder of a server that made keys of its own: the backup's replace them
        // (they go with its database), the others kept aside.
        let own = tempfile::tempdir().unwrap();
        drop(SqliteStorage::open(own.path()).unwrap());
        let theirs = std::fs::read(own.path().join("server.key")).unwrap();
        let (_, summary) = restore_newest(own.path(), &folder).unwrap();
        assert_eq!(
            std::fs::read(own.path().join("server.key")).unwrap(),
            std::fs::read(data.path().join("server.key")).unwrap()
        );
        let [admin::KeyRestored::Replaced { previous, .. }, admin::KeyRestored::Written(_)] = summary.keys.as_slice()
        else {
            panic!("{:?}", summary.keys)
        };
        assert_eq!(std::fs::read(previous).unwrap(), theirs);
    }

    #[test]
    fn a_missing_folder_is_never_created_and_an_empty_one_has_nothing_to_restore() {
        let (data, _) = data_folder();
        let parent = tempfile::tempdir().unwrap();
        let unplugged = BackupFolder::new(parent.path().join("usb"));
        let error = unplugged.take(data.path(), at(2026, 11, 30, 18)).unwrap_err();
        assert_eq!(error.code(), "backup_folder_missing", "{error}");
        assert!(!unplugged.path.exists(), "not created on the computer's own disk");
        assert_eq!(unplugged.list().unwrap_err().code(), "backup_folder_missing");
        assert_eq!(restore_newest(data.path(), &unplugged).unwrap_err().code(), "backup_folder_missing");

        let empty = tempfile::tempdir().unwrap();
        touch(empty.path(), "notes.txt", false);
        let error = restore_newest(data.path(), &BackupFolder::new(empty.path())).unwrap_err();
        assert_eq!(error.code(), "no_backup", "{error}");
        assert!(error.to_string().contains("no Comptoir backup"), "{error}");
    }

    #[test]
    fn a_failed_backup_leaves_nothing_under_any_name() {
        let (data, _) = data_folder();
        // A key that cannot be read, once the database is copied: the backup fails late.
        std::fs::remove_file(data.path().join("server.key")).unwrap();
        std::fs::create_dir(data.path().join("server.key")).unwrap();
        let folder_dir = tempfile::tempdir().unwrap();
        let folder = BackupFolder::new(folder_dir.path());
        let error = folder.take(data.path(), at(2026, 11, 30, 18)).unwrap_err();
        assert_eq!(error.code(), "backup_keys", "{error}");
        assert_eq!(entries(folder_dir.path()), std::collections::BTreeSet::new(), "no half backup");

        // No database at all.
        let empty = tempfile::tempdir().unwrap();
        let error = folder.take(empty.path(), at(2026, 11, 30, 18)).unwrap_err();
        assert_eq!(error.code(), "backup_refused", "{error}");
        assert_eq!(folder.list().unwrap(), Vec::new());
    }

    #[test]
    fn a_backup_is_due_first_daily_and_after_an_upgrade() {
        let (data, _) = data_folder();
        let folder_dir = tempfile::tempdir().unwrap();
        let folder = BackupFolder::new(folder_dir.path());
        let running = Versions::running();
        let now = at(2026, 11, 30, 18);
        assert_eq!(folder.why_due(&running, now).unwrap(), Some(Due::First));
        folder.take(data.path(), now).unwrap();
        assert_eq!(folder.why_due(&running, now + TimeDelta::hours(23)).unwrap(), None);
        assert_eq!(folder.why_due(&running, now + INTERVAL).unwrap(), Some(Due::Daily));
        let upgraded = Versions { app: "99.0.0".into(), schema: SCHEMA_VERSION + 1 };
        assert_eq!(folder.why_due(&upgraded, now).unwrap(), Some(Due::Upgrade { from: running }));
    }

    #[test]
    fn a_clock_set_backwards_neither_stops_the_backups_nor_prunes_the_new_ones() {
        let (data, _) = data_folder();
        let folder_dir = tempfile::tempdir().unwrap();
        let folder = BackupFolder::new(folder_dir.path());
        // A month of backups taken while the clock said 2030.
        for day in 1_u16..=30 {
            let taken_at = at(2030, 1, 1, 0) + TimeDelta::days(day.into());
            touch(folder_dir.path(), &name(day.into(), taken_at).file_name(), false);
        }
        // The clock now says 2026: a backup is due at once, and the next a day later.
        let now = at(2026, 11, 30, 18);
        let running = Versions::running();
        assert_eq!(folder.why_due(&running, now).unwrap(), Some(Due::Daily));
        let taken = folder.take(data.path(), now).unwrap();
        assert_eq!(taken.name.number, 31);
        assert_eq!(folder.why_due(&running, now + TimeDelta::hours(1)).unwrap(), None);
        assert_eq!(folder.why_due(&running, now + INTERVAL).unwrap(), Some(Due::Daily));
        // The prune removes the oldest by number, not the one dated earliest.
        let removed = folder.prune(KEEP).unwrap();
        assert_eq!(removed.iter().map(|b| b.name.number).collect::<Vec<_>>(), vec![1]);
        assert_eq!(folder.newest().unwrap().unwrap().path, taken.path);
        assert!(taken.keys.unwrap().is_dir(), "its keys are kept with it");

        // A file carrying the highest number: refused, nothing written.
        touch(folder_dir.path(), &name(MAX_NUMBER, now).file_name(), false);
        let before = entries(folder_dir.path());
        let error = folder.take(data.path(), now + INTERVAL).unwrap_err();
        assert_eq!(error.code(), "backup_numbers_exhausted", "{error}");
        assert_eq!(entries(folder_dir.path()), before);
    }
}
