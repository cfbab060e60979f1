//! The widgets the screens share: the sync status (its coloured dot and its words, also
//! used by the tray), the status bar's line, the coloured banners across the window, and
//! the words of the engine's notices. Screens, the tray and the dialogs import them from
//! here, never from `app.rs`.

use comptoir_core::engine::{Command, Grace, Notice, SyncState};

use crate::i18n::Texts;

/// Synced; also a form's "done" outcome.
pub const GREEN: egui::Color32 = egui::Color32::from_rgb(0x3C, 0xB3, 0x71);
/// Syncing.
pub const SYNCING_BLUE: egui::Color32 = egui::Color32::from_rgb(0x3B, 0x82, 0xF6);
/// Offline, signed out, a file to relink: something to know, nothing broken.
pub const ORANGE: egui::Color32 = egui::Color32::from_rgb(0xF5, 0xA6, 0x23);
/// A sync error, the engine stopped.
pub const RED: egui::Color32 = egui::Color32::from_rgb(0xE8, 0x5A, 0x4F);
/// Information banners (entries waiting to be posted).
pub const LIGHT_BLUE: egui::Color32 = egui::Color32::from_rgb(0x9C, 0xC3, 0xF5);

/// The status bar's line: the sync state, and the last refused edit's reason.
pub fn status_line_ui(ui: &mut egui::Ui, status: &SyncState, texts: &Texts, refusal: Option<&str>) {
    ui.horizontal(|ui| {
        status_dot_ui(ui, status);
        if let SyncState::Downloading { progress } = status {
            ui.add(egui::ProgressBar::new(progress.overall).desired_width(120.0));
        }
        ui.label(status_text(status, texts));
        if let Some(reason) = refusal {
            ui.separator();
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
    });
}

/// A coloured dot before the status text: green synced, blue syncing (or waiting for a
/// busy server), orange offline, red error, grey signed out (the tray icon uses the same colours).
pub fn status_dot_ui(ui: &mut egui::Ui, status: &SyncState) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, status_colour(status));
}

/// The colour of a sync state.
pub fn status_colour(status: &SyncState) -> egui::Color32 {
    match status {
        SyncState::Idle | SyncState::Synced { .. } => GREEN,
        SyncState::Syncing { .. } | SyncState::Downloading { .. } | SyncState::Busy { .. } => SYNCING_BLUE,
        SyncState::Offline { .. } => ORANGE,
        SyncState::Error { .. } | SyncState::Stopped { .. } => RED,
        SyncState::SignedOut => egui::Color32::GRAY,
    }
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
        Notice::DownloadedAgain { backup, pending, renumbered, refused } => {
            let mut text = texts.get("notice-downloaded-again");
            if let Some(backup) = backup {
                text = format!("{text} {}", texts.with("kept-copy", &[("path", backup.display().to_string().into())]));
            }
            if !pending.is_empty() {
                let edits = crate::kept_copies::edits_text(pending, texts);
                let count = pending.len();
                text = format!(
                    "{text} {}",
                    texts.with("kept-copy-pending-named", &[("count", count.into()), ("edits", edits.into())])
                );
            }
            if let Some(renumbered) = crate::kept_copies::renumbered_text(renumbered, texts) {
                text = format!("{text} {renumbered}");
            }
            if !refused.is_empty() {
                let edits = crate::kept_copies::edits_text(refused, texts);
                let count = refused.len();
                text = format!(
                    "{text} {}",
                    texts.with("kept-copy-refused-named", &[("count", count.into()), ("edits", edits.into())])
                );
            }
            text
        }
        Notice::MailFailed { code, message } => {
            texts.with("notice-mail-failed", &[("message", texts.error(code, message).into())])
        }
        Notice::RecordHeld(held) => texts.with(
            "notice-record-held",
            &[
                ("record", format!("{} {}", held.kind.as_str(), held.id).into()),
                ("message", texts.error(&held.code, &held.message).into()),
            ],
        ),
    }
}

/// A coloured strip across the window with a message and, maybe, a button.
pub fn banner_ui(ui: &mut egui::Ui, fill: egui::Color32, text: &str, button: Option<&str>) -> bool {
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

/// A red banner when the company this computer hosts is not served (its port taken by
/// another program, its data unreadable): the devices cannot sync until it is fixed.
pub fn hosting_stopped_ui(ui: &mut egui::Ui, host: Option<&crate::local_host::LocalHost>, texts: &Texts) {
    if let Some(crate::local_host::HostingState::Stopped { reason: Some(reason) }) =
        host.map(crate::local_host::LocalHost::state)
    {
        banner_ui(ui, RED, &texts.with("banner-hosting-stopped", &[("reason", reason.text(texts).into())]), None);
    }
}

/// The banners above a screen: offline (with the grace period left), sync error (with
/// Retry), engine stopped, signed out (with Sign in), and moved company files (with
/// Relink); what their buttons ask is pushed onto `commands`. `lan_host`: the copy syncs
/// with a computer of the local network, which the offline banner names, with its
/// firewall.
pub fn banners_ui(
    ui: &mut egui::Ui,
    status: &SyncState,
    grace: Option<Grace>,
    notices: &[Notice],
    texts: &Texts,
    commands: &mut Vec<Command>,
    lan_host: bool,
) {
    match status {
        SyncState::Offline { since } => {
            let since = since.with_timezone(&chrono::Local).format("%d/%m %H:%M").to_string();
            let key = if lan_host { "banner-host-unreachable" } else { "banner-offline" };
            let mut text = texts.with(key, &[("since", since.into())]);
            match grace {
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
        // Nothing to retry: the engine's thread is gone until the app starts again.
        SyncState::Stopped { reason } => {
            banner_ui(ui, RED, &texts.with("banner-engine-stopped", &[("reason", reason.clone().into())]), None);
        }
        // Signing in again goes through the wizard's sign-in; the copy stays.
        SyncState::SignedOut
            if banner_ui(ui, ORANGE, &texts.get("banner-not-signed-in"), Some(&texts.get("banner-sign-in"))) =>
        {
            commands.push(Command::SignOut { remove_local_data: false });
        }
        _ => {}
    }
    for notice in notices {
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
        SyncState::Downloading { progress } => {
            let percent = (progress.overall * 100.0).round();
            texts.with("status-downloading", &[("percent", f64::from(percent).into())])
        }
        SyncState::Offline { .. } => texts.get("status-offline"),
        SyncState::Busy { retry_at } => {
            let at = retry_at.with_timezone(&chrono::Local).format("%H:%M:%S").to_string();
            texts.with("status-busy", &[("at", at.into())])
        }
        SyncState::Error { .. } => texts.get("status-error"),
        SyncState::Stopped { .. } => texts.get("status-stopped"),
        SyncState::SignedOut => texts.get("status-signed-out"),
    }
}
