//! What the `comptoir-server admin …` commands do, as library functions.

use std::path::Path;

use chrono::Utc;
use comptoir_core::model::{CompanyId, Country, ModelError, Role, UserId};
use comptoir_core::sync::{RecordBody, RecordKind};
use thiserror::Error;
use uuid::Uuid;

use crate::auth::{self, AuthError};
use crate::key_backup;
pub use crate::key_backup::{KeyRestored, keys_folder};
pub use crate::storage::{BackupSummary, RestoreSummary};
use crate::storage::{PageLimit, SqliteStorage, Storage, StorageError, UserRecord, unit_of_work};

#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("no user has the email {0}")]
    UnknownUser(String),
    #[error("no company has the id {0}")]
    UnknownCompany(CompanyId),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Rule(#[from] ModelError),
    #[error(transparent)]
    Keys(#[from] crate::key_backup::KeyBackupError),
}

/// Creates an account. The email is stored lower-cased and checked for shape.
pub fn create_user(
    storage: &dyn Storage,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<UserId, AdminError> {
    let email = email.trim().to_lowercase();
    comptoir_core::model::validate_email(&email)?;
    if password.chars().count() < crate::api::MIN_PASSWORD_CHARS {
        return Err(AdminError::Invalid(format!(
            "a password needs at least {} characters",
            crate::api::MIN_PASSWORD_CHARS
        )));
    }
    let user = UserRecord::new(&email, Some(display_name), auth::hash_password(password)?);
    storage.create_user(&user)?;
    Ok(user.id)
}

/// Creates a company, its change log and its settings.
pub fn create_company(storage: &dyn Storage, name: &str, country: &str) -> Result<CompanyId, AdminError> {
    let country = Country::from_code(country)?;
    if name.trim().is_empty() {
        return Err(AdminError::Invalid("a company needs a name".into()));
    }
    Ok(crate::sync::create_company(storage, CompanyId::new(), name.trim(), &country, Utc::now())?)
}

/// Adds an existing user to a company with a role (or changes their role): the
/// membership, the member record in the company's log and the audit record, in one
/// transaction.
pub fn add_member(storage: &dyn Storage, company: CompanyId, email: &str, role: Role) -> Result<UserId, AdminError> {
    let email = email.trim().to_lowercase();
    let now = Utc::now();
    unit_of_work(storage, |tx| {
        tx.company(company)?.ok_or(AdminError::UnknownCompany(company))?;
        let user = tx.user_by_email(&email)?.ok_or_else(|| AdminError::UnknownUser(email.clone()))?;
        tx.set_member(company, user.id, role)?;
        crate::sync::log_member(tx, company, &user, Some(role), &crate::sync::Actor::system(), now)?;
        Ok(user.id)
    })
}

/// Writes a consistent copy of the server's database under `data_dir` to `out` (which
/// must not exist), while the server may be serving it, and its key files to `out.keys/`
/// (see [`key_backup`]).
pub fn backup(data_dir: &Path, out: &Path) -> Result<BackupSummary, AdminError> {
    key_backup::check_free(out)?;
    let mut summary = SqliteStorage::backup(data_dir, out)?;
    summary.keys = key_backup::save(data_dir, out)?;
    Ok(summary)
}

/// Puts the backup `from` in place of the server's database under `data_dir` (the server
/// stopped), with a new epoch for every company: every client downloads again. The key
/// files of `from.keys/` go back too; a different key already there is refused before
/// anything changes, unless `replace_keys` (see [`key_backup`]).
pub fn restore(data_dir: &Path, from: &Path, replace_keys: bool) -> Result<RestoreSummary, AdminError> {
    key_backup::check_restore(data_dir, from, replace_keys)?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%3f").to_string();
    Ok(SqliteStorage::restore(data_dir, from, || {
        key_backup::restore(data_dir, from, replace_keys, &stamp).map_err(|e| StorageError::Refused(e.to_string()))
    })?)
}

pub use comptoir_core::sync::{TableStats, checksum_add};

/// The pages admin commands read a log by.
const ADMIN_PAGE: PageLimit = PageLimit { count: 5_000, bytes: crate::sync::MAX_PAGE_BYTES };

/// Count and checksum per kind of record (contacts, articles, documents …).
pub fn stats(
    storage: &dyn Storage,
    company: CompanyId,
) -> Result<std::collections::BTreeMap<RecordKind, TableStats>, AdminError> {
    storage.log_state(company)?.ok_or(AdminError::UnknownCompany(company))?;
    let mut sums: std::collections::BTreeMap<RecordKind, (u64, u64)> =
        RecordKind::ALL.into_iter().map(|k| (k, (0, 0))).collect();
    let mut after = 0;
    loop {
        let page = storage.changes_after(company, after, ADMIN_PAGE)?.changes;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for change in page {
            if let (Some(body), Some(entry)) = (change.body, sums.get_mut(&change.kind)) {
                entry.0 += 1;
                entry.1 = checksum_add(entry.1, change.id, &body);
            }
        }
    }
    Ok(comptoir_core::sync::table_stats(&sums))
}

/// Why a company's audit trail does not verify.
#[derive(Debug, Error)]
pub enum AuditCheckError {
    #[error(transparent)]
    Chain(#[from] comptoir_core::audit::ChainError),
    #[error("audit record {id} cannot be read (it was altered): {reason}")]
    Unreadable { id: Uuid, reason: String },
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// Checks a company's audit chain from its first record; returns how many records
/// verified, or names the first broken one.
pub fn verify_audit(storage: &dyn Storage, company: CompanyId) -> Result<u64, AuditCheckError> {
    storage.log_state(company).map_err(AdminError::from)?.ok_or(AdminError::UnknownCompany(company))?;
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = storage.changes_after(company, after, ADMIN_PAGE).map_err(AdminError::from)?.changes;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for change in page.into_iter().filter(|c| c.kind == RecordKind::Audit) {
            let body = change.body.unwrap_or_default();
            match serde_json::from_str::<RecordBody>(&body) {
                Ok(RecordBody::Audit(record)) => records.push(record),
                Ok(_) => {
                    return Err(AuditCheckError::Unreadable { id: change.id, reason: "not an audit record".into() });
                }
                Err(e) => return Err(AuditCheckError::Unreadable { id: change.id, reason: e.to_string() }),
            }
        }
    }
    Ok(comptoir_core::audit::verify_chain(&records)?)
}
