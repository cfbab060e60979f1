//! Posting accounting entries: the pending entries derived, checked against what the
//! user saw, and posted whole. A period too large for one request goes in parts the
//! server stages, then one commit posts them all together: when anything fails on the
//! way, nothing is posted (the parts sent wait on the server until they expire, or until
//! the next posting of the period replaces them).

use super::Worker;
use crate::accounting::{Entry, PostBatch, PostingPart, PostingReceipt};
use crate::engine::AccountingEvent;
use crate::sync::ClientError;

/// A posting's request stays well under the server's body limit.
const POSTING_BYTES: usize = 800 * 1024;

/// Pending entries read (and derived) at a time while posting.
const POSTING_PAGE: usize = 2_000;

fn refused(code: &str, message: String) -> AccountingEvent {
    AccountingEvent::Refused { code: code.to_owned(), message }
}

impl Worker {
    /// Posts the entries pending in the period: in one request, or in parts (each sent as
    /// soon as the next one is read) and a commit.
    pub(super) async fn post(
        &mut self,
        from: Option<chrono::NaiveDate>,
        to: chrono::NaiveDate,
        digest: &str,
    ) -> AccountingEvent {
        // Its pages of entries follow one another by a cursor over the copy, which only
        // this engine writes: nothing moves in between.
        let today = self.config.clock.now().date_naive();
        let (Some(active), Some(link)) = (&self.active, self.link.as_mut()) else {
            return refused("no_company", "No company is open.".into());
        };
        if let Err(e) = active.role.authorize(crate::model::Permission::PostAccounting) {
            return refused(e.code(), e.to_string());
        }
        let company = active.id;
        let period = (from, to);
        // The ledger first brought up to date, then the batch checked against the one the
        // user exported, without holding it all in memory.
        let checked = link.store.refresh_whole_ledger(today).and_then(|_| link.store.pending_batch(period));
        match checked {
            Ok(batch) if batch.entries == 0 => {
                let e = crate::accounting::BatchError::Empty;
                return refused(e.code(), e.to_string());
            }
            Ok(batch) if batch.clone().finish() != digest => {
                let message = "The pending entries changed since the batch was exported: export it again.";
                return refused("batch_changed", message.into());
            }
            Ok(_) => {}
            Err(e) => return refused(e.code(), e.to_string()),
        }
        let mut numbers = match link.store.next_entry_numbers() {
            Ok(numbers) => numbers,
            Err(e) => return refused(e.code(), e.to_string()),
        };
        let posting = uuid::Uuid::now_v7();
        // A batch is held back until the next one shows whether it is the posting's only
        // one (then posted in one request) or a part.
        let mut held: Option<Vec<Entry>> = None;
        let mut parts = 0_u32;
        let mut after = None;
        loop {
            let Some(link) = self.link.as_ref() else {
                return refused("no_company", "No company is open.".into());
            };
            let page = link.store.pending_entries_page(period, after.as_ref(), POSTING_PAGE, &mut numbers);
            let (entries, next) = match page {
                Ok(page) => page,
                Err(e) => return refused(e.code(), e.to_string()),
            };
            for entries in posting_batches(entries) {
                let batch = PostBatch { id: posting, from, to, entries };
                if let Err(e) = batch.validate() {
                    return refused(e.code(), e.to_string());
                }
                if let Some(previous) = held.replace(batch.entries) {
                    parts += 1;
                    let part = PostingPart { from, to, entries: previous };
                    let sent =
                        self.with_session(async |client| client.post_part(company, posting, parts, &part).await).await;
                    if let Err(e) = sent {
                        return self.not_posted(posting, &e).await;
                    }
                }
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        let Some(last) = held else {
            let e = crate::accounting::BatchError::Empty;
            return refused(e.code(), e.to_string());
        };
        let posted = if parts == 0 {
            let batch = PostBatch { id: posting, from, to, entries: last };
            self.with_session(async |client| client.post_batch(company, &batch).await).await
        } else {
            parts += 1;
            let part = PostingPart { from, to, entries: last };
            match self.with_session(async |client| client.post_part(company, posting, parts, &part).await).await {
                Ok(_) => self.with_session(async |client| client.commit_posting(company, posting, parts).await).await,
                Err(e) => Err(e),
            }
        };
        match posted {
            Ok(PostingReceipt { entries, .. }) => {
                self.sync().await;
                AccountingEvent::Posted { entries }
            }
            Err(e) => self.not_posted(posting, &e).await,
        }
    }

    /// After a failed request: the copy syncs, and the answer says what the server has. A
    /// commit whose answer was lost on the way may have posted everything; otherwise
    /// nothing was.
    async fn not_posted(&mut self, posting: uuid::Uuid, error: &ClientError) -> AccountingEvent {
        self.sync().await;
        let made = self.link.as_ref().and_then(|link| link.store.posting(posting).ok());
        match made {
            Some(made) => {
                AccountingEvent::Posted { entries: made.group.map_or(made.entries.len(), |group| group.entries) }
            }
            None => refused(error.code(), error.to_string()),
        }
    }
}

/// Entries in batches of at most [`crate::accounting::MAX_BATCH`] entries and about
/// [`POSTING_BYTES`] of JSON, in their order; none for no entries (the last page of a
/// period of exactly so many pages is empty).
pub(super) fn posting_batches(entries: Vec<crate::accounting::Entry>) -> Vec<Vec<crate::accounting::Entry>> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut batches = vec![Vec::new()];
    let mut bytes = 0;
    for entry in entries {
        let size = serde_json::to_vec(&entry).map_or(POSTING_BYTES, |json| json.len());
        let full = batches.last().is_some_and(|b| b.len() >= crate::accounting::MAX_BATCH);
        if full || (bytes + size > POSTING_BYTES && batches.last().is_some_and(|b| !b.is_empty())) {
            batches.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(batch) = batches.last_mut() {
            batch.push(entry);
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is the failure report")]

    use super::{POSTING_BYTES, posting_batches};
    use crate::accounting::{Entry, EntryLine, Journal, SourceKind};

    fn entry(label: &str) -> Entry {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let line = |debit: i64, credit: i64| EntryLine {
            account: "411000".into(),
            account_label: "Clients".into(),
            aux_account: None,
            aux_label: None,
            label: label.into(),
            debit: debit.into(),
            credit: credit.into(),
        };
        Entry {
            source: uuid::Uuid::now_v7(),
            source_kind: SourceKind::Payment,
            fingerprint: String::new(),
            reversal: false,
            journal: Journal::Bank,
            date: day,
            piece_ref: "P1".into(),
            piece_date: day,
            label: label.into(),
            number: None,
            lines: vec![line(10, 0), line(0, 10)],
        }
    }

    /// An empty page makes no batch (an empty one would be refused as "nothing to post");
    /// entries go in order, in batches under the size a request may have.
    #[test]
    fn batches_keep_the_order_under_the_size_and_none_is_empty() {
        assert!(posting_batches(Vec::new()).is_empty());
        let label = "x".repeat(50_000);
        let entries: Vec<Entry> = (0..40).map(|_| entry(&label)).collect();
        let batches = posting_batches(entries.clone());
        assert!(batches.len() > 1, "{} batches", batches.len());
        for batch in &batches {
            assert!(!batch.is_empty());
            assert!(serde_json::to_vec(batch).unwrap().len() <= POSTING_BYTES + 1024);
        }
        assert_eq!(batches.concat(), entries);
    }
}
