//! The PostgreSQL storage, for deployments that outgrow one machine: one shared schema
//! keyed by company id, several stateless server instances on one database.
//!
//! - The schema is versioned by [`migrate`], run at start under an advisory lock, so
//!   instances starting together migrate once.
//! - A company transaction starts by locking its log row (`SELECT … FOR UPDATE` at READ
//!   COMMITTED): seqs and document numbers are allocated one transaction at a time, with no
//!   gap, and commit in their order, so a puller reading after seq N never skips one.
//! - Records' JSON is text, kept byte for byte (checksums are taken over it).
//! - Rules that span rows lock what they read: the company row for the last-owner rule,
//!   the session row for a refresh token's rotation, the invitation for its one use.
//! - A transaction failing on a serialization failure or a deadlock is run again, a few
//!   times ([`RETRIES`]); its work closure starts from scratch each time.
//!
//! Connections come from a small pool ([`pool`]); every method runs on the caller's
//! thread, which for the API is one of the runtime's blocking threads.

mod company_tx;
mod migrate;
mod pool;

use std::collections::BTreeMap;
use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use comptoir_core::model::{CompanyId, Role, UserId};
use comptoir_core::sync::RecordKind;
use pool::Conn;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use super::{
    AccessGrant, CompanyRecord, CompanyTx, DeviceRecord, ExportItem, FailedLogins, InvitationRecord, LogState,
    MemberRecord, MoveRecord, PageLimit, Rotation, SessionRecord, Spent, Storage, StorageError, StorageTx,
    StoredChange, StoredPage, UserRecord,
};
use crate::auth::AuthPolicy;
use crate::server_key::ServerKey;

/// How many times a transaction that lost a serialization conflict or a deadlock is run
/// again before the request fails (with a "try again" error).
pub const RETRIES: u32 = 5;
/// Connections per server instance when the address does not say (`pool_size=N`).
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The PostgreSQL storage.
#[derive(Debug)]
pub struct PostgresStorage {
    pool: pool::Pool,
    /// Seals two-factor secrets and pairing codes: every instance must have the same.
    key: ServerKey,
}

fn backend(error: &tokio_postgres::Error) -> StorageError {
    match error.as_db_error() {
        Some(db) => StorageError::Backend(format!("{}: {}", db.code().code(), db.message())),
        None => StorageError::Backend(error.to_string()),
    }
}

/// A failure of one attempt: retried when the database says the transaction conflicted.
fn classify(error: &tokio_postgres::Error) -> StorageError {
    match error.code() {
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED => {
            StorageError::Conflict(error.to_string())
        }
        // "invalid byte sequence for encoding UTF8: 0x00": a NUL in a text parameter.
        Some(code) if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE => StorageError::UnstorableText,
        _ => backend(error),
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(error: tokio_postgres::Error) -> Self {
        classify(&error)
    }
}

fn column<T: for<'a> tokio_postgres::types::FromSql<'a>>(row: &Row, index: usize) -> Result<T, StorageError> {
    row.try_get(index).map_err(|e| StorageError::Corrupt(format!("column {index}: {e}")))
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn seq_value(seq: u64) -> Result<i64, StorageError> {
    i64::try_from(seq).map_err(|_| StorageError::Backend(format!("seq {seq} out of range")))
}

fn parse_role(value: &str) -> Result<Role, StorageError> {
    Role::parse(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user@host/db`, or key=value pairs;
    /// `pool_size=N` sets the pool, 16 by default), bringing its schema to the latest
    /// version; two-factor secrets are sealed with `key`.
    ///
    /// # Errors
    ///
    /// The address is malformed, the database unreachable, or its schema newer than this
    /// server's.
    pub fn connect(url: &str, key: ServerKey) -> Result<Self, StorageError> {
        let (url, size) = split_pool_size(url)?;
        let config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| StorageError::Refused(format!("the database address is not understood: {e}")))?;
        let pool = pool::Pool::new(config, size)?;
        migrate::migrate(pool.get()?.conn()?)?;
        Ok(Self { pool, key })
    }

    /// Runs `attempt` in a transaction (`begin` opens it), again when it conflicted.
    fn run<T>(
        &self,
        begin: &str,
        attempt: &mut dyn FnMut(&Conn) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let pooled = self.pool.get()?;
        let conn = pooled.conn()?;
        let mut tries = 0;
        loop {
            conn.batch_execute(begin)?;
            let outcome = attempt(conn).and_then(|value| conn.batch_execute("COMMIT").map(|()| value));
            if outcome.is_err() {
                // Whatever failed, the connection leaves the transaction before it is used
                // again (a broken connection is dropped by the pool).
                let _ = conn.batch_execute("ROLLBACK");
            }
            match outcome {
                Err(StorageError::Conflict(reason)) if tries < RETRIES => {
                    tries += 1;
                    tracing::debug!(tries, %reason, "a transaction conflicted; running it again");
                    std::thread::sleep(std::time::Duration::from_millis(5 << tries));
                }
                other => return other,
            }
        }
    }

    /// A transaction at READ COMMITTED (each method's default).
    fn tx<T>(&self, attempt: &mut dyn FnMut(&Conn) -> Result<T, StorageError>) -> Result<T, StorageError> {
        self.run("BEGIN ISOLATION LEVEL READ COMMITTED", attempt)
    }
}

/// Takes `pool_size=N` out of the address (the driver does not know it).
fn split_pool_size(url: &str) -> Result<(String, usize), StorageError> {
    let refused = |why: &str| StorageError::Refused(format!("the database address's pool_size {why}"));
    let parse = |value: &str| match value.parse::<usize>() {
        Ok(size) if (1..=1_000).contains(&size) => Ok(size),
        _ => Err(refused("must be a number from 1 to 1000")),
    };
    if let Some((base, query)) = url.split_once('?') {
        let mut size = DEFAULT_POOL_SIZE;
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.strip_prefix("pool_size=") {
                Some(value) => size = parse(value)?,
                None => kept.push(pair),
            }
        }
        let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        return Ok((url, size));
    }
    let mut size = DEFAULT_POOL_SIZE;
    let mut kept = Vec::new();
    for pair in url.split_whitespace() {
        match pair.strip_prefix("pool_size=") {
            Some(value) => size = parse(value)?,
            None => kept.push(pair),
        }
    }
    Ok((kept.join(" "), size))
}

const USER_COLUMNS: &str =
    "id, email, display_name, password_hash, totp_secret, totp_enabled, totp_last_step, failed_logins, locked_until";

fn user_from_row(row: &Row, key: &ServerKey) -> Result<UserRecord, StorageError> {
    let id = UserId(column(row, 0)?);
    let totp_secret = column::<Option<String>>(row, 4)?
        .map(|sealed| super::sqlite_credentials::open_secret(key, id, &sealed))
        .transpose()?;
    Ok(UserRecord {
        id,
        email: column(row, 1)?,
        display_name: column(row, 2)?,
        password_hash: column(row, 3)?,
        totp_secret,
        totp_enabled: column(row, 5)?,
        totp_last_step: column::<Option<i64>>(row, 6)?.and_then(|s| u64::try_from(s).ok()),
        failed_logins: u32::try_from(column::<i32>(row, 7)?).unwrap_or(0),
        locked_until: column(row, 8)?,
    })
}

/// Inserts an account; [`StorageError::EmailTaken`] when the email has one (without
/// aborting the transaction: the caller may go on).
fn insert_user(client: &Conn, key: &ServerKey, user: &UserRecord) -> Result<(), StorageError> {
    let totp_secret = user
        .totp_secret
        .as_deref()
        .map(|secret| super::sqlite_credentials::seal_secret(key, user.id, secret))
        .transpose()?;
    let inserted = client.execute(
        &format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (email) DO NOTHING"
        ),
        &[
            &user.id.0,
            &user.email,
            &user.display_name,
            &user.password_hash,
            &totp_secret,
            &user.totp_enabled,
            &user.totp_last_step.and_then(|s| i64::try_from(s).ok()),
            &i32::try_from(user.failed_logins).unwrap_or(i32::MAX),
            &user.locked_until,
        ],
    )?;
    if inserted == 0 { Err(StorageError::EmailTaken) } else { Ok(()) }
}

fn select_user(
    client: &Conn,
    key: &ServerKey,
    column_name: &'static str,
    value: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Option<UserRecord>, StorageError> {
    client
        .query_opt(&format!("SELECT {USER_COLUMNS} FROM users WHERE {column_name} = $1"), &[value])?
        .map(|row| user_from_row(&row, key))
        .transpose()
}

fn company_from_row(row: &Row) -> Result<CompanyRecord, StorageError> {
    Ok(CompanyRecord {
        id: CompanyId(column(row, 0)?),
        name: column(row, 1)?,
        country: column(row, 2)?,
        created_at: column(row, 3)?,
    })
}

fn company(client: &Conn, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError> {
    client
        .query_opt("SELECT id, name, country, created_at FROM companies WHERE id = $1", &[&id.0])?
        .map(|row| company_from_row(&row))
        .transpose()
}

fn companies(client: &Conn) -> Result<Vec<CompanyRecord>, StorageError> {
    client
        .query("SELECT id, name, country, created_at FROM companies ORDER BY name, id", &[])?
        .iter()
        .map(company_from_row)
        .collect()
}

fn members(client: &Conn, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError> {
    client
        .query(
            "SELECT u.id, u.email, u.display_name, m.role FROM members m JOIN users u ON u.id = m.user_id
             WHERE m.company_id = $1 ORDER BY u.email",
            &[&company.0],
        )?
        .iter()
        .map(|row| {
            Ok(MemberRecord {
                user_id: UserId(column(row, 0)?),
                email: column(row, 1)?,
                display_name: column(row, 2)?,
                role: parse_role(&column::<String>(row, 3)?)?,
            })
        })
        .collect()
}

fn log_state(client: &Conn, company: CompanyId, lock: bool) -> Result<Option<LogState>, StorageError> {
    let sql = if lock {
        "SELECT epoch, seq, audit_seq, audit_hash FROM logs WHERE company_id = $1 FOR UPDATE"
    } else {
        "SELECT epoch, seq, audit_seq, audit_hash FROM logs WHERE company_id = $1"
    };
    client
        .query_opt(sql, &[&company.0])?
        .map(|row| {
            Ok(LogState {
                epoch: column(&row, 0)?,
                seq: count(column(&row, 1)?),
                audit_seq: count(column(&row, 2)?),
                audit_hash: column(&row, 3)?,
            })
        })
        .transpose()
}

fn moved(client: &Conn, company: CompanyId) -> Result<Option<MoveRecord>, StorageError> {
    client
        .query_opt("SELECT moved_at, moved_to FROM company_moves WHERE company_id = $1", &[&company.0])?
        .map(|row| Ok(MoveRecord { moved_at: column(&row, 0)?, moved_to: column(&row, 1)? }))
        .transpose()
}

fn record_kind(value: &str) -> Result<RecordKind, StorageError> {
    RecordKind::parse(value).ok_or_else(|| StorageError::Corrupt(format!("record kind “{value}”")))
}

/// The invitation columns read by [`spend`].
const INVITATION_COLUMNS: &str =
    "id, company_id, user_id, secret_hash, code_handle, code, created_at, expires_at, spent_at";

/// What a pairing code is bound to when sealed: its invitation.
fn code_context(invitation: Uuid) -> Vec<u8> {
    let mut context = b"comptoir pairing code ".to_vec();
    context.extend_from_slice(invitation.as_bytes());
    context
}

fn devices_of(client: &Conn, company: CompanyId) -> Result<Vec<DeviceRecord>, StorageError> {
    client
        .query(
            "SELECT id, user_id, session_id, name, paired_at, last_seen_at, revoked_at, secret_hash
             FROM devices WHERE company_id = $1 ORDER BY paired_at, id",
            &[&company.0],
        )?
        .iter()
        .map(|row| {
            Ok(DeviceRecord {
                id: column(row, 0)?,
                company_id: company,
                user_id: UserId(column(row, 1)?),
                session_id: column(row, 2)?,
                name: column(row, 3)?,
                paired_at: column(row, 4)?,
                last_seen_at: column(row, 5)?,
                revoked_at: column(row, 6)?,
                secret_hash: column(row, 7)?,
            })
        })
        .collect()
}

fn insert_session(client: &Conn, session: &SessionRecord, user: Uuid) -> Result<(), StorageError> {
    client.execute(
        "INSERT INTO sessions (id, user_id, refresh_hash, refresh_expires_at) VALUES ($1, $2, $3, $4)",
        &[&session.id, &user, &session.refresh_hash, &session.refresh_expires_at],
    )?;
    Ok(())
}

fn revoke(client: &Conn, session: Uuid) -> Result<(), StorageError> {
    client.execute("UPDATE sessions SET revoked = true WHERE id = $1", &[&session])?;
    client.execute("DELETE FROM access_tokens WHERE session_id = $1", &[&session])?;
    Ok(())
}

fn revoke_all_but(client: &Conn, user: UserId, keep: Option<Uuid>) -> Result<(), StorageError> {
    client.execute(
        "DELETE FROM access_tokens WHERE session_id IN
            (SELECT id FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2)",
        &[&user.0, &keep],
    )?;
    client.execute(
        "UPDATE sessions SET revoked = true WHERE user_id = $1 AND id IS DISTINCT FROM $2",
        &[&user.0, &keep],
    )?;
    Ok(())
}

impl Storage for PostgresStorage {
    fn create_user(&self, user: &UserRecord) -> Result<(), StorageError> {
        insert_user(self.pool.get()?.conn()?, &self.key, user)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StorageError> {
        select_user(self.pool.get()?.conn()?, &self.key, "email", &email)
    }

    fn user(&self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        select_user(self.pool.get()?.conn()?, &self.key, "id", &id.0)
    }

    fn users_after(&self, after: Option<UserId>, limit: u32) -> Result<Vec<UserRecord>, StorageError> {
        self.pool
            .get()?
            .conn()?
            .query(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2"),
                &[&after.map(|id| id.0), &i64::from(limit)],
            )?
            .iter()
            .map(|row| user_from_row(row, &self.key))
            .collect()
    }

    fn count_failed_login(
        &self,
        user: UserId,
        policy: &AuthPolicy,
        now: DateTime<Utc>,
    ) -> Result<FailedLogins, StorageError> {
        let lock_after = i32::try_from(policy.lock_after).unwrap_or(i32::MAX);
        self.tx(&mut |tx| {
            let row = tx
                .query_opt(
                    "UPDATE users SET failed_logins = CASE
                         WHEN failed_logins >= $2 AND (locked_until IS NULL OR locked_until <= $3) THEN 1
                         ELSE failed_logins + 1
                     END
                     WHERE id = $1
                     RETURNING failed_logins, locked_until",
                    &[&user.0, &lock_after, &now],
                )?
                .ok_or(StorageError::NotFound("user"))?;
            let count = u32::try_from(column::<i32>(&row, 0)?).unwrap_or(0);
            let standing = column::<Option<DateTime<Utc>>>(&row, 1)?.filter(|until| *until > now);
            let wanted = policy.wait_after(count).map(|(wait, _)| now + wait);
            let locked_until = match (standing, wanted) {
                (Some(standing), Some(wanted)) if standing >= wanted => Some(standing),
                (_, Some(wanted)) => {
                    tx.execute("UPDATE users SET locked_until = $2 WHERE id = $1", &[&user.0, &wanted])?;
                    Some(wanted)
                }
                (standing, None) => standing,
            };
            Ok(FailedLogins { count, locked_until })
        })
    }

    fn clear_failed_logins(&self, user: UserId, lock_after: u32, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let lock_after = i32::try_from(lock_after).unwrap_or(i32::MAX);
        let changed = self.pool.get()?.conn()?.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL
             WHERE id = $1 AND NOT (failed_logins >= $2 AND locked_until IS NOT NULL AND locked_until > $3)",
            &[&user.0, &lock_after, &now],
        )?;
        Ok(changed > 0)
    }

    fn change_password(
        &self,
        user: UserId,
        current_hash: &str,
        new_hash: &str,
        keep: Option<Uuid>,
    ) -> Result<bool, StorageError> {
        self.tx(&mut |tx| {
            let changed = tx.execute(
                "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
                &[&user.0, &current_hash, &new_hash],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            revoke_all_but(tx, user, keep)?;
            Ok(true)
        })
    }

    fn set_totp_secret(&self, user: UserId, secret: &str) -> Result<bool, StorageError> {
        let sealed = super::sqlite_credentials::seal_secret(&self.key, user, secret)?;
        let changed = self.pool.get()?.conn()?.execute(
            "UPDATE users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1 AND NOT totp_enabled",
            &[&user.0, &sealed],
        )?;
        Ok(changed > 0)
    }

    fn enable_totp(&self, user: UserId, secret: &str, step: Option<u64>) -> Result<bool, StorageError> {
        let step = step.and_then(|s| i64::try_from(s).ok());
        self.tx(&mut |tx| {
            let Some(row) =
                tx.query_opt("SELECT totp_secret, totp_enabled FROM users WHERE id = $1 FOR UPDATE", &[&user.0])?
            else {
                return Ok(false);
            };
            let (Some(sealed), false) = (column::<Option<String>>(&row, 0)?, column::<bool>(&row, 1)?) else {
                return Ok(false);
            };
            if super::sqlite_credentials::open_secret(&self.key, user, &sealed)? != secret {
                return Ok(false);
            }
            tx.execute("UPDATE users SET totp_enabled = true, totp_last_step = $2 WHERE id = $1", &[&user.0, &step])?;
            Ok(true)
        })
    }

    fn disable_totp(&self, user: UserId) -> Result<bool, StorageError> {
        let changed = self.pool.get()?.conn()?.execute(
            "UPDATE users SET totp_enabled = false, totp_secret = NULL, totp_last_step = NULL
             WHERE id = $1 AND totp_enabled",
            &[&user.0],
        )?;
        Ok(changed > 0)
    }

    fn use_totp_step(&self, user: UserId, step: u64) -> Result<bool, StorageError> {
        let step = i64::try_from(step).map_err(|_| StorageError::Corrupt(format!("time step {step}")))?;
        let changed = self.pool.get()?.conn()?.execute(
            "UPDATE users SET totp_last_step = $2
             WHERE id = $1 AND totp_enabled AND (totp_last_step IS NULL OR totp_last_step < $2)",
            &[&user.0, &step],
        )?;
        Ok(changed > 0)
    }

    fn create_session(&self, session: &SessionRecord) -> Result<(), StorageError> {
        insert_session(self.pool.get()?.conn()?, session, session.user_id.0)
    }

    fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expiry: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StorageError> {
        self.tx(&mut |tx| {
            // The row is locked: two rotations of one token are one after the other, and
            // the second no longer finds the token (it is then a reuse).
            let current = tx.query_opt(
                "SELECT id, user_id, refresh_expires_at, revoked FROM sessions WHERE refresh_hash = $1 FOR UPDATE",
                &[&old_hash],
            )?;
            let Some(row) = current else {
                // A token that was rotated away and comes back: a copy is in someone
                // else's hands. Revoke the whole session.
                let reused = tx.execute(
                    "UPDATE sessions SET revoked = true WHERE previous_refresh_hash = $1 AND NOT revoked",
                    &[&old_hash],
                )?;
                return Ok(if reused > 0 { Rotation::Reused } else { Rotation::Invalid });
            };
            let (id, user): (Uuid, Uuid) = (column(&row, 0)?, column(&row, 1)?);
            let (expires, revoked): (DateTime<Utc>, bool) = (column(&row, 2)?, column(&row, 3)?);
            if revoked || expires <= now {
                return Ok(Rotation::Invalid);
            }
            tx.execute(
                "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = $2,
                    refresh_expires_at = $3
                 WHERE id = $1",
                &[&id, &new_hash, &new_expiry],
            )?;
            Ok(Rotation::Rotated(SessionRecord {
                id,
                user_id: UserId(user),
                refresh_hash: new_hash.to_owned(),
                refresh_expires_at: new_expiry,
            }))
        })
    }

    fn add_access_token(&self, hash: &str, grant: &AccessGrant, now: DateTime<Utc>) -> Result<(), StorageError> {
        let pooled = self.pool.get()?;
        let client = pooled.conn()?;
        // Expired tokens are swept as new ones are made.
        client.execute("DELETE FROM access_tokens WHERE expires_at < $1", &[&now])?;
        client.execute(
            "INSERT INTO access_tokens (hash, session_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
            &[&hash, &grant.session_id, &grant.user_id.0, &grant.expires_at],
        )?;
        Ok(())
    }

    fn access_grant(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<AccessGrant>, StorageError> {
        let row = self.pool.get()?.conn()?.query_opt(
            "SELECT a.session_id, a.user_id, a.expires_at FROM access_tokens a
             JOIN sessions s ON s.id = a.session_id
             WHERE a.hash = $1 AND NOT s.revoked",
            &[&hash],
        )?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: DateTime<Utc> = column(&row, 2)?;
        Ok((expires_at > now).then_some(AccessGrant {
            session_id: column(&row, 0)?,
            user_id: UserId(column(&row, 1)?),
            expires_at,
        }))
    }

    fn revoke_session(&self, session: Uuid) -> Result<(), StorageError> {
        self.tx(&mut |tx| revoke(tx, session))
    }

    fn revoke_sessions_of(&self, user: UserId, except: Option<Uuid>) -> Result<(), StorageError> {
        self.tx(&mut |tx| revoke_all_but(tx, user, except))
    }

    fn add_challenge(
        &self,
        hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let pooled = self.pool.get()?;
        let client = pooled.conn()?;
        client.execute("DELETE FROM challenges WHERE expires_at < $1", &[&now])?;
        client.execute(
            "INSERT INTO challenges (hash, user_id, expires_at) VALUES ($1, $2, $3)",
            &[&hash, &user.0, &expires_at],
        )?;
        Ok(())
    }

    fn challenge(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<UserId>, StorageError> {
        let row = self
            .pool
            .get()?
            .conn()?
            .query_opt("SELECT user_id, expires_at FROM challenges WHERE hash = $1", &[&hash])?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: DateTime<Utc> = column(&row, 1)?;
        (expires_at > now).then(|| column(&row, 0).map(UserId)).transpose()
    }

    fn consume_challenge(&self, hash: &str) -> Result<bool, StorageError> {
        Ok(self.pool.get()?.conn()?.execute("DELETE FROM challenges WHERE hash = $1", &[&hash])? > 0)
    }

    fn create_invitation(&self, invitation: &InvitationRecord, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let sealed = self
            .key
            .seal(&invitation.code, &code_context(invitation.id))
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        let swept = now - chrono::Duration::days(1);
        self.tx(&mut |tx| {
            tx.execute("DELETE FROM invitations WHERE expires_at < $1", &[&swept])?;
            // The live invitations of this handle, locked: two invitations drawing the same
            // handle at once are one after the other.
            let live = tx.query(
                "SELECT expires_at FROM invitations WHERE code_handle = $1 AND spent_at IS NULL FOR UPDATE",
                &[&invitation.code_handle],
            )?;
            for row in &live {
                if column::<DateTime<Utc>>(row, 0)? > now {
                    return Ok(false);
                }
            }
            tx.execute(
                "UPDATE invitations SET spent_at = $2, code = NULL WHERE code_handle = $1 AND spent_at IS NULL",
                &[&invitation.code_handle, &now],
            )?;
            tx.execute(
                "INSERT INTO invitations (id, company_id, user_id, secret_hash, code_handle, code, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &invitation.id,
                    &invitation.company_id.0,
                    &invitation.user_id.0,
                    &invitation.secret_hash,
                    &invitation.code_handle,
                    &sealed,
                    &invitation.created_at,
                    &invitation.expires_at,
                ],
            )?;
            Ok(true)
        })
    }

    fn spend_invitation_by_secret(&self, hash: &str, now: DateTime<Utc>) -> Result<Spent, StorageError> {
        self.spend("secret_hash", hash, now)
    }

    fn spend_invitation_by_handle(&self, handle: &str, now: DateTime<Utc>) -> Result<Spent, StorageError> {
        self.spend("code_handle", handle, now)
    }

    fn add_device(&self, device: &DeviceRecord, session: &SessionRecord) -> Result<(), StorageError> {
        self.tx(&mut |tx| {
            insert_session(tx, session, session.user_id.0)?;
            tx.execute(
                "INSERT INTO devices (id, company_id, user_id, session_id, name, paired_at, secret_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &device.id,
                    &device.company_id.0,
                    &device.user_id.0,
                    &device.session_id,
                    &device.name,
                    &device.paired_at,
                    &device.secret_hash,
                ],
            )?;
            Ok(())
        })
    }

    fn devices(&self, company: CompanyId) -> Result<Vec<DeviceRecord>, StorageError> {
        devices_of(self.pool.get()?.conn()?, company)
    }

    fn revoke_device(&self, company: CompanyId, device: Uuid, now: DateTime<Utc>) -> Result<bool, StorageError> {
        self.tx(&mut |tx| {
            let row = tx.query_opt(
                "UPDATE devices SET revoked_at = $3 WHERE id = $1 AND company_id = $2 AND revoked_at IS NULL
                 RETURNING session_id",
                &[&device, &company.0, &now],
            )?;
            let Some(row) = row else { return Ok(false) };
            revoke(tx, column(&row, 0)?)?;
            Ok(true)
        })
    }

    fn resume_device(
        &self,
        device: Uuid,
        secret_hash: &str,
        session: &SessionRecord,
    ) -> Result<Option<DeviceRecord>, StorageError> {
        self.tx(&mut |tx| {
            let found = tx.query_opt(
                "SELECT company_id, session_id, user_id FROM devices
                 WHERE id = $1 AND secret_hash = $2 AND revoked_at IS NULL FOR UPDATE",
                &[&device, &secret_hash],
            )?;
            let Some(row) = found else { return Ok(None) };
            let (company, old_session, user): (Uuid, Uuid, Uuid) =
                (column(&row, 0)?, column(&row, 1)?, column(&row, 2)?);
            revoke(tx, old_session)?;
            insert_session(tx, session, user)?;
            tx.execute("UPDATE devices SET session_id = $2 WHERE id = $1", &[&device, &session.id])?;
            Ok(devices_of(tx, CompanyId(company))?.into_iter().find(|d| d.id == device))
        })
    }

    fn device_seen(&self, session: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.pool.get()?.conn()?.execute(
            "UPDATE devices SET last_seen_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
            &[&session, &now],
        )?;
        Ok(())
    }

    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn StorageTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        self.tx(&mut |tx| work(&mut company_tx::PostgresStorageTx { tx, key: &self.key }))
    }

    fn company(&self, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError> {
        company(self.pool.get()?.conn()?, id)
    }

    fn companies(&self) -> Result<Vec<CompanyRecord>, StorageError> {
        companies(self.pool.get()?.conn()?)
    }

    fn members(&self, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError> {
        members(self.pool.get()?.conn()?, company)
    }

    fn memberships(&self, user: UserId) -> Result<Vec<(CompanyRecord, Role)>, StorageError> {
        self.pool
            .get()?
            .conn()?
            .query(
                "SELECT c.id, c.name, c.country, c.created_at, m.role FROM members m
                 JOIN companies c ON c.id = m.company_id
                 WHERE m.user_id = $1 ORDER BY c.name, c.id",
                &[&user.0],
            )?
            .iter()
            .map(|row| Ok((company_from_row(row)?, parse_role(&column::<String>(row, 4)?)?)))
            .collect()
    }

    fn moved(&self, company: CompanyId) -> Result<Option<MoveRecord>, StorageError> {
        moved(self.pool.get()?.conn()?, company)
    }

    fn export_company(
        &self,
        company: CompanyId,
        sink: &mut dyn FnMut(ExportItem) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        // One snapshot, read only: writers are not held up.
        let pooled = self.pool.get()?;
        let client = pooled.conn()?;
        client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        let exported = company_tx::export(client, company, sink);
        client.batch_execute(if exported.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
        exported
    }

    fn log_state(&self, company: CompanyId) -> Result<Option<LogState>, StorageError> {
        log_state(self.pool.get()?.conn()?, company, false)
    }

    fn in_company(
        &self,
        company: CompanyId,
        work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        self.tx(&mut |tx| company_tx::in_company(tx, company, work))
    }

    fn changes_after(&self, company: CompanyId, after: u64, limit: PageLimit) -> Result<StoredPage, StorageError> {
        let pooled = self.pool.get()?;
        let client = pooled.conn()?;
        // One row more than the page holds tells whether more follow.
        let rows = client.query(
            "SELECT seq, kind, id, body FROM records WHERE company_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&company.0, &seq_value(after)?, &(i64::from(limit.count) + 1)],
        )?;
        StoredPage::fill(
            limit,
            rows.iter().map(|row| {
                Ok(StoredChange {
                    seq: count(column(row, 0)?),
                    kind: record_kind(&column::<String>(row, 1)?)?,
                    id: column(row, 2)?,
                    body: column(row, 3)?,
                })
            }),
        )
    }

    fn live_records_before(
        &self,
        company: CompanyId,
        kind: RecordKind,
        upto: u64,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredChange>, StorageError> {
        let Some(last) = super::snapshot_last_seq(upto, before) else { return Ok(Vec::new()) };
        let rows = self.pool.get()?.conn()?.query(
            "SELECT seq, id, body FROM records
             WHERE company_id = $1 AND kind = $2 AND seq <= $3 AND body IS NOT NULL
             ORDER BY seq DESC LIMIT $4",
            &[&company.0, &kind.as_str(), &seq_value(last)?, &i64::from(limit)],
        )?;
        rows.iter()
            .map(|row| {
                Ok(StoredChange { seq: count(column(row, 0)?), kind, id: column(row, 1)?, body: column(row, 2)? })
            })
            .collect()
    }

    fn count_changes_after(&self, company: CompanyId, after: u64) -> Result<BTreeMap<RecordKind, u64>, StorageError> {
        let rows = self.pool.get()?.conn()?.query(
            "SELECT kind, count(*) FROM records WHERE company_id = $1 AND seq > $2 GROUP BY kind",
            &[&company.0, &seq_value(after)?],
        )?;
        let mut counts: BTreeMap<RecordKind, u64> = RecordKind::ALL.into_iter().map(|k| (k, 0)).collect();
        for row in &rows {
            counts.insert(record_kind(&column::<String>(row, 0)?)?, count(column(row, 1)?));
        }
        Ok(counts)
    }
}

impl PostgresStorage {
    /// Spends the invitation whose `column_name` is `value`: the row is locked, so a secret
    /// or a code serves once even to claims racing each other.
    fn spend(&self, column_name: &'static str, value: &str, now: DateTime<Utc>) -> Result<Spent, StorageError> {
        let unspent = if column_name == "code_handle" { " AND spent_at IS NULL" } else { "" };
        let sql = format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE {column_name} = $1{unspent} FOR UPDATE");
        let found = self.tx(&mut |tx| {
            let Some(row) = tx.query_opt(&sql, &[&value])? else { return Ok(None) };
            let spent_at: Option<DateTime<Utc>> = column(&row, 8)?;
            if spent_at.is_none() {
                tx.execute(
                    "UPDATE invitations SET spent_at = $2, code = NULL WHERE id = $1",
                    &[&column::<Uuid>(&row, 0)?, &now],
                )?;
            }
            Ok(Some((row, spent_at)))
        })?;
        let Some((row, spent_at)) = found else { return Ok(Spent::Unknown) };
        if spent_at.is_some() {
            return Ok(Spent::Used);
        }
        let id: Uuid = column(&row, 0)?;
        let expires_at: DateTime<Utc> = column(&row, 7)?;
        if expires_at <= now {
            return Ok(Spent::Expired);
        }
        let Some(sealed) = column::<Option<String>>(&row, 5)? else { return Ok(Spent::Used) };
        let code = self
            .key
            .open(&sealed, &code_context(id))
            .map_err(|e| StorageError::Corrupt(format!("pairing code of invitation {id}: {e}")))?;
        Ok(Spent::Live(InvitationRecord {
            id,
            company_id: CompanyId(column(&row, 1)?),
            user_id: UserId(column(&row, 2)?),
            secret_hash: column(&row, 3)?,
            code_handle: column(&row, 4)?,
            code,
            created_at: column(&row, 6)?,
            expires_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_is_taken_out_of_the_address() {
        let split = |url: &str| split_pool_size(url).map_err(|e| e.to_string());
        assert_eq!(split("postgres://u@h/db").unwrap(), ("postgres://u@h/db".into(), DEFAULT_POOL_SIZE));
        assert_eq!(split("postgres://u@h/db?pool_size=4").unwrap(), ("postgres://u@h/db".into(), 4));
        assert_eq!(
            split("postgres://u@/db?host=/tmp/x&pool_size=2&sslmode=disable").unwrap(),
            ("postgres://u@/db?host=/tmp/x&sslmode=disable".into(), 2)
        );
        assert_eq!(split("host=/tmp/x dbname=d pool_size=3").unwrap(), ("host=/tmp/x dbname=d".into(), 3));
        for bad in ["postgres://h/db?pool_size=0", "postgres://h/db?pool_size=x", "host=h pool_size=5000"] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }
}
