//! Sign-in under concurrency and load, over real HTTP (see `comptoir_tests::api`):
//! parallel failures each count, a failed sign-in racing a password change cannot bring
//! the old password back, rate limits and the hashing pool answer with `Retry-After`, and
//! two-factor secrets are sealed with a key kept outside the database (how they sit in
//! SQLite's file: `sqlite_files`).

use std::time::Duration;

use chrono::Duration as Span;
use comptoir_server::admin;
use comptoir_server::auth::AuthPolicy;
use comptoir_server::hashing::HashingLimits;
use comptoir_server::rate_limit::Rate;
use comptoir_server::{Limits, server_key};
use comptoir_tests::api::{PASSWORD, code};
use comptoir_tests::contains_bytes;
use comptoir_tests::{TestServer, totp_code};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// What the database holds, as bytes: on SQLite every byte of its file and write-ahead
/// log; on PostgreSQL every user row as the server stored it (its files are the
/// cluster's, shared with other tests).
fn stored_bytes(server: &TestServer) -> Vec<u8> {
    match server.database() {
        None => crate::sqlite_bytes(server.data_dir()),
        Some(url) => {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                let rows = client.query("SELECT row_to_json(u)::text FROM users u", &[]).unwrap();
                rows.iter().flat_map(|row| row.get::<_, String>(0).into_bytes()).collect()
            })
            .join()
            .unwrap()
        }
    }
}

/// Limits wide enough not to get in the way of a test about something else.
fn wide_limits() -> Limits {
    Limits {
        auth_per_address: Rate { per_minute: 100_000 },
        auth_global: Rate { per_minute: 100_000 },
        hashing: HashingLimits { queue: 1_000, max_wait: Duration::from_mins(2), ..HashingLimits::default() },
        ..Limits::default()
    }
}

/// A policy that locks after exactly `lock_after` failures, with no slowing down before.
fn lock_after(lock_after: u32) -> AuthPolicy {
    AuthPolicy { slow_down_after: lock_after, lock_after, ..AuthPolicy::default() }
}

/// Sends `count` copies of a request at once; their statuses and bodies.
async fn at_once(server: &TestServer, count: usize, path: &str, body: &Value) -> Vec<(StatusCode, Value)> {
    let mut requests = JoinSet::new();
    for _ in 0..count {
        let request = server.http().post(format!("{}{path}", server.url)).json(body);
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        });
    }
    requests.join_all().await
}

fn count_of(answers: &[(StatusCode, Value)], status: StatusCode, error: &str) -> usize {
    answers.iter().filter(|(s, body)| *s == status && code(body) == error).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_parallel_wrong_passwords_each_count_and_lock_the_account() {
    let (server, _) = crate::empty_server_with(lock_after(32), wide_limits());
    let user = admin::create_user(server.storage().as_ref(), "paul@boulangerie.fr", PASSWORD, "").unwrap();

    let wrong = json!({"email": "paul@boulangerie.fr", "password": "mauvais mot de passe"});
    let answers = at_once(&server, 32, "/v1/auth/login", &wrong).await;

    let stored = server.storage().user(user).unwrap().unwrap();
    assert_eq!(stored.failed_logins, 32, "every failure counted: {answers:?}");
    assert!(stored.locked_until.unwrap() > server.now());
    // The 32nd failure locked the account, and said so; the 31 before were plain failures.
    assert_eq!(count_of(&answers, StatusCode::UNAUTHORIZED, "invalid_credentials"), 31, "{answers:?}");
    assert_eq!(count_of(&answers, StatusCode::LOCKED, "account_locked"), 1, "{answers:?}");
    let (status, body) = server.login("paul@boulangerie.fr", PASSWORD).await;
    assert_eq!((status, code(&body)), (StatusCode::LOCKED, "account_locked"), "even the right password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_parallel_wrong_codes_each_count_and_lock_the_account() {
    let (server, _) = crate::empty_server_with(lock_after(32), wide_limits());
    let user = admin::create_user(server.storage().as_ref(), "lea@studio.fr", PASSWORD, "").unwrap();
    let storage = server.storage().as_ref();
    assert!(storage.set_totp_secret(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap());
    assert!(storage.enable_totp(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", None).unwrap());
    let (_, step) = server.login("lea@studio.fr", PASSWORD).await;
    let challenge = step["challenge"].as_str().unwrap();

    let right = totp_code("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", server.now()).unwrap();
    let wrong = if right == "000000" { "000001" } else { "000000" };
    let answers = at_once(&server, 32, "/v1/auth/totp", &json!({"challenge": challenge, "code": wrong})).await;

    assert_eq!(server.storage().user(user).unwrap().unwrap().failed_logins, 32, "{answers:?}");
    assert_eq!(count_of(&answers, StatusCode::LOCKED, "account_locked"), 1, "{answers:?}");
    let (status, body) = server.post("/v1/auth/totp", json!({"challenge": challenge, "code": right}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::LOCKED, "account_locked"), "even the right code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_right_code_sent_twice_at_once_signs_in_once() {
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), wide_limits());
    let user = admin::create_user(server.storage().as_ref(), "lea@studio.fr", PASSWORD, "").unwrap();
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    assert!(server.storage().set_totp_secret(user, secret).unwrap());
    assert!(server.storage().enable_totp(user, secret, None).unwrap());
    let (_, step) = server.login("lea@studio.fr", PASSWORD).await;
    let body = json!({"challenge": step["challenge"], "code": totp_code(secret, server.now()).unwrap()});
    let answers = at_once(&server, 8, "/v1/auth/totp", &body).await;
    let signed_in = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    assert_eq!(signed_in, 1, "a code serves once: {answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_sign_in_racing_a_password_change_leaves_the_new_password_in_force() {
    let never_slowed = AuthPolicy { slow_down_after: 10_000, lock_after: 10_000, ..AuthPolicy::default() };
    let (server, _) = crate::empty_server_with(never_slowed, wide_limits());
    let user = admin::create_user(server.storage().as_ref(), "ines@cabinet.fr", PASSWORD, "").unwrap();
    let mut current = PASSWORD.to_owned();
    let session = server.signed_in("ines@cabinet.fr", &current).await;
    let access = session["access_token"].as_str().unwrap().to_owned();

    for round in 0..8 {
        let new = format!("nouveau mot de passe n° {round}");
        // Wrong passwords read the account before the change lands and count their failure
        // after it: they must not write the old hash back.
        let mut racers = JoinSet::new();
        for _ in 0..6 {
            let request = server
                .http()
                .post(format!("{}/v1/auth/login", server.url))
                .json(&json!({"email": "ines@cabinet.fr", "password": "mauvais mot de passe"}));
            racers.spawn(async move { request.send().await.unwrap().status() });
        }
        let change = json!({"current_password": current, "new_password": new});
        let (status, body) = server.post("/v1/account/password", change, Some(&access)).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "round {round}: {body}");
        for status in racers.join_all().await {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}");
        }

        let (status, _) = server.login("ines@cabinet.fr", &current).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}: the old password no longer signs in");
        server.signed_in("ines@cabinet.fr", &new).await;
        assert!(server.storage().user(user).unwrap().unwrap().failed_logins == 0, "round {round}");
        current = new;
    }
}

#[tokio::test]
async fn two_password_changes_at_once_cannot_both_win() {
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), wide_limits());
    admin::create_user(server.storage().as_ref(), "marc@garage.be", PASSWORD, "").unwrap();
    let session = server.signed_in("marc@garage.be", PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    let change = |new: &str| json!({"current_password": PASSWORD, "new_password": new});
    let (first, second) = tokio::join!(
        server.post("/v1/account/password", change("premier nouveau mot de passe"), Some(access)),
        server.post("/v1/account/password", change("second nouveau mot de passe"), Some(access)),
    );
    let won = [&first, &second].iter().filter(|(status, _)| *status == StatusCode::NO_CONTENT).count();
    assert_eq!(won, 1, "{first:?} {second:?}");
    let loser = if first.0 == StatusCode::NO_CONTENT { &second } else { &first };
    // Refused whether it checked the current password before the other change landed
    // (the change itself is refused) or after (that password is no longer current).
    assert!(
        [(StatusCode::CONFLICT, "password_changed"), (StatusCode::FORBIDDEN, "wrong_password")]
            .contains(&(loser.0, code(&loser.1))),
        "{loser:?}"
    );
    let winner = if first.0 == StatusCode::NO_CONTENT { "premier" } else { "second" };
    server.signed_in("marc@garage.be", &format!("{winner} nouveau mot de passe")).await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let (server, _) = crate::empty_server();
    admin::create_user(server.storage().as_ref(), "ines@cabinet.fr", PASSWORD, "").unwrap();
    let session = server.signed_in("ines@cabinet.fr", PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    let (status, body) =
        server.post("/v1/account/password", json!({"new_password": "nouveau mot de passe"}), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_body"));
    let (status, body) = server
        .post(
            "/v1/account/password",
            json!({"current_password": "", "new_password": "nouveau mot de passe"}),
            Some(access),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "wrong_password"));
    server.signed_in("ines@cabinet.fr", PASSWORD).await;
}

#[tokio::test]
async fn wrong_current_passwords_count_like_failed_sign_ins() {
    // A stolen session must not be a way to guess the password without limit.
    let (server, clock) = crate::empty_server_with(lock_after(3), wide_limits());
    admin::create_user(server.storage().as_ref(), "ines@cabinet.fr", PASSWORD, "").unwrap();
    let session = server.signed_in("ines@cabinet.fr", PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    let guess = |password: &str| json!({"current_password": password, "new_password": "nouveau mot de passe"});
    for attempt in ["essai un", "essai deux"] {
        let (status, body) = server.post("/v1/account/password", guess(attempt), Some(access)).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "wrong_password"));
    }
    let (status, body) = server.post("/v1/account/password", guess("essai trois"), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::LOCKED, "account_locked"));
    let (status, body) = server.post("/v1/account/password", guess(PASSWORD), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::LOCKED, "account_locked"), "locked for this too");
    clock.advance(Span::minutes(16));
    server.signed_in("ines@cabinet.fr", PASSWORD).await;
}

/// The `Retry-After` header of an answer, in seconds.
fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

async fn login_from(server: &TestServer, from: &str) -> reqwest::Response {
    let client = reqwest::Client::builder().local_address(from.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    client
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": "nobody@example.fr", "password": "whatever"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn too_many_sign_ins_from_one_address_get_429_with_retry_after() {
    let limits = Limits { auth_per_address: Rate { per_minute: 5 }, ..wide_limits() };
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), limits);
    for _ in 0..5 {
        assert_eq!(login_from(&server, "127.0.0.1").await.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = login_from(&server, "127.0.0.1").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&refused);
    assert!((1..=12).contains(&wait), "one token every 12 s: {wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(code(&body), "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("this address"), "{body}");
    assert_eq!(body["error"]["retry_after_seconds"].as_u64(), Some(wait));

    // Refresh and the account's changes count too; other requests and other addresses do not.
    let (status, body) = server.post("/v1/auth/refresh", json!({"refresh_token": "x"}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let (status, _) = server.get("/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login_from(&server, "127.0.0.2").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn everyone_together_is_limited_too() {
    let limits =
        Limits { auth_per_address: Rate { per_minute: 3 }, auth_global: Rate { per_minute: 4 }, ..wide_limits() };
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), limits);
    for _ in 0..3 {
        assert_eq!(login_from(&server, "127.0.0.1").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_from(&server, "127.0.0.2").await.status(), StatusCode::UNAUTHORIZED);
    let refused = login_from(&server, "127.0.0.3").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&refused) >= 1);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(code(&body), "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("too many sign-in requests at the moment"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_beyond_the_hashing_queue_gets_503_with_retry_after() {
    let limits =
        Limits { hashing: HashingLimits { parallel: 1, queue: 0, max_wait: Duration::from_mins(1) }, ..wide_limits() };
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), limits);
    let wrong = json!({"email": "nobody@example.fr", "password": "whatever"});
    let mut requests = JoinSet::new();
    for _ in 0..16 {
        let request = server.http().post(format!("{}/v1/auth/login", server.url)).json(&wrong);
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            let wait = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (response.status(), wait, response.json::<Value>().await.unwrap())
        });
    }
    let answers = requests.join_all().await;
    let busy: Vec<_> = answers.iter().filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!busy.is_empty(), "one hash at a time and no queue: most of 16 at once are turned away");
    for (_, wait, body) in &busy {
        assert_eq!(code(body), "server_busy");
        assert!(wait.as_deref().unwrap().parse::<u64>().unwrap() >= 1);
    }
    for (status, _, body) in answers.iter().filter(|(status, ..)| *status != StatusCode::SERVICE_UNAVAILABLE) {
        assert_eq!((*status, code(body)), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    }
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_503_timeout() {
    let limits = Limits { request_timeout: Duration::from_millis(1), ..wide_limits() };
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), limits);
    admin::create_user(server.storage().as_ref(), "paul@boulangerie.fr", PASSWORD, "").unwrap();
    // A password check alone takes longer than a millisecond.
    let response = server
        .http()
        .post(format!("{}/v1/auth/login", server.url))
        .json(&json!({"email": "paul@boulangerie.fr", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after(&response) >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "timeout");
}

#[tokio::test]
async fn too_many_requests_in_flight_get_503_server_busy() {
    // One request at a time, and one password check that holds it: the others are
    // turned away at once instead of queueing.
    let limits = Limits {
        max_in_flight: 1,
        hashing: HashingLimits { parallel: 1, queue: 100, max_wait: Duration::from_mins(1) },
        ..wide_limits()
    };
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), limits);
    let wrong = json!({"email": "nobody@example.fr", "password": "whatever"});
    let answers = at_once(&server, 8, "/v1/auth/login", &wrong).await;
    let busy = count_of(&answers, StatusCode::SERVICE_UNAVAILABLE, "server_busy");
    assert!(busy >= 1, "{answers:?}");
    assert_eq!(busy + count_of(&answers, StatusCode::UNAUTHORIZED, "invalid_credentials"), 8, "{answers:?}");
}

#[tokio::test]
async fn two_factor_secrets_are_not_stored_in_clear() {
    let (server, clock) = crate::empty_server();
    admin::create_user(server.storage().as_ref(), "lea@studio.fr", PASSWORD, "").unwrap();
    let session = server.signed_in("lea@studio.fr", PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    let (_, setup) = server.post("/v1/account/totp/setup", json!({}), Some(access)).await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let enable = json!({"current_password": PASSWORD, "code": totp_code(&secret, server.now()).unwrap()});
    let (status, _) = server.post("/v1/account/totp/enable", enable, Some(access)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let bytes = stored_bytes(&server);
    assert!(contains_bytes(&bytes, "lea@studio.fr"), "the database's bytes are read");
    assert!(!contains_bytes(&bytes, &secret), "the secret is sealed");

    // The key is a file of its own beside the database, owner-only; sign-in still works.
    let key = server.data_dir().join(server_key::KEY_FILE);
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(!contains_bytes(&bytes, key_text.trim()), "the key is not in the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    clock.advance(Span::seconds(30));
    let (_, step) = server.login("lea@studio.fr", PASSWORD).await;
    let body = json!({"challenge": step["challenge"], "code": totp_code(&secret, server.now()).unwrap()});
    let (status, signed) = server.post("/v1/auth/totp", body, None).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
}

#[tokio::test]
async fn the_document_describes_the_limits_answers() {
    let (server, _) = crate::empty_server();
    let (_, doc) = server.get("/v1/openapi.json", None).await;
    for (path, method) in [
        ("/v1/auth/login", "post"),
        ("/v1/auth/totp", "post"),
        ("/v1/auth/refresh", "post"),
        ("/v1/account/password", "post"),
        ("/v1/account/totp/setup", "post"),
        ("/v1/account/totp/enable", "post"),
        ("/v1/account/totp/disable", "post"),
    ] {
        let answer = &doc["paths"][path][method]["responses"]["429"];
        assert!(answer["headers"]["Retry-After"].is_object(), "{method} {path}: {answer}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let busy = &operation["responses"]["503"];
            assert!(busy["headers"]["Retry-After"].is_object(), "{method} {path}: {busy}");
            assert_eq!(busy["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody");
        }
    }
}

#[tokio::test]
async fn the_sync_client_carries_the_servers_wait_when_refused_for_too_many_sign_ins() {
    let limits = Limits { auth_per_address: Rate { per_minute: 3 }, ..wide_limits() };
    let (server, _) = crate::empty_server_with(AuthPolicy::default(), limits);
    let mut client = comptoir_core::sync::SyncClient::new(&server.url).unwrap();
    for _ in 0..3 {
        let error = client.login("nobody@example.fr", "whatever").await.unwrap_err();
        assert!(matches!(error, comptoir_core::sync::ClientError::WrongCredentials), "{error:?}");
    }
    let error = client.login("nobody@example.fr", "whatever").await.unwrap_err();
    let comptoir_core::sync::ClientError::Busy { status, ref code, ref message, retry_after } = error else {
        panic!("a rate-limited sign-in is a busy answer: {error:?}")
    };
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    assert!(message.contains("this address"), "the server's reason: {message}");
    // One token every 20 s: the wait the server asked for, in whole seconds.
    let wait = retry_after.expect("the server's Retry-After");
    assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(20), "{wait:?}");
    assert_eq!(error.retry_after(), Some(wait));
    assert_eq!(error.code(), "rate_limited");
}

/// A sign-in from `from` (a loopback address) carrying `X-Forwarded-For: forwarded`.
async fn login_forwarded(server: &TestServer, from: &str, forwarded: &str) -> StatusCode {
    let client = reqwest::Client::builder().local_address(from.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let request = client.post(format!("{}/v1/auth/login", server.url)).header("x-forwarded-for", forwarded);
    request.json(&json!({"email": "nobody@example.fr", "password": "whatever"})).send().await.unwrap().status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket_and_others_cannot_pick_one() {
    let limits = Limits { auth_per_address: Rate { per_minute: 2 }, ..wide_limits() };
    let proxies = comptoir_server::client_address::TrustedProxies::new(vec!["127.0.0.1".parse().unwrap()]);
    let server = crate::builder().empty().limits(limits).trusted_proxies(proxies).start().unwrap();
    // Through the proxy (127.0.0.1): the client it saw is the right-most entry, whatever
    // the client wrote itself on the left.
    for forged in ["198.51.100.1", "203.0.113.50, 198.51.100.1"] {
        assert_eq!(login_forwarded(&server, "127.0.0.1", forged).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_forwarded(&server, "127.0.0.1", "198.51.100.1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        login_forwarded(&server, "127.0.0.1", "198.51.100.1, 198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged entry on the left changes nothing"
    );
    assert_eq!(login_forwarded(&server, "127.0.0.1", "198.51.100.2").await, StatusCode::UNAUTHORIZED, "another client");
    // A peer that is no trusted proxy is counted by its own address, whatever it forwards.
    for forwarded in ["192.0.2.1", "192.0.2.2"] {
        assert_eq!(login_forwarded(&server, "127.0.0.2", forwarded).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_forwarded(&server, "127.0.0.2", "192.0.2.3").await, StatusCode::TOO_MANY_REQUESTS);
}
