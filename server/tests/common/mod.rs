//! What the API tests share: the real server on a loopback port of its own, with its own
//! temp dir and a manual clock, and small helpers to talk to it; and the server as a real
//! process, for the tests that kill it or run admin commands beside it.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]
#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use comptoir_server::auth::{AuthPolicy, ManualClock};
use comptoir_server::storage::SqliteStorage;
use comptoir_server::{AppState, Limits};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct Server {
    pub url: String,
    pub clock: Arc<ManualClock>,
    pub storage: Arc<SqliteStorage>,
    pub http: reqwest::Client,
    /// The public key the server signs audit heads with.
    pub audit_key: String,
    pub dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(AuthPolicy::default(), Limits::default()).await
    }

    /// A server with its own failed-login policy and limits.
    pub async fn start_with(policy: AuthPolicy, limits: Limits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::open(dir.path()).unwrap());
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()));
        let audit_signer = Arc::new(comptoir_core::audit::AuditSigner::generate().unwrap().0);
        let state = AppState {
            policy,
            ..AppState::new(storage.clone(), clock.clone(), audit_signer.clone()).with_limits(limits)
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(comptoir_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let audit_key = audit_signer.public_key().to_owned();
        Self { url, clock, storage, http: reqwest::Client::new(), audit_key, dir, _stop: stop }
    }

    /// The folder the server keeps its files in.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn now(&self) -> DateTime<Utc> {
        comptoir_server::auth::Clock::now(self.clock.as_ref())
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body), token).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None, token).await
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post("/v1/auth/login", json!({"email": email, "password": password}), None).await
    }

    /// Signs in a user without two-factor and returns the tokens.
    pub async fn signed_in(&self, email: &str, password: &str) -> Value {
        let (status, body) = self.login(email, password).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "signed_in");
        body
    }
}

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The code an authenticator app shows at `at`, computed here from the secret.
pub fn totp_code(secret: &str, at: DateTime<Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap()).to_string()
}

pub const PASSWORD: &str = "un mot de passe solide";

/// Starts `comptoir-server serve --data DATA` as a process, on a port of its own, with
/// `env` added to its environment. Returns it, its address, and the rest of its standard
/// output.
pub fn serve_process(
    data: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String, std::io::BufReader<std::process::ChildStdout>) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_comptoir-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line}")).to_owned();
    (child, format!("http://{address}"), stdout)
}
