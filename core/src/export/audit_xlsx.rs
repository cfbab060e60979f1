//! The audit trail as an Excel workbook (`rust_xlsxwriter`, constant-memory sheets):
//! a bold header row, frozen, with an autofilter; dates and times as real date-time
//! cells in the user's time zone; column widths that fit; and, beyond the 1,048,575 data
//! rows a sheet can hold, further sheets with the same header.
//!
//! Records are streamed from the company file one at a time, so memory stays flat
//! whatever the trail's length. The export reports its progress and can be cancelled
//! between two records; a cancelled or failed export leaves no file behind.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::audit::AuditRecord;
use crate::store::{AuditFilter, CompanyStore, StoreError};

/// Data rows per sheet: Excel's 1,048,576 rows, less the header.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// The column titles, in the user's language (the caller translates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditColumns {
    pub sheet: String,
    pub seq: String,
    pub at: String,
    pub user: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub changes: String,
    pub hash: String,
}

impl AuditColumns {
    /// English titles, for tools and tests.
    pub fn english() -> Self {
        Self {
            sheet: "Audit trail".into(),
            seq: "No.".into(),
            at: "Date and time".into(),
            user: "User".into(),
            action: "Action".into(),
            entity: "Record".into(),
            entity_id: "Record id".into(),
            changes: "Changes".into(),
            hash: "Hash".into(),
        }
    }

    fn titles(&self) -> [(&str, f64); 8] {
        [
            (&self.seq, 10.0),
            (&self.at, 20.0),
            (&self.user, 32.0),
            (&self.action, 16.0),
            (&self.entity, 14.0),
            (&self.entity_id, 38.0),
            (&self.changes, 70.0),
            (&self.hash, 20.0),
        ]
    }
}

/// How an export is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditExportOptions {
    pub columns: AuditColumns,
    /// Data rows per sheet before the next sheet starts ([`ROWS_PER_SHEET`], Excel's
    /// limit; tests use fewer).
    pub rows_per_sheet: u32,
}

impl AuditExportOptions {
    pub fn new(columns: AuditColumns) -> Self {
        Self { columns, rows_per_sheet: ROWS_PER_SHEET }
    }
}

/// Where an export stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportProgress {
    pub written: u64,
    pub total: u64,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    pub rows: u64,
    pub sheets: u32,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("The workbook could not be written: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("The export was cancelled; no file was written.")]
    Cancelled,
}

impl ExportError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Xlsx(_) => "export_failed",
            Self::Cancelled => "export_cancelled",
        }
    }
}

/// Longest text put in a cell (Excel's limit is 32,767 characters).
const CELL_TEXT_MAX: usize = 32_000;

/// Writes the records `filter` keeps to `path`, oldest first. `progress` is called every
/// few thousand rows; `cancel` is read between rows.
pub fn export_audit_xlsx(
    store: &CompanyStore,
    filter: &AuditFilter,
    options: &AuditExportOptions,
    path: &Path,
    cancel: &AtomicBool,
    mut progress: impl FnMut(ExportProgress),
) -> Result<ExportReport, ExportError> {
    let total = store.audit_count(filter)?;
    let columns = &options.columns;
    let rows_per_sheet = options.rows_per_sheet.clamp(1, ROWS_PER_SHEET);
    let mut workbook = Workbook::new();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Constant-memory sheets spill to temporary files: next to the target, not /tmp.
        workbook.set_tempdir(dir)?;
    }
    let header = Format::new().set_bold().set_align(FormatAlign::Center).set_background_color("D9E1F2");
    let datetime = Format::new().set_num_format("dd/mm/yyyy hh:mm:ss");
    let wrapped = Format::new().set_text_wrap();
    let mut sheets = 0_u32;
    let mut row_in_sheet = 0_u32;
    let mut written = 0_u64;
    // The sheet being written, by index (the workbook owns its sheets).
    let mut sheet: Option<usize> = None;
    let mut last_row = 0_u32;

    // Sheets are added as rows come; a sheet is finished (autofilter) before the next.
    let result = store.for_each_audit(filter, |record: AuditRecord| -> Result<bool, ExportError> {
        if cancel.load(Ordering::Relaxed) {
            return Err(ExportError::Cancelled);
        }
        if sheet.is_none() || row_in_sheet == rows_per_sheet {
            if let Some(full) = sheet.take() {
                workbook.worksheet_from_index(full)?.autofilter(0, 0, last_row, 7)?;
            }
            sheets += 1;
            sheet = Some(sheets as usize - 1);
            let name = if sheets == 1 { columns.sheet.clone() } else { format!("{} ({sheets})", columns.sheet) };
            start_sheet(workbook.add_worksheet_with_constant_memory()?, &name, columns, &header)?;
            row_in_sheet = 0;
        }
        let Some(index) = sheet else { return Ok(false) };
        let current = workbook.worksheet_from_index(index)?;
        row_in_sheet += 1;
        last_row = row_in_sheet;
        write_record(current, row_in_sheet, &record, &datetime, &wrapped)?;
        written += 1;
        if written.is_multiple_of(5_000) {
            progress(ExportProgress { written, total });
        }
        Ok(true)
    });
    result?;
    if let Some(last) = sheet {
        workbook.worksheet_from_index(last)?.autofilter(0, 0, last_row, 7)?;
    } else {
        // Nothing to export: one sheet with its header, so the file still opens.
        start_sheet(workbook.add_worksheet(), &columns.sheet, columns, &header)?;
        sheets = 1;
    }
    // Saved to a temporary name, then renamed: a failed save leaves no half file.
    let partial = path.with_extension("xlsx.part");
    if let Err(e) = workbook.save(&partial) {
        let _ = std::fs::remove_file(&partial);
        return Err(e.into());
    }
    std::fs::rename(&partial, path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
    progress(ExportProgress { written, total });
    Ok(ExportReport { rows: written, sheets, path: path.to_path_buf() })
}

/// Names a new sheet and gives it its frozen header row and column widths.
fn start_sheet(sheet: &mut Worksheet, name: &str, columns: &AuditColumns, header: &Format) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    for (col, (title, width)) in (0_u16..).zip(columns.titles()) {
        sheet.set_column_width(col, width)?;
        sheet.write_string_with_format(0, col, title, header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn write_record(
    sheet: &mut Worksheet,
    row: u32,
    record: &AuditRecord,
    datetime: &Format,
    wrapped: &Format,
) -> Result<(), XlsxError> {
    #[allow(clippy::cast_precision_loss, reason = "audit sequence numbers stay far below 2^52")]
    sheet.write_number(row, 0, record.seq as f64)?;
    let local = record.at.with_timezone(&chrono::Local).naive_local();
    sheet.write_datetime_with_format(row, 1, local, datetime)?;
    sheet.write_string(row, 2, &record.user_email)?;
    sheet.write_string(row, 3, &record.action)?;
    sheet.write_string(row, 4, &record.entity)?;
    if let Some(id) = record.entity_id {
        sheet.write_string(row, 5, id.to_string())?;
    }
    if !record.changes.is_empty() {
        let mut changes = String::new();
        for change in &record.changes {
            if !changes.is_empty() {
                changes.push('\n');
            }
            let before = change.before.as_deref().unwrap_or("—");
            let after = change.after.as_deref().unwrap_or("—");
            let _ = write!(changes, "{}: {before} → {after}", change.field);
            if changes.len() > CELL_TEXT_MAX {
                let mut cut = CELL_TEXT_MAX;
                while !changes.is_char_boundary(cut) {
                    cut -= 1;
                }
                changes.truncate(cut);
                changes.push('…');
                break;
            }
        }
        sheet.write_string_with_format(row, 6, changes, wrapped)?;
    }
    sheet.write_string(row, 7, &record.hash)?;
    Ok(())
}
