//! The audit trail: who did what, when, to which record, with the fields changed (before
//! and after). Records of a company form a chain: each one's hash covers its content and
//! the previous record's hash, so altering, removing or reordering any record breaks every
//! link after it. The server appends; clients receive the trail through sync and can check
//! their copy with [`verify_chain`].
//!
//! The hashed bytes are spelled out in [`AuditRecord::hash_input`] rather than left to a
//! serialiser, so that the chain stays verifiable whatever library versions come later.
//!
//! A chain checked only against itself cannot tell a trail cut short or rebuilt from its
//! first record: the server also signs the chain's head ([`head`]), and a copy's trail is
//! checked up to the head it received ([`check`]).

pub mod check;
pub mod head;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::{CompanyId, UserId};

pub use check::{SignedPoint, TrailCheck, TrailError, TrailReport, verify_trail};
pub use head::{AuditSigner, SignedAuditHead, SigningKeyError};

/// The hash that precedes the first record of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One changed field, with its values as text (empty when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One entry of a company's audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Position in the company's chain: 1, 2, 3 … without gaps.
    pub seq: u64,
    pub company_id: CompanyId,
    pub at: DateTime<Utc>,
    /// Who acted (none for the system itself).
    pub user_id: Option<UserId>,
    /// The actor's email at the time, kept so the trail reads well after they leave.
    pub user_email: String,
    /// `create`, `update`, `issue`, `payment`, `archive`, `sign_in`, `sign_in_failed`,
    /// `role_change`, `export`, `pair_device`, `revoke_device` …
    pub action: String,
    /// `contact`, `invoice`, `member` … (empty for sign-ins).
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub changes: Vec<FieldChange>,
    pub prev_hash: String,
    pub hash: String,
}

/// SHA-256 of `data`, as 64 lower-case hex digits.
pub fn sha256_hex(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(data);
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in &digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Where and why a chain does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit record {seq}: its content does not match its hash (it was altered)")]
    Altered { seq: u64 },
    #[error("audit record {seq}: it does not follow the record before it (a record was removed or inserted)")]
    Broken { seq: u64 },
    #[error("audit record {seq}: expected number {expected} (records are missing or out of order)")]
    OutOfSequence { seq: u64, expected: u64 },
}

impl ChainError {
    /// The record where the chain first breaks.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Altered { seq } | Self::Broken { seq } | Self::OutOfSequence { seq, .. } => *seq,
        }
    }

    /// A stable code, for messages and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Altered { .. } => "audit_record_altered",
            Self::Broken { .. } => "audit_chain_broken",
            Self::OutOfSequence { .. } => "audit_out_of_sequence",
        }
    }
}

/// Text fields are length-prefixed so that no choice of values can make two different
/// records hash the same bytes.
fn push_field(out: &mut Vec<u8>, value: &str) {
    out.extend_from_slice(value.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

impl AuditRecord {
    /// The exact bytes the hash covers (version 1 of the format).
    pub fn hash_input(&self) -> Vec<u8> {
        let mut out = b"comptoir-audit-v1\n".to_vec();
        push_field(&mut out, &self.prev_hash);
        push_field(&mut out, &self.seq.to_string());
        push_field(&mut out, &self.company_id.to_string());
        push_field(&mut out, &self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        push_field(&mut out, &self.user_id.map(|u| u.to_string()).unwrap_or_default());
        push_field(&mut out, &self.user_email);
        push_field(&mut out, &self.action);
        push_field(&mut out, &self.entity);
        push_field(&mut out, &self.entity_id.map(|u| u.to_string()).unwrap_or_default());
        push_field(&mut out, &self.changes.len().to_string());
        for change in &self.changes {
            push_field(&mut out, &change.field);
            // "-" marks an absent value, distinct from an empty one ("0:").
            for value in [&change.before, &change.after] {
                match value {
                    Some(v) => push_field(&mut out, v),
                    None => out.extend_from_slice(b"-\n"),
                }
            }
        }
        out
    }

    /// The record's hash as it should be: SHA-256 of [`Self::hash_input`], hex.
    pub fn compute_hash(&self) -> String {
        sha256_hex(&self.hash_input())
    }

    /// Links this record after `previous` (or first, when `None`) and seals it.
    #[must_use]
    pub fn seal_after(self, previous: Option<&Self>) -> Self {
        let (seq, hash) = previous.map_or((0, GENESIS_HASH), |p| (p.seq, p.hash.as_str()));
        self.seal(seq + 1, hash)
    }

    /// Makes this record number `seq` of its chain, after the record whose hash is
    /// `prev_hash` ([`GENESIS_HASH`] for the first), and computes its hash.
    #[must_use]
    pub fn seal(mut self, seq: u64, prev_hash: &str) -> Self {
        self.seq = seq;
        prev_hash.clone_into(&mut self.prev_hash);
        self.hash = self.compute_hash();
        self
    }
}

/// Checks a chain one record at a time, from its first, so that a long trail is checked
/// without holding it in memory.
#[derive(Clone, Debug)]
pub struct ChainCheck {
    previous_hash: String,
    expected: u64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self { previous_hash: GENESIS_HASH.to_owned(), expected: 1 }
    }
}

impl ChainCheck {
    /// Checks the next record; the first error names the record where the chain breaks.
    pub fn next(&mut self, record: &AuditRecord) -> Result<(), ChainError> {
        if record.seq != self.expected {
            return Err(ChainError::OutOfSequence { seq: record.seq, expected: self.expected });
        }
        if record.compute_hash() != record.hash {
            return Err(ChainError::Altered { seq: record.seq });
        }
        if record.prev_hash != self.previous_hash {
            return Err(ChainError::Broken { seq: record.seq });
        }
        self.previous_hash.clone_from(&record.hash);
        self.expected += 1;
        Ok(())
    }

    /// How many records have been checked.
    pub fn checked(&self) -> u64 {
        self.expected - 1
    }
}

/// Checks a company's chain from its first record, in order. Names the first record
/// where it breaks.
pub fn verify_chain<'a>(records: impl IntoIterator<Item = &'a AuditRecord>) -> Result<u64, ChainError> {
    let mut check = ChainCheck::default();
    for record in records {
        check.next(record)?;
    }
    Ok(check.checked())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn chain(length: u64) -> Vec<AuditRecord> {
        let company = CompanyId::new();
        let user = UserId::new();
        let mut records: Vec<AuditRecord> = Vec::new();
        for i in 0..length {
            let record = AuditRecord {
                seq: 0,
                company_id: company,
                at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
                    + chrono::Duration::minutes(i64::try_from(i).unwrap()),
                user_id: Some(user),
                user_email: "claire@atelier.fr".into(),
                action: if i == 0 { "create".into() } else { "update".into() },
                entity: "invoice".into(),
                entity_id: Some(Uuid::nil()),
                changes: vec![FieldChange {
                    field: "notes".into(),
                    before: (i > 0).then(|| format!("v{i}")),
                    after: Some(format!("v{}", i + 1)),
                }],
                prev_hash: String::new(),
                hash: String::new(),
            };
            let sealed = record.seal_after(records.last());
            records.push(sealed);
        }
        records
    }

    #[test]
    fn a_sealed_chain_verifies() {
        let records = chain(20);
        assert_eq!(verify_chain(&records), Ok(20));
        assert_eq!(records[0].prev_hash, GENESIS_HASH);
        assert_eq!(records[1].prev_hash, records[0].hash);
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn an_altered_record_is_named() {
        let mut records = chain(10);
        records[6].changes[0].after = Some("1 000,00 €".into());
        let err = verify_chain(&records).unwrap_err();
        assert_eq!(err, ChainError::Altered { seq: 7 });
        assert_eq!(err.seq(), 7);
        assert!(err.to_string().contains("altered"));
    }

    #[test]
    fn an_altered_and_rehashed_record_breaks_the_next_link() {
        let mut records = chain(10);
        records[3].user_email = "someone@else.fr".into();
        records[3].hash = records[3].compute_hash();
        assert_eq!(verify_chain(&records), Err(ChainError::Broken { seq: 5 }));
    }

    #[test]
    fn removed_or_reordered_records_are_detected() {
        let mut removed = chain(10);
        removed.remove(4);
        assert_eq!(verify_chain(&removed), Err(ChainError::OutOfSequence { seq: 6, expected: 5 }));
        let mut swapped = chain(10);
        swapped.swap(2, 3);
        assert_eq!(verify_chain(&swapped), Err(ChainError::OutOfSequence { seq: 4, expected: 3 }));
    }

    #[test]
    fn absent_and_empty_values_hash_differently() {
        let mut a = chain(1).remove(0);
        a.changes[0].before = None;
        let mut b = a.clone();
        b.changes[0].before = Some(String::new());
        assert_ne!(a.compute_hash(), b.compute_hash());
        // Moving text between fields changes the hash too.
        let mut c = a.clone();
        c.action = "updateinvoice".into();
        c.entity = String::new();
        let mut d = a.clone();
        d.action = "update".into();
        d.entity = "invoice".into();
        assert_ne!(c.compute_hash(), d.compute_hash());
    }
}
