//! How the screens read the open company's file.
//!
//! - [`Reader::store`]: a read-only connection owned by the UI thread, for what costs a
//!   B-tree descent — a page of visible rows, one record, one record's history.
//! - [`Reader::ask`]: a named background thread with its own read-only connection, for
//!   what must walk many rows — counts, the dashboard's sums, full-text searches. Its
//!   answers come back through [`Reader::answers`] and wake the window.
//!
//! The engine writes the file; WAL lets both connections read meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use chrono::NaiveDate;
use comptoir_core::audit::{TrailError, TrailReport};
use comptoir_core::store::{
    AuditFilter, CompanyStore, Cursor, Dashboard, DashboardCharts, DocumentFilter, DocumentRow, DocumentSort,
    SortDirection, StoreError,
};

/// Rows between two bookmarks: a jump anywhere in a list walks at most this many index
/// entries.
pub const BOOKMARK_EVERY: u64 = 5_000;

/// A question for the background thread. Each carries the generation of the screen
/// state that asked, so that an answer to an outdated question is dropped.
#[derive(Clone, Debug, PartialEq)]
pub enum Question {
    CountDocuments {
        generation: u64,
        filter: DocumentFilter,
    },
    /// A cursor every [`BOOKMARK_EVERY`] rows of a list, for far jumps.
    Bookmarks {
        generation: u64,
        filter: DocumentFilter,
        sort: DocumentSort,
        direction: SortDirection,
    },
    SearchDocuments {
        generation: u64,
        filter: DocumentFilter,
        text: String,
        limit: u32,
    },
    Count {
        generation: u64,
        list: SimpleList,
    },
    Dashboard {
        generation: u64,
        today: NaiveDate,
    },
    /// Sales per month, receivables by age, the customers owing the most.
    DashboardCharts {
        generation: u64,
        today: NaiveDate,
    },
    CountAudit {
        generation: u64,
        filter: AuditFilter,
    },
    /// Checks the copy's audit trail from its first record, up to the head the server signed.
    VerifyAudit {
        generation: u64,
    },
    /// How many accounting entries wait to be posted (the banner).
    PendingEntries {
        generation: u64,
    },
    /// The batch the next posting of the period would post (the posting dialog).
    PendingBatch {
        generation: u64,
        from: Option<NaiveDate>,
        to: NaiveDate,
    },
}

/// A batch as the posting dialog shows it before it is exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPreview {
    pub entries: usize,
    pub debit: rust_decimal::Decimal,
    pub credit: rust_decimal::Decimal,
    pub digest: String,
}

/// The lists counted by [`Question::Count`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimpleList {
    Contacts,
    Articles,
    Payments,
}

/// The background thread's answers; an error is the store's, in English, for the log.
#[derive(Debug)]
pub enum Answer {
    CountDocuments {
        generation: u64,
        count: Result<u64, StoreError>,
    },
    Bookmarks {
        generation: u64,
        bookmarks: Result<Vec<Cursor>, StoreError>,
    },
    SearchDocuments {
        generation: u64,
        rows: Result<Vec<DocumentRow>, StoreError>,
    },
    Count {
        generation: u64,
        list: SimpleList,
        count: Result<u64, StoreError>,
    },
    Dashboard {
        generation: u64,
        figures: Result<Dashboard, StoreError>,
    },
    DashboardCharts {
        generation: u64,
        charts: Result<DashboardCharts, StoreError>,
    },
    CountAudit {
        generation: u64,
        count: Result<u64, StoreError>,
    },
    VerifyAudit {
        generation: u64,
        outcome: Result<Result<TrailReport, TrailError>, StoreError>,
    },
    /// Entries waiting to be posted, and sources still waiting to be derived.
    PendingEntries {
        generation: u64,
        count: Result<(u64, u64), StoreError>,
    },
    PendingBatch {
        generation: u64,
        batch: Result<BatchPreview, StoreError>,
    },
}

const UI_CACHE_MIB: u32 = 4;
const BACKGROUND_CACHE_MIB: u32 = 2;

/// How many questions may wait; the screens ask again next frame when it is full.
const QUEUE: usize = 32;

/// The open company's file, for reading.
pub struct Reader {
    store: CompanyStore,
    path: PathBuf,
    /// `None` once dropping: the thread sees the channel close and ends.
    questions: Option<SyncSender<Question>>,
    answers: Receiver<Answer>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Stops the background thread's query in progress (a dashboard over a million
    /// invoices takes seconds): dropping the reader never waits for one.
    interrupt: rusqlite::InterruptHandle,
    /// Tells the background thread to leave the questions still queued unanswered.
    stopping: Arc<AtomicBool>,
}

impl Drop for Reader {
    /// Closes both connections before returning, so that the engine, closing after,
    /// is the file's last connection and folds its write-ahead log back into it. A query
    /// the background thread is running is interrupted first (it ends with an error
    /// nobody reads), so the join waits for no more than SQLite's next check.
    fn drop(&mut self) {
        self.questions = None;
        self.stopping.store(true, Ordering::Relaxed);
        self.interrupt.interrupt();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the reader thread panicked");
        }
    }
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens the file twice, read-only: once here, once for the background thread, which
    /// calls `wake` after each answer.
    pub fn open(path: &Path, wake: Arc<dyn Fn() + Send + Sync>) -> Result<Self, StoreError> {
        // Small page caches: the engine's connection keeps the big one, and these read
        // a screenful of rows, or walk an index or a table once, whose pages the
        // system's file cache holds anyway. 16 and 8 MiB cost the window 12 MiB of its
        // peak on 1M invoices and bought no frame or query time (`ui` benchmark).
        let store = CompanyStore::open_read_only(path)?;
        store.set_cache_mib(UI_CACHE_MIB)?;
        let background = CompanyStore::open_read_only(path)?;
        background.set_cache_mib(BACKGROUND_CACHE_MIB)?;
        // The dashboard's charts group every unpaid invoice: sorted in memory, a million
        // of them took the app's peak from 58 to 111 MiB (the `ui` benchmark, 1M invoices;
        // their time is the same).
        background.spill_temporary_to_disk()?;
        let interrupt = background.connection().get_interrupt_handle();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let (questions, inbox) = sync_channel::<Question>(QUEUE);
        let (outbox, answers) = sync_channel::<Answer>(QUEUE);
        let thread = std::thread::Builder::new()
            .name("comptoir-reader".into())
            .spawn(move || {
                // Ends when the Reader, and with it the sender, is dropped.
                while let Ok(question) = inbox.recv() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // A full answer queue waits for the UI, unless the reader is closing
                    // (a blocking send would then never return, and the join with it).
                    let mut reply = answer(&background, question);
                    loop {
                        match outbox.try_send(reply) {
                            Ok(()) => break,
                            Err(TrySendError::Full(back)) if !stop.load(Ordering::Relaxed) => {
                                reply = back;
                                std::thread::sleep(std::time::Duration::from_millis(5));
                            }
                            Err(_) => return,
                        }
                    }
                    wake();
                }
            })
            .map_err(|e| StoreError::Io { path: path.to_path_buf(), source: e })?;
        Ok(Self {
            store,
            path: path.to_path_buf(),
            questions: Some(questions),
            answers,
            thread: Some(thread),
            interrupt,
            stopping,
        })
    }

    /// The UI thread's connection.
    pub fn store(&self) -> &CompanyStore {
        &self.store
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hands a question to the background thread; `false` when its queue is full (ask
    /// again later).
    pub fn ask(&self, question: Question) -> bool {
        let Some(questions) = &self.questions else { return false };
        match questions.try_send(question) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => false,
            Err(TrySendError::Disconnected(_)) => {
                tracing::warn!("the reader thread has stopped");
                false
            }
        }
    }

    /// The answers that arrived since the last call.
    pub fn answers(&self) -> Vec<Answer> {
        self.answers.try_iter().collect()
    }
}

fn answer(store: &CompanyStore, question: Question) -> Answer {
    match question {
        Question::CountDocuments { generation, filter } => {
            Answer::CountDocuments { generation, count: store.count_documents(&filter) }
        }
        Question::Bookmarks { generation, filter, sort, direction } => {
            Answer::Bookmarks { generation, bookmarks: store.list_bookmarks(&filter, sort, direction, BOOKMARK_EVERY) }
        }
        Question::SearchDocuments { generation, filter, text, limit } => {
            Answer::SearchDocuments { generation, rows: store.search_documents(&filter, &text, limit) }
        }
        Question::Count { generation, list } => {
            let count = match list {
                SimpleList::Contacts => store.count_contacts(true),
                SimpleList::Articles => store.count_articles(true),
                SimpleList::Payments => store.count_payments(),
            };
            Answer::Count { generation, list, count }
        }
        Question::Dashboard { generation, today } => Answer::Dashboard { generation, figures: store.dashboard(today) },
        Question::DashboardCharts { generation, today } => {
            Answer::DashboardCharts { generation, charts: store.dashboard_charts(today) }
        }
        Question::CountAudit { generation, filter } => {
            Answer::CountAudit { generation, count: store.audit_count(&filter) }
        }
        Question::VerifyAudit { generation } => Answer::VerifyAudit { generation, outcome: store.verify_audit_chain() },
        Question::PendingEntries { generation } => {
            let count = store.pending_entry_count().and_then(|pending| Ok((pending, store.ledger_backlog()?)));
            Answer::PendingEntries { generation, count }
        }
        Question::PendingBatch { generation, from, to } => {
            let batch = store.pending_batch((from, to)).map(|batch| BatchPreview {
                entries: batch.entries,
                debit: batch.debit,
                credit: batch.credit,
                digest: batch.finish(),
            });
            Answer::PendingBatch { generation, batch }
        }
    }
}
