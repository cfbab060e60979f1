//! The window's log, in the platform's log folder ([`crate::folders::log_dir`]), rotated
//! by size: what a user sends support when something went wrong, without a terminal.
//!
//! The log is `comptoir.log`. Once it passes [`MAX_BYTES`] it becomes `comptoir.log.1`
//! (the older ones move up to `.2` … and the one past [`KEEP`] is deleted), and a new one
//! starts, between two lines: the folder never holds more than `KEEP + 1` files of about
//! `MAX_BYTES` each.
//! The command-line commands log to standard error only.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The log's size past which it is rotated.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// How many rotated logs are kept beside the current one.
pub const KEEP: usize = 5;
/// The current log's name.
pub const FILE: &str = "comptoir.log";

/// A log file that rotates itself by size; cheap to clone (one file behind a lock), as
/// `tracing_subscriber` makes a writer per event.
#[derive(Clone, Debug)]
pub struct RotatingLog {
    inner: Arc<Mutex<Current>>,
}

#[derive(Debug)]
struct Current {
    dir: PathBuf,
    file: File,
    written: u64,
    /// The last write did not end its line: a rotation waits for the line's end.
    line_open: bool,
    max_bytes: u64,
    keep: usize,
}

impl RotatingLog {
    /// Opens (creating the folder) the log in `dir`, appending; rotated past `max_bytes`,
    /// `keep` old ones kept.
    ///
    /// # Errors
    ///
    /// When the folder or the file cannot be made.
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = OpenOptions::new().create(true).append(true).open(dir.join(FILE))?;
        let written = file.metadata()?.len();
        let current = Current { dir: dir.to_path_buf(), file, written, line_open: false, max_bytes, keep };
        Ok(Self { inner: Arc::new(Mutex::new(current)) })
    }
}

impl Current {
    /// `comptoir.log` → `.1` → `.2` …, the last dropped; then a new `comptoir.log`.
    fn rotate(&mut self) -> std::io::Result<()> {
        let name = |n: usize| self.dir.join(format!("{FILE}.{n}"));
        let _ = std::fs::remove_file(name(self.keep));
        for n in (1..self.keep).rev() {
            if name(n).exists() {
                std::fs::rename(name(n), name(n + 1))?;
            }
        }
        if self.keep > 0 {
            std::fs::rename(self.dir.join(FILE), name(1))?;
        }
        self.file = OpenOptions::new().create(true).write(true).truncate(true).open(self.dir.join(FILE))?;
        self.written = 0;
        Ok(())
    }
}

impl std::io::Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A writer that panicked mid-line leaves a usable file: take the lock back.
        let mut current = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !current.line_open && current.written > 0 && current.written + buf.len() as u64 > current.max_bytes {
            current.rotate()?;
        }
        current.file.write_all(buf)?;
        current.written += buf.len() as u64;
        current.line_open = buf.last().is_some_and(|b| *b != b'\n');
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner).file.flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RotatingLog {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is the failure report")]

    use std::io::Write as _;

    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_log_rotates_by_size_and_keeps_the_newest_few() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = RotatingLog::open(dir.path(), 100, 3).unwrap();
        for n in 0..40 {
            writeln!(log, "line {n:04} of the window's log").unwrap();
        }
        log.flush().unwrap();
        assert_eq!(files(dir.path()), ["comptoir.log", "comptoir.log.1", "comptoir.log.2", "comptoir.log.3"]);
        // A file passes the size by one line at most: a line is never split.
        let line = "line 0000 of the window's log\n".len() as u64;
        for name in files(dir.path()) {
            let size = std::fs::metadata(dir.path().join(&name)).unwrap().len();
            assert!(size <= 100 + line, "{name}: {size} bytes");
            let text = std::fs::read_to_string(dir.path().join(&name)).unwrap();
            assert!(text.lines().all(|l| l.len() as u64 == line - 1), "{name} holds whole lines: {text}");
        }
        // The newest lines are in the current file, the ones before in .1.
        let current = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert!(current.contains("line 0039"), "{current}");
        let previous = std::fs::read_to_string(dir.path().join("comptoir.log.1")).unwrap();
        let (last_previous, first_current) = (previous.lines().last().unwrap(), current.lines().next().unwrap());
        let number = |line: &str| line[5..9].parse::<u32>().unwrap();
        assert_eq!(number(last_previous) + 1, number(first_current), "nothing lost between two files");
    }

    #[test]
    fn a_restart_appends_to_the_log_and_rotates_it_when_full() {
        let dir = tempfile::tempdir().unwrap();
        writeln!(RotatingLog::open(dir.path(), 60, 2).unwrap(), "first run").unwrap();
        writeln!(RotatingLog::open(dir.path(), 60, 2).unwrap(), "second run").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), "first run\nsecond run\n");
        writeln!(RotatingLog::open(dir.path(), 30, 2).unwrap(), "a third run past the size").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(FILE)).unwrap(), "a third run past the size\n");
        assert_eq!(files(dir.path()), ["comptoir.log", "comptoir.log.1"]);
    }
}
