//! The Comptoir sync server. For now it answers `GET /v1/health`; accounts, companies,
//! the change log and the audit chain come with the sync-server issue.

use axum::{Json, Router, routing::get};
use serde::Serialize;

/// What `GET /v1/health` answers.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// The HTTP API.
pub fn router() -> Router {
    Router::new().route("/v1/health", get(health))
}

async fn health() -> Json<Health> {
    Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router()).with_graceful_shutdown(shutdown).await
}
