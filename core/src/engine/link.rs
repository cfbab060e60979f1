//! One company's copy and its link to the server: the first download with progress, the
//! push of the outbox, the pull of changes. Async and without a thread of its own: the
//! engine drives it, and so do the tests and `comptoir sync`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::copy_fetch::{CopyFetch, Waited};
use crate::accounting::AccountPlan;
use crate::model::{
    Address, Company, CompanyId, Country, Currency, DocumentId, PaymentAssessment, PaymentId, assess_payment,
};
use crate::store::{CompanyStore, HeldRecord, PreparedPage, PreparedSnapshot, RejectedMutation, StoreError};
use crate::sync::{
    ClientError, PROTOCOL_VERSION, RawChange, RawPullPage, RecordBody, RecordKind, SnapshotPosition, SyncClient,
    SyncStatus,
};

/// Pages are asked this big: the server's maximum.
pub const PAGE: u32 = 5_000;
/// The page cache while a first download writes, and after (as opened).
const DOWNLOAD_CACHE_MIB: u32 = 24;
const CACHE_MIB: u32 = 64;
/// Mutations per push: the server's maximum.
pub const PUSH_BATCH: u32 = 1_000;

/// Why a sync did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "The server speaks version {server} of the sync protocol, this Comptoir version {client}: update Comptoir."
    )]
    Incompatible { server: u32, client: u32 },
    #[error("The server's log holds no settings for this company.")]
    NoSettings,
    /// The company moved to another host (`to`, in words): the server keeps it frozen,
    /// read-only; this copy must join the new host.
    #[error("This company moved to {to}: it is read-only on this server. Join it where it is hosted now.")]
    Moved { to: String },
    /// The engine is stopping: the download resumes at the next start.
    #[error("Stopped before the end; the next sync resumes where this one stopped.")]
    Cancelled,
}

/// What a failed sync means for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// No network, or the server is down: work goes on offline.
    Offline,
    /// The session ended: sign in again.
    SignedOut,
    /// The user is no longer allowed into this company.
    Forbidden,
    /// The server is of an incompatible version, or answered nonsense.
    Incompatible,
    /// The server's data was rebuilt: the company must be downloaded again.
    Rebuilt,
    /// The server is busy or rate-limits this copy (`429`, `503`): online, trying again
    /// after the wait it asked for.
    Busy,
    /// The server refused the request for another reason.
    Server,
    /// The local file failed.
    Local,
    /// The company moved to another host: this server keeps it read-only.
    Moved,
}

impl SyncError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            // Stopped on purpose: as if offline, it resumes at the next sync.
            Self::Client(ClientError::Unreachable(_)) | Self::Cancelled => ErrorKind::Offline,
            Self::Client(ClientError::SignedOut | ClientError::WrongCredentials) => ErrorKind::SignedOut,
            Self::Client(ClientError::Forbidden) => ErrorKind::Forbidden,
            Self::Client(ClientError::Incompatible(_) | ClientError::BadUrl(_)) | Self::Incompatible { .. } => {
                ErrorKind::Incompatible
            }
            Self::Client(ClientError::StaleEpoch) | Self::Store(StoreError::EpochChanged) => ErrorKind::Rebuilt,
            Self::Client(ClientError::Busy { .. }) => ErrorKind::Busy,
            Self::Client(ClientError::Refused { code, .. }) if code == "company_moved" => ErrorKind::Moved,
            Self::Moved { .. } => ErrorKind::Moved,
            Self::Client(_) | Self::NoSettings => ErrorKind::Server,
            Self::Store(_) => ErrorKind::Local,
        }
    }

    /// A stable code, like the rest.
    pub fn code(&self) -> &str {
        match self {
            Self::Client(e) => e.code(),
            Self::Store(e) => e.code(),
            Self::Incompatible { .. } => "incompatible_server",
            Self::NoSettings => "no_settings",
            Self::Moved { .. } => "company_moved",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Where a download stands in one category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoryProgress {
    pub done: u64,
    pub total: u64,
}

/// A download's progress, per category and overall. The overall fraction only moves
/// forward, even when changes made meanwhile on the server make the total grow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub categories: BTreeMap<RecordKind, CategoryProgress>,
    /// From 0 to 1.
    pub overall: f32,
}

impl Progress {
    fn start(done: &BTreeMap<RecordKind, u64>, remaining: &BTreeMap<RecordKind, u64>) -> Self {
        let categories = RecordKind::ALL
            .into_iter()
            .map(|kind| {
                let done = done.get(&kind).copied().unwrap_or(0);
                (kind, CategoryProgress { done, total: done + remaining.get(&kind).copied().unwrap_or(0) })
            })
            .collect();
        let mut progress = Self { categories, overall: 0.0 };
        progress.overall = progress.fraction();
        progress
    }

    fn advance(&mut self, changes: &[RawChange]) {
        for change in changes {
            let category = self.categories.entry(change.kind).or_default();
            category.done += 1;
            category.total = category.total.max(category.done);
        }
        self.overall = self.overall.max(self.fraction());
    }

    fn finish(&mut self) {
        for category in self.categories.values_mut() {
            category.total = category.done;
        }
        self.overall = 1.0;
    }

    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        reason = "a progress bar's fraction, not an amount"
    )]
    fn fraction(&self) -> f32 {
        let (done, total) = self.categories.values().fold((0, 0), |(d, t), c| (d + c.done, t + c.total));
        if total == 0 { 1.0 } else { (done as f64 / total as f64) as f32 }
    }

    /// Whether the copy can open before the download ends: the company's settings are
    /// here (they come in the first page), the rest comes behind (see
    /// [`crate::engine::Event::CopyUsable`]).
    pub fn usable(&self) -> bool {
        self.categories.get(&RecordKind::Settings).is_some_and(|c| c.done > 0)
    }

    pub fn done(&self) -> u64 {
        self.categories.values().map(|c| c.done).sum()
    }

    pub fn total(&self) -> u64 {
        self.categories.values().map(|c| c.total).sum()
    }
}

/// A payment another device recorded, as this copy learnt of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentNotice {
    pub payment: PaymentId,
    pub document: DocumentId,
    pub number: Option<String>,
    pub amount: Decimal,
    pub assessment: PaymentAssessment,
}

/// What one sync did.
#[derive(Clone, Debug, Default)]
pub struct SyncReport {
    /// Mutations the server applied in this sync.
    pub applied: u64,
    /// Mutations the server refused in this sync, with its reasons.
    pub rejected: Vec<RejectedMutation>,
    /// Changes pulled.
    pub pulled: u64,
    /// Payments recorded elsewhere that arrived with the pull.
    pub payments: Vec<PaymentNotice>,
    /// The server's status at the start of the sync.
    pub status: Option<SyncStatus>,
    /// The server's records this sync could not apply here, kept aside (each is reported
    /// by the sync that met it, never again).
    pub held: Vec<HeldRecord>,
    /// Edits the server had applied, sent again because its log was restored from a
    /// backup (see [`CompanyStore::replay_kept`]).
    pub replayed: u64,
    /// The pull stopped between two pages because commands were waiting (see
    /// [`Link::waiting_commands`]) or its time was up ([`Link::pause_at`]): the copy is not
    /// up to date yet, and the next sync goes on from where this one stood.
    pub paused: bool,
    /// The server's copy of the company has come, checked, and waits to replace the file
    /// until whoever else reads it has let go ([`Link::release_before_replace`], then
    /// [`Link::replace_with_copy`]); the sync is [`Self::paused`].
    pub copy_arrived: bool,
    /// The server's copy of the company replaced the file (the same path).
    pub replaced: bool,
}

/// A company's copy and the client that syncs it.
#[derive(Debug)]
pub struct Link {
    pub client: SyncClient,
    pub company: CompanyId,
    pub store: CompanyStore,
    /// Set by whoever wants a long download to stop between two pages.
    pub cancel: Arc<AtomicBool>,
    /// Changes asked per page: [`PAGE`], the server's maximum, unless told otherwise.
    pub page_size: u32,
    /// How many commands wait for whoever drives this link (the engine counts them): while
    /// any do, a pull stops after the page it is writing ([`SyncReport::paused`]), so that
    /// a long download never keeps a command waiting longer than one page. Zero, never
    /// stops, unless told otherwise.
    pub waiting_commands: Arc<AtomicUsize>,
    /// A pull also pauses after the page it is writing once this time has come (`None`:
    /// only for waiting commands), as for [`Self::waiting_commands`]; the engine bounds a
    /// background download's stretches so.
    pub pause_at: Option<std::time::Instant>,
    /// A download's progress, kept while it is paused, so that it counts on when it goes
    /// on (without asking the server for its counts again).
    progress: Option<Progress>,
    /// The snapshot page fetched ahead when the download paused, and where it starts:
    /// taken when the download goes on from there (a background download pauses every
    /// couple of seconds, and would otherwise fetch and parse that page again).
    prefetched: Option<Prefetched>,
    /// Whoever drives this link has said the copy may open before its first download
    /// ends (the engine's [`crate::engine::Event::CopyUsable`]): said once per copy.
    pub usable_told: bool,
    /// The server's ready copy of the company, for a first download (see
    /// [`super::copy_fetch`]).
    copy: CopyFetch,
    /// Whoever drives this link has the file open elsewhere (the window) and closes it
    /// before the server's copy replaces it: a pull with a copy ready stops there
    /// ([`SyncReport::copy_arrived`]), and the copy replaces the file when told
    /// ([`Self::replace_with_copy`]). `false`: replaced as soon as it is ready, and the
    /// pull goes on.
    pub release_before_replace: bool,
}

impl Link {
    /// Opens the copy at `path`, which must be `company`'s.
    pub fn open(client: SyncClient, company: CompanyId, path: &Path) -> Result<Self, SyncError> {
        Ok(Self {
            client,
            company,
            store: CompanyStore::open_expecting(path, company)?,
            cancel: Arc::default(),
            page_size: PAGE,
            waiting_commands: Arc::default(),
            pause_at: None,
            progress: None,
            prefetched: None,
            usable_told: false,
            copy: CopyFetch::default(),
            release_before_replace: false,
        })
    }

    /// Starts a new copy at `path`, for its first download, once the server has shown it
    /// serves the company's log to this account. A file already there is first moved
    /// aside (see [`backup_path`]), never overwritten.
    ///
    /// The copy starts with the company's id alone ([`placeholder_company`]): the
    /// settings record comes with the download, wherever it is in the log (each change of
    /// the settings, such as a number issued, moves it to the log's end). A server that
    /// keeps the company's file ready sends it beside the first pages, and it takes this
    /// file's place once checked (see [`Self::pull`]).
    pub async fn create(
        client: SyncClient,
        company: CompanyId,
        path: &Path,
        now: DateTime<Utc>,
    ) -> Result<(Self, Option<PathBuf>), SyncError> {
        client.pull(company, 0, None, 1, false).await?;
        // A server's copy that was taking the place of a file there when a crash
        // stopped it: that file is what is moved aside below.
        crate::store::finish_take_over(path)?;
        let settings = placeholder_company(company);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io { path: parent.to_path_buf(), source })?;
        }
        let backup = if path.exists() {
            let backup = backup_path(path, now);
            std::fs::rename(path, &backup).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", path.display()));
                if side.exists() {
                    let _ = std::fs::rename(&side, format!("{}{suffix}", backup.display()));
                }
            }
            Some(backup)
        } else {
            None
        };
        let store = CompanyStore::create_for_download(path, &settings)?;
        let link = Self {
            client,
            company,
            store,
            cancel: Arc::default(),
            page_size: PAGE,
            waiting_commands: Arc::default(),
            pause_at: None,
            progress: None,
            prefetched: None,
            usable_told: false,
            copy: CopyFetch::default(),
            release_before_replace: false,
        };
        Ok((link, backup))
    }

    /// Where a first download paused midway stands (`None` before its first page, and
    /// once it has ended).
    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    /// Whether this copy has completed its first download.
    pub fn downloaded(&self) -> Result<bool, SyncError> {
        Ok(self.store.last_sync()?.is_some())
    }

    /// Pushes the outbox, oldest first, until it is empty or the server stops answering.
    ///
    /// When the server finds this copy's client id used by another copy of the file
    /// ([`crate::sync::Outcome::ClientIdTaken`]), the copy takes a new id and sends the
    /// same edits again under it; a server that says so again and again is given up on
    /// for this sync (the edits wait).
    pub async fn push(&mut self, report: &mut SyncReport) -> Result<(), SyncError> {
        /// New client ids one push may take.
        const RENEWALS: u32 = 3;
        let mut renewals = 0;
        loop {
            let batch = self.store.pending_mutations(PUSH_BATCH)?;
            let Some(last) = batch.last().map(|m| m.mutation_id) else { return Ok(()) };
            let response = self.client.push(self.company, batch).await?;
            report.held.extend(self.store.record_outcomes(&response.results)?);
            let mut taken = false;
            for result in &response.results {
                match &result.outcome {
                    crate::sync::Outcome::Applied { .. } => report.applied += 1,
                    crate::sync::Outcome::Rejected { .. } => {
                        if let Some(rejected) =
                            self.store.rejected_mutations()?.into_iter().find(|r| r.mutation_id == result.mutation_id)
                        {
                            report.rejected.push(rejected);
                        }
                    }
                    crate::sync::Outcome::ClientIdTaken { .. } => taken = true,
                }
            }
            if taken {
                if renewals == RENEWALS {
                    tracing::warn!("the server refused {RENEWALS} new client ids in a row; the edits wait");
                    return Ok(());
                }
                renewals += 1;
                let id = self.store.renew_client_id()?;
                tracing::warn!(client_id = %id, "another copy of this file used its client id: took a new one");
                continue;
            }
            if response.results.last().map(|r| r.mutation_id) != Some(last) {
                return Ok(());
            }
        }
    }

    /// Pulls and applies pages until the copy is up to date, or until commands wait
    /// ([`SyncReport::paused`]; a first download then keeps its ledger triggers, the
    /// indexes of the kinds still to come and search set aside until it goes on and
    /// ends). `on_progress` is called after every page.
    ///
    /// A first download asks the server for the company's file it keeps ready, beside
    /// its first pages: once the company can open with what has come (its settings,
    /// contacts, articles and first documents), the pages wait for that copy, which
    /// replaces the file once checked ([`CompanyStore::take_over`]; the edits made
    /// meanwhile come along); then only the log after it is pulled. Without a copy, the
    /// pages go on.
    pub async fn pull(
        &mut self,
        report: &mut SyncReport,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<(), SyncError> {
        let notify_payments = self.downloaded()?;
        // A first download derives the ledger as its pages are written, and builds most of
        // the screens' indexes and the documents' search index at once, after their
        // records, rather than row by row.
        // A copy taken whole has its indexes, search and ledger: only the log after it
        // comes, as in any sync (told from the file, so also after a restart).
        let first = !notify_payments && !self.store.is_whole_copy()?;
        if first {
            self.store.set_indexes_aside()?;
            // Pages are written in the log's order: a smaller cache costs little here,
            // and keeps the download's memory in bounds while two pages are in flight.
            self.store.set_cache_mib(DOWNLOAD_CACHE_MIB)?;
        }
        self.store.defer_search_indexing(first)?;
        // A download paused before counts on from where it stood.
        let mut progress = if first { self.progress.take() } else { None };
        let mut result = Ok(());
        if first && self.store.sync_cursor()?.is_none() {
            self.copy.start(&self.client, self.company, self.store.path());
            // The snapshot's pages are the server's to give again: not flushed one by
            // one. Back to flushed commits before anything else is written (an edit while
            // the download pauses); the first of them flushes these pages too.
            self.store.set_bulk_load(true)?;
            result = self.snapshot_or_copy(report, on_progress, &mut progress).await;
            let flushed = self.store.set_bulk_load(false);
            if result.is_ok() {
                result = flushed.map_err(Into::into);
            }
        }
        if result.is_ok() && !report.paused && self.copy.is_ready() {
            if self.release_before_replace {
                // Whoever reads the file lets go of it first, then replaces it.
                report.copy_arrived = true;
                report.paused = true;
            } else {
                // Kept for the pages that go on if the copy cannot be taken.
                self.progress = progress;
                if self.replace_with_copy() {
                    report.replaced = true;
                    return Box::pin(self.pull(report, on_progress)).await;
                }
                // The download goes on at the next sync, from where its pages stood.
                report.paused = true;
                return Ok(());
            }
        }
        if result.is_ok() && !report.paused {
            result = self.pull_pages(report, on_progress, notify_payments, &mut progress).await;
        }
        if report.paused && result.is_ok() {
            // Commands wait: the download goes on at the next sync, its triggers, indexes and
            // search still aside (an edit meanwhile is searchable once the download ends).
            if first {
                self.progress = progress;
            }
            return Ok(());
        }
        self.store.defer_search_indexing(false)?;
        if first {
            if result.is_ok() {
                // With the small cache still: an index sort takes memory up to the cache's
                // size (1.26M records: peak 194 -> 133 MiB).
                self.store.restore_indexes()?;
            }
            self.store.set_cache_mib(CACHE_MIB)?;
            if result.is_ok() && !self.has_settings()? {
                return Err(SyncError::NoSettings);
            }
        }
        result
    }

    /// The snapshot page by page, and the server's copy beside it: the pages stop for
    /// the copy once the company can open, and go on if none comes. Ends when the
    /// snapshot has ended, when the pull pauses, or with a copy ready
    /// ([`CopyFetch::is_ready`]).
    async fn snapshot_or_copy(
        &mut self,
        report: &mut SyncReport,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
        progress: &mut Option<Progress>,
    ) -> Result<(), SyncError> {
        loop {
            // A download that paused while it waited for the copy waits on.
            let step = match self.stop_for_copy(progress.as_ref()) {
                Some(step) => step,
                None => self.snapshot_pages(report, on_progress, progress).await?,
            };
            match step {
                Snapshot::Ended => {
                    // All came page by page first: a copy on its way is not needed.
                    self.copy.abandon();
                    return Ok(());
                }
                Snapshot::Paused | Snapshot::CopyReady => return Ok(()),
                Snapshot::AwaitCopy => match self.await_copy_flushed(report, on_progress, progress).await? {
                    Waited::Ready | Waited::Fetching => return Ok(()),
                    // None came: the pages go on.
                    Waited::None => {}
                },
            }
        }
    }

    /// Whether the snapshot's pages stop for the server's copy, with what has come
    /// (`progress`): taken when it has come; once the company can open, waited for rather
    /// than written again page by page.
    fn stop_for_copy(&mut self, progress: Option<&Progress>) -> Option<Snapshot> {
        if self.copy.is_ready() {
            Some(Snapshot::CopyReady)
        } else if self.copy.is_fetching() && progress.is_some_and(opens_with) {
            Some(Snapshot::AwaitCopy)
        } else {
            None
        }
    }

    /// [`Self::await_copy`], its commits flushed meanwhile: nothing is written while the
    /// download waits, and the pages written so far are on the disk.
    async fn await_copy_flushed(
        &mut self,
        report: &mut SyncReport,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
        progress: &mut Option<Progress>,
    ) -> Result<Waited, SyncError> {
        self.store.set_bulk_load(false)?;
        let waited = self.await_copy(report, on_progress, progress).await;
        if matches!(waited, Ok(Waited::None)) {
            // The pages go on, unflushed.
            self.store.set_bulk_load(true)?;
        }
        waited
    }

    /// Waits for the server's copy, as the pull does for the next page: it stops when
    /// commands wait or its time is up ([`SyncReport::paused`]). The progress moves with
    /// the copy's bytes meanwhile. Returns [`Waited::Fetching`] when it paused.
    async fn await_copy(
        &mut self,
        report: &mut SyncReport,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
        progress: &mut Option<Progress>,
    ) -> Result<Waited, SyncError> {
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(SyncError::Cancelled);
            }
            match self.copy.wait(COPY_TICK).await {
                Waited::Fetching => {}
                done => return Ok(done),
            }
            if let (Some(progress), Some(fraction)) = (progress.as_mut(), self.copy.fraction()) {
                let overall = progress.overall.max(fraction * COPY_SHARE);
                if overall > progress.overall {
                    progress.overall = overall;
                    on_progress(progress);
                }
            }
            if self.should_pause() {
                report.paused = true;
                return Ok(Waited::Fetching);
            }
        }
    }

    /// The server's copy, come and checked, replaces this file (see
    /// [`CompanyStore::take_over`]), with no request to the server: the next pull goes on
    /// from the copy's cursor. Returns whether it did; a copy that cannot replace it
    /// (another epoch of the server's log than the pages', a file held open elsewhere) is
    /// deleted, and the download goes on page by page. Nothing when no copy is ready.
    pub fn replace_with_copy(&mut self) -> bool {
        let Some(checked) = self.copy.take() else { return false };
        let received = crate::store::received_path(self.store.path());
        let snapshot_epoch = self.store.snapshot_progress().ok().flatten().map(|(epoch, _, _)| epoch);
        let taken = if snapshot_epoch.is_some_and(|epoch| epoch != checked.info.epoch) {
            // The server's log was restored between the two: the pages' edits and the
            // copy would not agree on what was applied.
            Err(StoreError::CopyRefused { check: "cursor", detail: "another epoch than the pages'".into() })
        } else {
            std::fs::rename(&checked.file, &received)
                .map_err(|source| StoreError::Io { path: received.clone(), source })
                .and_then(|()| self.store.take_over())
        };
        match taken {
            Ok(info) => {
                tracing::info!(company = %self.company, upto = info.upto, "took the server's copy of the company whole");
                // What the pages had brought, and the page fetched ahead, were the
                // former file's.
                self.progress = None;
                self.prefetched = None;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "the server's copy could not replace the file: the download goes page by page");
                crate::store::remove_with_sides(&checked.file);
                if !crate::store::take_over_pending(self.store.path()) {
                    crate::store::remove_with_sides(&received);
                }
                false
            }
        }
    }

    /// Whether the pull pauses after this page: commands wait, or its time is up.
    fn should_pause(&self) -> bool {
        self.waiting_commands.load(Ordering::Relaxed) > 0
            || self.pause_at.is_some_and(|at| std::time::Instant::now() >= at)
    }

    /// Whether the server's settings record has reached this copy: until then it shows a
    /// placeholder company, with no name.
    pub fn has_settings(&self) -> Result<bool, SyncError> {
        Ok(self
            .store
            .connection()
            .query_row("SELECT EXISTS (SELECT 1 FROM replica WHERE kind = 'settings')", [], |r| r.get(0))
            .map_err(StoreError::from)?)
    }

    /// The chart of accounts to work out a fetched page's ledger rows with: the copy's
    /// now. A page written after a settings record changed it derives them again; `None`
    /// (unreadable here) leaves them all to the writer.
    fn plan_for_prefetch(&self) -> Option<AccountPlan> {
        self.store.account_plan().ok()
    }

    /// Takes the company's snapshot, page after page (see [`crate::sync::SnapshotPage`]),
    /// from where this copy's snapshot stands; the log is pulled after it. A server that
    /// serves no snapshot (an older version) answers 404 to the first page: the download
    /// then pulls the whole log.
    async fn snapshot_pages(
        &mut self,
        report: &mut SyncReport,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
        progress: &mut Option<Progress>,
    ) -> Result<Snapshot, SyncError> {
        // A page fetched ahead before a pause is kept for the position it starts at.
        let mut kept = self.prefetched.take();
        let mut prefetched: Option<tokio::task::JoinHandle<Result<PreparedSnapshot, SyncError>>> = None;
        let result = loop {
            if self.cancel.load(Ordering::Relaxed) {
                break Err(SyncError::Cancelled);
            }
            let from = self.store.snapshot_progress()?;
            let prepared = if let Some(prefetch) = prefetched.take() {
                prefetch.await.map_err(|e| ClientError::Unreachable(e.to_string()))?
            } else {
                let fetched_before = match kept.take() {
                    Some(mut kept) if from == Some(kept.from) => match (&mut kept.task).await {
                        Ok(Ok(prepared)) => Some(prepared),
                        // Fetched before the pause: its error (an access token expired
                        // meanwhile, say) is not this sync's. Asked again below.
                        Ok(Err(_)) | Err(_) => None,
                    },
                    // Another position: dropped, which stops it.
                    Some(_) | None => None,
                };
                if let Some(prepared) = fetched_before {
                    Ok(prepared)
                } else {
                    let (client, company, size) = (self.client.clone(), self.company, self.page_size);
                    fetch_snapshot(client, company, from, size, progress.is_none(), self.plan_for_prefetch()).await
                }
            };
            let prepared = match prepared {
                Ok(prepared) => prepared,
                Err(SyncError::Client(ClientError::Refused { status: 404, .. })) if from.is_none() => {
                    tracing::info!("the server serves no snapshot: the download pulls its whole log");
                    break Ok(Snapshot::Ended);
                }
                Err(e) => break Err(e),
            };
            let page = &prepared.page;
            let ahead = page.next.map(|next| (page.epoch, page.upto, next));
            if let Some(at) = ahead {
                let (client, company, size) = (self.client.clone(), self.company, self.page_size);
                let plan = self.plan_for_prefetch();
                prefetched = Some(tokio::spawn(fetch_snapshot(client, company, Some(at), size, false, plan)));
            }
            let progress = progress.get_or_insert_with(|| {
                // A download stopped midway counts what it brought before.
                let done = self.store.replica_counts().unwrap_or_default();
                let mut remaining = page.records.clone().unwrap_or_default();
                for (kind, count) in &mut remaining {
                    *count = count.saturating_sub(done.get(kind).copied().unwrap_or(0));
                }
                Progress::start(&done, &remaining)
            });
            match self.store.apply_snapshot_page(from, &prepared) {
                Ok(held) => report.held.extend(held),
                Err(e) => break Err(e.into()),
            }
            report.pulled += page.changes.len() as u64;
            progress.advance(&page.changes);
            // The kinds the snapshot has passed get the indexes they were written without.
            if let Some(next) = page.next
                && let Err(e) = self.store.build_indexes_before(next.kind)
            {
                break Err(e.into());
            }
            on_progress(progress);
            if page.next.is_none() {
                break Ok(Snapshot::Ended);
            }
            let stop = self.stop_for_copy(Some(progress)).or_else(|| {
                self.should_pause().then(|| {
                    report.paused = true;
                    Snapshot::Paused
                })
            });
            if let Some(stop) = stop {
                // The next page, fetched ahead, waits for the download to go on.
                if let (Some(task), Some(from)) = (prefetched.take(), ahead) {
                    self.prefetched = Some(Prefetched { from, task });
                }
                break Ok(stop);
            }
        };
        if let Some(fetch) = prefetched {
            fetch.abort();
        }
        // A page kept from before a pause and not reached (the download stopped first)
        // is dropped with `kept`, which stops its task.
        drop(kept);
        result
    }

    async fn pull_pages(
        &mut self,
        report: &mut SyncReport,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
        notify_payments: bool,
        progress: &mut Option<Progress>,
    ) -> Result<(), SyncError> {
        // The next page is fetched while this one is written (on a multi-threaded
        // runtime, the two run side by side).
        let mut prefetched: Option<tokio::task::JoinHandle<Result<PreparedPage, SyncError>>> = None;
        let result = loop {
            if self.cancel.load(Ordering::Relaxed) {
                break Err(SyncError::Cancelled);
            }
            let cursor = self.store.sync_cursor()?;
            let after = cursor.map_or(0, |c| c.seq);
            let prepared = if let Some(prefetch) = prefetched.take() {
                prefetch.await.map_err(|e| ClientError::Unreachable(e.to_string()))?
            } else {
                let counts = progress.is_none();
                fetch(self.client.clone(), self.company, after, cursor.map(|c| c.epoch), self.page_size, counts).await
            };
            let prepared = match prepared {
                Ok(prepared) => prepared,
                Err(e) => break Err(e),
            };
            let page = &prepared.page;
            if page.has_more {
                let (client, company, epoch, next) = (self.client.clone(), self.company, page.epoch, page.cursor.seq);
                prefetched = Some(tokio::spawn(fetch(client, company, next, Some(epoch), self.page_size, false)));
            }
            let progress = progress.get_or_insert_with(|| {
                // A first download counts what earlier runs brought; a later sync counts
                // its own changes.
                let done =
                    if notify_payments { BTreeMap::new() } else { self.store.replica_counts().unwrap_or_default() };
                let mut remaining = page.remaining.clone().unwrap_or_default();
                for change in &page.changes {
                    *remaining.entry(change.kind).or_default() += 1;
                }
                Progress::start(&done, &remaining)
            });
            let new_payments = if notify_payments { self.new_payments(page) } else { Vec::new() };
            match self.store.apply_prepared_page(after, &prepared) {
                Ok(held) => report.held.extend(held),
                Err(e) => break Err(e.into()),
            }
            report.pulled += page.changes.len() as u64;
            for payment in new_payments {
                match self.payment_notices(&payment) {
                    Ok(notices) => report.payments.extend(notices),
                    Err(e) => tracing::warn!(error = %e, "a payment notice could not be made"),
                }
            }
            progress.advance(&page.changes);
            if !page.has_more {
                progress.finish();
                on_progress(progress);
                break Ok(());
            }
            on_progress(progress);
            if self.should_pause() {
                report.paused = true;
                break Ok(());
            }
        };
        if let Some(fetch) = prefetched {
            fetch.abort();
        }
        result
    }

    /// Pushes, then pulls, then records the sync's time for the grace period (not when the
    /// pull paused for waiting commands: [`SyncReport::paused`]). When the
    /// server's epoch is not the copy's (a restored server), the edits it had applied are
    /// sent again before the pending ones ([`CompanyStore::replay_kept`]), then the pull
    /// fails with [`ErrorKind::Rebuilt`] and the caller downloads again; the old file tells
    /// what the restored server numbered otherwise ([`CompanyStore::renumbered`]). The pull
    /// keeps the audit chain's signed head (the first one pins the server's key); a key
    /// the status publishes that is not the pinned one is logged here and named by the
    /// trail's integrity check.
    pub async fn sync(
        &mut self,
        now: impl Fn() -> DateTime<Utc> + Send,
        on_progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<SyncReport, SyncError> {
        let status = self.client.status(self.company).await?;
        if status.protocol_version != PROTOCOL_VERSION {
            return Err(SyncError::Incompatible { server: status.protocol_version, client: PROTOCOL_VERSION });
        }
        if let Some(key) = &status.audit_key
            && let crate::store::KeyPin::Changed { pinned } = self.store.compare_server_key(key)?
        {
            // The check of the audit trail names it; the pinned key stays.
            tracing::warn!(%pinned, published = %key, "the server signs its audit chain with another key than at the first download");
        }
        // Frozen here since it moved: nothing to push or pull; the edits waiting here
        // stay in this copy, and are named when it joins the new host.
        if let Some(to) = status.moved_to {
            return Err(SyncError::Moved { to });
        }
        let mut report = SyncReport::default();
        if let Some(cursor) = self.store.sync_cursor()?
            && cursor.epoch != status.epoch
        {
            // The server's log is another one (restored from a backup): what it had
            // applied of this copy's edits goes again first, in order; the backup's
            // exactly-once keys tell it which it has. The pull then meets the new epoch.
            report.replayed = self.store.replay_kept(cursor.epoch)?;
            tracing::info!(replayed = report.replayed, "a new epoch: the acknowledged edits go again");
        }
        self.push(&mut report).await?;
        self.pull(&mut report, on_progress).await?;
        if report.paused {
            // Not up to date: the sync is not recorded until it has ended.
            report.status = Some(status);
            return Ok(report);
        }
        let at = now();
        self.store.expire_kept(at)?;
        self.store.record_sync(at, status.offline_grace_hours)?;
        report.status = Some(status);
        Ok(report)
    }

    /// The payments of `page` this copy has not seen (neither pulled nor recorded here).
    fn new_payments(&self, page: &RawPullPage) -> Vec<crate::model::Payment> {
        let mut payments = Vec::new();
        for change in page.changes.iter().filter(|c| c.kind == RecordKind::Payment) {
            // A payment recorded here is already in the copy, pending or not.
            if self.store.payment(PaymentId(change.id)).is_ok() {
                continue;
            }
            if let Ok(Some(RecordBody::Payment(payment))) = change.parse() {
                payments.push(payment);
            }
        }
        payments
    }

    /// How a newly arrived payment left each document it pays.
    fn payment_notices(&self, payment: &crate::model::Payment) -> Result<Vec<PaymentNotice>, SyncError> {
        let mut notices = Vec::new();
        for allocation in &payment.allocations {
            let Ok(document) = self.store.document(allocation.document_id) else { continue };
            let previous: Vec<_> = self
                .store
                .payments_of(allocation.document_id)?
                .into_iter()
                .filter(|(id, _)| *id != payment.id)
                .collect();
            notices.push(PaymentNotice {
                payment: payment.id,
                document: allocation.document_id,
                number: document.number.clone(),
                amount: allocation.amount,
                assessment: assess_payment(
                    document.totals().map_err(StoreError::from)?.gross,
                    &previous,
                    allocation.amount,
                )
                .map_err(StoreError::from)?,
            });
        }
        Ok(notices)
    }
}

/// Where the snapshot's pages stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Snapshot {
    /// Its last page is written (or the server serves none).
    Ended,
    /// Commands wait, or the pull's time is up ([`SyncReport::paused`]).
    Paused,
    /// The server's copy has come, checked: it replaces the file.
    CopyReady,
    /// The company can open, and the server's copy is on its way: the pages wait for it.
    AwaitCopy,
}

/// How often a download waiting for the server's copy looks at the commands waiting and
/// moves its progress.
const COPY_TICK: std::time::Duration = std::time::Duration::from_millis(100);

/// The share of a download's progress bar the copy's bytes fill; checking it and the
/// log after it fill the rest.
const COPY_SHARE: f32 = 0.5;

/// Whether what the snapshot has brought lets the company's first screens show: its
/// settings, and, as they come before them, every contact and article, with the newest
/// documents (or no document at all).
fn opens_with(progress: &Progress) -> bool {
    let documents = progress.categories.get(&RecordKind::Document).copied().unwrap_or_default();
    progress.usable() && (documents.done > 0 || documents.total == 0)
}

/// The company of a copy whose download has not brought the settings yet: its id, and
/// nothing else to show (the country "ZZ" is ISO's "unknown"). The settings record
/// overwrites it.
pub fn placeholder_company(id: CompanyId) -> Company {
    Company {
        id,
        legal_name: String::new(),
        address: Address {
            street: String::new(),
            street2: String::new(),
            postcode: String::new(),
            city: String::new(),
            country: Country::Other("ZZ".into()),
        },
        vat_number: None,
        national_id: None,
        iban: None,
        bic: None,
        currency: Currency::EUR,
        payment_terms_days: 30,
        legal_form: String::new(),
        share_capital: None,
        register_city: String::new(),
        late_penalty_rate: None,
        vat_exempt: false,
        early_payment_discount: String::new(),
    }
}

/// Fetches a page and prepares it for writing (parsed, digested), on whichever thread
/// the runtime runs it.
async fn fetch(
    client: SyncClient,
    company: CompanyId,
    after: u64,
    epoch: Option<uuid::Uuid>,
    page_size: u32,
    counts: bool,
) -> Result<PreparedPage, SyncError> {
    let page = client.pull(company, after, epoch, page_size, counts).await?;
    Ok(PreparedPage::prepare(page))
}

/// A snapshot page fetched ahead, kept across a pause: the position it starts at, and
/// the task fetching and preparing it (stopped when dropped unused: the download went
/// elsewhere, or its link was closed).
#[derive(Debug)]
struct Prefetched {
    from: (uuid::Uuid, u64, SnapshotPosition),
    task: tokio::task::JoinHandle<Result<PreparedSnapshot, SyncError>>,
}

impl Drop for Prefetched {
    fn drop(&mut self) {
        // A no-op once the task has finished, or once its result was taken.
        self.task.abort();
    }
}

/// Fetches a snapshot page and prepares it for writing, as [`fetch`] does a log page.
/// `plan`: the copy's chart of accounts, to work out the page's ledger rows with.
async fn fetch_snapshot(
    client: SyncClient,
    company: CompanyId,
    from: Option<(uuid::Uuid, u64, SnapshotPosition)>,
    page_size: u32,
    counts: bool,
    plan: Option<AccountPlan>,
) -> Result<PreparedSnapshot, SyncError> {
    let page = client.snapshot(company, from, page_size, counts).await?;
    Ok(PreparedSnapshot::prepare(page, plan.as_ref()))
}

/// Where a company file is moved before it is downloaded again from scratch:
/// `NAME.comptoir` → `NAME.2026-11-24T091500Z.bak`, beside it. A `.bak` file is not
/// picked up as a company file.
pub fn backup_path(path: &Path, now: DateTime<Utc>) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}.{}.bak", now.format("%Y-%m-%dT%H%M%SZ")))
}
