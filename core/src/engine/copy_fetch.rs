//! The company file a server keeps ready for first downloads, fetched and checked on the
//! side while the download goes on page by page (see [`super::Link::pull`]).
//!
//! A first download starts page by page, so that the company opens after its first pages
//! (its settings, contacts, articles and newest documents); meanwhile the server's copy,
//! when it keeps one, is downloaded beside the file, into a file of its own, and checked
//! whole ([`check_copy`]) on a blocking thread. Once checked, it comes to
//! [`received_path`] and replaces the file ([`crate::store::CompanyStore::take_over`]),
//! and only the log after it is pulled. A
//! server that keeps none (`404`, a host of the local network, another schema), a cut
//! download or a copy that fails a check leave the download page by page, as it was.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::model::CompanyId;
use crate::store::{COMPANY_SCHEMA_VERSION, CopyInfo, check_copy, received_path, remove_with_sides};
use crate::sync::{CopyBytes, SyncClient};

/// Where the server's copy stands for one download.
#[derive(Debug, Default)]
pub(crate) enum CopyFetch {
    /// Not asked for yet.
    #[default]
    NotAsked,
    /// Being downloaded, then checked, into a file of its own beside the company's.
    Fetching { task: JoinHandle<Option<Checked>>, bytes: Arc<CopyBytes> },
    /// Checked, waiting to replace the file (taken out of it as it is).
    Ready(Option<Checked>),
    /// None to take (none kept, refused, or taken already): page by page.
    Done,
}

/// A checked copy: what it holds, and where it is (deleted with it when not taken).
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) info: CopyInfo,
    pub(crate) file: PathBuf,
}

/// What waiting a while for the copy ended on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// Still on its way.
    Fetching,
    /// Checked: it may replace the file.
    Ready,
    /// None to take.
    None,
}

impl CopyFetch {
    /// Asks the server for its copy of `company`, once per download: it is received
    /// beside `path` and checked on the side.
    pub(crate) fn start(&mut self, client: &SyncClient, company: CompanyId, path: &Path) {
        if !matches!(self, Self::NotAsked) {
            return;
        }
        let bytes = Arc::new(CopyBytes::default());
        let task = tokio::spawn(fetch(client.clone(), company, path.to_path_buf(), Arc::clone(&bytes)));
        *self = Self::Fetching { task, bytes };
    }

    pub(crate) fn is_fetching(&self) -> bool {
        matches!(self, Self::Fetching { .. })
    }

    /// Whether the copy is checked and ready, looking at a fetch that has ended without
    /// waiting for one that has not.
    pub(crate) fn is_ready(&mut self) -> bool {
        if matches!(self, Self::Fetching { task, .. } if task.is_finished()) {
            // Finished: the wait is only for its result.
            let _ = futures_util::FutureExt::now_or_never(self.wait_inner());
        }
        matches!(self, Self::Ready(_))
    }

    /// Waits up to `tick` for the copy.
    pub(crate) async fn wait(&mut self, tick: Duration) -> Waited {
        match tokio::time::timeout(tick, self.wait_inner()).await {
            Ok(waited) => waited,
            Err(_) => Waited::Fetching,
        }
    }

    async fn wait_inner(&mut self) -> Waited {
        match self {
            Self::Fetching { task, .. } => {
                let taken = task.await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the copy's fetch stopped");
                    None
                });
                *self = taken.map_or(Self::Done, |checked| Self::Ready(Some(checked)));
                if matches!(self, Self::Ready(_)) { Waited::Ready } else { Waited::None }
            }
            Self::Ready(_) => Waited::Ready,
            Self::NotAsked | Self::Done => Waited::None,
        }
    }

    /// How much of the copy has come, from 0 to 1 (`None` before the server answered, or
    /// when none is on its way).
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        reason = "a progress bar's fraction, not an amount"
    )]
    pub(crate) fn fraction(&self) -> Option<f32> {
        let Self::Fetching { bytes, .. } = self else { return None };
        let total = bytes.total.load(Ordering::Relaxed);
        (total > 0).then(|| (bytes.received.load(Ordering::Relaxed) as f64 / total as f64).min(1.0) as f32)
    }

    /// The checked copy, to replace the file with; none is asked again for this download.
    pub(crate) fn take(&mut self) -> Option<Checked> {
        let Self::Ready(checked) = self else { return None };
        let checked = checked.take();
        *self = Self::Done;
        checked
    }

    /// The download no longer needs a copy (it ended page by page first): one on its way
    /// stops and deletes what it received, one checked is deleted.
    pub(crate) fn abandon(&mut self) {
        // A fetch that has ended is Ready or Done: its file is deleted below if need be.
        self.is_ready();
        *self = Self::Done;
    }
}

impl Drop for CopyFetch {
    fn drop(&mut self) {
        match self {
            // The fetch deletes what it received when it sees the stop.
            Self::Fetching { bytes, .. } => bytes.stop.store(true, Ordering::Relaxed),
            Self::Ready(Some(checked)) => remove_with_sides(&checked.file),
            Self::Ready(None) | Self::NotAsked | Self::Done => {}
        }
    }
}

/// Downloads the server's copy of `company` beside `path`, into a file of its own, and
/// checks it: `None` when there is none to take (what was received is then deleted, the
/// reason logged).
async fn fetch(client: SyncClient, company: CompanyId, path: PathBuf, bytes: Arc<CopyBytes>) -> Option<Checked> {
    // What fetches stopped midway left (a fetch of an earlier download may still be
    // checking its own: where an open file cannot be deleted, it deletes it when done).
    remove_stale(&path);
    let file = PathBuf::from(format!("{}{RECEIVING}{}", path.display(), uuid::Uuid::now_v7().simple()));
    let stopped = || bytes.stop.load(Ordering::Relaxed);
    let taken = async {
        let headers = match client.download_copy(company, &file, COMPANY_SCHEMA_VERSION, &bytes).await {
            Ok(Some(headers)) => headers,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        if stopped() {
            return Err("the download no longer needs it".into());
        }
        let checked = file.clone();
        let info = tokio::task::spawn_blocking(move || check_copy(&checked, company))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        if info.epoch != headers.epoch || info.upto != headers.upto {
            return Err(format!("the copy is not at the cursor it said ({info:?}, said {headers:?})"));
        }
        if stopped() {
            return Err("the download no longer needs it".into());
        }
        Ok(Some(info))
    };
    match taken.await {
        Ok(Some(info)) => {
            tracing::info!(%company, upto = info.upto, "the server's copy of the company came, checked");
            Some(Checked { info, file })
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%company, %error, "the server's copy could not be taken: the download goes page by page");
            remove_with_sides(&file);
            None
        }
    }
}

/// How the file a copy is received into is named: the company file's name, this, and an
/// id of its own.
const RECEIVING: &str = ".receiving-";

/// Deletes what fetches of `path`'s copy left: files being received, and a copy checked
/// at [`received_path`] that did not take the file's place (unless it has, and a crash
/// stopped its move: then it is the company's file).
fn remove_stale(path: &Path) {
    if !crate::store::take_over_pending(path) {
        remove_with_sides(&received_path(path));
    }
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else { return };
    let prefix = format!("{}{RECEIVING}", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with(&prefix) && !file_name.ends_with("-journal") {
            remove_with_sides(&entry.path());
        }
    }
}
