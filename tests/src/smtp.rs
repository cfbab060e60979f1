//! A real SMTP server for the e-mail tests: `scripts/smtp_sink.py` (aiosmtpd, from the
//! venv that `scripts/einvoice-venv.sh` makes) run as a process on 127.0.0.1, writing
//! every message it receives to a folder with what Python's `email` package reads in it
//! (envelope, headers, text body, attachments in base64). Killed when dropped.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The python of the test venv: `COMPTOIR_EINVOICE_PYTHON`, else the cache's venv.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("COMPTOIR_EINVOICE_PYTHON") {
        return PathBuf::from(python);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"), PathBuf::from);
    cache.join("comptoir/venv/bin/python")
}

/// The SMTP sink process.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    folder: PathBuf,
}

impl SmtpSink {
    /// Starts the sink writing to `folder`, on `port` (0: a free port of its choice),
    /// requiring a sign-in with `login` (user, password) when given.
    pub fn start(folder: &Path, port: u16, login: Option<(&str, &str)>) -> Result<Self, String> {
        Self::start_with(folder, port, login, &[])
    }

    /// [`Self::start`] with more arguments for the script (`--hold-reply SECONDS`).
    pub fn start_with(folder: &Path, port: u16, login: Option<(&str, &str)>, more: &[&str]) -> Result<Self, String> {
        let python = python();
        if !python.is_file() {
            return Err(format!(
                "no Python with aiosmtpd at {}: run scripts/einvoice-venv.sh (or set COMPTOIR_EINVOICE_PYTHON)",
                python.display()
            ));
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp_sink.py");
        let mut command = Command::new(python);
        command.arg(script).arg(folder).arg("--port").arg(port.to_string());
        if let Some((user, password)) = login {
            command.args(["--user", user, "--password", password]);
        }
        command.args(more);
        let mut child =
            command.stdout(Stdio::piped()).stdin(Stdio::null()).spawn().map_err(|e| format!("spawn: {e}"))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        if let Ok(port) = line.trim().parse() {
            Ok(Self { child, port, folder: folder.to_path_buf() })
        } else {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("the SMTP sink did not start (it printed {line:?})"))
        }
    }

    /// The reports of the messages received so far, in order of arrival.
    pub fn received(&self) -> Vec<serde_json::Value> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else { return Vec::new() };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.iter().filter_map(|p| serde_json::from_slice(&std::fs::read(p).ok()?).ok()).collect()
    }

    /// The messages received once `count` arrived or `limit` passed. The sink writes a
    /// message before it answers "250", so a short limit is enough to check that no more
    /// than expected came.
    pub fn wait_at_most(&self, count: usize, limit: Duration) -> Vec<serde_json::Value> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count || started.elapsed() > limit {
                return received;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `count` messages have been received (at most 10 s), and returns them.
    pub fn wait_for(&self, count: usize) -> Vec<serde_json::Value> {
        self.wait_at_most(count, Duration::from_secs(10))
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
