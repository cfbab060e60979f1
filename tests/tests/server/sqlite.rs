//! The server suite's modules on SQLite (see `main.rs`).

#[path = "api_auth.rs"]
mod api_auth;
#[path = "api_companies.rs"]
mod api_companies;
#[path = "api_openapi.rs"]
mod api_openapi;
#[path = "api_sending.rs"]
mod api_sending;
#[path = "api_sync.rs"]
mod api_sync;
#[path = "auth_concurrency.rs"]
mod auth_concurrency;
#[path = "cli_admin.rs"]
mod cli_admin;
#[path = "company_archive.rs"]
mod company_archive;
#[path = "copies.rs"]
mod copies;
#[path = "crash.rs"]
mod crash;
#[path = "lan_tls.rs"]
mod lan_tls;
#[path = "observability.rs"]
mod observability;
#[path = "pairing.rs"]
mod pairing;
#[path = "pull_pages.rs"]
mod pull_pages;
#[path = "snapshot.rs"]
mod snapshot;
#[path = "storage_backends.rs"]
mod storage_backends;
// SQLite's own.
#[path = "backup.rs"]
mod backup;
#[path = "host_backup.rs"]
mod host_backup;
#[path = "sqlite_files.rs"]
mod sqlite_files;
