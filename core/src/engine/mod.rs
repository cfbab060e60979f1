//! The background engine that keeps a company's copy in sync (issue: the sync engine).

mod grace;
pub mod link;

pub use grace::Grace;
pub use link::{CategoryProgress, ErrorKind, Link, PaymentNotice, Progress, SyncError, SyncReport};
