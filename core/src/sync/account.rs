//! Signing in and the account: what the client sends and receives on `/v1/auth` and
//! `/v1/account`. Secrets (passwords, tokens) never show in `Debug` output, so they
//! cannot end up in logs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("email", &self.email).finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpLogin {
    /// From the `totp_required` answer of the password step.
    pub challenge: String,
    pub code: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A signed-in session's tokens.
#[derive(Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    /// Rotates on every refresh: keep only the latest.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user_id: Uuid,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginResponse {
    SignedIn(Tokens),
    /// The password was right; send a code from the authenticator with this challenge.
    TotpRequired {
        challenge: String,
        expires_at: DateTime<Utc>,
    },
}

#[derive(Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipView {
    pub company_id: Uuid,
    pub name: String,
    pub country: String,
    pub role: crate::model::Role,
}

/// `GET /v1/account`: who I am and my companies, with my role in each.
#[derive(Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub totp_enabled: bool,
    pub companies: Vec<MembershipView>,
}

/// `POST /v1/account/password`: the current password, and the new one.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// `POST /v1/account/totp/setup`: scan the URI (or type the secret), then confirm with a code.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
}

impl std::fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSetup { .. }")
    }
}

/// `POST /v1/account/totp/enable` and `/disable`: the account's current password, and a
/// code of the authenticator app (of the device being set up, to turn two-factor on; of
/// the device in use, to turn it off). A session token alone is not enough.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpChange {
    pub current_password: String,
    pub code: String,
}

impl std::fmt::Debug for TotpChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpChange").field("code", &self.code).finish_non_exhaustive()
    }
}
