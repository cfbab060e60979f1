//! Exports of a company's data to files for people outside the app.
//!
//! - [`audit_xlsx`]: the audit trail, filtered, as an Excel workbook.
//! - [`einvoice`]: structured e-invoices: Factur-X CII and Peppol BIS 3.0 UBL.
//! - [`pdf`]: documents as PDF, laid out by typst, with the legal mentions; Factur-X.
//! - [`sources`]: what one document's files are made from, read from the company's copy.
//! - [`templates`]: the user's own document templates, per company, and the one in use.

pub mod audit_xlsx;
pub mod einvoice;
pub mod pdf;
pub mod sources;
pub mod templates;

pub use audit_xlsx::{
    AuditColumns, AuditExportOptions, ExportError, ExportProgress, ExportReport, ROWS_PER_SHEET, export_audit_xlsx,
};
