//! Accounting: the "N écritures en attente" banner and the posting dialog.
//!
//! The banner counts the entries waiting to be posted (in the background). "Comptabiliser"
//! opens the dialog: choose the period, see the batch, export it (FEC or CSV, through the
//! system's save dialog, on a thread of its own), then mark it posted. Posting goes to the
//! server ([`Command::Post`]) with the digest of the batch exported: if the pending entries
//! changed in between, nothing is posted and the dialog says to export again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use comptoir_core::accounting::export::{ExportSummary, Format, Scope, export_entries_file, fec_file_name};
use comptoir_core::engine::{AccountingEvent, Command};
use comptoir_core::export::ExportError;
use comptoir_core::model::Permission;
use comptoir_core::store::{CompanyStore, StoreError};
use comptoir_core::sync::{ExportKind, ExportNote, Intent};

use super::documents::Period;
use super::{Context, choose_file, waker};
use crate::i18n::Texts;
use crate::reader::{BatchPreview, Question};

/// Where an export thread says how it ended.
type ExportDone = Receiver<Result<ExportSummary, ExportError>>;

/// The banner's count and the dialog, kept while the company is open.
#[derive(Debug, Default)]
pub struct Accounting {
    /// Entries waiting to be posted, as last counted.
    pub pending: Option<u64>,
    /// Sources the engine has still to derive: the count is not final.
    deriving: u64,
    counting: Option<u64>,
    /// The count is out of date (data changed, entries derived again).
    stale: bool,
    pub dialog: Option<PostingDialog>,
}

/// The posting dialog.
#[derive(Debug, Default)]
pub struct PostingDialog {
    pub period: Period,
    pub format: Option<Format>,
    /// The batch of the period, as last read, and the question in flight.
    pub batch: Option<Result<BatchPreview, String>>,
    asking: Option<(u64, Period)>,
    /// The data changed since the batch was read.
    outdated: bool,
    /// The period the batch shown (or being read) is of.
    read_for: Option<Period>,
    /// The save dialog's answer, when it comes, and what it is for.
    chosen: Option<(Receiver<Option<PathBuf>>, Scope)>,
    /// An export writing: its end, its file, what it writes, and how.
    exporting: Option<(ExportDone, PathBuf, Scope, Format)>,
    /// The batch exported (its period and digest): the one "Marquer comme comptabilisé" posts.
    pub exported: Option<(Period, String)>,
    posting: bool,
    /// The last outcome, in the user's language, and whether it was a failure.
    pub message: Option<(String, bool)>,
}

impl Accounting {
    pub fn data_changed(&mut self) {
        self.stale = true;
        if let Some(dialog) = &mut self.dialog {
            // Read again; the batch shown stays until the new one comes.
            dialog.outdated = true;
        }
    }

    pub fn on_count(&mut self, generation: u64, count: &Result<(u64, u64), StoreError>) {
        if self.counting == Some(generation) {
            self.counting = None;
            match count {
                Ok((count, deriving)) => {
                    self.pending = Some(*count);
                    self.deriving = *deriving;
                }
                Err(e) => tracing::warn!(error = %e, "the pending entries could not be counted"),
            }
        }
    }

    pub fn on_batch(&mut self, generation: u64, batch: Result<BatchPreview, StoreError>) {
        if let Some(dialog) = &mut self.dialog
            && dialog.asking.is_some_and(|(asked, _)| asked == generation)
        {
            dialog.asking = None;
            dialog.batch = Some(batch.map_err(|e| e.to_string()));
        }
    }

    /// The engine's answer to "Marquer comme comptabilisé".
    pub fn on_event(&mut self, event: &AccountingEvent, texts: &Texts) {
        let Some(dialog) = &mut self.dialog else { return };
        dialog.posting = false;
        dialog.message = Some(match event {
            AccountingEvent::Posted { entries } => {
                dialog.exported = None;
                (texts.with("posting-done", &[("count", (*entries).into())]), false)
            }
            AccountingEvent::Refused { code, message } => {
                let reason = texts.error(code, message);
                (texts.with("posting-none", &[("reason", reason.into())]), true)
            }
        });
    }
}

impl PostingDialog {
    /// Starts writing the period's pending entries (`Scope::Pending`), or a batch posted
    /// before (`Scope::Posted`), to `path` on a thread of its own.
    #[allow(clippy::too_many_arguments, reason = "what, where, how, and whom to wake")]
    pub fn start_export(
        &mut self,
        company_file: &Path,
        scope: Scope,
        format: Format,
        (from, to): (Option<chrono::NaiveDate>, chrono::NaiveDate),
        path: PathBuf,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) {
        let (sender, done) = std::sync::mpsc::channel();
        let file = company_file.to_path_buf();
        let target = path.clone();
        let spawned = std::thread::Builder::new().name("comptoir-export".into()).spawn(move || {
            let result = CompanyStore::open_read_only(&file)
                .map_err(ExportError::from)
                .and_then(|store| export_entries_file(&store, format, scope, from, to, &target));
            let _ = sender.send(result);
            wake();
        });
        match spawned {
            Ok(_) => {
                self.message = None;
                self.exporting = Some((done, path, scope, format));
            }
            Err(e) => self.message = Some((e.to_string(), true)),
        }
    }
}

/// The period of a posting, as dates: everything up to today when no period is chosen.
fn dates(period: Period, today: chrono::NaiveDate) -> (Option<chrono::NaiveDate>, chrono::NaiveDate) {
    let (from, to) = period.range(today);
    (from, to.unwrap_or(today))
}

/// Whether the banner shows: for the roles that export or post, when entries wait. Asks
/// for the count when it is stale.
pub fn banner_shown(state: &mut Accounting, ctx: &mut Context<'_>) -> bool {
    if ctx.cannot_read(Permission::ExportAccounting).is_some() && ctx.cannot_read(Permission::PostAccounting).is_some()
    {
        return false;
    }
    if (state.stale || state.pending.is_none()) && state.counting.is_none() {
        let generation = ctx.generation();
        if ctx.reader.ask(Question::PendingEntries { generation }) {
            state.counting = Some(generation);
            state.stale = false;
        }
    }
    state.pending.is_some_and(|n| n > 0)
}

/// "N écritures en attente" and "Comptabiliser", which opens the posting dialog.
pub fn banner_ui(ui: &mut egui::Ui, state: &mut Accounting, ctx: &Context<'_>) {
    let pending = state.pending.unwrap_or(0);
    let mut text = ctx.texts.with("posting-banner", &[("count", pending.into())]);
    if state.deriving > 0 {
        text = format!("{text} {}", ctx.texts.get("posting-deriving"));
    }
    if crate::widgets::banner_ui(ui, crate::widgets::LIGHT_BLUE, &text, Some(&ctx.texts.get("posting-open")))
        && state.dialog.is_none()
    {
        state.dialog = Some(PostingDialog::default());
    }
}

/// The posting dialog, when open.
pub fn dialog_ui(ui: &mut egui::Ui, state: &mut Accounting, ctx: &mut Context<'_>) {
    let Some(dialog) = &mut state.dialog else { return };
    let texts = ctx.texts;
    let mut open = true;
    egui::Window::new(texts.get("posting-title")).open(&mut open).collapsible(false).show(ui.ctx(), |ui| {
        posting_ui(ui, dialog, ctx);
    });
    if !open {
        state.dialog = None;
    }
}

#[allow(clippy::too_many_lines, reason = "one dialog, in the order the user goes through it")]
fn posting_ui(ui: &mut egui::Ui, dialog: &mut PostingDialog, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.label(crate::theme::bold(texts.get("posting-period")));
    ui.horizontal_wrapped(|ui| {
        for period in Period::ALL {
            let id = if period == Period::All { "posting-up-to-today" } else { period.text_id() };
            ui.radio_value(&mut dialog.period, period, texts.get(id));
        }
    });
    let (from, to) = dates(dialog.period, ctx.today);
    // The batch of the period: read again when the period or the data changed.
    let asked_for = dialog.asking.map(|(_, period)| period);
    let period_changed = dialog.read_for != Some(dialog.period);
    if (period_changed || dialog.outdated) && asked_for != Some(dialog.period) {
        let generation = ctx.generation();
        if ctx.reader.ask(Question::PendingBatch { generation, from, to }) {
            dialog.asking = Some((generation, dialog.period));
            dialog.outdated = false;
            if period_changed {
                dialog.batch = None;
                dialog.read_for = Some(dialog.period);
            }
        }
    }
    match &dialog.batch {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(texts.get("posting-reading"));
            });
        }
        Some(Err(reason)) => {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
        Some(Ok(batch)) => {
            ui.label(texts.with(
                "posting-batch",
                &[
                    ("count", batch.entries.into()),
                    ("debit", ctx.money(batch.debit).into()),
                    ("credit", ctx.money(batch.credit).into()),
                ],
            ));
        }
    }
    let batch = dialog.batch.as_ref().and_then(|b| b.as_ref().ok()).filter(|b| b.entries > 0).cloned();

    ui.add_space(8.0);
    ui.label(crate::theme::bold(texts.get("posting-format")));
    ui.horizontal(|ui| {
        ui.radio_value(&mut dialog.format, Some(Format::Fec), texts.get("posting-format-fec"));
        ui.radio_value(&mut dialog.format, Some(Format::Csv), texts.get("posting-format-csv"));
    });

    // 1. Export the batch.
    if let Some((chosen, scope)) = &dialog.chosen {
        let scope = *scope;
        match chosen.try_recv() {
            Ok(Some(path)) => {
                dialog.chosen = None;
                if let Some(format) = dialog.format {
                    dialog.start_export(ctx.reader.path(), scope, format, (from, to), path, waker(ui.ctx()));
                }
            }
            Ok(None) | Err(TryRecvError::Disconnected) => dialog.chosen = None,
            Err(TryRecvError::Empty) => {}
        }
    }
    if let Some((done, path, scope, format)) = &dialog.exporting {
        let (path, scope, format) = (path.clone(), *scope, *format);
        match done.try_recv() {
            Ok(Ok(summary)) => {
                dialog.exporting = None;
                // What was written is what "Marquer comme comptabilisé" may post.
                if scope == Scope::Pending {
                    dialog.exported = Some((dialog.period, summary.digest.clone()));
                }
                // Every export is written in the trail, a posted batch's again too.
                let what = if format == Format::Fec { ExportKind::AccountingFec } else { ExportKind::AccountingCsv };
                ctx.edit(Intent::RecordExport {
                    export: ExportNote::new(what, summary.lines, (from, Some(to)), &path),
                });
                dialog.message = Some((
                    texts.with(
                        "posting-exported",
                        &[
                            ("count", summary.entries.into()),
                            ("debit", ctx.money(summary.debit).into()),
                            ("credit", ctx.money(summary.credit).into()),
                        ],
                    ),
                    false,
                ));
            }
            Ok(Err(e)) => {
                dialog.exporting = None;
                dialog.message = Some((texts.error(e.code(), &e.to_string()), true));
            }
            Err(TryRecvError::Disconnected) => dialog.exporting = None,
            Err(TryRecvError::Empty) => {}
        }
    }
    let busy = dialog.chosen.is_some() || dialog.exporting.is_some() || dialog.posting;
    let export_blocked = ctx
        .cannot_read(Permission::ExportAccounting)
        .or_else(|| batch.is_none().then(|| texts.get("posting-nothing")))
        .or_else(|| dialog.format.is_none().then(|| texts.get("posting-choose-format")));
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.add_enabled(export_blocked.is_none() && !busy, egui::Button::new(texts.get("posting-export"))).clicked()
            && let Some(format) = dialog.format
        {
            dialog.chosen = choose_export_file(ui, ctx, format, to).map(|chosen| (chosen, Scope::Pending));
        }
        if dialog.exporting.is_some() {
            ui.spinner();
        }
    });
    if let Some(reason) = &export_blocked {
        ui.label(egui::RichText::new(reason).italics().weak());
    }

    // 2. Mark the exported batch posted.
    let exported = dialog
        .exported
        .as_ref()
        .filter(|(period, digest)| *period == dialog.period && batch.as_ref().is_some_and(|b| &b.digest == digest));
    let post_blocked = ctx
        .cannot_read(Permission::PostAccounting)
        .or_else(|| exported.is_none().then(|| texts.get("posting-export-first")));
    ui.horizontal(|ui| {
        if ui.add_enabled(post_blocked.is_none() && !busy, egui::Button::new(texts.get("posting-post"))).clicked()
            && let Some((_, digest)) = exported
        {
            dialog.posting = true;
            dialog.message = None;
            ctx.commands.push(Command::Post { from, to, digest: digest.clone() });
        }
        if dialog.posting {
            ui.spinner();
            ui.label(texts.get("posting-posting"));
        }
    });
    if let Some(reason) = &post_blocked {
        ui.label(egui::RichText::new(reason).italics().weak());
    }
    if let Some((message, failed)) = &dialog.message {
        let text = egui::RichText::new(message.as_str());
        ui.label(if *failed { text.color(ui.visuals().error_fg_color) } else { text });
    }
    if let Some(id) = postings_ui(ui, ctx, dialog.format.is_some() && !busy)
        && let Some(format) = dialog.format
    {
        dialog.chosen = choose_export_file(ui, ctx, format, to).map(|chosen| (chosen, Scope::Posted(id)));
    }
}

/// Opens the save dialog for an export in `format` of the period ending `to`, proposing
/// the FEC's legal name.
fn choose_export_file(
    ui: &egui::Ui,
    ctx: &Context<'_>,
    format: Format,
    to: chrono::NaiveDate,
) -> Option<Receiver<Option<PathBuf>>> {
    let (name, filter) = match format {
        Format::Fec => (
            ctx.reader.store().company().map_or_else(|_| "FEC.txt".to_owned(), |c| fec_file_name(&c, to)),
            ("FEC", &["txt"][..]),
        ),
        Format::Csv => {
            (format!("{}-{}.csv", ctx.texts.get("posting-file"), to.format("%Y%m%d")), ("CSV", &["csv"][..]))
        }
    };
    choose_file(name, filter, waker(ui.ctx()))
}

/// The batches posted so far (by anyone: postings come with the sync), newest first; each
/// can be exported again, exactly as posted (returns the one asked for).
fn postings_ui(ui: &mut egui::Ui, ctx: &Context<'_>, can_export: bool) -> Option<uuid::Uuid> {
    let texts = ctx.texts;
    let postings = match ctx.reader.store().postings() {
        Ok(postings) => postings,
        Err(e) => {
            ui.label(texts.error(e.code(), &e.to_string()));
            return None;
        }
    };
    let mut asked = None;
    let blocked = ctx.cannot_read(Permission::ExportAccounting);
    ui.add_space(8.0);
    egui::CollapsingHeader::new(texts.with("posting-history", &[("count", postings.len().into())]))
        .id_salt("postings")
        .show(ui, |ui| {
            egui::Grid::new("postings-grid").num_columns(5).striped(true).show(ui, |ui| {
                for id in ["posting-history-at", "posting-history-by", "posting-history-to", "posting-history-entries"]
                {
                    ui.label(crate::theme::bold(texts.get(id)));
                }
                ui.end_row();
                for posting in postings.iter().take(50) {
                    let at = chrono::DateTime::parse_from_rfc3339(&posting.posted_at).map_or_else(
                        |_| posting.posted_at.clone(),
                        |at| crate::format::date_time(at.to_utc(), texts.language()),
                    );
                    ui.label(at);
                    ui.label(&posting.posted_by);
                    ui.label(ctx.date(posting.to));
                    ui.label(posting.entries.to_string());
                    let again = texts.with("posting-export-again", &[("to", ctx.date(posting.to).into())]);
                    if ui.add_enabled(can_export && blocked.is_none(), egui::Button::new(again)).clicked() {
                        asked = Some(posting.id);
                    }
                    ui.end_row();
                }
            });
        });
    asked
}
