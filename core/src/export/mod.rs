//! Exports of a company's data to files for people outside the app.
//!
//! - [`audit_xlsx`]: the audit trail, filtered, as an Excel workbook.

pub mod audit_xlsx;

pub use audit_xlsx::{
    AuditColumns, AuditExportOptions, ExportError, ExportProgress, ExportReport, ROWS_PER_SHEET, export_audit_xlsx,
};
