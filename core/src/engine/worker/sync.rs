//! The sync loop's one round: push and pull, what the user is told of it, the retry
//! schedule when offline, and the grace period that counts down meanwhile.

use tokio::time::Instant;

use super::Worker;
use crate::engine::link::ErrorKind;
use crate::engine::{DOWNLOAD_REFRESH, Event, Grace, Notice, Progress, SetupStep, SyncError, SyncState};
use crate::sync::{ClientError, SyncClient};

/// Warn when less than this is left of the grace period.
const GRACE_WARNING_HOURS: i64 = 24;
/// How often an unreachable host of the local network is looked for by mDNS.
const REDISCOVERY_EVERY: std::time::Duration = std::time::Duration::from_mins(5);
/// How long a look for it waits for an answer.
const DISCOVERY_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl Worker {
    /// Pushes and pulls, once, and schedules the next sync.
    pub(super) async fn sync(&mut self) {
        if self.redownload.is_some() {
            // The window did not answer in time: go on (see `download_again`).
            return self.finish_download_again().await;
        }
        if self.link.is_none() {
            return;
        }
        if let Some(at) = self.copy_release {
            // The server's copy waits for the window to let go of the file: until it
            // answers, or for a while.
            if Instant::now() < at {
                self.next_sync = Some(at);
                return;
            }
            tracing::info!("the window did not let go of the company's file in time: its copy replaces it anyway");
            self.replace_with_copy();
        }
        // The server asked for a wait: whatever asks for a sync meanwhile (an edit, the
        // network back, "Retry") waits for its end.
        if let Some(not_before) = self.not_before.filter(|at| *at > Instant::now()) {
            self.next_sync = Some(not_before);
            return;
        }
        self.not_before = None;
        if self.access.is_none() && self.email.is_some() {
            let mut refreshed = self.refresh_session().await;
            if matches!(refreshed, Err(ClientError::Unreachable(_))) && self.rediscover().await {
                refreshed = self.refresh_session().await;
            }
            match refreshed {
                Ok(()) => {}
                Err(e @ (ClientError::Unreachable(_) | ClientError::Busy { .. })) => {
                    return self.failed(&SyncError::Client(e));
                }
                Err(_) => return self.signed_out(),
            }
        }
        self.ensure_account().await;
        let (mut retried, mut moved) = (false, false);
        loop {
            let result = self.sync_once().await;
            match result {
                // Stopped on purpose: nothing to report.
                Ok(()) | Err(SyncError::Cancelled) => return,
                Err(e) if e.kind() == ErrorKind::SignedOut && !retried => {
                    retried = true;
                    self.access = None;
                    match self.refresh_session().await {
                        Ok(()) => {}
                        Err(e @ (ClientError::Unreachable(_) | ClientError::Busy { .. })) => {
                            return self.failed(&SyncError::Client(e));
                        }
                        Err(_) => return self.signed_out(),
                    }
                }
                Err(e) if e.kind() == ErrorKind::SignedOut => return self.signed_out(),
                Err(e) if e.kind() == ErrorKind::Rebuilt => return self.download_again(),
                // A host of the local network that moved: found again, try there once.
                Err(e) if e.kind() == ErrorKind::Offline && !moved && self.rediscover().await => moved = true,
                Err(e) => return self.failed(&e),
            }
        }
    }

    /// Looks for the host of the local network this copy syncs with by mDNS, when its
    /// address is a host's and it was not looked for in the last
    /// [`REDISCOVERY_EVERY`]: when found elsewhere, the new address is kept (the app's
    /// file, the copy's client) and `true` returned.
    async fn rediscover(&mut self) -> bool {
        if !crate::lan::HostAddress::is_host_address(&self.server)
            || self.last_discovery.is_some_and(|at| at.elapsed() < REDISCOVERY_EVERY)
        {
            return false;
        }
        self.last_discovery = Some(std::time::Instant::now());
        let url = self.server.clone();
        let found = tokio::task::spawn_blocking(move || crate::lan::discovery::refind(&url, DISCOVERY_WAIT)).await;
        let Ok(Some(moved)) = found else { return false };
        let client = match SyncClient::new(&moved) {
            Ok(client) => client,
            Err(e) => {
                tracing::warn!(error = %e, "the host's new address is unusable");
                return false;
            }
        };
        if let Err(e) = self.app.move_server(&self.server, &moved) {
            tracing::warn!(error = %e, "the host's new address could not be kept");
        }
        self.server = moved;
        if let Some(link) = self.link.as_mut() {
            link.client = client;
        }
        true
    }

    /// This computer's own host serves at `address`: when this copy syncs with that host
    /// (the same fingerprint) at other addresses, the new one is kept (the app's file, the
    /// copy's client) and `true` returned.
    pub(super) fn follow_local_host(&mut self, address: &str) -> bool {
        let (Ok(host), Ok(current)) =
            (crate::lan::HostAddress::parse(address), crate::lan::HostAddress::parse(&self.server))
        else {
            return false;
        };
        if host.fingerprint != current.fingerprint || host.addresses == current.addresses {
            return false;
        }
        let client = match SyncClient::new(address) {
            Ok(client) => client,
            Err(e) => {
                tracing::warn!(error = %e, "this computer's host address is unusable");
                return false;
            }
        };
        if let Err(e) = self.app.move_server(&self.server, address) {
            tracing::warn!(error = %e, "this computer's host address could not be kept");
        }
        tracing::info!(from = %self.server, to = %address, "following this computer's host to its new address");
        address.clone_into(&mut self.server);
        if let Some(link) = self.link.as_mut() {
            link.client = client;
        }
        true
    }

    pub(super) async fn sync_once(&mut self) -> Result<(), SyncError> {
        let Some(link) = self.link.as_mut() else { return Ok(()) };
        link.client.set_access_token(self.access.clone());
        let first = !link.downloaded()?;
        let mut usable = link.usable_told;
        let path = link.store.path().to_path_buf();
        let events = self.events.clone();
        let wake = self.config.wake.clone();
        let clock = self.config.clock.clone();
        let company = self.active.clone();
        self.state = match link.progress() {
            Some(progress) if first && usable => SyncState::Downloading { progress: progress.clone() },
            _ => SyncState::Syncing { progress: None },
        };
        self.emit(Event::Status(self.state.clone()));
        let Some(link) = self.link.as_mut() else { return Ok(()) };
        let mut refreshed = Instant::now();
        let result = {
            let mut on_progress = |progress: &Progress| {
                let Some(company) = company.as_ref().filter(|_| first) else {
                    let _ = events.send(Event::Status(SyncState::Syncing { progress: Some(progress.clone()) }));
                    wake();
                    return;
                };
                // Once the settings are here, the company can open: the rest comes behind.
                if !usable && progress.usable() {
                    usable = true;
                    let _ = events.send(Event::CopyUsable { company: company.clone(), path: path.clone() });
                }
                if usable {
                    let _ = events.send(Event::Status(SyncState::Downloading { progress: progress.clone() }));
                    if refreshed.elapsed() >= DOWNLOAD_REFRESH {
                        refreshed = Instant::now();
                        let _ = events.send(Event::DataChanged);
                    }
                } else {
                    let _ = events.send(Event::Setup(SetupStep::Downloading {
                        company: company.clone(),
                        progress: progress.clone(),
                    }));
                }
                wake();
            };
            link.sync(|| clock.now(), &mut on_progress).await
        };
        link.usable_told = usable;
        let report = result?;
        self.backoff.reset();
        self.offline_since = None;
        let now = self.config.clock.now();
        for rejected in &report.rejected {
            self.emit(Event::Notice(Notice::ChangeRejected {
                mutation_id: rejected.mutation_id,
                action: rejected.intent.action(),
                code: rejected.code.clone(),
                message: rejected.message.clone(),
            }));
        }
        for held in &report.held {
            self.emit(Event::Notice(Notice::RecordHeld(held.clone())));
        }
        for payment in &report.payments {
            self.emit(Event::Notice(Notice::PaymentReceived(payment.clone())));
        }
        if report.paused {
            self.paused(&report, first, now);
            return Ok(());
        }
        self.download_heard = None;
        if first && let (Some(company), Some(link)) = (self.active.clone(), &self.link) {
            let path = link.store.path().to_path_buf();
            self.emit(Event::Setup(SetupStep::Ready { company, path }));
        }
        if first || report.pulled > 0 || !report.rejected.is_empty() {
            self.emit(Event::DataChanged);
        }
        self.set_state(SyncState::Synced { at: now });
        self.mail_after_sync().await;
        self.update_grace();
        self.sync_soon(self.config.timing.interval);
        Ok(())
    }

    /// A sync that paused: commands wait (they are handled, then the sync goes on where
    /// it stood), or the server's copy came or replaced the file.
    fn paused(&mut self, report: &crate::engine::SyncReport, first: bool, now: chrono::DateTime<chrono::Utc>) {
        // A download under way has just heard from the server: edits are allowed.
        if first {
            self.download_heard = report.status.as_ref().map(|s| (now, s.offline_grace_hours));
            self.update_grace();
        }
        if report.copy_arrived
            && let Some(company) = self.active.as_ref().map(|a| a.id)
        {
            // The window lets go of the file first; the sync goes on when it has.
            self.emit(Event::CopyArrived { company });
            let at = Instant::now() + super::company::RELEASE_WAIT;
            self.copy_release = Some(at);
            self.next_sync = Some(at);
            return;
        }
        self.sync_soon(std::time::Duration::ZERO);
    }

    pub(super) fn failed(&mut self, error: &SyncError) {
        let now = self.config.clock.now();
        let kind = error.kind();
        let delay = match error {
            SyncError::Client(client) => self.backoff.next_delay_after(client.retry_after()),
            _ => self.backoff.next_delay(),
        };
        if kind == ErrorKind::Offline {
            let since = *self.offline_since.get_or_insert(now);
            self.set_state(SyncState::Offline { since });
        } else if kind == ErrorKind::Busy {
            // Online: the server answered. Nothing for the user to do but wait.
            tracing::info!(error = %error, ?delay, "the server is busy: waiting before the next sync");
            self.offline_since = None;
            self.not_before = Some(Instant::now() + delay);
            let retry_at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            self.set_state(SyncState::Busy { retry_at });
        } else {
            tracing::warn!(error = %error, "sync failed");
            let (code, message) = (error.code().to_owned(), error.to_string());
            self.set_state(SyncState::Error { kind, code: code.clone(), message: message.clone() });
            self.emit(Event::Notice(Notice::SyncFailed { kind, code, message }));
        }
        self.update_grace();
        self.sync_soon(delay);
    }

    pub(super) fn update_grace(&mut self) {
        let Some(link) = &self.link else { return };
        let now = self.config.clock.now();
        // A first download under way counts from when it last heard from the server.
        let heard = match link.store.last_sync() {
            Ok(Some(synced)) => Some(synced),
            Ok(None) => self.download_heard,
            Err(_) => None,
        };
        let grace = match heard {
            Some((at, hours)) => Grace::at(Some(at), hours, now),
            None => Grace::at(None, 0, now),
        };
        if let Grace::Open { left } = grace {
            if left <= chrono::Duration::hours(GRACE_WARNING_HOURS) {
                if !self.grace_warned {
                    self.grace_warned = true;
                    self.emit(Event::Notice(Notice::GraceEnding { left }));
                }
            } else {
                self.grace_warned = false;
            }
        }
        if self.grace != Some(grace) {
            self.grace = Some(grace);
            self.emit(Event::Grace(grace));
        }
    }
}
