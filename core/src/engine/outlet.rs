//! The engine's side of its event channel: bounded, and never blocking the engine.
//!
//! The channel holds [`EVENT_QUEUE`] events. When the window does not drain it (it is
//! busy, or hidden), the events that only say "the latest state is …" — sync status,
//! download progress, grace, "the data changed" — replace their older selves in a small
//! overflow instead of piling up; notices keep the newest [`MAX_WAITING_NOTICES`]; the
//! answers to commands are kept (there are never more of them than commands the bounded
//! command queue let in). The overflow goes out, in order, at the next event or tick.

use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use super::{Event, SetupStep};

/// Events the channel holds before the overflow takes over.
pub const EVENT_QUEUE: usize = 1_024;

/// Notices kept in the overflow; older ones are dropped (the bell shows the newest).
pub const MAX_WAITING_NOTICES: usize = 100;

/// The sending side, cheap to clone (a download's progress callback holds one).
#[derive(Clone, Debug)]
pub(super) struct Outlet {
    channel: SyncSender<Event>,
    overflow: Arc<Mutex<VecDeque<Event>>>,
}

/// Which "latest state" an event is, if it is one: a newer event of the same kind makes
/// it useless.
fn latest_of(event: &Event) -> Option<u8> {
    match event {
        Event::Status(_) => Some(0),
        Event::Grace(_) => Some(1),
        Event::DataChanged => Some(2),
        Event::LedgerChanged => Some(3),
        Event::Setup(SetupStep::Downloading { .. }) => Some(4),
        Event::BackgroundDownload { .. } => Some(5),
        _ => None,
    }
}

impl Outlet {
    pub(super) fn new(channel: SyncSender<Event>) -> Self {
        Self { channel, overflow: Arc::new(Mutex::new(VecDeque::new())) }
    }

    /// Sends `event` after whatever waits in the overflow; false once the window is gone.
    pub(super) fn send(&self, event: Event) -> bool {
        let mut overflow = self.overflow.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !Self::drain(&self.channel, &mut overflow) {
            return false;
        }
        if overflow.is_empty() {
            match self.channel.try_send(event) {
                Ok(()) => return true,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(event)) => Self::hold(&mut overflow, event),
            }
        } else {
            Self::hold(&mut overflow, event);
        }
        true
    }

    /// Sends what the overflow holds, as far as the channel takes it.
    pub(super) fn flush(&self) {
        let mut overflow = self.overflow.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::drain(&self.channel, &mut overflow);
    }

    /// Whether events wait in the overflow (the engine then ticks to flush them).
    pub(super) fn waiting(&self) -> bool {
        !self.overflow.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_empty()
    }

    fn drain(channel: &SyncSender<Event>, overflow: &mut VecDeque<Event>) -> bool {
        while let Some(event) = overflow.pop_front() {
            match channel.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    overflow.push_front(event);
                    return true;
                }
                Err(TrySendError::Disconnected(_)) => {
                    overflow.clear();
                    return false;
                }
            }
        }
        true
    }

    fn hold(overflow: &mut VecDeque<Event>, event: Event) {
        if let Some(kind) = latest_of(&event) {
            overflow.retain(|held| latest_of(held) != Some(kind));
        }
        if matches!(event, Event::Notice(_)) {
            let notices = overflow.iter().filter(|e| matches!(e, Event::Notice(_))).count();
            if notices >= MAX_WAITING_NOTICES
                && let Some(oldest) = overflow.iter().position(|e| matches!(e, Event::Notice(_)))
            {
                overflow.remove(oldest);
            }
        }
        overflow.push_back(event);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is the failure report")]

    use super::*;
    use crate::engine::{Notice, SyncState};

    /// A window that reads nothing for a whole download: the channel fills, then the
    /// overflow keeps one progress, the newest notices and every answer, in order.
    #[test]
    fn an_undrained_channel_stays_bounded_and_keeps_what_matters() {
        let (sender, receiver) = std::sync::mpsc::sync_channel(EVENT_QUEUE);
        let outlet = Outlet::new(sender);
        for i in 0..100_000_u64 {
            assert!(outlet.send(Event::Status(SyncState::Syncing { progress: None })));
            if i % 10 == 0 {
                assert!(outlet.send(Event::Notice(Notice::NotSignedIn)));
            }
            if i % 1_000 == 0 {
                assert!(outlet.send(Event::EditApplied { request: i, mutation_id: i }));
            }
        }
        let held = outlet.overflow.lock().unwrap().len();
        assert!(held <= 1 + MAX_WAITING_NOTICES + 100, "{held} held");
        // The window reads again: the answers all arrive, in the order they were sent.
        let mut answers = Vec::new();
        let mut total = 0;
        loop {
            outlet.flush();
            let batch: Vec<Event> = receiver.try_iter().collect();
            if batch.is_empty() {
                break;
            }
            total += batch.len();
            answers.extend(batch.into_iter().filter_map(|e| match e {
                Event::EditApplied { request, .. } => Some(request),
                _ => None,
            }));
        }
        assert_eq!(answers, (0..100).map(|i| i * 1_000).collect::<Vec<_>>());
        assert!(total <= EVENT_QUEUE + 1 + MAX_WAITING_NOTICES + 100, "{total} events");
        assert!(!outlet.waiting());
        drop(receiver);
        assert!(!outlet.send(Event::DataChanged), "the window is gone");
    }
}
