//! The sync server's API and process tests on PostgreSQL: the modules of
//! `tests/tests/server/` again, each server with a database of its own on the tests'
//! cluster ([`comptoir_tests::postgres::PgCluster::shared`], or `COMPTOIR_TEST_POSTGRES`),
//! the test names saying so (`postgres::…`). The SQLite files' own modules are not here.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

#[path = "../server/common.rs"]
mod common;
pub(crate) use common::*;

/// The backend these tests store in.
const BACKEND: comptoir_tests::Backend = comptoir_tests::Backend::Postgres;

mod postgres;
