//! What the screens reach of the machine beyond the company's file: the app's data
//! folder, and the system's applications to open a file or folder with.
//!
//! Opening goes through a function held here, the system's (`opener` crate) in the app
//! and one that records in the tests, which replace [`Desktop::opener`] on the running
//! app: no test-only branch in the screens' logic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Opens a file or folder in the system's application for it (the editor of a
/// template, the file manager of a folder, the viewer of a PDF); the error in words.
/// Called off the UI thread: starting the application may take a moment.
pub type Opener = Arc<dyn Fn(&Path) -> Result<(), String> + Send + Sync>;

/// The machine as the screens see it.
#[derive(Clone)]
pub struct Desktop {
    /// The app's data folder (the app file, the companies' files, their templates).
    pub data_dir: PathBuf,
    pub opener: Opener,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl Desktop {
    /// The data folder `data_dir`, opening files with the system's applications.
    pub fn new(data_dir: PathBuf) -> Self {
        Self { data_dir, opener: system_opener() }
    }
}

/// The system's opener: `xdg-open` on Linux, `open` on macOS, the shell on Windows.
pub fn system_opener() -> Opener {
    Arc::new(|path| opener::open(path).map_err(|e| e.to_string()))
}
