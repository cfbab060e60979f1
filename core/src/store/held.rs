//! The server's records this copy could not apply, kept aside with the reason (see
//! migration 0016): a copy says once which record it could not apply, and goes on with
//! the rest of the log instead of asking for the same page again and again.

use rusqlite::{Connection, params};
use uuid::Uuid;

use super::replica::project;
use super::{CompanyStore, StoreError, WriteTx};
use crate::model::CompanyId;
use crate::sync::{RecordBody, RecordKind};

/// A record of the server's that this copy keeps aside: the screens do not show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRecord {
    pub kind: RecordKind,
    pub id: Uuid,
    /// Why it could not be applied: a stable code and a message naming the record.
    pub code: String,
    pub message: String,
}

impl StoreError {
    /// Whether this error is about the record being written (its content, or a rule of
    /// the file's tables it breaks) rather than about the file or the process (a full
    /// disk, a lost lock, an interrupted statement): only the former can be set aside.
    pub(crate) fn concerns_a_record(&self) -> bool {
        match self {
            Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.code, rusqlite::ErrorCode::ConstraintViolation | rusqlite::ErrorCode::TooBig)
            }
            Self::Rule(_)
            | Self::Refused { .. }
            | Self::DuplicateArticleCode { .. }
            | Self::DuplicateNumber { .. }
            | Self::AlreadyExists
            | Self::NotFound { .. }
            | Self::Corrupt { .. }
            | Self::RecordUnreadable { .. }
            | Self::Sqlite(
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::IntegralValueOutOfRange(..)
                | rusqlite::Error::InvalidColumnType(..),
            ) => true,
            _ => false,
        }
    }
}

/// Runs `f` on a savepoint of the current transaction. An error about the record `f`
/// writes undoes what `f` did and comes back as the inner error, for the caller to set
/// the record aside; any other error is returned as is, for the whole transaction.
pub(crate) fn on_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, StoreError>,
) -> Result<Result<T, StoreError>, StoreError> {
    conn.execute_batch("SAVEPOINT record")?;
    match f() {
        Ok(value) => {
            conn.execute_batch("RELEASE record")?;
            Ok(Ok(value))
        }
        Err(e) if e.concerns_a_record() => {
            conn.execute_batch("ROLLBACK TO record; RELEASE record")?;
            Ok(Err(e))
        }
        Err(e) => Err(e),
    }
}

/// Whether any record is kept aside.
pub(crate) fn any_held(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM held_record)")?.query_row([], |r| r.get(0))?)
}

/// Keeps the server's record (`body`: its JSON, `None` for a deletion) aside with the
/// reason it could not be applied. Returns what the copy tells the user.
pub(crate) fn hold(
    conn: &Connection,
    kind: RecordKind,
    id: Uuid,
    seq: u64,
    body: Option<&str>,
    code: &str,
    reason: &str,
) -> Result<HeldRecord, StoreError> {
    let message = format!("The server's {} {id} could not be applied here: {reason}", kind.as_str());
    tracing::warn!(kind = kind.as_str(), %id, code, reason, "a record of the server is kept aside");
    conn.prepare_cached(
        "INSERT INTO held_record (kind, id, seq, body, code, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body, code = excluded.code,
                                              message = excluded.message",
    )?
    .execute(params![kind.as_str(), id, i64::try_from(seq).unwrap_or(i64::MAX), body, code, message])?;
    Ok(HeldRecord { kind, id, code: code.to_owned(), message })
}

/// The record no longer needs keeping aside (a newer version of it was applied).
pub(crate) fn release(conn: &Connection, kind: RecordKind, id: Uuid) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM held_record WHERE kind = ?1 AND id = ?2")?.execute(params![kind.as_str(), id])?;
    Ok(())
}

/// Tries every record kept aside again, each on its own savepoint; those that apply now
/// leave the list. Failing again is not news: nothing is reported.
pub(crate) fn retry_held(tx: &WriteTx<'_>, company: CompanyId) -> Result<u64, StoreError> {
    let conn = tx.connection();
    let held: Vec<(String, Uuid, Option<String>)> = conn
        .prepare("SELECT kind, id, body FROM held_record ORDER BY seq")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut applied = 0;
    for (kind, id, body) in held {
        let Some(kind) = RecordKind::parse(&kind) else { continue };
        let written = on_savepoint(conn, || {
            let body = parse_body(id, body.as_deref())?;
            project(tx, company, kind, id, body.as_ref())
        })?;
        if written.is_ok() {
            release(conn, kind, id)?;
            applied += 1;
        }
    }
    Ok(applied)
}

/// A record's JSON as the typed record; an error names the record.
pub(crate) fn parse_body(id: Uuid, body: Option<&str>) -> Result<Option<RecordBody>, StoreError> {
    body.map(|json| {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
            column: "replica.body",
            value: id.to_string(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

impl CompanyStore {
    /// The server's records this copy keeps aside, oldest first.
    pub fn held_records(&self) -> Result<Vec<HeldRecord>, StoreError> {
        let mut stmt = self.connection().prepare("SELECT kind, id, code, message FROM held_record ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Uuid>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        rows.map(|row| {
            let (kind, id, code, message) = row?;
            let kind = RecordKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                column: "held_record.kind",
                value: kind.clone(),
                reason: "unknown kind".into(),
            })?;
            Ok(HeldRecord { kind, id, code, message })
        })
        .collect()
    }
}
