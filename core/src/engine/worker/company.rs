//! A company's lifecycle on this computer: choosing one, opening its copy (or downloading
//! it first), downloading it again when the server's data was rebuilt, and following a
//! copy that was moved.

use std::path::{Path, PathBuf};

use super::Worker;
use super::session::setup_error;
use crate::engine::link::Link;
use crate::engine::{CompanyChoice, Event, Notice, Progress, SetupError, SetupStep, SyncError};
use crate::model::{CompanyId, Role};
use crate::store::{CompanyFileCheck, LocalCompany, PendingEdit, StoreError};

/// How long a download again waits for the window to close the company's file.
pub(super) const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// How many times, and how far apart, moving a file still held elsewhere is tried.
const MOVE_TRIES: u32 = 20;
const MOVE_RETRY: std::time::Duration = std::time::Duration::from_millis(250);

/// A download again waiting for the window to let go of the file.
pub(super) struct Redownload {
    pub(super) choice: CompanyChoice,
    path: PathBuf,
    /// The old file's edits that never reached the server.
    pending: Vec<PendingEdit>,
    /// The old file's documents the restored server numbered otherwise.
    renumbered: Vec<crate::store::Renumbering>,
    /// The old file's acknowledged edits the restored server refused.
    refused: Vec<PendingEdit>,
}

impl Worker {
    pub(super) async fn choose(&mut self, company: CompanyId) {
        self.ensure_account().await;
        let membership = self.account.as_ref().and_then(|a| a.companies.iter().find(|m| m.company_id == company.0));
        let known = self.app.company(company).ok();
        let choice = match (membership, known) {
            (Some(m), known) => {
                CompanyChoice { id: company, name: m.name.clone(), role: m.role, local: known.is_some() }
            }
            (None, Some(known)) => CompanyChoice { id: company, name: known.name, role: Role::ReadOnly, local: true },
            (None, None) => {
                return self.emit(Event::SetupFailed(SetupError::Refused {
                    code: "not_a_member".into(),
                    message: "This account is not a member of this company.".into(),
                }));
            }
        };
        if self.downloads_aside(choice.id) {
            return self.download_aside(choice).await;
        }
        self.open_company(choice).await;
    }

    /// Opens a company: at once when its copy is here, else after its first download.
    pub(super) async fn open_company(&mut self, mut choice: CompanyChoice) {
        self.link = None;
        self.active = None;
        self.grace = None;
        self.download_heard = None;
        self.copy_release = None;
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        let path = match self.app.company(choice.id) {
            Ok(known) => match self.app.check_company_file(choice.id) {
                Ok(CompanyFileCheck::Attached) => Some(known.file_path),
                Ok(CompanyFileCheck::Missing) => {
                    let dirs = [self.companies_dir(), self.config.data_dir.clone()];
                    let found =
                        self.app.find_company_file(choice.id, &[dirs[0].as_path(), dirs[1].as_path()]).ok().flatten();
                    if found.is_some() {
                        self.emit(Event::Notice(Notice::CompanyFileMoved {
                            company: choice.id,
                            expected: known.file_path,
                            found,
                        }));
                        return;
                    }
                    // Deleted: download it again.
                    None
                }
                Ok(_) | Err(_) => {
                    self.emit(Event::Notice(Notice::CompanyFileMoved {
                        company: choice.id,
                        expected: known.file_path,
                        found: None,
                    }));
                    return;
                }
            },
            Err(StoreError::NotFound { .. }) => None,
            // A failure to read the app file is not "this company is not here": nothing
            // is downloaded again over a copy that may hold edits.
            Err(e) => return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() })),
        };
        // A file of this company where a new one would go (the app file forgot it): it is
        // opened, not replaced.
        let path = path.or_else(|| {
            let default = self.default_company_path(choice.id);
            crate::store::CompanyStore::identify(&default)
                .is_ok_and(|info| info.company_id == choice.id)
                .then_some(default)
        });
        let link = if let Some(link) = self.take_background(choice.id) {
            // Downloading in the background: it goes on here, in the foreground.
            Ok(link)
        } else if let Some(path) = path {
            Link::open(client, choice.id, &path)
        } else {
            let path = self.default_company_path(choice.id);
            Link::create(client, choice.id, &path, self.config.clock.now()).await.map(|(link, _)| link)
        };
        let mut link = match link {
            Ok(link) => link,
            Err(e) => return self.emit(Event::SetupFailed(sync_setup_error(&e, &self.server))),
        };
        // Edits made from now on are the signed-in account's; only its own go in its name.
        self.adopt(&mut link);
        // The window opens the file before its download ends: a copy of the server's
        // replaces it only once the window has let go of it.
        link.release_before_replace = true;
        let recorded = self.record_company(&choice, link.store.path(), true);
        if let Err(e) = recorded.and_then(|()| self.app.set_active_company(choice.id)) {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        if self.account.is_none() {
            // Offline at start: the role as the copy last saw it.
            if let (Some(user), Ok(members)) = (self.user, link.store.members()) {
                choice.role = members.iter().find(|m| m.0 == user).map_or(Role::ReadOnly, |m| m.3);
            }
        }
        choice.local = true;
        let downloaded = link.downloaded().unwrap_or(false);
        // A download stopped midway, after the settings had come: the copy opens at once.
        let usable = !downloaded && link.has_settings().unwrap_or(false);
        link.usable_told = usable;
        let path = link.store.path().to_path_buf();
        self.link = Some(link);
        self.active = Some(choice.clone());
        let lan_host = crate::lan::HostAddress::is_host_address(&self.server).then(|| self.server.clone());
        self.emit(Event::SignedIn { email: self.email.clone().unwrap_or_default(), role: Some(choice.role), lan_host });
        self.report_waiting_edits();
        self.report_kept_copies();
        if downloaded {
            self.emit(Event::Setup(SetupStep::Ready { company: choice, path }));
            self.emit(Event::DataChanged);
            self.update_grace();
            self.sync_soon(std::time::Duration::ZERO);
        } else {
            // Ready is said by the sync that ends the download (see `sync_once`); it pauses
            // between pages for the commands that wait.
            if usable {
                self.emit(Event::CopyUsable { company: choice, path });
            } else {
                self.emit(Event::Setup(SetupStep::Downloading { company: choice, progress: Progress::default() }));
            }
            self.sync().await;
        }
    }

    /// The server's data was rebuilt: keep the old file aside, download again. The
    /// window's connections to the file go first (an open file cannot be moved on
    /// Windows): the window is asked, and the download goes on when it answers
    /// ([`Self::finish_download_again`]), or after [`RELEASE_WAIT`].
    pub(super) fn download_again(&mut self) {
        let Some(choice) = self.active.clone() else { return };
        let Some(old) = self.link.take() else { return };
        let path = old.store.path().to_path_buf();
        // What the old file holds that the server never had, for the user.
        let pending = old.store.pending_edits().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the old copy's waiting edits could not be read");
            Vec::new()
        });
        let renumbered = old.store.renumbered().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the old copy's renumbered documents could not be read");
            Vec::new()
        });
        let refused = old.store.refused_replays().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the old copy's refused edits could not be read");
            Vec::new()
        });
        drop(old);
        self.download_heard = None;
        self.redownload = Some(Redownload { choice: choice.clone(), path, pending, renumbered, refused });
        self.emit(Event::ReleaseCompanyFile { company: choice.id });
        self.next_sync = Some(tokio::time::Instant::now() + RELEASE_WAIT);
    }

    /// The second half of [`Self::download_again`], once the file is free: moves it
    /// aside (its path kept in the app file and shown), downloads again, and tells the
    /// window to open the new file.
    pub(super) async fn finish_download_again(&mut self) {
        let Some(Redownload { choice, path, pending, renumbered, refused }) = self.redownload.take() else { return };
        let mut tries = 0;
        let created = loop {
            let client = match self.client() {
                Ok(client) => client,
                Err(e) => break Err(SyncError::Client(e)),
            };
            match Link::create(client, choice.id, &path, self.config.clock.now()).await {
                // A file another program still holds (Windows): wait a little, try again.
                Err(SyncError::Store(StoreError::Io { .. })) if tries < MOVE_TRIES => {
                    tries += 1;
                    tokio::time::sleep(MOVE_RETRY).await;
                }
                other => break other,
            }
        };
        match created {
            Ok((mut link, backup)) => {
                self.adopt(&mut link);
                link.release_before_replace = true;
                self.link = Some(link);
                if let Some(backup) = &backup
                    && let Err(e) =
                        self.app.keep_copy(choice.id, backup, pending.len() as u64, &renumbered, refused.len() as u64)
                {
                    tracing::warn!(error = %e, "the kept copy could not be recorded");
                }
                self.emit(Event::Notice(Notice::DownloadedAgain { backup, pending, renumbered, refused }));
                self.report_kept_copies();
                // The sync that ends the download says Ready (see `sync_once`).
                Box::pin(self.sync()).await;
            }
            Err(e) => {
                // The old file is where it was: open it again, and retry later.
                if let Ok(client) = self.client()
                    && let Ok(mut link) = Link::open(client, choice.id, &path)
                {
                    self.adopt(&mut link);
                    self.link = Some(link);
                    self.emit(Event::Setup(SetupStep::Ready { company: choice, path }));
                }
                self.failed(&e);
            }
        }
    }

    /// The window let go of `company`'s file: it is moved aside for a download again, or
    /// replaced by the server's copy that waited ([`Event::CopyArrived`]).
    pub(super) async fn file_released(&mut self, company: CompanyId) {
        if self.redownload.as_ref().is_some_and(|r| r.choice.id == company) {
            self.finish_download_again().await;
        } else if self.copy_release.is_some() && self.active.as_ref().is_some_and(|a| a.id == company) {
            self.replace_with_copy();
            self.sync_soon(std::time::Duration::ZERO);
        }
    }

    /// The server's copy of the open company, waiting for the window to let go of the
    /// file ([`Event::CopyArrived`]), takes its place now, with no request to the server.
    /// The window opens the file again whatever came of it: the copy, or the file as it
    /// was when the copy could not replace it (the download then goes on page by page).
    pub(super) fn replace_with_copy(&mut self) {
        self.copy_release = None;
        let (Some(link), Some(company)) = (self.link.as_mut(), self.active.clone()) else { return };
        link.replace_with_copy();
        // Said once: the window keeps its screens when it opens the file again.
        link.usable_told = true;
        let path = link.store.path().to_path_buf();
        self.emit(Event::CopyUsable { company, path });
        self.emit(Event::DataChanged);
    }

    /// Records `choice` in the app file as here, its copy at `path` (and the one open, when
    /// `active`), for the signed-in account.
    pub(super) fn record_company(&self, choice: &CompanyChoice, path: &Path, active: bool) -> Result<(), StoreError> {
        self.app.upsert_company(&LocalCompany {
            company_id: choice.id,
            account: self.user,
            name: choice.name.clone(),
            file_path: path.to_path_buf(),
            active,
        })
    }

    /// Makes `link` the engine's: it stops when the engine does, pauses between pages for
    /// the commands that wait, and writes the signed-in account's edits in its name.
    pub(super) fn adopt(&self, link: &mut Link) {
        link.cancel = self.stopping.clone();
        link.waiting_commands = std::sync::Arc::clone(&self.waiting_commands);
        link.store.set_author(self.user);
    }

    /// Tells the window which old copies of the open company were kept aside.
    pub(super) fn report_kept_copies(&mut self) {
        let Some(active) = &self.active else { return };
        match self.app.kept_copies(active.id) {
            Ok(kept) => self.emit(Event::KeptCopies(kept)),
            Err(e) => tracing::warn!(error = %e, "the kept copies could not be read"),
        }
    }

    /// Where a company's file goes when it is first downloaded.
    pub(super) fn default_company_path(&self, company: CompanyId) -> PathBuf {
        self.companies_dir().join(format!("{company}.{}", crate::store::COMPANY_FILE_EXTENSION))
    }

    pub(super) async fn relink(&mut self, company: CompanyId, path: &Path) {
        match self.app.relink_company(company, path) {
            Ok(()) => self.choose(company).await,
            Err(e) => self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() })),
        }
    }
}

pub(super) fn sync_setup_error(error: &SyncError, url: &str) -> SetupError {
    match error {
        SyncError::Client(e) => setup_error(e, url),
        SyncError::Incompatible { .. } | SyncError::NoSettings => SetupError::Incompatible,
        SyncError::Store(_) | SyncError::Cancelled => SetupError::Local { message: error.to_string() },
        SyncError::Moved { .. } => SetupError::Refused { code: error.code().to_owned(), message: error.to_string() },
    }
}
