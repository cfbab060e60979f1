//! `/v1/companies/{company}/accounting/…`: posting batches of accounting entries.
//!
//! A posting that fits one request is made here (`POST …/accounting/postings`); a larger
//! one is sent in parts and posted whole by a commit (`super::posting_parts`), with the
//! same checks.
//!
//! The entries are derived by the clients from the company's records; the server makes
//! the posting authoritative. Within one transaction it checks that each source's posted
//! entries follow one another (a new entry only where none stands posted, a reversal only
//! of the entry standing), that each journal's numbers go on without gaps or repeats, then
//! keeps the batch as a `posting` record of the log and writes "post" in the audit trail.
//! Two accountants posting the same entries: the second is refused, nothing is posted
//! twice.
//!
//! The server is the authority on derived figures: each new entry of a batch must be the
//! entry the server derives from its own records with the same rules (`core::accounting`),
//! else the batch is refused (`entry_differs`: the client's copy was behind, or a script
//! sent entries of its own). Only the date of an entry re-derived after a change, and the
//! number, are the client's to give.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
pub use comptoir_core::accounting::PostingReceipt;
use comptoir_core::accounting::{
    AccountPlan, BatchDigest, Entry, PostBatch, Posting, SourceKind, entry_of_document, entry_of_payment,
};
use comptoir_core::audit::FieldChange;
use comptoir_core::model::Permission;
use comptoir_core::sync::rules::Records as _;
use comptoir_core::sync::{RecordBody, RecordKind};
use uuid::Uuid;

use super::companies::Member;
use super::{ApiJson, AppState};
use crate::error::{ApiError, ErrorBody};
use crate::storage::{CompanyTx, StagedParts, StorageError};
use crate::sync::records::ServerRecords;
use crate::sync::{Actor, AuditEntry, append_audit};

/// Where each source's standing posted entry is claimed (owner: its fingerprint).
pub(super) const STANDING: &str = "ledger";

pub(super) fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

/// An entry's fingerprint as the owner of its source's claim.
pub(super) fn owner(entry: &Entry) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&entry.fingerprint).map_err(|_| {
        ApiError::bad_request(
            "entry_fingerprint_invalid",
            format!("The entry {} has no valid fingerprint.", entry.piece_ref),
        )
    })
}

/// Whether `key` of `namespace` is held by anyone, without keeping a claim on it.
pub(super) fn is_held(tx: &mut dyn CompanyTx, namespace: &str, key: &str) -> Result<bool, StorageError> {
    let probe = Uuid::now_v7();
    if tx.claim_key(namespace, key, probe)? {
        tx.release_key(namespace, key, probe)?;
        return Ok(false);
    }
    Ok(true)
}

/// The entry the server derives for `entry`'s source from its own records, or why none.
fn derived_entry(
    tx: &mut dyn CompanyTx,
    plan: &AccountPlan,
    entry: &Entry,
) -> Result<Result<Option<Entry>, ApiError>, StorageError> {
    let mut records = ServerRecords(tx);
    let kind = match entry.source_kind {
        SourceKind::Invoice | SourceKind::CreditNote => RecordKind::Document,
        SourceKind::Payment => RecordKind::Payment,
    };
    Ok(Ok(match records.get(kind, entry.source)? {
        Some(RecordBody::Document(record)) => match entry_of_document(&record.document, plan) {
            Ok(derived) => derived,
            Err(e) => return Ok(Err(ApiError::bad_request(e.code(), e.to_string()))),
        },
        Some(RecordBody::Payment(payment)) => {
            // The payer: the payment's contact, else the customer of the first document
            // it pays (as the copies derive it).
            let mut payer = match payment.contact_id {
                Some(contact) => match records.get(RecordKind::Contact, contact.0)? {
                    Some(RecordBody::Contact(c)) => Some((c.id.0, c.name)),
                    _ => None,
                },
                None => None,
            };
            if payer.is_none() {
                let mut paid: Vec<_> = payment.allocations.iter().map(|a| a.document_id.0).collect();
                paid.sort_unstable();
                for document in paid {
                    if let Some(RecordBody::Document(record)) = records.get(RecordKind::Document, document)? {
                        payer = Some((record.document.contact_id.0, record.document.customer.name.clone()));
                        break;
                    }
                }
            }
            Some(entry_of_payment(&payment, payer.as_ref().map(|(id, name)| (*id, name.as_str())), plan))
        }
        _ => None,
    }))
}

/// Every new entry of `batch` is the one the server derives; a refusal names the first
/// that is not.
pub(super) fn check_derivations(
    tx: &mut dyn CompanyTx,
    company: comptoir_core::model::CompanyId,
    batch: &PostBatch,
) -> Result<Result<(), ApiError>, StorageError> {
    let plan = match ServerRecords(tx).get(RecordKind::Settings, company.0)? {
        Some(RecordBody::Settings(settings)) => {
            settings.accounts.clone().unwrap_or_else(|| AccountPlan::for_country(&settings.company.address.country))
        }
        _ => return Err(StorageError::Corrupt(format!("company {company} has no settings record"))),
    };
    for entry in batch.entries.iter().filter(|e| !e.reversal) {
        let derived = match derived_entry(tx, &plan, entry)? {
            Ok(derived) => derived,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let Some(mut expected) = derived else {
            return Ok(Err(conflict(
                "entry_not_derived",
                format!("{} has no entry to post (not issued, or deleted): sync and try again.", entry.piece_ref),
            )));
        };
        (expected.date, expected.number) = (entry.date, entry.number);
        if expected != *entry {
            return Ok(Err(conflict(
                "entry_differs",
                format!("The entry {} is not what the company's records give: sync and try again.", entry.piece_ref),
            )));
        }
    }
    Ok(Ok(()))
}

/// Claims what `batch` posts; a refusal says which entry and why.
pub(super) fn claim(tx: &mut dyn CompanyTx, batch: &PostBatch) -> Result<Result<(), ApiError>, StorageError> {
    let mut first = std::collections::BTreeSet::new();
    for entry in &batch.entries {
        let owner = match owner(entry) {
            Ok(owner) => owner,
            Err(e) => return Ok(Err(e)),
        };
        let source = entry.source.to_string();
        let standing = is_held(tx, STANDING, &source)?;
        if entry.reversal {
            // Only the entry standing posted can be reversed.
            if !standing || !tx.claim_key(STANDING, &source, owner)? {
                return Ok(Err(conflict(
                    "nothing_to_reverse",
                    format!("The entry {} being reversed is not the one posted: sync and try again.", entry.piece_ref),
                )));
            }
            tx.release_key(STANDING, &source, owner)?;
        } else {
            if standing {
                return Ok(Err(conflict(
                    "already_posted",
                    format!("An entry of {} is already posted: sync and try again.", entry.piece_ref),
                )));
            }
            tx.claim_key(STANDING, &source, owner)?;
        }
        let Some(number) = entry.number else {
            return Ok(Err(ApiError::bad_request("entry_numbering", "Every posted entry needs its number.")));
        };
        let numbers = format!("ledger-number-{}", entry.journal.as_str());
        // Each journal's numbers go on from the last one posted: no gap, no repeat.
        if first.insert(entry.journal) && number > 1 && !is_held(tx, &numbers, &(number - 1).to_string())? {
            return Ok(Err(conflict("entry_numbering", "These entries' numbers leave a gap: sync and try again.")));
        }
        if !tx.claim_key(&numbers, &number.to_string(), batch.id)? {
            return Ok(Err(conflict(
                "entry_numbers_taken",
                "Another posting took these entries' numbers: sync and try again.",
            )));
        }
    }
    Ok(Ok(()))
}

/// The receipt of the posting `id` if it was made (its first record's id is the
/// posting's): a request that comes again is answered with it.
pub(super) fn posted_receipt(tx: &mut dyn CompanyTx, id: Uuid) -> Result<Option<PostingReceipt>, StorageError> {
    let Some(stored) = tx.get(RecordKind::Posting, id)? else { return Ok(None) };
    let body = stored.body.unwrap_or_default();
    let Ok(RecordBody::Posting(posting)) = serde_json::from_str(&body) else {
        return Err(StorageError::Corrupt(format!("posting {id}")));
    };
    let entries = posting.group.map_or(posting.entries.len(), |group| group.entries);
    Ok(Some(PostingReceipt { id: posting.id, entries, posted_at: posting.posted_at }))
}

/// Writes `posting` as a record of the log.
pub(super) fn write_posting(tx: &mut dyn CompanyTx, posting: &Posting) -> Result<(), StorageError> {
    let id = posting.id;
    let body = serde_json::to_string(&RecordBody::Posting(posting.clone()))
        .map_err(|e| StorageError::Backend(e.to_string()))?;
    tx.put(RecordKind::Posting, id, Some(&body))?;
    Ok(())
}

/// What the audit trail says of a posting.
pub(super) struct PostingSummary {
    pub id: Uuid,
    pub from: Option<chrono::NaiveDate>,
    pub to: chrono::NaiveDate,
    pub entries: usize,
    pub debit: rust_decimal::Decimal,
    /// The requests it was sent in.
    pub parts: u32,
}

/// Writes "post" in the audit trail: one record for a posting, whatever the requests and
/// records it took.
pub(super) fn audit_posting(
    tx: &mut dyn CompanyTx,
    member: &Member,
    now: chrono::DateTime<chrono::Utc>,
    posting: &PostingSummary,
) -> Result<(), StorageError> {
    let change = |field: &str, after: String| FieldChange { field: field.into(), before: None, after: Some(after) };
    let mut changes = vec![change("entries", posting.entries.to_string()), change("to", posting.to.to_string())];
    if let Some(from) = posting.from {
        changes.push(change("from", from.to_string()));
    }
    changes.push(change("debit", posting.debit.to_string()));
    if posting.parts > 1 {
        changes.push(change("parts", posting.parts.to_string()));
    }
    let actor = Actor::member(&member.caller.user, member.role);
    let entry = AuditEntry { action: "post", entity: "posting", entity_id: Some(posting.id), changes };
    append_audit(tx, member.company, &actor, now, entry)?;
    tracing::info!(company = %member.company, posting = %posting.id, entries = posting.entries, parts = posting.parts, "entries posted");
    Ok(())
}

#[utoipa::path(post, path = "/v1/companies/{company}/accounting/postings", tag = "accounting", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), request_body = PostBatch, responses((status = 201, description = "Posted", body = PostingReceipt), (status = 200, description = "This batch was posted before", body = PostingReceipt), (status = 400, description = "An entry does not balance, or the batch is empty or too large", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 409, description = "Some of these entries were posted meanwhile", body = ErrorBody)))]
/// `POST /v1/companies/{company}/accounting/postings`: marks a batch of entries posted.
pub async fn post_batch(
    State(state): State<AppState>,
    member: Member,
    ApiJson(batch): ApiJson<PostBatch>,
) -> Result<(StatusCode, Json<PostingReceipt>), ApiError> {
    member.authorize(Permission::PostAccounting)?;
    batch.validate().map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    // The batch's debit for the audit trail, checked like every sum of money.
    let mut totals = BatchDigest::default();
    for entry in &batch.entries {
        totals.add(entry).map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    }
    let debit = totals.debit;
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            let mut answer: Option<Result<(StatusCode, PostingReceipt), ApiError>> = None;
            let result = storage.in_company(member.company, &mut |tx| {
                if let Some(receipt) = posted_receipt(tx, batch.id)? {
                    answer = Some(Ok((StatusCode::OK, receipt)));
                    return Ok(());
                }
                if let Err(refusal) = check_derivations(tx, member.company, &batch)?.and_then(|()| claim(tx, &batch)?) {
                    answer = Some(Err(refusal));
                    return Err(StorageError::Abort);
                }
                write_posting(tx, &batch.posting(now, &member.caller.user.email))?;
                let summary = PostingSummary {
                    id: batch.id,
                    from: batch.from,
                    to: batch.to,
                    entries: batch.entries.len(),
                    debit,
                    parts: 1,
                };
                audit_posting(tx, &member, now, &summary)?;
                // Parts staged for another posting of this period are abandoned; any staged
                // under this posting's id are moot.
                tx.drop_parts(StagedParts::OtherPostingsOf { keep: batch.id, from: batch.from, to: batch.to })?;
                tx.drop_parts(StagedParts::Of(batch.id))?;
                let receipt = PostingReceipt { id: batch.id, entries: batch.entries.len(), posted_at: now };
                answer = Some(Ok((StatusCode::CREATED, receipt)));
                Ok(())
            });
            match (result, answer) {
                (Ok(()) | Err(StorageError::Abort), Some(answer)) => {
                    answer.map(|(status, receipt)| (status, Json(receipt)))
                }
                (Err(e), _) => Err(e.into()),
                (Ok(()), None) => Err(ApiError::internal(&"no answer")),
            }
        })
        .await
}
