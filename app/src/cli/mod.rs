//! The app's headless commands, for scripting and support.

pub mod sync;
