//! The integrity check of a copy's audit trail: its chain, and the chain against the
//! head the server signed ([`super::head`]).
//!
//! In order, the check
//! 1. verifies the signed head with the server's key pinned at the first download: a head
//!    whose signature does not verify is *forged*, one signed with another key is named
//!    as a *changed key*;
//! 2. walks the chain from its first record ([`super::ChainCheck`]): an altered, removed,
//!    inserted or reordered record breaks it where it happens;
//! 3. requires the record at the signed seq to carry exactly the signed hash: a chain
//!    rebuilt from its first record (every hash computed again, as a forger would) holds
//!    together but differs there — it was *rewritten*;
//! 4. requires the chain to reach the signed seq: a trail whose last records were removed
//!    ends before it — its *tail is missing*.
//!
//! Records after the signed head (pulled after it, or written since) are fine, and counted
//! as not yet signed. A copy that never received a head (from before signing, or never
//! synced since) is checked as a chain only, and says so; one that pinned the server's key
//! (with its first head) but holds no head any more had its head *removed*.
//!
//! What the check cannot see: records after the signed head removed (they were never
//! signed), and a copy whose head and pinned key were both removed (it reads as never
//! signed, which the app shows as not vouched for, not as intact). The server's own chain
//! stays the reference: a re-download brings it back whole.

use chrono::{DateTime, Utc};

use super::head::SignedAuditHead;
use super::{AuditRecord, ChainCheck, ChainError, GENESIS_HASH};
use crate::model::CompanyId;

/// Why a copy's audit trail fails its integrity check; each with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrailError {
    /// The chain does not hold together.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The chain ends before the record the server signed: its last records were removed.
    #[error(
        "the trail ends at record {last} but the server signed it up to record {signed}: its last records were removed"
    )]
    MissingTail { signed: u64, last: u64 },
    /// The record at the signed seq is not the one the server signed, though the chain
    /// holds together: it was rebuilt.
    #[error("record {seq} is not the one the server signed: the chain was rewritten")]
    Rewritten { seq: u64 },
    /// The kept head does not bear the server's signature (or names another company).
    #[error("the signed head (record {seq}) does not bear the server's signature: it was forged")]
    ForgedHead { seq: u64 },
    /// The copy pinned the server's key with its first signed head, but holds no head any
    /// more: it was removed.
    #[error("the copy received a head signed by the server, but it was removed")]
    HeadRemoved,
    /// The kept head was signed with a key other than the one pinned at the first download.
    #[error("the signed head was made with key {key}, not with the server's key of the first download ({pinned})")]
    KeyChanged { pinned: String, key: String },
}

impl TrailError {
    /// A stable code, for messages and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Chain(e) => e.code(),
            Self::MissingTail { .. } => "audit_tail_missing",
            Self::Rewritten { .. } => "audit_chain_rewritten",
            Self::ForgedHead { .. } => "audit_head_forged",
            Self::HeadRemoved => "audit_head_removed",
            Self::KeyChanged { .. } => "audit_key_changed",
        }
    }

    /// The record the failure is about, when there is one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Self::Chain(e) => Some(e.seq()),
            Self::MissingTail { signed, .. } => Some(*signed),
            Self::Rewritten { seq } | Self::ForgedHead { seq } => Some(*seq),
            Self::HeadRemoved | Self::KeyChanged { .. } => None,
        }
    }
}

/// Up to where the server vouched for the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedPoint {
    pub seq: u64,
    pub signed_at: DateTime<Utc>,
}

/// What a trail that passes its check holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrailReport {
    /// Records checked, from the first.
    pub records: u64,
    /// The head the chain was checked against; `None` when the copy has none yet.
    pub signed: Option<SignedPoint>,
    /// Records after the signed head (all of them when there is no head).
    pub unsigned: u64,
}

/// Checks a trail one record at a time, from its first, against a signed head.
#[derive(Clone, Debug)]
pub struct TrailCheck {
    chain: ChainCheck,
    /// The signed head's seq and hash.
    head: Option<(u64, String)>,
    signed_at: Option<DateTime<Utc>>,
}

impl TrailCheck {
    /// Starts a check of `company`'s trail against `head`, verified with `pinned` (the
    /// server's key of the first download). Fails at once when the head is forged or of
    /// another key.
    pub fn new(head: Option<&SignedAuditHead>, pinned: Option<&str>, company: CompanyId) -> Result<Self, TrailError> {
        let Some(head) = head else {
            // The first head pins the key: a key without a head means the head was removed.
            return match pinned {
                Some(_) => Err(TrailError::HeadRemoved),
                None => Ok(Self { chain: ChainCheck::default(), head: None, signed_at: None }),
            };
        };
        let forged = TrailError::ForgedHead { seq: head.seq };
        // A head without a pinned key cannot be vouched for: the copy pins the key with its
        // first head, so the pin was removed.
        let Some(pinned) = pinned else { return Err(forged) };
        if head.company_id != company {
            return Err(forged);
        }
        if !head.signed_by(pinned) {
            // Signed all right, but by another key: say so rather than "forged".
            return Err(if head.key != pinned && head.signed_by(&head.key) {
                TrailError::KeyChanged { pinned: pinned.to_owned(), key: head.key.clone() }
            } else {
                forged
            });
        }
        if head.seq == 0 && head.hash != GENESIS_HASH {
            return Err(TrailError::Rewritten { seq: 0 });
        }
        Ok(Self {
            chain: ChainCheck::default(),
            head: Some((head.seq, head.hash.clone())),
            signed_at: Some(head.signed_at),
        })
    }

    /// Checks the next record; the first error names where the trail fails.
    pub fn next(&mut self, record: &AuditRecord) -> Result<(), TrailError> {
        self.chain.next(record)?;
        if let Some((seq, hash)) = &self.head
            && record.seq == *seq
            && record.hash != *hash
        {
            return Err(TrailError::Rewritten { seq: *seq });
        }
        Ok(())
    }

    /// Ends the check once every record went through [`Self::next`].
    pub fn finish(self) -> Result<TrailReport, TrailError> {
        let records = self.chain.checked();
        match (self.head, self.signed_at) {
            (Some((signed, _)), Some(signed_at)) => {
                if records < signed {
                    return Err(TrailError::MissingTail { signed, last: records });
                }
                Ok(TrailReport {
                    records,
                    signed: Some(SignedPoint { seq: signed, signed_at }),
                    unsigned: records - signed,
                })
            }
            _ => Ok(TrailReport { records, signed: None, unsigned: records }),
        }
    }
}

/// Checks `company`'s trail, from its first record and in order, against `head` verified
/// with the `pinned` key. Names the first failure.
pub fn verify_trail<'a>(
    records: impl IntoIterator<Item = &'a AuditRecord>,
    head: Option<&SignedAuditHead>,
    pinned: Option<&str>,
    company: CompanyId,
) -> Result<TrailReport, TrailError> {
    let mut check = TrailCheck::new(head, pinned, company)?;
    for record in records {
        check.next(record)?;
    }
    check.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::head::AuditSigner;
    use crate::audit::{FieldChange, verify_chain};
    use crate::model::UserId;
    use chrono::TimeZone as _;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    /// A chain of payments of 100, 101, 102 … €.
    fn chain(company: CompanyId, length: u64, amount: impl Fn(u64) -> u64) -> Vec<AuditRecord> {
        let user = UserId::new();
        let mut records: Vec<AuditRecord> = Vec::new();
        for i in 0..length {
            let record = AuditRecord {
                seq: 0,
                company_id: company,
                at: at(i64::try_from(i).unwrap()),
                user_id: Some(user),
                user_email: "claire@atelier.fr".into(),
                action: "payment".into(),
                entity: "payment".into(),
                entity_id: Some(uuid::Uuid::now_v7()),
                changes: vec![FieldChange { field: "amount".into(), before: None, after: Some(amount(i).to_string()) }],
                prev_hash: String::new(),
                hash: String::new(),
            };
            let sealed = record.seal_after(records.last());
            records.push(sealed);
        }
        records
    }

    struct Signed {
        company: CompanyId,
        records: Vec<AuditRecord>,
        signer: AuditSigner,
        head: SignedAuditHead,
    }

    /// A chain of 30 records whose head the server signed at record 25 (five records
    /// pulled after).
    fn signed() -> Signed {
        let company = CompanyId::new();
        let records = chain(company, 30, |i| 100 + i);
        let (signer, _) = AuditSigner::generate().unwrap();
        let head = signer.sign(company, 25, &records[24].hash, at(60));
        Signed { company, records, signer, head }
    }

    #[test]
    fn a_chain_up_to_its_signed_head_passes_and_counts_what_is_not_yet_signed() {
        let s = signed();
        let report = verify_trail(&s.records, Some(&s.head), Some(s.signer.public_key()), s.company).unwrap();
        assert_eq!(
            report,
            TrailReport {
                records: 30,
                signed: Some(SignedPoint { seq: 25, signed_at: s.head.signed_at }),
                unsigned: 5
            }
        );
        // Exactly at the head: nothing unsigned.
        let report = verify_trail(&s.records[..25], Some(&s.head), Some(s.signer.public_key()), s.company).unwrap();
        assert_eq!(report.unsigned, 0);
        // No head yet: a chain check, every record unsigned.
        let report = verify_trail(&s.records, None, None, s.company).unwrap();
        assert_eq!(report, TrailReport { records: 30, signed: None, unsigned: 30 });
        // But a pinned key without its head: the head was removed.
        let err = verify_trail(&s.records, None, Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!((err.code(), err.seq()), ("audit_head_removed", None));
    }

    #[test]
    fn a_trail_whose_last_records_were_removed_misses_its_tail() {
        let s = signed();
        let cut = &s.records[..20];
        assert_eq!(verify_chain(cut), Ok(20), "the chain alone still verifies");
        let err = verify_trail(cut, Some(&s.head), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(err, TrailError::MissingTail { signed: 25, last: 20 });
        assert_eq!(err.code(), "audit_tail_missing");
        assert_eq!(err.seq(), Some(25));
        // Every record gone.
        let err = verify_trail(&[], Some(&s.head), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(err, TrailError::MissingTail { signed: 25, last: 0 });
        // Removing only records after the head cannot be told: they were never signed.
        assert!(verify_trail(&s.records[..27], Some(&s.head), Some(s.signer.public_key()), s.company).is_ok());
    }

    #[test]
    fn a_chain_rebuilt_from_its_first_record_with_another_amount_is_rewritten() {
        let s = signed();
        // The forger changes the third payment and seals every record again.
        let forged = chain(s.company, 30, |i| if i == 2 { 1 } else { 100 + i });
        assert_eq!(verify_chain(&forged), Ok(30), "the rebuilt chain holds together");
        let err = verify_trail(&forged, Some(&s.head), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(err, TrailError::Rewritten { seq: 25 });
        assert_eq!(err.code(), "audit_chain_rewritten");
        // Rebuilt and cut before the head: the missing tail is what shows.
        let err = verify_trail(&forged[..10], Some(&s.head), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(err, TrailError::MissingTail { signed: 25, last: 10 });
    }

    #[test]
    fn a_forged_head_is_named_before_the_chain_is_read() {
        let s = signed();
        let key = s.signer.public_key();
        // The forger points the head at their rebuilt chain, keeping the old signature.
        let forged_chain = chain(s.company, 30, |i| if i == 2 { 1 } else { 100 + i });
        let moved = SignedAuditHead { hash: forged_chain[24].hash.clone(), ..s.head.clone() };
        let err = verify_trail(&forged_chain, Some(&moved), Some(key), s.company).unwrap_err();
        assert_eq!(err, TrailError::ForgedHead { seq: 25 });
        assert_eq!(err.code(), "audit_head_forged");
        // A head moved back to hide a cut tail.
        let back = SignedAuditHead { seq: 20, hash: s.records[19].hash.clone(), ..s.head.clone() };
        assert_eq!(
            verify_trail(&s.records[..20], Some(&back), Some(key), s.company),
            Err(TrailError::ForgedHead { seq: 20 })
        );
        // A signature of garbage, a head of another company, a head with no pinned key.
        let garbage = SignedAuditHead { signature: "AAAA".into(), ..s.head.clone() };
        assert_eq!(
            verify_trail(&s.records, Some(&garbage), Some(key), s.company),
            Err(TrailError::ForgedHead { seq: 25 })
        );
        assert_eq!(
            verify_trail(&s.records, Some(&s.head), Some(key), CompanyId::new()),
            Err(TrailError::ForgedHead { seq: 25 })
        );
        assert_eq!(verify_trail(&s.records, Some(&s.head), None, s.company), Err(TrailError::ForgedHead { seq: 25 }));
    }

    #[test]
    fn a_head_signed_with_another_key_is_named_as_a_changed_key() {
        let s = signed();
        // The forger signs their own head with their own key …
        let (forger, _) = AuditSigner::generate().unwrap();
        let forged_chain = chain(s.company, 20, |i| 100 + i);
        let theirs = forger.sign(s.company, 20, &forged_chain[19].hash, at(90));
        let err = verify_trail(&forged_chain, Some(&theirs), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(
            err,
            TrailError::KeyChanged { pinned: s.signer.public_key().to_owned(), key: forger.public_key().to_owned() }
        );
        assert_eq!(err.code(), "audit_key_changed");
        assert_eq!(err.seq(), None);
        // … and claims the pinned key made it: then the signature does not verify.
        let claimed = SignedAuditHead { key: s.signer.public_key().to_owned(), ..theirs };
        assert_eq!(
            verify_trail(&forged_chain, Some(&claimed), Some(s.signer.public_key()), s.company),
            Err(TrailError::ForgedHead { seq: 20 })
        );
    }

    #[test]
    fn a_broken_chain_is_named_where_it_breaks_before_the_head_is_compared() {
        let s = signed();
        let mut altered = s.records.clone();
        altered[6].changes[0].after = Some("1".into());
        let err = verify_trail(&altered, Some(&s.head), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(err, TrailError::Chain(ChainError::Altered { seq: 7 }));
        assert_eq!((err.code(), err.seq()), ("audit_record_altered", Some(7)));
        let mut removed = s.records.clone();
        removed.remove(3);
        let err = verify_trail(&removed, Some(&s.head), Some(s.signer.public_key()), s.company).unwrap_err();
        assert_eq!(err.code(), "audit_out_of_sequence");
    }

    #[test]
    fn an_empty_chain_signed_empty_passes() {
        let company = CompanyId::new();
        let (signer, _) = AuditSigner::generate().unwrap();
        let head = signer.sign(company, 0, GENESIS_HASH, at(0));
        let report = verify_trail(&[], Some(&head), Some(signer.public_key()), company).unwrap();
        assert_eq!(report.records, 0);
        let records = chain(company, 2, |i| i);
        assert_eq!(verify_trail(&records, Some(&head), Some(signer.public_key()), company).unwrap().unsigned, 2);
        let odd = signer.sign(company, 0, &"ab".repeat(32), at(0));
        assert_eq!(
            verify_trail(&[], Some(&odd), Some(signer.public_key()), company),
            Err(TrailError::Rewritten { seq: 0 })
        );
    }
}
