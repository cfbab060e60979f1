//! Documents sent by e-mail: the company's SMTP settings, the text template, the message
//! with its attachments, and the sending through `lettre` (tokio, rustls with the same
//! aws-lc-rs provider as the sync client).
//!
//! - `settings`: the SMTP settings and their validation; the password lives in the OS
//!   keychain under [`password_key`], never in a file;
//! - `template`: the editable subject and body with their placeholders (`{numéro}`, …);
//! - `message`: what is sent (recipients, text, attachments as bytes) and its MIME form;
//! - `send`: one connection to the SMTP server and the typed reasons a sending fails;
//! - `outbox`: the send pass over the company's durable outbox (see `store::mail`).

mod message;
mod outbox;
mod send;
mod settings;
mod template;

pub use message::{Attachment, MAX_MESSAGE_BYTES, MessageError, OutgoingMail, compose, new_message_id};
pub use outbox::{MAX_ATTEMPTS, SendPass, retry_delay, send_pass};
pub use send::{SendError, SmtpSender};
pub use settings::{Security, SettingsError, SmtpSettings, load_password, password_key, save_password};
pub use template::{MailTemplate, PLACEHOLDERS, TemplateError, TemplateValues};
