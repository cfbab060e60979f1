//! Sign-in, tokens, two-factor and the account, over real HTTP (see `comptoir_tests::api`).

use chrono::Duration;
use comptoir_server::admin;
use comptoir_server::auth::AuthPolicy;
use comptoir_tests::api::{PASSWORD, code};
use comptoir_tests::totp_code;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_answers() {
    let (server, _) = crate::empty_server();
    let (status, body) = server.get("/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, body) = server.get("/v1/nothing-here", None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn sign_in_read_account_and_sign_out() {
    let (server, _) = crate::empty_server();
    let user = admin::create_user(server.storage().as_ref(), "Claire@Atelier.fr", PASSWORD, "Claire").unwrap();
    let company = admin::create_company(server.storage().as_ref(), "Atelier Lumière", "FR").unwrap();
    admin::add_member(server.storage().as_ref(), company, "claire@atelier.fr", comptoir_core::model::Role::Owner)
        .unwrap();

    let tokens = server.signed_in("claire@atelier.fr", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["user_id"], user.0.to_string());
    let (status, account) = server.get("/v1/account", Some(access)).await;
    assert_eq!(status, StatusCode::OK, "{account}");
    assert_eq!(account["email"], "claire@atelier.fr");
    assert_eq!(account["companies"][0]["name"], "Atelier Lumière");
    assert_eq!(account["companies"][0]["role"], "owner");

    // Wrong password and unknown email get the same answer.
    let (status, wrong) = server.login("claire@atelier.fr", "pas le bon mot de passe").await;
    let (status2, unknown) = server.login("nobody@atelier.fr", PASSWORD).await;
    assert_eq!((status, code(&wrong)), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    assert_eq!((status2, code(&unknown)), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    assert_eq!(wrong["error"]["message"], unknown["error"]["message"]);

    let (status, _) = server.get("/v1/account", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.post("/v1/auth/logout", json!({}), Some(access)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server.get("/v1/account", Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (status, body) = server.post("/v1/auth/refresh", json!({"refresh_token": tokens["refresh_token"]}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_refresh_token"), "logout revokes");
}

#[tokio::test]
async fn access_tokens_expire_and_refresh_tokens_rotate() {
    let (server, clock) = crate::empty_server();
    admin::create_user(server.storage().as_ref(), "marc@garage.be", PASSWORD, "").unwrap();
    let first = server.signed_in("marc@garage.be", PASSWORD).await;
    clock.advance(Duration::minutes(16));
    let (status, _) = server.get("/v1/account", first["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "access tokens live 15 minutes");

    let (status, second) =
        server.post("/v1/auth/refresh", json!({"refresh_token": first["refresh_token"]}), None).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (status, _) = server.get("/v1/account", second["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::OK);

    // The spent refresh token comes back: theft is assumed and the session is closed.
    let (status, body) = server.post("/v1/auth/refresh", json!({"refresh_token": first["refresh_token"]}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "session_revoked"));
    let (status, _) = server.get("/v1/account", second["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.post("/v1/auth/refresh", json!({"refresh_token": second["refresh_token"]}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_factor_set_up_then_required_at_sign_in() {
    let (server, clock) = crate::empty_server();
    admin::create_user(server.storage().as_ref(), "lea@studio.fr", PASSWORD, "Léa").unwrap();
    let tokens = server.signed_in("lea@studio.fr", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();

    let (status, setup) = server.post("/v1/account/totp/setup", json!({}), Some(access)).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Comptoir:lea%40studio.fr?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Comptoir"), "{uri}");

    // Not on until a valid code confirms it, with the account's password: a session
    // token alone (a stolen one, say) cannot put someone else's phone on the account.
    let (_, account) = server.get("/v1/account", Some(access)).await;
    assert_eq!(account["totp_enabled"], false);
    let now = server.now();
    let change = |password: &str, code: &str| json!({"current_password": password, "code": code});
    let (status, body) = server.post("/v1/account/totp/enable", change(PASSWORD, "000000"), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_code"));
    let (status, body) =
        server.post("/v1/account/totp/enable", json!({"code": totp_code(&secret, now).unwrap()}), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_body"), "the password is required");
    let (status, body) = server
        .post(
            "/v1/account/totp/enable",
            change("pas le bon mot de passe", &totp_code(&secret, now).unwrap()),
            Some(access),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "wrong_password"));
    let (_, account) = server.get("/v1/account", Some(access)).await;
    assert_eq!(account["totp_enabled"], false, "refused: nothing changed");
    let (status, _) =
        server.post("/v1/account/totp/enable", change(PASSWORD, &totp_code(&secret, now).unwrap()), Some(access)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The password alone no longer signs in.
    let (status, step) = server.login("lea@studio.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(step["status"], "totp_required");
    let challenge = step["challenge"].as_str().unwrap();
    let (status, body) = server.post("/v1/auth/totp", json!({"challenge": challenge, "code": "123456"}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_code"));
    // The code used to turn two-factor on cannot be used again.
    let reused = totp_code(&secret, now).unwrap();
    let (status, body) = server.post("/v1/auth/totp", json!({"challenge": challenge, "code": reused}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_code"));
    // Thirty seconds later, the next code works.
    clock.advance(Duration::seconds(30));
    let fresh = totp_code(&secret, server.now()).unwrap();
    let (status, signed) = server.post("/v1/auth/totp", json!({"challenge": challenge, "code": fresh}), None).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert!(signed["access_token"].is_string());
    // A challenge serves once.
    clock.advance(Duration::seconds(30));
    let next = totp_code(&secret, server.now()).unwrap();
    let (status, body) = server.post("/v1/auth/totp", json!({"challenge": challenge, "code": next}), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "challenge_expired"));

    // Turning it off needs the password and a current code.
    let access = signed["access_token"].as_str().unwrap();
    let (status, _) = server.post("/v1/account/totp/disable", change(PASSWORD, "111111"), Some(access)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = server.post("/v1/account/totp/disable", json!({"code": next}), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid_body"), "the password is required");
    let (status, body) =
        server.post("/v1/account/totp/disable", change("pas le bon mot de passe", &next), Some(access)).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "wrong_password"));
    let (_, account) = server.get("/v1/account", Some(access)).await;
    assert_eq!(account["totp_enabled"], true, "refused: nothing changed");
    let (status, _) = server.post("/v1/account/totp/disable", change(PASSWORD, &next), Some(access)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    server.signed_in("lea@studio.fr", PASSWORD).await;
}

/// On PostgreSQL the attempts alternate between two instances: the count is the
/// database's, not an instance's.
#[tokio::test]
async fn repeated_failures_slow_down_then_lock_then_unlock() {
    let (server, clock) = crate::empty_server();
    admin::create_user(server.storage().as_ref(), "paul@boulangerie.fr", PASSWORD, "").unwrap();
    let instances = crate::instances(server);
    let (server, other) = (&instances[0], instances.last().unwrap());
    let policy = AuthPolicy::default();
    let wrong = "mauvais mot de passe";
    for attempt in 1..policy.lock_after {
        let (status, body) = instances[attempt as usize % instances.len()].login("paul@boulangerie.fr", wrong).await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "attempt {attempt}");
        if attempt >= policy.slow_down_after {
            let wait = body["error"]["retry_after_seconds"].as_i64().unwrap();
            assert!(wait >= 1, "{body}");
            // Trying again at once is refused without even checking the password.
            let (status, body) = other.login("paul@boulangerie.fr", PASSWORD).await;
            assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
            assert!(body["error"]["message"].as_str().unwrap().contains("wait"));
            clock.advance(Duration::seconds(wait));
        }
    }
    let (status, body) = server.login("paul@boulangerie.fr", wrong).await;
    assert_eq!((status, code(&body)), (StatusCode::LOCKED, "account_locked"));
    assert!(body["error"]["message"].as_str().unwrap().contains("locked until"), "{body}");
    assert!(body["error"]["locked_until"].is_string());
    // Locked: even the right password is refused, and the answer says until when.
    let (status, body) = other.login("paul@boulangerie.fr", PASSWORD).await;
    assert_eq!((status, code(&body)), (StatusCode::LOCKED, "account_locked"));
    clock.advance(Duration::minutes(14));
    let (status, _) = server.login("paul@boulangerie.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::LOCKED);
    clock.advance(Duration::minutes(1));
    server.signed_in("paul@boulangerie.fr", PASSWORD).await;
    // And the count starts again from zero.
    let (status, body) = server.login("paul@boulangerie.fr", wrong).await;
    assert_eq!((status, body["error"]["retry_after_seconds"].clone()), (StatusCode::UNAUTHORIZED, Value::Null));
}

/// On PostgreSQL the phone's session lives on another instance than the laptop's.
#[tokio::test]
async fn changing_the_password_closes_other_sessions() {
    let (server, _) = crate::empty_server();
    admin::create_user(server.storage().as_ref(), "ines@cabinet.fr", PASSWORD, "").unwrap();
    let instances = crate::instances(server);
    let (server, other) = (&instances[0], instances.last().unwrap());
    let laptop = server.signed_in("ines@cabinet.fr", PASSWORD).await;
    let phone = other.signed_in("ines@cabinet.fr", PASSWORD).await;
    let laptop_access = laptop["access_token"].as_str().unwrap();
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let (status, body) = server
        .post("/v1/account/password", change("faux mot de passe", "nouveau mot de passe"), Some(laptop_access))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "wrong_password"));
    let (status, body) = server.post("/v1/account/password", change(PASSWORD, "court"), Some(laptop_access)).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "password_too_short"));
    let (status, _) =
        server.post("/v1/account/password", change(PASSWORD, "nouveau mot de passe"), Some(laptop_access)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _) = server.get("/v1/account", Some(laptop_access)).await;
    assert_eq!(status, StatusCode::OK, "this session stays open");
    let (status, _) = other.get("/v1/account", phone["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the other one is closed");
    let (status, _) = other.post("/v1/auth/refresh", json!({"refresh_token": phone["refresh_token"]}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.login("ines@cabinet.fr", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.signed_in("ines@cabinet.fr", "nouveau mot de passe").await;
}

#[tokio::test]
async fn bad_bodies_get_a_clear_4xx() {
    let (server, _) = crate::empty_server();
    let login = format!("{}/v1/auth/login", server.url);
    let send = |body: String, content_type: Option<&'static str>| {
        let mut request = server.http().post(&login).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let cases = [
        ("{\"email\": ".to_owned(), Some("application/json"), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            json!({"email": "a@b.fr", "password": "x", "admin": true}).to_string(),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"email": 42, "password": "x"}).to_string(),
            Some("application/json"),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (json!({"email": "a@b.fr"}).to_string(), Some("application/json"), StatusCode::BAD_REQUEST, "invalid_body"),
        (
            json!({"email": "a@b.fr", "password": "x"}).to_string(),
            None,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
        ),
        (
            format!("{{\"email\": \"{}\", \"password\": \"x\"}}", "a".repeat(2 * 1024 * 1024)),
            Some("application/json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
    ];
    for (body, content_type, expected_status, expected_code) in cases {
        let (status, answer) = send(body, content_type).await;
        assert_eq!((status, code(&answer)), (expected_status, expected_code), "{answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
    }
    let (_, body) =
        send(json!({"email": "a@b.fr", "password": "x", "admin": true}).to_string(), Some("application/json")).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("admin"), "names the unknown field: {body}");
    // A NUL in the email: no account has it. SQLite finds none; PostgreSQL cannot even
    // look for it (its text holds no NUL) and says so. Never a 500.
    let (status, answer) =
        send(json!({"email": "\u{0}\u{1}", "password": "x"}).to_string(), Some("application/json")).await;
    let expected = match crate::BACKEND {
        comptoir_tests::Backend::Sqlite => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        comptoir_tests::Backend::Postgres => (StatusCode::BAD_REQUEST, "invalid_text"),
    };
    assert_eq!((status, code(&answer)), expected, "{answer}");
}

#[tokio::test]
async fn a_company_keeps_an_owner() {
    let (server, _) = crate::empty_server();
    let storage = server.storage().as_ref();
    let company = admin::create_company(storage, "Studio Brabant", "BE").unwrap();
    let owner = admin::create_user(storage, "owner@studio.be", PASSWORD, "").unwrap();
    let other = admin::create_user(storage, "sales@studio.be", PASSWORD, "").unwrap();
    admin::add_member(storage, company, "owner@studio.be", comptoir_core::model::Role::Owner).unwrap();
    admin::add_member(storage, company, "sales@studio.be", comptoir_core::model::Role::Sales).unwrap();
    let last_owner = |e| matches!(e, comptoir_server::storage::StorageError::LastOwner);
    assert!(last_owner(storage.transaction(&mut |tx| tx.remove_member(company, owner)).unwrap_err()));
    let demoted = storage.transaction(&mut |tx| tx.set_member(company, owner, comptoir_core::model::Role::Admin));
    assert!(last_owner(demoted.unwrap_err()));
    storage.transaction(&mut |tx| tx.set_member(company, other, comptoir_core::model::Role::Owner)).unwrap();
    storage.transaction(&mut |tx| tx.remove_member(company, owner)).unwrap();
    assert_eq!(storage.members(company).unwrap().len(), 1);
    assert!(matches!(
        admin::create_user(storage, "OWNER@studio.be", PASSWORD, "").unwrap_err(),
        admin::AdminError::Storage(comptoir_server::storage::StorageError::EmailTaken)
    ));
}
