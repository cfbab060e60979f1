//! Fichier → « Partager sur le réseau local… » (issue 15): on the computer that hosts
//! the open company, the window a device pairs from. It shows the QR code of a fresh
//! invitation's `comptoir://pair` link, the same link as text to copy, the code to type
//! on a device without a camera, the member and role the invitation is for (a choice of
//! the company's members) and until when it serves; below, the devices paired, each of
//! which can be revoked.
//!
//! Everything it shows comes from the host's thread ([`crate::local_host`]): the window
//! returns [`HostRequest`]s and takes the [`HostAnswer`]s; it never touches the host's
//! data itself. The QR code is drawn here from the `qrcode` crate's modules into an
//! [`egui::ColorImage`] (with its quiet zone, big enough to scan from a phone), kept for
//! as long as the invitation shows: [`SharingWindow::qr_image`] is the very image the
//! window uploads and draws.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use comptoir_core::model::{CompanyId, Role};
use comptoir_server::storage::{DeviceRecord, MemberRecord};

use super::{confirm_ui, role_text};
use crate::i18n::Texts;
use crate::local_host::{HostAnswer, HostRequest, SharedInvitation};

/// How often the window reads the devices again while open (a device that pairs
/// shows within this).
const DEVICES_REFRESH: Duration = Duration::from_secs(2);
/// The blank border around the code, in modules (the QR standard's minimum).
const QUIET_ZONE: usize = 4;
/// The side the code is drawn at, about, in pixels: a phone reads it from an arm's
/// length.
const QR_SIDE: usize = 320;
/// The fewest pixels a module takes.
const MIN_MODULE: usize = 4;
/// The window's width, in points: its title and most of the link show whole.
const WINDOW_WIDTH: f32 = 460.0;

/// What the window draws with.
#[derive(Debug)]
pub struct SharingContext<'a> {
    pub texts: &'a Texts,
    /// The host's clock, to tell an expired invitation.
    pub now: DateTime<Utc>,
}

/// An invitation on screen, with its QR code.
struct Shown {
    invitation: SharedInvitation,
    image: egui::ColorImage,
    texture: Option<egui::TextureHandle>,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shown").field("invitation", &self.invitation).finish_non_exhaustive()
    }
}

/// The window's state, while open.
#[derive(Debug)]
pub struct SharingWindow {
    company: CompanyId,
    /// The member the next invitation is for (an email).
    member: String,
    members: Vec<MemberRecord>,
    shown: Option<Shown>,
    /// An invitation was asked and has not come yet.
    inviting: bool,
    /// The devices, once read.
    devices: Option<Vec<DeviceRecord>>,
    devices_read_at: Option<Instant>,
    /// The device whose revocation waits for the user's yes, with its name; whether
    /// the question shows for the first time.
    revoking: Option<(uuid::Uuid, String, bool)>,
    error: Option<crate::hosting::HostProblem>,
    /// What the window asks next.
    requests: Vec<HostRequest>,
    /// The host's backups, once read.
    backups: Option<crate::local_host::BackupsView>,
    /// A backup was asked and has not come yet.
    backing_up: bool,
    /// The folder dialog, while open.
    folder_dialog: Option<std::sync::mpsc::Receiver<Option<std::path::PathBuf>>>,
    /// « Restaurer la dernière sauvegarde ? » waits for the user's yes (whether it shows
    /// for the first time).
    restoring: Option<bool>,
    /// A restore was asked and has not come yet.
    restore_running: bool,
    /// The backup restored last, when it had been taken.
    restored: Option<chrono::DateTime<chrono::Utc>>,
}

impl SharingWindow {
    /// Opens on `company`, with an invitation for `user` (the one signed in).
    pub fn open(company: CompanyId, user: Option<&str>) -> Self {
        let member = user.unwrap_or_default().to_owned();
        let requests = vec![
            HostRequest::Members { company },
            HostRequest::Devices { company },
            HostRequest::Invite { company, member: (!member.is_empty()).then(|| member.clone()) },
            HostRequest::Backups,
        ];
        Self {
            company,
            member,
            members: Vec::new(),
            shown: None,
            inviting: true,
            devices: None,
            devices_read_at: Some(Instant::now()),
            revoking: None,
            error: None,
            requests,
            backups: None,
            backing_up: false,
            folder_dialog: None,
            restoring: None,
            restore_running: false,
            restored: None,
        }
    }

    /// Opens as [`Self::open`] does, and takes a backup now (Fichier → Sauvegarder
    /// maintenant).
    pub fn open_to_back_up(company: CompanyId, user: Option<&str>) -> Self {
        let mut window = Self::open(company, user);
        window.requests.push(HostRequest::BackUpNow);
        window.backing_up = true;
        window
    }

    /// Opens as [`Self::open`] does, asking whether to restore the newest backup
    /// (Fichier → Restaurer…).
    pub fn open_to_restore(company: CompanyId, user: Option<&str>) -> Self {
        let mut window = Self::open(company, user);
        window.restoring = Some(true);
        window
    }

    /// The host's backups as last read.
    pub fn backups(&self) -> Option<&crate::local_host::BackupsView> {
        self.backups.as_ref()
    }

    /// The company it shares.
    pub fn company(&self) -> CompanyId {
        self.company
    }

    /// The invitation's link, as the window shows it as text.
    pub fn link(&self) -> Option<&str> {
        self.shown.as_ref().map(|shown| shown.invitation.link.as_str())
    }

    /// The QR code's image the window draws (uploaded as its texture).
    pub fn qr_image(&self) -> Option<&egui::ColorImage> {
        self.shown.as_ref().map(|shown| &shown.image)
    }

    /// The devices as last read.
    pub fn devices(&self) -> Option<&[DeviceRecord]> {
        self.devices.as_deref()
    }

    /// What the window asks the host now (asked again with [`Self::ask_again`] when the
    /// host's queue had no room).
    pub fn take_requests(&mut self) -> Vec<HostRequest> {
        std::mem::take(&mut self.requests)
    }

    /// A request the host's queue had no room for: asked at a next frame.
    pub fn ask_again(&mut self, request: HostRequest) {
        self.requests.push(request);
    }

    /// Takes the host's answer.
    pub fn on_answer(&mut self, answer: HostAnswer) {
        match answer {
            HostAnswer::Invitation(result) => {
                self.inviting = false;
                match result.and_then(|invitation| {
                    let image = qr_image(&invitation.link)?;
                    Ok(Shown { invitation, image, texture: None })
                }) {
                    Ok(shown) => {
                        self.error = None;
                        self.shown = Some(shown);
                    }
                    Err(reason) => self.error = Some(reason),
                }
            }
            HostAnswer::Devices { company, devices } if company == self.company => match devices {
                Ok(devices) => self.devices = Some(devices),
                Err(reason) => self.error = Some(reason),
            },
            HostAnswer::Members { company, members } if company == self.company => match members {
                Ok(members) => self.members = members,
                Err(reason) => self.error = Some(reason),
            },
            HostAnswer::Revoked { company, result, .. } if company == self.company => {
                if let Err(reason) = result {
                    self.error = Some(reason);
                }
                self.requests.push(HostRequest::Devices { company });
                self.devices_read_at = Some(Instant::now());
            }
            HostAnswer::Restored(result) => {
                self.restore_running = false;
                match result {
                    Ok(taken_at) => self.restored = Some(taken_at),
                    Err(reason) => self.error = Some(reason),
                }
                self.requests.push(HostRequest::Backups);
            }
            HostAnswer::Backups(result) => {
                self.backing_up = false;
                match result {
                    Ok(backups) => self.backups = Some(backups),
                    Err(reason) => self.error = Some(reason),
                }
            }
            // The app follows a company given back (see `screens::move_here`).
            HostAnswer::Devices { .. }
            | HostAnswer::Members { .. }
            | HostAnswer::Revoked { .. }
            | HostAnswer::GivenBack { .. } => {}
        }
    }

    fn invite(&mut self) {
        self.inviting = true;
        let member = (!self.member.is_empty()).then(|| self.member.clone());
        self.requests.push(HostRequest::Invite { company: self.company, member });
    }
}

/// `text` as a QR code image: dark modules on white, [`QUIET_ZONE`] modules of white
/// around, each module a square of whole pixels, about [`QR_SIDE`] pixels in all.
///
/// # Errors
///
/// When `text` is too long for a QR code.
pub fn qr_image(text: &str) -> Result<egui::ColorImage, crate::hosting::HostProblem> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| crate::hosting::HostProblem::new("qr_code", e))?;
    let modules = code.width();
    let colors = code.to_colors();
    let span = modules + 2 * QUIET_ZONE;
    let scale = (QR_SIDE / span).max(MIN_MODULE);
    let side = span * scale;
    let mut image = egui::ColorImage::filled([side, side], egui::Color32::WHITE);
    for (index, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (row, column) = (index / modules + QUIET_ZONE, index % modules + QUIET_ZONE);
        for y in row * scale..(row + 1) * scale {
            let line = y * side;
            for pixel in &mut image.pixels[line + column * scale..line + (column + 1) * scale] {
                *pixel = egui::Color32::BLACK;
            }
        }
    }
    Ok(image)
}

/// Draws the window while open; `false` once the user closed it.
pub fn sharing_ui(ui: &mut egui::Ui, state: &mut SharingWindow, ctx: &SharingContext<'_>) -> bool {
    let texts = ctx.texts;
    if state.devices_read_at.is_none_or(|at| at.elapsed() >= DEVICES_REFRESH) {
        state.requests.push(HostRequest::Devices { company: state.company });
        state.devices_read_at = Some(Instant::now());
    }
    ui.ctx().request_repaint_after(DEVICES_REFRESH);
    let mut open = true;
    egui::Window::new(texts.get("sharing-title"))
        .collapsible(false)
        .resizable(false)
        .min_width(WINDOW_WIDTH)
        .open(&mut open)
        .show(ui.ctx(), |ui| {
            member_choice_ui(ui, state, texts);
            invitation_ui(ui, state, ctx);
            ui.horizontal(|ui| {
                if ui.add_enabled(!state.inviting, egui::Button::new(texts.get("sharing-new-invitation"))).clicked() {
                    state.invite();
                }
                if state.inviting {
                    ui.spinner();
                }
            });
            if cfg!(windows) {
                ui.weak(texts.get("sharing-firewall"));
            }
            ui.separator();
            devices_ui(ui, state, texts);
            ui.separator();
            backups_ui(ui, state, texts);
            if let Some(error) = &state.error {
                ui.colored_label(ui.visuals().error_fg_color, error.text(texts));
            }
        });
    revoke_question_ui(ui, state, texts);
    restore_question_ui(ui, state, texts);
    open
}

/// « Pour : » and the company's members; choosing one makes an invitation for them.
fn member_choice_ui(ui: &mut egui::Ui, state: &mut SharingWindow, texts: &Texts) {
    let name = |member: &MemberRecord| format!("{} ({})", member.email, role_text(member.role, texts));
    let selected = state.members.iter().find(|m| m.email == state.member).map_or_else(|| state.member.clone(), name);
    let mut chosen = None;
    egui::ComboBox::from_label(texts.get("sharing-member")).selected_text(selected).show_ui(ui, |ui| {
        for member in &state.members {
            if ui.selectable_label(member.email == state.member, name(member)).clicked() {
                chosen = Some(member.email.clone());
            }
        }
    });
    if let Some(email) = chosen
        && email != state.member
    {
        state.member = email;
        state.invite();
    }
}

/// The QR code, the link to copy, the typed code, who it is for and until when.
fn invitation_ui(ui: &mut egui::Ui, state: &mut SharingWindow, ctx: &SharingContext<'_>) {
    let texts = ctx.texts;
    let Some(shown) = &mut state.shown else {
        if state.inviting {
            ui.spinner();
        }
        return;
    };
    let image = &shown.image;
    let texture = shown
        .texture
        .get_or_insert_with(|| ui.ctx().load_texture("sharing-qr", image.clone(), egui::TextureOptions::NEAREST));
    // One module is whole screen pixels: the image at its own size in pixels.
    #[allow(clippy::cast_precision_loss, reason = "a few hundred pixels")]
    let size = egui::vec2(image.size[0] as f32, image.size[1] as f32) / ui.ctx().pixels_per_point();
    ui.add(egui::Image::new((texture.id(), size)).alt_text(texts.get("sharing-qr")));
    let invitation = &shown.invitation;
    ui.label(texts.with(
        "sharing-for",
        &[("email", invitation.email.clone().into()), ("role", role_text(invitation.role, texts).into())],
    ));
    let until = invitation.expires_at.with_timezone(&chrono::Local).format("%H:%M").to_string();
    if ctx.now < invitation.expires_at {
        ui.label(texts.with("sharing-expires", &[("time", until.into())]));
    } else {
        ui.colored_label(ui.visuals().warn_fg_color, texts.with("sharing-expired", &[("time", until.into())]));
    }
    let label = ui.label(texts.get("sharing-link"));
    let mut link = invitation.link.as_str();
    ui.add(egui::TextEdit::singleline(&mut link).desired_width(f32::INFINITY)).labelled_by(label.id);
    if ui.button(texts.get("sharing-copy-link")).clicked() {
        ui.ctx().copy_text(invitation.link.clone());
    }
    ui.label(texts.with("sharing-typed", &[("code", invitation.typed.clone().into())]));
}

/// The devices paired, each with « Révoquer ».
fn devices_ui(ui: &mut egui::Ui, state: &mut SharingWindow, texts: &Texts) {
    ui.label(crate::theme::bold(texts.get("sharing-devices")));
    let Some(devices) = &state.devices else {
        ui.spinner();
        return;
    };
    if devices.is_empty() {
        ui.weak(texts.get("sharing-no-device"));
        return;
    }
    let now = chrono::Utc::now();
    egui::Grid::new("sharing-devices").num_columns(4).striped(true).show(ui, |ui| {
        for device in devices {
            ui.label(&device.name);
            let at = |time: chrono::DateTime<chrono::Utc>| {
                let local = time.with_timezone(&chrono::Local);
                let date = crate::format::date(local.date_naive(), texts.language());
                [("date", date.into()), ("time", local.format("%H:%M").to_string().into())]
            };
            ui.label(texts.with("sharing-paired-on", &at(device.paired_at)));
            // Its last sync, as the host wrote it down: "connected" while recent.
            match device.last_seen_at {
                Some(seen)
                    if device.revoked_at.is_none() && now - seen < comptoir_server::pairing::CONNECTED_WITHIN =>
                {
                    ui.label(texts.get("sharing-connected"));
                }
                Some(seen) => {
                    ui.weak(texts.with("sharing-last-sync", &at(seen)));
                }
                None => {
                    ui.weak(texts.get("sharing-never-synced"));
                }
            }
            match device.revoked_at {
                Some(_) => {
                    ui.weak(texts.get("sharing-revoked"));
                }
                None => {
                    if ui.button(texts.get("sharing-revoke")).clicked() {
                        state.revoking = Some((device.id, device.name.clone(), true));
                    }
                }
            }
            ui.end_row();
        }
    });
}

/// Where the host's backups go, the newest, « Choisir le dossier… » and « Sauvegarder
/// maintenant ».
fn backups_ui(ui: &mut egui::Ui, state: &mut SharingWindow, texts: &Texts) {
    if let Some(dialog) = &state.folder_dialog
        && let Ok(chosen) = dialog.try_recv()
    {
        state.folder_dialog = None;
        if let Some(folder) = chosen {
            state.requests.push(HostRequest::SetBackupFolder(folder));
            state.backing_up = true;
        }
    }
    ui.label(crate::theme::bold(texts.get("sharing-backups")));
    let Some(backups) = &state.backups else {
        ui.spinner();
        return;
    };
    match &backups.folder {
        Some(folder) => {
            ui.label(texts.with("sharing-backup-folder", &[("folder", folder.display().to_string().into())]))
        }
        None => ui.weak(texts.get("sharing-backup-no-folder")),
    };
    if let Some(newest) = backups.newest {
        let local = newest.with_timezone(&chrono::Local);
        let date = crate::format::date(local.date_naive(), texts.language());
        ui.label(texts.with(
            "sharing-backup-newest",
            &[
                ("date", date.into()),
                ("time", local.format("%H:%M").to_string().into()),
                ("count", backups.count.into()),
            ],
        ));
    }
    let has_folder = backups.folder.is_some();
    ui.horizontal(|ui| {
        let idle = !state.backing_up && state.folder_dialog.is_none();
        if ui.add_enabled(idle, egui::Button::new(texts.get("sharing-backup-choose"))).clicked() {
            state.folder_dialog = super::choose_folder(&texts.get("sharing-backup-choose"), super::waker(ui.ctx()));
        }
        if ui.add_enabled(idle && has_folder, egui::Button::new(texts.get("sharing-backup-now"))).clicked() {
            state.requests.push(HostRequest::BackUpNow);
            state.backing_up = true;
        }
        let idle = idle && !state.restore_running;
        if ui.add_enabled(idle && backups.count > 0, egui::Button::new(texts.get("sharing-restore"))).clicked() {
            state.restoring = Some(true);
        }
        if state.backing_up || state.restore_running {
            ui.spinner();
        }
    });
    if let Some(taken_at) = state.restored {
        let local = taken_at.with_timezone(&chrono::Local);
        let date = crate::format::date(local.date_naive(), texts.language());
        ui.label(
            texts
                .with("sharing-restored", &[("date", date.into()), ("time", local.format("%H:%M").to_string().into())]),
        );
    }
}

/// « Restaurer la dernière sauvegarde ? » until the user answers.
fn restore_question_ui(ui: &mut egui::Ui, state: &mut SharingWindow, texts: &Texts) {
    let Some(first) = state.restoring else { return };
    let question = texts.get("sharing-restore-question");
    let answer =
        confirm_ui(ui, "sharing-restore", ("", &question), &texts.get("sharing-restore-confirm"), texts, first);
    state.restoring = Some(false);
    match answer {
        Some(true) => {
            state.restoring = None;
            state.restore_running = true;
            state.restored = None;
            state.requests.push(HostRequest::RestoreNewest);
        }
        Some(false) => state.restoring = None,
        None => {}
    }
}

/// « Révoquer l'appareil … ? » until the user answers.
fn revoke_question_ui(ui: &mut egui::Ui, state: &mut SharingWindow, texts: &Texts) {
    let Some((device, name, first)) = &mut state.revoking else { return };
    let question = texts.with("sharing-revoke-question", &[("name", name.clone().into())]);
    let answer = confirm_ui(ui, "sharing-revoke", ("", &question), &texts.get("sharing-revoke-confirm"), texts, *first);
    *first = false;
    match answer {
        Some(true) => {
            let device = *device;
            state.revoking = None;
            state.requests.push(HostRequest::Revoke { company: state.company, device });
        }
        Some(false) => state.revoking = None,
        None => {}
    }
}

/// Whether `role` may share the company from this computer (owners and admins).
pub fn may_share(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Owner | Role::Admin))
}
