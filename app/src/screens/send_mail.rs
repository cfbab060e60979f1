//! "Envoyer par e-mail" on an issued document: the dialog (recipients prefilled from the
//! contact, subject and body from the company's text in the customer's language, the
//! attachments listed with their size) and the document's messages ("Envoyé le … à …").
//!
//! The files are made off the UI thread (typst lays out the PDF in a second or so): the
//! dialog opens at once and lists them once ready. "Envoyer" hands the message to the
//! engine ([`Command::QueueMail`]), which keeps it in the company file's outbox and sends
//! it; offline, it waits there and leaves at the next connection.

use std::sync::mpsc::Receiver;

use chrono::Utc;
use comptoir_core::engine::{Command, MailEvent};
use comptoir_core::export::einvoice::UblProfile;
use comptoir_core::export::pdf::Relationship;
use comptoir_core::export::sources::DocumentSources;
use comptoir_core::export::templates::TemplateFolder;
use comptoir_core::mail::{Attachment, OutgoingMail, TemplateValues};
use comptoir_core::model::{DocumentId, DocumentLanguage, Permission};
use comptoir_core::store::MailState;

use super::Context;
use crate::i18n::{Language, Texts};

/// The files a message carries: the document's PDF (Factur-X for an invoice or a credit
/// note), and the UBL (Peppol) of an e-invoice, or why it could not be made.
#[derive(Debug)]
struct Files {
    document: Attachment,
    ubl: Option<Result<Attachment, String>>,
}

#[derive(Debug)]
enum Making {
    Waiting(Receiver<Result<Files, String>>),
    Ready(Files),
    Failed(String),
}

/// The dialog's state, from "Envoyer par e-mail" until the engine has queued the message.
#[derive(Debug)]
pub struct SendMailDialog {
    document: DocumentId,
    to: String,
    cc: String,
    subject: String,
    body: String,
    /// "Joindre le fichier UBL (Peppol)", offered for e-invoices.
    attach_ubl: bool,
    files: Making,
    /// The [`Command::QueueMail`] sent, until the engine answers.
    sent: Option<u64>,
    error: Option<String>,
    /// The company has no SMTP settings yet.
    no_settings: bool,
}

/// The customer's language as the app's display language, for amounts and dates.
fn display_language(language: DocumentLanguage) -> Language {
    match language {
        DocumentLanguage::French => Language::French,
        DocumentLanguage::English => Language::English,
        DocumentLanguage::Dutch => Language::Dutch,
    }
}

/// Makes the files of `sources` (slow: the layout of the PDF) with the company's
/// template in use (Paramètres → Modèles; the built-in one when it does not lay out).
fn make_files(sources: &DocumentSources, data_dir: &std::path::Path) -> Result<Files, String> {
    let created = Utc::now();
    let name = sources.file_name("pdf");
    let attachment = |name: String, mime: &str, bytes: Vec<u8>| Attachment { name, mime: mime.to_owned(), bytes };
    let template = TemplateFolder::new(data_dir, sources.seller.id).active();
    if !sources.is_einvoice() {
        let pdf = template.pdf(sources, created).map_err(|e| e.to_string())?.pdf;
        return Ok(Files { document: attachment(name, "application/pdf", pdf), ubl: None });
    }
    let pdf = template.facturx(sources, Relationship::Data, created).map_err(|e| e.to_string())?.pdf;
    let ubl = sources
        .ubl(UblProfile::Peppol, Some(&pdf))
        .map(|xml| attachment(sources.file_name("xml"), "application/xml", xml.into_bytes()))
        .map_err(|e| e.to_string());
    Ok(Files { document: attachment(name, "application/pdf", pdf), ubl: Some(ubl) })
}

/// `1,2 Mo`, `45 Ko`: a file's size for the list of attachments.
fn size_text(bytes: usize, texts: &Texts) -> String {
    let kib = bytes.div_ceil(1024);
    if kib < 1024 {
        texts.with("mail-size-kib", &[("size", kib.to_string().into())])
    } else {
        let tenths = (kib * 10).div_ceil(1024);
        let mib =
            format!("{}{}{}", tenths / 10, if texts.language() == Language::English { "." } else { "," }, tenths % 10);
        texts.with("mail-size-mib", &[("size", mib.into())])
    }
}

/// The addresses typed in a field, separated by commas or semicolons.
fn addresses(text: &str) -> Vec<String> {
    text.split([',', ';']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect()
}

impl SendMailDialog {
    /// Opens the dialog on document `id`: its text at once, its files on a thread of
    /// their own (`wake` repaints the window when they are ready).
    pub fn open(
        id: DocumentId,
        ctx: &Context<'_>,
        wake: std::sync::Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Self, String> {
        let texts = ctx.texts;
        let store = ctx.reader.store();
        let sources = DocumentSources::load(store, id).map_err(|e| texts.error(e.code(), &e.to_string()))?;
        let contact = store.contact(sources.document.contact_id).ok();
        let template = store.mail_template(sources.language).map_err(|e| texts.error(e.code(), &e.to_string()))?;
        let language = display_language(sources.language);
        let document = &sources.document;
        let gross = document.totals().map_err(|e| texts.error(e.code(), &e.to_string()))?.gross;
        let due = if document.kind.is_payable() { gross.checked_sub(sources.paid).unwrap_or(gross) } else { gross };
        let values = TemplateValues {
            number: document.number.clone().unwrap_or_default(),
            client: document.customer.name.clone(),
            amount: crate::format::money(due, document.currency, language),
            due_date: document.due_date.map(|d| crate::format::date(d, language)).unwrap_or_default(),
            company: sources.seller.legal_name.clone(),
        };
        let (subject, body) = template.render(&values).map_err(|e| texts.error(e.code(), &e.to_string()))?;
        let (sender, files) = std::sync::mpsc::channel();
        let making = sources.clone();
        let data_dir = ctx.desktop.data_dir.clone();
        let spawned = std::thread::Builder::new().name("comptoir-mail-files".into()).spawn(move || {
            let _ = sender.send(make_files(&making, &data_dir));
            wake();
        });
        let files = match spawned {
            Ok(_) => Making::Waiting(files),
            Err(e) => Making::Failed(e.to_string()),
        };
        Ok(Self {
            document: id,
            to: contact.as_ref().and_then(|c| c.email.clone()).unwrap_or_default(),
            cc: String::new(),
            subject,
            body,
            attach_ubl: sources.is_einvoice() && sources.buyer_endpoint.is_some(),
            files,
            sent: None,
            error: None,
            no_settings: matches!(store.mail_settings(), Ok(None)),
        })
    }

    /// Takes the engine's answer; `true` when the message was queued (the dialog closes).
    pub fn on_event(&mut self, event: &MailEvent, texts: &Texts) -> bool {
        match event {
            MailEvent::Queued { request } if self.sent == Some(*request) => true,
            MailEvent::Refused { request: Some(request), code, message } if self.sent == Some(*request) => {
                self.sent = None;
                self.error = Some(texts.error(code, message));
                false
            }
            _ => false,
        }
    }

    fn poll(&mut self) {
        if let Making::Waiting(receiver) = &self.files {
            match receiver.try_recv() {
                Ok(Ok(files)) => self.files = Making::Ready(files),
                Ok(Err(reason)) => self.files = Making::Failed(reason),
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.files = Making::Failed("stopped".into()),
            }
        }
    }

    /// The message as typed, with the files chosen.
    fn mail(&self) -> Option<OutgoingMail> {
        let Making::Ready(files) = &self.files else { return None };
        let mut attachments = vec![files.document.clone()];
        if self.attach_ubl
            && let Some(Ok(ubl)) = &files.ubl
        {
            attachments.push(ubl.clone());
        }
        Some(OutgoingMail {
            to: addresses(&self.to),
            cc: addresses(&self.cc),
            subject: self.subject.trim().to_owned(),
            body: self.body.clone(),
            attachments,
        })
    }
}

/// A text field with its label (which names it for screen readers and tests).
fn row_ui(ui: &mut egui::Ui, label: &str, value: &mut String) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(380.0)).labelled_by(label.id);
    ui.end_row();
}

/// Draws the dialog while it is open; closes it when the user cancels or the message is
/// queued.
pub fn dialog_ui(ui: &mut egui::Ui, dialog: &mut Option<SendMailDialog>, ctx: &mut Context<'_>) {
    let Some(state) = dialog else { return };
    let texts = ctx.texts;
    state.poll();
    let mut open = true;
    let mut cancel = false;
    egui::Window::new(texts.get("mail-send-title")).collapsible(false).resizable(true).open(&mut open).show(
        ui.ctx(),
        |ui| {
            if state.no_settings {
                ui.colored_label(ui.visuals().warn_fg_color, texts.get("mail-no-settings"));
            }
            egui::Grid::new("mail-send").num_columns(2).show(ui, |ui| {
                row_ui(ui, &texts.get("mail-to"), &mut state.to);
                row_ui(ui, &texts.get("mail-cc"), &mut state.cc);
                row_ui(ui, &texts.get("mail-subject"), &mut state.subject);
                let label = ui.label(texts.get("mail-body"));
                ui.add(egui::TextEdit::multiline(&mut state.body).desired_rows(10).desired_width(380.0))
                    .labelled_by(label.id);
                ui.end_row();
            });
            ui.label(crate::theme::bold(texts.get("mail-attachments")));
            match &state.files {
                Making::Waiting(_) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(texts.get("mail-attachments-making"));
                    });
                }
                Making::Failed(reason) => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        texts.with("mail-attachments-failed", &[("reason", reason.clone().into())]),
                    );
                }
                Making::Ready(files) => {
                    ui.label(format!("{} ({})", files.document.name, size_text(files.document.bytes.len(), texts)));
                    match &files.ubl {
                        Some(Ok(ubl)) => {
                            ui.checkbox(
                                &mut state.attach_ubl,
                                format!(
                                    "{} — {} ({})",
                                    texts.get("mail-attach-ubl"),
                                    ubl.name,
                                    size_text(ubl.bytes.len(), texts)
                                ),
                            );
                        }
                        Some(Err(reason)) => {
                            ui.weak(texts.with("mail-ubl-unavailable", &[("reason", reason.clone().into())]));
                        }
                        None => {}
                    }
                }
            }
            if ctx.offline {
                ui.weak(texts.get("mail-offline"));
            }
            if let Some(error) = &state.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.horizontal(|ui| {
                let mail = state.mail();
                let ready = mail.is_some() && state.sent.is_none() && !state.no_settings;
                if ui.add_enabled(ready, egui::Button::new(texts.get("mail-send"))).clicked()
                    && let Some(mail) = mail
                {
                    match mail.validate() {
                        Ok(()) => {
                            *ctx.next_request += 1;
                            let request = *ctx.next_request;
                            state.sent = Some(request);
                            state.error = None;
                            ctx.commands.push(Command::QueueMail {
                                request,
                                document: state.document,
                                mail: Box::new(mail),
                            });
                        }
                        Err(e) => state.error = Some(texts.error(e.code(), &e.to_string())),
                    }
                }
                if state.sent.is_some() {
                    ui.spinner();
                }
                cancel = ui.button(texts.get("editor-cancel")).clicked();
            });
        },
    );
    if !open || cancel {
        *dialog = None;
    }
}

/// Whether the user may send documents by e-mail now; the reason when not.
pub fn cannot_send(ctx: &Context<'_>) -> Option<String> {
    ctx.cannot(Permission::IssueDocuments)
}

/// The document's messages: "Envoyé le 30/11/2026 à 14:02 à client@exemple.fr", those
/// waiting for the next connection, those that failed and why.
pub fn sent_ui(ui: &mut egui::Ui, document: DocumentId, ctx: &Context<'_>) {
    let texts = ctx.texts;
    let mails = match ctx.reader.store().document_mail(document.0) {
        Ok(mails) => mails,
        Err(e) => {
            ui.weak(texts.error(e.code(), &e.to_string()));
            return;
        }
    };
    for mail in mails {
        // Why it failed, in the user's words when the code is known.
        let reason = mail.last_error.as_deref().map(|message| match &mail.last_error_code {
            Some(code) => texts.error(code, message),
            None => message.to_owned(),
        });
        let to = mail.to.iter().chain(&mail.cc).cloned().collect::<Vec<_>>().join(", ");
        match &mail.state {
            MailState::Sent { at } => {
                let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) else { continue };
                let at = at.with_timezone(&chrono::Local);
                ui.label(texts.with(
                    "mail-sent-line",
                    &[
                        ("date", ctx.date(at.date_naive()).into()),
                        ("time", at.format("%H:%M").to_string().into()),
                        ("to", to.into()),
                    ],
                ));
            }
            MailState::Waiting | MailState::Sending => {
                ui.label(texts.with("mail-waiting-line", &[("to", to.into())]));
                if let Some(reason) = reason {
                    ui.weak(format!("    {reason}"));
                }
            }
            MailState::Failed => {
                let reason = reason.unwrap_or_default();
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    texts.with("mail-failed-line", &[("to", to.into()), ("reason", reason.into())]),
                );
            }
        }
    }
}

/// Hands the engine's answer to an e-mail command to whoever sent it: Paramètres, or
/// the dialog of the detail panel (closed once the message is queued).
pub fn on_mail_event(screens: &mut super::Screens, event: &MailEvent, texts: &Texts) {
    screens.settings.mail.on_event(event, texts);
    if let Some(detail) = &mut screens.detail
        && detail.mail.as_mut().is_some_and(|dialog| dialog.on_event(event, texts))
    {
        detail.mail = None;
    }
}
