//! The background engine that keeps a company's copy in sync (issue: the sync engine).
//! So far: the offline grace rule.

mod grace;

pub use grace::Grace;
