//! The sync server's API and process tests: the real server on 127.0.0.1, started through
//! the tests' one harness ([`comptoir_tests::TestServer`], empty and on a manual clock here)
//! or run as the real binary ([`comptoir_tests::process`]) for the tests that kill it or
//! run admin commands beside it. One test binary, a module per topic: one link instead of
//! nine.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

mod api_auth;
mod api_companies;
mod api_openapi;
mod api_sending;
mod api_sync;
mod auth_concurrency;
mod backup;
mod cli_admin;
mod company_archive;
mod crash;
mod host_backup;
mod lan_tls;
mod pairing;
mod pull_pages;

use std::sync::Arc;

use chrono::{TimeZone as _, Utc};
use comptoir_server::Limits;
use comptoir_server::auth::{AuthPolicy, ManualClock};
use comptoir_tests::TestServer;

/// `comptoir-server`'s binary, as this package builds it.
const SERVER_BIN: &str = env!("CARGO_BIN_EXE_comptoir-sync-server");

/// Pushes one mutation to `company` at `url` with the access token `token`, over plain
/// HTTP (for servers run as processes); returns its outcome.
async fn push_one(
    http: &reqwest::Client,
    url: &str,
    company: comptoir_core::model::CompanyId,
    token: &str,
    mutation: &comptoir_core::sync::Mutation,
) -> comptoir_core::sync::Outcome {
    let response: comptoir_core::sync::PushResponse = http
        .post(format!("{url}/v1/companies/{company}/sync/push"))
        .bearer_auth(token)
        .json(&comptoir_core::sync::PushRequest { mutations: vec![mutation.clone()] })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response.results.into_iter().next().unwrap().outcome
}

/// An empty server (no account, no company) with the default failed-login policy and
/// limits; and its clock, which stands at 2026-11-24 09:00 UTC until the test moves it.
fn empty_server() -> (TestServer, Arc<ManualClock>) {
    empty_server_with(AuthPolicy::default(), Limits::default())
}

/// [`empty_server`] with its own failed-login policy and limits.
fn empty_server_with(policy: AuthPolicy, limits: Limits) -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()));
    let server = TestServer::builder().empty().clock(clock.clone()).policy(policy).limits(limits).start().unwrap();
    (server, clock)
}
