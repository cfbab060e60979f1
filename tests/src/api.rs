//! Talking to a [`TestServer`] over real HTTP as the API tests do: a JSON body and a
//! bearer token in, the status and the JSON answer out.

#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test helpers: a transport failure is the test's failure report"
)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::TestServer;

/// The password the API tests give the accounts they create.
pub const PASSWORD: &str = "un mot de passe solide";

/// The stable code of an error answer (`{"error": {"code", "message"}}`).
///
/// # Panics
///
/// When `body` is not an error answer.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

impl TestServer {
    /// The HTTP client the helpers below send with (one per server, made on first use).
    pub fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| match self.fingerprint() {
            // A host on the local network: its certificate pinned, as a device does.
            Some(pin) => comptoir_core::lan::client_config(pin)
                .ok()
                .and_then(|tls| reqwest::Client::builder().tls_backend_preconfigured(tls).build().ok())
                .unwrap_or_default(),
            None => reqwest::Client::new(),
        })
    }

    /// Sends `method path` with `body` as JSON and `token` as the bearer; the status and
    /// the answer's JSON (`null` when it has no body).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self.http().request(method, format!("{}{path}", self.url));
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
        self.send(Method::POST, path, Some(body), token).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(Method::GET, path, None, token).await
    }

    /// The password step of signing in.
    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post("/v1/auth/login", json!({"email": email, "password": password}), None).await
    }

    /// Signs in an account without two-factor and returns its tokens.
    ///
    /// # Panics
    ///
    /// When the sign-in does not succeed at once (a test failure).
    pub async fn signed_in(&self, email: &str, password: &str) -> Value {
        let (status, body) = self.login(email, password).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "signed_in");
        body
    }
}
