//! The user's edits: applied to the copy and queued for the server in one step, and the
//! ledger derived again, a chunk at a time, between commands.

use super::Worker;
use crate::engine::{Event, Grace};

/// Sources derived again per step: a step takes tens of milliseconds, so commands wait
/// no longer than that.
const LEDGER_CHUNK: u32 = 2_000;

impl Worker {
    pub(super) fn edit(&mut self, request: u64, intent: &crate::sync::Intent) {
        let refuse = |code: &str, message: String| Event::EditRefused { request, code: code.to_owned(), message };
        self.update_grace();
        let (Some(active), Some(_)) = (&self.active, &self.link) else {
            return self.emit(refuse("no_company", "No company is open.".into()));
        };
        if let Err(e) = active.role.authorize(intent.permission()) {
            return self.emit(refuse(e.code(), e.to_string()));
        }
        if let Some(Grace::ReadOnly { .. }) = self.grace {
            return self.emit(refuse(
                "read_only_offline",
                "This company is read-only: it has not synced for too long. Connect to the network and sync to edit again."
                    .into(),
            ));
        }
        let Some(link) = self.link.as_mut() else { return };
        match link.store.submit(intent) {
            Ok(mutation_id) => {
                self.emit(Event::EditApplied { request, mutation_id });
                self.emit(Event::DataChanged);
                self.sync_soon(self.config.timing.debounce);
            }
            Err(e) => self.emit(refuse(e.code(), e.to_string())),
        }
    }

    /// Discards the edits waiting for `author`, as the user confirmed in the banner.
    pub(super) fn discard_edits_of(&mut self, author: crate::model::UserId) {
        let Some(link) = self.link.as_mut() else { return };
        match link.store.discard_edits_of(author) {
            Ok((removed, held)) => {
                tracing::info!(%author, removed, "edits waiting for another account discarded");
                for held in held {
                    self.emit(Event::Notice(crate::engine::Notice::RecordHeld(held)));
                }
                self.emit(Event::DataChanged);
                self.report_waiting_edits();
                self.sync_soon(std::time::Duration::ZERO);
            }
            Err(e) => {
                tracing::warn!(error = %e, "waiting edits could not be discarded");
                let (code, message) = (e.code().to_owned(), e.to_string());
                let kind = crate::engine::ErrorKind::Local;
                self.emit(Event::Notice(crate::engine::Notice::SyncFailed { kind, code, message }));
            }
        }
    }

    /// Tells the window which edits of the open copy wait for other accounts.
    pub(super) fn report_waiting_edits(&mut self) {
        let Some(link) = self.link.as_ref() else { return };
        match link.store.waiting_for_others() {
            Ok(waiting) => self.emit(Event::WaitingEdits(waiting)),
            Err(e) => tracing::warn!(error = %e, "the edits waiting for other accounts could not be read"),
        }
    }

    /// Derives again one chunk of the accounting sources that changed; says so when the
    /// last chunk is done.
    pub(super) fn ledger_step(&mut self) {
        let today = self.config.clock.now().date_naive();
        let Some(link) = self.link.as_mut() else {
            self.ledger_work = false;
            return;
        };
        if !link.downloaded().unwrap_or(false) {
            // A download under way derives as its pages come, and what it listed once it
            // ends: a payment listed before its payer has arrived would be derived wrong.
            self.ledger_work = false;
            return;
        }
        match link.store.refresh_ledger(today, LEDGER_CHUNK) {
            Ok(done) if done < LEDGER_CHUNK as usize => {
                self.ledger_work = false;
                if done > 0 {
                    self.emit(Event::LedgerChanged);
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "accounting entries could not be derived");
                self.ledger_work = false;
            }
        }
    }
}
