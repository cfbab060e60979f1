//! The top-level [`eframe::App`]: it holds the engine's handle, takes in the engine's
//! events each frame, and draws the wizard until a company is ready, then the main
//! window.

use std::sync::{Arc, OnceLock};

use comptoir_core::engine::{Command, CompanyChoice, Engine, EngineConfig, Event, Grace, Notice, SyncState};

use crate::i18n::{Language, Texts};
use crate::wizard::{Wizard, wizard_ui};

/// The window's title, also its accessible name.
pub const WINDOW_TITLE: &str = "Comptoir";
/// The id under which eframe stores the window's position and size.
pub const APP_ID: &str = "comptoir";

/// Demo credentials the wizard shows (demo mode only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
}

/// The app's state.
pub struct ComptoirApp {
    engine: Engine,
    /// Set on the first frame: the engine's wake-up calls `request_repaint` on it.
    ctx: Arc<OnceLock<egui::Context>>,
    pub texts: Texts,
    pub wizard: Wizard,
    /// The company the user started working in (the wizard's "Commencer").
    pub working: Option<CompanyChoice>,
    pub status: SyncState,
    pub grace: Option<Grace>,
    pub notices: Vec<Notice>,
    /// The Preferences window is open.
    pub preferences_open: bool,
    /// The notifications list is open.
    pub bell_open: bool,
    /// How many notices came since the list was last opened.
    pub unread: usize,
}

impl std::fmt::Debug for ComptoirApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComptoirApp").field("status", &self.status).finish_non_exhaustive()
    }
}

impl ComptoirApp {
    /// Starts the engine with `config` (its `wake` is replaced by one that repaints this
    /// app's window).
    pub fn start(
        mut config: EngineConfig,
        language: Language,
        demo: Option<DemoAccount>,
    ) -> Result<Self, comptoir_core::engine::EngineError> {
        let ctx: Arc<OnceLock<egui::Context>> = Arc::default();
        let waker = ctx.clone();
        config.wake = Arc::new(move || {
            if let Some(ctx) = waker.get() {
                ctx.request_repaint();
            }
        });
        let engine = Engine::start(config)?;
        Ok(Self {
            engine,
            ctx,
            texts: Texts::new(language),
            wizard: Wizard::new(demo),
            working: None,
            status: SyncState::Idle,
            grace: None,
            notices: Vec::new(),
            preferences_open: false,
            bell_open: false,
            unread: 0,
        })
    }

    /// One frame: take in the engine's events, then draw.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.ctx.get_or_init(|| ui.ctx().clone());
        while let Some(event) = self.engine.try_event() {
            self.on_event(event);
        }
        if self.working.is_some() {
            main_window_ui(ui, self);
        } else {
            if !self.notices.is_empty() {
                // A company file moved while the app was closed: say so before anything.
                let mut commands = Vec::new();
                egui::Panel::top("banners").show(ui, |ui| banners_ui(ui, self, &mut commands));
                self.send_all(commands);
            }
            let commands = wizard_ui(ui, &mut self.wizard, &self.texts);
            for command in commands.commands {
                if let Err(e) = self.engine.send(command) {
                    tracing::warn!(error = %e, "a command could not be handed to the engine");
                }
            }
            if let Some(company) = commands.start {
                self.working = Some(company);
            }
        }
    }

    fn send_all(&self, commands: Vec<Command>) {
        for command in commands {
            if let Err(e) = self.engine.send(command) {
                tracing::warn!(error = %e, "a command could not be handed to the engine");
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Status(status) => self.status = status,
            Event::Grace(grace) => self.grace = Some(grace),
            Event::Notice(notice) => {
                self.notices.push(notice);
                self.unread += 1;
            }
            // Back to the wizard's sign-in.
            Event::SignedOut => self.working = None,
            Event::Preferences(preferences) => {
                if let Some(language) = preferences.get("language").and_then(|code| Language::from_code(code)) {
                    self.texts = Texts::new(language);
                }
            }
            other => {
                if let Event::Setup(comptoir_core::engine::SetupStep::Ready { company }) = &other {
                    // A company opened: a moved-file notice is settled.
                    self.notices.retain(|n| !matches!(n, Notice::CompanyFileMoved { .. }));
                    // Reopened at start, or switched to: straight to work.
                    if !self.wizard.walked || self.working.is_some() {
                        self.working = Some(company.clone());
                    }
                }
                if let Some(command) = self.wizard.on_event(&other)
                    && let Err(e) = self.engine.send(command)
                {
                    tracing::warn!(error = %e, "a command could not be handed to the engine");
                }
            }
        }
    }
}

impl eframe::App for ComptoirApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }
}

/// The main window: menu, banners, status bar; the screens come next.
fn main_window_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let mut commands = Vec::new();
    egui::Panel::top("menu").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(app.texts.get("menu-file"), |ui| {
                if ui.button(app.texts.get("menu-preferences")).clicked() {
                    app.preferences_open = true;
                }
                if ui.button(app.texts.get("menu-sync-now")).clicked() {
                    commands.push(Command::SyncNow);
                }
                if ui.button(app.texts.get("menu-sign-out")).clicked() {
                    commands.push(Command::SignOut { remove_local_data: false });
                }
                if ui.button(app.texts.get("menu-quit")).clicked() {
                    ui.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| bell_ui(ui, app));
        });
    });
    if app.bell_open {
        notices_ui(ui, app);
    }
    egui::Panel::bottom("status").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(status_text(&app.status, &app.texts));
        });
    });
    if app.preferences_open {
        preferences_ui(ui, app, &mut commands);
    }
    egui::CentralPanel::default().show(ui, |ui| {
        banners_ui(ui, app, &mut commands);
        ui.heading(app.working.as_ref().map_or(WINDOW_TITLE, |c| c.name.as_str()));
    });
    app.send_all(commands);
}

/// The notifications bell: a red dot while notices are unread.
fn bell_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let label = app.texts.with("bell", &[("count", app.unread.into())]);
    // Words, not an emoji: the built-in fonts have no bell, and the label is also what
    // screen readers say.
    let response = ui.button(label);
    if app.unread > 0 {
        let dot = response.rect.right_top() + egui::vec2(-3.0, 3.0);
        ui.painter().circle_filled(dot, 4.0, egui::Color32::RED);
    }
    if response.clicked() {
        app.bell_open = !app.bell_open;
        app.unread = 0;
    }
}

/// The list of notices, newest first.
fn notices_ui(ui: &mut egui::Ui, app: &mut ComptoirApp) {
    let mut open = true;
    egui::Window::new(app.texts.get("notices-title")).open(&mut open).show(ui.ctx(), |ui| {
        if app.notices.is_empty() {
            ui.label(app.texts.get("notices-none"));
        }
        for notice in app.notices.iter().rev() {
            ui.label(notice_text(notice, &app.texts));
            ui.separator();
        }
    });
    app.bell_open = open;
}

/// What a notice says, in the user's language.
pub fn notice_text(notice: &Notice, texts: &Texts) -> String {
    match notice {
        Notice::SyncFailed { code, message, .. } => {
            texts.with("banner-sync-error", &[("message", texts.error(code, message).into())])
        }
        Notice::NotSignedIn => texts.get("banner-not-signed-in"),
        Notice::CompanyFileMoved { .. } => texts.get("banner-file-moved"),
        Notice::ChangeRejected { code, message, .. } => {
            texts.with("notice-rejected", &[("message", texts.error(code, message).into())])
        }
        Notice::PaymentReceived(payment) => {
            let id = match (&payment.assessment.anomaly, payment.assessment.after) {
                (Some(comptoir_core::model::PaymentAnomaly::DoublePayment { .. }), _) => "notice-payment-double",
                (_, comptoir_core::model::PaymentState::PartiallyPaid { .. }) => "notice-payment-partial",
                _ => "notice-payment-received",
            };
            let document = payment.number.clone().unwrap_or_default();
            texts.with(id, &[("amount", payment.amount.to_string().into()), ("document", document.into())])
        }
        Notice::GraceEnding { left } => {
            let hours = (left.num_minutes() + 59) / 60;
            texts.with("notice-grace-ending", &[("days", (hours / 24).into()), ("hours", (hours % 24).into())])
        }
        Notice::DownloadedAgain { .. } => texts.get("notice-downloaded-again"),
    }
}

/// Préférences → Personnel: the display language (the rest comes with the screens).
fn preferences_ui(ui: &mut egui::Ui, app: &mut ComptoirApp, commands: &mut Vec<Command>) {
    let mut open = true;
    let mut language = app.texts.language();
    egui::Window::new(app.texts.get("preferences-title")).open(&mut open).show(ui.ctx(), |ui| {
        ui.strong(app.texts.get("preferences-personal"));
        ui.label(app.texts.get("preferences-language"));
        for choice in Language::ALL {
            ui.radio_value(&mut language, choice, choice.native_name());
        }
    });
    if language != app.texts.language() {
        app.texts = Texts::new(language);
        commands.push(Command::SetPreference { key: "language".into(), value: language.code().into() });
    }
    app.preferences_open = open;
}

/// A coloured strip across the window with a message and, maybe, a button.
fn banner_ui(ui: &mut egui::Ui, fill: egui::Color32, text: &str, button: Option<&str>) -> bool {
    let mut clicked = false;
    egui::Frame::new().fill(fill).inner_margin(8.0).corner_radius(4.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.colored_label(egui::Color32::BLACK, text);
            if let Some(button) = button {
                clicked = ui.button(button).clicked();
            }
        });
    });
    clicked
}

const ORANGE: egui::Color32 = egui::Color32::from_rgb(0xF5, 0xA6, 0x23);
const RED: egui::Color32 = egui::Color32::from_rgb(0xE8, 0x5A, 0x4F);

fn banners_ui(ui: &mut egui::Ui, app: &ComptoirApp, commands: &mut Vec<Command>) {
    let texts = &app.texts;
    match &app.status {
        SyncState::Offline { since } => {
            let since = since.with_timezone(&chrono::Local).format("%d/%m %H:%M").to_string();
            let mut text = texts.with("banner-offline", &[("since", since.into())]);
            match app.grace {
                Some(grace @ Grace::Open { .. }) => {
                    if let Some((days, hours)) = grace.days_and_hours_left() {
                        text = format!(
                            "{text} {}",
                            texts.with("grace-left", &[("days", days.into()), ("hours", hours.into())])
                        );
                    }
                }
                Some(Grace::ReadOnly { .. }) => text = format!("{text} {}", texts.get("grace-read-only")),
                None => {}
            }
            banner_ui(ui, ORANGE, &text, None);
        }
        SyncState::Error { message, code, .. } => {
            let message = texts.error(code, message);
            let text = texts.with("banner-sync-error", &[("message", message.into())]);
            if banner_ui(ui, RED, &text, Some(&texts.get("banner-retry"))) {
                commands.push(Command::SyncNow);
            }
        }
        SyncState::SignedOut => {
            banner_ui(ui, ORANGE, &texts.get("banner-not-signed-in"), None);
        }
        _ => {}
    }
    for notice in &app.notices {
        if let Notice::CompanyFileMoved { company, found: Some(found), .. } = notice
            && banner_ui(ui, ORANGE, &texts.get("banner-file-moved"), Some(&texts.get("banner-relink")))
        {
            commands.push(Command::Relink { company: *company, path: found.clone() });
        }
    }
}

/// The status bar's words for a sync state.
pub fn status_text(status: &SyncState, texts: &Texts) -> String {
    match status {
        SyncState::Idle | SyncState::Synced { .. } => texts.get("status-synced"),
        SyncState::Syncing { progress: Some(progress) } => {
            let percent = (progress.overall * 100.0).round();
            texts.with("status-syncing-percent", &[("percent", f64::from(percent).into())])
        }
        SyncState::Syncing { progress: None } => texts.get("status-syncing"),
        SyncState::Offline { .. } => texts.get("status-offline"),
        SyncState::Error { .. } => texts.get("status-error"),
        SyncState::SignedOut => texts.get("status-signed-out"),
    }
}
