//! Password hashing off the async threads, a bounded number at a time.
//!
//! Argon2id costs about 19 MiB and tens of milliseconds of one core per password: a burst
//! of sign-ins hashed all at once would take every core and a lot of memory, and starve
//! every other request. So each hash waits for one of a few permits (a tokio semaphore,
//! one permit per core by default). A bounded number of requests may wait; beyond that,
//! or after waiting too long, the request is answered at once with `503 server_busy` and
//! a `Retry-After`, instead of queueing without end.
//!
//! The hashes run on threads of their own, as many as the permits, rather than on tokio's
//! blocking pool: the allocator keeps each thread's 19 MiB for reuse, and the blocking
//! pool spreads hashes over up to 512 threads, so memory grew with every new thread that
//! happened to hash (measured: 1.8 GB after a few hundred sign-ins, against a few
//! hundred MiB on threads of their own; see the `sign_in` benchmark).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use crate::auth as secrets;
use crate::error::ApiError;

/// How many hashes may run at once, wait, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes running at once: by default the cores available.
    pub parallel: usize,
    /// Requests that may wait for a permit beyond those running.
    pub queue: usize,
    /// The longest a request waits for a permit.
    pub max_wait: Duration,
}

impl Default for HashingLimits {
    fn default() -> Self {
        let parallel = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self { parallel, queue: parallel * 32, max_wait: Duration::from_secs(10) }
    }
}

/// A hash to compute on a hashing thread; it sends its own result.
type Job = Box<dyn FnOnce() + Send>;

/// The permits hashing runs under, and its threads; shared by every request of a server.
/// The threads stop when the pool is dropped.
#[derive(Debug)]
pub struct HashingPool {
    permits: Semaphore,
    waiting: AtomicUsize,
    limits: HashingLimits,
    /// `None` when no thread could be started: hashes then run on the blocking pool.
    jobs: Option<mpsc::Sender<Job>>,
}

/// Keeps the count of waiting requests right however the wait ends (dropped futures too).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HashingPool {
    pub fn new(limits: HashingLimits) -> Self {
        let limits = HashingLimits { parallel: limits.parallel.max(1), ..limits };
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let started = (0..limits.parallel)
            .filter(|n| {
                let receiver = Arc::clone(&receiver);
                let spawned = std::thread::Builder::new()
                    .name(format!("comptoir-hashing-{n}"))
                    .spawn(move || hash_jobs(&receiver));
                spawned.inspect_err(|error| tracing::error!(%error, "a hashing thread could not start")).is_ok()
            })
            .count();
        let jobs = (started > 0).then_some(sender);
        Self { permits: Semaphore::new(limits.parallel), waiting: AtomicUsize::new(0), limits, jobs }
    }

    pub fn limits(&self) -> HashingLimits {
        self.limits
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let permit = if let Ok(permit) = self.permits.try_acquire() {
            permit
        } else {
            let waiting = Waiting(&self.waiting);
            if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.queue {
                drop(waiting);
                return Err(busy(1));
            }
            let acquired = tokio::time::timeout(self.limits.max_wait, self.permits.acquire()).await;
            drop(waiting);
            match acquired {
                Ok(Ok(permit)) => permit,
                Ok(Err(closed)) => return Err(ApiError::internal(&closed)),
                Err(_) => return Err(busy(self.limits.max_wait.as_secs().max(1))),
            }
        };
        let result = match &self.jobs {
            Some(jobs) => {
                let (done, result) = tokio::sync::oneshot::channel();
                let job: Job = Box::new(move || {
                    let _ = done.send(work());
                });
                match jobs.send(job) {
                    Ok(()) => result.await.map_err(|_| ApiError::internal(&"a password hash failed")),
                    Err(_) => Err(ApiError::internal(&"the hashing threads stopped")),
                }
            }
            None => tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(&e)),
        };
        drop(permit);
        result
    }

    /// Whether `password` matches the Argon2 `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, ApiError> {
        self.run(move || secrets::verify_password(&password, &hash)).await
    }

    /// The Argon2 hash of a new password.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        Ok(self.run(move || secrets::hash_password(&password)).await??)
    }
}

/// A hashing thread: runs jobs until the pool is dropped. A job that panics costs its
/// request a 500 (its result never comes), not the thread.
fn hash_jobs(jobs: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // Only the wait for a job holds the lock; a panic cannot happen under it.
        let job = jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            tracing::error!("a password hash panicked");
        }
    }
}

/// The answer when sign-ins come faster than the server can check them.
fn busy(retry_after: u64) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "server_busy",
        "The server is checking many passwords at the moment: try again in a few seconds.",
    );
    error.retry_after = Some(i64::try_from(retry_after).unwrap_or(i64::MAX));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `future` once, on the test's own task: what it does up to its first wait is
    /// done when this returns, whatever the scheduler does.
    async fn poll_once<F: std::future::Future + Unpin>(future: &mut F) -> std::task::Poll<F::Output> {
        std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
    }

    // Each step is reached by polling the requests by hand and by messages from the
    // hashes themselves, never by sleeping: an earlier version released the hashes after
    // seeing the queue full, and a hash thread slow to pick up its job (a loaded machine)
    // then found the release already given and ran alone, so only one ever ran at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_the_permits_run_and_a_full_queue_is_answered_busy() {
        let pool =
            Arc::new(HashingPool::new(HashingLimits { parallel: 2, queue: 3, max_wait: Duration::from_secs(30) }));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (started, mut starts) = tokio::sync::mpsc::unbounded_channel::<usize>();
        let (release, _) = tokio::sync::broadcast::channel::<()>(1);
        let mut requests = Vec::new();
        for _ in 0..5 {
            let (pool, running, most, started) = (pool.clone(), running.clone(), most.clone(), started.clone());
            let mut released = release.subscribe();
            let mut request = Box::pin(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let _ = started.send(now);
                    // Blocks its hashing thread until the test releases it.
                    let _ = released.blocking_recv();
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            });
            assert!(poll_once(&mut request).await.is_pending());
            requests.push(request);
        }
        // The first two took the permits, the next three wait: the queue is full.
        assert_eq!(pool.permits.available_permits(), 0);
        assert_eq!(pool.waiting.load(Ordering::SeqCst), 3);
        // Both permit holders run at once: each says so, and neither can end yet.
        let first = starts.recv().await.unwrap();
        let second = starts.recv().await.unwrap();
        assert_eq!((first.min(second), first.max(second)), (1, 2));
        // The next request is refused at once.
        let refused = pool.run(|| ()).await.unwrap_err();
        assert_eq!(
            (refused.status, refused.code, refused.retry_after),
            (StatusCode::SERVICE_UNAVAILABLE, "server_busy", Some(1))
        );
        release.send(()).unwrap();
        let requests: Vec<_> = requests.into_iter().map(tokio::spawn).collect();
        for request in requests {
            request.await.unwrap().unwrap();
        }
        // The three that waited ran too, never more than two at a time.
        drop(started);
        let mut later = 0;
        while let Some(now) = starts.recv().await {
            assert!(now <= 2, "{now} hashes ran at once");
            later += 1;
        }
        assert_eq!(later, 3);
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(pool.waiting.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_wait_longer_than_allowed_is_answered_busy() {
        let pool = std::sync::Arc::new(HashingPool::new(HashingLimits {
            parallel: 1,
            queue: 10,
            max_wait: Duration::from_millis(50),
        }));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let mut holder = {
            let pool = pool.clone();
            Box::pin(async move { pool.run(move || released.recv().ok()).await })
        };
        assert!(poll_once(&mut holder).await.is_pending());
        assert_eq!(pool.permits.available_permits(), 0);
        let refused = pool.run(|| ()).await.unwrap_err();
        assert_eq!(refused.code, "server_busy");
        release.send(()).unwrap();
        holder.await.unwrap();
        assert!(pool.verify("x".into(), secrets::hash_password("x").unwrap()).await.unwrap());
    }
}
