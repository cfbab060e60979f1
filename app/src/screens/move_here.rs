//! « Héberger sur cet ordinateur… » (Fichier, owners of a company hosted by a Comptoir
//! server): the company moves onto this computer, which hosts it on the local network
//! from then on (issue 15; see [`crate::company_move`]).
//!
//! The window says what the move does before anything happens — the company turns
//! read-only on the server, its other devices join this computer by invitation — and
//! asks the owner's password on the server (kept as their password here) and, when
//! their account has it, a two-factor code. The move itself runs on the local host's
//! thread ([`crate::local_host::LocalHost::take`]), never on the UI thread; the wizard
//! then signs in to this computer's host and downloads the company again.

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
