//! The schema of `server.sqlite`, versioned like the clients' files: the SQL files under
//! `migrations/`, applied in order on `PRAGMA user_version` by the clients' migrator
//! ([`comptoir_core::store::migrate`]), each in its own transaction, with a copy of the
//! database written beside it before an existing one is upgraded.
//!
//! A database created before the schema was versioned (`user_version` 0, its tables
//! there) is recognised: migration 1 is that schema, written so that it changes nothing
//! in such a database, which then reads version 1. A new schema change is a new file
//! here, never an edit of an applied one.

use std::path::Path;

use comptoir_core::store::StoreError;
use comptoir_core::store::migrate::{self, Migration};
use rusqlite::Connection;

use crate::storage::StorageError;

/// `PRAGMA application_id` of the server's database ("CMPS").
pub const SERVER_APPLICATION_ID: i32 = 0x434D_5053;

const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("migrations/0001_initial.sql") },
    Migration { version: 2, sql: include_str!("migrations/0002_record_refs.sql") },
    Migration { version: 3, sql: include_str!("migrations/0003_mutation_digests.sql") },
    Migration { version: 4, sql: include_str!("migrations/0004_posting_parts.sql") },
    Migration { version: 5, sql: include_str!("migrations/0005_pairing.sql") },
    Migration { version: 6, sql: include_str!("migrations/0006_company_moves.sql") },
    Migration { version: 7, sql: include_str!("migrations/0007_device_secrets.sql") },
    Migration { version: 8, sql: include_str!("migrations/0008_records_by_kind.sql") },
];

/// The version the schema has after [`migrate`].
pub const LATEST_VERSION: u32 = 8;

#[allow(clippy::needless_pass_by_value, reason = "the shape `map_err` calls")]
fn store_error(e: StoreError) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// Brings the database at `path` to the latest schema. Refuses a file of another
/// application, and one written by a newer server.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StorageError> {
    let application: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if application != 0 && application != SERVER_APPLICATION_ID {
        return Err(StorageError::Corrupt(format!("{} is not a Comptoir server database", path.display())));
    }
    let version = migrate::schema_version(conn).map_err(store_error)?;
    if version == 0 && has_tables(conn)? {
        // Written by a server of before the versions: kept aside, as any upgrade.
        tracing::info!(path = %path.display(), "an unversioned server database: recognised as version 1");
        migrate::backup_copy(conn, path, 0).map_err(store_error)?;
    }
    migrate::migrate(conn, path, MIGRATIONS, SERVER_APPLICATION_ID, None).map_err(store_error)?;
    Ok(())
}

/// Whether the database holds any table (an empty file has none).
fn has_tables(conn: &Connection) -> Result<bool, StorageError> {
    Ok(conn.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::{LATEST_VERSION, MIGRATIONS};

    #[test]
    fn the_latest_version_is_the_last_migration() {
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST_VERSION));
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(migration.version).ok(), Some(i + 1), "versions follow each other");
        }
    }
}
