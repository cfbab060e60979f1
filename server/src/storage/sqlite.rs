//! The embedded storage: one SQLite file (`server.sqlite`) in the data folder, in WAL mode,
//! its schema versioned by [`migrate`]; [`backup`] copies it while it serves and restores
//! such a copy.

mod backup;
mod company_copy;
mod migrate;
mod posting_parts;
mod unit_of_work;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use comptoir_core::model::{CompanyId, Role, UserId};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use comptoir_core::sync::RecordKind;

use super::sqlite_credentials as credentials;
use super::sqlite_pairing as pairing;
use super::{
    AccessGrant, CompanyRecord, CompanyTx, DeviceRecord, ExportItem, FailedLogins, InvitationRecord, LogState,
    MemberRecord, MoveRecord, PageLimit, Rotation, SessionRecord, Spent, StagedPart, StagedParts, Storage,
    StorageError, StorageTx, StoredChange, StoredOutcome, StoredPage, StoredRecord, UserRecord,
};
use crate::auth::AuthPolicy;
use crate::server_key::ServerKey;

pub use backup::{BackupSummary, RestoreSummary};
/// The version of `server.sqlite`'s schema this server writes.
pub use migrate::LATEST_VERSION as SCHEMA_VERSION;

/// SQLite storage. One connection behind a mutex: every method is short, and SQLite
/// serialises writers anyway.
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
    /// The database file: a company's export reads it on a connection of its own.
    path: PathBuf,
    /// A shared lock on the data folder while it is open: a restore waits for none.
    _in_use: Option<backup::FolderLock>,
    /// Seals the two-factor secrets; kept in `server.key`, beside the database.
    key: ServerKey,
}

/// The database's name in the data folder.
pub(crate) const DATABASE_FILE: &str = "server.sqlite";

pub(super) fn backend(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        backend(e)
    }
}

pub(super) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn parse_time(value: &str) -> Result<DateTime<Utc>, StorageError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StorageError::Corrupt(format!("time “{value}”: {e}")))
}

fn parse_role(value: &str) -> Result<Role, StorageError> {
    Role::parse(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

impl SqliteStorage {
    /// Opens (creating if needed) the storage under `data_dir`, bringing its schema to the
    /// latest version.
    pub fn open(data_dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(backend)?;
        let in_use = backup::FolderLock::shared(data_dir)?;
        let key = ServerKey::load_or_create(data_dir).map_err(backend)?;
        let path = data_dir.join(DATABASE_FILE);
        let mut conn = open_connection(&path)?;
        credentials::seal_plain_totp_secrets(&mut conn, &key)?;
        Ok(Self { conn: Mutex::new(conn), path, _in_use: Some(in_use), key })
    }

    /// [`Self::open`] for a command that needs the data folder to itself (`admin
    /// migrate-storage` copying it whole): refused while a server or another command has it.
    pub fn open_alone(data_dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(backend)?;
        let alone = backup::FolderLock::exclusive(data_dir)?;
        let key = ServerKey::load_or_create(data_dir).map_err(backend)?;
        let path = data_dir.join(DATABASE_FILE);
        let mut conn = open_connection(&path)?;
        credentials::seal_plain_totp_secrets(&mut conn, &key)?;
        Ok(Self { conn: Mutex::new(conn), path, _in_use: Some(alone), key })
    }

    /// Opens (creating if needed) the database file at `path`, migrated, without taking
    /// the data folder's lock (a restore prepares its copy this way), its secrets sealed
    /// with the key of the data folder `data_dir`.
    fn open_file(path: &Path, data_dir: &Path) -> Result<Self, StorageError> {
        let key = ServerKey::load_or_create(data_dir).map_err(backend)?;
        Ok(Self { conn: Mutex::new(open_connection(path)?), path: path.to_path_buf(), _in_use: None, key })
    }

    /// The connection, for one method's transaction.
    ///
    /// A request that panicked while it held the lock must not stop the server for every
    /// other company: the lock is taken back, and whatever transaction the panic left
    /// open is rolled back (rusqlite's `Transaction` already rolls back as it unwinds;
    /// this covers any other path), so the next caller starts from committed data.
    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StorageError> {
        let guard = self.conn.lock().unwrap_or_else(|poisoned| {
            tracing::error!("a request panicked while holding the storage; recovering the connection");
            self.conn.clear_poison();
            poisoned.into_inner()
        });
        if !guard.is_autocommit() {
            tracing::error!("a transaction was left open; rolling it back");
            guard.execute_batch("ROLLBACK")?;
        }
        Ok(guard)
    }
}

/// The database file at `path`, created if needed, with the pragmas the server runs on and
/// its schema at the latest version.
fn open_connection(path: &Path) -> Result<Connection, StorageError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    migrate::migrate(&mut conn, path)?;
    Ok(conn)
}

const USER_COLUMNS: &str =
    "id, email, display_name, password_hash, totp_secret, totp_enabled, totp_last_step, failed_logins, locked_until";

fn user_from_row(row: &Row<'_>, key: &ServerKey) -> Result<UserRecord, StorageError> {
    let id = UserId(row.get(0)?);
    let totp_secret =
        row.get::<_, Option<String>>(4)?.map(|sealed| credentials::open_secret(key, id, &sealed)).transpose()?;
    Ok(UserRecord {
        id,
        email: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        totp_secret,
        totp_enabled: row.get(5)?,
        totp_last_step: row.get::<_, Option<i64>>(6)?.and_then(|s| u64::try_from(s).ok()),
        failed_logins: row.get(7)?,
        locked_until: row.get::<_, Option<String>>(8)?.map(|t| parse_time(&t)).transpose()?,
    })
}

/// Inserts an account, its two-factor secret sealed with `key`;
/// [`StorageError::EmailTaken`] when the email has one.
fn insert_user(conn: &Connection, key: &ServerKey, user: &UserRecord) -> Result<(), StorageError> {
    let totp_secret =
        user.totp_secret.as_deref().map(|secret| credentials::seal_secret(key, user.id, secret)).transpose()?;
    let result = conn.execute(
        &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            user.id.0,
            user.email,
            user.display_name,
            user.password_hash,
            totp_secret,
            user.totp_enabled,
            user.totp_last_step.and_then(|s| i64::try_from(s).ok()),
            user.failed_logins,
            user.locked_until.map(time_text),
        ],
    );
    match result {
        Err(rusqlite::Error::SqliteFailure(e, Some(message)))
            if e.code == rusqlite::ErrorCode::ConstraintViolation && message.contains("users.email") =>
        {
            Err(StorageError::EmailTaken)
        }
        other => other.map(|_| ()).map_err(backend),
    }
}

/// The account whose `column` (`id` or `email`) is `value`.
fn select_user(
    conn: &Connection,
    key: &ServerKey,
    column: &'static str,
    value: &dyn rusqlite::ToSql,
) -> Result<Option<UserRecord>, StorageError> {
    conn.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1"), [value], |row| {
        Ok(user_from_row(row, key))
    })
    .optional()?
    .transpose()
}

fn company_from_row(row: &Row<'_>) -> Result<CompanyRecord, StorageError> {
    Ok(CompanyRecord {
        id: CompanyId(row.get(0)?),
        name: row.get(1)?,
        country: row.get(2)?,
        created_at: parse_time(&row.get::<_, String>(3)?)?,
    })
}

impl Storage for SqliteStorage {
    fn create_user(&self, user: &UserRecord) -> Result<(), StorageError> {
        insert_user(&*self.conn()?, &self.key, user)
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StorageError> {
        select_user(&*self.conn()?, &self.key, "email", &email)
    }

    fn user(&self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        select_user(&*self.conn()?, &self.key, "id", &id.0)
    }

    fn users_after(&self, after: Option<UserId>, limit: u32) -> Result<Vec<UserRecord>, StorageError> {
        let conn = self.conn()?;
        // Ids are 16-byte blobs: SQLite compares them byte by byte, as PostgreSQL does uuids.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after.map(|id| id.0), limit], |row| Ok(user_from_row(row, &self.key)))?;
        rows.map(|row| row?).collect()
    }

    fn count_failed_login(
        &self,
        user: UserId,
        policy: &AuthPolicy,
        now: DateTime<Utc>,
    ) -> Result<FailedLogins, StorageError> {
        credentials::count_failed_login(&mut *self.conn()?, user, policy, now)
    }

    fn clear_failed_logins(&self, user: UserId, lock_after: u32, now: DateTime<Utc>) -> Result<bool, StorageError> {
        credentials::clear_failed_logins(&*self.conn()?, user, lock_after, now)
    }

    fn change_password(
        &self,
        user: UserId,
        current_hash: &str,
        new_hash: &str,
        keep: Option<Uuid>,
    ) -> Result<bool, StorageError> {
        credentials::change_password(&mut *self.conn()?, user, current_hash, new_hash, keep)
    }

    fn set_totp_secret(&self, user: UserId, secret: &str) -> Result<bool, StorageError> {
        let sealed = credentials::seal_secret(&self.key, user, secret)?;
        credentials::set_totp_secret(&*self.conn()?, user, &sealed)
    }

    fn enable_totp(&self, user: UserId, secret: &str, step: Option<u64>) -> Result<bool, StorageError> {
        credentials::enable_totp(&mut *self.conn()?, &self.key, user, secret, step)
    }

    fn disable_totp(&self, user: UserId) -> Result<bool, StorageError> {
        credentials::disable_totp(&*self.conn()?, user)
    }

    fn use_totp_step(&self, user: UserId, step: u64) -> Result<bool, StorageError> {
        credentials::use_totp_step(&*self.conn()?, user, step)
    }

    fn create_session(&self, session: &SessionRecord) -> Result<(), StorageError> {
        self.conn()?.execute(
            "INSERT INTO sessions (id, user_id, refresh_hash, refresh_expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![session.id, session.user_id.0, session.refresh_hash, time_text(session.refresh_expires_at)],
        )?;
        Ok(())
    }

    fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expiry: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StorageError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = tx
            .query_row(
                "SELECT id, user_id, refresh_expires_at, revoked FROM sessions WHERE refresh_hash = ?1",
                [old_hash],
                |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, Uuid>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?)),
            )
            .optional()?;
        let rotation = match current {
            Some((id, user, expires, false)) if parse_time(&expires)? > now => {
                tx.execute(
                    "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = ?2,
                        refresh_expires_at = ?3
                     WHERE id = ?1",
                    params![id, new_hash, time_text(new_expiry)],
                )?;
                Rotation::Rotated(SessionRecord {
                    id,
                    user_id: UserId(user),
                    refresh_hash: new_hash.to_owned(),
                    refresh_expires_at: new_expiry,
                })
            }
            Some(_) => Rotation::Invalid,
            None => {
                // A token that was rotated away and comes back: a copy is in someone
                // else's hands. Revoke the whole session.
                let reused = tx.execute(
                    "UPDATE sessions SET revoked = 1 WHERE previous_refresh_hash = ?1 AND revoked = 0",
                    [old_hash],
                )?;
                if reused > 0 { Rotation::Reused } else { Rotation::Invalid }
            }
        };
        tx.commit()?;
        Ok(rotation)
    }

    fn add_access_token(&self, hash: &str, grant: &AccessGrant, now: DateTime<Utc>) -> Result<(), StorageError> {
        let conn = self.conn()?;
        // Expired tokens are swept as new ones are made.
        conn.execute("DELETE FROM access_tokens WHERE expires_at < ?1", [time_text(now)])?;
        conn.execute(
            "INSERT INTO access_tokens (hash, session_id, user_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, grant.session_id, grant.user_id.0, time_text(grant.expires_at)],
        )?;
        Ok(())
    }

    fn access_grant(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<AccessGrant>, StorageError> {
        let conn = self.conn()?;
        let row = conn
            .query_row(
                "SELECT a.session_id, a.user_id, a.expires_at FROM access_tokens a
                 JOIN sessions s ON s.id = a.session_id
                 WHERE a.hash = ?1 AND s.revoked = 0",
                [hash],
                |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, Uuid>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()?;
        let Some((session_id, user, expires)) = row else { return Ok(None) };
        let expires_at = parse_time(&expires)?;
        Ok((expires_at > now).then_some(AccessGrant { session_id, user_id: UserId(user), expires_at }))
    }

    fn revoke_session(&self, session: Uuid) -> Result<(), StorageError> {
        let conn = self.conn()?;
        conn.execute("UPDATE sessions SET revoked = 1 WHERE id = ?1", [session])?;
        conn.execute("DELETE FROM access_tokens WHERE session_id = ?1", [session])?;
        Ok(())
    }

    fn revoke_sessions_of(&self, user: UserId, except: Option<Uuid>) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM access_tokens WHERE session_id IN
                (SELECT id FROM sessions WHERE user_id = ?1 AND id IS NOT ?2)",
            params![user.0, except],
        )?;
        tx.execute("UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND id IS NOT ?2", params![user.0, except])?;
        tx.commit()?;
        Ok(())
    }

    fn add_challenge(
        &self,
        hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let conn = self.conn()?;
        conn.execute("DELETE FROM challenges WHERE expires_at < ?1", [time_text(now)])?;
        conn.execute(
            "INSERT INTO challenges (hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![hash, user.0, time_text(expires_at)],
        )?;
        Ok(())
    }

    fn challenge(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<UserId>, StorageError> {
        let conn = self.conn()?;
        let row = conn
            .query_row("SELECT user_id, expires_at FROM challenges WHERE hash = ?1", [hash], |r| {
                Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        match row {
            Some((user, expires)) if parse_time(&expires)? > now => Ok(Some(UserId(user))),
            _ => Ok(None),
        }
    }

    fn consume_challenge(&self, hash: &str) -> Result<bool, StorageError> {
        Ok(self.conn()?.execute("DELETE FROM challenges WHERE hash = ?1", [hash])? > 0)
    }

    fn create_invitation(&self, invitation: &InvitationRecord, now: DateTime<Utc>) -> Result<bool, StorageError> {
        pairing::create_invitation(&mut *self.conn()?, &self.key, invitation, now)
    }

    fn spend_invitation_by_secret(&self, hash: &str, now: DateTime<Utc>) -> Result<Spent, StorageError> {
        pairing::spend_by_secret(&mut *self.conn()?, &self.key, hash, now)
    }

    fn spend_invitation_by_handle(&self, handle: &str, now: DateTime<Utc>) -> Result<Spent, StorageError> {
        pairing::spend_by_handle(&mut *self.conn()?, &self.key, handle, now)
    }

    fn add_device(&self, device: &DeviceRecord, session: &SessionRecord) -> Result<(), StorageError> {
        pairing::add_device(&mut *self.conn()?, device, session)
    }

    fn devices(&self, company: CompanyId) -> Result<Vec<DeviceRecord>, StorageError> {
        pairing::devices(&*self.conn()?, company)
    }

    fn revoke_device(&self, company: CompanyId, device: Uuid, now: DateTime<Utc>) -> Result<bool, StorageError> {
        pairing::revoke_device(&mut *self.conn()?, company, device, now)
    }

    fn resume_device(
        &self,
        device: Uuid,
        secret_hash: &str,
        session: &SessionRecord,
    ) -> Result<Option<DeviceRecord>, StorageError> {
        pairing::resume_device(&mut *self.conn()?, device, secret_hash, session)
    }

    fn device_seen(&self, session: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        pairing::device_seen(&*self.conn()?, session, now)
    }

    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn StorageTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        work(&mut unit_of_work::SqliteStorageTx { tx: &tx, key: &self.key })?;
        tx.commit()?;
        Ok(())
    }

    fn company(&self, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError> {
        unit_of_work::company(&*self.conn()?, id)
    }

    fn companies(&self) -> Result<Vec<CompanyRecord>, StorageError> {
        unit_of_work::companies(&*self.conn()?)
    }

    fn members(&self, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError> {
        unit_of_work::members(&*self.conn()?, company)
    }

    fn log_state(&self, company: CompanyId) -> Result<Option<LogState>, StorageError> {
        log_state(&*self.conn()?, company)
    }

    fn moved(&self, company: CompanyId) -> Result<Option<MoveRecord>, StorageError> {
        company_copy::moved(&*self.conn()?, company)
    }

    fn export_company(
        &self,
        company: CompanyId,
        sink: &mut dyn FnMut(ExportItem) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        company_copy::export(&self.path, company, sink)
    }

    fn in_company(
        &self,
        company: CompanyId,
        work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        in_company(&tx, company, work)?;
        tx.commit()?;
        Ok(())
    }

    fn changes_after(&self, company: CompanyId, after: u64, limit: PageLimit) -> Result<StoredPage, StorageError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, kind, id, body FROM records WHERE company_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        // One row more than the page holds tells whether more follow.
        let mut rows = stmt.query(params![company.0, seq_value(after)?, i64::from(limit.count) + 1])?;
        let changes = std::iter::from_fn(|| {
            let row = match rows.next() {
                Ok(row) => row?,
                Err(e) => return Some(Err(e.into())),
            };
            Some((|| {
                let kind: String = row.get(1)?;
                let kind =
                    RecordKind::parse(&kind).ok_or_else(|| StorageError::Corrupt(format!("record kind “{kind}”")))?;
                Ok(StoredChange {
                    seq: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                    kind,
                    id: row.get(2)?,
                    body: row.get(3)?,
                })
            })())
        });
        StoredPage::fill(limit, changes)
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
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, body FROM records
             WHERE company_id = ?1 AND kind = ?2 AND seq <= ?3 AND body IS NOT NULL
             ORDER BY seq DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![company.0, kind.as_str(), seq_value(last)?, i64::from(limit)], |row| {
            Ok(StoredChange {
                seq: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                kind,
                id: row.get(1)?,
                body: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn count_changes_after(&self, company: CompanyId, after: u64) -> Result<BTreeMap<RecordKind, u64>, StorageError> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT kind, count(*) FROM records WHERE company_id = ?1 AND seq > ?2 GROUP BY kind")?;
        let rows = stmt
            .query_map(params![company.0, seq_value(after)?], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut counts: BTreeMap<RecordKind, u64> = RecordKind::ALL.into_iter().map(|k| (k, 0)).collect();
        for row in rows {
            let (kind, count) = row?;
            let kind =
                RecordKind::parse(&kind).ok_or_else(|| StorageError::Corrupt(format!("record kind “{kind}”")))?;
            counts.insert(kind, u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }

    fn memberships(&self, user: UserId) -> Result<Vec<(CompanyRecord, Role)>, StorageError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT c.id, c.name, c.country, c.created_at, m.role FROM members m JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = ?1 ORDER BY c.name, c.id",
        )?;
        let rows = stmt.query_map([user.0], |r| Ok((company_from_row(r), r.get::<_, String>(4)?)))?;
        rows.map(|row| {
            let (company, role) = row?;
            Ok((company?, parse_role(&role)?))
        })
        .collect()
    }
}

pub(super) fn log_state(conn: &Connection, company: CompanyId) -> Result<Option<LogState>, StorageError> {
    Ok(conn
        .query_row("SELECT epoch, seq, audit_seq, audit_hash FROM logs WHERE company_id = ?1", [company.0], |r| {
            Ok(LogState {
                epoch: r.get(0)?,
                seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                audit_seq: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                audit_hash: r.get(3)?,
            })
        })
        .optional()?)
}

/// Runs `work` on `company`'s log in the open transaction `tx`.
fn in_company(
    tx: &rusqlite::Transaction<'_>,
    company: CompanyId,
    work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let state = log_state(tx, company)?.ok_or(StorageError::NotFound("company"))?;
    if company_copy::moved(tx, company)?.is_some() {
        return Err(StorageError::Moved);
    }
    work(&mut SqliteCompanyTx { tx, company, state })
}

pub(super) fn seq_value(seq: u64) -> Result<i64, StorageError> {
    i64::try_from(seq).map_err(|_| StorageError::Backend(format!("seq {seq} out of range")))
}

/// A company transaction on SQLite.
struct SqliteCompanyTx<'t> {
    tx: &'t rusqlite::Transaction<'t>,
    company: CompanyId,
    state: LogState,
}

impl CompanyTx for SqliteCompanyTx<'_> {
    fn state(&self) -> &LogState {
        &self.state
    }

    fn get(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<StoredRecord>, StorageError> {
        Ok(self
            .tx
            .prepare_cached("SELECT seq, body FROM records WHERE company_id = ?1 AND kind = ?2 AND id = ?3")?
            .query_row(params![self.company.0, kind.as_str(), id], |r| {
                Ok(StoredRecord { seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0), body: r.get(1)? })
            })
            .optional()?)
    }

    fn put(&mut self, kind: RecordKind, id: Uuid, body: Option<&str>) -> Result<u64, StorageError> {
        let seq = self.state.seq + 1;
        self.tx
            .prepare_cached(
                "INSERT INTO records (company_id, kind, id, seq, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (company_id, kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body",
            )?
            .execute(params![self.company.0, kind.as_str(), id, seq_value(seq)?, body])?;
        self.tx
            .prepare_cached("UPDATE logs SET seq = ?2 WHERE company_id = ?1")?
            .execute(params![self.company.0, seq_value(seq)?])?;
        self.state.seq = seq;
        Ok(seq)
    }

    fn claim_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<bool, StorageError> {
        let holder: Option<Uuid> = self
            .tx
            .prepare_cached("SELECT owner FROM unique_keys WHERE company_id = ?1 AND namespace = ?2 AND key = ?3")?
            .query_row(params![self.company.0, namespace, key], |r| r.get(0))
            .optional()?;
        if let Some(holder) = holder {
            return Ok(holder == owner);
        }
        self.tx
            .prepare_cached("INSERT INTO unique_keys (company_id, namespace, key, owner) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![self.company.0, namespace, key, owner])?;
        Ok(true)
    }

    fn release_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<(), StorageError> {
        self.tx
            .prepare_cached(
                "DELETE FROM unique_keys WHERE company_id = ?1 AND namespace = ?2 AND key = ?3 AND owner = ?4",
            )?
            .execute(params![self.company.0, namespace, key, owner])?;
        Ok(())
    }

    /// Contacts and articles have ids of their own: the target alone says.
    fn is_referenced(&mut self, _kind: RecordKind, id: Uuid) -> Result<bool, StorageError> {
        Ok(self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM record_refs WHERE company_id = ?1 AND target = ?2)")?
            .query_row(params![self.company.0, id.to_string()], |r| r.get(0))?)
    }

    fn set_audit_head(&mut self, seq: u64, hash: &str) -> Result<(), StorageError> {
        self.tx
            .prepare_cached("UPDATE logs SET audit_seq = ?2, audit_hash = ?3 WHERE company_id = ?1")?
            .execute(params![self.company.0, seq_value(seq)?, hash])?;
        self.state.audit_seq = seq;
        hash.clone_into(&mut self.state.audit_hash);
        Ok(())
    }

    fn outcome(&mut self, client: Uuid, mutation: u64) -> Result<Option<StoredOutcome>, StorageError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT digest, outcome FROM mutations WHERE company_id = ?1 AND client_id = ?2 AND mutation_id = ?3",
            )?
            .query_row(params![self.company.0, client, seq_value(mutation)?], |r| {
                Ok(StoredOutcome { digest: r.get(0)?, outcome: r.get(1)? })
            })
            .optional()?)
    }

    fn last_mutation(&mut self, client: Uuid) -> Result<Option<u64>, StorageError> {
        let last: Option<i64> = self
            .tx
            .prepare_cached("SELECT max(mutation_id) FROM mutations WHERE company_id = ?1 AND client_id = ?2")?
            .query_row(params![self.company.0, client], |r| r.get(0))?;
        Ok(last.and_then(|m| u64::try_from(m).ok()))
    }

    fn restore_record(&mut self, kind: RecordKind, id: Uuid, seq: u64, body: Option<&str>) -> Result<(), StorageError> {
        company_copy::restore_record(self.tx, self.company, kind, id, seq, body)
    }

    fn restore_outcome(&mut self, client: Uuid, mutation: u64, stored: &StoredOutcome) -> Result<(), StorageError> {
        company_copy::restore_outcome(self.tx, self.company, client, mutation, stored)
    }

    fn save_outcome(&mut self, client: Uuid, mutation: u64, digest: &str, outcome: &str) -> Result<(), StorageError> {
        self.tx
            .prepare_cached(
                "INSERT INTO mutations (company_id, client_id, mutation_id, digest, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![self.company.0, client, seq_value(mutation)?, digest, outcome])?;
        Ok(())
    }

    fn stage_part(&mut self, posting: Uuid, part: &StagedPart, entries: &str) -> Result<(), StorageError> {
        posting_parts::stage(self.tx, self.company, posting, part, entries)
    }

    fn staged_postings(&mut self) -> Result<Vec<Uuid>, StorageError> {
        posting_parts::postings(self.tx, self.company)
    }

    fn staged_parts(&mut self, posting: Uuid) -> Result<Vec<StagedPart>, StorageError> {
        posting_parts::parts(self.tx, self.company, posting)
    }

    fn staged_entries(&mut self, posting: Uuid, part: u32) -> Result<Option<String>, StorageError> {
        posting_parts::entries(self.tx, self.company, posting, part)
    }

    fn staged_bytes(&mut self) -> Result<u64, StorageError> {
        posting_parts::bytes(self.tx, self.company)
    }

    fn drop_parts(&mut self, which: StagedParts) -> Result<usize, StorageError> {
        posting_parts::drop(self.tx, self.company, which)
    }

    fn savepoint(
        &mut self,
        work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let state = self.state.clone();
        self.tx.execute_batch("SAVEPOINT work")?;
        match work(self) {
            Ok(()) => {
                self.tx.execute_batch("RELEASE work")?;
                Ok(())
            }
            Err(e) => {
                self.tx.execute_batch("ROLLBACK TO work; RELEASE work")?;
                self.state = state;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is the failure report")]

    use super::*;

    fn referenced(storage: &SqliteStorage, company: CompanyId, id: Uuid) -> bool {
        let mut answer = false;
        storage
            .in_company(company, &mut |tx| {
                answer = tx.is_referenced(RecordKind::Contact, id)?;
                Ok(())
            })
            .unwrap();
        answer
    }

    /// A `server.sqlite` written before `record_refs` existed gets its references on the
    /// next start; from then on the triggers keep them as records change.
    #[test]
    fn references_are_filled_in_for_old_files_and_kept_by_the_triggers() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let company = crate::admin::create_company(&storage, "Ancienne", "FR").unwrap();
        let (customer, article, payer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let document = format!(
            r#"{{"kind":"document","record":{{"document":{{"contact_id":"{customer}",
                "lines":[{{"article_id":"{article}"}},{{"article_id":null}},{{"article_id":"{article}"}}]}}}}}}"#
        );
        let payment = format!(r#"{{"kind":"payment","record":{{"contact_id":"{payer}"}}}}"#);
        let (document_id, payment_id) = (Uuid::now_v7(), Uuid::now_v7());
        storage
            .in_company(company, &mut |tx| {
                tx.put(RecordKind::Document, document_id, Some(&document))?;
                tx.put(RecordKind::Payment, payment_id, Some(&payment))?;
                Ok(())
            })
            .unwrap();
        // As a file of version 1: no table, no triggers, no digests (version 3), no
        // devices' secrets (version 7).
        storage
            .conn()
            .unwrap()
            .execute_batch(
                "DROP TRIGGER record_refs_insert; DROP TRIGGER record_refs_update; DROP TABLE record_refs;
                 ALTER TABLE mutations DROP COLUMN digest; ALTER TABLE devices DROP COLUMN secret_hash;
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        drop(storage);

        let storage = SqliteStorage::open(dir.path()).unwrap();
        for id in [customer, article, payer] {
            assert!(referenced(&storage, company, id), "{id} found in the old records");
        }
        assert!(!referenced(&storage, company, Uuid::now_v7()));
        // A new version of the document without the article, then the document deleted.
        let without =
            document.replace(&article.to_string(), "x").replace(r#""article_id":"x""#, r#""article_id":null"#);
        storage
            .in_company(company, &mut |tx| tx.put(RecordKind::Document, document_id, Some(&without)).map(drop))
            .unwrap();
        assert!(!referenced(&storage, company, article));
        assert!(referenced(&storage, company, customer));
        storage.in_company(company, &mut |tx| tx.put(RecordKind::Document, document_id, None).map(drop)).unwrap();
        assert!(!referenced(&storage, company, customer));
        assert!(referenced(&storage, company, payer));
    }
}
