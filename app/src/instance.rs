//! One app per data folder: launching Comptoir a second time brings the first window
//! forward instead of opening the same files twice.
//!
//! The first instance holds an exclusive lock on `instance.lock` for its lifetime and
//! listens on a loopback port written in `instance.port`. A later launch fails to take
//! the lock, connects to that port, asks the first to come forward, and exits.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const LOCK_FILE: &str = "instance.lock";
const PORT_FILE: &str = "instance.port";
/// What a later launch says, and what the first answers.
const ACTIVATE: &str = "comptoir-activate";
const ACTIVATED: &str = "comptoir-activated";

/// Calls the window's repaint; set once the window exists.
pub type Waker = Arc<OnceLock<Box<dyn Fn() + Send + Sync>>>;

/// The outcome of a launch.
#[derive(Debug)]
pub enum Instance {
    /// This is the only instance: it keeps the lock and listens.
    First(FirstInstance),
    /// Another instance runs on this folder; it was asked to come forward.
    Forwarded,
}

/// The first instance's lock and the flag its listener raises.
pub struct FirstInstance {
    _lock: File,
    activated: Arc<AtomicBool>,
    pub waker: Waker,
}

impl std::fmt::Debug for FirstInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstInstance").field("activated", &self.activated).finish_non_exhaustive()
    }
}

impl FirstInstance {
    /// Whether a later launch asked this one to come forward since the last call.
    pub fn take_activation(&self) -> bool {
        self.activated.swap(false, Ordering::AcqRel)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("another Comptoir uses {0}, but does not answer; close it, or remove its instance.lock if it is gone")]
    NoAnswer(PathBuf),
}

/// Whether a window runs on `dir` now (it holds the lock), without asking it anything.
pub fn in_use(dir: &Path) -> bool {
    let Ok(lock) = File::options().write(true).open(dir.join(LOCK_FILE)) else { return false };
    matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// Claims `dir` for this process, or hands over to the instance that has it.
pub fn claim(dir: &Path) -> Result<Instance, InstanceError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InstanceError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let lock_path = dir.join(LOCK_FILE);
    let lock = File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return forward(dir),
        Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io(dir))?;
    let port = listener.local_addr().map_err(io(dir))?.port();
    let port_path = dir.join(PORT_FILE);
    let temporary = dir.join(format!("{PORT_FILE}.tmp"));
    std::fs::write(&temporary, port.to_string()).map_err(io(&temporary))?;
    std::fs::rename(&temporary, &port_path).map_err(io(&port_path))?;
    let activated = Arc::new(AtomicBool::new(false));
    let waker: Waker = Arc::default();
    let (flag, wake) = (activated.clone(), waker.clone());
    std::thread::Builder::new()
        .name("comptoir-instance".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                if asks_to_come_forward(&stream) {
                    // Flagged and woken before the answer: the second launch exits on it.
                    flag.store(true, Ordering::Release);
                    if let Some(wake) = wake.get() {
                        wake();
                    }
                    let mut stream = &stream;
                    let _ = writeln!(stream, "{ACTIVATED}");
                }
            }
        })
        .map_err(io(dir))?;
    Ok(Instance::First(FirstInstance { _lock: lock, activated, waker }))
}

/// Reads one request; `true` when it asked to come forward.
fn asks_to_come_forward(stream: &TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    let mut reader = BufReader::new(stream);
    reader.read_line(&mut line).is_ok() && line.trim_end() == ACTIVATE
}

/// Asks the instance that holds `dir` to come forward (its port file may lag its lock
/// by a moment at start: a few tries).
fn forward(dir: &Path) -> Result<Instance, InstanceError> {
    for _ in 0..20 {
        let port = std::fs::read_to_string(dir.join(PORT_FILE)).ok().and_then(|p| p.trim().parse::<u16>().ok());
        if let Some(port) = port
            && ask(port).is_ok()
        {
            return Ok(Instance::Forwarded);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(InstanceError::NoAnswer(dir.to_path_buf()))
}

fn ask(port: u16) -> std::io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    writeln!(stream, "{ACTIVATE}")?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    if line.trim_end() == ACTIVATED { Ok(()) } else { Err(std::io::Error::other("not a Comptoir instance")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_brings_the_first_forward_and_stops() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let Ok(Instance::First(first)) = claim(dir.path()) else { panic!("the first launch gets the folder") };
        let woken = Arc::new(AtomicBool::new(false));
        let flag = woken.clone();
        let _ = first.waker.set(Box::new(move || flag.store(true, Ordering::Release)));
        assert!(!first.take_activation());

        assert!(matches!(claim(dir.path()), Ok(Instance::Forwarded)), "the second hands over");
        assert!(first.take_activation(), "the first is asked to come forward");
        assert!(woken.load(Ordering::Acquire), "and its window is woken");
        assert!(!first.take_activation(), "once");

        // Once the first has closed, the folder is free again.
        drop(first);
        assert!(matches!(claim(dir.path()), Ok(Instance::First(_))));
    }

    #[test]
    fn a_stray_connection_is_not_an_activation() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let Ok(Instance::First(first)) = claim(dir.path()) else { panic!("the first launch gets the folder") };
        let port: u16 = std::fs::read_to_string(dir.path().join(PORT_FILE))
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("a port file"));
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap_or_else(|e| panic!("{e}"));
        writeln!(stream, "GET / HTTP/1.1").unwrap_or_else(|e| panic!("{e}"));
        drop(stream);
        std::thread::sleep(Duration::from_millis(100));
        assert!(!first.take_activation());
    }
}
