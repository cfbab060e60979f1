//! API errors: every 4xx carries a stable code and a message a person understands; a
//! 5xx says only that something went wrong (the details go to the log, once).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::storage::StorageError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (slowed or locked sign-ins).
    pub retry_after: Option<i64>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None, locked_until: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A failure that is the server's fault: logged here, answered without details.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "An internal error occurred; please try again later.")
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::EmailTaken => {
                Self::new(StatusCode::CONFLICT, "email_taken", "An account with this email already exists.")
            }
            StorageError::NotFound(what) => Self::not_found(format!("The {what} was not found.")),
            StorageError::LastOwner => Self::new(
                StatusCode::CONFLICT,
                "last_owner",
                "A company must keep at least one owner: name another owner first.",
            ),
            StorageError::Moved => Self::new(
                StatusCode::CONFLICT,
                "company_moved",
                "This company moved to another host: it is read-only here.",
            ),
            StorageError::UnstorableText => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_text",
                "A text holds the NUL character (U+0000), which the server cannot store.",
            ),
            StorageError::Conflict(reason) => {
                tracing::warn!(%reason, "a transaction kept conflicting with others");
                let mut error = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_busy",
                    "The server is busy with other changes to the same data: try again in a moment.",
                );
                error.retry_after = Some(1);
                error
            }
            other => Self::internal(&other),
        }
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(error: crate::auth::AuthError) -> Self {
        Self::internal(&error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                retry_after_seconds: self.retry_after,
                locked_until: self.locked_until,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(value) = self.retry_after.and_then(|seconds| seconds.to_string().parse().ok()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_error_says_nothing_of_its_cause() {
        let cause = "disk I/O error at /var/lib/comptoir/server.sqlite (SQLITE_IOERR 10)";
        let response = ApiError::from(StorageError::Backend(cause.into())).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body.error.code, "internal");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("sqlite") && !text.contains("/var/lib"), "{text}");
    }

    #[tokio::test]
    async fn a_client_error_carries_its_code_and_message() {
        let response = ApiError::from(StorageError::LastOwner).into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let body: ErrorBody = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body.error.code, "last_owner");
        assert!(body.error.message.contains("owner"));
    }
}
