//! What operators and load balancers see of a server: `/v1/health`, which checks the
//! storage; request ids; and the logs as JSON lines, which name each request and never
//! carry a secret.

use std::process::Stdio;

use comptoir_server::admin;
use comptoir_tests::api::{PASSWORD, code};
use comptoir_tests::{process, totp_code};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::SERVER_BIN;

/// Renames the `logs` table of the server's database behind its back (and back again):
/// a storage that fails every read of a company's log.
fn rename_logs(server: &comptoir_tests::TestServer, from: &str, to: &str) {
    let rename = format!("ALTER TABLE {from} RENAME TO {to}");
    match server.database() {
        None => {
            let conn = rusqlite::Connection::open(server.data_dir().join("server.sqlite")).unwrap();
            conn.execute_batch(&rename).unwrap();
        }
        Some(url) => {
            let url = url.to_owned();
            std::thread::spawn(move || {
                postgres::Client::connect(&url, postgres::NoTls).unwrap().batch_execute(&rename).unwrap();
            })
            .join()
            .unwrap();
        }
    }
}

#[tokio::test]
async fn health_answers_503_while_the_storage_fails() {
    let (server, _) = crate::empty_server();
    let (status, body) = server.get("/v1/health", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

    rename_logs(&server, "logs", "logs_elsewhere");
    let (status, body) = server.get("/v1/health", None).await;
    assert_eq!((status, code(&body)), (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"), "{body}");
    assert_eq!(body["error"]["retry_after_seconds"], 5);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("database"), "{message}");
    assert!(!message.contains("logs") && !message.contains("sqlite"), "the cause stays in the log: {message}");

    // Healthy again as soon as the storage is.
    rename_logs(&server, "logs_elsewhere", "logs");
    let (status, body) = server.get("/v1/health", None).await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ok")));
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let (server, _) = crate::empty_server();
    let get = |path: &'static str, id: Option<&'static str>| {
        let mut request = server.http().get(format!("{}{path}", server.url));
        if let Some(id) = id {
            request = request.header("X-Request-Id", id);
        }
        async move {
            let response = request.send().await.unwrap();
            let id = response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned());
            (response.status(), id.unwrap())
        }
    };
    // A short safe token given by the client (or its proxy) is kept.
    assert_eq!(get("/v1/health", Some("lb-7f3a.42_x")).await, (StatusCode::OK, "lb-7f3a.42_x".to_owned()));
    assert_eq!(get("/v1/nothing-here", Some("abc")).await, (StatusCode::NOT_FOUND, "abc".to_owned()));
    // Otherwise a new UUID, different each time: none given, too long, or unsafe characters.
    let long = "a".repeat(65);
    let mut made = Vec::new();
    for given in [None, Some(long.as_str()), Some("a b"), Some("x\"}{"), Some("é"), Some("")] {
        let mut request = server.http().get(format!("{}/v1/health", server.url));
        if let Some(given) = given {
            request = request.header("X-Request-Id", given.as_bytes());
        }
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{given:?} gave {id}");
        made.push(id);
    }
    made.sort();
    made.dedup();
    assert_eq!(made.len(), 6);
    // An answer the layers give (an unauthenticated request) has one too.
    let (status, id) = get("/v1/account", Some("no-token")).await;
    assert_eq!((status, id.as_str()), (StatusCode::UNAUTHORIZED, "no-token"));
}

/// Posts `body` to `url`, with the request id `id` and the access token `token`.
async fn post(http: &reqwest::Client, url: &str, id: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = http.post(url).header("X-Request-Id", id).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], id);
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn json_logs_name_each_request_and_carry_no_secret() {
    let data = crate::place();
    let email = "claire@atelier.fr";
    admin::create_user(data.open().unwrap().as_ref(), email, PASSWORD, "Claire").unwrap();
    let log_path = data.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let database = data.env();
    let mut env = vec![("RUST_LOG", "info")];
    env.extend(database.iter().map(|(key, value)| (*key, value.as_str())));
    let mut server = process::serve_with(SERVER_BIN, data.path(), &["--log-format", "json"], &env, log).unwrap();
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.url);

    // A wrong password, then the right one, a refresh, two-factor on, a sign-in with a
    // code, a password change: every secret the API takes or gives.
    let wrong = "pas-le-bon-mot-de-passe";
    let (status, _) =
        post(&http, &url("/v1/auth/login"), "t-wrong", json!({"email": email, "password": wrong}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, tokens) =
        post(&http, &url("/v1/auth/login"), "t-login", json!({"email": email, "password": PASSWORD}), None).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (access, refresh) = (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    let (status, renewed) =
        post(&http, &url("/v1/auth/refresh"), "t-refresh", json!({"refresh_token": refresh}), None).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let access2 = renewed["access_token"].as_str().unwrap();
    let refresh2 = renewed["refresh_token"].as_str().unwrap();
    let (status, setup) = post(&http, &url("/v1/account/totp/setup"), "t-setup", json!({}), Some(access2)).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap();
    let now = chrono::Utc::now();
    let enable_code = totp_code(secret, now).unwrap();
    let (status, body) = post(
        &http,
        &url("/v1/account/totp/enable"),
        "t-enable",
        json!({"current_password": PASSWORD, "code": enable_code}),
        Some(access2),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, step) =
        post(&http, &url("/v1/auth/login"), "t-login2", json!({"email": email, "password": PASSWORD}), None).await;
    assert_eq!((status, &step["status"]), (StatusCode::OK, &json!("totp_required")), "{step}");
    let challenge = step["challenge"].as_str().unwrap();
    // The next step's code (the server allows one step of drift; the one above is spent).
    let login_code = totp_code(secret, now + chrono::Duration::seconds(30)).unwrap();
    let (status, signed) =
        post(&http, &url("/v1/auth/totp"), "t-totp", json!({"challenge": challenge, "code": login_code}), None).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    let access3 = signed["access_token"].as_str().unwrap();
    let new_password = "un-tout-nouveau-mot-de-passe-42";
    let (status, body) = post(
        &http,
        &url("/v1/account/password"),
        "t-password",
        json!({"current_password": PASSWORD, "new_password": new_password}),
        Some(access3),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");

    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();

    // JSON lines, each request's under its id.
    let lines: Vec<Value> = log.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert!(lines.iter().any(|line| line["message"] == "serving"), "{log}");
    for id in ["t-wrong", "t-login", "t-refresh", "t-setup", "t-enable", "t-login2", "t-totp", "t-password"] {
        let answered = lines
            .iter()
            .find(|line| line["span"]["request_id"] == id && line["message"] == "answered")
            .unwrap_or_else(|| panic!("no line answers {id}: {log}"));
        assert_eq!(answered["target"], "comptoir_server::access");
        assert!(answered["status"].as_u64().is_some() && answered["ms"].as_u64().is_some(), "{answered}");
        assert!(answered["span"]["path"].as_str().unwrap().starts_with("/v1/"), "{answered}");
    }
    let failed = lines.iter().find(|line| line["message"] == "failed sign-in").unwrap();
    assert_eq!(failed["span"]["request_id"], "t-wrong", "what a handler logs names its request");

    let secrets = [
        PASSWORD,
        wrong,
        new_password,
        access,
        refresh,
        access2,
        refresh2,
        access3,
        secret,
        challenge,
        &enable_code,
        &login_code,
    ];
    assert_no_secret(&lines, &secrets, &log);
}

/// No secret in the log's `lines`: passwords, tokens, the two-factor secret and codes, the
/// challenge, headers. (Timestamps are left out of the search: their digits could match
/// a code.)
fn assert_no_secret(lines: &[Value], secrets: &[&str], log: &str) {
    let searched: String = lines
        .iter()
        .map(|line| {
            let mut line = line.clone();
            line.as_object_mut().unwrap().remove("timestamp");
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    for secret in secrets {
        assert!(!searched.contains(secret), "the log holds the secret {secret:?}: {log}");
    }
    let lower = searched.to_lowercase();
    assert!(!lower.contains("bearer") && !lower.contains("authorization"), "{log}");
}

#[test]
fn the_log_format_comes_from_the_environment_too() {
    let data = crate::place();
    let admin = |format: Option<&str>| {
        let mut command = std::process::Command::new(SERVER_BIN);
        command.args(["admin", "create-company", "--name", "Atelier", "--country", "FR", "--data"]).arg(data.path());
        command.envs(data.env());
        command.env("RUST_LOG", "info").env_remove("COMPTOIR_LOG_FORMAT").stdout(Stdio::null());
        if let Some(format) = format {
            command.env("COMPTOIR_LOG_FORMAT", format);
        }
        command.output().unwrap()
    };
    // The first command makes the data folder's keys and says so.
    let out = admin(Some("json"));
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<Value> = stderr.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert!(lines.iter().any(|line| line["level"] == "INFO"), "{stderr}");
    // An unknown format is refused before anything is done.
    let out = admin(Some("xml"));
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("not a log format"), "{stderr}");
}
