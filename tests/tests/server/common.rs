//! What the server suite's modules share, on either backend: the server binary, a test
//! server of the binary's backend ([`builder`], [`place`]), and small helpers.

use std::sync::Arc;

use chrono::{TimeZone as _, Utc};
use comptoir_server::Limits;
use comptoir_server::auth::{AuthPolicy, ManualClock};
use comptoir_tests::{TestServer, TestServerBuilder};

/// `comptoir-server`'s binary, as this package builds it.
pub const SERVER_BIN: &str = env!("CARGO_BIN_EXE_comptoir-sync-server");

/// Pushes one mutation to `company` at `url` with the access token `token`, over plain
/// HTTP (for servers run as processes); returns its outcome.
pub async fn push_one(
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
pub fn empty_server() -> (TestServer, Arc<ManualClock>) {
    empty_server_with(AuthPolicy::default(), Limits::default())
}

/// [`empty_server`] with its own failed-login policy and limits.
pub fn empty_server_with(policy: AuthPolicy, limits: Limits) -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()));
    let server = builder().empty().clock(clock.clone()).policy(policy).limits(limits).start().unwrap();
    (server, clock)
}

/// A test server of the backend this binary tests ([`crate::BACKEND`]): say what differs,
/// then `start`.
pub fn builder() -> TestServerBuilder {
    TestServer::builder().backend(crate::BACKEND)
}

/// A fresh storage place of this binary's backend: a folder and, on PostgreSQL, a new
/// database.
pub fn place() -> comptoir_tests::StoragePlace {
    crate::BACKEND.place().unwrap()
}

/// Every byte SQLite holds for the database: the file and its write-ahead log.
pub fn sqlite_bytes(dir: &std::path::Path) -> Vec<u8> {
    ["server.sqlite", "server.sqlite-wal"]
        .iter()
        .filter_map(|name| std::fs::read(dir.join(name)).ok())
        .flatten()
        .collect()
}

/// The instances a test spreads its clients over: on PostgreSQL `server` and a second
/// instance on the same database ([`TestServer::instance`]); on SQLite, whose files one
/// process serves, `server` alone.
pub fn instances(server: TestServer) -> Vec<Arc<TestServer>> {
    match crate::BACKEND {
        comptoir_tests::Backend::Sqlite => vec![Arc::new(server)],
        comptoir_tests::Backend::Postgres => {
            let second = server.instance().unwrap();
            vec![Arc::new(server), Arc::new(second)]
        }
    }
}
