//! The app's headless commands, for scripting and support.

pub mod document;
pub mod export;
pub mod host;
pub mod import;
pub mod join;
pub mod sync;
pub mod update;
pub mod verify;
