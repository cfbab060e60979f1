//! An engine told to stop, finishing on a thread of its own: whoever quits (the window's
//! thread) never waits for a busy engine, and whoever may wait (the process's main
//! thread, once the window is closed) waits a bounded time.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The engine's thread, stopping: [`Self::wait`] says whether it finished.
#[derive(Clone, Debug)]
pub struct EngineStopping {
    finished: Arc<(Mutex<bool>, Condvar)>,
}

impl EngineStopping {
    /// Joins `thread` on a helper thread; never blocks the caller. When no helper can be
    /// started, the engine's thread is left to finish on its own and this never reports
    /// it finished.
    pub(super) fn join_on_helper(thread: JoinHandle<()>) -> Self {
        let finished = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&finished);
        let helper = std::thread::Builder::new().name("comptoir-engine-stop".into()).spawn(move || {
            let _ = thread.join();
            let (done, changed) = &*signal;
            *done.lock().unwrap_or_else(PoisonError::into_inner) = true;
            changed.notify_all();
        });
        if let Err(error) = helper {
            tracing::warn!(%error, "no thread to wait for the engine: it finishes on its own");
        }
        Self { finished }
    }

    /// Whether the engine's thread has finished (its files closed).
    pub fn is_finished(&self) -> bool {
        *self.finished.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `timeout` for the engine's thread to finish; whether it did.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (done, changed) = &*self.finished;
        let done = done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) =
            changed.wait_timeout_while(done, timeout, |done| !*done).unwrap_or_else(PoisonError::into_inner);
        *done
    }
}
