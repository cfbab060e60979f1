//! Moving a company between a Comptoir server and this computer (issue 15; see
//! [`crate::company_move`]), from Fichier, by its owners.
//!
//! « Héberger sur cet ordinateur… » (a company hosted by a Comptoir server): the company
//! moves onto this computer, which hosts it on the local network from then on.
//!
//! The window says what the move does before anything happens — the company turns
//! read-only on the server, its other devices join this computer by invitation — and
//! asks the owner's password on the server (kept as their password here) and, when
//! their account has it, a two-factor code. The move itself runs on the local host's
//! thread ([`crate::local_host::LocalHost::prepare`]), never on the UI thread; the wizard
//! then signs in to this computer's host and downloads the company again.
//!
//! « Remettre sur un serveur Comptoir… » (a company hosted here): the way back. The
//! window asks the server's address and the owner's sign-in there; the local host's
//! thread freezes the company here, sends its archive and reports
//! ([`crate::local_host::HostRequest::GiveBack`]); the copy then signs out of this
//! computer's host and the wizard signs in to the server and downloads it again. This
//! computer goes on serving the company read-only, so that its devices learn where it
//! went.

use comptoir_core::engine::Secret;
use comptoir_core::model::{CompanyId, Role};

use crate::i18n::Texts;
use crate::wizard::field_ui;

/// Whether `role` may move a company: owners only (the server says so too).
pub fn may_move(role: Option<Role>) -> bool {
    role == Some(Role::Owner)
}

/// The window's state between frames.
#[derive(Debug)]
pub struct MoveHereWindow {
    pub company: CompanyId,
    pub name: String,
    password: String,
    code: String,
    understood: bool,
}

/// What the window asks.
#[derive(Debug, PartialEq, Eq)]
pub enum MoveHereAction {
    Move { password: Secret, code: Option<String> },
    Cancel,
}

impl MoveHereWindow {
    pub fn open(company: CompanyId, name: &str) -> Self {
        Self { company, name: name.to_owned(), password: String::new(), code: String::new(), understood: false }
    }
}

/// Draws the window; `Some` when the user chose.
pub fn move_here_ui(ui: &mut egui::Ui, state: &mut MoveHereWindow, texts: &Texts) -> Option<MoveHereAction> {
    let mut action = None;
    let title = texts.with("move-here-title", &[("company", state.name.clone().into())]);
    egui::Window::new(title).collapsible(false).resizable(false).show(ui.ctx(), |ui| {
        ui.set_max_width(520.0);
        ui.label(texts.get("move-here-explain"));
        ui.add_space(8.0);
        field_ui(ui, &texts.get("move-here-password"), &mut state.password, true);
        field_ui(ui, &texts.get("move-here-code"), &mut state.code, false);
        ui.checkbox(&mut state.understood, texts.get("move-here-understood"));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let ready = state.understood && !state.password.is_empty();
            if ui.add_enabled(ready, egui::Button::new(texts.get("move-here-confirm"))).clicked() {
                let code = Some(state.code.trim().to_owned()).filter(|code| !code.is_empty());
                action = Some(MoveHereAction::Move { password: Secret(std::mem::take(&mut state.password)), code });
            }
            if ui.button(texts.get("move-here-cancel")).clicked() {
                action = Some(MoveHereAction::Cancel);
            }
        });
    });
    action
}

/// « Remettre sur un serveur Comptoir… »: its state between frames.
#[derive(Debug)]
pub struct GiveBackWindow {
    pub company: CompanyId,
    pub name: String,
    server: String,
    email: String,
    password: String,
    code: String,
    understood: bool,
    /// Sent to the host's thread: the window waits for its answer.
    pub running: bool,
    /// Why the last attempt failed.
    pub problem: Option<crate::hosting::HostProblem>,
}

/// What the give-back window asks.
#[derive(Debug, PartialEq, Eq)]
pub enum GiveBackAction {
    Send { server: String, email: String, password: Secret, code: Option<String> },
    Cancel,
}

impl GiveBackWindow {
    pub fn open(company: CompanyId, name: &str, email: Option<&str>) -> Self {
        Self {
            company,
            name: name.to_owned(),
            server: String::new(),
            email: email.unwrap_or_default().to_owned(),
            password: String::new(),
            code: String::new(),
            understood: false,
            running: false,
            problem: None,
        }
    }
}

/// Draws the give-back window; `Some` when the user chose.
pub fn give_back_ui(ui: &mut egui::Ui, state: &mut GiveBackWindow, texts: &Texts) -> Option<GiveBackAction> {
    let mut action = None;
    let title = texts.with("give-back-title", &[("company", state.name.clone().into())]);
    egui::Window::new(title).collapsible(false).resizable(false).show(ui.ctx(), |ui| {
        ui.set_max_width(520.0);
        ui.label(texts.get("give-back-explain"));
        ui.add_space(8.0);
        ui.add_enabled_ui(!state.running, |ui| {
            field_ui(ui, &texts.get("give-back-server"), &mut state.server, false);
            field_ui(ui, &texts.get("give-back-email"), &mut state.email, false);
            field_ui(ui, &texts.get("move-here-password"), &mut state.password, true);
            field_ui(ui, &texts.get("move-here-code"), &mut state.code, false);
            ui.checkbox(&mut state.understood, texts.get("give-back-understood"));
        });
        if let Some(problem) = &state.problem {
            let text = texts.with("move-here-failed", &[("message", problem.text(texts).into())]);
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if state.running {
                ui.spinner();
                ui.label(texts.get("give-back-running"));
                return;
            }
            let ready = state.understood
                && !state.password.is_empty()
                && !state.server.trim().is_empty()
                && !state.email.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new(texts.get("give-back-confirm"))).clicked() {
                state.problem = None;
                let code = Some(state.code.trim().to_owned()).filter(|code| !code.is_empty());
                action = Some(GiveBackAction::Send {
                    server: state.server.trim().to_owned(),
                    email: state.email.trim().to_owned(),
                    password: Secret(state.password.clone()),
                    code,
                });
            }
            if ui.button(texts.get("move-here-cancel")).clicked() {
                action = Some(GiveBackAction::Cancel);
            }
        });
    });
    action
}
