//! comptoir-core: everything in Comptoir that is not drawing.
//!
//! - [`model`]: domain types and their rules (money, VAT, documents, numbering, roles).
//! - [`store`]: the local `SQLite` files, one per company, plus a small app-level file.
//! - [`demo`]: a seeded, deterministic generator of realistic company data.
//! - [`audit`]: the audit trail's records and their hash chain.
//! - [`sync`]: the sync protocol, shared by the server and the client engine.
//! - [`export`]: files for people outside the app (the audit trail as XLSX).
//! - [`import`]: contacts and articles from a spreadsheet saved as CSV.
//! - [`mail`]: documents sent by e-mail (SMTP settings, template, outbox pass).
//! - [`engine`]: the background engine that keeps a copy in sync; [`clock`]: the
//!   injectable clock it and the server read time from.
//!
//! This crate never depends on egui or axum: the desktop app and the sync server both
//! build on it, and the rules they share (permissions, totals, numbering) live here once.

pub mod accounting;
pub mod audit;
pub mod clock;
pub mod demo;
pub mod engine;
pub mod export;
pub mod import;
pub mod lan;
pub mod mail;
pub mod model;
#[cfg(feature = "openapi")]
mod openapi;
pub mod store;
pub mod sync;

/// The message a panic carried (`panic!("…")` gives a `&str` or a `String`), for the
/// log and for the user when a fault is caught at a thread's or a request's edge.
pub fn panic_reason(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown fault".to_owned())
}
