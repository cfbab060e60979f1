//! Paramètres → E-mail: where the company's e-mails leave from (SMTP server, port,
//! security, user, password, sender, reply-to) and the text of a document's e-mail per
//! customer language, with its placeholders and "Rétablir le texte d'origine"; "Envoyer un
//! e-mail d'essai" to the sender's own address checks the settings saved.
//!
//! Owners and admins change them; other roles see them disabled with the reason. The
//! engine keeps them ([`Command::SaveMailSettings`], [`Command::SaveMailTemplate`]): the
//! settings in the company file, the password in the OS keychain, never in a file. The
//! same checks as the engine's run here first, to say what is wrong beside the form.

use comptoir_core::engine::{Command, MailEvent, Secret};
use comptoir_core::mail::{MailTemplate, OutgoingMail, PLACEHOLDERS, Security, SmtpSettings, TemplateError};
use comptoir_core::model::{DocumentLanguage, Permission};

use super::Context;
use crate::i18n::Texts;

/// The section's state: the form as typed and the answers awaited.
#[derive(Debug, Default)]
pub struct MailSettingsState {
    form: Option<MailForm>,
    /// Saves sent and not answered yet.
    waiting: usize,
    /// The last answer: saved, or why not (`true`: an error).
    message: Option<(String, bool)>,
}

/// The fields as the user types them.
#[derive(Debug)]
struct MailForm {
    host: String,
    port: String,
    security: Security,
    username: String,
    /// Empty: the saved password stays.
    password: String,
    sender_name: String,
    sender_address: String,
    reply_to: String,
    /// The language whose text is shown.
    language: DocumentLanguage,
    /// Each language's subject and body, in [`DocumentLanguage::ALL`]'s order.
    texts: Vec<(String, String)>,
}

impl MailForm {
    fn of(ctx: &Context<'_>) -> Self {
        let store = ctx.reader.store();
        let settings = store.mail_settings().ok().flatten();
        let texts = DocumentLanguage::ALL
            .iter()
            .map(|&language| {
                let template = store.mail_template(language).unwrap_or_else(|_| MailTemplate::built_in(language));
                (template.subject, template.body)
            })
            .collect();
        let text = |value: Option<&String>| value.cloned().unwrap_or_default();
        Self {
            host: text(settings.as_ref().map(|s| &s.host)),
            port: settings.as_ref().map_or(Security::StartTls.default_port(), |s| s.port).to_string(),
            security: settings.as_ref().map_or(Security::StartTls, |s| s.security),
            username: text(settings.as_ref().and_then(|s| s.username.as_ref())),
            password: String::new(),
            sender_name: settings
                .as_ref()
                .map_or_else(|| store.company().map(|c| c.legal_name).unwrap_or_default(), |s| s.sender_name.clone()),
            sender_address: text(settings.as_ref().map(|s| &s.sender_address)),
            reply_to: text(settings.as_ref().and_then(|s| s.reply_to.as_ref())),
            language: DocumentLanguage::French,
            texts,
        }
    }

    /// The settings as typed, or what is wrong with them, in the user's words.
    fn settings(&self, texts: &Texts) -> Result<SmtpSettings, String> {
        let port = self
            .port
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| texts.error("smtp_port_invalid", "The SMTP port must be between 1 and 65535."))?;
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let settings = SmtpSettings {
            host: self.host.trim().to_owned(),
            port,
            security: self.security,
            username: optional(&self.username),
            sender_address: self.sender_address.trim().to_owned(),
            sender_name: self.sender_name.trim().to_owned(),
            reply_to: optional(&self.reply_to),
        };
        settings.validate().map_err(|e| texts.error(e.code(), &e.to_string()))?;
        Ok(settings)
    }

    fn index(&self) -> usize {
        DocumentLanguage::ALL.iter().position(|l| *l == self.language).unwrap_or(0)
    }
}

impl MailSettingsState {
    /// Takes the engine's answer to a save.
    pub fn on_event(&mut self, event: &MailEvent, texts: &Texts) {
        let message = match event {
            MailEvent::SettingsSaved => {
                if let Some(form) = &mut self.form {
                    form.password.clear();
                }
                (texts.get("mail-settings-saved"), false)
            }
            MailEvent::TemplateSaved { .. } => (texts.get("mail-template-saved"), false),
            MailEvent::TestSent { to } => (texts.with("mail-test-sent", &[("to", to.clone().into())]), false),
            MailEvent::Refused { request: None, code, message } => (texts.error(code, message), true),
            MailEvent::Queued { .. } | MailEvent::Refused { request: Some(_), .. } => return,
        };
        self.waiting = self.waiting.saturating_sub(1);
        self.message = Some(message);
    }
}

fn security_text(security: Security, texts: &Texts) -> String {
    texts.get(&format!("mail-security-{}", security.as_str()))
}

fn language_text(language: DocumentLanguage, texts: &Texts) -> String {
    texts.get(&format!("mail-language-{}", language.code()))
}

/// A text field with its label (which names it for screen readers and tests).
fn row_ui(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).password(password).desired_width(260.0)).labelled_by(label.id);
    ui.end_row();
}

/// The section, below the company's settings.
pub fn mail_settings_ui(ui: &mut egui::Ui, state: &mut MailSettingsState, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.add_space(12.0);
    ui.label(crate::theme::bold(texts.get("mail-settings-title")));
    let blocked = ctx.cannot(Permission::EditCompanySettings);
    if let Some(reason) = &blocked {
        ui.label(egui::RichText::new(reason).italics().weak());
    }
    let form = state.form.get_or_insert_with(|| MailForm::of(ctx));
    let mut commands = Vec::new();
    ui.add_enabled_ui(blocked.is_none() && state.waiting == 0, |ui| {
        egui::Grid::new("mail-settings").num_columns(2).striped(true).show(ui, |ui| {
            row_ui(ui, &texts.get("mail-host"), &mut form.host, false);
            let label = ui.label(texts.get("mail-security"));
            let before = form.security;
            egui::ComboBox::from_id_salt("mail-security")
                .selected_text(security_text(form.security, texts))
                .show_ui(ui, |ui| {
                    for security in [Security::StartTls, Security::Tls, Security::Plain] {
                        ui.selectable_value(&mut form.security, security, security_text(security, texts));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            // The usual port follows the security, unless the user typed another.
            if form.security != before && form.port.trim() == before.default_port().to_string() {
                form.port = form.security.default_port().to_string();
            }
            row_ui(ui, &texts.get("mail-port"), &mut form.port, false);
            row_ui(ui, &texts.get("mail-username"), &mut form.username, false);
            row_ui(ui, &texts.get("mail-password"), &mut form.password, true);
            row_ui(ui, &texts.get("mail-sender-name"), &mut form.sender_name, false);
            row_ui(ui, &texts.get("mail-sender-address"), &mut form.sender_address, false);
            row_ui(ui, &texts.get("mail-reply-to"), &mut form.reply_to, false);
        });
        ui.weak(texts.get("mail-password-note"));
        let typed = form.settings(texts);
        if let Err(reason) = &typed
            && !form.host.trim().is_empty()
        {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
        if ui.add_enabled(typed.is_ok(), egui::Button::new(texts.get("mail-settings-save"))).clicked()
            && let Ok(settings) = typed
        {
            let password = Some(form.password.clone()).filter(|p| !p.is_empty()).map(Secret);
            commands.push(Command::SaveMailSettings { settings: Box::new(settings), password });
        }
        // A test message to the sender's own address, through the settings saved.
        let saved = ctx.reader.store().mail_settings().ok().flatten();
        if ui.add_enabled(saved.is_some(), egui::Button::new(texts.get("mail-test-send"))).clicked()
            && let Some(saved) = saved
        {
            let mail = OutgoingMail {
                to: vec![saved.sender_address],
                cc: Vec::new(),
                subject: texts.get("mail-test-subject"),
                body: texts.get("mail-test-body"),
                attachments: Vec::new(),
            };
            commands.push(Command::SendTestMail { mail: Box::new(mail) });
        }
        ui.add_space(8.0);
        template_ui(ui, form, texts, &mut commands);
    });
    if let Some((message, failed)) = &state.message {
        let text = egui::RichText::new(message.as_str());
        ui.label(if *failed { text.color(ui.visuals().error_fg_color) } else { text });
    }
    if !commands.is_empty() {
        state.waiting += commands.len();
        state.message = None;
        ctx.commands.extend(commands);
    }
}

/// What is wrong with a text, and where: the field, its line and column.
fn template_error_text(error: &TemplateError, texts: &Texts) -> String {
    let message = texts.error(error.code(), &error.to_string());
    match error {
        TemplateError::UnknownPlaceholder { line, column, .. } | TemplateError::Unbalanced { line, column } => {
            // The text form is the subject (line 1), an empty line, then the body.
            let (field, line) =
                if *line <= 1 { (texts.get("mail-subject"), 1) } else { (texts.get("mail-body"), line - 2) };
            texts.with(
                "mail-template-where",
                &[
                    ("field", field.into()),
                    ("line", line.to_string().into()),
                    ("column", column.to_string().into()),
                    ("message", message.into()),
                ],
            )
        }
        TemplateError::SubjectMissing | TemplateError::NoBlankLine => message,
    }
}

/// The e-mail text of one customer language: subject, body, the placeholders, and the
/// buttons that keep it or go back to the built-in one.
fn template_ui(ui: &mut egui::Ui, form: &mut MailForm, texts: &Texts, commands: &mut Vec<Command>) {
    ui.label(crate::theme::bold(texts.get("mail-template-title")));
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("mail-template-language"));
        egui::ComboBox::from_id_salt("mail-template-language")
            .selected_text(language_text(form.language, texts))
            .show_ui(ui, |ui| {
                for language in DocumentLanguage::ALL {
                    ui.selectable_value(&mut form.language, language, language_text(language, texts));
                }
            })
            .response
            .labelled_by(label.id);
    });
    let index = form.index();
    let language = form.language;
    let Some((subject, body)) = form.texts.get_mut(index) else { return };
    egui::Grid::new("mail-template").num_columns(2).show(ui, |ui| {
        row_ui(ui, &texts.get("mail-subject"), subject, false);
        let label = ui.label(texts.get("mail-body"));
        ui.add(egui::TextEdit::multiline(body).desired_rows(8).desired_width(420.0)).labelled_by(label.id);
        ui.end_row();
    });
    let fields: Vec<String> = PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect();
    ui.weak(texts.with("mail-placeholders", &[("fields", fields.join(", ").into())]));
    let parsed = MailTemplate::parse(&format!("{}\n\n{}", subject.trim(), body));
    if let Err(e) = &parsed {
        ui.colored_label(ui.visuals().error_fg_color, template_error_text(e, texts));
    }
    ui.horizontal(|ui| {
        if ui.add_enabled(parsed.is_ok(), egui::Button::new(texts.get("mail-template-save"))).clicked()
            && let Ok(template) = parsed
        {
            commands.push(Command::SaveMailTemplate { language, template: Some(template) });
        }
        if ui.button(texts.get("mail-template-restore")).clicked() {
            let built_in = MailTemplate::built_in(language);
            *subject = built_in.subject;
            *body = built_in.body;
            commands.push(Command::SaveMailTemplate { language, template: None });
        }
    });
}
