//! The tray icon: a dot the colour of the sync status (green synced, blue syncing,
//! orange offline, red error), with a menu — Ouvrir, Synchroniser maintenant, Quitter.
//!
//! It is made on the UI thread, whose event loop Windows and macOS need; on Linux the
//! `StatusNotifierItem` backend (over D-Bus, no GTK) runs its own thread. Its clicks come
//! back through a channel read each frame, and wake the window. Where the desktop has
//! no tray (no `StatusNotifier` host, no session bus), the app runs without one and logs
//! why.

use std::sync::mpsc::{Receiver, Sender, channel};

use comptoir_core::engine::SyncState;
use tray_icon::menu::{Menu, MenuEvent, MenuId, MenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use crate::i18n::Texts;

/// What the user chose in the tray's menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayAction {
    Open,
    SyncNow,
    Quit,
}

/// The tray icon while it shows.
pub struct Tray {
    icon: TrayIcon,
    actions: Receiver<TrayAction>,
    /// The colour shown, to change the icon only when the status does.
    shown: Option<[u8; 3]>,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").field("shown", &self.shown).finish_non_exhaustive()
    }
}

/// Why there is no tray icon.
#[derive(Debug, thiserror::Error)]
pub enum TrayError {
    #[error("the tray menu could not be made: {0}")]
    Menu(String),
    #[error("the desktop offers no tray: {0}")]
    Unavailable(String),
}

/// The colour of a sync status, as red, green, blue.
pub fn status_rgb(status: &SyncState) -> [u8; 3] {
    crate::widgets::status_colour(status).to_array()[..3].try_into().unwrap_or([128, 128, 128])
}

/// A round dot of `rgb` on a transparent square of `size` pixels, as RGBA bytes.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "pixel coordinates of a small icon, and an alpha within 0..=255"
)]
pub fn dot_rgba(rgb: [u8; 3], size: u32) -> Vec<u8> {
    let centre = (size as f32 - 1.0) / 2.0;
    let radius = size as f32 / 2.0 - 1.0;
    let mut pixels = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let distance = ((x as f32 - centre).powi(2) + (y as f32 - centre).powi(2)).sqrt();
            // One pixel of soft edge.
            let alpha = (radius + 0.5 - distance).clamp(0.0, 1.0);
            pixels.extend_from_slice(&[rgb[0], rgb[1], rgb[2], (alpha * 255.0).round() as u8]);
        }
    }
    pixels
}

fn icon(rgb: [u8; 3]) -> Option<Icon> {
    const SIZE: u32 = 32;
    Icon::from_rgba(dot_rgba(rgb, SIZE), SIZE, SIZE).ok()
}

impl Tray {
    /// Shows the icon; `wake` repaints the window after a click in its menu.
    pub fn start(texts: &Texts, wake: impl Fn() + Send + Sync + 'static) -> Result<Self, TrayError> {
        let open = MenuItem::new(texts.get("tray-open"), true, None);
        let sync = MenuItem::new(texts.get("menu-sync-now"), true, None);
        let quit = MenuItem::new(texts.get("menu-quit"), true, None);
        let menu = Menu::new();
        for item in [&open, &sync, &quit] {
            menu.append(item).map_err(|e| TrayError::Menu(e.to_string()))?;
        }
        let ids: [(MenuId, TrayAction); 3] = [
            (open.id().clone(), TrayAction::Open),
            (sync.id().clone(), TrayAction::SyncNow),
            (quit.id().clone(), TrayAction::Quit),
        ];
        let (sender, actions): (Sender<TrayAction>, _) = channel();
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            if let Some((_, action)) = ids.iter().find(|(id, _)| *id == event.id) {
                // The window may be gone already when the app quits.
                let _ = sender.send(*action);
                wake();
            }
        }));
        let grey = [128, 128, 128];
        let builder = TrayIconBuilder::new()
            .with_menu(Box::new(menu))
            .with_tooltip(texts.get("app-name"))
            .with_icon(icon(grey).ok_or_else(|| TrayError::Menu("icon".into()))?);
        // Some backends panic rather than fail when the desktop lacks what they need.
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build()))
            .map_err(|_| TrayError::Unavailable("the tray backend panicked".into()))?
            .map_err(|e| TrayError::Unavailable(e.to_string()))?;
        Ok(Self { icon: built, actions, shown: Some(grey) })
    }

    /// Follows the sync status: its colour, and its words as the tooltip.
    pub fn show_status(&mut self, status: &SyncState, texts: &Texts) {
        let rgb = status_rgb(status);
        if self.shown == Some(rgb) {
            return;
        }
        self.shown = Some(rgb);
        let tooltip = format!("{} — {}", texts.get("app-name"), crate::widgets::status_text(status, texts));
        if let Err(e) = self.icon.set_icon(icon(rgb)).and_then(|()| self.icon.set_tooltip(Some(tooltip))) {
            tracing::warn!(error = %e, "the tray icon could not be updated");
        }
    }

    /// The menu choices made since the last call.
    pub fn actions(&self) -> Vec<TrayAction> {
        self.actions.try_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn the_dot_is_the_status_colour_inside_and_clear_outside() {
        let pixels = dot_rgba([10, 20, 30], 32);
        assert_eq!(pixels.len(), 32 * 32 * 4);
        let at = |x: usize, y: usize| &pixels[(y * 32 + x) * 4..(y * 32 + x) * 4 + 4];
        assert_eq!(at(16, 16), [10, 20, 30, 255]);
        assert_eq!(at(0, 0)[3], 0, "corners are transparent");
    }

    #[test]
    fn each_status_has_its_colour() {
        let synced = status_rgb(&SyncState::Synced { at: Utc::now() });
        let syncing = status_rgb(&SyncState::Syncing { progress: None });
        let offline = status_rgb(&SyncState::Offline { since: Utc::now() });
        let error = status_rgb(&SyncState::Error {
            kind: comptoir_core::engine::ErrorKind::Server,
            code: "x".into(),
            message: "x".into(),
        });
        assert!(synced[1] > synced[0] && synced[1] > synced[2], "green");
        assert!(syncing[2] > syncing[0], "blue");
        assert!(offline[0] > offline[2] && offline[1] > offline[2], "orange");
        assert!(error[0] > error[1] && error[0] > error[2], "red");
    }
}
