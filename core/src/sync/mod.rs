//! The sync protocol between the client engine and the server: what travels, in both
//! directions. The server orders every change of a company (`seq`); a client pulls
//! changes after its cursor and pushes intent-level mutations, each applied exactly once.

mod account;
mod client;
mod members;
mod protocol;
pub mod rules;

pub use account::*;
pub use client::{ClientError, CopyBytes, CopyHeaders, MAX_COPY_BYTES, SyncClient};
pub use members::*;
pub use protocol::*;
