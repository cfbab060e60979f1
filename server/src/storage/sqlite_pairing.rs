//! The SQLite queries of pairing: invitations, spent once whatever races, and the
//! devices paired with their sessions.

use chrono::{DateTime, Utc};
use comptoir_core::model::{CompanyId, UserId};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use super::sqlite::{backend, parse_time, time_text};
use super::{DeviceRecord, InvitationRecord, SessionRecord, Spent, StorageError};
use crate::server_key::ServerKey;

/// What a sealed code is bound to: its invitation.
fn context(invitation: Uuid) -> Vec<u8> {
    let mut context = b"comptoir pairing code ".to_vec();
    context.extend_from_slice(invitation.as_bytes());
    context
}

pub(super) fn create_invitation(
    conn: &mut Connection,
    key: &ServerKey,
    invitation: &InvitationRecord,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let sealed = key.seal(&invitation.code, &context(invitation.id)).map_err(backend)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Spent and expired invitations are kept a day (a late claim is told why it is
    // refused), then swept.
    tx.execute("DELETE FROM invitations WHERE expires_at < ?1", [time_text(now - chrono::Duration::days(1))])?;
    let taken: bool = tx.query_row(
        "SELECT count(*) > 0 FROM invitations WHERE code_handle = ?1 AND spent_at IS NULL AND expires_at > ?2",
        params![invitation.code_handle, time_text(now)],
        |r| r.get(0),
    )?;
    if taken {
        return Ok(false);
    }
    // An expired invitation of the same handle no longer answers to it.
    tx.execute(
        "UPDATE invitations SET spent_at = ?2, code = NULL WHERE code_handle = ?1 AND spent_at IS NULL",
        params![invitation.code_handle, time_text(now)],
    )?;
    tx.execute(
        "INSERT INTO invitations (id, company_id, user_id, secret_hash, code_handle, code, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            invitation.id,
            invitation.company_id.0,
            invitation.user_id.0,
            invitation.secret_hash,
            invitation.code_handle,
            sealed,
            time_text(invitation.created_at),
            time_text(invitation.expires_at)
        ],
    )?;
    tx.commit()?;
    Ok(true)
}

/// Spends the invitation `column` = `value` picks (unspent ones only when `unspent_only`).
fn spend(
    conn: &mut Connection,
    key: &ServerKey,
    column: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<Spent, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let unspent = if column == "code_handle" { " AND spent_at IS NULL" } else { "" };
    let row = tx
        .query_row(
            &format!(
                "SELECT id, company_id, user_id, secret_hash, code_handle, code, created_at, expires_at, spent_at
                 FROM invitations WHERE {column} = ?1{unspent}"
            ),
            [value],
            |r| Ok((invitation_of(r)?, r.get::<_, Option<String>>(8)?)),
        )
        .optional()?;
    let Some(((invitation, sealed), spent_at)) = row else { return Ok(Spent::Unknown) };
    if spent_at.is_some() {
        return Ok(Spent::Used);
    }
    tx.execute(
        "UPDATE invitations SET spent_at = ?2, code = NULL WHERE id = ?1",
        params![invitation.id, time_text(now)],
    )?;
    tx.commit()?;
    let expires_at = parse_time(&invitation.expires_at)?;
    if expires_at <= now {
        return Ok(Spent::Expired);
    }
    let code = match sealed {
        Some(sealed) => key
            .open(&sealed, &context(invitation.id))
            .map_err(|e| StorageError::Corrupt(format!("pairing code of invitation {}: {e}", invitation.id)))?,
        None => return Ok(Spent::Used),
    };
    Ok(Spent::Live(InvitationRecord {
        id: invitation.id,
        company_id: CompanyId(invitation.company_id),
        user_id: UserId(invitation.user_id),
        secret_hash: invitation.secret_hash,
        code_handle: invitation.code_handle,
        code,
        created_at: parse_time(&invitation.created_at)?,
        expires_at,
    }))
}

/// An invitation's row as read, before its times and code are checked.
struct Row8 {
    id: Uuid,
    company_id: Uuid,
    user_id: Uuid,
    secret_hash: String,
    code_handle: String,
    created_at: String,
    expires_at: String,
}

fn invitation_of(r: &Row<'_>) -> rusqlite::Result<(Row8, Option<String>)> {
    Ok((
        Row8 {
            id: r.get(0)?,
            company_id: r.get(1)?,
            user_id: r.get(2)?,
            secret_hash: r.get(3)?,
            code_handle: r.get(4)?,
            created_at: r.get(6)?,
            expires_at: r.get(7)?,
        },
        r.get(5)?,
    ))
}

pub(super) fn spend_by_secret(
    conn: &mut Connection,
    key: &ServerKey,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Spent, StorageError> {
    spend(conn, key, "secret_hash", hash, now)
}

pub(super) fn spend_by_handle(
    conn: &mut Connection,
    key: &ServerKey,
    handle: &str,
    now: DateTime<Utc>,
) -> Result<Spent, StorageError> {
    spend(conn, key, "code_handle", handle, now)
}

pub(super) fn add_device(
    conn: &mut Connection,
    device: &DeviceRecord,
    session: &SessionRecord,
) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO sessions (id, user_id, refresh_hash, refresh_expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![session.id, session.user_id.0, session.refresh_hash, time_text(session.refresh_expires_at)],
    )?;
    tx.execute(
        "INSERT INTO devices (id, company_id, user_id, session_id, name, paired_at, secret_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            device.id,
            device.company_id.0,
            device.user_id.0,
            device.session_id,
            device.name,
            time_text(device.paired_at),
            device.secret_hash
        ],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn devices(conn: &Connection, company: CompanyId) -> Result<Vec<DeviceRecord>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT id, user_id, session_id, name, paired_at, last_seen_at, revoked_at, secret_hash
         FROM devices WHERE company_id = ?1 ORDER BY paired_at, id",
    )?;
    let rows = stmt.query_map([company.0], |r| {
        Ok((
            r.get::<_, Uuid>(0)?,
            r.get::<_, Uuid>(1)?,
            r.get::<_, Uuid>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let optional = |value: Option<String>| value.as_deref().map(parse_time).transpose();
    rows.map(|row| {
        let (id, user, session_id, name, paired_at, last_seen_at, revoked_at, secret_hash) = row?;
        Ok(DeviceRecord {
            id,
            company_id: company,
            user_id: UserId(user),
            session_id,
            name,
            paired_at: parse_time(&paired_at)?,
            last_seen_at: optional(last_seen_at)?,
            revoked_at: optional(revoked_at)?,
            secret_hash,
        })
    })
    .collect()
}

pub(super) fn resume_device(
    conn: &mut Connection,
    device: Uuid,
    secret_hash: &str,
    session: &SessionRecord,
) -> Result<Option<DeviceRecord>, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: Option<(Uuid, Uuid, Uuid)> = tx
        .query_row(
            "SELECT company_id, session_id, user_id FROM devices
             WHERE id = ?1 AND secret_hash = ?2 AND revoked_at IS NULL",
            params![device, secret_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((company, old_session, user)) = found else { return Ok(None) };
    tx.execute("UPDATE sessions SET revoked = 1 WHERE id = ?1", [old_session])?;
    tx.execute("DELETE FROM access_tokens WHERE session_id = ?1", [old_session])?;
    // The session is the device's member's, whoever the caller guessed.
    tx.execute(
        "INSERT INTO sessions (id, user_id, refresh_hash, refresh_expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![session.id, user, session.refresh_hash, time_text(session.refresh_expires_at)],
    )?;
    tx.execute("UPDATE devices SET session_id = ?2 WHERE id = ?1", params![device, session.id])?;
    tx.commit()?;
    Ok(devices(conn, CompanyId(company))?.into_iter().find(|d| d.id == device))
}

pub(super) fn revoke_device(
    conn: &mut Connection,
    company: CompanyId,
    device: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let session: Option<Uuid> = tx
        .query_row(
            "UPDATE devices SET revoked_at = ?3 WHERE id = ?1 AND company_id = ?2 AND revoked_at IS NULL
             RETURNING session_id",
            params![device, company.0, time_text(now)],
            |r| r.get(0),
        )
        .optional()?;
    let Some(session) = session else { return Ok(false) };
    tx.execute("UPDATE sessions SET revoked = 1 WHERE id = ?1", [session])?;
    tx.execute("DELETE FROM access_tokens WHERE session_id = ?1", [session])?;
    tx.commit()?;
    Ok(true)
}

pub(super) fn device_seen(conn: &Connection, session: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE devices SET last_seen_at = ?2 WHERE session_id = ?1 AND revoked_at IS NULL",
        params![session, time_text(now)],
    )?;
    Ok(())
}
