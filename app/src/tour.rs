//! The screenshot tour (`comptoir --demo --screenshots DIR`): the app walks itself
//! through the demo — the wizard, the invoice list of the large company, the offline
//! banner — and saves a picture of its own window at each stop, as rendered on screen.
//! `scripts/screenshots.sh` runs it under Xvfb to refresh the pictures in `docs/`.
//!
//! The tour acts through the same commands and state as a user's clicks.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use comptoir_core::engine::{Command, SetupStep, SyncState};

use crate::app::ComptoirApp;
use crate::screens::Screen;

/// Where the tour stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Waiting for the wizard's Connexion step, then its picture.
    Wizard,
    /// The server's address was sent; signing in once the engine accepts it.
    Connecting,
    SigningIn,
    /// Waiting for the large company's invoice list, counted, then its picture.
    Invoices,
    /// The server is gone: waiting for the orange banner, then its picture.
    Offline,
    Done,
}

/// The tour's state, kept by the app.
pub struct Tour {
    dir: PathBuf,
    stop: Stop,
    /// Frames drawn at the current stop (the window settles before its picture).
    frames: u32,
    /// A picture asked for and not yet written.
    shooting: Option<Arc<AtomicBool>>,
    /// Cuts the app from its server (stops the embedded demo server).
    cut_network: Box<dyn FnMut() + Send>,
}

impl std::fmt::Debug for Tour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tour").field("dir", &self.dir).field("stop", &self.stop).finish_non_exhaustive()
    }
}

/// Frames to wait at a stop before its picture: layout and fonts settle.
const SETTLE_FRAMES: u32 = 20;

impl Tour {
    pub fn new(dir: PathBuf, cut_network: Box<dyn FnMut() + Send>) -> Self {
        Self { dir, stop: Stop::Wizard, frames: 0, shooting: None, cut_network }
    }

    /// Saves a picture of the next frame as `name`; `true` once it is written.
    fn shoot(&mut self, ctx: &egui::Context, name: &str) -> bool {
        match &self.shooting {
            Some(done) if done.load(Ordering::Acquire) => {
                self.shooting = None;
                true
            }
            Some(_) => false,
            None => {
                let done = Arc::new(AtomicBool::new(false));
                let signal = done.clone();
                let path = self.dir.join(name);
                let waker = ctx.clone();
                ctx.request_screenshot(move |image| {
                    match save_png(&image, &path) {
                        Ok(()) => tracing::info!(path = %path.display(), "screenshot saved"),
                        Err(e) => tracing::error!(error = %e, path = %path.display(), "screenshot not saved"),
                    }
                    signal.store(true, Ordering::Release);
                    waker.request_repaint();
                });
                self.shooting = Some(done);
                false
            }
        }
    }

    fn next(&mut self, stop: Stop) {
        tracing::info!(?stop, "screenshot tour");
        self.stop = stop;
        self.frames = 0;
    }
}

/// One frame of the tour, after the app has drawn its own.
pub fn tour_frame(ctx: &egui::Context, app: &mut ComptoirApp) {
    let Some(mut tour) = app.tour.take() else { return };
    tour.frames += 1;
    // The tour never waits for input: keep frames coming.
    ctx.request_repaint();
    match tour.stop {
        Stop::Wizard => {
            if matches!(app.wizard.step, Some(SetupStep::Server { .. } | SetupStep::SignIn { .. })) {
                if let Some(password) = app.wizard.demo_account().map(|demo| demo.password.clone()) {
                    app.wizard.password = password;
                }
                if tour.frames > SETTLE_FRAMES && tour.shoot(ctx, "wizard.png") {
                    // What "Se connecter" does: the address first, then the credentials.
                    app.send(Command::SetServer { url: app.wizard.server.clone() });
                    tour.next(Stop::Connecting);
                }
            }
        }
        Stop::Connecting => {
            if matches!(app.wizard.step, Some(SetupStep::SignIn { .. })) {
                let email = app.wizard.email.clone();
                let password = comptoir_core::engine::Secret(app.wizard.password.clone());
                app.send(Command::SignIn { email, password });
                tour.next(Stop::SigningIn);
            }
        }
        Stop::SigningIn => {
            if let Some(SetupStep::ChooseCompany { companies }) = &app.wizard.step
                && let Some(largest) = companies.last()
            {
                app.send(Command::ChooseCompany { company: largest.id });
                app.wizard.step = None;
            }
            if let Some(SetupStep::Ready { company, .. }) = &app.wizard.step {
                app.working = Some(company.clone());
                app.screens.current = Some(Screen::Invoices);
                tour.next(Stop::Invoices);
            }
        }
        Stop::Invoices => {
            app.screens.current = Some(Screen::Invoices);
            let counted = app.screens.invoices.total.is_some();
            if counted && tour.frames > SETTLE_FRAMES && tour.shoot(ctx, "invoices.png") {
                (tour.cut_network)();
                app.send(Command::SyncNow);
                tour.next(Stop::Offline);
            }
        }
        Stop::Offline => {
            if tour.frames % 120 == 0 {
                app.send(Command::SyncNow);
            }
            let offline = matches!(app.status, SyncState::Offline { .. }) && app.grace.is_some();
            if offline && tour.frames > SETTLE_FRAMES && tour.shoot(ctx, "offline.png") {
                tour.next(Stop::Done);
            }
        }
        Stop::Done => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
    }
    app.tour = Some(tour);
}

fn save_png(image: &egui::ColorImage, path: &std::path::Path) -> Result<(), image::ImageError> {
    let [width, height] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(egui::Color32::to_array).collect();
    let width = u32::try_from(width).unwrap_or(u32::MAX);
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    let buffer = image::RgbaImage::from_raw(width, height, bytes).ok_or_else(|| {
        image::ImageError::Parameter(image::error::ParameterError::from_kind(
            image::error::ParameterErrorKind::DimensionMismatch,
        ))
    })?;
    buffer.save(path)
}
