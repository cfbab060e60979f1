//! A posting too large for one request, sent in parts and posted whole:
//!
//! - `PUT /v1/companies/{company}/accounting/postings/{posting}/parts/{part}` stages one
//!   part, outside the company's log, after the checks a one-request posting gets (the
//!   entries balance and are numbered in order, each is the entry the server derives, their
//!   numbers are free). Nothing is posted yet.
//! - `POST /v1/companies/{company}/accounting/postings/{posting}/commit` with the number of
//!   parts posts parts `1..=parts` in ONE company transaction: every entry checked again
//!   against the records as they are now, together (no entry twice, each journal's numbers
//!   on without a gap from one part to the next, sources not posted meanwhile), written to
//!   the log, one "post" in the audit trail, and the parts dropped. Either the whole
//!   period is posted, or none of it.
//!
//! The count is given at the commit rather than with each part: the app streams a
//! period's entries page by page and knows how many parts it made only at the end.
//!
//! A part or a commit that comes again is answered as the first time and changes nothing;
//! a part of the same number with other entries, or of another period, is refused. Parts
//! are dropped when their posting is committed, after [`PART_LIFETIME`] (on the server's
//! clock), and when another posting of the same period starts; a company's staged bytes
//! are bounded (`Limits::staged_posting_bytes`, `413 posting_parts_too_large`).
//!
//! A posting is kept as one `posting` record, or, when that record would weigh more than
//! [`RECORD_BYTES`], as several records of one group (`Posting::group`), all written in
//! the commit's transaction, so that each fits in a pull page.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use comptoir_core::accounting::{
    BatchDigest, Entry, MAX_POSTING_PARTS, PartReceipt, PostBatch, Posting, PostingCommit, PostingGroup, PostingPart,
    PostingReceipt,
};
use comptoir_core::model::Permission;
use uuid::Uuid;

use super::accounting::{
    PostingSummary, audit_posting, check_derivations, claim, conflict, is_held, owner, posted_receipt, write_posting,
};
use super::companies::{Member, parse_id};
use super::{ApiJson, AppState};
use crate::error::{ApiError, ErrorBody};
use crate::storage::{CompanyTx, StagedPart, StagedParts, Storage, StorageError};

/// How long a part waits for its posting's commit.
pub const PART_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The most a posting record weighs (its entries' JSON): half a pull page, so that a
/// record always fits in one with room to spare.
pub const RECORD_BYTES: u64 = (crate::sync::MAX_PAGE_BYTES / 2) as u64;

/// A refusal, or what to answer; `Err` is a storage failure.
type Answer<T> = Result<Result<T, ApiError>, StorageError>;

/// Runs `work` in one transaction of `member`'s company: a refusal rolls everything back.
fn in_company<T>(
    storage: &dyn Storage,
    member: &Member,
    mut work: impl FnMut(&mut dyn CompanyTx) -> Answer<T>,
) -> Result<T, ApiError> {
    let mut answer = None;
    let result = storage.in_company(member.company, &mut |tx| match work(tx)? {
        Ok(value) => {
            answer = Some(Ok(value));
            Ok(())
        }
        Err(refusal) => {
            answer = Some(Err(refusal));
            Err(StorageError::Abort)
        }
    });
    match (result, answer) {
        (Ok(()) | Err(StorageError::Abort), Some(answer)) => answer,
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(ApiError::internal(&"no answer")),
    }
}

/// A part's number (or a posting's count of parts) from 1 to [`MAX_POSTING_PARTS`].
fn part_number(value: &str) -> Result<u32, ApiError> {
    value.parse::<u32>().ok().filter(|n| (1..=MAX_POSTING_PARTS).contains(n)).ok_or_else(|| {
        ApiError::bad_request(
            "posting_part_out_of_range",
            format!("“{value}” is not a part number: a posting has 1 to {MAX_POSTING_PARTS} parts."),
        )
    })
}

/// The numbers of `batch`'s entries are free in their journals, and each has a fingerprint.
fn numbers_free(tx: &mut dyn CompanyTx, batch: &PostBatch) -> Answer<()> {
    for entry in &batch.entries {
        if let Err(refusal) = owner(entry) {
            return Ok(Err(refusal));
        }
        let Some(number) = entry.number else {
            return Ok(Err(ApiError::bad_request("entry_numbering", "Every posted entry needs its number.")));
        };
        if is_held(tx, &format!("ledger-number-{}", entry.journal.as_str()), &number.to_string())? {
            return Ok(Err(conflict(
                "entry_numbers_taken",
                "Another posting took these entries' numbers: sync and try again.",
            )));
        }
    }
    Ok(Ok(()))
}

#[utoipa::path(put, path = "/v1/companies/{company}/accounting/postings/{posting}/parts/{part}", tag = "accounting", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), ("posting" = Uuid, Path, description = "The posting's id, chosen by the client"), ("part" = u32, Path, description = "The part's number, from 1")), request_body = PostingPart, responses((status = 201, description = "Staged: posted only by the commit", body = PartReceipt), (status = 200, description = "This part was staged before, or the posting is made", body = PartReceipt), (status = 400, description = "A part number out of range; an entry does not balance, or the part is empty, too large or badly numbered", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 404, description = "No such endpoint: a path segment left empty", body = ErrorBody), (status = 409, description = "This part was staged with other entries or another period; an entry is not what the records give; its numbers are taken", body = ErrorBody), (status = 413, description = "The body is too large, or the company's staged parts would pass their bound", body = ErrorBody)))]
/// `PUT /v1/companies/{company}/accounting/postings/{posting}/parts/{part}`: stages one
/// part of a posting.
pub async fn stage_part(
    State(state): State<AppState>,
    member: Member,
    Path((_, posting, part)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<PostingPart>,
) -> Result<(StatusCode, Json<PartReceipt>), ApiError> {
    member.authorize(Permission::PostAccounting)?;
    let posting = parse_id(&posting, "posting")?;
    let part = part_number(&part)?;
    let batch = body.batch(posting);
    batch.validate().map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    let mut totals = BatchDigest::default();
    for entry in &batch.entries {
        totals.add(entry).map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    }
    let entries = serde_json::to_string(&batch.entries).map_err(|e| ApiError::internal(&e))?;
    let limit = state.guards.limits.staged_posting_bytes;
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            in_company(storage, &member, |tx| {
                tx.drop_parts(StagedParts::StagedBefore(now - PART_LIFETIME))?;
                let receipt = |posted| PartReceipt { posting, part, entries: batch.entries.len(), posted };
                if posted_receipt(tx, posting)?.is_some() {
                    return Ok(Ok((StatusCode::OK, Json(receipt(true)))));
                }
                let staged = tx.staged_parts(posting)?;
                if staged.first().is_some_and(|first| (first.from, first.to) != (batch.from, batch.to)) {
                    return Ok(Err(conflict(
                        "posting_period_differs",
                        "This posting's other parts are of another period: send the posting again.",
                    )));
                }
                if staged.iter().any(|p| p.part == part) {
                    if tx.staged_entries(posting, part)?.as_deref() == Some(entries.as_str()) {
                        return Ok(Ok((StatusCode::OK, Json(receipt(false)))));
                    }
                    return Ok(Err(conflict(
                        "posting_part_differs",
                        format!("Part {part} of this posting was received with other entries: send the posting again."),
                    )));
                }
                if staged.is_empty() {
                    // A new posting of the period: parts of another one are abandoned.
                    tx.drop_parts(StagedParts::OtherPostingsOf { keep: posting, from: batch.from, to: batch.to })?;
                }
                let bytes = u64::try_from(entries.len()).unwrap_or(u64::MAX);
                if tx.staged_bytes()?.saturating_add(bytes) > limit {
                    return Ok(Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "posting_parts_too_large",
                        format!(
                            "The company's postings waiting for their last parts would pass {} MiB: \
                             post a shorter period, or try again tomorrow.",
                            limit / (1024 * 1024)
                        ),
                    )));
                }
                if let Err(refusal) =
                    check_derivations(tx, member.company, &batch)?.and_then(|()| numbers_free(tx, &batch)?)
                {
                    return Ok(Err(refusal));
                }
                let staged_part = StagedPart {
                    part,
                    from: batch.from,
                    to: batch.to,
                    staged_at: now,
                    entries: batch.entries.len(),
                    bytes,
                };
                tx.stage_part(posting, &staged_part, &entries)?;
                Ok(Ok((StatusCode::CREATED, Json(receipt(false)))))
            })
        })
        .await
}

#[utoipa::path(post, path = "/v1/companies/{company}/accounting/postings/{posting}/commit", tag = "accounting", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), ("posting" = Uuid, Path, description = "The posting's id, as its parts gave it")), request_body = PostingCommit, responses((status = 201, description = "Posted: every part, in one transaction", body = PostingReceipt), (status = 200, description = "This posting was made before", body = PostingReceipt), (status = 400, description = "A count of parts out of range; an entry twice in the posting", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 404, description = "No such endpoint: a path segment left empty", body = ErrorBody), (status = 409, description = "Parts missing, or more parts than the count; numbers with a gap between parts; entries posted, changed or numbered meanwhile. Nothing is posted", body = ErrorBody)))]
/// `POST /v1/companies/{company}/accounting/postings/{posting}/commit`: posts the parts
/// staged, all or none.
pub async fn commit_posting(
    State(state): State<AppState>,
    member: Member,
    Path((_, posting)): Path<(String, String)>,
    ApiJson(request): ApiJson<PostingCommit>,
) -> Result<(StatusCode, Json<PostingReceipt>), ApiError> {
    member.authorize(Permission::PostAccounting)?;
    let posting = parse_id(&posting, "posting")?;
    let parts = part_number(&request.parts.to_string())?;
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            in_company(storage, &member, |tx| {
                tx.drop_parts(StagedParts::StagedBefore(now - PART_LIFETIME))?;
                if let Some(receipt) = posted_receipt(tx, posting)? {
                    return Ok(Ok((StatusCode::OK, Json(receipt))));
                }
                let staged = tx.staged_parts(posting)?;
                if let Some(extra) = staged.iter().find(|p| p.part > parts) {
                    return Ok(Err(conflict(
                        "posting_parts_mismatch",
                        format!(
                            "Part {} was received for a posting of {parts} parts: send the posting again.",
                            extra.part
                        ),
                    )));
                }
                if let Some(missing) = (1..=parts).find(|n| !staged.iter().any(|p| p.part == *n)) {
                    return Ok(Err(conflict(
                        "posting_parts_missing",
                        format!(
                            "Part {missing} of {parts} was not received, or waited too long: nothing is posted; \
                             send the posting again."
                        ),
                    )));
                }
                Ok(commit(tx, &member, posting, &staged, now)?.map(|receipt| (StatusCode::CREATED, Json(receipt))))
            })
        })
        .await
}

/// The parts of each record of a posting: in order, as many as [`RECORD_BYTES`] allows
/// (a part heavier than that, alone).
fn records_of(staged: &[StagedPart]) -> Vec<Vec<u32>> {
    let mut records: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0_u64;
    for part in staged {
        match records.last_mut() {
            Some(record) if bytes.saturating_add(part.bytes) <= RECORD_BYTES => {
                record.push(part.part);
                bytes = bytes.saturating_add(part.bytes);
            }
            _ => {
                records.push(vec![part.part]);
                bytes = part.bytes;
            }
        }
    }
    records
}

/// The entries of one posting, checked together as they come, part after part.
#[derive(Default)]
struct Together {
    /// Each source's new entry and reversal, once.
    seen: HashSet<(Uuid, bool)>,
    /// Each journal's last number.
    last: BTreeMap<comptoir_core::accounting::Journal, u64>,
    totals: BatchDigest,
}

impl Together {
    fn add(&mut self, entry: &Entry) -> Result<(), ApiError> {
        if !self.seen.insert((entry.source, entry.reversal)) {
            return Err(ApiError::bad_request(
                "entry_twice",
                format!("The entry {} is in this posting twice.", entry.piece_ref),
            ));
        }
        if let Some(number) = entry.number
            && self.last.insert(entry.journal, number).is_some_and(|last| last.checked_add(1) != Some(number))
        {
            return Err(conflict(
                "entry_numbering",
                "These parts' numbers leave a gap or repeat: send the posting again.",
            ));
        }
        self.totals.add(entry).map_err(|e| ApiError::bad_request(e.code(), e.to_string()))
    }
}

/// Posts the staged parts of `posting` (all there, `staged` in order), in the caller's
/// transaction; a refusal leaves it to be rolled back.
fn commit(
    tx: &mut dyn CompanyTx,
    member: &Member,
    posting: Uuid,
    staged: &[StagedPart],
    now: chrono::DateTime<chrono::Utc>,
) -> Answer<PostingReceipt> {
    let Some(first) = staged.first() else {
        return Ok(Err(conflict("posting_parts_missing", "No part of this posting was received.")));
    };
    let (from, to) = (first.from, first.to);
    let total: usize = staged.iter().map(|p| p.entries).sum();
    let records = records_of(staged);
    let count = u32::try_from(records.len()).unwrap_or(u32::MAX);
    let mut together = Together::default();
    for (index, parts) in (1..).zip(&records) {
        let mut entries = Vec::new();
        for &part in parts {
            let json = tx
                .staged_entries(posting, part)?
                .ok_or_else(|| StorageError::Corrupt(format!("part {part} of posting {posting}")))?;
            let part_entries: Vec<Entry> = serde_json::from_str(&json)
                .map_err(|e| StorageError::Corrupt(format!("part {part} of posting {posting}: {e}")))?;
            for entry in &part_entries {
                if let Err(refusal) = together.add(entry) {
                    return Ok(Err(refusal));
                }
            }
            // Checked again as the records stand now, and claimed: sources posted, and
            // numbers taken, in the posting's order.
            let batch = PostBatch { id: posting, from, to, entries: part_entries };
            if let Err(refusal) = check_derivations(tx, member.company, &batch)?.and_then(|()| claim(tx, &batch)?) {
                return Ok(Err(refusal));
            }
            entries.extend(batch.entries);
        }
        let group = (count > 1).then_some(PostingGroup { posting, record: index, records: count, entries: total });
        let id = if index == 1 { posting } else { Uuid::now_v7() };
        let record =
            Posting { id, from, to, posted_at: now, posted_by: member.caller.user.email.clone(), entries, group };
        write_posting(tx, &record)?;
    }
    let parts = u32::try_from(staged.len()).unwrap_or(u32::MAX);
    let summary = PostingSummary { id: posting, from, to, entries: total, debit: together.totals.debit, parts };
    audit_posting(tx, member, now, &summary)?;
    tx.drop_parts(StagedParts::Of(posting))?;
    tx.drop_parts(StagedParts::OtherPostingsOf { keep: posting, from, to })?;
    Ok(Ok(PostingReceipt { id: posting, entries: total, posted_at: now }))
}

#[cfg(test)]
mod tests {
    use super::{RECORD_BYTES, StagedPart, records_of};

    fn part(part: u32, bytes: u64) -> StagedPart {
        let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        StagedPart { part, from: None, to, staged_at: chrono::Utc::now(), entries: 1, bytes }
    }

    #[test]
    fn records_hold_parts_in_order_up_to_their_weight() {
        let half = RECORD_BYTES / 2;
        let staged = [part(1, half), part(2, half), part(3, 1), part(4, RECORD_BYTES * 2), part(5, 1)];
        assert_eq!(records_of(&staged), vec![vec![1, 2], vec![3], vec![4], vec![5]]);
        assert_eq!(records_of(&[part(1, 10), part(2, 10)]), vec![vec![1, 2]]);
        assert!(records_of(&[]).is_empty());
    }
}
