//! Journal d'audit: every action on the company — who, when, what, each field before and
//! after — filtered by period, user and action; "Vérifier l'intégrité" checks the copy's
//! hash chain up to the head the server signed, and names what fails (a missing tail, a
//! rewritten chain, a forged head); "Exporter en XLSX…" writes the filtered trail to a workbook on a thread of
//! its own, with a progress bar and a cancel button.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use comptoir_core::audit::{AuditRecord, ChainError, TrailError, TrailReport};
use comptoir_core::export::{AuditExportOptions, ExportError, ExportReport, export_audit_xlsx};
use comptoir_core::model::Permission;
use comptoir_core::store::{AuditFilter, CompanyStore, RecordLabel, StoreError};
use comptoir_core::sync::{ExportKind, ExportNote, Intent};
use egui_extras::{Column, TableBuilder};

use super::documents::Period;
use super::rows::{BLOCK, RowBlocks};
use super::{Context, action_button, choose_file, column_titles_ui, share, waker};
use crate::reader::Question;

/// The actions the filter offers (the trail's own words, translated by `action-…`).
const ACTIONS: [&str; 21] = [
    "create",
    "update",
    "issue",
    "payment",
    "archive",
    "delete",
    "sign_in",
    "sign_in_failed",
    "add_member",
    "role_change",
    "remove_member",
    "export",
    "post",
    "set_account_plan",
    "cancel_payment",
    "set_logo",
    "send_mail",
    "pair_device",
    "revoke_device",
    "move_out",
    "move_in",
];

/// An export under way.
pub struct ExportJob {
    pub written: Arc<AtomicU64>,
    pub total: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
    done: Receiver<Result<ExportReport, ExportError>>,
}

impl std::fmt::Debug for ExportJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportJob").field("written", &self.written).finish_non_exhaustive()
    }
}

/// The audit screen's state.
#[derive(Debug, Default)]
pub struct AuditTrail {
    pub period: Period,
    /// The actor's email, as typed.
    pub user: String,
    pub action: Option<&'static str>,
    /// A document's number, as typed: only its history.
    pub document: String,
    /// The typed number's document (`Some(None)`: no document has it), looked up once.
    document_found: Option<(String, Option<uuid::Uuid>)>,
    rows: RowBlocks<AuditRecord>,
    pub total: Option<u64>,
    counting: Option<u64>,
    counted: Option<AuditFilter>,
    /// The integrity check: asked, and its outcome (what the trail holds, or where and
    /// why it fails, or why it could not be read).
    checking: Option<u64>,
    pub integrity: Option<Result<Result<TrailReport, TrailError>, String>>,
    pub export: Option<ExportJob>,
    pub export_outcome: Option<Result<String, String>>,
    /// The save dialog's answer, when it comes.
    chosen: Option<Receiver<Option<PathBuf>>>,
}

impl AuditTrail {
    pub fn data_changed(&mut self) {
        self.rows.clear();
        self.counted = None;
        self.counting = None;
    }

    pub fn filter(&self, today: chrono::NaiveDate) -> AuditFilter {
        let (from, to) = self.period.range(today);
        let user = self.user.trim();
        // A number no document has keeps nothing: the nil id is no record's.
        let entity_id = self
            .document_found
            .as_ref()
            .filter(|(number, _)| !number.is_empty())
            .map(|(_, id)| id.unwrap_or_else(uuid::Uuid::nil));
        AuditFilter {
            from,
            to,
            user_email: (!user.is_empty()).then(|| user.to_owned()),
            action: self.action.map(str::to_owned),
            entity_id,
        }
    }

    /// Looks the typed document number up, when it changed.
    fn find_document(&mut self, store: &CompanyStore) {
        let number = self.document.trim();
        if self.document_found.as_ref().is_some_and(|(found, _)| found == number) {
            return;
        }
        let id = if number.is_empty() { None } else { store.document_id_by_number(number).ok().flatten() };
        self.document_found = Some((number.to_owned(), id));
    }

    pub fn on_count(&mut self, generation: u64, count: &Result<u64, StoreError>) {
        if self.counting == Some(generation) {
            self.counting = None;
            match count {
                Ok(count) => self.total = Some(*count),
                Err(e) => tracing::warn!(error = %e, "the audit trail could not be counted"),
            }
        }
    }

    pub fn on_verified(&mut self, generation: u64, outcome: Result<Result<TrailReport, TrailError>, StoreError>) {
        if self.checking == Some(generation) {
            self.checking = None;
            self.integrity = Some(outcome.map_err(|e| e.to_string()));
        }
    }

    /// Starts writing the filtered trail to `path` on a thread of its own; `wake`
    /// repaints the window as it goes.
    pub fn start_export(
        &mut self,
        company_file: &std::path::Path,
        filter: AuditFilter,
        options: AuditExportOptions,
        path: PathBuf,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) {
        let (written, total) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let cancel = Arc::new(AtomicBool::new(false));
        let (sender, done) = std::sync::mpsc::channel();
        let (w, t, c) = (written.clone(), total.clone(), cancel.clone());
        let file = company_file.to_path_buf();
        let spawned = std::thread::Builder::new().name("comptoir-export".into()).spawn(move || {
            let result = CompanyStore::open_read_only(&file).map_err(ExportError::from).and_then(|store| {
                export_audit_xlsx(&store, &filter, &options, &path, &c, |progress| {
                    w.store(progress.written, Ordering::Relaxed);
                    t.store(progress.total, Ordering::Relaxed);
                    wake();
                })
            });
            let _ = sender.send(result);
            wake();
        });
        match spawned {
            Ok(_) => {
                self.export_outcome = None;
                self.export = Some(ExportJob { written, total, cancel, done });
            }
            Err(e) => self.export_outcome = Some(Err(e.to_string())),
        }
    }

    /// Takes in the export's end, if it came; a finished export returns its note for the
    /// audit trail.
    fn poll_export(&mut self, texts: &crate::i18n::Texts, filter: &AuditFilter) -> Option<ExportNote> {
        let job = self.export.as_ref()?;
        let mut note = None;
        let outcome = match job.done.try_recv() {
            Ok(Ok(report)) => Ok({
                note =
                    Some(ExportNote::new(ExportKind::AuditTrail, report.rows, (filter.from, filter.to), &report.path));
                texts.with(
                    "audit-export-done",
                    &[
                        ("rows", report.rows.into()),
                        ("sheets", report.sheets.into()),
                        ("path", report.path.display().to_string().into()),
                    ],
                )
            }),
            // A thread gone without a word stopped like a cancelled export: no file.
            Ok(Err(ExportError::Cancelled)) | Err(TryRecvError::Disconnected) => {
                Err(texts.get("audit-export-cancelled"))
            }
            Ok(Err(e)) => Err(texts.error(e.code(), &e.to_string())),
            Err(TryRecvError::Empty) => return None,
        };
        self.export = None;
        self.export_outcome = Some(outcome);
        note
    }
}

/// The workbook's column titles in the user's language.
pub fn audit_columns(texts: &crate::i18n::Texts) -> comptoir_core::export::AuditColumns {
    comptoir_core::export::AuditColumns {
        sheet: texts.get("export-audit-sheet"),
        seq: texts.get("export-audit-seq"),
        at: texts.get("export-audit-at"),
        user: texts.get("export-audit-user"),
        action: texts.get("export-audit-action"),
        entity: texts.get("export-audit-entity"),
        entity_id: texts.get("export-audit-entity-id"),
        changes: texts.get("export-audit-changes"),
        hash: texts.get("export-audit-hash"),
    }
}

/// What the integrity check's outcome means for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity {
    /// The chain holds, up to a head the server signed.
    Intact,
    /// The chain holds together, but no signed head has come yet to compare it with.
    NotVouched,
    /// The trail fails: altered, cut short, rewritten, or its head forged.
    Failed,
}

/// The integrity check's outcome in words: what the trail holds (up to which signed
/// record, and how many records wait for a signature), or what fails and where.
pub fn integrity_text(texts: &crate::i18n::Texts, outcome: &Result<TrailReport, TrailError>) -> (String, Integrity) {
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = match e {
                TrailError::Chain(ChainError::OutOfSequence { seq, expected }) => {
                    vec![("seq", (*seq).into()), ("expected", (*expected).into())]
                }
                TrailError::Chain(chain) => vec![("seq", chain.seq().into())],
                TrailError::MissingTail { signed, last } => {
                    vec![("signed", (*signed).into()), ("last", (*last).into())]
                }
                TrailError::Rewritten { seq } | TrailError::ForgedHead { seq } => vec![("seq", (*seq).into())],
                TrailError::HeadRemoved | TrailError::KeyChanged { .. } => Vec::new(),
            };
            let id = format!("error-{}", e.code());
            let text = if texts.has(&id) { texts.with(&id, &args) } else { e.to_string() };
            return (text, Integrity::Failed);
        }
    };
    let count = ("count", report.records.into());
    let Some(signed) = report.signed else {
        return (texts.with("audit-integrity-unsigned", &[count]), Integrity::NotVouched);
    };
    let mut text = texts.with(
        "audit-integrity-signed",
        &[
            count,
            ("seq", signed.seq.into()),
            ("at", crate::format::date_time(signed.signed_at, texts.language()).into()),
        ],
    );
    if report.unsigned > 0 {
        text.push(' ');
        text.push_str(&texts.with("audit-integrity-not-yet-signed", &[("count", report.unsigned.into())]));
    }
    (text, Integrity::Intact)
}

const ROW_HEIGHT: f32 = 24.0;

/// What a record is about, in words: "Facture FA-2026-00012", a contact's name, else the
/// kind of record the trail names.
fn record_text(ctx: &Context<'_>, record: &AuditRecord) -> String {
    let texts = ctx.texts;
    let label = record.entity_id.and_then(|id| ctx.reader.store().record_label(id).ok().flatten());
    label_text(texts, label).unwrap_or_else(|| {
        let id = format!("entity-{}", record.entity.replace('_', "-"));
        if texts.has(&id) { texts.get(&id) } else { record.entity.clone() }
    })
}

/// A record's label in words: "Facture FA-2026-00012" (or "Facture brouillon"), a
/// contact's name.
pub fn label_text(texts: &crate::i18n::Texts, label: Option<RecordLabel>) -> Option<String> {
    match label? {
        RecordLabel::Document { kind, number } => {
            let kind = texts.get(&format!("kind-{}", kind.as_str().replace('_', "-")));
            Some(format!("{kind} {}", number.unwrap_or_else(|| texts.get("audit-draft"))))
        }
        RecordLabel::Contact(name) => Some(name),
    }
}

/// An action of the trail (or of a waiting edit) in words: "création", "émission"…
pub fn action_text(texts: &crate::i18n::Texts, action: &str) -> String {
    texts.get(&format!("action-{}", action.replace('_', "-")))
}

#[allow(clippy::too_many_lines, reason = "one screen: its filters, actions and table read best together")]
pub fn audit_ui(ui: &mut egui::Ui, state: &mut AuditTrail, ctx: &mut Context<'_>) {
    let texts = ctx.texts;
    ui.heading(texts.get("nav-audit"));
    if let Some(reason) = ctx.cannot_read(Permission::ReadAuditTrail) {
        ui.label(reason);
        return;
    }
    let before = state.filter(ctx.today);
    ui.horizontal(|ui| {
        egui::ComboBox::new("audit-period", texts.get("list-period"))
            .selected_text(texts.get(state.period.text_id()))
            .show_ui(ui, |ui| {
                for period in Period::ALL {
                    ui.selectable_value(&mut state.period, period, texts.get(period.text_id()));
                }
            });
        let action_text = |a: &str| action_text(texts, a);
        egui::ComboBox::new("audit-action", texts.get("audit-filter-action"))
            .selected_text(state.action.map_or_else(|| texts.get("audit-all-actions"), action_text))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.action, None, texts.get("audit-all-actions"));
                for action in ACTIONS {
                    ui.selectable_value(&mut state.action, Some(action), action_text(action));
                }
            });
        let label = ui.label(texts.get("audit-filter-user"));
        ui.add(egui::TextEdit::singleline(&mut state.user).desired_width(200.0)).labelled_by(label.id);
        let label = ui.label(texts.get("audit-filter-document"));
        ui.add(egui::TextEdit::singleline(&mut state.document).desired_width(140.0)).labelled_by(label.id);
    });
    state.find_document(ctx.reader.store());
    if state.document_found.as_ref().is_some_and(|(number, id)| !number.is_empty() && id.is_none()) {
        ui.label(egui::RichText::new(texts.get("audit-no-such-document")).italics().weak());
    }
    let filter = state.filter(ctx.today);
    if filter != before {
        state.rows.clear();
        state.total = None;
    }
    if state.counted.as_ref() != Some(&filter) && state.counting.is_none() {
        let generation = ctx.generation();
        if ctx.reader.ask(Question::CountAudit { generation, filter: filter.clone() }) {
            state.counting = Some(generation);
            state.counted = Some(filter.clone());
        }
    }

    // Integrity and export.
    if let Some(export) = state.poll_export(texts, &filter) {
        // The trail records the export itself (queued like an edit, sent with the sync).
        ctx.edit(Intent::RecordExport { export });
    }
    if let Some(chosen) = &state.chosen {
        match chosen.try_recv() {
            Ok(Some(path)) => {
                state.chosen = None;
                let options = AuditExportOptions::new(audit_columns(texts));
                let wake = waker(ui.ctx());
                state.start_export(ctx.reader.path(), filter.clone(), options, path, wake);
            }
            Ok(None) | Err(TryRecvError::Disconnected) => state.chosen = None,
            Err(TryRecvError::Empty) => {}
        }
    }
    ui.horizontal(|ui| {
        if ui.add_enabled(state.checking.is_none(), egui::Button::new(texts.get("audit-verify"))).clicked() {
            let generation = ctx.generation();
            if ctx.reader.ask(Question::VerifyAudit { generation }) {
                state.checking = Some(generation);
                state.integrity = None;
            }
        }
        let blocked = ctx.cannot_read(Permission::ExportAuditTrail);
        let busy = state.export.is_some() || state.chosen.is_some();
        if !busy && action_button(ui, &texts.get("audit-export"), blocked.as_deref()) {
            let name = format!("{}-{}.xlsx", texts.get("audit-export-file"), ctx.today);
            state.chosen = choose_file(name, ("Excel", &["xlsx"]), waker(ui.ctx()));
        }
    });
    if state.checking.is_some() {
        ui.label(texts.get("audit-verifying"));
    }
    match &state.integrity {
        Some(Ok(outcome)) => {
            let (text, verdict) = integrity_text(texts, outcome);
            let colour = match verdict {
                Integrity::Intact => crate::widgets::GREEN,
                Integrity::NotVouched => crate::widgets::ORANGE,
                Integrity::Failed => ui.visuals().error_fg_color,
            };
            ui.colored_label(colour, text);
        }
        Some(Err(reason)) => {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
        None => {}
    }
    if let Some(job) = &state.export {
        let (written, total) = (job.written.load(Ordering::Relaxed), job.total.load(Ordering::Relaxed));
        #[allow(clippy::cast_precision_loss, reason = "a progress fraction")]
        let fraction = if total == 0 { 0.0 } else { written as f32 / total as f32 };
        ui.horizontal(|ui| {
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(300.0)
                    .text(texts.with("audit-export-progress", &[("written", written.into()), ("total", total.into())])),
            );
            if ui.button(texts.get("audit-export-cancel")).clicked() {
                job.cancel.store(true, Ordering::Relaxed);
            }
        });
    }
    match &state.export_outcome {
        Some(Ok(text)) => {
            ui.label(text);
        }
        Some(Err(text)) => {
            ui.colored_label(ui.visuals().error_fg_color, text);
        }
        None => {}
    }

    ui.label(match state.total {
        Some(total) => texts.with("audit-count", &[("count", total.into())]),
        None => texts.get("list-counting"),
    });
    let store = ctx.reader.store();
    if state.total.is_none() {
        state.rows.row(0, |_| store.audit_page_at(&filter, 0, BLOCK));
    }
    let rows = state.total.map_or_else(|| state.rows.loaded(), |n| usize::try_from(n).unwrap_or(usize::MAX));
    let width = ui.available_width();
    let headers = [
        "export-audit-seq",
        "export-audit-at",
        "export-audit-user",
        "export-audit-action",
        "export-audit-entity",
        "export-audit-changes",
    ];
    TableBuilder::new(ui)
        .id_salt("audit")
        .striped(true)
        .column(Column::exact(share(width, 0.06, 50.0)))
        .column(Column::exact(share(width, 0.14, 120.0)))
        .column(Column::exact(share(width, 0.18, 120.0)).clip(true))
        .column(Column::exact(share(width, 0.11, 80.0)).clip(true))
        .column(Column::exact(share(width, 0.17, 110.0)).clip(true))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(ROW_HEIGHT, |mut header| column_titles_ui(&mut header, texts, &headers))
        .body(|body| {
            body.rows(ROW_HEIGHT, rows, |mut row| {
                let index = row.index();
                // After the block before (by seq, from the index); else (a jump) by offset.
                let Some(record) = state.rows.row(index, |r| match r.previous.and_then(<[AuditRecord]>::last) {
                    Some(last) => store.audit_page(&filter, Some(last.seq), BLOCK),
                    None => store.audit_page_at(&filter, r.offset(), BLOCK),
                }) else {
                    return;
                };
                let action_id = format!("action-{}", record.action.replace('_', "-"));
                let action = if texts.has(&action_id) { texts.get(&action_id) } else { record.action.clone() };
                let changes: Vec<String> = record
                    .changes
                    .iter()
                    .map(|c| format!("{}: {}", c.field, c.after.as_deref().unwrap_or("—")))
                    .collect();
                let cells = [
                    record.seq.to_string(),
                    crate::format::date_time(record.at, texts.language()),
                    record.user_email.clone(),
                    action,
                    record_text(ctx, record),
                    changes.join(" · "),
                ];
                for cell in cells {
                    row.col(|ui| {
                        ui.label(cell);
                    });
                }
            });
        });
}
