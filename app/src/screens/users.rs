//! Utilisateurs: the company's members with their role and last activity; owners and
//! admins add a user by email, change a role, or remove a member. The changes go to the
//! server through the engine ([`Command::Members`]), which checks them first with the
//! same rule the server applies; the list follows with the next pull.

use comptoir_core::engine::{Command, MemberChange, MembersEvent};
use comptoir_core::model::{Permission, Role, UserId};
use comptoir_core::store::MemberActivity;

use super::{Context, action_button, role_text};
use crate::i18n::Texts;

/// What the screen keeps between frames.
#[derive(Debug, Default)]
pub struct Users {
    /// The members as last read; `None` after a change, until read again.
    members: Option<Vec<MemberActivity>>,
    /// The add form.
    new_email: String,
    new_role: Option<Role>,
    /// The member whose role is being changed, with the role chosen.
    editing: Option<(UserId, Role)>,
    /// A removal waiting for its confirmation.
    removing: Option<UserId>,
    /// A change sent to the engine and not yet answered.
    waiting: bool,
    /// The last answer, in the user's language, and whether it was a refusal.
    message: Option<(String, bool)>,
}

impl Users {
    pub fn data_changed(&mut self) {
        self.members = None;
    }

    /// The engine's answer to a change.
    pub fn on_event(&mut self, event: &MembersEvent, texts: &Texts) {
        self.waiting = false;
        self.message = Some(match event {
            MembersEvent::Added { email, initial_password: Some(password) } => (
                texts.with(
                    "users-added-new-account",
                    &[("email", email.clone().into()), ("password", password.0.clone().into())],
                ),
                false,
            ),
            MembersEvent::Added { email, initial_password: None } => {
                (texts.with("users-added", &[("email", email.clone().into())]), false)
            }
            MembersEvent::RoleChanged { email, role } => (
                texts.with(
                    "users-role-changed",
                    &[("email", email.clone().into()), ("role", role_text(*role, texts).into())],
                ),
                false,
            ),
            MembersEvent::Removed { email } => (texts.with("users-removed", &[("email", email.clone().into())]), false),
            MembersEvent::Refused { code, message } => (texts.error(code, message), true),
        });
        if !matches!(event, MembersEvent::Refused { .. }) {
            self.new_email.clear();
            self.new_role = None;
            self.editing = None;
            self.removing = None;
            self.members = None;
        }
    }

    fn send(&mut self, ctx: &mut Context<'_>, change: MemberChange) {
        self.waiting = true;
        self.message = None;
        ctx.commands.push(Command::Members(change));
    }
}

pub fn users_ui(ui: &mut egui::Ui, state: &mut Users, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-users"));
    if state.members.is_none() {
        match ctx.reader.store().member_activity() {
            Ok(members) => state.members = Some(members),
            Err(e) => {
                ui.label(texts.error(e.code(), &e.to_string()));
                return;
            }
        }
    }
    // Managing members is not a business edit: it goes straight to the server, so the
    // offline grace period does not govern it; being online does.
    let blocked = ctx
        .role
        .filter(|role| !role.allows(Permission::ManageMembers))
        .map(|role| texts.with("users-refused-role", &[("role", role_text(role, texts).into())]));
    if let Some(reason) = &blocked {
        ui.label(egui::RichText::new(reason).italics().weak());
    }
    members_table_ui(ui, state, ctx, blocked.is_some());
    ui.add_space(12.0);
    if let Some((user, role)) = state.editing {
        edit_member_ui(ui, state, ctx, user, role);
    } else if blocked.is_none() {
        add_member_ui(ui, state, ctx);
    }
    if state.waiting {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(texts.get("users-waiting"));
        });
    }
    if let Some((message, refused)) = &state.message {
        let text = egui::RichText::new(message.as_str());
        // Selectable: a new account's one-time password is copied from here.
        ui.add(
            egui::Label::new(if *refused { text.color(ui.visuals().error_fg_color) } else { text }).selectable(true),
        );
    }
}

fn members_table_ui(ui: &mut egui::Ui, state: &mut Users, ctx: &Context<'_>, blocked: bool) {
    let texts = ctx.texts;
    let members = state.members.as_deref().unwrap_or_default();
    let mut chosen = None;
    egui::Grid::new("members").num_columns(5).striped(true).spacing([16.0, 6.0]).show(ui, |ui| {
        for id in ["users-name", "users-email", "users-role", "users-last-activity", ""] {
            ui.label(crate::theme::bold(if id.is_empty() { String::new() } else { texts.get(id) }));
        }
        ui.end_row();
        for member in members {
            ui.label(&member.display_name);
            ui.label(&member.email);
            ui.label(role_text(member.role, texts));
            ui.label(
                member
                    .last_activity
                    .map_or_else(|| texts.get("users-never"), |at| crate::format::date_time(at, texts.language())),
            );
            if !blocked && ui.button(texts.with("users-edit", &[("email", member.email.clone().into())])).clicked() {
                chosen = Some((member.user_id, member.role));
            }
            ui.end_row();
        }
    });
    if chosen.is_some() {
        state.editing = chosen;
        state.removing = None;
        state.message = None;
    }
}

fn add_member_ui(ui: &mut egui::Ui, state: &mut Users, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.label(crate::theme::bold(texts.get("users-add-title")));
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("users-new-email"));
        ui.add(egui::TextEdit::singleline(&mut state.new_email).desired_width(260.0)).labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        ui.label(texts.get("users-new-role"));
        for role in Role::ALL {
            ui.radio_value(&mut state.new_role, Some(role), role_text(role, texts));
        }
    });
    let missing = if state.new_email.trim().is_empty() || state.new_role.is_none() {
        Some(texts.get("users-add-missing"))
    } else {
        None
    };
    let owner_only = (state.new_role == Some(Role::Owner)).then(|| ctx.cannot_read(Permission::ManageOwners)).flatten();
    let blocked = owner_only.or(missing).or_else(|| state.waiting.then(|| texts.get("users-waiting")));
    if action_button(ui, &texts.get("users-add"), blocked.as_deref())
        && let Some(role) = state.new_role
    {
        let email = state.new_email.trim().to_owned();
        state.send(ctx, MemberChange::Add { email, role });
    }
}

fn edit_member_ui(ui: &mut egui::Ui, state: &mut Users, ctx: &mut Context<'_>, user: UserId, chosen: Role) {
    let texts = ctx.texts;
    let Some(member) = state.members.as_deref().unwrap_or_default().iter().find(|m| m.user_id == user).cloned() else {
        state.editing = None;
        return;
    };
    let email = member.email.clone();
    ui.label(crate::theme::bold(texts.with("users-edit-title", &[("email", email.clone().into())])));
    let mut role = chosen;
    ui.horizontal(|ui| {
        for option in Role::ALL {
            ui.radio_value(&mut role, option, role_text(option, texts));
        }
    });
    state.editing = Some((user, role));
    // An owner is named or demoted by an owner only.
    let owners = (role == Role::Owner || member.role == Role::Owner).then(|| ctx.cannot_read(Permission::ManageOwners));
    let blocked = owners.flatten().or_else(|| state.waiting.then(|| texts.get("users-waiting")));
    if let Some(reason) = &blocked {
        ui.label(egui::RichText::new(reason).italics().weak());
    }
    let allowed = blocked.is_none();
    ui.horizontal_wrapped(|ui| {
        let changed = role != member.role;
        if ui.add_enabled(allowed && changed, egui::Button::new(texts.get("users-save-role"))).clicked() {
            state.send(ctx, MemberChange::SetRole { user, role });
        }
        if state.removing == Some(user) {
            ui.label(texts.with("users-remove-confirm", &[("email", email.clone().into())]));
            if ui.add_enabled(allowed, egui::Button::new(texts.get("users-remove-yes"))).clicked() {
                state.send(ctx, MemberChange::Remove { user });
            }
            if ui.button(texts.get("users-remove-no")).clicked() {
                state.removing = None;
            }
        } else if ui
            .add_enabled(allowed, egui::Button::new(texts.with("users-remove", &[("email", email.into())])))
            .clicked()
        {
            state.removing = Some(user);
        }
        if ui.button(texts.get("users-close")).clicked() {
            state.editing = None;
            state.removing = None;
        }
    });
}
