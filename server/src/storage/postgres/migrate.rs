//! The PostgreSQL schema's versions: migration N is `migrations/000N_*.sql`, run once, in
//! one transaction with the row that records it. Instances starting together take an
//! advisory lock first, so one migrates and the others find it done.

use super::pool::Conn;
use crate::storage::StorageError;

/// The migrations, in order; their number is their place in this list (a migration
/// written is never changed: a change is a new one).
const MIGRATIONS: [&str; LATEST_VERSION as usize] = [
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_refs_as_json.sql"),
    include_str!("migrations/0003_records_by_kind.sql"),
];

/// The latest schema version this server writes.
pub const LATEST_VERSION: i32 = 3;

/// The advisory lock's key: "comptoir" in ASCII, as one number.
const LOCK: i64 = 0x636f_6d70_746f_6972;

/// Brings the database's schema to [`LATEST_VERSION`].
///
/// # Errors
///
/// A migration fails (nothing of it stays), or the database is newer than this server.
pub(super) fn migrate(conn: &Conn) -> Result<(), StorageError> {
    conn.batch_execute("BEGIN")?;
    let migrated = migrate_in(conn);
    conn.batch_execute(if migrated.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    migrated
}

fn migrate_in(tx: &Conn) -> Result<(), StorageError> {
    tx.batch_execute("SET LOCAL client_min_messages = warning")?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer     PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?
        .try_get(0)
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    if current > LATEST_VERSION {
        return Err(StorageError::Refused(format!(
            "the database's schema is at version {current}, newer than this server's ({LATEST_VERSION}): \
             run a newer comptoir-server"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version])?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}
