//! The sending pass over a company's e-mail outbox: every due message is handed to the
//! SMTP server, then marked sent, or left waiting with its error and a later try, or
//! failed for good.
//!
//! Guarantee: a queued message is delivered at least once, never silently dropped. Each
//! attempt is counted and the message marked `sending` in the company file *before* it is
//! handed to the server, with the Message-ID recorded when it was queued. If the app
//! stops after the server took the message but before it was marked sent, the next pass
//! sends it again: the recipient may get it twice, both with the same Message-ID (mail
//! clients and archives recognise the copy), and the log says the message was resent
//! after an interruption. SMTP offers no way to ask a server whether it already took a
//! message, so "exactly once" cannot be promised.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::message::compose;
use super::send::{SendError, SmtpSender};
use super::settings::SmtpSettings;
use crate::store::{CompanyStore, MailState, StoreError};

/// Attempts after which a message that never left is failed for good (about a day with
/// [`retry_delay`]'s waits).
pub const MAX_ATTEMPTS: u32 = 12;

/// The wait before the next try after `attempts` failed ones: one minute, doubling, at
/// most six hours.
pub fn retry_delay(attempts: u32) -> chrono::Duration {
    let minutes = 1_i64 << attempts.saturating_sub(1).min(9);
    chrono::Duration::minutes(minutes.min(360))
}

/// What a sending pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendPass {
    pub sent: Vec<Uuid>,
    /// Messages left waiting for a later pass, with why.
    pub waiting: Vec<(Uuid, SendError)>,
    /// Messages that will not be sent, with why (a notice for the user).
    pub failed: Vec<(Uuid, String, String)>,
    /// Messages found marked `sending` (an earlier pass was interrupted) and sent again.
    pub resent: Vec<Uuid>,
}

/// Sends the messages of `store`'s outbox that are due at `now` through `sender`. The
/// first "server unreachable" ends the pass: the rest would fail the same way, and their
/// attempts are not counted. Only a store error stops it early with an error.
pub async fn send_pass(
    store: &mut CompanyStore,
    settings: &SmtpSettings,
    sender: &SmtpSender,
    now: DateTime<Utc>,
) -> Result<SendPass, StoreError> {
    let mut pass = SendPass::default();
    for id in store.due_mail(now)? {
        let queued = store.begin_mail_attempt(id)?;
        let attempts = queued.attempts + 1;
        if queued.state == MailState::Sending {
            tracing::warn!(%id, message_id = %queued.message_id, "an earlier sending was interrupted: sent again");
            pass.resent.push(id);
        }
        let message = match compose(settings, &queued.mail, &queued.message_id) {
            Ok(message) => message,
            Err(e) => {
                store.mark_mail_failed(id, e.code(), &e.to_string(), None)?;
                pass.failed.push((id, e.code().to_owned(), e.to_string()));
                continue;
            }
        };
        match sender.send(message).await {
            Ok(()) => {
                store.mark_mail_sent(id, now)?;
                tracing::info!(%id, message_id = %queued.message_id, attempts, "e-mail sent");
                pass.sent.push(id);
            }
            Err(e) if e.is_final() || attempts >= MAX_ATTEMPTS => {
                store.mark_mail_failed(id, e.code(), &e.to_string(), None)?;
                tracing::warn!(%id, attempts, error = %e, "e-mail failed for good");
                pass.failed.push((id, e.code().to_owned(), e.to_string()));
            }
            Err(e) => {
                store.mark_mail_failed(id, e.code(), &e.to_string(), Some(now + retry_delay(attempts)))?;
                tracing::info!(%id, attempts, error = %e, "e-mail waits for a later pass");
                let unreachable = matches!(e, SendError::Unreachable { .. });
                pass.waiting.push((id, e));
                if unreachable {
                    break;
                }
            }
        }
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(retry_delay(1), chrono::Duration::minutes(1));
        assert_eq!(retry_delay(2), chrono::Duration::minutes(2));
        assert_eq!(retry_delay(5), chrono::Duration::minutes(16));
        assert_eq!(retry_delay(MAX_ATTEMPTS), chrono::Duration::hours(6));
        assert_eq!(retry_delay(u32::MAX), chrono::Duration::hours(6));
        let total: i64 = (1..MAX_ATTEMPTS).map(|n| retry_delay(n).num_minutes()).sum();
        assert!((12 * 60..48 * 60).contains(&total), "about a day before failing for good: {total} min");
    }
}
