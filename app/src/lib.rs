//! The Comptoir desktop app: screens, widgets, tray, theme and translations.
//!
//! Functions that draw end in `_ui`. The app never writes SQLite and never blocks the
//! UI thread: it will send commands to the engine (issue: the sync engine) and draw what
//! the engine reports.

pub mod app;
pub mod company_move;
pub mod demo;
pub mod desktop;
pub mod folders;
pub mod format;
pub mod hosting;
pub mod i18n;
pub mod instance;
pub mod kept_copies;
pub mod kept_port;
pub mod licences;
pub mod local_host;
pub mod local_setup;
pub mod logs;
pub mod pdf_pages;
pub mod preferences;
pub mod reader;
pub mod screens;
pub mod theme;
pub mod tour;
pub mod tray;
pub mod update;
pub mod waiting_edits;
pub mod widgets;
pub mod wizard;
