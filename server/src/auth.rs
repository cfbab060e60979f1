//! Passwords, tokens and two-factor codes.
//!
//! - Passwords: Argon2id (the crate's defaults: 19 MiB, 2 passes), PHC strings.
//! - Tokens: 256 random bits, base64url; only their SHA-256 is stored, so a copy of the
//!   database grants nothing.
//! - Two-factor: TOTP per RFC 6238 (HMAC-SHA-1, 6 digits, 30 s steps, one step of drift
//!   either way), as Google Authenticator and the like compute it; a code is accepted once.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use totp_rs::{Secret, Totp};

/// The issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "Comptoir";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("no secure random source: {0}")]
    Random(String),
    #[error("invalid two-factor secret: {0}")]
    Totp(String),
}

pub use comptoir_core::clock::{Clock, ManualClock, SystemClock};

/// Lifetimes and the failed-login policy.
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long the two-factor step may follow the password step.
    pub challenge_ttl: Duration,
    /// After this many failures in a row, each new attempt must wait (1 s, 2 s, 4 s … 60 s).
    pub slow_down_after: u32,
    /// After this many failures in a row, the account is locked for `lock_duration`.
    pub lock_after: u32,
    pub lock_duration: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(90),
            challenge_ttl: Duration::minutes(5),
            slow_down_after: 3,
            lock_after: 10,
            lock_duration: Duration::minutes(15),
        }
    }
}

impl AuthPolicy {
    /// How long to wait before the next attempt after `failures` failures in a row, and
    /// whether that wait is a lock.
    pub fn wait_after(&self, failures: u32) -> Option<(Duration, bool)> {
        if failures >= self.lock_after {
            Some((self.lock_duration, true))
        } else if failures >= self.slow_down_after {
            let exponent = (failures - self.slow_down_after).min(6);
            Some((Duration::seconds((1_i64 << exponent).min(60)), false))
        } else {
            None
        }
    }
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// A fixed hash to verify against when the email is unknown, so that an unknown email
/// costs the same time as a wrong password and does not reveal which accounts exist.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("comptoir-timing-equaliser").unwrap_or_default())
}

fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(bytes)
}

/// A new bearer token (access, refresh or challenge).
pub fn new_token() -> Result<String, AuthError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// What is stored of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    comptoir_core::audit::sha256_hex(token.as_bytes())
}

/// A new TOTP secret (160 bits, as RFC 4226 recommends), base32.
pub fn new_totp_secret() -> Result<String, AuthError> {
    Ok(Secret::from(random_bytes::<20>()?.to_vec()).to_base32())
}

fn totp(secret_base32: &str, account: &str) -> Result<Totp, AuthError> {
    let secret = Secret::try_from_base32(secret_base32).map_err(|e| AuthError::Totp(e.to_string()))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(TOTP_ISSUER))
        .build()
        .map_err(|e| AuthError::Totp(e.to_string()))
}

/// The `otpauth://` URI an authenticator app scans.
pub fn totp_uri(secret_base32: &str, account: &str) -> Result<String, AuthError> {
    totp(secret_base32, account)?.to_url().map_err(|e| AuthError::Totp(e.to_string()))
}

/// The time step `code` is valid for at `now` (one step of drift allowed), if any.
pub fn totp_step(secret_base32: &str, code: &str, now: DateTime<Utc>) -> Result<Option<u64>, AuthError> {
    let Ok(time) = u64::try_from(now.timestamp()) else { return Ok(None) };
    let totp = totp(secret_base32, "")?;
    Ok(totp.check(code.trim(), time))
}

/// The time step of `code` if it is valid for `user` at `now` and newer than the last
/// code they used: each code is accepted once (RFC 6238 §5.2).
pub fn fresh_totp_step(
    user: &crate::storage::UserRecord,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<u64>, AuthError> {
    let Some(secret) = &user.totp_secret else { return Ok(None) };
    let step = totp_step(secret, code, now)?;
    Ok(step.filter(|step| user.totp_last_step.is_none_or(|last| *step > last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_test_vector() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890": T = 59 s gives
        // 94287082 in 8 digits, so 287082 in 6; T = 1111111109 s gives 07081804 → 081804.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let at = |t| DateTime::from_timestamp(t, 0).unwrap();
        assert!(totp_step(&secret, "287082", at(59)).unwrap().is_some());
        assert!(totp_step(&secret, "081804", at(1_111_111_109)).unwrap().is_some());
        // One step of drift either way, not two.
        assert!(totp_step(&secret, "287082", at(59 + 30)).unwrap().is_some());
        assert!(totp_step(&secret, "287082", at(59 + 60)).unwrap().is_none());
        assert!(totp_step(&secret, "000000", at(59)).unwrap().is_none());
    }

    #[test]
    fn passwords_and_tokens() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn failed_login_policy() {
        let policy = AuthPolicy::default();
        assert_eq!(policy.wait_after(2), None);
        assert_eq!(policy.wait_after(3), Some((Duration::seconds(1), false)));
        assert_eq!(policy.wait_after(5), Some((Duration::seconds(4), false)));
        assert_eq!(policy.wait_after(10), Some((Duration::minutes(15), true)));
    }
}
