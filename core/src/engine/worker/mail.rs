//! The e-mail outbox's sending pass in the engine: after each sync (the network is
//! back) and on [`Command::SendMail`](crate::engine::Command::SendMail), the open
//! company's due messages leave through its SMTP settings, with the password from the
//! credentials store (the OS keychain); each document that left is recorded for the
//! audit trail in the same commit that marks it sent, and pushed. Also where the window's
//! e-mail commands are done: the settings and texts saved, a document's message queued.

use super::Worker;
use crate::engine::{Event, MailEvent, MailFailure, MailPass, Secret};
use crate::mail::{
    MailTemplate, OutgoingMail, SmtpSender, SmtpSettings, compose, load_password, new_message_id, save_password,
    send_pass,
};
use crate::model::{DocumentId, DocumentLanguage, Permission};

impl Worker {
    /// Checks that a company is open and that the user's role allows `permission`; the
    /// refusal otherwise, as an answer for the window.
    fn mail_allowed(&self, permission: Permission, request: Option<u64>) -> Result<(), MailEvent> {
        let refuse = |code: &str, message: String| MailEvent::Refused { request, code: code.to_owned(), message };
        let (Some(active), Some(_)) = (&self.active, &self.link) else {
            return Err(refuse("no_company", "No company is open.".into()));
        };
        active.role.authorize(permission).map_err(|e| refuse(e.code(), e.to_string()))
    }

    /// Keeps the SMTP settings in the company file and the password in the credentials
    /// store: the settings are checked first, and nothing is kept when they are refused.
    pub(super) fn save_mail_settings(&mut self, settings: &SmtpSettings, password: Option<Secret>) {
        let answer = self.try_save_mail_settings(settings, password).err().unwrap_or(MailEvent::SettingsSaved);
        self.emit(Event::Mail(answer));
    }

    fn try_save_mail_settings(&mut self, settings: &SmtpSettings, password: Option<Secret>) -> Result<(), MailEvent> {
        self.mail_allowed(Permission::EditCompanySettings, None)?;
        let refuse = |code: &str, message: String| MailEvent::Refused { request: None, code: code.to_owned(), message };
        settings.validate().map_err(|e| refuse(e.code(), e.to_string()))?;
        let Some(link) = self.link.as_mut() else { return Err(refuse("no_company", "No company is open.".into())) };
        if let Some(Secret(password)) = password.filter(|p| !p.0.is_empty()) {
            save_password(self.config.credentials.as_ref(), link.company, &password)
                .map_err(|e| refuse("smtp_password_unsaved", e.to_string()))?;
        }
        link.store.save_mail_settings(settings).map_err(|e| refuse(e.code(), e.to_string()))
    }

    /// Keeps the company's own e-mail text of a language, or goes back to the built-in one.
    pub(super) fn save_mail_template(&mut self, language: DocumentLanguage, template: Option<&MailTemplate>) {
        let answer = match self.mail_allowed(Permission::EditCompanySettings, None) {
            Err(refused) => refused,
            Ok(()) => match self.link.as_mut().map(|link| link.store.save_mail_template(language, template)) {
                Some(Ok(())) => MailEvent::TemplateSaved { language },
                Some(Err(e)) => MailEvent::Refused { request: None, code: e.code().to_owned(), message: e.to_string() },
                None => MailEvent::Refused {
                    request: None,
                    code: "no_company".into(),
                    message: "No company is open.".into(),
                },
            },
        };
        self.emit(Event::Mail(answer));
    }

    /// Sends a test message at once through the saved settings and the keychain's
    /// password; the answer is whether the SMTP server took it, and why not.
    pub(super) async fn send_test_mail(&mut self, mail: &OutgoingMail) {
        let answer = match self.try_send_test_mail(mail).await {
            Ok(()) => MailEvent::TestSent { to: mail.to.join(", ") },
            Err(refused) => refused,
        };
        self.emit(Event::Mail(answer));
    }

    async fn try_send_test_mail(&mut self, mail: &OutgoingMail) -> Result<(), MailEvent> {
        self.mail_allowed(Permission::EditCompanySettings, None)?;
        let refuse = |code: &str, message: String| MailEvent::Refused { request: None, code: code.to_owned(), message };
        let Some(link) = self.link.as_ref() else { return Err(refuse("no_company", "No company is open.".into())) };
        let settings =
            link.store.mail_settings().map_err(|e| refuse(e.code(), e.to_string()))?.ok_or_else(|| {
                refuse("smtp_settings_missing", "The company's SMTP settings are not filled in.".into())
            })?;
        let password = load_password(self.config.credentials.as_ref(), link.company)
            .map_err(|e| refuse("smtp_password_unreadable", e.to_string()))?;
        let sender = SmtpSender::new(&settings, password.as_deref()).map_err(|e| refuse(e.code(), e.to_string()))?;
        let message =
            compose(&settings, mail, &new_message_id(&settings)).map_err(|e| refuse(e.code(), e.to_string()))?;
        sender.send(message).await.map_err(|e| refuse(e.code(), e.to_string()))?;
        tracing::info!(server = %settings.host, "test e-mail sent");
        Ok(())
    }

    /// Queues a document's message in the outbox (checked: nothing is queued when it is
    /// refused), then runs the sending pass at once.
    pub(super) async fn queue_mail(&mut self, request: u64, document: DocumentId, mail: &OutgoingMail) {
        let now = self.config.clock.now();
        let queued = self.mail_allowed(Permission::IssueDocuments, Some(request)).and_then(|()| {
            let refuse = |code: &str, message: String| MailEvent::Refused {
                request: Some(request),
                code: code.to_owned(),
                message,
            };
            let link = self.link.as_mut().ok_or_else(|| refuse("no_company", "No company is open.".into()))?;
            let settings =
                link.store.mail_settings().map_err(|e| refuse(e.code(), e.to_string()))?.ok_or_else(|| {
                    refuse(
                        "smtp_settings_missing",
                        "The company's SMTP settings are not filled in (Paramètres → E-mail).".into(),
                    )
                })?;
            let message_id = new_message_id(&settings);
            link.store
                .queue_mail(mail, &message_id, Some(document.0), now)
                .map_err(|e| refuse(e.code(), e.to_string()))?;
            tracing::info!(%document, message_id, "e-mail queued");
            Ok(())
        });
        match queued {
            Ok(()) => {
                self.emit(Event::Mail(MailEvent::Queued { request }));
                self.emit(Event::DataChanged);
                let pass = self.send_mail().await;
                self.report_mail(pass);
            }
            Err(refused) => self.emit(Event::Mail(refused)),
        }
    }

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
        let pass = send_pass(&mut link.store, &settings, &sender, now).await;
        // Each document that left was recorded for the audit trail when it was marked
        // sent (`CompanyStore::mark_mail_sent`): the record goes to the server.
        if pass.as_ref().is_ok_and(|pass| !pass.sent.is_empty()) {
            self.sync_soon(self.config.timing.debounce);
        }
        match pass {
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
        // A document shows what became of its messages.
        let changed = !pass.sent.is_empty() || pass.failed.iter().any(|f| f.id.is_some());
        self.emit(Event::MailPass(pass));
        if changed {
            self.emit(Event::DataChanged);
        }
    }
}
