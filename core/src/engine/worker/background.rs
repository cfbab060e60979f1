//! A company downloaded in the background while another stays open: Préférences →
//! Compte asked for a company whose copy is not on this computer. The open company keeps
//! its screens, its edits and its syncs; the other one's download runs between them, a
//! stretch at a time (it pauses for every command), and the window is told when it can
//! be opened at once.

use tokio::time::Instant;

use super::Worker;
use super::company::sync_setup_error;
use crate::engine::link::{ErrorKind, Link};
use crate::engine::{CompanyChoice, Event, Progress};
use crate::store::CompanyStore;

/// The first wait before a failed background download is tried again; it doubles up to
/// [`RETRY_MAX`].
const RETRY_MIN: std::time::Duration = std::time::Duration::from_secs(5);
const RETRY_MAX: std::time::Duration = std::time::Duration::from_mins(5);

/// How long one stretch of a background download runs before the engine looks at what
/// else is due (the open company's sync): it pauses after the page it is writing then.
const STRETCH: std::time::Duration = std::time::Duration::from_secs(2);

/// The company downloading in the background, and when its download goes on.
pub(super) struct Background {
    pub(super) choice: CompanyChoice,
    link: Link,
    pub(super) next: Instant,
    retry: std::time::Duration,
}

impl Background {
    /// Its file (recorded in the app's file only once downloaded).
    pub(super) fn path(&self) -> std::path::PathBuf {
        self.link.store.path().to_path_buf()
    }
}

impl Worker {
    /// Whether `company`, asked for, downloads in the background: its copy is not here,
    /// and another company, completely downloaded, is open and stays so meanwhile.
    pub(super) fn downloads_aside(&self, company: crate::model::CompanyId) -> bool {
        let open_elsewhere = self.active.as_ref().is_some_and(|active| active.id != company)
            && self.link.as_ref().is_some_and(|link| link.downloaded().unwrap_or(false));
        // Only a company this computer does not know: a failure to read the app file is
        // not "not here".
        open_elsewhere && matches!(self.app.company(company), Err(crate::store::StoreError::NotFound { .. }))
    }

    /// Starts (or goes on with) the background download of `choice`. Another company's
    /// background download stops: its file stays, and goes on when it is asked again.
    pub(super) async fn download_aside(&mut self, choice: CompanyChoice) {
        if self.background.as_ref().is_some_and(|b| b.choice.id == choice.id) {
            return;
        }
        self.background = None;
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => return self.background_failed(&choice, &crate::engine::SyncError::Client(e)),
        };
        let path = self.default_company_path(choice.id);
        // A download stopped before (the app was closed) goes on from its file.
        let resumed = CompanyStore::identify(&path).is_ok_and(|info| info.company_id == choice.id);
        let link = if resumed {
            Link::open(client, choice.id, &path)
        } else {
            Link::create(client, choice.id, &path, self.config.clock.now()).await.map(|(link, _)| link)
        };
        let mut link = match link {
            Ok(link) => link,
            Err(e) => return self.background_failed(&choice, &e),
        };
        self.adopt(&mut link);
        self.emit(Event::BackgroundDownload { company: choice.clone(), progress: Progress::default() });
        self.background = Some(Background { choice, link, next: Instant::now(), retry: RETRY_MIN });
    }

    /// Runs the background download until it ends, fails, or a command waits.
    pub(super) async fn background_step(&mut self) {
        let Some(background) = self.background.as_mut() else { return };
        background.link.client.set_access_token(self.access.clone());
        background.link.pause_at = Some(std::time::Instant::now() + STRETCH);
        let (events, wake, clock) = (self.events.clone(), self.config.wake.clone(), self.config.clock.clone());
        let company = background.choice.clone();
        let mut on_progress = |progress: &Progress| {
            let _ = events.send(Event::BackgroundDownload { company: company.clone(), progress: progress.clone() });
            wake();
        };
        match background.link.sync(|| clock.now(), &mut on_progress).await {
            Ok(report) if report.paused => background.next = Instant::now(),
            Ok(_) => self.background_done(),
            Err(e) if e.kind() == ErrorKind::Offline && self.stopping.load(std::sync::atomic::Ordering::Relaxed) => {}
            Err(e) => {
                background.next = Instant::now() + background.retry;
                background.retry = (background.retry * 2).min(RETRY_MAX);
                let choice = background.choice.clone();
                self.background_failed(&choice, &e);
            }
        }
    }

    /// The background download ended: the company is recorded as here (it opens at once
    /// when chosen), and the window is told.
    fn background_done(&mut self) {
        let Some(Background { mut choice, link, .. }) = self.background.take() else { return };
        let recorded = self.record_company(&choice, link.store.path(), false);
        drop(link);
        if let Err(e) = recorded {
            let message = e.to_string();
            return self.emit(Event::BackgroundFailed { company: choice, code: e.code().to_owned(), message });
        }
        tracing::info!(company = %choice.id, "downloaded in the background");
        choice.local = true;
        if let Some(account) = &self.account {
            self.emit(Event::Companies(self.choices(account)));
        }
        self.emit(Event::BackgroundReady { company: choice });
    }

    fn background_failed(&self, choice: &CompanyChoice, error: &crate::engine::SyncError) {
        tracing::warn!(company = %choice.id, error = %error, "the background download failed; it is tried again");
        let error = sync_setup_error(error, &self.server);
        self.emit(Event::BackgroundFailed {
            company: choice.clone(),
            code: error.code().to_owned(),
            message: error.to_string(),
        });
    }

    /// The background download's link, when `company` is the one downloading: opening it
    /// takes the download over (it goes on in the foreground).
    pub(super) fn take_background(&mut self, company: crate::model::CompanyId) -> Option<Link> {
        if self.background.as_ref().is_some_and(|b| b.choice.id == company) {
            return self.background.take().map(|b| b.link);
        }
        None
    }
}
