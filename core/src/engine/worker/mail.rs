//! The e-mail outbox's sending pass in the engine: after each sync (the network is
//! back) and on [`Command::SendMail`](crate::engine::Command::SendMail), the open
//! company's due messages leave through its SMTP settings, with the password from the
//! credentials store (the OS keychain).

use super::Worker;
use crate::engine::{Event, MailFailure, MailPass};
use crate::mail::{SmtpSender, load_password, send_pass};

impl Worker {
    /// Sends the open company's due messages. A pass that cannot run while messages
    /// wait (no SMTP settings, no password, the keychain failing) reports why.
    pub(super) async fn send_mail(&mut self) -> MailPass {
        let now = self.config.clock.now();
        let Some(link) = self.link.as_mut() else { return MailPass::default() };
        let refused = |code: &str, message: String| MailPass {
            failed: vec![MailFailure { id: None, code: code.to_owned(), message }],
            ..MailPass::default()
        };
        let due = match link.store.due_mail(now) {
            Ok(due) if due.is_empty() => return MailPass::default(),
            Ok(due) => due.len(),
            Err(e) => return refused(e.code(), e.to_string()),
        };
        let settings = match link.store.mail_settings() {
            Ok(Some(settings)) => settings,
            Ok(None) => {
                return refused(
                    "smtp_settings_missing",
                    format!("{due} e-mail(s) wait: the company's SMTP settings are not filled in."),
                );
            }
            Err(e) => return refused(e.code(), e.to_string()),
        };
        let password = match load_password(self.config.credentials.as_ref(), link.company) {
            Ok(password) => password,
            Err(e) => return refused("smtp_password_unreadable", e.to_string()),
        };
        let sender = match SmtpSender::new(&settings, password.as_deref()) {
            Ok(sender) => sender,
            Err(e) => return refused(e.code(), e.to_string()),
        };
        match send_pass(&mut link.store, &settings, &sender, now).await {
            Ok(pass) => MailPass {
                // The waiting ones, and those the pass did not reach (the server unreachable).
                waiting: due.saturating_sub(pass.sent.len() + pass.failed.len()),
                sent: pass.sent,
                failed: pass
                    .failed
                    .into_iter()
                    .map(|(id, code, message)| MailFailure { id: Some(id), code, message })
                    .collect(),
            },
            Err(e) => refused(e.code(), e.to_string()),
        }
    }

    /// The pass after a sync: reported only when something was sent or failed.
    pub(super) async fn mail_after_sync(&mut self) {
        let pass = self.send_mail().await;
        if !pass.sent.is_empty() || !pass.failed.is_empty() {
            self.report_mail(pass);
        }
    }

    /// Tells the window what a pass did; each failure is also a notice for the bell.
    pub(super) fn report_mail(&mut self, pass: MailPass) {
        if !pass.failed.is_empty() {
            tracing::warn!(failed = pass.failed.len(), "e-mails failed");
        }
        for failure in &pass.failed {
            let (code, message) = (failure.code.clone(), failure.message.clone());
            self.emit(Event::Notice(crate::engine::Notice::MailFailed { code, message }));
        }
        self.emit(Event::MailPass(pass));
    }
}
