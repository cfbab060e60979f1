//! The SQLite queries that change an account's credentials: failed sign-ins, the
//! password, two-factor. Each touches only its own columns and checks, in the same
//! statement or transaction, the state it relies on; none writes back a whole account
//! read earlier, so requests racing on one account never undo each other's writes.
//!
//! Two-factor secrets are sealed with the server key before they are written, and opened
//! as they are read ([`seal_secret`], [`open_secret`]); secrets written in clear by
//! earlier versions are sealed when the storage opens ([`seal_plain_totp_secrets`]).

use chrono::{DateTime, Utc};
use comptoir_core::model::UserId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use super::sqlite::{backend, parse_time, time_text};
use super::{FailedLogins, StorageError};
use crate::auth::AuthPolicy;
use crate::server_key::ServerKey;

/// What a sealed two-factor secret is bound to: its account.
fn context(user: UserId) -> Vec<u8> {
    let mut context = b"comptoir totp secret ".to_vec();
    context.extend_from_slice(user.0.as_bytes());
    context
}

pub(super) fn seal_secret(key: &ServerKey, user: UserId, secret: &str) -> Result<String, StorageError> {
    key.seal(secret, &context(user)).map_err(backend)
}

pub(super) fn open_secret(key: &ServerKey, user: UserId, stored: &str) -> Result<String, StorageError> {
    if !ServerKey::is_sealed(stored) {
        // Written in clear behind the server's back (an old backup restored while it
        // ran): usable, and sealed at the next start.
        tracing::warn!(%user, "a two-factor secret is stored in clear; it is sealed at the next start");
        return Ok(stored.to_owned());
    }
    key.open(stored, &context(user)).map_err(|e| StorageError::Corrupt(format!("two-factor secret of {user}: {e}")))
}

/// Seals the two-factor secrets stored in clear (by versions before sealing), in one
/// transaction, and says once, at start, when sealed ones do not open with this key (a
/// database restored without the `server.key` that was beside it).
pub(super) fn seal_plain_totp_secrets(conn: &mut Connection, key: &ServerKey) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stored: Vec<(Uuid, String)> = {
        let mut stmt = tx.prepare("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let (mut sealed, mut unreadable) = (0_usize, 0_usize);
    for (id, secret) in &stored {
        let user = UserId(*id);
        if !ServerKey::is_sealed(secret) {
            let sealed_secret = seal_secret(key, user, secret)?;
            tx.execute("UPDATE users SET totp_secret = ?2 WHERE id = ?1", params![id, sealed_secret])?;
            sealed += 1;
        } else if key.open(secret, &context(user)).is_err() {
            unreadable += 1;
        }
    }
    tx.commit()?;
    if sealed > 0 {
        tracing::info!(accounts = sealed, "two-factor secrets stored in clear were sealed with the server key");
    }
    if unreadable > 0 {
        tracing::error!(
            accounts = unreadable,
            "two-factor secrets do not open with this server.key: put back the server.key that was beside \
             this database, or these accounts cannot sign in until two-factor is set up again"
        );
    }
    Ok(())
}

pub(super) fn count_failed_login(
    conn: &mut Connection,
    user: UserId,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<FailedLogins, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (count, until): (u32, Option<String>) = tx
        .query_row(
            "UPDATE users SET failed_logins = CASE
                 WHEN failed_logins >= ?2 AND (locked_until IS NULL OR locked_until <= ?3) THEN 1
                 ELSE failed_logins + 1
             END
             WHERE id = ?1
             RETURNING failed_logins, locked_until",
            params![user.0, policy.lock_after, time_text(now)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StorageError::NotFound("user"))?;
    let standing = until.as_deref().map(parse_time).transpose()?.filter(|until| *until > now);
    let wanted = policy.wait_after(count).map(|(wait, _)| now + wait);
    let locked_until = match (standing, wanted) {
        (Some(standing), Some(wanted)) if standing >= wanted => Some(standing),
        (_, Some(wanted)) => {
            tx.execute("UPDATE users SET locked_until = ?2 WHERE id = ?1", params![user.0, time_text(wanted)])?;
            Some(wanted)
        }
        (standing, None) => standing,
    };
    tx.commit()?;
    Ok(FailedLogins { count, locked_until })
}

pub(super) fn clear_failed_logins(
    conn: &Connection,
    user: UserId,
    lock_after: u32,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let changed = conn.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL
         WHERE id = ?1 AND NOT (failed_logins >= ?2 AND locked_until IS NOT NULL AND locked_until > ?3)",
        params![user.0, lock_after, time_text(now)],
    )?;
    Ok(changed > 0)
}

pub(super) fn change_password(
    conn: &mut Connection,
    user: UserId,
    current_hash: &str,
    new_hash: &str,
    keep: Option<Uuid>,
) -> Result<bool, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE users SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2",
        params![user.0, current_hash, new_hash],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    tx.execute(
        "DELETE FROM access_tokens WHERE session_id IN
            (SELECT id FROM sessions WHERE user_id = ?1 AND id IS NOT ?2)",
        params![user.0, keep],
    )?;
    tx.execute("UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND id IS NOT ?2", params![user.0, keep])?;
    tx.commit()?;
    Ok(true)
}

pub(super) fn set_totp_secret(conn: &Connection, user: UserId, sealed: &str) -> Result<bool, StorageError> {
    let changed = conn.execute(
        "UPDATE users SET totp_secret = ?2, totp_last_step = NULL WHERE id = ?1 AND totp_enabled = 0",
        params![user.0, sealed],
    )?;
    Ok(changed > 0)
}

pub(super) fn enable_totp(
    conn: &mut Connection,
    key: &ServerKey,
    user: UserId,
    secret: &str,
    step: Option<u64>,
) -> Result<bool, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stored: Option<(Option<String>, bool)> = tx
        .query_row("SELECT totp_secret, totp_enabled FROM users WHERE id = ?1", [user.0], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((Some(sealed), false)) = stored else { return Ok(false) };
    if open_secret(key, user, &sealed)? != secret {
        return Ok(false);
    }
    tx.execute(
        "UPDATE users SET totp_enabled = 1, totp_last_step = ?2 WHERE id = ?1",
        params![user.0, step.and_then(|s| i64::try_from(s).ok())],
    )?;
    tx.commit()?;
    Ok(true)
}

pub(super) fn disable_totp(conn: &Connection, user: UserId) -> Result<bool, StorageError> {
    let changed = conn.execute(
        "UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL
         WHERE id = ?1 AND totp_enabled = 1",
        [user.0],
    )?;
    Ok(changed > 0)
}

pub(super) fn use_totp_step(conn: &Connection, user: UserId, step: u64) -> Result<bool, StorageError> {
    let step = i64::try_from(step).map_err(|_| StorageError::Corrupt(format!("time step {step}")))?;
    let changed = conn.execute(
        "UPDATE users SET totp_last_step = ?2
         WHERE id = ?1 AND totp_enabled = 1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
        params![user.0, step],
    )?;
    Ok(changed > 0)
}
