//! The HTTP client of the sync protocol: what the engine (and `comptoir sync`) use to
//! talk to the server. Every failure is a typed [`ClientError`] that says what to check.

use std::path::Path;
use std::time::Duration;

use uuid::Uuid;

use super::{
    AccountView, AddMember, AddedMember, ArchiveImported, COPY_EPOCH_HEADER, COPY_SCHEMA_HEADER, COPY_UPTO_HEADER,
    ChangeRole, LoginRequest, LoginResponse, MemberView, MoveAnswer, MoveRequest, Mutation, PasswordChange,
    PushRequest, PushResponse, RawPullPage, RawSnapshotPage, RefreshRequest, SnapshotPosition, SyncStatus, Tokens,
    TotpChange, TotpLogin, TotpSetup,
};
use crate::accounting::{PartReceipt, PostBatch, PostingCommit, PostingPart, PostingReceipt};
use crate::model::{CompanyId, Role, UserId};

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("“{0}” is not a valid server address.")]
    BadUrl(String),
    #[error(
        "“{0}” would carry your password and sign-in tokens unencrypted (http://): only an address of this \
         computer (localhost, 127.0.0.1) may do without encryption. Use the server's https:// address."
    )]
    InsecureUrl(String),
    #[error("The server cannot be reached ({0}): check the network and the server address.")]
    Unreachable(String),
    #[error("The email or the password is wrong.")]
    WrongCredentials,
    #[error("This two-factor code is wrong or has already been used.")]
    WrongCode,
    #[error("The account is locked after too many failed sign-ins; try again later.")]
    Locked,
    #[error("Sign in again: the session has ended.")]
    SignedOut,
    #[error("You are not allowed to do this in this company.")]
    Forbidden,
    #[error("The server's data was rebuilt: download the company again.")]
    StaleEpoch,
    /// Too many requests (`429`) or a busy server (`503`): nothing is wrong with the
    /// request, it should be sent again after `retry_after`, when the server said.
    #[error("The server is busy: {message} ({code}).")]
    Busy { status: u16, code: String, message: String, retry_after: Option<Duration> },
    #[error("The server refused the request: {message} ({code}).")]
    Refused { status: u16, code: String, message: String },
    #[error("The server's answer could not be read ({0}): is this a Comptoir server of a compatible version?")]
    Incompatible(String),
    /// Pairing by typed code: the host's confirmation does not hold.
    #[error(
        "The code is wrong, or another computer answered in the host's place: nothing was sent to it. Ask the \
         host for a new code."
    )]
    PairingNotConfirmed,
}

impl ClientError {
    /// A stable code, like the model's and the server's.
    pub fn code(&self) -> &str {
        match self {
            Self::BadUrl(_) => "bad_server_url",
            Self::InsecureUrl(_) => "insecure_server_url",
            Self::Unreachable(_) => "server_unreachable",
            Self::WrongCredentials => "invalid_credentials",
            Self::WrongCode => "invalid_code",
            Self::Locked => "account_locked",
            Self::SignedOut => "unauthenticated",
            Self::Forbidden => "permission_denied",
            Self::StaleEpoch => "stale_epoch",
            Self::Refused { code, .. } | Self::Busy { code, .. } => code,
            Self::Incompatible(_) => "incompatible_server",
            Self::PairingNotConfirmed => "pairing_not_confirmed",
        }
    }

    /// How long the server asked to be left alone, when it did (a busy answer's
    /// `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Busy { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The wait a `Retry-After` header asks for (RFC 9110 §10.2.3): seconds, or an HTTP date
/// (a date already past asks for no wait). `None` when absent or unreadable.
fn retry_after_of(headers: &reqwest::header::HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let now = chrono::DateTime::<chrono::Utc>::from(now);
    Some((at.with_timezone(&chrono::Utc) - now).to_std().unwrap_or(Duration::ZERO))
}

/// Whether `base` may carry secrets: over https, or over plain http to this computer
/// only (a loopback address, or `localhost`), where nothing crosses a network.
fn check_transport(base: &str) -> Result<(), ClientError> {
    let url = reqwest::Url::parse(base).map_err(|_| ClientError::BadUrl(base.to_owned()))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if loopback { Ok(()) } else { Err(ClientError::InsecureUrl(base.to_owned())) }
        }
        _ => Err(ClientError::BadUrl(base.to_owned())),
    }
}

/// A connection to one server, signed in or not.
///
/// Every request of a client may carry a password or a token, so a client is only made
/// for an https address, or an http one of this computer ([`ClientError::InsecureUrl`]).
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    access_token: Option<String>,
}

/// The name a host of the local network is asked by: its addresses are given to the
/// HTTP client directly, and the pinned verifier ignores names.
const HOST_NAME: &str = "host.comptoir.invalid";

/// How long a company's archive may take to download, whatever its size.
const ARCHIVE_TIMEOUT: Duration = Duration::from_hours(1);

/// The largest company file a first download takes whole (a company of ten million
/// records is about 10 GiB).
pub const MAX_COPY_BYTES: u64 = 64 * 1024 * 1024 * 1024;

/// What the server says of the copy it sends (see [`SyncClient::download_copy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyHeaders {
    pub epoch: Uuid,
    pub upto: u64,
    pub schema_version: u32,
}

/// How much of a copy has come (see [`SyncClient::download_copy`]), read by another
/// task for a progress bar.
#[derive(Debug, Default)]
pub struct CopyBytes {
    pub received: std::sync::atomic::AtomicU64,
    /// What the server said it sends (0 until it has answered).
    pub total: std::sync::atomic::AtomicU64,
    /// Set by whoever no longer wants the copy: the download stops at its next chunk.
    pub stop: std::sync::atomic::AtomicBool,
}

fn http_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_mins(2))
        .user_agent(concat!("comptoir/", env!("CARGO_PKG_VERSION")))
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn from_base64url(text: &str) -> Result<Vec<u8>, ClientError> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| ClientError::Incompatible("a pairing message is not base64url".into()))
}

impl SyncClient {
    /// A client of the server at `base_url`: a server's `https://` address, or a host of
    /// the local network's `comptoir-lan://` address ([`crate::lan::HostAddress`]).
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        if crate::lan::HostAddress::is_host_address(base_url) {
            let host =
                crate::lan::HostAddress::parse(base_url).map_err(|_| ClientError::BadUrl(base_url.to_owned()))?;
            return Self::host(&host);
        }
        let http = http_builder().build().map_err(|e| ClientError::Unreachable(e.to_string()))?;
        Self::with_http(base_url, http)
    }

    /// A client of a host of the local network: its certificate pinned, its addresses
    /// tried in order.
    pub fn host(host: &crate::lan::HostAddress) -> Result<Self, ClientError> {
        let (port, addresses) = host.port_and_addresses();
        let tls = crate::lan::client_config(host.fingerprint).map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let http = http_builder()
            .tls_backend_preconfigured(tls)
            .resolve_to_addrs(HOST_NAME, &addresses)
            .build()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        Self::with_http(&format!("https://{HOST_NAME}:{port}"), http)
    }

    /// Pairs with the host of a pairing `link` (scanned or pasted): the client pinned to
    /// it and signed in as the member invited, and what the host said.
    pub async fn pair_by_link(
        link: &crate::lan::PairingLink,
        device_name: &str,
    ) -> Result<(Self, crate::lan::pairing::Paired), ClientError> {
        let mut client = Self::host(&crate::lan::HostAddress::of_link(link))?;
        let body = crate::lan::pairing::ClaimRequest {
            secret: link.secret.to_base64url(),
            device_name: device_name.to_owned(),
        };
        let paired: crate::lan::pairing::Paired =
            client.send(client.http.post(client.url("/v1/pair/claim")).json(&body)).await?;
        client.access_token = Some(paired.tokens.access_token.clone());
        Ok((client, paired))
    }

    /// Pairs by a typed code and the host's address (see [`crate::lan::pake`]): the
    /// first contact carries the key exchange alone; once the host proved the code and
    /// its certificate, the device confirms and gets its session. Returns the client
    /// pinned to the certificate seen, and the host's address to keep.
    pub async fn pair_by_code(
        typed: &crate::lan::TypedInvitation,
        device_name: &str,
    ) -> Result<(Self, crate::lan::pairing::Paired, crate::lan::HostAddress), ClientError> {
        use crate::lan::pairing::{CodeAnswer, CodeConfirm, CodeStart, Paired};
        let (tls, seen) = crate::lan::first_contact_config().map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let http = http_builder()
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let first = Self::with_http(&format!("https://{}", typed.address), http)?;
        let (exchange, message) = crate::lan::pake::DeviceExchange::start(&typed.code);
        let start = CodeStart { handle: typed.code.handle(), message: base64url(&message) };
        let answer: CodeAnswer = first.send(first.http.post(first.url("/v1/pair/code")).json(&start)).await?;
        let saw = (*seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .ok_or_else(|| ClientError::Incompatible("the host showed no certificate".into()))?;
        let confirmation = exchange
            .finish(&from_base64url(&answer.message)?, &from_base64url(&answer.confirmation)?, &saw)
            .map_err(|_| ClientError::PairingNotConfirmed)?;
        let confirm = CodeConfirm {
            exchange: answer.exchange,
            confirmation: base64url(&confirmation),
            device_name: device_name.to_owned(),
        };
        let paired: Paired = first.send(first.http.post(first.url("/v1/pair/code/confirm")).json(&confirm)).await?;
        let host = crate::lan::HostAddress { fingerprint: saw, addresses: vec![typed.address] };
        let mut client = Self::host(&host)?;
        client.access_token = Some(paired.tokens.access_token.clone());
        Ok((client, paired, host))
    }

    /// A client of a computer hosting a company on the local network, at `base_url`
    /// (`https://IP:port`), trusting only the certificate of fingerprint `pin` (see
    /// [`crate::lan::pin`]): any other certificate ends the connection before a byte of
    /// a request is sent.
    pub fn pinned(base_url: &str, pin: crate::lan::Fingerprint) -> Result<Self, ClientError> {
        if !base_url.trim().starts_with("https://") {
            return Err(ClientError::BadUrl(base_url.to_owned()));
        }
        let tls = crate::lan::client_config(pin).map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let http = http_builder()
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        Self::with_http(base_url, http)
    }

    /// A client that sends through `http` (its timeouts, connection pool and TLS set-up):
    /// for a caller that makes many clients, as building an HTTP client costs
    /// milliseconds.
    pub fn with_http(base_url: &str, http: reqwest::Client) -> Result<Self, ClientError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(ClientError::BadUrl(base_url.to_owned()));
        }
        check_transport(&base)?;
        Ok(Self { http, base, access_token: None })
    }

    pub fn set_access_token(&mut self, token: Option<String>) {
        self.access_token = token;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.access_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, ClientError> {
        let response = self.authorized(request).send().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(|e| ClientError::Incompatible(e.to_string()));
        }
        Err(Self::error_of(response).await)
    }

    /// Sends a request whose success has no body (204 No Content).
    async fn send_empty(&self, request: reqwest::RequestBuilder) -> Result<(), ClientError> {
        let response = self.authorized(request).send().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if response.status().is_success() { Ok(()) } else { Err(Self::error_of(response).await) }
    }

    /// The error an unsuccessful answer stands for, from its status and its body's code.
    async fn error_of(response: reqwest::Response) -> ClientError {
        let status = response.status();
        let retry_after = retry_after_of(response.headers(), std::time::SystemTime::now());
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let code = body["error"]["code"].as_str().unwrap_or_default().to_owned();
        let message = body["error"]["message"].as_str().unwrap_or("no details").to_owned();
        match (status.as_u16(), code.as_str()) {
            (401, "invalid_credentials") => ClientError::WrongCredentials,
            (401, "invalid_code") => ClientError::WrongCode,
            (423, _) => ClientError::Locked,
            (401, _) => ClientError::SignedOut,
            // A wrong current password is the user's to fix, with its reason.
            // A wrong current password, or a role that does not allow the change: the
            // user's to understand, with the server's reason.
            (403, "wrong_password" | "permission_denied") => ClientError::Refused { status: 403, code, message },
            (403, _) => ClientError::Forbidden,
            (409, "stale_epoch") => ClientError::StaleEpoch,
            (404, "") => ClientError::Incompatible("no such endpoint".into()),
            (429 | 503, _) => ClientError::Busy { status: status.as_u16(), code, message, retry_after },
            (status, _) => ClientError::Refused { status, code, message },
        }
    }

    /// A paired device signs in again with the secret it was given at pairing (the host
    /// no longer knows its refresh token: restored from a backup). Keeps the access
    /// token.
    pub async fn resume_device(&mut self, device: Uuid, secret: &str) -> Result<Tokens, ClientError> {
        let body = crate::lan::pairing::ResumeRequest { device_id: device, secret: secret.to_owned() };
        let tokens: Tokens = self.send(self.http.post(self.url("/v1/pair/resume")).json(&body)).await?;
        self.access_token = Some(tokens.access_token.clone());
        Ok(tokens)
    }

    /// The password step. Keeps the access token when signed in.
    pub async fn login(&mut self, email: &str, password: &str) -> Result<LoginResponse, ClientError> {
        let body = LoginRequest { email: email.to_owned(), password: password.to_owned() };
        let response: LoginResponse = self.send(self.http.post(self.url("/v1/auth/login")).json(&body)).await?;
        if let LoginResponse::SignedIn(tokens) = &response {
            self.access_token = Some(tokens.access_token.clone());
        }
        Ok(response)
    }

    /// The two-factor step.
    pub async fn login_totp(&mut self, challenge: &str, code: &str) -> Result<Tokens, ClientError> {
        let body = TotpLogin { challenge: challenge.to_owned(), code: code.to_owned() };
        let tokens: Tokens = self.send(self.http.post(self.url("/v1/auth/totp")).json(&body)).await?;
        self.access_token = Some(tokens.access_token.clone());
        Ok(tokens)
    }

    /// A new access token (and a new refresh token: the old one is spent).
    pub async fn refresh(&mut self, refresh_token: &str) -> Result<Tokens, ClientError> {
        let body = RefreshRequest { refresh_token: refresh_token.to_owned() };
        let tokens: Tokens = self.send(self.http.post(self.url("/v1/auth/refresh")).json(&body)).await?;
        self.access_token = Some(tokens.access_token.clone());
        Ok(tokens)
    }

    /// Ends the session on the server; the tokens stop working.
    pub async fn logout(&mut self) -> Result<(), ClientError> {
        let response = self
            .authorized(self.http.post(self.url("/v1/auth/logout")))
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        self.access_token = None;
        match response.status().as_u16() {
            200..=299 | 401 => Ok(()),
            status => Err(ClientError::Refused { status, code: String::new(), message: "sign-out failed".into() }),
        }
    }

    /// Checks that a Comptoir server answers at this address.
    pub async fn check(&self) -> Result<(), ClientError> {
        #[derive(serde::Deserialize)]
        struct Health {
            status: String,
        }
        let health: Health = self.send(self.http.get(self.url("/v1/health"))).await?;
        if health.status == "ok" {
            Ok(())
        } else {
            Err(ClientError::Incompatible(format!("health: {}", health.status)))
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Changes the signed-in user's password; the server closes their other sessions.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), ClientError> {
        let body = PasswordChange { current_password: current.to_owned(), new_password: new.to_owned() };
        self.send_empty(self.http.post(self.url("/v1/account/password")).json(&body)).await
    }

    /// Starts turning two-factor on: a new secret, to confirm with a code.
    pub async fn totp_setup(&self) -> Result<TotpSetup, ClientError> {
        self.send(self.http.post(self.url("/v1/account/totp/setup"))).await
    }

    /// Turns two-factor on: the account's password, and a code of the device set up.
    pub async fn totp_enable(&self, current_password: &str, code: &str) -> Result<(), ClientError> {
        let body = TotpChange { current_password: current_password.to_owned(), code: code.to_owned() };
        self.send_empty(self.http.post(self.url("/v1/account/totp/enable")).json(&body)).await
    }

    /// Turns two-factor off: the account's password, and a current code.
    pub async fn totp_disable(&self, current_password: &str, code: &str) -> Result<(), ClientError> {
        let body = TotpChange { current_password: current_password.to_owned(), code: code.to_owned() };
        self.send_empty(self.http.post(self.url("/v1/account/totp/disable")).json(&body)).await
    }

    pub async fn account(&self) -> Result<AccountView, ClientError> {
        self.send(self.http.get(self.url("/v1/account"))).await
    }

    /// Marks a batch of accounting entries posted.
    pub async fn post_batch(&self, company: CompanyId, batch: &PostBatch) -> Result<PostingReceipt, ClientError> {
        self.send(self.http.post(self.url(&format!("/v1/companies/{company}/accounting/postings"))).json(batch)).await
    }

    /// Stages part `part` of the posting `posting` (see [`PostingPart`]).
    pub async fn post_part(
        &self,
        company: CompanyId,
        posting: Uuid,
        part: u32,
        body: &PostingPart,
    ) -> Result<PartReceipt, ClientError> {
        let url = self.url(&format!("/v1/companies/{company}/accounting/postings/{posting}/parts/{part}"));
        self.send(self.http.put(url).json(body)).await
    }

    /// Posts the parts `1..=parts` staged for `posting`, all together.
    pub async fn commit_posting(
        &self,
        company: CompanyId,
        posting: Uuid,
        parts: u32,
    ) -> Result<PostingReceipt, ClientError> {
        let url = self.url(&format!("/v1/companies/{company}/accounting/postings/{posting}/commit"));
        self.send(self.http.post(url).json(&PostingCommit { parts })).await
    }

    /// The company's members and their roles.
    pub async fn members(&self, company: CompanyId) -> Result<Vec<MemberView>, ClientError> {
        self.send(self.http.get(self.url(&format!("/v1/companies/{company}/members")))).await
    }

    /// Adds a user by email with `role` (the server creates the account when needed).
    pub async fn add_member(&self, company: CompanyId, request: &AddMember) -> Result<AddedMember, ClientError> {
        self.send(self.http.post(self.url(&format!("/v1/companies/{company}/members"))).json(request)).await
    }

    pub async fn change_role(&self, company: CompanyId, user: UserId, role: Role) -> Result<MemberView, ClientError> {
        let url = self.url(&format!("/v1/companies/{company}/members/{}", user.0));
        self.send(self.http.put(url).json(&ChangeRole { role })).await
    }

    pub async fn remove_member(&self, company: CompanyId, user: UserId) -> Result<(), ClientError> {
        self.send_empty(self.http.delete(self.url(&format!("/v1/companies/{company}/members/{}", user.0)))).await
    }

    /// Freezes `company` on this server before it moves to another host (owners only).
    pub async fn move_company(&self, company: CompanyId, to: &str) -> Result<MoveAnswer, ClientError> {
        let body = MoveRequest { to: to.to_owned() };
        self.send(self.http.post(self.url(&format!("/v1/companies/{company}/move"))).json(&body)).await
    }

    /// Writes the archive of `company`, which moved away, to `out` as it arrives; returns
    /// its bytes. A cut download leaves an archive without its end line, which an import
    /// refuses.
    pub async fn download_archive(
        &self,
        company: CompanyId,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, ClientError> {
        let request = self.http.get(self.url(&format!("/v1/companies/{company}/archive"))).timeout(ARCHIVE_TIMEOUT);
        let mut response =
            self.authorized(request).send().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(Self::error_of(response).await);
        }
        let mut bytes = 0_u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| ClientError::Unreachable(e.to_string()))? {
            out.write_all(&chunk).map_err(|e| ClientError::Incompatible(format!("cannot write the archive: {e}")))?;
            bytes += chunk.len() as u64;
        }
        out.flush().map_err(|e| ClientError::Incompatible(format!("cannot write the archive: {e}")))?;
        Ok(bytes)
    }

    /// Writes the company file the server keeps ready for a first download (see
    /// [`crate::store::adopt_copy`], which checks it), of schema version `schema`, to
    /// `out`, a new file, as it arrives; `None` when the server has none ready of that
    /// schema (`404`: a server that keeps none, or of another version), and then `out` is
    /// not created. A body longer than it said, or than [`MAX_COPY_BYTES`], is cut and
    /// refused, and so is one whose `Content-Length` is over that. `bytes` counts what has
    /// come; its `stop` cuts the download short (an error).
    pub async fn download_copy(
        &self,
        company: CompanyId,
        out: &Path,
        schema: u32,
        bytes: &CopyBytes,
    ) -> Result<Option<CopyHeaders>, ClientError> {
        use std::sync::atomic::Ordering;
        let url = self.url(&format!("/v1/companies/{company}/sync/copy?schema={schema}"));
        let request = self.http.get(url).timeout(ARCHIVE_TIMEOUT);
        let mut response =
            self.authorized(request).send().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(Self::error_of(response).await);
        }
        let header = |name: &str| -> Result<String, ClientError> {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| ClientError::Incompatible(format!("the copy came without its {name} header")))
        };
        let bad = |name: &str| ClientError::Incompatible(format!("the copy's {name} header is not valid"));
        let headers = CopyHeaders {
            epoch: header(COPY_EPOCH_HEADER)?.parse().map_err(|_| bad(COPY_EPOCH_HEADER))?,
            upto: header(COPY_UPTO_HEADER)?.parse().map_err(|_| bad(COPY_UPTO_HEADER))?,
            schema_version: header(COPY_SCHEMA_HEADER)?.parse().map_err(|_| bad(COPY_SCHEMA_HEADER))?,
        };
        let said = response.content_length().unwrap_or(MAX_COPY_BYTES);
        if said > MAX_COPY_BYTES {
            return Err(ClientError::Incompatible(format!(
                "a copy of {said} bytes is over the {MAX_COPY_BYTES} taken"
            )));
        }
        bytes.total.store(said, Ordering::Relaxed);
        let write_error = |e: std::io::Error| ClientError::Incompatible(format!("cannot write the copy: {e}"));
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(out).map_err(write_error)?;
        let mut written = 0_u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| ClientError::Unreachable(e.to_string()))? {
            if bytes.stop.load(Ordering::Relaxed) {
                return Err(ClientError::Unreachable("the copy was no longer wanted".into()));
            }
            written = written.saturating_add(chunk.len() as u64);
            if written > said {
                return Err(ClientError::Incompatible(format!("the copy is longer than the {said} bytes it said")));
            }
            std::io::Write::write_all(&mut file, &chunk).map_err(write_error)?;
            bytes.received.store(written, Ordering::Relaxed);
        }
        file.sync_all().map_err(write_error)?;
        Ok(Some(headers))
    }

    /// Sends back to this server the archive in `file` of `company`, which moved away
    /// from it: it is hosted here again, in a new epoch. The file streams as it is read.
    pub async fn upload_archive(
        &self,
        company: CompanyId,
        file: std::fs::File,
    ) -> Result<ArchiveImported, ClientError> {
        const CHUNK: usize = 256 * 1024;
        let chunks = futures_util::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let read = tokio::task::spawn_blocking(move || {
                let mut chunk = vec![0_u8; CHUNK];
                let read = std::io::Read::read(&mut file, &mut chunk)?;
                chunk.truncate(read);
                Ok::<_, std::io::Error>((chunk, file))
            })
            .await
            .map_err(std::io::Error::other);
            match read {
                Ok(Ok((chunk, _))) if chunk.is_empty() => None,
                Ok(Ok((chunk, file))) => Some((Ok(chunk), Some(file))),
                Ok(Err(e)) | Err(e) => Some((Err(e), None)),
            }
        });
        let url = self.url(&format!("/v1/companies/{company}/archive"));
        let request = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .timeout(ARCHIVE_TIMEOUT)
            .body(reqwest::Body::wrap_stream(chunks));
        self.send(request).await
    }

    pub async fn status(&self, company: CompanyId) -> Result<SyncStatus, ClientError> {
        self.send(self.http.get(self.url(&format!("/v1/companies/{company}/sync/status")))).await
    }

    /// A page of changes after `after` (in `epoch` when the copy has one).
    pub async fn pull(
        &self,
        company: CompanyId,
        after: u64,
        epoch: Option<Uuid>,
        limit: u32,
        counts: bool,
    ) -> Result<RawPullPage, ClientError> {
        let epoch = epoch.map(|e| format!("&epoch={e}")).unwrap_or_default();
        let url = format!("/v1/companies/{company}/sync/pull?after={after}&limit={limit}&counts={counts}{epoch}");
        self.send(self.http.get(self.url(&url))).await
    }

    /// A page of the company's snapshot (see [`SnapshotPage`]): the first one when `from`
    /// is `None` (the snapshot's epoch and `upto` then come with it), else the one at the
    /// position the previous page gave, in that epoch and `upto`.
    pub async fn snapshot(
        &self,
        company: CompanyId,
        from: Option<(Uuid, u64, SnapshotPosition)>,
        limit: u32,
        counts: bool,
    ) -> Result<RawSnapshotPage, ClientError> {
        let at = from.map_or_else(String::new, |(epoch, upto, position)| {
            let before = position.before.map(|b| format!("&before={b}")).unwrap_or_default();
            format!("&epoch={epoch}&upto={upto}&kind={}{before}", position.kind.as_str())
        });
        let url = format!("/v1/companies/{company}/sync/snapshot?limit={limit}&counts={counts}{at}");
        self.send(self.http.get(self.url(&url))).await
    }

    pub async fn push(&self, company: CompanyId, mutations: Vec<Mutation>) -> Result<PushResponse, ClientError> {
        let body = PushRequest { mutations };
        self.send(self.http.post(self.url(&format!("/v1/companies/{company}/sync/push"))).json(&body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_travel_over_https_or_stay_on_this_computer() {
        for allowed in [
            "https://sync.comptoir.app",
            "https://192.168.1.10:8640",
            "http://127.0.0.1:8640",
            "http://127.0.0.2:40123/",
            "http://localhost:8640",
            "http://LOCALHOST:8640",
            "http://[::1]:8640",
        ] {
            assert!(SyncClient::new(allowed).is_ok(), "{allowed}");
        }
        for refused in [
            "http://sync.comptoir.app",
            "http://192.168.1.10:8640",
            "http://10.0.0.1",
            "http://[2001:db8::1]:8640",
            // Tricks that look like this computer and are not.
            "http://127.0.0.1.example.com",
            "http://127.0.0.1@sync.example.com",
            "http://localhost.example.com",
            "http://[::ffff:192.168.1.10]",
        ] {
            let error = SyncClient::new(refused).unwrap_err();
            assert!(matches!(error, ClientError::InsecureUrl(_)), "{refused}: {error:?}");
            assert_eq!(error.code(), "insecure_server_url");
            assert!(error.to_string().contains("https://"), "says what to do: {error}");
        }
        assert!(matches!(SyncClient::new("ftp://sync.comptoir.app"), Err(ClientError::BadUrl(_))));
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
        let now = std::time::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
            retry_after_of(&headers, now)
        };
        assert_eq!(with("120"), Some(Duration::from_mins(2)));
        assert_eq!(with("Sun, 06 Nov 1994 08:50:07 GMT"), Some(Duration::from_secs(30)));
        assert_eq!(with("Sun, 06 Nov 1994 08:00:00 GMT"), Some(Duration::ZERO), "a date past asks for no wait");
        assert_eq!(with("soon"), None);
        assert_eq!(with("-5"), None);
        assert_eq!(retry_after_of(&HeaderMap::new(), now), None);
    }
}
