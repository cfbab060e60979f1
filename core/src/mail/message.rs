//! What is sent: recipients, a subject, a text body and attachments given as bytes (the
//! PDF, the Factur-X or UBL file), and its MIME form built with `lettre`.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::settings::{SettingsError, SmtpSettings, check_address};

/// The largest message the outbox takes, attachments included (20 MiB: most providers
/// refuse more, and it bounds what the company file keeps).
pub const MAX_MESSAGE_BYTES: usize = 20 * 1024 * 1024;

/// A file sent with a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the recipient sees (`F-2026-0042.pdf`).
    pub name: String,
    /// Its MIME type (`application/pdf`, `application/xml`).
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A message to send: the sender comes from the company's [`SmtpSettings`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

/// Why a message cannot be sent as it is; nothing was queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("The message has no recipient.")]
    NoRecipient,
    #[error(transparent)]
    Address(#[from] SettingsError),
    #[error("The subject must be one line of at most 250 characters.")]
    BadSubject,
    #[error("“{0}” is not a valid attachment name.")]
    BadAttachmentName(String),
    #[error("“{0}” is not a valid MIME type.")]
    BadMimeType(String),
    #[error("The message weighs {size} bytes with its attachments; at most {limit} can be sent.")]
    TooLarge { size: usize, limit: usize },
    #[error("The message could not be built: {0}")]
    Build(String),
}

impl MessageError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoRecipient => "mail_no_recipient",
            Self::Address(e) => e.code(),
            Self::BadSubject => "mail_subject_invalid",
            Self::BadAttachmentName(_) => "mail_attachment_name_invalid",
            Self::BadMimeType(_) => "mail_mime_type_invalid",
            Self::TooLarge { .. } => "mail_too_large",
            Self::Build(_) => "mail_build_failed",
        }
    }
}

impl OutgoingMail {
    /// The bytes the message carries: text and attachments (before MIME encoding).
    pub fn size(&self) -> usize {
        self.subject.len()
            + self.body.len()
            + self.attachments.iter().map(|a| a.name.len() + a.bytes.len()).sum::<usize>()
    }

    /// Checks recipients, subject, attachments and size.
    pub fn validate(&self) -> Result<(), MessageError> {
        if self.to.is_empty() {
            return Err(MessageError::NoRecipient);
        }
        for to in &self.to {
            check_address("to", to)?;
        }
        for cc in &self.cc {
            check_address("cc", cc)?;
        }
        if self.subject.chars().count() > 250 || self.subject.chars().any(char::is_control) {
            return Err(MessageError::BadSubject);
        }
        for attachment in &self.attachments {
            let name = &attachment.name;
            if name.trim().is_empty()
                || name.chars().count() > 200
                || name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '"'))
            {
                return Err(MessageError::BadAttachmentName(name.clone()));
            }
            ContentType::parse(&attachment.mime).map_err(|_| MessageError::BadMimeType(attachment.mime.clone()))?;
        }
        let size = self.size();
        if size > MAX_MESSAGE_BYTES {
            return Err(MessageError::TooLarge { size, limit: MAX_MESSAGE_BYTES });
        }
        Ok(())
    }
}

/// A new `Message-ID` (`<uuid@sender's domain>`), recorded with the message before it
/// is sent: a message sent twice (a crash between sending and marking it sent) carries
/// the same id both times, so the copy is recognisable.
pub fn new_message_id(settings: &SmtpSettings) -> String {
    let domain = settings.sender_address.rsplit_once('@').map_or("comptoir.invalid", |(_, domain)| domain.trim());
    format!("<{}@{domain}>", uuid::Uuid::now_v7().simple())
}

/// The MIME message: the text body first (UTF-8), then each attachment (base64).
pub fn compose(
    settings: &SmtpSettings,
    mail: &OutgoingMail,
    message_id: &str,
) -> Result<lettre::Message, MessageError> {
    settings.validate()?;
    mail.validate()?;
    let name = (!settings.sender_name.trim().is_empty()).then(|| settings.sender_name.trim().to_owned());
    let mut builder = lettre::Message::builder()
        .from(Mailbox::new(name, check_address("sender", &settings.sender_address)?))
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_owned()))
        .user_agent(concat!("Comptoir ", env!("CARGO_PKG_VERSION")).to_owned());
    if let Some(reply_to) = &settings.reply_to {
        builder = builder.reply_to(Mailbox::new(None, check_address("reply-to", reply_to)?));
    }
    for to in &mail.to {
        builder = builder.to(Mailbox::new(None, check_address("to", to)?));
    }
    for cc in &mail.cc {
        builder = builder.cc(Mailbox::new(None, check_address("cc", cc)?));
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.body.clone()));
    for attachment in &mail.attachments {
        let mime =
            ContentType::parse(&attachment.mime).map_err(|_| MessageError::BadMimeType(attachment.mime.clone()))?;
        parts = parts
            .singlepart(lettre::message::Attachment::new(attachment.name.clone()).body(attachment.bytes.clone(), mime));
    }
    builder.multipart(parts).map_err(|e| MessageError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Security;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "smtp.dupont.fr".into(),
            port: 587,
            security: Security::StartTls,
            username: None,
            sender_address: "factures@dupont.fr".into(),
            sender_name: "Boulangerie Dupont".into(),
            reply_to: Some("compta@dupont.fr".into()),
        }
    }

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: vec!["client@nord.be".into()],
            cc: vec![],
            subject: "Facture F-1".into(),
            body: "Bonjour".into(),
            attachments: vec![Attachment {
                name: "F-1.pdf".into(),
                mime: "application/pdf".into(),
                bytes: vec![1; 10],
            }],
        }
    }

    #[test]
    fn hostile_messages_are_refused_with_a_code() {
        type Spoil = fn(&mut OutgoingMail);
        let cases: [(Spoil, &str); 6] = [
            (|m| m.to.clear(), "mail_no_recipient"),
            (|m| m.cc.push("x@y\r\nBcc: z@w".into()), "mail_address_invalid"),
            (|m| m.subject = "a\r\nBcc: z@w".into(), "mail_subject_invalid"),
            (|m| m.attachments[0].name = "../../etc/passwd".into(), "mail_attachment_name_invalid"),
            (|m| m.attachments[0].mime = "pdf".into(), "mail_mime_type_invalid"),
            (|m| m.attachments[0].bytes = vec![0; MAX_MESSAGE_BYTES + 1], "mail_too_large"),
        ];
        for (spoil, code) in cases {
            let mut bad = mail();
            spoil(&mut bad);
            assert_eq!(bad.validate().unwrap_err().code(), code);
            assert_eq!(compose(&settings(), &bad, "<a@b>").unwrap_err().code(), code);
        }
    }

    #[test]
    fn the_mime_message_carries_the_headers_and_the_recorded_id() {
        let id = new_message_id(&settings());
        assert!(id.starts_with('<') && id.ends_with("@dupont.fr>"), "{id}");
        let message = compose(&settings(), &mail(), &id).unwrap();
        let text = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(text.contains(&format!("Message-ID: {id}")), "{text}");
        assert!(text.contains("From: \"Boulangerie Dupont\" <factures@dupont.fr>"), "{text}");
        assert!(text.contains("Reply-To: compta@dupont.fr"), "{text}");
        assert!(text.contains("filename=\"F-1.pdf\""), "{text}");
    }
}
