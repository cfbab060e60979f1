//! The server's storage, behind a narrow interface of its own.
//!
//! Everything above this module speaks [`Storage`] and the plain record types below, never
//! SQL: the embedded SQLite backend ([`SqliteStorage`]) is the default, and a PostgreSQL
//! backend must be able to pass the same tests. Each method is one transaction; invariants
//! that must hold whatever runs concurrently (one refresh token rotation wins; a company
//! keeps an owner) are enforced inside the method, not by its callers. Storage never reads
//! the clock: callers pass the time, so tests can move it.

mod sqlite;

use chrono::{DateTime, Utc};
use comptoir_core::model::{CompanyId, Role, UserId};
use thiserror::Error;
use uuid::Uuid;

pub use sqlite::SqliteStorage;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("a company must keep at least one owner")]
    LastOwner,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    /// Stored lower-cased; it identifies the account and cannot be changed by the user.
    pub email: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Base32 TOTP secret: set when two-factor is being set up or is on.
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    /// The last TOTP time step accepted, so a code is never accepted twice.
    pub totp_last_step: Option<u64>,
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl UserRecord {
    /// A new account without two-factor. `display_name` defaults to the email's local part.
    pub fn new(email: &str, display_name: Option<&str>, password_hash: String) -> Self {
        let email = email.trim().to_lowercase();
        let display_name = display_name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map_or_else(|| email.split('@').next().unwrap_or_default().to_owned(), str::to_owned);
        Self {
            id: UserId::new(),
            email,
            display_name,
            password_hash,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            failed_logins: 0,
            locked_until: None,
        }
    }
}

impl std::fmt::Debug for UserRecord {
    /// Secrets stay out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("totp_enabled", &self.totp_enabled)
            .field("failed_logins", &self.failed_logins)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

/// A signed-in device: one refresh token at a time, rotated on each use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: UserId,
    /// SHA-256 of the current refresh token; tokens themselves are never stored.
    pub refresh_hash: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// What an access token (by its hash) grants, while its session lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessGrant {
    pub session_id: Uuid,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
}

/// How a refresh token presented for rotation turned out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// Rotated: the old token is dead, the new one stands.
    Rotated(SessionRecord),
    /// The token was already rotated away: someone replayed it. The session was revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyRecord {
    pub id: CompanyId,
    pub name: String,
    /// ISO country code: FR, BE, CH …
    pub country: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRecord {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// The server's storage. Implementations are shared between request handlers and must be
/// safe to call from several threads.
pub trait Storage: Send + Sync + 'static {
    // Users.
    fn create_user(&self, user: &UserRecord) -> Result<(), StorageError>;
    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StorageError>;
    fn user(&self, id: UserId) -> Result<Option<UserRecord>, StorageError>;
    /// Saves every field but the id and the email (which never change).
    fn update_user(&self, user: &UserRecord) -> Result<(), StorageError>;

    // Sessions and tokens (all stored as hashes).
    fn create_session(&self, session: &SessionRecord) -> Result<(), StorageError>;
    /// Atomically replaces the session's refresh token `old_hash` by `new_hash`.
    fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expiry: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StorageError>;
    /// Stores an access token's hash; tokens expired at `now` are swept on the way.
    fn add_access_token(&self, hash: &str, grant: &AccessGrant, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// The grant of a live access token (not expired at `now`, session not revoked).
    fn access_grant(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<AccessGrant>, StorageError>;
    fn revoke_session(&self, session: Uuid) -> Result<(), StorageError>;
    /// Revokes every session of `user` but `except`.
    fn revoke_sessions_of(&self, user: UserId, except: Option<Uuid>) -> Result<(), StorageError>;
    /// A two-factor challenge: proof that the password step passed, for a short time.
    fn add_challenge(
        &self,
        hash: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// The user a live challenge belongs to; the challenge stays until it expires or is
    /// consumed by [`Self::consume_challenge`].
    fn challenge(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<UserId>, StorageError>;
    fn consume_challenge(&self, hash: &str) -> Result<(), StorageError>;

    // Companies and their members.
    fn create_company(&self, company: &CompanyRecord) -> Result<(), StorageError>;
    fn company(&self, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError>;
    fn companies(&self) -> Result<Vec<CompanyRecord>, StorageError>;
    /// Adds `user` to `company` with `role`, or changes their role. Refused with
    /// [`StorageError::LastOwner`] when it would leave the company without an owner.
    fn set_member(&self, company: CompanyId, user: UserId, role: Role) -> Result<(), StorageError>;
    /// Removes `user` from `company`; never the last owner.
    fn remove_member(&self, company: CompanyId, user: UserId) -> Result<(), StorageError>;
    fn members(&self, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError>;
    fn memberships(&self, user: UserId) -> Result<Vec<(CompanyRecord, Role)>, StorageError>;
}
