//! The company's e-mail outbox and SMTP settings (migration 0020): messages queued to be
//! sent, kept with their attachments until the SMTP server takes them; the company's own
//! e-mail texts per language and a document's messages (migration 0022). The sending pass
//! itself is [`crate::mail::send_pass`].

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use super::local::submit_in;
use super::{CompanyStore, StoreError};
use crate::mail::{Attachment, MailTemplate, OutgoingMail, Security, SmtpSettings};
use crate::model::{DocumentId, DocumentLanguage};
use crate::sync::{Intent, SendingNote};

/// Where a queued message is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailState {
    /// Not sent yet; tried again at `next_attempt_at`.
    Waiting,
    /// Handed to the SMTP server and not marked since: the app stopped in between, or
    /// the sending is under way. The next pass sends it again, with the same Message-ID.
    Sending,
    /// The SMTP server took it at this time (RFC 3339).
    Sent { at: String },
    /// It will not be sent: refused by the server, or too many attempts.
    Failed,
}

/// A message of the outbox, with where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: Uuid,
    /// The `Message-ID` it is sent with, every time.
    pub message_id: String,
    pub document_id: Option<Uuid>,
    pub mail: OutgoingMail,
    pub state: MailState,
    pub attempts: u32,
    pub queued_at: String,
    pub next_attempt_at: String,
    /// The last failure's stable code and message, kept after a later success.
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
}

/// One message that carried a document, as the document shows it ("envoyé le … à …").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentMail {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// When it was queued (RFC 3339).
    pub queued_at: String,
    pub state: MailState,
    /// The last failure's stable code and message (a waiting message that failed once,
    /// a failed one).
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
}

/// The longest body a company's own e-mail text may have.
pub const MAX_TEMPLATE_BODY: usize = 20_000;

fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn refused(code: &'static str, message: &dyn std::fmt::Display) -> StoreError {
    StoreError::Refused { code, message: message.to_string() }
}

/// A message's state as the outbox stores it (`state`, and `sent_at` once sent).
fn mail_state(state: String, sent_at: Option<String>) -> Result<MailState, StoreError> {
    match (state.as_str(), sent_at) {
        ("waiting", _) => Ok(MailState::Waiting),
        ("sending", _) => Ok(MailState::Sending),
        ("sent", Some(at)) => Ok(MailState::Sent { at }),
        ("failed", _) => Ok(MailState::Failed),
        _ => Err(StoreError::Corrupt { column: "mail_outbox.state", value: state, reason: "unknown state".into() }),
    }
}

fn addresses(column: &'static str, json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        column,
        value: json.to_owned(),
        reason: e.to_string(),
    })
}

impl CompanyStore {
    /// Saves where the company's e-mails leave from (not the password: see
    /// [`crate::mail::save_password`]). Invalid settings are refused with their code.
    pub fn save_mail_settings(&mut self, settings: &SmtpSettings) -> Result<(), StoreError> {
        settings.validate().map_err(|e| refused(e.code(), &e))?;
        self.write(|tx| {
            tx.connection().execute(
                "INSERT INTO mail_settings (singleton, host, port, security, username, sender_address, sender_name,
                                            reply_to)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (singleton) DO UPDATE SET host = excluded.host, port = excluded.port,
                     security = excluded.security, username = excluded.username,
                     sender_address = excluded.sender_address, sender_name = excluded.sender_name,
                     reply_to = excluded.reply_to",
                params![
                    settings.host.trim(),
                    settings.port,
                    settings.security.as_str(),
                    settings.username,
                    settings.sender_address.trim(),
                    settings.sender_name.trim(),
                    settings.reply_to
                ],
            )?;
            Ok(())
        })
    }

    /// The company's SMTP settings, when they were saved.
    pub fn mail_settings(&self) -> Result<Option<SmtpSettings>, StoreError> {
        self.connection()
            .query_row(
                "SELECT host, port, security, username, sender_address, sender_name, reply_to FROM mail_settings",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u16>(1)?,
                        r.get::<_, String>(2)?,
                        SmtpSettings {
                            host: String::new(),
                            port: 0,
                            security: Security::Tls,
                            username: r.get(3)?,
                            sender_address: r.get(4)?,
                            sender_name: r.get(5)?,
                            reply_to: r.get(6)?,
                        },
                    ))
                },
            )
            .optional()?
            .map(|(host, port, security, settings)| {
                let security = Security::parse(&security).ok_or_else(|| StoreError::Corrupt {
                    column: "mail_settings.security",
                    value: security.clone(),
                    reason: "unknown security".into(),
                })?;
                Ok(SmtpSettings { host, port, security, ..settings })
            })
            .transpose()
    }

    /// Keeps the company's own e-mail text for customers of `language`; `None` goes back
    /// to the built-in one. A text with an unknown placeholder, an unclosed brace, an empty
    /// or too long subject, or a body over [`MAX_TEMPLATE_BODY`] characters is refused
    /// with its code, and nothing changes.
    pub fn save_mail_template(
        &mut self,
        language: DocumentLanguage,
        template: Option<&MailTemplate>,
    ) -> Result<(), StoreError> {
        let Some(template) = template else {
            return self.write(|tx| {
                tx.connection().execute("DELETE FROM mail_template WHERE language = ?1", [language.code()])?;
                Ok(())
            });
        };
        let checked = MailTemplate::parse(&template.to_text()).map_err(|e| refused(e.code(), &e))?;
        if checked.subject.chars().count() > 250 || checked.subject.chars().any(char::is_control) {
            return Err(refused("mail_subject_invalid", &"The subject must be one line of at most 250 characters."));
        }
        if checked.body.chars().count() > MAX_TEMPLATE_BODY {
            return Err(refused(
                "mail_template_too_long",
                &format!("The text must be at most {MAX_TEMPLATE_BODY} characters."),
            ));
        }
        self.write(|tx| {
            tx.connection().execute(
                "INSERT INTO mail_template (language, subject, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (language) DO UPDATE SET subject = excluded.subject, body = excluded.body",
                params![language.code(), checked.subject, checked.body],
            )?;
            Ok(())
        })
    }

    /// The company's own e-mail text for customers of `language`, when it has one.
    pub fn own_mail_template(&self, language: DocumentLanguage) -> Result<Option<MailTemplate>, StoreError> {
        Ok(self
            .connection()
            .query_row("SELECT subject, body FROM mail_template WHERE language = ?1", [language.code()], |r| {
                Ok(MailTemplate { subject: r.get(0)?, body: r.get(1)? })
            })
            .optional()?)
    }

    /// The e-mail text for customers of `language`: the company's own, else the built-in one.
    pub fn mail_template(&self, language: DocumentLanguage) -> Result<MailTemplate, StoreError> {
        Ok(self.own_mail_template(language)?.unwrap_or_else(|| MailTemplate::built_in(language)))
    }

    /// The messages that carried `document`, oldest first, whatever became of them.
    pub fn document_mail(&self, document: Uuid) -> Result<Vec<DocumentMail>, StoreError> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT recipients, cc, queued_at, state, sent_at, last_error_code, last_error FROM mail_outbox
             WHERE document_id = ?1 ORDER BY queued_at, id",
        )?;
        let rows = stmt
            .query_map([document], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    (r.get::<_, Option<String>>(5)?, r.get::<_, Option<String>>(6)?),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(to, cc, queued_at, state, sent_at, (last_error_code, last_error))| {
                let state = mail_state(state, sent_at)?;
                Ok(DocumentMail {
                    to: addresses("mail_outbox.recipients", &to)?,
                    cc: addresses("mail_outbox.cc", &cc)?,
                    queued_at,
                    state,
                    last_error_code,
                    last_error,
                })
            })
            .collect()
    }

    /// Queues `mail` to be sent with `message_id` (see [`crate::mail::new_message_id`]);
    /// `document` is the document it carries, if any. The message is checked first: a
    /// bad address, attachment or a message over [`crate::mail::MAX_MESSAGE_BYTES`] is
    /// refused with its code and nothing is queued.
    pub fn queue_mail(
        &mut self,
        mail: &OutgoingMail,
        message_id: &str,
        document: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        mail.validate().map_err(|e| refused(e.code(), &e))?;
        if !(message_id.starts_with('<') && message_id.ends_with('>') && message_id.contains('@'))
            || message_id.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(refused("mail_message_id_invalid", &format!("“{message_id}” is not a Message-ID.")));
        }
        let id = Uuid::now_v7();
        let to = serde_json::to_string(&mail.to).map_err(|e| refused("mail_build_failed", &e))?;
        let cc = serde_json::to_string(&mail.cc).map_err(|e| refused("mail_build_failed", &e))?;
        let size = i64::try_from(mail.size()).unwrap_or(i64::MAX);
        self.write(|tx| {
            let conn = tx.connection();
            conn.execute(
                "INSERT INTO mail_outbox (id, message_id, document_id, recipients, cc, subject, body, size, queued_at,
                                          next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                params![id, message_id, document, to, cc, mail.subject, mail.body, size, stamp(now)],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    refused("mail_message_id_taken", &format!("The Message-ID {message_id} is already queued."))
                }
                e => e.into(),
            })?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO mail_attachment (message, position, name, mime, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (position, attachment) in (0_i64..).zip(&mail.attachments) {
                insert.execute(params![id, position, attachment.name, attachment.mime, attachment.bytes])?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// The messages to send now: waiting (or interrupted while sending) and due at `now`,
    /// oldest first.
    pub fn due_mail(&self, now: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT id FROM mail_outbox WHERE state IN ('waiting', 'sending') AND next_attempt_at <= ?1
             ORDER BY queued_at, id",
        )?;
        let ids = stmt.query_map([stamp(now)], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// One message of the outbox with its attachments.
    pub fn queued_mail(&self, id: Uuid) -> Result<QueuedMail, StoreError> {
        let conn = self.connection();
        let row = conn
            .query_row(
                "SELECT message_id, document_id, recipients, cc, subject, body, state, attempts, queued_at,
                        next_attempt_at, last_error_code, last_error, sent_at
                 FROM mail_outbox WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        (r.get::<_, String>(0)?, r.get::<_, Option<Uuid>>(1)?, r.get::<_, String>(2)?),
                        (r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?),
                        (r.get::<_, String>(6)?, r.get::<_, u32>(7)?, r.get::<_, String>(8)?, r.get::<_, String>(9)?),
                        (r.get::<_, Option<String>>(10)?, r.get::<_, Option<String>>(11)?),
                        r.get::<_, Option<String>>(12)?,
                    ))
                },
            )
            .optional()?
            .ok_or(StoreError::NotFound { entity: "queued e-mail" })?;
        let ((message_id, document_id, to), (cc, subject, body), (state, attempts, queued_at, next), errors, sent) =
            row;
        let state = mail_state(state, sent)?;
        let attachments = conn
            .prepare_cached("SELECT name, mime, bytes FROM mail_attachment WHERE message = ?1 ORDER BY position")?
            .query_map([id], |r| Ok(Attachment { name: r.get(0)?, mime: r.get(1)?, bytes: r.get(2)? }))?
            .collect::<Result<_, _>>()?;
        Ok(QueuedMail {
            id,
            message_id,
            document_id,
            mail: OutgoingMail {
                to: addresses("mail_outbox.recipients", &to)?,
                cc: addresses("mail_outbox.cc", &cc)?,
                subject,
                body,
                attachments,
            },
            state,
            attempts,
            queued_at,
            next_attempt_at: next,
            last_error_code: errors.0,
            last_error: errors.1,
        })
    }

    /// Counts an attempt and marks the message `sending`, durably, before it is handed to
    /// the SMTP server; returns it as it was before (its state says whether an earlier
    /// sending was interrupted).
    pub fn begin_mail_attempt(&mut self, id: Uuid) -> Result<QueuedMail, StoreError> {
        let before = self.queued_mail(id)?;
        if !matches!(before.state, MailState::Waiting | MailState::Sending) {
            return Err(refused("mail_not_waiting", &"This message is no longer waiting to be sent."));
        }
        self.write(|tx| {
            tx.connection()
                .execute("UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?1", [id])?;
            Ok(())
        })?;
        Ok(before)
    }

    /// The SMTP server took the message. A message that carried a document is recorded
    /// for the audit trail in the same commit ([`Intent::RecordSending`], applied to this
    /// copy and queued for the server): a sending marked sent is never missing from the
    /// trail. A record the rules refuse (the document gone from this copy) is logged: the
    /// message has left all the same.
    pub fn mark_mail_sent(&mut self, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        let (company, author) = (self.company_id(), self.author());
        let note = self.sending_note(id, now)?;
        self.write(|tx| {
            tx.connection().execute(
                "UPDATE mail_outbox SET state = 'sent', sent_at = ?2 WHERE id = ?1",
                params![id, stamp(now)],
            )?;
            if let Some(sending) = note {
                match submit_in(tx, company, author, &Intent::RecordSending { sending }) {
                    Ok(_) => {}
                    Err(StoreError::Refused { code, message }) => {
                        tracing::warn!(%id, code, message, "the sending is not recorded for the audit trail");
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }

    /// The audit trail's note of message `id` taken by the SMTP server at `at`, when it
    /// carries a document.
    fn sending_note(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<SendingNote>, StoreError> {
        let conn = self.connection();
        let row = conn
            .query_row("SELECT document_id, recipients, cc, message_id FROM mail_outbox WHERE id = ?1", [id], |r| {
                Ok((
                    r.get::<_, Option<Uuid>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .optional()?
            .ok_or(StoreError::NotFound { entity: "queued e-mail" })?;
        let (Some(document), to, cc, message_id) = row else { return Ok(None) };
        let files = conn
            .prepare_cached("SELECT name FROM mail_attachment WHERE message = ?1 ORDER BY position")?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(Some(SendingNote {
            document: DocumentId(document),
            to: addresses("mail_outbox.recipients", &to)?,
            cc: addresses("mail_outbox.cc", &cc)?,
            at,
            message_id,
            files,
        }))
    }

    /// The attempt failed: the message waits until `retry_at`, or, with `None`, has
    /// failed for good. The error is kept either way.
    pub fn mark_mail_failed(
        &mut self,
        id: Uuid,
        code: &str,
        message: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.connection().execute(
                "UPDATE mail_outbox
                 SET state = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'waiting' END,
                     next_attempt_at = coalesce(?4, next_attempt_at), last_error_code = ?2, last_error = ?3
                 WHERE id = ?1",
                params![id, code, message, retry_at.map(stamp)],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::MAX_MESSAGE_BYTES;

    fn store() -> (tempfile::TempDir, CompanyStore) {
        let dir = tempfile::tempdir().unwrap();
        let company = crate::demo::demo_company(7, &crate::model::Country::France);
        let store = CompanyStore::create(&dir.path().join("c.comptoir"), &company).unwrap();
        (dir, store)
    }

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: vec!["client@nord.be".into()],
            cc: vec!["compta@nord.be".into()],
            subject: "Facture F-1".into(),
            body: "Bonjour".into(),
            attachments: vec![
                Attachment { name: "F-1.pdf".into(), mime: "application/pdf".into(), bytes: vec![0, 1, 2, 255] },
                Attachment { name: "F-1.xml".into(), mime: "application/xml".into(), bytes: b"<x/>".to_vec() },
            ],
        }
    }

    #[test]
    fn a_queued_message_is_kept_whole_and_moves_through_its_states() {
        let (_dir, mut store) = store();
        let now = Utc::now();
        let id = store.queue_mail(&mail(), "<1@dupont.fr>", None, now).unwrap();
        assert_eq!(store.due_mail(now).unwrap(), vec![id]);
        let queued = store.queued_mail(id).unwrap();
        assert_eq!((queued.mail, queued.state, queued.attempts), (mail(), MailState::Waiting, 0));

        let before = store.begin_mail_attempt(id).unwrap();
        assert_eq!(before.state, MailState::Waiting);
        let retry = now + chrono::Duration::minutes(1);
        store.mark_mail_failed(id, "smtp_unreachable", "down", Some(retry)).unwrap();
        assert!(store.due_mail(now).unwrap().is_empty(), "not before its next attempt");
        assert_eq!(store.due_mail(retry).unwrap(), vec![id]);
        let waiting = store.queued_mail(id).unwrap();
        assert_eq!((waiting.state, waiting.attempts), (MailState::Waiting, 1));
        assert_eq!(waiting.last_error_code.as_deref(), Some("smtp_unreachable"));

        store.begin_mail_attempt(id).unwrap();
        assert_eq!(store.begin_mail_attempt(id).unwrap().state, MailState::Sending, "an interrupted sending shows");
        store.mark_mail_sent(id, retry).unwrap();
        assert!(matches!(store.queued_mail(id).unwrap().state, MailState::Sent { .. }));
        assert!(store.due_mail(retry).unwrap().is_empty());
        assert_eq!(store.begin_mail_attempt(id).unwrap_err().code(), "mail_not_waiting");
    }

    #[test]
    fn oversized_or_broken_messages_are_refused_and_nothing_is_queued() {
        let (_dir, mut store) = store();
        let now = Utc::now();
        let mut big = mail();
        big.attachments[0].bytes = vec![7; MAX_MESSAGE_BYTES];
        assert_eq!(store.queue_mail(&big, "<2@dupont.fr>", None, now).unwrap_err().code(), "mail_too_large");
        let mut bad = mail();
        bad.to = vec!["x@y\nBcc: z@w".into()];
        assert_eq!(store.queue_mail(&bad, "<3@dupont.fr>", None, now).unwrap_err().code(), "mail_address_invalid");
        assert_eq!(store.queue_mail(&mail(), "no id", None, now).unwrap_err().code(), "mail_message_id_invalid");
        store.queue_mail(&mail(), "<4@dupont.fr>", None, now).unwrap();
        assert_eq!(store.queue_mail(&mail(), "<4@dupont.fr>", None, now).unwrap_err().code(), "mail_message_id_taken");
        assert_eq!(store.due_mail(now).unwrap().len(), 1);
        let attachments: i64 =
            store.connection().query_row("SELECT count(*) FROM mail_attachment", [], |r| r.get(0)).unwrap();
        assert_eq!(attachments, 2);
    }

    #[test]
    fn own_texts_replace_the_built_in_ones_per_language_until_restored() {
        let (_dir, mut store) = store();
        let built_in = MailTemplate::built_in(DocumentLanguage::Dutch);
        assert_eq!(store.mail_template(DocumentLanguage::Dutch).unwrap(), built_in);
        let own = MailTemplate { subject: "Factuur {numéro}".into(), body: "Beste {client},\n".into() };
        store.save_mail_template(DocumentLanguage::Dutch, Some(&own)).unwrap();
        assert_eq!(store.mail_template(DocumentLanguage::Dutch).unwrap(), own);
        assert_eq!(store.own_mail_template(DocumentLanguage::French).unwrap(), None, "other languages unchanged");
        let broken = MailTemplate { subject: "Factuur {nummer}".into(), body: "x".into() };
        let error = store.save_mail_template(DocumentLanguage::Dutch, Some(&broken)).unwrap_err();
        assert_eq!(error.code(), "mail_template_unknown_field");
        let long = MailTemplate { subject: "S".into(), body: "x".repeat(MAX_TEMPLATE_BODY + 1) };
        let error = store.save_mail_template(DocumentLanguage::Dutch, Some(&long)).unwrap_err();
        assert_eq!(error.code(), "mail_template_too_long");
        assert_eq!(store.mail_template(DocumentLanguage::Dutch).unwrap(), own, "a refused text changes nothing");
        store.save_mail_template(DocumentLanguage::Dutch, None).unwrap();
        assert_eq!(store.mail_template(DocumentLanguage::Dutch).unwrap(), built_in);
    }

    #[test]
    fn a_document_lists_its_messages_and_what_became_of_them() {
        let (_dir, mut store) = store();
        let now = Utc::now();
        let document = Uuid::now_v7();
        let first = store.queue_mail(&mail(), "<5@dupont.fr>", Some(document), now).unwrap();
        store.queue_mail(&mail(), "<6@dupont.fr>", Some(document), now + chrono::Duration::seconds(1)).unwrap();
        store.queue_mail(&mail(), "<7@dupont.fr>", Some(Uuid::now_v7()), now).unwrap();
        store.begin_mail_attempt(first).unwrap();
        store.mark_mail_sent(first, now).unwrap();
        let sent = store.document_mail(document).unwrap();
        assert_eq!(sent.len(), 2, "only this document's messages");
        assert_eq!(sent[0].to, vec!["client@nord.be".to_owned()]);
        assert!(matches!(&sent[0].state, MailState::Sent { at } if *at == stamp(now)));
        assert_eq!(sent[1].state, MailState::Waiting);
    }

    #[test]
    fn settings_are_saved_checked_and_read_back() {
        let (_dir, mut store) = store();
        assert_eq!(store.mail_settings().unwrap(), None);
        let mut settings = SmtpSettings {
            host: "smtp.dupont.fr".into(),
            port: 587,
            security: Security::StartTls,
            username: Some("factures".into()),
            sender_address: "factures@dupont.fr".into(),
            sender_name: "Boulangerie Dupont".into(),
            reply_to: None,
        };
        store.save_mail_settings(&settings).unwrap();
        assert_eq!(store.mail_settings().unwrap().as_ref(), Some(&settings));
        settings.security = Security::Plain;
        assert_eq!(store.save_mail_settings(&settings).unwrap_err().code(), "smtp_insecure_server");
        assert_eq!(store.mail_settings().unwrap().unwrap().security, Security::StartTls, "nothing changed");
    }
}
