//! Posting accounting entries: the pending entries derived, checked against what the
//! user saw, sent in batches the server's body limit allows.

use super::Worker;
use crate::engine::AccountingEvent;

/// A posting's request stays well under the server's body limit.
const POSTING_BYTES: usize = 800 * 1024;

/// Pending entries read (and derived) at a time while posting.
const POSTING_PAGE: usize = 2_000;

impl Worker {
    /// Posts the entries pending in the period, in batches the server takes whole.
    pub(super) async fn post(
        &mut self,
        from: Option<chrono::NaiveDate>,
        to: chrono::NaiveDate,
        digest: &str,
    ) -> AccountingEvent {
        // Its pages of entries follow one another by a cursor over the copy, which only
        // this engine writes: nothing moves in between.
        let refused = |code: &str, message: String, posted: usize| AccountingEvent::Refused {
            code: code.to_owned(),
            message,
            posted,
        };
        let today = self.config.clock.now().date_naive();
        let (Some(active), Some(link)) = (&self.active, self.link.as_mut()) else {
            return refused("no_company", "No company is open.".into(), 0);
        };
        if let Err(e) = active.role.authorize(crate::model::Permission::PostAccounting) {
            return refused(e.code(), e.to_string(), 0);
        }
        let company = active.id;
        let period = (from, to);
        // The ledger first brought up to date, then the batch checked against the one the
        // user exported, without holding it all in memory.
        let checked = link.store.refresh_whole_ledger(today).and_then(|_| link.store.pending_batch(period));
        match checked {
            Ok(batch) if batch.entries == 0 => {
                let e = crate::accounting::BatchError::Empty;
                return refused(e.code(), e.to_string(), 0);
            }
            Ok(batch) if batch.clone().finish() != digest => {
                let message = "The pending entries changed since the batch was exported: export it again.";
                return refused("batch_changed", message.into(), 0);
            }
            Ok(_) => {}
            Err(e) => return refused(e.code(), e.to_string(), 0),
        }
        let mut numbers = match link.store.next_entry_numbers() {
            Ok(numbers) => numbers,
            Err(e) => return refused(e.code(), e.to_string(), 0),
        };
        let mut posted = 0;
        let mut after = None;
        while let Some(link) = self.link.as_ref() {
            let page = link.store.pending_entries_page(period, after.as_ref(), POSTING_PAGE, &mut numbers);
            let (entries, next) = match page {
                Ok(page) => page,
                Err(e) => return refused(e.code(), e.to_string(), posted),
            };
            for entries in posting_batches(entries) {
                let batch = crate::accounting::PostBatch { id: uuid::Uuid::now_v7(), from, to, entries };
                if let Err(e) = batch.validate() {
                    return refused(e.code(), e.to_string(), posted);
                }
                match self.with_session(async |client| client.post_batch(company, &batch).await).await {
                    Ok(receipt) => posted += receipt.entries,
                    Err(e) => {
                        self.sync().await;
                        return refused(e.code(), e.to_string(), posted);
                    }
                }
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        self.sync().await;
        AccountingEvent::Posted { entries: posted }
    }
}

/// Entries in batches of at most [`crate::accounting::MAX_BATCH`] entries and about
/// [`POSTING_BYTES`] of JSON, in their order.
pub(super) fn posting_batches(entries: Vec<crate::accounting::Entry>) -> Vec<Vec<crate::accounting::Entry>> {
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
