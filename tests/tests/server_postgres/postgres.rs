//! The server suite's modules (`tests/tests/server/`) on PostgreSQL (see `main.rs`).

#[path = "../server/api_auth.rs"]
mod api_auth;
#[path = "../server/api_companies.rs"]
mod api_companies;
#[path = "../server/api_openapi.rs"]
mod api_openapi;
#[path = "../server/api_sending.rs"]
mod api_sending;
#[path = "../server/api_sync.rs"]
mod api_sync;
#[path = "../server/auth_concurrency.rs"]
mod auth_concurrency;
#[path = "../server/cli_admin.rs"]
mod cli_admin;
#[path = "../server/company_archive.rs"]
mod company_archive;
#[path = "../server/copies.rs"]
mod copies;
#[path = "../server/crash.rs"]
mod crash;
#[path = "../server/lan_tls.rs"]
mod lan_tls;
#[path = "../server/observability.rs"]
mod observability;
#[path = "../server/pairing.rs"]
mod pairing;
#[path = "../server/pull_pages.rs"]
mod pull_pages;
#[path = "../server/snapshot.rs"]
mod snapshot;
#[path = "../server/storage_backends.rs"]
mod storage_backends;
// Moving a deployment from SQLite to PostgreSQL (and back): here, where PostgreSQL is.
#[path = "../server/migrate_storage.rs"]
mod migrate_storage;
