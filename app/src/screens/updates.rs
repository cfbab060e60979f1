//! Préférences → Mises à jour: the version installed, how this copy is updated, the last
//! check, « Rechercher une mise à jour », and installing what was found; and the banner
//! that tells a version was found by the daily check.

use crate::i18n::Texts;
use crate::update::worker::{Blocker, Phase, Updater};
use crate::update::{Install, PackageManager};

/// What the tab asks the app to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateAction {
    Check,
    /// Download and install the version found (the app checks nothing is pending first).
    Install,
    /// Close the window and start the version installed.
    Restart,
}

/// The Mises à jour tab.
pub fn updates_ui(ui: &mut egui::Ui, updater: &Updater, texts: &Texts) -> Option<UpdateAction> {
    let mut action = None;
    ui.label(texts.with("update-installed-version", &[("version", env!("CARGO_PKG_VERSION").into())]));
    ui.label(install_text(&updater.install, texts));
    if !updater.is_configured() {
        ui.label(texts.get("update-not-configured"));
        return None;
    }
    let last = updater.last_check().map_or_else(
        || texts.get("update-never-checked"),
        |at| at.with_timezone(&chrono::Local).format("%d/%m/%Y %H:%M").to_string(),
    );
    ui.label(texts.with("update-last-check", &[("at", last.into())]));
    let busy = matches!(updater.phase(), Phase::Checking | Phase::Downloading { .. } | Phase::Ready { .. });
    if ui.add_enabled(!busy, egui::Button::new(texts.get("update-check"))).clicked() {
        action = Some(UpdateAction::Check);
    }
    ui.separator();
    match updater.phase() {
        Phase::Idle => {}
        Phase::Checking => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(texts.get("update-checking"));
            });
        }
        Phase::UpToDate { .. } => {
            ui.label(texts.get("update-up-to-date"));
        }
        Phase::Available(release) => {
            let date = release.date.format("%d/%m/%Y").to_string();
            ui.strong(
                texts.with(
                    "update-available",
                    &[("version", release.version.to_string().into()), ("date", date.into())],
                ),
            );
            if !release.notes.is_empty() {
                ui.label(&release.notes);
            }
            if release.package.is_some() {
                if ui.button(texts.get("update-install")).clicked() {
                    action = Some(UpdateAction::Install);
                }
                if let Some(blocker) = &updater.blocked {
                    ui.colored_label(ui.visuals().warn_fg_color, blocker_text(blocker, texts));
                }
            } else if updater.install.platform().is_some() {
                ui.label(texts.get("update-no-package"));
            }
        }
        Phase::Downloading { release, done, total } => {
            ui.label(texts.with("update-downloading", &[("version", release.version.to_string().into())]));
            #[allow(clippy::cast_precision_loss)] // a fraction for a progress bar
            let fraction = if *total == 0 { 0.0 } else { *done as f32 / *total as f32 };
            ui.add(egui::ProgressBar::new(fraction.clamp(0.0, 1.0)).show_percentage());
        }
        Phase::Ready { version } => {
            ui.strong(texts.with("update-ready", &[("version", version.to_string().into())]));
            if ui.button(texts.get("update-restart")).clicked() {
                action = Some(UpdateAction::Restart);
            }
            if let Some(blocker) = &updater.blocked {
                ui.colored_label(ui.visuals().warn_fg_color, blocker_text(blocker, texts));
            }
        }
        Phase::Failed { code, message } => {
            ui.colored_label(ui.visuals().error_fg_color, texts.error(code, message));
        }
    }
    action
}

/// The banner of a version found by the daily check: « Voir » (true) opens the tab,
/// « Plus tard » hides it until the next check finds it again.
pub fn update_banner_ui(ui: &mut egui::Ui, updater: &mut Updater, texts: &Texts) -> bool {
    let Some(version) = updater.banner.clone() else { return false };
    let mut see = false;
    let mut later = false;
    egui::Frame::new().fill(crate::widgets::LIGHT_BLUE).inner_margin(8.0).corner_radius(4.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.colored_label(
                egui::Color32::BLACK,
                texts.with("update-banner", &[("version", version.to_string().into())]),
            );
            see = ui.button(texts.get("update-banner-see")).clicked();
            later = ui.button(texts.get("update-banner-later")).clicked();
        });
    });
    if see || later {
        updater.banner = None;
    }
    see
}

fn install_text(install: &Install, texts: &Texts) -> String {
    match install {
        Install::Portable { .. } => texts.get("update-install-portable"),
        Install::WindowsInstaller { .. } => texts.get("update-install-windows"),
        Install::SystemPackage(PackageManager::Deb) => texts.get("update-install-deb"),
        Install::SystemPackage(PackageManager::Rpm) => texts.get("update-install-rpm"),
        Install::SystemPackage(PackageManager::Other) => texts.get("update-install-system"),
        Install::Managed => texts.get("update-install-managed"),
    }
}

fn blocker_text(blocker: &Blocker, texts: &Texts) -> String {
    match blocker {
        Blocker::EditsPending(count) => texts.with("update-blocked-edits", &[("count", (*count).into())]),
        Blocker::Syncing => texts.get("update-blocked-syncing"),
        Blocker::UnsavedDraft => texts.get("update-blocked-draft"),
    }
}
