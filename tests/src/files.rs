//! A real HTTP server for the updater's tests: Python's `http.server` serving a folder on
//! 127.0.0.1 (a file there is served, any other path is a 404). Killed when dropped.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The server process.
#[derive(Debug)]
pub struct FileServer {
    child: Child,
    /// Its address, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl FileServer {
    /// Serves `folder` on a free port of 127.0.0.1.
    ///
    /// # Errors
    ///
    /// `python3` cannot be started, or does not say its port.
    pub fn start(folder: &Path) -> Result<Self, String> {
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
            .arg(folder)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start python3 -m http.server: {e}"))?;
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let port = line.split_once(" port ").and_then(|(_, rest)| rest.split_whitespace().next()?.parse::<u16>().ok());
        if let Some(port) = port {
            return Ok(Self { child, url: format!("http://127.0.0.1:{port}") });
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("http.server did not say its port: {line:?}"))
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
