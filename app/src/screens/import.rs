//! Fichier → Importer des contacts… / Importer des articles…: a CSV file from another
//! tool, read off the UI thread, previewed as mapped (the first rows), its mapping
//! changeable column by column, then imported: one ordinary edit per valid row, sent to
//! the engine a few at a time, and a report of what was refused, by line.
//!
//! The file comes from the system's open dialog or from the "Fichier CSV" field (typed or
//! pasted; also how tests, which have no system dialog, choose it).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use comptoir_core::import::{
    self, ExistingKeys, Field, ImportError, ImportKind, ImportOptions, Mapping, Outcome, Report, Sheet,
};
use comptoir_core::model::Permission;
use comptoir_core::store::CompanyStore;
use comptoir_core::sync::Intent;

use super::Context;
use crate::i18n::Texts;

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 20;
/// Edits handed to the engine and not yet answered, at most: its queue holds 256
/// commands, and the window's own must still find room.
const IN_FLIGHT: usize = 64;

/// A file read and checked.
#[derive(Debug)]
struct Checked {
    sheet: Arc<Sheet>,
    keys: Arc<ExistingKeys>,
    options: ImportOptions,
    mapping: Mapping,
    /// `Err`: a column the records need is not mapped.
    report: Result<Report, ImportError>,
}

/// Why a file could not be read.
#[derive(Debug)]
enum Failure {
    Import(ImportError),
    /// The company's file could not be read (in English, for the log).
    Store(String),
}

/// The edits of an import on their way to the engine.
#[derive(Debug, Default)]
struct Sending {
    waiting: VecDeque<(usize, Intent)>,
    in_flight: HashMap<u64, usize>,
    applied: usize,
    /// Rows the engine refused, with their line and reason (already worded).
    refused: Vec<(usize, String)>,
    total: usize,
}

impl Sending {
    fn done(&self) -> bool {
        self.waiting.is_empty() && self.in_flight.is_empty()
    }
}

/// The dialog's state, while it is open.
#[derive(Debug)]
pub struct ImportDialog {
    pub kind: ImportKind,
    /// The "Fichier CSV" field.
    pub path: String,
    choosing: Option<Receiver<Option<PathBuf>>>,
    reading: Option<Receiver<Result<Checked, Failure>>>,
    checked: Option<Checked>,
    failure: Option<String>,
    sending: Option<Sending>,
}

impl ImportDialog {
    pub fn new(kind: ImportKind) -> Self {
        Self { kind, path: String::new(), choosing: None, reading: None, checked: None, failure: None, sending: None }
    }

    /// The engine's answer to an edit; the dialog counts its own.
    pub fn on_edit(&mut self, request: u64, refused: Option<&str>) {
        let Some(sending) = &mut self.sending else { return };
        let Some(line) = sending.in_flight.remove(&request) else { return };
        match refused {
            None => sending.applied += 1,
            Some(reason) => sending.refused.push((line, reason.to_owned())),
        }
    }

    /// Whether the engine has answered every edit of the import (none started: false).
    pub fn finished(&self) -> bool {
        self.sending.as_ref().is_some_and(Sending::done)
    }
}

/// The Fichier menu's two items: their text ids and kinds.
pub const MENU_ITEMS: [(&str, ImportKind); 2] =
    [("menu-import-contacts", ImportKind::Contacts), ("menu-import-articles", ImportKind::Articles)];

fn title_id(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Contacts => "import-title-contacts",
        ImportKind::Articles => "import-title-articles",
    }
}

fn permission(kind: ImportKind) -> Permission {
    match kind {
        ImportKind::Contacts => Permission::EditContacts,
        ImportKind::Articles => Permission::EditArticles,
    }
}

/// The name of a field in the user's language.
pub fn field_text(field: Field, texts: &Texts) -> String {
    texts.get(&format!("import-field-{}", field.id()))
}

/// A refused row's reason in the user's language: the model's message for its codes,
/// the import's for its own, with the field at fault before it.
pub fn refusal_text(code: &str, field: Option<Field>, message: &str, texts: &Texts) -> String {
    let id = format!("import-refused-{code}");
    let reason = if texts.has(&id) { texts.get(&id) } else { texts.error(code, message) };
    match field {
        Some(field) => {
            texts.with("import-field-reason", &[("field", field_text(field, texts).into()), ("reason", reason.into())])
        }
        None => reason,
    }
}

fn failure_text(failure: &Failure, texts: &Texts) -> String {
    match failure {
        Failure::Import(e) => import_error_text(e, texts),
        Failure::Store(reason) => texts.with("import-error-store", &[("reason", reason.clone().into())]),
    }
}

/// Why a file cannot be imported, in the user's language.
pub fn import_error_text(error: &ImportError, texts: &Texts) -> String {
    match error {
        ImportError::MissingColumn { field } => {
            texts.with("import-error-import_column_missing", &[("field", field_text(*field, texts).into())])
        }
        ImportError::Read(e) => texts.with("import-error-import_read", &[("reason", e.to_string().into())]),
        e => {
            let id = format!("import-error-{}", e.code());
            if texts.has(&id) { texts.get(&id) } else { e.to_string() }
        }
    }
}

/// Reads, parses and checks the file on a named thread; the answer wakes the window.
fn read_in_background(
    file: PathBuf,
    kind: ImportKind,
    company_file: PathBuf,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Option<Receiver<Result<Checked, Failure>>> {
    let (sender, answer) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("comptoir-import-reader".into()).spawn(move || {
        let _ = sender.send(read(&file, kind, &company_file));
        wake();
    });
    spawned.ok().map(|_| answer)
}

fn read(file: &Path, kind: ImportKind, company_file: &Path) -> Result<Checked, Failure> {
    let sheet = import::read_file(file).and_then(|bytes| import::read_sheet(&bytes)).map_err(Failure::Import)?;
    let store = CompanyStore::open_read_only(company_file).map_err(|e| Failure::Store(e.to_string()))?;
    let country = store.company().map_err(|e| Failure::Store(e.to_string()))?.address.country;
    let keys = ExistingKeys::read(&store, kind).map_err(|e| Failure::Store(e.to_string()))?;
    let mapping = import::guess_mapping(kind, &sheet.headers);
    let options = ImportOptions::for_country(kind, country);
    let report = import::check(&sheet, &mapping, &options, &keys);
    Ok(Checked { sheet: Arc::new(sheet), keys: Arc::new(keys), options, mapping, report })
}

/// Checks the rows again with a changed mapping, on a named thread.
fn check_in_background(
    checked: &Checked,
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Option<Receiver<Result<Checked, Failure>>> {
    let (sender, answer) = std::sync::mpsc::channel();
    let (sheet, keys, options, mapping) =
        (checked.sheet.clone(), checked.keys.clone(), checked.options.clone(), checked.mapping.clone());
    let spawned = std::thread::Builder::new().name("comptoir-import-checker".into()).spawn(move || {
        let report = import::check(&sheet, &mapping, &options, &keys);
        let _ = sender.send(Ok(Checked { sheet, keys, options, mapping, report }));
        wake();
    });
    spawned.ok().map(|_| answer)
}

/// The dialog, when open; closing it forgets it (edits already sent stay sent).
pub fn dialog_ui(ui: &mut egui::Ui, dialog: &mut Option<ImportDialog>, ctx: &mut Context<'_>) {
    let Some(state) = dialog else { return };
    let mut open = true;
    egui::Window::new(ctx.texts.get(title_id(state.kind)))
        .open(&mut open)
        .collapsible(false)
        .default_width(760.0)
        .show(ui.ctx(), |ui| import_ui(ui, state, ctx));
    if !open {
        *dialog = None;
    }
}

fn take_answers(state: &mut ImportDialog, ctx: &mut Context<'_>, wake: &Arc<dyn Fn() + Send + Sync>) {
    if let Some(choosing) = &state.choosing {
        match choosing.try_recv() {
            Ok(chosen) => {
                state.choosing = None;
                if let Some(path) = chosen {
                    state.path = path.display().to_string();
                    start_reading(state, ctx, wake.clone());
                }
            }
            Err(TryRecvError::Disconnected) => state.choosing = None,
            Err(TryRecvError::Empty) => {}
        }
    }
    if let Some(reading) = &state.reading {
        match reading.try_recv() {
            Ok(Ok(checked)) => {
                state.reading = None;
                state.checked = Some(checked);
            }
            Ok(Err(failure)) => {
                state.reading = None;
                tracing::info!(?failure, "a file could not be imported");
                state.failure = Some(failure_text(&failure, ctx.texts));
            }
            Err(TryRecvError::Disconnected) => state.reading = None,
            Err(TryRecvError::Empty) => {}
        }
    }
}

fn start_reading(state: &mut ImportDialog, ctx: &Context<'_>, wake: Arc<dyn Fn() + Send + Sync>) {
    let file = PathBuf::from(state.path.trim());
    state.checked = None;
    state.failure = None;
    state.sending = None;
    state.reading = read_in_background(file, state.kind, ctx.reader.path().to_path_buf(), wake);
}

fn import_ui(ui: &mut egui::Ui, state: &mut ImportDialog, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    let wake = super::waker(ui.ctx());
    take_answers(state, ctx, &wake);
    let busy = state.reading.is_some() || state.sending.as_ref().is_some_and(|s| !s.done());
    ui.horizontal(|ui| {
        let label = ui.label(texts.get("import-file"));
        ui.add(egui::TextEdit::singleline(&mut state.path).desired_width(420.0)).labelled_by(label.id);
        if ui.add_enabled(state.choosing.is_none() && !busy, egui::Button::new(texts.get("import-choose"))).clicked() {
            state.choosing =
                super::choose_file_to_open(&texts.get(title_id(state.kind)), ("CSV", &["csv", "txt"]), wake.clone());
        }
        let can_read = !state.path.trim().is_empty() && !busy;
        if ui.add_enabled(can_read, egui::Button::new(texts.get("import-read"))).clicked() {
            start_reading(state, ctx, wake.clone());
        }
    });
    ui.label(egui::RichText::new(texts.get("import-hint")).weak());
    if state.reading.is_some() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(texts.get("import-reading"));
        });
    }
    if let Some(failure) = &state.failure {
        ui.colored_label(ui.visuals().error_fg_color, failure);
    }
    if state.checked.is_some() {
        ui.separator();
        checked_ui(ui, state, ctx, &wake);
    }
}

fn checked_ui(ui: &mut egui::Ui, state: &mut ImportDialog, ctx: &mut Context<'_>, wake: &Arc<dyn Fn() + Send + Sync>) {
    let texts = ctx.texts;
    let Some(checked) = &mut state.checked else { return };
    let sheet = checked.sheet.clone();
    ui.label(texts.with(
        "import-file-read",
        &[
            ("rows", sheet.rows.len().into()),
            ("encoding", sheet.encoding.as_str().into()),
            ("separator", separator_text(sheet.separator, texts).into()),
        ],
    ));
    let sending = state.sending.is_some();
    let mut remapped = false;
    egui::ScrollArea::both().id_salt("import-preview").max_height(320.0).show(ui, |ui| {
        egui::Grid::new("import-preview-grid").striped(true).show(ui, |ui| {
            ui.label(crate::theme::bold(texts.get("import-line")));
            for header in &sheet.headers {
                ui.label(crate::theme::bold(header.as_str()));
            }
            ui.end_row();
            ui.label("");
            for (column, header) in sheet.headers.iter().enumerate() {
                remapped |= mapping_ui(ui, column, header, &mut checked.mapping, state.kind, texts, !sending);
            }
            ui.end_row();
            let outcomes: HashMap<usize, &Outcome> = checked
                .report
                .as_ref()
                .map(|r| r.rows.iter().take(PREVIEW_ROWS).map(|row| (row.line, &row.outcome)).collect())
                .unwrap_or_default();
            for row in sheet.rows.iter().take(PREVIEW_ROWS) {
                let status = match outcomes.get(&row.line) {
                    Some(Outcome::Ready(_)) => "✔",
                    Some(Outcome::AlreadyThere { .. }) => "=",
                    Some(Outcome::Refused(_)) => "✘",
                    None => "",
                };
                ui.label(format!("{} {status}", row.line));
                match &row.cells {
                    Ok(cells) => {
                        for (column, _) in sheet.headers.iter().enumerate() {
                            let cell = cells.get(column).map_or("", String::as_str);
                            let shown: String = cell.chars().take(40).collect();
                            if checked.mapping.get(column).copied().flatten().is_some() {
                                ui.label(shown);
                            } else {
                                ui.label(egui::RichText::new(shown).weak());
                            }
                        }
                    }
                    Err(problem) => {
                        ui.label(refusal_text(problem.code(), None, &problem.message(), texts));
                    }
                }
                ui.end_row();
            }
        });
    });
    if remapped {
        state.reading = check_in_background(checked, wake.clone());
        state.sending = None;
        return;
    }
    match &checked.report {
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, import_error_text(e, texts));
        }
        Ok(report) => report_ui(ui, report, &mut state.sending, state.kind, ctx),
    }
}

fn separator_text(separator: char, texts: &Texts) -> String {
    match separator {
        '\t' => texts.get("import-separator-tab"),
        other => other.to_string(),
    }
}

/// The drop-down list that says which field column `column` fills; true when changed.
fn mapping_ui(
    ui: &mut egui::Ui,
    column: usize,
    header: &str,
    mapping: &mut Mapping,
    kind: ImportKind,
    texts: &Texts,
    enabled: bool,
) -> bool {
    let Some(current) = mapping.get(column).copied() else { return false };
    let ignored = texts.get("import-field-ignored");
    let shown = current.map_or_else(|| ignored.clone(), |f| field_text(f, texts));
    let mut chosen = current;
    ui.add_enabled_ui(enabled, |ui| {
        egui::ComboBox::from_id_salt(("import-mapping", column))
            .selected_text(shown)
            .width(140.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut chosen, None, ignored.as_str());
                for field in Field::of(kind) {
                    ui.selectable_value(&mut chosen, Some(*field), field_text(*field, texts));
                }
            })
            .response
            .on_hover_text(texts.with("import-mapping-of", &[("column", header.to_owned().into())]));
    });
    if chosen == current {
        return false;
    }
    // A field fills one column: the column that had it is ignored now.
    if let Some(field) = chosen {
        for other in mapping.iter_mut().filter(|m| **m == Some(field)) {
            *other = None;
        }
    }
    mapping[column] = chosen;
    true
}

fn report_ui(
    ui: &mut egui::Ui,
    report: &Report,
    sending: &mut Option<Sending>,
    kind: ImportKind,
    ctx: &mut Context<'_>,
) {
    let texts = ctx.texts;
    let ready = report.ready().count();
    let refused: Vec<(usize, String)> =
        report.refused().map(|(line, r)| (line, refusal_text(r.code, r.field, &r.message, texts))).collect();
    ui.label(crate::theme::bold(texts.with(
        "import-summary",
        &[("ready", ready.into()), ("there", report.already_there().into()), ("refused", refused.len().into())],
    )));
    match sending {
        None => {
            let blocked = ctx.cannot(permission(kind)).or_else(|| (ready == 0).then(|| texts.get("import-nothing")));
            if super::action_button(ui, &texts.get("import-start"), blocked.as_deref()) {
                let waiting = report.ready().map(|(line, record)| (line, record.intent())).collect();
                *sending = Some(Sending { waiting, total: ready, ..Sending::default() });
            }
        }
        Some(progress) => {
            while progress.in_flight.len() < IN_FLIGHT
                && let Some((line, intent)) = progress.waiting.pop_front()
            {
                let request = ctx.edit(intent);
                progress.in_flight.insert(request, line);
            }
            if progress.done() {
                ui.label(crate::theme::bold(texts.with(
                    "import-done",
                    &[
                        ("imported", progress.applied.into()),
                        ("there", report.already_there().into()),
                        ("refused", (refused.len() + progress.refused.len()).into()),
                    ],
                )));
            } else {
                ui.horizontal(|ui| {
                    ui.spinner();
                    let sent = progress.applied + progress.refused.len();
                    ui.label(texts.with("import-progress", &[("done", sent.into()), ("total", progress.total.into())]));
                });
            }
        }
    }
    let mut all_refused = refused;
    if let Some(progress) = sending.as_ref() {
        all_refused.extend(progress.refused.iter().cloned());
        all_refused.sort_by_key(|(line, _)| *line);
    }
    if !all_refused.is_empty() {
        ui.label(crate::theme::bold(texts.get("import-refused-rows")));
        egui::ScrollArea::vertical().id_salt("import-refused").max_height(200.0).show(ui, |ui| {
            for (line, reason) in &all_refused {
                ui.label(
                    texts.with("import-refused-row", &[("line", (*line).into()), ("reason", reason.clone().into())]),
                );
            }
        });
    }
}
