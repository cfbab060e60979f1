//! Moving a deployment to another storage: `comptoir-server admin migrate-storage --from
//! sqlite:PATH --to postgres://…` (or the other way round).
//!
//! The copy is written against [`Storage`] alone, `&dyn Storage` to `&dyn Storage`, so it
//! runs in either direction, and between two databases of one kind. It copies:
//!
//! - every account as it stands: password hash, two-factor state, failed sign-ins. A
//!   two-factor secret is read in clear from the source and sealed again by the
//!   destination with its own key (`server.key` of the data folder it is opened with), so
//!   it opens there whatever key sealed it before;
//! - every company: its row; its log's state, epoch and seq KEPT (clients' cursors stay
//!   valid: nobody downloads again); its members and their roles; every record, its JSON
//!   text byte for byte (the audit records too, so the chains verify on both sides); the
//!   answers its clients' mutations got (a mutation sent again is answered as before,
//!   never applied twice); its unique keys (document numbers, article codes); its paired
//!   devices, each on a revoked session (the device opens a new one with its own secret,
//!   as after a restore); the parts of postings staged and not yet committed; where it
//!   moved to, when it did.
//!
//! It does not copy sessions, access tokens and two-factor challenges (users sign in
//! again), nor pairing invitations (short-lived, their codes sealed for this host's
//! eyes: invite the device again).
//!
//! A company is read as one snapshot ([`Storage::export_company`]) and written in batches
//! of at most [`BATCH_ITEMS`] items or [`BATCH_BYTES`] of text, each batch one transaction:
//! memory stays flat whatever a company's size.
//!
//! **A copy that stops halfway** (the network, a full disk, Ctrl-C) leaves the destination
//! partly written, and a second run refuses it like any destination that holds data
//! ([`MigrateError::NotEmpty`]): the rule is "drop the destination and run again". A
//! transaction per company with a resumable rule was the alternative; it was not taken
//! because a company of a million records would then be one transaction (one long lock
//! and write-ahead log on the destination, and a PostgreSQL retry would have to read the
//! source again), and because resuming must tell a finished company from one the source
//! changed meanwhile — while a fresh copy into an empty database is right every time and
//! fast. The checks that end each company (its log's state and its records per kind,
//! compared on both sides) catch a copy that went wrong without failing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir_core::model::{CompanyId, UserId};
use comptoir_core::sync::RecordKind;
use thiserror::Error;
use uuid::Uuid;

use crate::storage::{
    CompanyRecord, DeviceRecord, ExportItem, LogState, MemberRecord, SessionRecord, SqliteStorage, StagedPart, Storage,
    StorageError, StoredChange, StoredOutcome, unit_of_work,
};

/// Items (records, answers, keys, members) written in one destination transaction, at most.
pub const BATCH_ITEMS: usize = 2_000;
/// Text (records' bodies, answers) written in one destination transaction, about at most.
pub const BATCH_BYTES: usize = 8 << 20;
/// Accounts read and written at a time.
const USER_PAGE: u32 = 500;
/// Records copied between two progress reports of a company.
const PROGRESS_EVERY: u64 = 50_000;

/// Why a migration did not run, or stopped. Each message starts with a stable code.
#[derive(Debug, Error)]
pub enum MigrateError {
    #[error("invalid_endpoint: “{0}” is neither sqlite:PATH nor a postgres:// URL")]
    InvalidEndpoint(String),
    #[error("same_storage: --from and --to name the same storage")]
    SameStorage,
    #[error(
        "destination_not_empty: the destination already holds {companies} companies and {accounts} accounts \
         (at least); migrate-storage writes only into an empty database, and wrote nothing. If an earlier \
         migrate-storage stopped halfway, drop the destination (DROP DATABASE …; CREATE DATABASE …, or delete \
         the SQLite folder) and run it again"
    )]
    NotEmpty { companies: usize, accounts: usize },
    #[error("open_failed: cannot open {endpoint}: {source}")]
    Open { endpoint: String, source: crate::OpenError },
    #[error(
        "copy_failed: {what}: {source}. The destination holds a partial copy: drop it (DROP DATABASE …; CREATE \
         DATABASE …, or delete the SQLite folder) and run migrate-storage again"
    )]
    Copy { what: String, source: StorageError },
    #[error(
        "copy_mismatch: company {company}: {what} differs between the source and the destination after the copy; \
         the destination cannot be used: drop it and run migrate-storage again"
    )]
    Mismatch { company: CompanyId, what: &'static str },
}

impl MigrateError {
    /// The stable code the message starts with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidEndpoint(_) => "invalid_endpoint",
            Self::SameStorage => "same_storage",
            Self::NotEmpty { .. } => "destination_not_empty",
            Self::Open { .. } => "open_failed",
            Self::Copy { .. } => "copy_failed",
            Self::Mismatch { .. } => "copy_mismatch",
        }
    }
}

/// One side of a migration, as the command line names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `sqlite:PATH`: a server data folder (the folder of `server.sqlite`; the file's own
    /// path is taken for its folder).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
}

impl std::str::FromStr for Endpoint {
    type Err = MigrateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Self::Postgres(text.to_owned()));
        }
        match text.strip_prefix("sqlite:").map(Path::new) {
            Some(path) if !path.as_os_str().is_empty() => {
                let is_database_file = path.file_name().is_some_and(|name| name == "server.sqlite") && path.is_file();
                let folder = match path.parent() {
                    Some(parent) if is_database_file => parent.to_path_buf(),
                    _ => path.to_path_buf(),
                };
                Ok(Self::Sqlite(folder))
            }
            _ => Err(MigrateError::InvalidEndpoint(text.to_owned())),
        }
    }
}

impl std::fmt::Display for Endpoint {
    /// A PostgreSQL URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(folder) => write!(f, "sqlite:{}", folder.display()),
            Self::Postgres(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
                match rest.split_once('@') {
                    Some((user, host)) if user.contains(':') => {
                        let name = user.split(':').next().unwrap_or_default();
                        write!(f, "{scheme}://{name}:***@{host}")
                    }
                    _ => write!(f, "{scheme}://{rest}"),
                }
            }
        }
    }
}

impl Endpoint {
    /// Opens the storage: a SQLite folder to itself (refused while a server serves it: a
    /// copy must not miss the changes made meanwhile); a PostgreSQL database with its
    /// two-factor secrets sealed with the key of the data folder `keys`.
    pub fn open(&self, keys: &Path) -> Result<Arc<dyn Storage>, MigrateError> {
        let opened = match self {
            Self::Sqlite(folder) => SqliteStorage::open_alone(folder)
                .map(|storage| Arc::new(storage) as Arc<dyn Storage>)
                .map_err(crate::OpenError::from),
            Self::Postgres(url) => crate::open_storage(keys, Some(url)),
        };
        opened.map_err(|source| MigrateError::Open { endpoint: self.to_string(), source })
    }
}

/// How far a migration has gone, for the command's progress lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Accounts copied so far.
    Accounts { copied: u64 },
    /// A company's copy starts: the `index`-th of `of`, with `records` to copy.
    CompanyStarted { index: usize, of: usize, company: CompanyRecord, records: u64 },
    /// Records of the company copied so far.
    Records { company: CompanyId, copied: u64, of: u64 },
    /// A company copied and checked.
    CompanyDone { company: CompanyId, copied: CompanyCopy },
}

/// What one company's copy wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompanyCopy {
    /// Its log's state, as on both sides.
    pub state: Option<LogState>,
    pub members: u64,
    /// Records, deleted ones (kept as tombstones) included.
    pub records: u64,
    /// Audit records among them.
    pub audit_events: u64,
    /// Mutations' answers.
    pub outcomes: u64,
    pub keys: u64,
    pub devices: u64,
    /// Parts of postings staged, not committed.
    pub staged_parts: u64,
    pub moved: bool,
}

/// What a migration copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationSummary {
    pub companies: u64,
    pub accounts: u64,
    pub records: u64,
    pub audit_events: u64,
    pub outcomes: u64,
    pub devices: u64,
    pub staged_parts: u64,
    pub elapsed: Duration,
}

/// Copies everything `from` holds into `to`, which must hold no company and no account
/// (else [`MigrateError::NotEmpty`], and nothing is written); reports its way through
/// `progress`.
pub fn migrate(
    from: &dyn Storage,
    to: &dyn Storage,
    progress: &mut dyn FnMut(&Progress),
) -> Result<MigrationSummary, MigrateError> {
    let started = Instant::now();
    check_empty(to)?;
    let mut summary = MigrationSummary { accounts: copy_accounts(from, to, progress)?, ..MigrationSummary::default() };
    let companies = from.companies().map_err(|source| copy_error("listing the companies", source))?;
    let count = companies.len();
    for (index, company) in companies.into_iter().enumerate() {
        let id = company.id;
        let copied = copy_company(from, to, company, index + 1, count, progress)?;
        summary.companies += 1;
        summary.records += copied.records;
        summary.audit_events += copied.audit_events;
        summary.outcomes += copied.outcomes;
        summary.devices += copied.devices;
        summary.staged_parts += copied.staged_parts;
        progress(&Progress::CompanyDone { company: id, copied });
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn copy_error(what: impl Into<String>, source: StorageError) -> MigrateError {
    MigrateError::Copy { what: what.into(), source }
}

/// Refuses a destination that holds a company or an account.
fn check_empty(to: &dyn Storage) -> Result<(), MigrateError> {
    let read = |source| copy_error("reading the destination", source);
    let companies = to.companies().map_err(read)?.len();
    let accounts = to.users_after(None, USER_PAGE).map_err(read)?.len();
    if companies == 0 && accounts == 0 { Ok(()) } else { Err(MigrateError::NotEmpty { companies, accounts }) }
}

/// Copies every account, a page per transaction; returns how many.
fn copy_accounts(
    from: &dyn Storage,
    to: &dyn Storage,
    progress: &mut dyn FnMut(&Progress),
) -> Result<u64, MigrateError> {
    let mut after: Option<UserId> = None;
    let mut copied = 0_u64;
    loop {
        let page = from.users_after(after, USER_PAGE).map_err(|source| copy_error("reading the accounts", source))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        unit_of_work(to, |tx| page.iter().try_for_each(|user| tx.create_user(user)))
            .map_err(|source| copy_error("writing the accounts", source))?;
        copied += page.len() as u64;
        progress(&Progress::Accounts { copied });
    }
    Ok(copied)
}

/// Copies one company and checks the copy against the source.
fn copy_company(
    from: &dyn Storage,
    to: &dyn Storage,
    company: CompanyRecord,
    index: usize,
    of: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Result<CompanyCopy, MigrateError> {
    let id = company.id;
    let failed = |source| copy_error(format!("company {id}"), source);
    let per_kind = from.count_changes_after(id, 0).map_err(failed)?;
    let records = per_kind.values().sum();
    progress(&Progress::CompanyStarted { index, of, company, records });

    let mut copied = CompanyCopy::default();
    let mut batch = Batch::default();
    let mut reported = 0_u64;
    from.export_company(id, &mut |item| {
        match item {
            ExportItem::Company(record, state) => {
                unit_of_work(to, |tx| tx.import_company(&record, &state))?;
                copied.state = Some(state);
                return Ok(());
            }
            ExportItem::Member(_) => copied.members += 1,
            ExportItem::Record(ref change) => {
                copied.records += 1;
                copied.audit_events += u64::from(change.kind == RecordKind::Audit);
            }
            ExportItem::Outcome { .. } => copied.outcomes += 1,
            ExportItem::Key { .. } => copied.keys += 1,
        }
        if batch.push(item) {
            batch.flush(to, id)?;
            if copied.records >= reported + PROGRESS_EVERY {
                reported = copied.records;
                progress(&Progress::Records { company: id, copied: copied.records, of: records });
            }
        }
        Ok(())
    })
    .map_err(failed)?;
    batch.flush(to, id).map_err(failed)?;

    for device in from.devices(id).map_err(failed)? {
        copy_device(to, &device).map_err(failed)?;
        copied.devices += 1;
    }
    copied.staged_parts = copy_staged_parts(from, to, id).map_err(failed)?;
    // Last: a company that moved away refuses the company transactions that write its log.
    if let Some(moved) = from.moved(id).map_err(failed)? {
        unit_of_work(to, |tx| tx.set_moved(id, Some(&moved))).map_err(failed)?;
        copied.moved = true;
    }

    check_company(to, id, copied.state.as_ref(), &per_kind)?;
    Ok(copied)
}

/// Whether the destination's copy of `company` has the source's log state and records.
fn check_company(
    to: &dyn Storage,
    company: CompanyId,
    state: Option<&LogState>,
    per_kind: &BTreeMap<RecordKind, u64>,
) -> Result<(), MigrateError> {
    let failed = |source| copy_error(format!("checking company {company}"), source);
    if to.log_state(company).map_err(failed)?.as_ref() != state {
        return Err(MigrateError::Mismatch { company, what: "the log's state (epoch, seq, audit head)" });
    }
    if &to.count_changes_after(company, 0).map_err(failed)? != per_kind {
        return Err(MigrateError::Mismatch { company, what: "the number of records per kind" });
    }
    Ok(())
}

/// Copies the parts of postings staged and not committed, a part per transaction (a
/// part's entries may be large); returns how many. A company that moved away has none
/// that matter: its log is frozen, no posting of it commits here.
fn copy_staged_parts(from: &dyn Storage, to: &dyn Storage, company: CompanyId) -> Result<u64, StorageError> {
    let mut staged: Vec<(Uuid, Vec<StagedPart>)> = Vec::new();
    let listed = from.in_company(company, &mut |tx| {
        staged.clear();
        for posting in tx.staged_postings()? {
            staged.push((posting, tx.staged_parts(posting)?));
        }
        Ok(())
    });
    match listed {
        Err(StorageError::Moved) => return Ok(0),
        other => other?,
    }
    let mut copied = 0;
    for (posting, parts) in &staged {
        for part in parts {
            let mut entries = None;
            from.in_company(company, &mut |tx| {
                entries = tx.staged_entries(*posting, part.part)?;
                Ok(())
            })?;
            if let Some(entries) = entries {
                to.in_company(company, &mut |tx| tx.stage_part(*posting, part, &entries))?;
                copied += 1;
            }
        }
    }
    Ok(copied)
}

/// A paired device, on a session of its own that is revoked from the start: no refresh
/// token opens it (its hash is nobody's), and the device opens a new one with its secret
/// ([`Storage::resume_device`]), as after a restore.
fn copy_device(to: &dyn Storage, device: &DeviceRecord) -> Result<(), StorageError> {
    let session = SessionRecord {
        id: device.session_id,
        user_id: device.user_id,
        refresh_hash: format!("not-copied:{}", Uuid::now_v7()),
        refresh_expires_at: device.paired_at,
    };
    to.add_device(device, &session)?;
    if let Some(seen) = device.last_seen_at {
        to.device_seen(session.id, seen)?;
    }
    match device.revoked_at {
        Some(at) => {
            to.revoke_device(device.company_id, device.id, at)?;
        }
        None => to.revoke_session(session.id)?,
    }
    Ok(())
}

/// A company's items waiting to be written in one transaction.
#[derive(Default)]
struct Batch {
    members: Vec<MemberRecord>,
    records: Vec<StoredChange>,
    outcomes: Vec<(Uuid, u64, StoredOutcome)>,
    keys: Vec<(String, String, Uuid)>,
    /// The text the batch holds (records' bodies, answers).
    bytes: usize,
}

impl Batch {
    /// Adds an item (a company's own row is written apart); `true` when the batch is full.
    fn push(&mut self, item: ExportItem) -> bool {
        match item {
            ExportItem::Member(member) => self.members.push(member),
            ExportItem::Record(change) => {
                self.bytes += change.body.as_ref().map_or(0, String::len);
                self.records.push(change);
            }
            ExportItem::Outcome { client, mutation, stored } => {
                self.bytes += stored.outcome.len();
                self.outcomes.push((client, mutation, stored));
            }
            ExportItem::Key { namespace, key, owner } => self.keys.push((namespace, key, owner)),
            ExportItem::Company(..) => {}
        }
        self.len() >= BATCH_ITEMS || self.bytes >= BATCH_BYTES
    }

    fn len(&self) -> usize {
        self.members.len() + self.records.len() + self.outcomes.len() + self.keys.len()
    }

    /// Writes the batch in one transaction, and empties it.
    fn flush(&mut self, to: &dyn Storage, company: CompanyId) -> Result<(), StorageError> {
        if self.len() == 0 {
            return Ok(());
        }
        unit_of_work(to, |tx| {
            for member in &self.members {
                tx.set_member(company, member.user_id, member.role)?;
            }
            tx.in_company(company, &mut |log| {
                log.restore_records(&self.records)?;
                log.restore_outcomes(&self.outcomes)?;
                log.restore_keys(&self.keys)
            })
        })?;
        *self = Self::default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_and_hide_passwords() {
        let pg: Endpoint = "postgres://comptoir:s3cret@db.example:5432/comptoir".parse().unwrap();
        assert_eq!(pg.to_string(), "postgres://comptoir:***@db.example:5432/comptoir");
        let socket: Endpoint = "postgresql://postgres@/db?host=/tmp/x".parse().unwrap();
        assert_eq!(socket.to_string(), "postgresql://postgres@/db?host=/tmp/x");
        assert_eq!("sqlite:/srv/comptoir".parse::<Endpoint>().unwrap(), Endpoint::Sqlite("/srv/comptoir".into()));
        for bad in ["sqlite:", "/srv/comptoir", "mysql://x", ""] {
            let error = bad.parse::<Endpoint>().unwrap_err();
            assert_eq!(error.code(), "invalid_endpoint", "{bad}");
        }
    }
}
