//! `GET /v1/health`: whether this instance can serve, for load balancers, container
//! health checks and the app's "is this a Comptoir server?" check.
//!
//! It answers `200 ok` only when the storage answers a read: the log state of the nil
//! company, a lookup by primary key that costs the same with ten companies or a million
//! (and finds nothing: no company has the nil id). When the storage fails, or takes longer
//! than [`STORAGE_CHECK_TIMEOUT`], it answers `503 storage_unavailable`, so that a load
//! balancer sends the clients to another instance. The cause goes to the log, once; the
//! answer says nothing of it.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use comptoir_core::model::CompanyId;

use super::AppState;
use crate::error::ApiError;

/// The longest the storage check may take before the instance is called unavailable (a
/// load balancer's probe usually gives up after a few seconds).
pub const STORAGE_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// The `Retry-After` of a `503 storage_unavailable`, in seconds.
const STORAGE_RETRY_AFTER_SECONDS: i64 = 5;

/// What `GET /v1/health` answers.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
}

#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "server",
    description = "Whether this instance can serve: `ok` when its storage answers a read; \
        `503 storage_unavailable` (with `Retry-After`) when the storage fails or is too slow to answer, \
        as well as the 503 answers of any operation.",
    responses((status = 200, description = "The server and its storage answer", body = Health))
)]
pub(super) async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let storage = std::sync::Arc::clone(&state.storage);
    let span = tracing::Span::current();
    let check = tokio::task::spawn_blocking(move || span.in_scope(|| storage.log_state(CompanyId(uuid::Uuid::nil()))));
    let cause = match tokio::time::timeout(STORAGE_CHECK_TIMEOUT, check).await {
        Ok(Ok(Ok(_))) => return Ok(Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })),
        Ok(Ok(Err(error))) => error.to_string(),
        Ok(Err(error)) => format!("the storage check did not end: {error}"),
        Err(_) => format!("the storage did not answer within {STORAGE_CHECK_TIMEOUT:?}"),
    };
    tracing::error!(%cause, "health: the storage is unavailable");
    Err(ApiError {
        retry_after: Some(STORAGE_RETRY_AFTER_SECONDS),
        ..ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "The server cannot reach its database at the moment: try again in a few moments.",
        )
    })
}
