//! The screenshot tour (`comptoir --demo --screenshots DIR`): the app walks itself
//! through the demo — the wizard, the large company's invoice list and dashboard, an
//! invoice being written in the small company, the offline banner — and saves a picture
//! of its own window at each stop, as rendered on screen. `scripts/screenshots.sh` runs
//! it under Xvfb to refresh the pictures in `docs/`.
//!
//! The tour reads the app through a [`TourView`] and returns what it wants done as
//! [`TourAction`]s — the same commands and state changes as a user's clicks — which the
//! app applies.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use comptoir_core::engine::{Command, CompanyChoice, Grace, SetupStep, SyncState};
use comptoir_core::model::DocumentKind;
use rust_decimal::Decimal;

use crate::i18n::Language;
use crate::reader::Reader;
use crate::screens::editor::Editor;
use crate::screens::editor::lines::LineInput;
use crate::screens::{Screen, Screens};
use crate::wizard::Wizard;

/// What the tour reads of the app, each frame.
#[derive(Clone, Copy, Debug)]
pub struct TourView<'a> {
    pub wizard: &'a Wizard,
    /// The company open in the main window, and the one being switched to.
    pub working: Option<&'a CompanyChoice>,
    pub switching: Option<&'a CompanyChoice>,
    /// A company downloaded in the background, offered to open.
    pub ready_aside: Option<&'a CompanyChoice>,
    /// The account's companies, as the engine last listed them.
    pub companies: &'a [CompanyChoice],
    pub status: &'a SyncState,
    pub grace: Option<Grace>,
    pub screens: &'a Screens,
    pub reader: Option<&'a Reader>,
    pub language: Language,
    pub today: NaiveDate,
}

/// What the tour asks the app to do.
#[derive(Debug)]
pub enum TourAction {
    /// Hand a command to the engine.
    Send(Command),
    /// Type into the wizard's password field.
    TypePassword(String),
    /// The wizard's "Commencer": work in this company.
    StartWorking(CompanyChoice),
    /// Préférences → Compte → "Ouvrir …".
    SwitchCompany(CompanyChoice),
    /// A click in the navigation.
    Show(Screen),
    /// Show this editor, on its documents' screen.
    OpenEditor(Box<Editor>),
    /// Close the editor (its draft was saved).
    CloseEditor,
}

/// Where the tour stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Waiting for the wizard's Connexion step, then its picture.
    Wizard,
    /// The server's address was sent; signing in once the engine accepts it.
    Connecting,
    SigningIn,
    /// A company was chosen: working in it once the engine reports it ready.
    Opening,
    /// Waiting for the large company's invoice list, counted, then its picture.
    Invoices,
    /// Waiting for the dashboard's figures and charts, then its picture.
    Dashboard,
    /// The small company (French, with every legal mention) asked for; waiting for it.
    Switching,
    /// An invoice written in the editor, waiting for its customer and totals to show.
    Editor,
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

/// One frame of the tour, after the app has drawn its own; returns what it wants done.
pub fn tour_frame(ctx: &egui::Context, tour: &mut Tour, view: &TourView<'_>) -> Vec<TourAction> {
    let mut actions = Vec::new();
    tour.frames += 1;
    // The tour never waits for input: keep frames coming.
    ctx.request_repaint();
    let settled = tour.frames > SETTLE_FRAMES;
    match tour.stop {
        Stop::Wizard => {
            if matches!(view.wizard.step, Some(SetupStep::Server { .. } | SetupStep::SignIn { .. })) {
                if let Some(demo) = view.wizard.demo_account()
                    && view.wizard.password != demo.password
                {
                    actions.push(TourAction::TypePassword(demo.password.clone()));
                }
                if settled && tour.shoot(ctx, "wizard.png") {
                    // What "Se connecter" does: the address first, then the credentials.
                    actions.push(TourAction::Send(Command::SetServer { url: view.wizard.server.clone() }));
                    tour.next(Stop::Connecting);
                }
            }
        }
        Stop::Connecting => {
            if matches!(view.wizard.step, Some(SetupStep::SignIn { .. })) {
                let email = view.wizard.email.clone();
                let password = comptoir_core::engine::Secret(view.wizard.password.clone());
                actions.push(TourAction::Send(Command::SignIn { email, password }));
                tour.next(Stop::SigningIn);
            }
        }
        Stop::SigningIn => {
            if let Some(SetupStep::ChooseCompany { companies }) = &view.wizard.step
                && let Some(largest) = companies.last()
            {
                actions.push(TourAction::Send(Command::ChooseCompany { company: largest.id }));
                tour.next(Stop::Opening);
            }
        }
        Stop::Opening => {
            if let Some(SetupStep::Ready { company, .. }) = &view.wizard.step {
                actions.push(TourAction::StartWorking(company.clone()));
                actions.push(TourAction::Show(Screen::Invoices));
                tour.next(Stop::Invoices);
            }
        }
        Stop::Invoices => {
            let counted = view.screens.invoices.total.is_some();
            if counted && settled && tour.shoot(ctx, "invoices.png") {
                actions.push(TourAction::Show(Screen::Dashboard));
                tour.next(Stop::Dashboard);
            }
        }
        Stop::Dashboard => {
            // No half-drawn charts: the figures and the charts are read first.
            if view.screens.dashboard.loaded() && settled && tour.shoot(ctx, "dashboard.png") {
                if let Some(small) = view.companies.first() {
                    actions.push(TourAction::SwitchCompany(small.clone()));
                }
                tour.next(Stop::Switching);
            }
        }
        Stop::Switching => {
            let small = view.companies.first().map(|c| c.id);
            // Not here yet, it downloaded in the background: opened once offered.
            if let Some(ready) = view.ready_aside.filter(|c| Some(c.id) == small) {
                actions.push(TourAction::SwitchCompany(ready.clone()));
            }
            let opened = view.switching.is_none() && view.working.map(|c| c.id) == small;
            if opened && let Some(reader) = view.reader {
                match sample_invoice(reader, view.language, view.today, ctx.input(|i| i.time)) {
                    Ok(editor) => actions.push(TourAction::OpenEditor(Box::new(editor))),
                    Err(e) => tracing::error!(error = %e, "the tour could not write its invoice"),
                }
                tour.next(Stop::Editor);
            }
        }
        Stop::Editor => {
            // The totals show once the draft is saved (a second after the last change).
            let saved = view.screens.editor.as_ref().is_some_and(Editor::is_saved);
            if saved && settled && tour.shoot(ctx, "editor.png") {
                actions.push(TourAction::CloseEditor);
                actions.push(TourAction::Show(Screen::Invoices));
                (tour.cut_network)();
                actions.push(TourAction::Send(Command::SyncNow));
                tour.next(Stop::Offline);
            }
        }
        Stop::Offline => {
            if tour.frames.is_multiple_of(120) {
                actions.push(TourAction::Send(Command::SyncNow));
            }
            let offline = matches!(view.status, SyncState::Offline { .. }) && view.grace.is_some();
            if offline && settled && tour.shoot(ctx, "offline.png") {
                tour.next(Stop::Done);
            }
        }
        Stop::Done => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
    }
    actions
}

/// An invoice as a user would write it: the first customer taken through the picker,
/// three of the first article, one of the second, and a free-text line with a discount.
fn sample_invoice(
    reader: &Reader,
    language: Language,
    today: NaiveDate,
    now: f64,
) -> Result<Editor, comptoir_core::store::StoreError> {
    let store = reader.store();
    let company = store.company()?;
    let mut editor = Editor::new(DocumentKind::Invoice, today, &company);
    if let Some(customer) = store.list_contacts(false, 0, 50)?.into_iter().find(|c| c.is_customer) {
        editor.choose_customer(&customer, language);
    }
    let mut lines = Vec::new();
    for (article, quantity) in store.list_articles(false, 0, 2)?.iter().zip([Decimal::from(3), Decimal::ONE]) {
        let mut line = LineInput::from_article(article, language);
        line.line.quantity = quantity;
        lines.push(LineInput::of(&line.line, language));
    }
    let rate = editor.lines.first().map(|l| l.line.vat_rate);
    if let Some(rate) = rate {
        let mut free = LineInput::empty(rate).line;
        // The demo's own words, typed as a user would: data, not the app's text.
        "Accompagnement sur site (demi-journée)".clone_into(&mut free.description);
        free.quantity = Decimal::from(2);
        "demi-journée".clone_into(&mut free.unit);
        free.unit_price = Decimal::from(380);
        free.discount_percent = Decimal::from(10);
        lines.push(LineInput::of(&free, language));
    }
    editor.type_lines(lines, now);
    Ok(editor)
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
