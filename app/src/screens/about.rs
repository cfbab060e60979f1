//! Aide → « À propos de Comptoir »: the app's name, version and licence, and the crates
//! and fonts it ships with their licences ([`crate::licences`]), searchable, each
//! opening its full texts.
//!
//! The list is read on a thread of its own when the window opens (decompressing and
//! parsing about 1.2 MB: see the `licences` benchmark); meanwhile the window says so.

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use crate::i18n::Texts;
use crate::licences::{ComponentKind, Licences, LoadedLicences};

/// The window's state between frames.
#[derive(Debug)]
pub struct AboutWindow {
    list: List,
    query: String,
    /// The components matching `query`, by index, and the query they match.
    shown: Option<(String, Vec<usize>)>,
    /// The component whose texts show, by index.
    selected: Option<usize>,
}

/// The licence list, as far as it has been read.
#[derive(Debug)]
enum List {
    Loading(Receiver<LoadedLicences>),
    Ready(Arc<Licences>),
    Failed(String),
}

impl AboutWindow {
    /// Opens the window and starts reading the list; `ctx` is repainted once it is read.
    pub fn open(ctx: &egui::Context) -> Self {
        let ctx = ctx.clone();
        let receiver = Licences::load_in_background(move || ctx.request_repaint());
        Self { list: List::Loading(receiver), query: String::new(), shown: None, selected: None }
    }

    /// Takes the list in once its thread has read it.
    fn poll(&mut self) {
        if let List::Loading(receiver) = &self.list {
            match receiver.try_recv() {
                Ok(Ok(licences)) => self.list = List::Ready(licences),
                Ok(Err(reason)) => self.list = List::Failed(reason),
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.list = List::Failed("the reading thread stopped".into());
                }
            }
        }
    }
}

/// Draws the window; `false` once the user closed it.
pub fn about_ui(ui: &mut egui::Ui, state: &mut AboutWindow, texts: &Texts) -> bool {
    state.poll();
    let mut open = true;
    let mut close = false;
    egui::Window::new(texts.get("about-title"))
        .open(&mut open)
        .collapsible(false)
        .default_size(egui::vec2(620.0, 560.0))
        .show(ui.ctx(), |ui| {
            ui.heading(crate::app::WINDOW_TITLE);
            ui.label(texts.with("about-version", &[("version", env!("CARGO_PKG_VERSION").into())]));
            ui.label(texts.get("about-what"));
            ui.label(texts.with("about-licence", &[("licence", env!("CARGO_PKG_LICENSE").into())]));
            ui.separator();
            match &state.list {
                List::Loading(_) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(texts.get("about-loading"));
                    });
                }
                List::Failed(reason) => {
                    ui.label(texts.with("about-load-failed", &[("reason", reason.clone().into())]));
                }
                List::Ready(licences) => {
                    let licences = Arc::clone(licences);
                    if let Some(index) = state.selected
                        && let Some(component) = licences.components.get(index)
                    {
                        if texts_ui(ui, &licences, component, texts) {
                            state.selected = None;
                        }
                    } else {
                        list_ui(ui, state, &licences, texts);
                    }
                }
            }
            ui.separator();
            if ui.button(texts.get("about-close")).clicked() {
                close = true;
            }
        });
    open && !close
}

/// What a component's row says (also its accessible name): name, version, licence.
pub fn row_text(component: &crate::licences::Component, texts: &Texts) -> String {
    match (&component.kind, &component.version) {
        (ComponentKind::Crate, Some(version)) => format!("{} {version} — {}", component.name, component.expression),
        _ => format!("{} ({}) — {}", component.name, texts.get("about-font"), component.expression),
    }
}

/// The search field and the matching components, each a button opening its texts.
fn list_ui(ui: &mut egui::Ui, state: &mut AboutWindow, licences: &Licences, texts: &Texts) {
    ui.strong(texts.get("about-components"));
    ui.label(texts.get("about-components-explain"));
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("about-search"));
        ui.add(egui::TextEdit::singleline(&mut state.query).desired_width(240.0)).labelled_by(label.id);
    });
    if state.shown.as_ref().is_none_or(|(query, _)| *query != state.query) {
        let matching = licences.search(&state.query).map(|(index, _)| index).collect();
        state.shown = Some((state.query.clone(), matching));
    }
    let Some((_, shown)) = &state.shown else { return };
    ui.label(texts.with("about-count", &[("shown", shown.len().into()), ("total", licences.components.len().into())]));
    if shown.is_empty() {
        ui.label(texts.with("about-no-match", &[("query", state.query.trim().to_owned().into())]));
        return;
    }
    let row_height = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
    let mut chosen = None;
    egui::ScrollArea::vertical().auto_shrink([false, true]).max_height(320.0).show_rows(
        ui,
        row_height,
        shown.len(),
        |ui, rows| {
            for &index in &shown[rows] {
                if let Some(component) = licences.components.get(index)
                    && ui.selectable_label(false, row_text(component, texts)).clicked()
                {
                    chosen = Some(index);
                }
            }
        },
    );
    if chosen.is_some() {
        state.selected = chosen;
    }
}

/// One component's licence texts; `true` when the user goes back to the list.
fn texts_ui(ui: &mut egui::Ui, licences: &Licences, component: &crate::licences::Component, texts: &Texts) -> bool {
    let back = ui.button(texts.get("about-back")).clicked();
    ui.label(crate::theme::bold(row_text(component, texts)));
    if !component.source.is_empty() {
        ui.label(texts.with("about-source", &[("source", component.source.clone().into())]));
    }
    if !component.canonical.is_empty() {
        ui.label(texts.with("about-canonical", &[("licences", component.canonical.join(", ").into())]));
    }
    egui::ScrollArea::vertical().auto_shrink([false, true]).max_height(360.0).show(ui, |ui| {
        for (index, file) in &component.texts {
            ui.add_space(6.0);
            ui.label(crate::theme::bold(file.as_str()));
            if let Some(text) = licences.texts.get(*index) {
                ui.label(egui::RichText::new(text).monospace().size(12.0));
            }
        }
    });
    back
}
