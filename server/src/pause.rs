//! Pause points, for the crash tests of multi-step changes.
//!
//! With `COMPTOIR_PAUSE_AT=<point>` in its environment, the server stops at that point of
//! a change (inside its transaction), prints `paused at <point>` on its standard output
//! and waits, so that a test can kill it there (SIGKILL) and check what a restart finds,
//! or, for `COMPTOIR_PAUSE_FOR=<milliseconds>`, goes on after that long (a request held
//! in flight while the server is told to stop).
//! Without it — always, outside tests — a point costs a look at a value read once.

use std::io::Write as _;
use std::sync::OnceLock;

/// The environment variable naming the point to pause at.
pub const PAUSE_AT: &str = "COMPTOIR_PAUSE_AT";

/// The environment variable giving how long a pause lasts, in milliseconds (ten minutes
/// when unset: until the test kills the server).
pub const PAUSE_FOR: &str = "COMPTOIR_PAUSE_FOR";

/// Waits here for a long time when the environment asks to pause at `point`.
pub fn point(point: &str) {
    static PAUSE: OnceLock<Option<String>> = OnceLock::new();
    if PAUSE.get_or_init(|| std::env::var(PAUSE_AT).ok()).as_deref() == Some(point) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "paused at {point}");
        let _ = out.flush();
        drop(out);
        let pause = std::env::var(PAUSE_FOR).ok().and_then(|ms| ms.trim().parse().ok());
        std::thread::sleep(pause.map_or(std::time::Duration::from_mins(10), std::time::Duration::from_millis));
    }
}
