//! Company files kept ready for a device's first download (issue 18).
//!
//! For each company with many records, the server keeps a company file of its own (the
//! *keeper*), written by the client's own code from the company's log, as any device's
//! copy is, and brought up to the log's end in the background. From it, it writes a
//! *copy* ([`comptoir_core::store::CompanyStore::write_copy`]): a device that downloads
//! the company for the first time takes that file whole, checks it and pulls the log
//! after it, instead of writing every record, index, search entry and ledger row itself.
//!
//! Files, under the copies' folder: `<company>/keeper.comptoir`, and the copies,
//! `<company>/copy-v<schema>-<epoch>-<seq>.comptoir`, the latest of which is served (the
//! older ones are deleted once a newer one is written; one being sent stays readable
//! until closed), and `<company>/keeper.lock`, which one instance of the server at a time
//! holds while it writes there. A copy of another schema or epoch than the server's now
//! is never served: the device downloads page by page.

use std::path::{Path, PathBuf};

use comptoir_core::engine::link::placeholder_company;
use comptoir_core::model::CompanyId;
use comptoir_core::store::{CompanyStore, CopyInfo, StoreError};
use comptoir_core::sync::{Cursor, RawPullPage};
use uuid::Uuid;

use crate::storage::{PageLimit, Storage, StorageError};

/// Changes the keeper applies a transaction.
const KEEPER_PAGE: u32 = 5_000;

/// Why a copy could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// A copy ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyCopy {
    pub path: PathBuf,
    pub epoch: Uuid,
    pub upto: u64,
    pub schema_version: u32,
    pub bytes: u64,
}

/// When a new copy is written from a keeper brought up to date: the copy served lags
/// the log by at least `changes`, or by any change and was written `age` ago or more.
/// The keeper itself follows the log at every refresh (a few pages, cheap); a copy is
/// the whole file written again (`VACUUM INTO`: about 5 s and 1 GiB for a company of a
/// million records), and a device pulls the log after the copy it takes anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renewal {
    pub changes: u64,
    pub age: std::time::Duration,
}

impl Renewal {
    /// A new copy at every refresh that finds the log moved (tests).
    pub const EVERY_CHANGE: Self = Self { changes: 1, age: std::time::Duration::ZERO };

    /// Whether a copy at `upto`, written `age` ago (`None`: unknown), is renewed for a
    /// keeper at `keeper`.
    fn due(&self, upto: u64, age: Option<std::time::Duration>, keeper: u64) -> bool {
        let lag = keeper.saturating_sub(upto);
        lag > 0 && (lag >= self.changes || age.is_none_or(|age| age >= self.age))
    }
}

/// A copy lags by a page of the log at most (what a device then pulls after it takes
/// it: a fraction of a second), or by an hour at most.
impl Default for Renewal {
    fn default() -> Self {
        Self { changes: 5_000, age: std::time::Duration::from_hours(1) }
    }
}

/// The copies' folder, from how many changes in its log a company gets one, and when a
/// copy is written again.
#[derive(Debug)]
pub struct Copies {
    dir: PathBuf,
    min_changes: u64,
    renewal: Renewal,
}

impl Copies {
    pub fn new(dir: PathBuf, min_changes: u64) -> Self {
        Self { dir, min_changes, renewal: Renewal::default() }
    }

    /// When copies are written again (see [`Renewal`]).
    #[must_use]
    pub fn with_renewal(self, renewal: Renewal) -> Self {
        Self { renewal, ..self }
    }

    fn folder(&self, company: CompanyId) -> PathBuf {
        self.dir.join(company.0.to_string())
    }

    /// The latest copy of `company` in `epoch`, of this version's schema, if one is ready.
    pub fn ready(&self, company: CompanyId, epoch: Uuid) -> Option<ReadyCopy> {
        let schema = comptoir_core::store::COMPANY_SCHEMA_VERSION;
        let entries = std::fs::read_dir(self.folder(company)).ok()?;
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let (version, copy_epoch, upto) = parse_copy_name(&name)?;
                let bytes = entry.metadata().ok()?.len();
                (version == schema && copy_epoch == epoch).then(|| ReadyCopy {
                    path: entry.path(),
                    epoch,
                    upto,
                    schema_version: version,
                    bytes,
                })
            })
            .max_by_key(|copy| copy.upto)
    }

    /// Brings every company whose log has at least the copies' minimum of changes up to
    /// date ([`Self::refresh`]); one that fails is logged and the others go on.
    pub fn refresh_all(&self, storage: &dyn Storage) -> Result<(), CopyError> {
        for company in storage.companies()? {
            let Some(state) = storage.log_state(company.id)? else { continue };
            if state.seq < self.min_changes {
                continue;
            }
            if let Err(error) = self.refresh(storage, company.id) {
                tracing::warn!(company = %company.id, %error, "the company's copy could not be kept");
            }
        }
        Ok(())
    }

    /// Brings the keeper of `company` to its log's end, and writes a new copy when there
    /// is none, or when the latest one is due for renewal ([`Renewal`]). A log of another
    /// epoch (restored) starts the keeper again from nothing. Returns the copy now ready.
    pub fn refresh(&self, storage: &dyn Storage, company: CompanyId) -> Result<Option<ReadyCopy>, CopyError> {
        let Some(state) = storage.log_state(company)? else { return Ok(None) };
        // Nothing changed since the latest copy: the keeper is not even opened (the
        // background thread asks every minute, for every large company).
        if let Some(ready) = self.ready(company, state.epoch)
            && ready.upto >= state.seq
        {
            return Ok(Some(ready));
        }
        let folder = self.folder(company);
        std::fs::create_dir_all(&folder).map_err(|source| CopyError::Io { path: folder.clone(), source })?;
        // One keeper writer at a time, whichever instance of the server (several may share
        // the data folder on one PostgreSQL database): another one busy with it keeps it.
        let lock_path = folder.join("keeper.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| CopyError::Io { path: lock_path.clone(), source })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(self.ready(company, state.epoch)),
            Err(std::fs::TryLockError::Error(source)) => return Err(CopyError::Io { path: lock_path, source }),
        }
        let keeper_path = folder.join("keeper.comptoir");
        let mut keeper = if keeper_path.exists() {
            CompanyStore::open_expecting(&keeper_path, company)?
        } else {
            new_keeper(&keeper_path, company)?
        };
        if keeper.sync_cursor()?.is_some_and(|c| c.epoch != state.epoch) {
            drop(keeper);
            remove_file_and_sides(&keeper_path)?;
            keeper = new_keeper(&keeper_path, company)?;
        }
        let first = keeper.sync_cursor()?.is_none();
        if first {
            // As a device's first download does: indexes, search and the ledger at the end.
            keeper.set_indexes_aside()?;
            keeper.set_bulk_load(true)?;
        }
        keeper.defer_search_indexing(true)?;
        let mut after = keeper.sync_cursor()?.map_or(0, |c| c.seq);
        loop {
            let limit = PageLimit { count: KEEPER_PAGE, bytes: super::MAX_PAGE_BYTES };
            let stored = storage.changes_after(company, after, limit)?;
            let changes = stored.changes.into_iter().map(super::raw_change).collect::<Result<Vec<_>, _>>()?;
            let Some(last) = changes.last().map(|c| c.seq) else { break };
            let page = RawPullPage {
                epoch: state.epoch,
                changes,
                cursor: Cursor { epoch: state.epoch, seq: last },
                has_more: stored.has_more,
                remaining: None,
                audit_head: None,
            };
            keeper.apply_pull_page(after, &page)?;
            after = last;
            if !stored.has_more {
                break;
            }
        }
        if keeper.sync_cursor()?.is_none() {
            // An empty log: an empty page leaves the cursor at its start.
            let page = RawPullPage {
                epoch: state.epoch,
                changes: Vec::new(),
                cursor: Cursor { epoch: state.epoch, seq: 0 },
                has_more: false,
                remaining: None,
                audit_head: None,
            };
            keeper.apply_pull_page(0, &page)?;
        }
        keeper.defer_search_indexing(false)?;
        // Also after a first build that was killed midway: what it had set aside.
        keeper.restore_indexes()?;
        keeper.set_bulk_load(false)?;
        keeper.refresh_whole_ledger(chrono::Utc::now().date_naive())?;
        let ready = self.ready(company, state.epoch);
        if let Some(ready) = ready.as_ref() {
            let age = std::fs::metadata(&ready.path).and_then(|m| m.modified()).ok().and_then(|at| at.elapsed().ok());
            if !self.renewal.due(ready.upto, age, after) {
                return Ok(Some(ready.clone()));
            }
        }
        let written = write_copy(&keeper, &folder)?;
        // The older copies, and what a killed refresh left (only the lock's holder writes
        // here): one being sent stays readable until its file is closed.
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for entry in entries.filter_map(Result::ok) {
                if entry.path() != written.path && entry.file_name().to_str().is_some_and(|n| n.starts_with("copy-")) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        tracing::info!(%company, upto = written.upto, bytes = written.bytes, "company copy written");
        Ok(Some(written))
    }
}

/// How often the background thread brings the copies up to date.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_mins(1);

/// Starts the thread that keeps `copies` up to date ([`Copies::refresh_all`]) every
/// minute, for as long as the process runs.
pub fn keep_in_background(
    copies: std::sync::Arc<Copies>,
    storage: std::sync::Arc<dyn Storage>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("company-copies".into()).spawn(move || {
        loop {
            if let Err(error) = copies.refresh_all(storage.as_ref()) {
                tracing::warn!(%error, "the companies' copies could not be kept");
            }
            std::thread::sleep(REFRESH_EVERY);
        }
    })
}

fn new_keeper(path: &Path, company: CompanyId) -> Result<CompanyStore, CopyError> {
    Ok(CompanyStore::create_for_download(path, &placeholder_company(company))?)
}

/// Writes the keeper's copy under a temporary name, then renames it to its own.
fn write_copy(keeper: &CompanyStore, folder: &Path) -> Result<ReadyCopy, CopyError> {
    let part = folder.join(format!("copy-{}.part", Uuid::now_v7()));
    let CopyInfo { epoch, upto, schema_version, .. } = keeper.write_copy(&part)?;
    let path = folder.join(copy_name(schema_version, epoch, upto));
    std::fs::rename(&part, &path).map_err(|source| CopyError::Io { path: path.clone(), source })?;
    let bytes = std::fs::metadata(&path).map_err(|source| CopyError::Io { path: path.clone(), source })?.len();
    Ok(ReadyCopy { path, epoch, upto, schema_version, bytes })
}

fn remove_file_and_sides(path: &Path) -> Result<(), CopyError> {
    for side in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{side}", path.display()));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(CopyError::Io { path: file, source }),
        }
    }
    Ok(())
}

fn copy_name(schema: u32, epoch: Uuid, upto: u64) -> String {
    format!("copy-v{schema}-{epoch}-{upto}.comptoir")
}

/// The schema, epoch and seq a copy's file name gives.
fn parse_copy_name(name: &str) -> Option<(u32, Uuid, u64)> {
    let rest = name.strip_prefix("copy-v")?.strip_suffix(".comptoir")?;
    let (schema, rest) = rest.split_once('-')?;
    // A UUID's text is 36 characters, hyphens included.
    let (epoch, upto) = (rest.get(..36)?, rest.get(36..)?.strip_prefix('-')?);
    Some((schema.parse().ok()?, epoch.parse().ok()?, upto.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_renewed_when_it_lags_by_a_page_or_an_hour() {
        let renewal = Renewal::default();
        let (minute, hour) = (Some(std::time::Duration::from_mins(1)), Some(std::time::Duration::from_hours(1)));
        assert!(!renewal.due(100, hour, 100), "up to date");
        assert!(!renewal.due(100, minute, 4_000), "a little behind, and new");
        assert!(renewal.due(100, minute, 5_100), "a page behind");
        assert!(renewal.due(100, hour, 101), "behind, and an hour old");
        assert!(renewal.due(100, None, 101), "behind, its age unknown");
        assert!(!Renewal::EVERY_CHANGE.due(100, minute, 100));
        assert!(Renewal::EVERY_CHANGE.due(100, minute, 101));
    }

    #[test]
    fn a_copy_name_gives_back_its_schema_epoch_and_seq() {
        let epoch = Uuid::now_v7();
        assert_eq!(parse_copy_name(&copy_name(26, epoch, 1_255_540)), Some((26, epoch, 1_255_540)));
        for other in ["keeper.comptoir", "copy-x.part", "copy-v26-nope-12.comptoir", "copy-v26-.comptoir"] {
            assert_eq!(parse_copy_name(other), None, "{other}");
        }
    }
}
