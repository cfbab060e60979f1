//! A company read whole, written back whole, moved away and back, on SQLite: what
//! [`crate::company_archive`] builds on to move a company between a Comptoir server and
//! one computer of a local network.
//!
//! The export reads on a connection of its own, in one read transaction: WAL mode gives
//! it a snapshot, and the serving connection (and every other company's requests) goes
//! on meanwhile.

use std::path::Path;

use comptoir_core::model::CompanyId;
use comptoir_core::sync::RecordKind;
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use uuid::Uuid;

use super::{parse_time, seq_value, time_text};
use crate::storage::{CompanyRecord, ExportItem, LogState, MoveRecord, StorageError, StoredChange, StoredOutcome};

pub(super) fn moved(conn: &Connection, company: CompanyId) -> Result<Option<MoveRecord>, StorageError> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT moved_at, moved_to FROM company_moves WHERE company_id = ?1")?
        .query_row([company.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(at, to)| Ok(MoveRecord { moved_at: parse_time(&at)?, moved_to: to })).transpose()
}

pub(super) fn set_moved(
    tx: &Transaction<'_>,
    company: CompanyId,
    moved: Option<&MoveRecord>,
) -> Result<(), StorageError> {
    match moved {
        Some(moved) => tx.execute(
            "INSERT INTO company_moves (company_id, moved_at, moved_to) VALUES (?1, ?2, ?3)
             ON CONFLICT (company_id) DO UPDATE SET moved_at = excluded.moved_at, moved_to = excluded.moved_to",
            params![company.0, time_text(moved.moved_at), moved.moved_to],
        )?,
        None => tx.execute("DELETE FROM company_moves WHERE company_id = ?1", [company.0])?,
    };
    Ok(())
}

pub(super) fn import(tx: &Transaction<'_>, company: &CompanyRecord, state: &LogState) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO companies (id, name, country, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![company.id.0, company.name, company.country, time_text(company.created_at)],
    )?;
    tx.execute(
        "INSERT INTO logs (company_id, epoch, seq, audit_seq, audit_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![company.id.0, state.epoch, seq_value(state.seq)?, seq_value(state.audit_seq)?, state.audit_hash],
    )?;
    Ok(())
}

pub(super) fn delete(tx: &Transaction<'_>, company: CompanyId) -> Result<(), StorageError> {
    for table in crate::storage::COMPANY_TABLES {
        tx.execute(&format!("DELETE FROM {table} WHERE company_id = ?1"), [company.0])?;
    }
    let removed = tx.execute("DELETE FROM companies WHERE id = ?1", [company.0])?;
    if removed == 0 { Err(StorageError::NotFound("company")) } else { Ok(()) }
}

pub(super) fn restore_record(
    tx: &Transaction<'_>,
    company: CompanyId,
    kind: RecordKind,
    id: Uuid,
    seq: u64,
    body: Option<&str>,
) -> Result<(), StorageError> {
    tx.prepare_cached("INSERT INTO records (company_id, kind, id, seq, body) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![company.0, kind.as_str(), id, seq_value(seq)?, body])?;
    Ok(())
}

pub(super) fn restore_outcome(
    tx: &Transaction<'_>,
    company: CompanyId,
    client: Uuid,
    mutation: u64,
    stored: &StoredOutcome,
) -> Result<(), StorageError> {
    tx.prepare_cached(
        "INSERT INTO mutations (company_id, client_id, mutation_id, digest, outcome) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![company.0, client, seq_value(mutation)?, stored.digest, stored.outcome])?;
    Ok(())
}

/// Reads `company` whole from the database at `path`, on a read-only connection of its
/// own, in one read transaction.
pub(super) fn export(
    path: &Path,
    company: CompanyId,
    sink: &mut dyn FnMut(ExportItem) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let mut conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
    let record = super::unit_of_work::company(&tx, company)?.ok_or(StorageError::NotFound("company"))?;
    let state = super::log_state(&tx, company)?.ok_or(StorageError::NotFound("company"))?;
    sink(ExportItem::Company(record, state))?;
    for member in super::unit_of_work::members(&tx, company)? {
        sink(ExportItem::Member(member))?;
    }
    {
        let mut stmt =
            tx.prepare("SELECT seq, kind, id, body FROM records WHERE company_id = ?1 ORDER BY seq, kind")?;
        let mut rows = stmt.query([company.0])?;
        while let Some(row) = rows.next()? {
            let kind: String = row.get(1)?;
            let kind =
                RecordKind::parse(&kind).ok_or_else(|| StorageError::Corrupt(format!("record kind “{kind}”")))?;
            let seq = u64::try_from(row.get::<_, i64>(0)?).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            sink(ExportItem::Record(StoredChange { seq, kind, id: row.get(2)?, body: row.get(3)? }))?;
        }
    }
    {
        let mut stmt = tx.prepare(
            "SELECT client_id, mutation_id, digest, outcome FROM mutations WHERE company_id = ?1
             ORDER BY client_id, mutation_id",
        )?;
        let mut rows = stmt.query([company.0])?;
        while let Some(row) = rows.next()? {
            let mutation = u64::try_from(row.get::<_, i64>(1)?).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let stored = StoredOutcome { digest: row.get(2)?, outcome: row.get(3)? };
            sink(ExportItem::Outcome { client: row.get(0)?, mutation, stored })?;
        }
    }
    {
        let mut stmt =
            tx.prepare("SELECT namespace, key, owner FROM unique_keys WHERE company_id = ?1 ORDER BY namespace, key")?;
        let mut rows = stmt.query([company.0])?;
        while let Some(row) = rows.next()? {
            sink(ExportItem::Key { namespace: row.get(0)?, key: row.get(1)?, owner: row.get(2)? })?;
        }
    }
    Ok(())
}
