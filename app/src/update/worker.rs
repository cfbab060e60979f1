//! The window's updater: checks at most daily (and when asked), downloads and installs
//! on the user's word, on a thread of its own; the window reads [`Updater::phase`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::{AfterExit, Check, CheckLog, Install, Release, Source, UpdateError};
use chrono::{DateTime, Utc};

/// The automatic check runs at most this often.
pub const CHECK_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Where the updater is.
#[derive(Debug, Default)]
pub enum Phase {
    /// Nothing checked since the app started.
    #[default]
    Idle,
    Checking,
    UpToDate {
        newest: semver::Version,
    },
    Available(Release),
    /// Downloading: bytes received of the total.
    Downloading {
        release: Release,
        done: u64,
        total: u64,
    },
    /// Installed: the new version starts when the app restarts.
    Ready {
        version: semver::Version,
    },
    /// The last check or install failed: a stable code and the reason.
    Failed {
        code: String,
        message: String,
    },
}

/// What keeps an update from being installed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// Edits of the open company are not on the server yet.
    EditsPending(u64),
    /// A sync is under way.
    Syncing,
    /// A document is open with changes not saved.
    UnsavedDraft,
}

enum Message {
    Checked(Result<Check, UpdateError>),
    Progress(u64, u64),
    Prepared(Result<AfterExit, UpdateError>),
}

/// The updater of one window.
pub struct Updater {
    /// `Err`: this build has no update source, or a malformed one.
    source: Result<Source, UpdateError>,
    pub install: Install,
    data: PathBuf,
    phase: Phase,
    /// When the last check succeeded (this run or an earlier one): read from the data
    /// folder once, kept here after (the window asks every frame).
    checked_at: Option<DateTime<Utc>>,
    /// The last check found this version, and the user has not dismissed the banner.
    pub banner: Option<semver::Version>,
    /// Why the last « Installer » or « Redémarrer » could not go on.
    pub blocked: Option<Blocker>,
    /// The update installed, to run once the window closed.
    after_exit: Option<AfterExit>,
    sender: Sender<Message>,
    receiver: Receiver<Message>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Updater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Updater").field("install", &self.install).field("phase", &self.phase).finish_non_exhaustive()
    }
}

impl Updater {
    /// The updater for the binary running, with the source it was built with.
    pub fn new(data: &Path, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let source = Source::configured().and_then(|s| s.ok_or(UpdateError::NotConfigured));
        Self::with(source, Install::detect(), data, wake)
    }

    /// An updater with a given source and install (tests).
    pub fn with(
        source: Result<Source, UpdateError>,
        install: Install,
        data: &Path,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        let (sender, receiver) = channel();
        Self {
            source,
            install,
            data: data.to_path_buf(),
            phase: Phase::Idle,
            checked_at: CheckLog::read(data).at,
            banner: None,
            blocked: None,
            after_exit: None,
            sender,
            receiver,
            wake,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Whether this build checks for updates at all.
    pub fn is_configured(&self) -> bool {
        self.source.is_ok()
    }

    /// When the last check ran (this run or an earlier one).
    pub fn last_check(&self) -> Option<DateTime<Utc>> {
        self.checked_at
    }

    /// Checks when the last check is older than a day (at start, then now and then).
    pub fn check_if_due(&mut self, now: DateTime<Utc>) {
        if !self.is_configured() || !matches!(self.phase, Phase::Idle) {
            return;
        }
        if self.last_check().is_some_and(|at| now.signed_duration_since(at) < CHECK_EVERY) {
            return;
        }
        self.check_now();
    }

    /// « Rechercher une mise à jour ».
    pub fn check_now(&mut self) {
        if matches!(self.phase, Phase::Checking | Phase::Downloading { .. } | Phase::Ready { .. }) {
            return;
        }
        let source = match &self.source {
            Ok(source) => source.clone(),
            Err(error) => {
                self.phase = failed(error);
                return;
            }
        };
        self.phase = Phase::Checking;
        let (sender, wake, install, data) =
            (self.sender.clone(), self.wake.clone(), self.install.clone(), self.data.clone());
        spawn("comptoir-update-check", move || {
            let seen = CheckLog::read(&data).newest_seen(source.manifest_url());
            let today = Utc::now().date_naive();
            let checked = super::check(&source, &super::current_version(), &install, seen.as_ref(), today);
            if let Ok(found) = &checked {
                CheckLog::record(&data, Utc::now(), source.manifest_url(), found.newest());
            }
            let _ = sender.send(Message::Checked(checked));
            wake();
        });
    }

    /// Installs the release found, unless something is pending.
    ///
    /// # Errors
    ///
    /// What keeps it from being installed now; nothing started.
    pub fn install(&mut self, blocker: Option<Blocker>) -> Result<(), Blocker> {
        self.blocked.clone_from(&blocker);
        if let Some(blocker) = blocker {
            return Err(blocker);
        }
        let Phase::Available(release) = &self.phase else { return Ok(()) };
        let Some(source) = self.source.as_ref().ok().cloned() else { return Ok(()) };
        let release = release.clone();
        let total = release.package.as_ref().map_or(0, |p| p.size);
        self.phase = Phase::Downloading { release: release.clone(), done: 0, total };
        let (sender, wake, install) = (self.sender.clone(), self.wake.clone(), self.install.clone());
        let folder = install.download_folder(&self.data);
        spawn("comptoir-update-install", move || {
            let progress_sender = sender.clone();
            let progress_wake = wake.clone();
            let progress = Arc::new(move |done, total| {
                let _ = progress_sender.send(Message::Progress(done, total));
                progress_wake();
            });
            let prepared = super::download(&source, &release, &folder, progress)
                .and_then(|downloaded| install.prepare(downloaded));
            let _ = sender.send(Message::Prepared(prepared));
            wake();
        });
        Ok(())
    }

    /// Takes in what the thread reported; called every frame.
    pub fn poll(&mut self) {
        while let Ok(message) = self.receiver.try_recv() {
            if let Message::Checked(Ok(_)) = &message {
                self.checked_at = Some(Utc::now());
            }
            match message {
                Message::Checked(Ok(Check::UpToDate { newest })) => self.phase = Phase::UpToDate { newest },
                Message::Checked(Ok(Check::Available(release))) => {
                    self.banner = Some(release.version.clone());
                    self.phase = Phase::Available(release);
                }
                Message::Checked(Err(error)) | Message::Prepared(Err(error)) => {
                    tracing::warn!(code = error.code(), "update: {error}");
                    self.phase = failed(&error);
                }
                Message::Progress(received, of) => {
                    if let Phase::Downloading { done, total, .. } = &mut self.phase {
                        (*done, *total) = (received, of);
                    }
                }
                Message::Prepared(Ok(after_exit)) => {
                    let version = match &self.phase {
                        Phase::Downloading { release, .. } => release.version.clone(),
                        _ => super::current_version(),
                    };
                    tracing::info!(%version, "update installed; it starts when the app restarts");
                    self.after_exit = Some(after_exit);
                    self.banner = None;
                    self.phase = Phase::Ready { version };
                }
            }
        }
    }

    /// The update to run once the window closed, if one was installed and nothing keeps
    /// the app from restarting (`blocker`).
    ///
    /// # Errors
    ///
    /// What keeps the app open now.
    pub fn take_after_exit(&mut self, blocker: Option<Blocker>) -> Result<Option<AfterExit>, Blocker> {
        self.blocked.clone_from(&blocker);
        match blocker {
            Some(blocker) => Err(blocker),
            None => Ok(self.after_exit.take()),
        }
    }

    /// Clears what an earlier run left in the download folder (an installer that ran).
    pub fn clear_leftovers(&self) {
        let folder = self.install.download_folder(&self.data);
        let Ok(entries) = std::fs::read_dir(&folder) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".comptoir-update-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn failed(error: &UpdateError) -> Phase {
    Phase::Failed { code: error.code().to_owned(), message: error.to_string() }
}

fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
    if let Err(error) = std::thread::Builder::new().name(name.to_owned()).spawn(work) {
        tracing::error!("cannot start the updater's thread: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn updater(data: &Path) -> Updater {
        Updater::with(Err(UpdateError::NotConfigured), Install::Managed, data, Arc::new(|| {}))
    }

    #[test]
    fn the_automatic_check_waits_a_day() {
        let data = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let url = "https://u.example/manifest.json";
        CheckLog::record(data.path(), now - chrono::TimeDelta::hours(2), url, &semver::Version::new(0, 1, 0));
        let mut updater = updater(data.path());
        assert_eq!(updater.last_check(), Some(now - chrono::TimeDelta::hours(2)));
        // Not configured: never checks on its own, and says why when asked.
        updater.check_if_due(now + CHECK_EVERY);
        assert!(matches!(updater.phase(), Phase::Idle));
        updater.check_now();
        assert!(matches!(updater.phase(), Phase::Failed { code, .. } if code == "update_not_configured"));
    }

    #[test]
    fn a_pending_edit_keeps_the_update_from_starting() {
        let data = tempfile::tempdir().unwrap();
        let mut updater = updater(data.path());
        assert_eq!(updater.install(Some(Blocker::EditsPending(3))), Err(Blocker::EditsPending(3)));
        assert!(matches!(updater.phase(), Phase::Idle));
    }
}
