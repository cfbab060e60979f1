//! The sync server's API and process tests on SQLite, its embedded storage: the real
//! server on 127.0.0.1, started through the tests' one harness
//! ([`comptoir_tests::TestServer`], empty and on a manual clock here) or run as the real
//! binary ([`comptoir_tests::process`]) for the tests that kill it or run admin commands
//! beside it. One test binary, a module per topic: one link instead of nine.
//!
//! `tests/tests/server_postgres/` runs the same modules on PostgreSQL; the test names say
//! which (`sqlite::…`, `postgres::…`). The modules of the SQLite files themselves (their
//! backup and restore, a host's backups, how secrets sit in the file) run here only.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

mod common;
pub(crate) use common::*;

/// The backend these tests store in.
const BACKEND: comptoir_tests::Backend = comptoir_tests::Backend::Sqlite;

mod sqlite;
