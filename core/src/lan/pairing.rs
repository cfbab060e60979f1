//! What a device and its host say to pair (`/v1/pair/…`), by link or by typed code.
//!
//! - By link (the QR code): the device already pins the host's certificate; it sends the
//!   link's secret ([`ClaimRequest`]) and gets a session ([`Paired`]).
//! - By code: the device's first contact ([`super::pin::first_contact_config`]) carries
//!   the SPAKE2 exchange only ([`CodeStart`], [`CodeAnswer`]); once the host proved the
//!   code and its certificate, the device confirms ([`CodeConfirm`]) and gets the same
//!   [`Paired`].
//!
//! Either way the invitation is spent: one invitation, one device.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::Role;
use crate::sync::Tokens;

/// The longest device name kept (characters).
pub const MAX_DEVICE_NAME: usize = 80;

/// `POST /v1/pair/claim`: the link's secret.
#[derive(Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimRequest {
    /// The link's `s` (base64url, 22 characters).
    pub secret: String,
    /// How the host lists this device ("Portable de la boutique").
    pub device_name: String,
}

impl std::fmt::Debug for ClaimRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimRequest").field("device_name", &self.device_name).finish_non_exhaustive()
    }
}

/// `POST /v1/pair/code`: the first step by code.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeStart {
    /// The code's first four digits: which invitation.
    pub handle: String,
    /// The device's SPAKE2 message, base64url.
    pub message: String,
}

/// The host's answer to [`CodeStart`].
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeAnswer {
    /// Names this exchange in [`CodeConfirm`].
    pub exchange: Uuid,
    /// The host's SPAKE2 message, base64url.
    pub message: String,
    /// The HMAC of the host's certificate fingerprint under the exchange's key, base64url.
    pub confirmation: String,
}

/// `POST /v1/pair/code/confirm`: the device proves it typed the code and saw this host.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeConfirm {
    pub exchange: Uuid,
    /// The HMAC of the fingerprint the device saw, base64url.
    pub confirmation: String,
    pub device_name: String,
}

/// A device paired: its session, the company it joined, as whom. Its `Debug` output
/// leaves the device's secret out (the tokens hide theirs).
#[derive(Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paired {
    pub tokens: Tokens,
    /// The device's id in the host's list (what the host revokes).
    pub device_id: Uuid,
    pub company_id: Uuid,
    pub company_name: String,
    /// The member's email and role, as the invitation said.
    pub email: String,
    pub role: Role,
    /// The device's own secret (base64url, 32 bytes), given once: with it the device
    /// signs in again (`POST /v1/pair/resume`) when the host no longer knows its refresh
    /// token (the host was restored from a backup). Keep it as a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_secret: Option<String>,
}

impl std::fmt::Debug for Paired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paired")
            .field("tokens", &self.tokens)
            .field("device_id", &self.device_id)
            .field("company_id", &self.company_id)
            .field("company_name", &self.company_name)
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/pair/resume`: a paired device signs in again with its own secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResumeRequest {
    pub device_id: Uuid,
    /// The secret it was given at pairing (base64url).
    pub secret: String,
}

impl std::fmt::Debug for ResumeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResumeRequest").field("device_id", &self.device_id).finish_non_exhaustive()
    }
}

/// A device name as kept: trimmed, control characters dropped, at most
/// [`MAX_DEVICE_NAME`] characters; `None` when nothing is left.
pub fn clean_device_name(name: &str) -> Option<String> {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(MAX_DEVICE_NAME).collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_owned())
}

/// The name a device gives itself: its host name, else a plain one.
pub fn this_device_name() -> String {
    let name = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok());
    name.and_then(|name| clean_device_name(&name)).unwrap_or_else(|| "Comptoir".to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn device_names_are_cleaned() {
        assert_eq!(clean_device_name("  Caisse\n 2 "), Some("Caisse 2".to_owned()));
        assert_eq!(clean_device_name("\u{7}\t "), None);
        assert_eq!(clean_device_name(&"é".repeat(500)).map(|n| n.chars().count()), Some(MAX_DEVICE_NAME));
    }

    proptest! {
        #[test]
        fn any_name_is_cleaned_or_refused(name in "\\PC{0,200}") {
            if let Some(clean) = clean_device_name(&name) {
                prop_assert!(clean.chars().count() <= MAX_DEVICE_NAME);
                prop_assert!(!clean.chars().any(char::is_control));
                prop_assert_eq!(clean.trim(), clean.as_str());
            }
        }
    }
}
