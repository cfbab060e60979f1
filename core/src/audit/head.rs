//! The head of a company's audit chain as the server vouches for it.
//!
//! A chain that only checks against itself proves little: a trail with its last records
//! removed, or rebuilt from its first record with every hash computed again, still
//! verifies. So the server signs the head of each company's chain — its last record's
//! number and hash, the company and the time — with an ed25519 key kept outside its
//! database, and sends the signed head with the last page of every pull. A copy keeps the
//! latest head it received and the server's public key (published in the sync status,
//! pinned at the first download); [`super::check`] then checks the chain up to that head.
//!
//! The signed bytes are spelled out in [`signing_input`] like the records' own hash input,
//! so that a head stays verifiable whatever library versions come later. Keys and
//! signatures travel as standard base64 (32 and 64 bytes).

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Serialize};

use super::push_field;
use crate::model::CompanyId;

/// A head the server signed: the last record of a company's chain at `signed_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedAuditHead {
    pub company_id: CompanyId,
    /// The number of the chain's last record (0 while the chain is empty).
    pub seq: u64,
    /// That record's hash (64 hex digits; the genesis hash while the chain is empty).
    pub hash: String,
    /// When the server signed it (to the microsecond).
    pub signed_at: DateTime<Utc>,
    /// The server's public key that made the signature: ed25519, 32 bytes, base64. The
    /// same key as the sync status's `audit_key`.
    #[cfg_attr(feature = "openapi", schema(example = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="))]
    pub key: String,
    /// The ed25519 signature (64 bytes, base64) of the head's signing input: the line
    /// `comptoir-audit-head-v1`, then the company id, seq, hash and `signed_at` (RFC 3339,
    /// microseconds, `Z`), each as `LENGTH:VALUE` on a line of its own.
    pub signature: String,
}

/// The exact bytes a head's signature covers (version 1 of the format).
pub fn signing_input(company: CompanyId, seq: u64, hash: &str, signed_at: DateTime<Utc>) -> Vec<u8> {
    let mut out = b"comptoir-audit-head-v1\n".to_vec();
    push_field(&mut out, &company.to_string());
    push_field(&mut out, &seq.to_string());
    push_field(&mut out, hash);
    push_field(&mut out, &signed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    out
}

impl SignedAuditHead {
    /// Whether the signature is the one `key` (base64) makes over this head. Any
    /// malformed key or signature is simply not a valid signature.
    pub fn signed_by(&self, key: &str) -> bool {
        let (Ok(key), Ok(signature)) = (STANDARD.decode(key.trim()), STANDARD.decode(self.signature.trim())) else {
            return false;
        };
        let message = signing_input(self.company_id, self.seq, &self.hash, self.signed_at);
        UnparsedPublicKey::new(&ED25519, key).verify(&message, &signature).is_ok()
    }
}

/// Why a signing key cannot be made or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    #[error("not an ed25519 private key in PKCS#8: {0}")]
    Invalid(String),
    #[error("no ed25519 key could be generated")]
    Generate,
}

/// The server's signing key. Its `Debug` output shows only the public key.
pub struct AuditSigner {
    pair: Ed25519KeyPair,
    public_key: String,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSigner").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

impl AuditSigner {
    /// A new random key, and its PKCS#8 document (DER) to keep.
    pub fn generate() -> Result<(Self, Vec<u8>), SigningKeyError> {
        let document = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| SigningKeyError::Generate)?;
        let der = document.as_ref().to_vec();
        Ok((Self::from_pkcs8(&der)?, der))
    }

    /// The key of a PKCS#8 document (DER), v1 (as `openssl genpkey -algorithm ed25519`
    /// writes) or v2.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, SigningKeyError> {
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|e| SigningKeyError::Invalid(e.to_string()))?;
        let public_key = STANDARD.encode(pair.public_key().as_ref());
        Ok(Self { pair, public_key })
    }

    /// The public key, base64: what clients pin and verify heads with.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Signs the head `(company, seq, hash)` at `now` (kept to the microsecond, the
    /// precision the signing input spells).
    pub fn sign(&self, company: CompanyId, seq: u64, hash: &str, now: DateTime<Utc>) -> SignedAuditHead {
        let signed_at = now.trunc_subsecs(6);
        let signature = self.pair.sign(&signing_input(company, seq, hash, signed_at));
        SignedAuditHead {
            company_id: company,
            seq,
            hash: hash.to_owned(),
            signed_at,
            key: self.public_key.clone(),
            signature: STANDARD.encode(signature.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::GENESIS_HASH;
    use chrono::TimeZone as _;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789)
    }

    #[test]
    fn a_head_verifies_with_its_key_only() {
        let (signer, der) = AuditSigner::generate().unwrap();
        let company = CompanyId::new();
        let head = signer.sign(company, 12, &"ab".repeat(32), at());
        assert_eq!(head.key, signer.public_key());
        assert_eq!(head.signed_at.timestamp_subsec_nanos(), 123_456_000, "kept to the microsecond");
        assert!(head.signed_by(signer.public_key()));
        // The same key read back from its document signs the same way.
        let again = AuditSigner::from_pkcs8(&der).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
        assert!(again.sign(company, 0, GENESIS_HASH, at()).signed_by(signer.public_key()));

        let (other, _) = AuditSigner::generate().unwrap();
        assert!(!head.signed_by(other.public_key()), "another key");
        assert!(!head.signed_by("not base64!"), "a malformed key");
        assert!(!head.signed_by(""), "no key");
    }

    #[test]
    fn every_part_of_the_head_is_signed() {
        let (signer, _) = AuditSigner::generate().unwrap();
        let head = signer.sign(CompanyId::new(), 40, &"cd".repeat(32), at());
        let key = signer.public_key();
        let changed: [SignedAuditHead; 5] = [
            SignedAuditHead { company_id: CompanyId::new(), ..head.clone() },
            SignedAuditHead { seq: 41, ..head.clone() },
            SignedAuditHead { hash: "ce".repeat(32), ..head.clone() },
            SignedAuditHead { signed_at: head.signed_at + chrono::Duration::microseconds(1), ..head.clone() },
            SignedAuditHead { signature: STANDARD.encode([0_u8; 64]), ..head.clone() },
        ];
        for forged in changed {
            assert!(!forged.signed_by(key), "{forged:?}");
        }
        assert!(head.signed_by(key));
    }

    #[test]
    fn a_head_travels_as_json_and_still_verifies() {
        let (signer, _) = AuditSigner::generate().unwrap();
        let head = signer.sign(CompanyId::new(), 3, &"ef".repeat(32), at());
        let json = serde_json::to_string(&head).unwrap();
        let back: SignedAuditHead = serde_json::from_str(&json).unwrap();
        assert_eq!(back, head);
        assert!(back.signed_by(signer.public_key()));
    }

    #[test]
    fn a_key_that_is_not_pkcs8_is_refused() {
        assert!(matches!(AuditSigner::from_pkcs8(b"not a key"), Err(SigningKeyError::Invalid(_))));
        let debug = format!("{:?}", AuditSigner::generate().unwrap().0);
        assert!(debug.contains("public_key"), "{debug}");
    }
}
