//! An engine told to stop, finishing on a thread of its own: whoever quits (the window's
//! thread) never waits for a busy engine, and whoever may wait (the process's main
//! thread, once the window is closed) waits a bounded time.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A one-way signal between threads: set once when something has finished, waited on
/// for a bounded time. The engine's stop uses it, and so does the app's local host.
#[derive(Clone, Debug, Default)]
pub struct Finished(Arc<(Mutex<bool>, Condvar)>);

impl Finished {
    /// Says it has finished, waking whoever waits.
    pub fn set(&self) {
        let (done, changed) = &*self.0;
        *done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        changed.notify_all();
    }

    /// Whether it has finished.
    pub fn is_set(&self) -> bool {
        *self.0.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `timeout` for it to finish; whether it did.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (done, changed) = &*self.0;
        let done = done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) =
            changed.wait_timeout_while(done, timeout, |done| !*done).unwrap_or_else(PoisonError::into_inner);
        *done
    }
}

/// The engine's thread, stopping: [`Self::wait`] says whether it finished.
#[derive(Clone, Debug)]
pub struct EngineStopping {
    finished: Finished,
}

impl EngineStopping {
    /// Joins `thread` on a helper thread; never blocks the caller. When no helper can be
    /// started, the engine's thread is left to finish on its own and this never reports
    /// it finished.
    pub(super) fn join_on_helper(thread: JoinHandle<()>) -> Self {
        let finished = Finished::default();
        let signal = finished.clone();
        let helper = std::thread::Builder::new().name("comptoir-engine-stop".into()).spawn(move || {
            let _ = thread.join();
            signal.set();
        });
        if let Err(error) = helper {
            tracing::warn!(%error, "no thread to wait for the engine: it finishes on its own");
        }
        Self { finished }
    }

    /// Whether the engine's thread has finished (its files closed).
    pub fn is_finished(&self) -> bool {
        self.finished.is_set()
    }

    /// Waits up to `timeout` for the engine's thread to finish; whether it did.
    pub fn wait(&self, timeout: Duration) -> bool {
        self.finished.wait(timeout)
    }
}
