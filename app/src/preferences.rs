//! Préférences: Compte (the user, the account's companies, switching, signing out),
//! Serveur, Personnel (display language) and Notifications (what the bell collects).
//!
//! Personal settings are kept by the engine in the app file (`Command::SetPreference`).
//!
//! The window reads what it shows from a [`PreferencesContext`] and returns what it
//! wants done as [`PreferencesAction`]s, which the app applies.

use comptoir_core::engine::{AccountEvent, Command, CompanyChoice, Notice, Secret, SetupError};
use comptoir_core::model::{CompanyId, Role};

use crate::i18n::{Language, Texts};
use crate::screens::role_text;
use crate::wizard::setup_error_text;

/// The tabs of the Preferences window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Account,
    Server,
    Personal,
    Notifications,
    Updates,
}

impl Tab {
    const ALL: [Self; 5] = [Self::Account, Self::Server, Self::Personal, Self::Notifications, Self::Updates];

    fn text_id(self) -> &'static str {
        match self {
            Self::Account => "preferences-account",
            Self::Server => "preferences-server",
            Self::Personal => "preferences-personal",
            Self::Notifications => "preferences-notifications",
            Self::Updates => "preferences-updates",
        }
    }
}

#[derive(Debug, Default)]
pub struct PreferencesState {
    pub tab: Tab,
    /// The address in the Serveur tab's field.
    pub server: String,
    /// Whether the field was filled with the address in use (once: the user may then
    /// empty it to type another).
    pub server_filled: bool,
    /// The address being tested, until the engine answers.
    pub testing: Option<String>,
    /// The last test's outcome, in the user's language.
    pub tested: Option<Result<String, String>>,
    /// Personnel → password: the three fields, a change waiting for the server, and
    /// the last outcome.
    pub current_password: String,
    pub new_password: String,
    pub confirm_password: String,
    pub password_sent: bool,
    pub password_outcome: Option<Result<String, String>>,
    /// Personnel → two-factor: the setup under way (secret and `otpauth://` URI, its QR
    /// code), the account's password and the code typed (turning two-factor on or off
    /// needs both), a request waiting, and the last outcome.
    pub totp_setup: Option<(String, String, Option<Qr>)>,
    pub totp_password: String,
    pub totp_code: String,
    pub totp_sent: bool,
    pub totp_outcome: Option<Result<String, String>>,
    /// Compte → « Cet ordinateur devient l'hôte »: the backups' folder typed or chosen,
    /// and the folder dialog while open.
    pub backups_folder: String,
    pub backups_dialog: Option<std::sync::mpsc::Receiver<Option<std::path::PathBuf>>>,
}

/// A QR code's modules, row by row (`true`: dark).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qr {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Qr {
    pub fn of(text: &str) -> Option<Self> {
        let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Some(Self { width: code.width(), dark })
    }
}

impl PreferencesState {
    /// The engine answered a change of password or two-factor.
    pub fn on_account(&mut self, event: &AccountEvent, texts: &Texts) {
        match event {
            AccountEvent::PasswordChanged => {
                self.password_sent = false;
                self.current_password.clear();
                self.new_password.clear();
                self.confirm_password.clear();
                self.password_outcome = Some(Ok(texts.get("password-changed")));
            }
            AccountEvent::TwoFactorSetup { secret, uri } => {
                self.totp_sent = false;
                self.totp_setup = Some((secret.0.clone(), uri.0.clone(), Qr::of(&uri.0)));
            }
            AccountEvent::TwoFactor { enabled } => {
                if self.totp_sent {
                    self.totp_sent = false;
                    self.totp_setup = None;
                    self.totp_password.clear();
                    self.totp_code.clear();
                    let id = if *enabled { "two-factor-turned-on" } else { "two-factor-turned-off" };
                    self.totp_outcome = Some(Ok(texts.get(id)));
                }
            }
            AccountEvent::Refused { password, code, message } => {
                let reason = Err(texts.error(code, message));
                if *password {
                    self.password_sent = false;
                    self.password_outcome = Some(reason);
                } else {
                    self.totp_sent = false;
                    self.totp_outcome = Some(reason);
                }
            }
        }
    }

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
            Notice::SyncFailed { .. }
            | Notice::GraceEnding { .. }
            | Notice::DownloadedAgain { .. }
            | Notice::RecordHeld(_)
            | Notice::MailFailed { .. } => self.sync,
            Notice::NotSignedIn | Notice::CompanyFileMoved { .. } => true,
        }
    }
}

/// What the Preferences window reads.
#[derive(Clone, Copy, Debug)]
pub struct PreferencesContext<'a> {
    pub texts: &'a Texts,
    /// The signed-in user, and their role in the open company.
    pub email: Option<&'a str>,
    pub role: Option<Role>,
    /// The account's companies, the one open now, and the one being opened.
    pub companies: &'a [CompanyChoice],
    pub current: Option<CompanyId>,
    pub switching: Option<&'a CompanyChoice>,
    /// The company downloading in the background, and how far it has come (0 to 1).
    pub background: Option<(CompanyId, f32)>,
    /// The sync server's address in use.
    pub server: &'a str,
    /// Whether the user has two-factor on, once the server has said.
    pub two_factor: Option<bool>,
    pub notice_choices: NoticeChoices,
    /// The account syncs with a computer of the local network, not a server: its
    /// `comptoir-lan://` address.
    pub lan_host: Option<&'a str>,
    /// This computer hosts the open company and the user may list its devices.
    pub hosting: bool,
    /// The updater, for the Mises à jour tab.
    pub updater: &'a crate::update::worker::Updater,
}

/// What the Preferences window asks the app to do.
#[derive(Debug)]
pub enum PreferencesAction {
    /// Hand a command to the engine.
    Send(Command),
    /// Open another company of the account: it becomes the working company once the
    /// engine reports it ready (after its first download, if it has none here yet).
    SwitchCompany(CompanyChoice),
    /// Show the app in this language (and keep the choice).
    SetLanguage(Language),
    /// Collect these notices in the bell (and keep the choice).
    SetNoticeChoices(NoticeChoices),
    /// Open the sharing window: the devices paired with the company hosted here.
    OpenSharing,
    /// This computer becomes the host of the company, from the newest backup in this
    /// folder (its host is lost).
    BecomeHost(std::path::PathBuf),
    /// Mises à jour: check, install, restart into the version installed.
    Update(crate::screens::updates::UpdateAction),
    /// The window was closed.
    Close,
}

/// The Preferences window; returns what it wants done.
pub fn preferences_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    ctx: &PreferencesContext<'_>,
) -> Vec<PreferencesAction> {
    let mut actions = Vec::new();
    let mut commands = Vec::new();
    let mut open = true;
    let texts = ctx.texts;
    egui::Window::new(texts.get("preferences-title")).open(&mut open).default_width(460.0).show(ui.ctx(), |ui| {
        ui.horizontal(|ui| {
            for tab in Tab::ALL {
                ui.selectable_value(&mut state.tab, tab, texts.get(tab.text_id()));
            }
        });
        ui.separator();
        match state.tab {
            Tab::Account => account_ui(ui, state, ctx, &mut actions, &mut commands),
            Tab::Server => server_ui(ui, state, texts, ctx.server, &mut commands),
            Tab::Personal => {
                personal_ui(ui, texts, &mut actions);
                ui.separator();
                password_ui(ui, state, texts, &mut commands);
                ui.separator();
                two_factor_ui(ui, state, texts, ctx.two_factor, &mut commands);
            }
            Tab::Notifications => notifications_ui(ui, texts, ctx.notice_choices, &mut actions, &mut commands),
            Tab::Updates => {
                if let Some(action) = crate::screens::updates::updates_ui(ui, ctx.updater, texts) {
                    actions.push(PreferencesAction::Update(action));
                }
            }
        }
    });
    actions.extend(commands.into_iter().map(PreferencesAction::Send));
    if !open {
        actions.push(PreferencesAction::Close);
    }
    actions
}

/// Serveur: the address in use, and a connection test of any address.
fn server_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    texts: &Texts,
    current: &str,
    commands: &mut Vec<Command>,
) {
    if !state.server_filled {
        current.clone_into(&mut state.server);
        state.server_filled = true;
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
fn account_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    ctx: &PreferencesContext<'_>,
    actions: &mut Vec<PreferencesAction>,
    commands: &mut Vec<Command>,
) {
    let texts = ctx.texts;
    if let Some(email) = ctx.email {
        ui.label(texts.with("account-signed-in-as", &[("email", email.to_owned().into())]));
    }
    if let Some(role) = ctx.role {
        ui.label(texts.with("account-role", &[("role", role_text(role, texts).into())]));
    }
    ui.add_space(6.0);
    ui.label(crate::theme::bold(texts.get("account-companies")));
    let switching = ctx.switching.map(|c| c.id);
    egui::Grid::new("companies").num_columns(3).show(ui, |ui| {
        for company in ctx.companies {
            ui.label(&company.name);
            ui.label(role_text(company.role, texts));
            if Some(company.id) == ctx.current {
                ui.weak(texts.get("account-current"));
            } else if Some(company.id) == switching {
                ui.weak(texts.with("account-switching", &[("company", company.name.clone().into())]));
            } else if let Some((_, done)) = ctx.background.filter(|(id, _)| *id == company.id) {
                let percent = f64::from((done * 100.0).round());
                let args = [("company", company.name.clone().into()), ("percent", percent.into())];
                ui.weak(texts.with("account-background", &args));
            } else if ui
                .add_enabled(
                    switching.is_none(),
                    egui::Button::new(texts.with("account-switch", &[("company", company.name.clone().into())])),
                )
                .clicked()
            {
                actions.push(PreferencesAction::SwitchCompany(company.clone()));
            }
            ui.end_row();
        }
    });
    if ctx.companies.is_empty() {
        ui.weak(texts.get("account-companies-offline"));
    }
    paired_ui(ui, state, ctx, actions);
    ui.add_space(6.0);
    if ui.button(texts.get("menu-sign-out")).clicked() {
        commands.push(Command::SignOut { remove_local_data: false });
    }
}

/// A device of a host: which host it is paired with (its addresses and the start of its
/// certificate's fingerprint, as the host's window shows it). The host: its paired
/// devices, in the sharing window.
fn paired_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    ctx: &PreferencesContext<'_>,
    actions: &mut Vec<PreferencesAction>,
) {
    let texts = ctx.texts;
    if let Some(Ok(host)) = ctx.lan_host.map(comptoir_core::lan::HostAddress::parse) {
        let addresses: Vec<String> = host.addresses.iter().map(ToString::to_string).collect();
        let fingerprint: String = host.fingerprint.to_string().chars().take(11).collect();
        ui.add_space(6.0);
        ui.label(texts.with(
            "account-paired-host",
            &[("addresses", addresses.join(", ").into()), ("fingerprint", fingerprint.into())],
        ));
        if !ctx.hosting {
            become_host_ui(ui, state, texts, actions);
        }
    }
    if ctx.hosting {
        ui.add_space(6.0);
        ui.label(crate::theme::bold(texts.get("account-devices")));
        if ui.button(texts.get("account-devices-open")).clicked() {
            actions.push(PreferencesAction::OpenSharing);
        }
    }
}

/// « Cet ordinateur devient l'hôte » (a device of a host that is lost): the folder of
/// the host's backups (typed, or chosen), then the newest backup is restored here and
/// served; this computer's copy follows it and sends what the backup lacks.
fn become_host_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    texts: &Texts,
    actions: &mut Vec<PreferencesAction>,
) {
    if let Some(dialog) = &state.backups_dialog
        && let Ok(chosen) = dialog.try_recv()
    {
        state.backups_dialog = None;
        if let Some(folder) = chosen {
            state.backups_folder = folder.display().to_string();
        }
    }
    ui.add_space(6.0);
    ui.collapsing(texts.get("become-host-title"), |ui| {
        ui.label(texts.get("become-host-explain"));
        let label = ui.label(texts.get("become-host-folder"));
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut state.backups_folder).desired_width(300.0)).labelled_by(label.id);
            if ui
                .add_enabled(state.backups_dialog.is_none(), egui::Button::new(texts.get("become-host-browse")))
                .clicked()
            {
                state.backups_dialog =
                    crate::screens::choose_folder(&texts.get("become-host-folder"), crate::screens::waker(ui.ctx()));
            }
        });
        let folder = state.backups_folder.trim();
        if ui.add_enabled(!folder.is_empty(), egui::Button::new(texts.get("become-host-confirm"))).clicked() {
            actions.push(PreferencesAction::BecomeHost(std::path::PathBuf::from(folder)));
        }
    });
}

/// Personnel: the display language.
fn personal_ui(ui: &mut egui::Ui, texts: &Texts, actions: &mut Vec<PreferencesAction>) {
    let mut language = texts.language();
    ui.label(texts.get("preferences-language"));
    for choice in Language::ALL {
        ui.radio_value(&mut language, choice, choice.native_name());
    }
    if language != texts.language() {
        actions.push(PreferencesAction::SetLanguage(language));
    }
}

/// Notifications: which notices the bell collects.
fn notifications_ui(
    ui: &mut egui::Ui,
    texts: &Texts,
    before: NoticeChoices,
    actions: &mut Vec<PreferencesAction>,
    commands: &mut Vec<Command>,
) {
    let mut choices = before;
    ui.checkbox(&mut choices.payments, texts.get("notify-payments"));
    ui.checkbox(&mut choices.refusals, texts.get("notify-refusals"));
    ui.checkbox(&mut choices.sync, texts.get("notify-sync"));
    let on = |b: bool| if b { "on" } else { "off" }.to_owned();
    for (key, before, after) in [
        ("notify-payments", before.payments, choices.payments),
        ("notify-refusals", before.refusals, choices.refusals),
        ("notify-sync", before.sync, choices.sync),
    ] {
        if before != after {
            commands.push(Command::SetPreference { key: key.into(), value: on(after) });
        }
    }
    if choices != before {
        actions.push(PreferencesAction::SetNoticeChoices(choices));
    }
}

/// Outcome text under a form: green words when done, red when refused.
fn outcome_ui(ui: &mut egui::Ui, outcome: Option<&Result<String, String>>) {
    match outcome {
        Some(Ok(text)) => {
            ui.colored_label(crate::widgets::GREEN, text);
        }
        Some(Err(text)) => {
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
        None => {}
    }
}

fn secret_field_ui(ui: &mut egui::Ui, label: &str, value: &mut String) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).password(true).desired_width(260.0)).labelled_by(label.id);
    ui.end_row();
}

/// Personnel → the password: current, new, confirmed.
fn password_ui(ui: &mut egui::Ui, state: &mut PreferencesState, texts: &Texts, commands: &mut Vec<Command>) {
    ui.label(crate::theme::bold(texts.get("password-title")));
    egui::Grid::new("password").num_columns(2).show(ui, |ui| {
        secret_field_ui(ui, &texts.get("password-current"), &mut state.current_password);
        secret_field_ui(ui, &texts.get("password-new"), &mut state.new_password);
        secret_field_ui(ui, &texts.get("password-confirm"), &mut state.confirm_password);
    });
    let change = ui.add_enabled(!state.password_sent, egui::Button::new(texts.get("password-change"))).clicked();
    if change {
        state.password_outcome = if state.new_password != state.confirm_password {
            Some(Err(texts.get("password-mismatch")))
        } else if state.new_password.chars().count() < MIN_PASSWORD_CHARS {
            Some(Err(texts.with("password-too-short", &[("min", MIN_PASSWORD_CHARS.into())])))
        } else {
            state.password_sent = true;
            commands.push(Command::ChangePassword {
                current: Secret(state.current_password.clone()),
                new: Secret(state.new_password.clone()),
            });
            None
        };
    }
    outcome_ui(ui, state.password_outcome.as_ref());
}

/// Passwords shorter than this are refused (the server's rule, checked here first).
const MIN_PASSWORD_CHARS: usize = 10;

/// Personnel → two-factor: on with a QR code and the secret, confirmed by a code; or off.
fn two_factor_ui(
    ui: &mut egui::Ui,
    state: &mut PreferencesState,
    texts: &Texts,
    enabled: Option<bool>,
    commands: &mut Vec<Command>,
) {
    ui.label(crate::theme::bold(texts.get("two-factor-title")));
    let Some(enabled) = enabled else {
        ui.weak(texts.get("two-factor-unknown"));
        return;
    };
    ui.label(texts.get(if enabled { "two-factor-on" } else { "two-factor-off" }));
    // The account's password and a code; answers them once the button is clicked with
    // both typed (the server refuses a change without the password).
    let code_rows = |ui: &mut egui::Ui, state: &mut PreferencesState, button: &str| -> Option<(Secret, String)> {
        let mut clicked = false;
        ui.horizontal(|ui| {
            let label = ui.label(texts.get("two-factor-password"));
            ui.add(egui::TextEdit::singleline(&mut state.totp_password).password(true).desired_width(180.0))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label(texts.get("two-factor-code"));
            ui.add(egui::TextEdit::singleline(&mut state.totp_code).desired_width(90.0)).labelled_by(label.id);
            clicked = ui.add_enabled(!state.totp_sent, egui::Button::new(button)).clicked();
        });
        if !clicked {
            return None;
        }
        if state.totp_password.is_empty() {
            state.totp_outcome = Some(Err(texts.get("two-factor-password-required")));
            return None;
        }
        state.totp_sent = true;
        state.totp_outcome = None;
        Some((Secret(state.totp_password.clone()), state.totp_code.clone()))
    };
    if enabled {
        if let Some((password, code)) = code_rows(ui, state, &texts.get("two-factor-disable")) {
            commands.push(Command::DisableTwoFactor { password, code });
        }
    } else if let Some((secret, _, qr)) = state.totp_setup.clone() {
        ui.label(texts.get("two-factor-scan"));
        if let Some(qr) = &qr {
            qr_ui(ui, qr, &texts.get("two-factor-qr"));
        }
        ui.label(texts.with("two-factor-secret", &[("secret", secret.into())]));
        if let Some((password, code)) = code_rows(ui, state, &texts.get("two-factor-confirm")) {
            commands.push(Command::EnableTwoFactor { password, code });
        }
    } else if ui.add_enabled(!state.totp_sent, egui::Button::new(texts.get("two-factor-enable"))).clicked() {
        state.totp_sent = true;
        state.totp_outcome = None;
        commands.push(Command::StartTwoFactor);
    }
    outcome_ui(ui, state.totp_outcome.as_ref());
}

/// Draws a QR code: dark modules on white, with the quiet zone scanners need.
fn qr_ui(ui: &mut egui::Ui, qr: &Qr, label: &str) {
    const MODULE: f32 = 4.0;
    const QUIET: usize = 4;
    #[allow(clippy::cast_precision_loss, reason = "a QR code is at most 177 modules wide")]
    let side = (qr.width + 2 * QUIET) as f32 * MODULE;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::WHITE);
    for (i, dark) in qr.dark.iter().enumerate() {
        if *dark {
            #[allow(clippy::cast_precision_loss, reason = "module coordinates below 200")]
            let (x, y) = (((i % qr.width) + QUIET) as f32, ((i / qr.width) + QUIET) as f32);
            let min = rect.min + egui::vec2(x * MODULE, y * MODULE);
            painter.rect_filled(egui::Rect::from_min_size(min, egui::vec2(MODULE, MODULE)), 0.0, egui::Color32::BLACK);
        }
    }
}
