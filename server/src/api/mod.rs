//! The HTTP API under `/v1`.

mod account;
mod accounting;
mod auth;
mod companies;
mod health;
mod limits;
mod moves;
pub(crate) mod pairing;
mod posting_parts;
pub mod request_id;
mod sync;
mod unread_body;

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{AuthPolicy, Clock, token_hash};
use crate::error::{ApiError, ErrorBody};
use crate::storage::{Storage, UserRecord};

pub use account::MIN_PASSWORD_CHARS;
pub use accounting::PostingReceipt;
pub use companies::{AddMember, AddedMember, ChangeRole, Member, MemberView};
pub use comptoir_core::sync::{PasswordChange, TotpChange, TotpSetup};
pub use health::{Health, STORAGE_CHECK_TIMEOUT};
use limits::BusyAnswers;
pub use limits::{AuthAttempt, Guards, Limits};
pub use posting_parts::{PART_LIFETIME, RECORD_BYTES};
pub use sync::{MAX_PULL_LIMIT, MAX_PUSH_BATCH, PullQuery, SnapshotQuery};

/// Bodies larger than this are refused with `413 body_too_large`.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The most of a body too large that the server reads (and drops) before it answers
/// `413`, so that the client can read the answer; beyond, it answers at once.
pub const BODY_DRAIN_LIMIT: u64 = 32 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub policy: AuthPolicy,
    /// How long clients may work offline before their copy turns read-only.
    pub offline_grace_hours: u32,
    /// Signs the head of each company's audit chain; its public key is in the sync status.
    pub audit_signer: Arc<comptoir_core::audit::AuditSigner>,
    /// Rate limits, the in-flight limit and timeout, and the password hashing pool.
    pub guards: Arc<Guards>,
    /// The reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: Arc<crate::client_address::TrustedProxies>,
    /// Set on a computer hosting a company on the local network: `/v1/pair` answers.
    pub hosting: Option<Arc<crate::pairing::Hosting>>,
    /// The company files kept ready for a device's first download (none: every device
    /// downloads page by page).
    pub copies: Option<Arc<crate::sync::copies::Copies>>,
}

impl std::fmt::Debug for dyn Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Storage")
    }
}

impl AppState {
    /// A server's state on `storage` and `clock`, with the default policy and limits.
    pub fn new(
        storage: Arc<dyn Storage>,
        clock: Arc<dyn Clock>,
        audit_signer: Arc<comptoir_core::audit::AuditSigner>,
    ) -> Self {
        Self {
            storage,
            clock,
            policy: AuthPolicy::default(),
            offline_grace_hours: crate::DEFAULT_OFFLINE_GRACE_HOURS,
            audit_signer,
            guards: Arc::new(Guards::default()),
            trusted_proxies: Arc::default(),
            hosting: None,
            copies: None,
        }
    }

    /// The same state serving the company files `copies` keeps.
    #[must_use]
    pub fn with_copies(self, copies: Arc<crate::sync::copies::Copies>) -> Self {
        Self { copies: Some(copies), ..self }
    }

    /// The same state on a host of the local network whose certificate has the
    /// fingerprint `fingerprint`: devices may pair.
    #[must_use]
    pub fn hosting(self, fingerprint: comptoir_core::lan::Fingerprint) -> Self {
        Self { hosting: Some(Arc::new(crate::pairing::Hosting::new(fingerprint))), ..self }
    }

    /// The same state with `limits` in force.
    #[must_use]
    pub fn with_limits(self, limits: Limits) -> Self {
        Self { guards: Arc::new(Guards::new(limits)), ..self }
    }

    /// The same state believing the `X-Forwarded-For` of requests from `proxies`.
    #[must_use]
    pub fn with_trusted_proxies(self, proxies: crate::client_address::TrustedProxies) -> Self {
        Self { trusted_proxies: Arc::new(proxies), ..self }
    }

    /// Runs blocking storage (and hashing) work off the async threads.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Storage) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let storage = Arc::clone(&self.storage);
        // What the work logs names the request it is done for.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| work(storage.as_ref())))
            .await
            .map_err(|e| ApiError::internal(&e))?
    }
}

/// The API's description; its paths and schemas are collected from the handlers'
/// annotations as they are routed, so the document cannot drift from the routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Comptoir sync API",
        description = "Accounts, companies and the change log that Comptoir's desktop app syncs with. \
            Every 4xx answer is JSON: {\"error\": {\"code\", \"message\"}} with a stable code."
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerSecurity)
)]
struct ApiDoc;

/// Declares the bearer token scheme the protected paths refer to.
struct BearerSecurity;

impl utoipa::Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An access token from /v1/auth"))
                    .build(),
            ),
        );
    }
}

/// The routes with their OpenAPI description.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut document) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(auth::login))
        .routes(routes!(auth::login_totp))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(account::account))
        .routes(routes!(account::change_password))
        .routes(routes!(account::totp_setup))
        .routes(routes!(account::totp_enable))
        .routes(routes!(account::totp_disable))
        .routes(routes!(companies::list_members, companies::add_member))
        .routes(routes!(companies::change_role, companies::remove_member))
        .routes(routes!(accounting::post_batch))
        .routes(routes!(posting_parts::stage_part))
        .routes(routes!(posting_parts::commit_posting))
        .routes(routes!(sync::status))
        .routes(routes!(sync::pull))
        .routes(routes!(sync::snapshot))
        .routes(routes!(sync::copy))
        .routes(routes!(sync::push))
        .routes(routes!(moves::move_company))
        .routes(routes!(moves::archive, moves::bring_back))
        .routes(routes!(pairing::claim))
        .routes(routes!(pairing::code_start))
        .routes(routes!(pairing::code_confirm))
        .routes(routes!(pairing::resume))
        .split_for_parts();
    // Once every operation is in: the answers the layers give (bad input, bodies) and
    // those any operation may give under load.
    document_common_answers(&mut document);
    utoipa::Modify::modify(&BusyAnswers, &mut document);
    (routes, document)
}
/// Adds to every operation the answers the layers around the handlers give, where its own
/// annotation does not list them: 400 for a malformed path, query or JSON body, 413 and
/// 415 for a body too large or not JSON, 401 where a token is needed.
fn document_common_answers(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build()
    };
    for (path, item) in &mut document.paths.paths {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let has_input =
                operation.request_body.is_some() || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut answers = Vec::new();
            if has_input {
                answers.push(("400", "Bad request: a path, query or body value that does not parse"));
            }
            if operation.request_body.is_some() {
                answers.push(("413", "The body is larger than the server accepts"));
                answers.push(("415", "The body is not JSON (Content-Type: application/json)"));
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                answers.push(("401", "Not signed in, or the session expired"));
            }
            // A company that moved to another host takes no change here.
            if path.starts_with("/v1/companies/{company}/") && method != "get" {
                answers.push(("409", "The company moved to another host (`company_moved`): read-only here"));
            }
            for (status, description) in answers {
                operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description).into());
            }
        }
    }
}

/// The OpenAPI document of the API, as served at `/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// The API's routes. Serve it with the peer's address as connect info
/// (`into_make_service_with_connect_info::<SocketAddr>`, as [`crate::serve`] does) for
/// the per-address limits to tell clients apart.
pub fn router(state: AppState) -> Router {
    let (routes, document) = documented_routes();
    let document = Arc::new(document);
    let guards = Arc::clone(&state.guards);
    routes
        .route("/v1/openapi.json", get(move || async move { Json(document.as_ref().clone()) }))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_declared_too_large))
        .layer(axum::middleware::from_fn_with_state(guards, limits::guard_requests))
        // A bug must cost one request a 500, never the connection or the process.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_answer))
        // Every answer, the layers' own included, carries the request's id.
        .layer(axum::middleware::from_fn(request_id::with_request_id))
        // An answer given with the body unread closes the connection, and says so.
        .layer(axum::middleware::from_fn(unread_body::close_after_unread_body))
        .with_state(state)
}

/// The answer to a request whose handler panicked: logged, answered as any internal error.
#[allow(clippy::needless_pass_by_value, reason = "the signature CatchPanicLayer calls")]
fn panic_answer(panic: Box<dyn std::any::Any + Send>) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let reason = comptoir_core::panic_reason(panic.as_ref());
    ApiError::internal(&format!("a handler panicked: {reason}")).into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("There is no such endpoint.")
}

/// A JSON body. Every way a body can be wrong ends in a 4xx with a stable code: not JSON,
/// malformed, an unknown field or a wrong type (request types deny unknown fields), or
/// too large.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
            "The body must be JSON, sent with “Content-Type: application/json”.",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request("malformed_json", "The body is not well-formed JSON.")
        }
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and what was expected; it holds no secret.
            ApiError::bad_request("invalid_body", format!("The body does not match the request: {}", e.body_text()))
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("The body is larger than the {} KiB allowed.", BODY_LIMIT / 1024),
    )
}

/// Refuses a body whose declared length is over [`BODY_LIMIT`] with `413 body_too_large`,
/// after reading what the client sends of it (up to [`BODY_DRAIN_LIMIT`]; the request's
/// timeout bounds the time). A server that answers early and closes the connection with
/// the body unread resets it (TCP sends RST over unread data), and the client, still
/// writing, gets "connection reset" instead of the answer.
async fn refuse_declared_too_large(request: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::body::HttpBody as _;
    use axum::response::IntoResponse as _;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    // A company's archive coming back has a limit of its own.
    let limit = if moves::is_archive_upload(&request) { moves::MAX_UPLOAD_BYTES } else { BODY_LIMIT as u64 };
    let Some(declared) = declared.filter(|length| *length > limit) else {
        return next.run(request).await;
    };
    if declared <= BODY_DRAIN_LIMIT {
        let mut body = request.into_body();
        while let Some(Ok(_frame)) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {}
    }
    body_too_large().into_response()
}

/// The signed-in caller, from `Authorization: Bearer <access token>`.
#[derive(Debug)]
pub struct Caller {
    pub user: UserRecord,
    pub session_id: Uuid,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("Sign in first: this request needs an access token."))?
            .trim()
            .to_owned();
        let now = state.clock.now();
        state
            .blocking(move |storage| {
                let grant = storage
                    .access_grant(&token_hash(&token), now)?
                    .ok_or_else(|| ApiError::unauthorized("Your session has expired or was closed: sign in again."))?;
                let user = storage
                    .user(grant.user_id)?
                    .ok_or_else(|| ApiError::unauthorized("This account no longer exists."))?;
                Ok(Self { user, session_id: grant.session_id })
            })
            .await
    }
}
