//! The app's headless commands, for scripting and support.

pub mod document;
pub mod export;
pub mod import;
pub mod sync;
pub mod verify;
