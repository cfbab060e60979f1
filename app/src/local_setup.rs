//! The wizard's first step without a server (issue 15): « Créer une entreprise sur cet
//! ordinateur » (a company hosted here from the start, its owner's account on this
//! computer) and « Rejoindre un ordinateur du réseau local » (pairing by link or typed
//! code). The forms are drawn here; what they ask goes back to [`crate::wizard`] as a
//! [`LocalAction`]: the creation runs on the local host's thread
//! ([`crate::local_host::LocalHost::prepare`]), the pairing in the engine
//! ([`comptoir_core::engine::Command::Join`]), never on the UI thread.

use comptoir_core::engine::Secret;

use crate::i18n::Texts;
use crate::local_host::NewCompany;
use crate::wizard::field_ui;

/// The countries a company can be created in from the wizard: (ISO code, locale id).
pub const COUNTRIES: [(&str, &str); 2] = [("FR", "country-fr"), ("BE", "country-be")];

/// Which way the wizard's first step goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Start {
    /// Sign in to a Comptoir server.
    #[default]
    Server,
    /// Create a company hosted by this computer.
    Create,
    /// Join a computer of the local network that hosts a company.
    Join,
    /// A company of a server moves onto this computer (« Héberger sur cet ordinateur »):
    /// the wizard waits for the local host to serve it, then signs in to it.
    Moving,
}

/// « Créer une entreprise sur cet ordinateur »: what the user typed.
#[derive(Debug)]
pub struct CreateForm {
    pub company: String,
    /// ISO code, one of [`COUNTRIES`].
    pub country: &'static str,
    pub owner: String,
    pub email: String,
    pub password: String,
    pub confirm: String,
    /// What is wrong with the form, in words, after « Créer ».
    pub problem: Option<String>,
}

impl Default for CreateForm {
    fn default() -> Self {
        Self {
            company: String::new(),
            country: COUNTRIES[0].0,
            owner: String::new(),
            email: String::new(),
            password: String::new(),
            confirm: String::new(),
            problem: None,
        }
    }
}

impl CreateForm {
    /// The company to create, or what is wrong with the form (the checks the host makes,
    /// made first so that the user reads them in words).
    pub fn check(&self, texts: &Texts) -> Result<NewCompany, String> {
        let email = self.email.trim().to_lowercase();
        if self.company.trim().is_empty() || self.owner.trim().is_empty() || email.is_empty() {
            return Err(texts.get("wizard-create-missing"));
        }
        if comptoir_core::model::validate_email(&email).is_err() {
            return Err(texts.get("error-email_invalid"));
        }
        let min = comptoir_server::api::MIN_PASSWORD_CHARS;
        if self.password.chars().count() < min {
            return Err(texts.with("wizard-create-password-short", &[("min", min.into())]));
        }
        if self.password != self.confirm {
            return Err(texts.get("wizard-create-password-mismatch"));
        }
        Ok(NewCompany {
            name: self.company.trim().to_owned(),
            country: self.country.to_owned(),
            owner: self.owner.trim().to_owned(),
            email,
            password: Secret(self.password.clone()),
        })
    }
}

/// « Rejoindre un ordinateur du réseau local »: what the user typed.
#[derive(Debug)]
pub struct JoinForm {
    /// The link (`comptoir://pair?…`) or `CODE@IP:PORT`.
    pub invitation: String,
    /// How the host lists this device; this computer's name by default.
    pub device_name: String,
}

impl Default for JoinForm {
    fn default() -> Self {
        Self { invitation: String::new(), device_name: comptoir_core::lan::pairing::this_device_name() }
    }
}

/// What a frame of the forms asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum LocalAction {
    /// Back to the server's sign-in.
    Back,
    Create(NewCompany),
    Join {
        invitation: String,
        device_name: String,
    },
}

/// The two ways without a server, offered under the server's sign-in.
pub fn choices_ui(ui: &mut egui::Ui, texts: &Texts, busy: bool) -> Option<Start> {
    ui.add_space(12.0);
    ui.label(egui::RichText::new(texts.get("wizard-no-server")).weak());
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        if ui.add_enabled(!busy, egui::Button::new(texts.get("wizard-create-local"))).clicked() {
            chosen = Some(Start::Create);
        }
        if ui.add_enabled(!busy, egui::Button::new(texts.get("wizard-join-local"))).clicked() {
            chosen = Some(Start::Join);
        }
    });
    chosen
}

/// The creation form; `busy` while the company is being created and signed in to.
pub fn create_ui(ui: &mut egui::Ui, form: &mut CreateForm, texts: &Texts, busy: bool) -> Option<LocalAction> {
    ui.strong(texts.get("wizard-create-title"));
    ui.label(texts.get("wizard-create-help"));
    ui.add_space(8.0);
    field_ui(ui, &texts.get("wizard-create-company"), &mut form.company, false);
    let country = ui.label(texts.get("wizard-create-country"));
    let selected = COUNTRIES.iter().find(|(code, _)| *code == form.country).map_or(COUNTRIES[0].1, |(_, id)| *id);
    egui::ComboBox::from_id_salt("wizard-country")
        .selected_text(texts.get(selected))
        .show_ui(ui, |ui| {
            for (code, id) in COUNTRIES {
                ui.selectable_value(&mut form.country, code, texts.get(id));
            }
        })
        .response
        .labelled_by(country.id);
    field_ui(ui, &texts.get("wizard-create-owner"), &mut form.owner, false);
    field_ui(ui, &texts.get("wizard-email"), &mut form.email, false);
    field_ui(ui, &texts.get("wizard-password"), &mut form.password, true);
    field_ui(ui, &texts.get("wizard-create-confirm"), &mut form.confirm, true);
    ui.label(egui::RichText::new(texts.get("wizard-create-two-factor")).italics());
    ui.add_space(8.0);
    let mut action = None;
    ui.horizontal(|ui| {
        if ui.add_enabled(!busy, egui::Button::new(texts.get("wizard-back"))).clicked() {
            action = Some(LocalAction::Back);
        }
        if ui.add_enabled(!busy, egui::Button::new(texts.get("wizard-create-submit"))).clicked() {
            match form.check(texts) {
                Ok(company) => {
                    form.problem = None;
                    action = Some(LocalAction::Create(company));
                }
                Err(problem) => form.problem = Some(problem),
            }
        }
        if busy {
            ui.spinner();
            ui.label(texts.get("wizard-create-progress"));
        }
    });
    if let Some(problem) = &form.problem {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    action
}

/// The joining form; `busy` while pairing.
pub fn join_ui(ui: &mut egui::Ui, form: &mut JoinForm, texts: &Texts, busy: bool) -> Option<LocalAction> {
    ui.strong(texts.get("wizard-join-title"));
    ui.label(texts.get("wizard-join-help"));
    ui.add_space(8.0);
    field_ui(ui, &texts.get("wizard-join-invitation"), &mut form.invitation, false);
    field_ui(ui, &texts.get("wizard-join-device"), &mut form.device_name, false);
    ui.add_space(8.0);
    let ready = !busy && !form.invitation.trim().is_empty() && !form.device_name.trim().is_empty();
    let mut action = None;
    ui.horizontal(|ui| {
        if ui.add_enabled(!busy, egui::Button::new(texts.get("wizard-back"))).clicked() {
            action = Some(LocalAction::Back);
        }
        if ui.add_enabled(ready, egui::Button::new(texts.get("wizard-join-submit"))).clicked() {
            action = Some(LocalAction::Join {
                invitation: form.invitation.trim().to_owned(),
                device_name: form.device_name.trim().to_owned(),
            });
        }
        if busy {
            ui.spinner();
            ui.label(texts.get("wizard-join-progress"));
        }
    });
    action
}
