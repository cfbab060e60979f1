//! Préférences: Compte (the user, the account's companies, switching, signing out),
//! Serveur, Personnel (display language) and Notifications (what the bell collects).
//!
//! Personal settings are kept by the engine in the app file (`Command::SetPreference`).

use comptoir_core::engine::{Command, Notice, SetupError};

use crate::app::ComptoirApp;
use crate::i18n::{Language, Texts};
use crate::wizard::setup_error_text;

/// The tabs of the Preferences window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Account,
    Server,
    Personal,
    Notifications,
}

impl Tab {
    const ALL: [Self; 4] = [Self::Account, Self::Server, Self::Personal, Self::Notifications];

    fn text_id(self) -> &'static str {
        match self {
            Self::Account => "preferences-account",
            Self::Server => "preferences-server",
            Self::Personal => "preferences-personal",
            Self::Notifications => "preferences-notifications",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreferencesState {
    pub tab: Tab,
    /// The address in the Serveur tab's field.
    pub server: String,
    /// The address being tested, until the engine answers.
    pub testing: Option<String>,
    /// The last test's outcome, in the user's language.
    pub tested: Option<Result<String, String>>,
}

impl PreferencesState {
    /// The engine answered a connection test.
    pub fn on_server_tested(&mut self, url: &str, result: Result<(), &SetupError>, texts: &Texts) {
        if self.testing.as_deref() == Some(url) {
            self.testing = None;
            self.tested = Some(match result {
                Ok(()) => Ok(texts.with("server-test-ok", &[("url", url.to_owned().into())])),
                Err(error) => Err(setup_error_text(error, texts)),
            });
        }
    }
}

/// Which notices the bell collects; each kind can be turned off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoticeChoices {
    pub payments: bool,
    pub refusals: bool,
    pub sync: bool,
}

impl Default for NoticeChoices {
    fn default() -> Self {
        Self { payments: true, refusals: true, sync: true }
    }
}

impl NoticeChoices {
    /// The choices as kept by the engine.
    pub fn from_preferences(preferences: &std::collections::BTreeMap<String, String>) -> Self {
        let on = |key: &str| preferences.get(key).is_none_or(|v| v != "off");
        Self { payments: on("notify-payments"), refusals: on("notify-refusals"), sync: on("notify-sync") }
    }

    /// Whether the bell collects this notice. Notices that need the user (a moved
    /// file, a sign-in) are always collected.
    pub fn wants(self, notice: &Notice) -> bool {
        match notice {
            Notice::PaymentReceived(_) => self.payments,
            Notice::ChangeRejected { .. } => self.refusals,
            Notice::SyncFailed { .. } | Notice::GraceEnding { .. } | Notice::DownloadedAgain { .. } => self.sync,
            Notice::NotSignedIn | Notice::CompanyFileMoved { .. } => true,
        }
    }
}

pub fn preferences_ui(ui: &mut egui::Ui, app: &mut ComptoirApp, commands: &mut Vec<Command>) {
    let Some(mut state) = app.preferences.clone() else { return };
    let mut open = true;
    let title = app.texts.get("preferences-title");
    egui::Window::new(title).open(&mut open).default_width(460.0).show(ui.ctx(), |ui| {
        ui.horizontal(|ui| {
            for tab in Tab::ALL {
                ui.selectable_value(&mut state.tab, tab, app.texts.get(tab.text_id()));
            }
        });
        ui.separator();
        match state.tab {
            Tab::Account => account_ui(ui, app, commands),
            Tab::Server => server_ui(ui, &mut state, &app.texts, &app.wizard.server, commands),
            Tab::Personal => personal_ui(ui, app, commands),
            Tab::Notifications => notifications_ui(ui, app, commands),
        }
    });
    // A switch of company closes the window (`app.preferences` is then `None`).
    if app.preferences.is_some() {
        app.preferences = open.then_some(state);
    }
}

/// Serveur: the address in use, and a connection test of any address.
fn server_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    texts: &Texts,
    current: &str,
    commands: &mut Vec<Command>,
) {
    if state.server.is_empty() {
        current.clone_into(&mut state.server);
    }
    let label = ui.label(texts.get("preferences-server-address"));
    ui.add(egui::TextEdit::singleline(&mut state.server).desired_width(360.0)).labelled_by(label.id);
    let testing = state.testing.is_some();
    if ui.add_enabled(!testing, egui::Button::new(texts.get("server-test"))).clicked() {
        let url = state.server.trim().to_owned();
        state.tested = None;
        state.testing = Some(url.clone());
        commands.push(Command::TestServer { url });
    }
    match &state.tested {
        _ if testing => {
            ui.label(texts.get("server-testing"));
        }
        Some(Ok(text)) => {
            ui.label(text);
        }
        Some(Err(text)) => {
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
        None => {}
    }
    ui.weak(texts.get("preferences-server-help"));
}

/// Compte: who is signed in, the account's companies with a switch, sign out.
fn account_ui(ui: &mut egui::Ui, app: &mut ComptoirApp, commands: &mut Vec<Command>) {
    let texts = &app.texts;
    if let Some(email) = &app.email {
        ui.label(texts.with("account-signed-in-as", &[("email", email.clone().into())]));
    }
    if let Some(role) = app.role {
        ui.label(texts.with("account-role", &[("role", texts.get(&format!("role-{}", role.as_str())).into())]));
    }
    ui.add_space(6.0);
    ui.label(crate::theme::bold(texts.get("account-companies")));
    let current = app.working.as_ref().map(|c| c.id);
    let mut switch = None;
    egui::Grid::new("companies").num_columns(3).show(ui, |ui| {
        for company in &app.companies {
            ui.label(&company.name);
            ui.label(texts.get(&format!("role-{}", company.role.as_str())));
            if Some(company.id) == current {
                ui.weak(texts.get("account-current"));
            } else if ui.button(texts.with("account-switch", &[("company", company.name.clone().into())])).clicked() {
                switch = Some(company.clone());
            }
            ui.end_row();
        }
    });
    if app.companies.is_empty() {
        ui.weak(texts.get("account-companies-offline"));
    }
    if let Some(company) = switch {
        commands.push(Command::ChooseCompany { company: company.id });
        app.working = Some(company);
        app.preferences = None;
    }
    ui.add_space(6.0);
    if ui.button(texts.get("menu-sign-out")).clicked() {
        commands.push(Command::SignOut { remove_local_data: false });
    }
}

/// Personnel: the display language.
fn personal_ui(ui: &mut egui::Ui, app: &mut ComptoirApp, commands: &mut Vec<Command>) {
    let mut language = app.texts.language();
    ui.label(app.texts.get("preferences-language"));
    for choice in Language::ALL {
        ui.radio_value(&mut language, choice, choice.native_name());
    }
    if language != app.texts.language() {
        app.texts = Texts::new(language);
        commands.push(Command::SetPreference { key: "language".into(), value: language.code().into() });
    }
}

/// Notifications: which notices the bell collects.
fn notifications_ui(ui: &mut egui::Ui, app: &mut ComptoirApp, commands: &mut Vec<Command>) {
    let mut choices = app.notice_choices;
    ui.checkbox(&mut choices.payments, app.texts.get("notify-payments"));
    ui.checkbox(&mut choices.refusals, app.texts.get("notify-refusals"));
    ui.checkbox(&mut choices.sync, app.texts.get("notify-sync"));
    let on = |b: bool| if b { "on" } else { "off" }.to_owned();
    for (key, before, after) in [
        ("notify-payments", app.notice_choices.payments, choices.payments),
        ("notify-refusals", app.notice_choices.refusals, choices.refusals),
        ("notify-sync", app.notice_choices.sync, choices.sync),
    ] {
        if before != after {
            commands.push(Command::SetPreference { key: key.into(), value: on(after) });
        }
    }
    app.notice_choices = choices;
}
