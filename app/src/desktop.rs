//! What the app asks of the desktop around it: where to save a file (the system's save
//! dialog), to open a file in the system's viewer (which prints), and a folder for the
//! files it makes for the moment (a PDF handed to the viewer).
//!
//! The screens reach the desktop through [`Shell`], a trait object in the [`Desktop`]
//! the app holds: the real one ([`SystemShell`]) shows rfd's dialog and calls the
//! `opener` crate; a test puts its own in its place, which answers the dialog with a
//! path and records what it was asked to open, so that no test launches a viewer.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use thiserror::Error;

/// Repaints the window from another thread.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Why a file could not be opened in the system's viewer.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct OpenError(pub String);

/// The system's dialogs and programs, as the screens use them.
pub trait Shell: Send + Sync {
    /// Asks the user where to save a file, proposing `name` (`filter`: its kind's name
    /// and extensions), without blocking the frame: the chosen path, or `None` when
    /// cancelled, comes through the receiver, and `wake` repaints the window then.
    fn choose_save_path(&self, name: String, filter: (&str, &[&str]), wake: Wake) -> Option<Receiver<Option<PathBuf>>>;

    /// Opens `path` in the system's program for its kind (called off the UI thread).
    fn open(&self, path: &Path) -> Result<(), OpenError>;
}

/// The real desktop: rfd's save dialog on a thread of its own, and `opener`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemShell;

impl Shell for SystemShell {
    fn choose_save_path(&self, name: String, filter: (&str, &[&str]), wake: Wake) -> Option<Receiver<Option<PathBuf>>> {
        crate::screens::choose_file(name, filter, wake)
    }

    fn open(&self, path: &Path) -> Result<(), OpenError> {
        opener::open(path).map_err(|e| OpenError(e.to_string()))
    }
}

/// The desktop the screens use, and the app's folder for the files it makes for the
/// moment.
#[derive(Clone)]
pub struct Desktop {
    pub shell: Arc<dyn Shell>,
    /// `<data dir>/cache`: its files are made again whenever needed, never kept.
    pub cache_dir: PathBuf,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop").field("cache_dir", &self.cache_dir).finish_non_exhaustive()
    }
}

impl Desktop {
    /// The real desktop, with its cache in `data_dir`'s `cache` folder.
    pub fn system(data_dir: &Path) -> Self {
        Self { shell: Arc::new(SystemShell), cache_dir: data_dir.join("cache") }
    }
}
