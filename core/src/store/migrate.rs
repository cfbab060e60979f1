//! A small migrator on `PRAGMA user_version`: migration N brings a file from version
//! N−1 to N, inside one transaction. Before an existing file is migrated, a consistent
//! copy of it is written beside it (`VACUUM INTO`). The sync server versions its own
//! database with it too.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// One step of a schema: the SQL that brings a file from `version - 1` to `version`.
#[derive(Debug)]
pub struct Migration {
    pub version: u32,
    pub sql: &'static str,
}

/// The schema version this version of Comptoir gives a company file.
pub const COMPANY_SCHEMA_VERSION: u32 = match COMPANY_MIGRATIONS.last() {
    Some(last) => last.version,
    None => 0,
};

pub(crate) const COMPANY_MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("migrations/company/0001_initial.sql") },
    Migration { version: 2, sql: include_str!("migrations/company/0002_search.sql") },
    Migration { version: 3, sql: include_str!("migrations/company/0003_replica.sql") },
    Migration { version: 4, sql: include_str!("migrations/company/0004_outbox.sql") },
    Migration { version: 5, sql: include_str!("migrations/company/0005_shadow.sql") },
    Migration { version: 6, sql: include_str!("migrations/company/0006_deferred_indexes.sql") },
    Migration { version: 7, sql: include_str!("migrations/company/0007_audit_trail.sql") },
    Migration { version: 8, sql: include_str!("migrations/company/0008_audit_by_user.sql") },
    Migration { version: 9, sql: include_str!("migrations/company/0009_ledger.sql") },
    Migration { version: 10, sql: include_str!("migrations/company/0010_vat_categories.sql") },
    Migration { version: 11, sql: include_str!("migrations/company/0011_contact_language.sql") },
    Migration { version: 12, sql: include_str!("migrations/company/0012_company_mentions.sql") },
    Migration { version: 13, sql: include_str!("migrations/company/0013_document_references.sql") },
    Migration { version: 14, sql: include_str!("migrations/company/0014_contact_search_prefixes.sql") },
    Migration { version: 15, sql: include_str!("migrations/company/0015_section_lines.sql") },
    Migration { version: 16, sql: include_str!("migrations/company/0016_reference_indexes.sql") },
    Migration { version: 17, sql: include_str!("migrations/company/0017_audit_head.sql") },
    Migration { version: 18, sql: include_str!("migrations/company/0018_held_records.sql") },
    Migration { version: 19, sql: include_str!("migrations/company/0019_outbox_author.sql") },
    Migration { version: 20, sql: include_str!("migrations/company/0020_mail_outbox.sql") },
    Migration { version: 21, sql: include_str!("migrations/company/0021_contact_peppol_id.sql") },
    Migration { version: 22, sql: include_str!("migrations/company/0022_mail_template.sql") },
    Migration { version: 23, sql: include_str!("migrations/company/0023_early_payment_discount.sql") },
    Migration { version: 24, sql: include_str!("migrations/company/0024_outbox_kept_applied.sql") },
    Migration { version: 25, sql: include_str!("migrations/company/0025_snapshot.sql") },
    Migration { version: 26, sql: include_str!("migrations/company/0026_checks_without_lists.sql") },
];

pub(crate) const APP_MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("migrations/app/0001_initial.sql") },
    Migration { version: 2, sql: include_str!("migrations/app/0002_kept_copies.sql") },
    Migration { version: 3, sql: include_str!("migrations/app/0003_kept_renumbered.sql") },
];

/// What [`migrate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: u32,
    pub to_version: u32,
    /// The copy taken before migrating, when the file already held data.
    pub backup: Option<PathBuf>,
}

/// The schema version of the file `conn` is open on (0: never migrated).
pub fn schema_version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings `conn` (the file at `path`) to the latest version of `migrations`, or to
/// `target` when given (tests use it to make old files).
pub fn migrate(
    conn: &mut Connection,
    path: &Path,
    migrations: &[Migration],
    application_id: i32,
    target: Option<u32>,
) -> Result<MigrationReport, StoreError> {
    let latest = migrations.last().map_or(0, |m| m.version);
    let target = target.unwrap_or(latest).min(latest);
    let from_version = schema_version(conn)?;
    if from_version > latest {
        return Err(StoreError::NewerSchema { path: path.to_path_buf(), found: from_version, supported: latest });
    }
    let mut backup = None;
    if from_version > 0 && from_version < target {
        backup = Some(backup_copy(conn, path, from_version)?);
    }
    for migration in migrations.iter().filter(|m| m.version > from_version && m.version <= target) {
        let failed = |source| StoreError::Migration { version: migration.version, source };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", migration.version).map_err(failed)?;
        tx.pragma_update(None, "application_id", application_id).map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(path = %path.display(), version = migration.version, "migrated");
    }
    Ok(MigrationReport { from_version, to_version: target.max(from_version), backup })
}

/// Writes a consistent copy of the database next to it:
/// `name.v1-20261124T153000.backup`.
pub fn backup_copy(conn: &Connection, path: &Path, version: u32) -> Result<PathBuf, StoreError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3f");
    let name = path.file_name().map_or_else(|| "comptoir".into(), |n| n.to_string_lossy().into_owned());
    let backup = path.with_file_name(format!("{name}.v{version}-{stamp}.backup"));
    conn.execute("VACUUM INTO ?1", [backup.to_string_lossy()])
        .map_err(|source| StoreError::Backup { path: path.to_path_buf(), source })?;
    tracing::info!(from = %path.display(), to = %backup.display(), "backup written");
    Ok(backup)
}
