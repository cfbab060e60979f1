//! What keeps one client, or a crowd, from exhausting the server.
//!
//! - Every request: at most `max_in_flight` at once (beyond, `503 server_busy` at once
//!   rather than a queue without end) and at most `request_timeout` each (then
//!   `503 timeout`; work already handed to the storage still finishes, and a push retried
//!   with the same mutation ids is applied once).
//! - Requests that check a password, a code or a refresh token ([`AuthAttempt`]): token
//!   buckets per address and for everyone together (`429 rate_limited`).
//! - Password hashing: a few at a time ([`crate::hashing`], `503 server_busy`).
//! - The parts of postings sent in several requests: a bounded size staged per company
//!   (`413 posting_parts_too_large`).
//!
//! Every refusal is the usual JSON error with a stable code, and a `Retry-After` header.
//! The address is the TCP peer's, or behind a reverse proxy the server trusts, the one it
//! forwarded ([`crate::client_address`]).
//! These are middleware of our own (a tower layer through `axum::middleware`) rather than
//! tower's `ConcurrencyLimit` and tower-http's `Timeout`: those queue without bound or
//! answer an empty 408, where clients need the JSON error and `Retry-After`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use tokio::sync::Semaphore;

use super::AppState;
use crate::error::ApiError;
use crate::hashing::{HashingLimits, HashingPool};
use crate::rate_limit::{Rate, RateLimiter, Refusal};

/// The server's limits; the binary takes them from its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Sign-in requests (password, code, refresh, password and two-factor changes) one
    /// address may make: an office behind one address signs in together at nine.
    pub auth_per_address: Rate,
    /// The same, for everyone together.
    pub auth_global: Rate,
    /// Requests handled at once.
    pub max_in_flight: usize,
    /// The longest one request may take.
    pub request_timeout: Duration,
    pub hashing: HashingLimits,
    /// The bytes of posting parts one company may have staged at once
    /// (`413 posting_parts_too_large` beyond): room for a year of a large company's entries.
    pub staged_posting_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            auth_per_address: Rate { per_minute: 30 },
            auth_global: Rate { per_minute: 1_200 },
            max_in_flight: 512,
            request_timeout: Duration::from_mins(1),
            hashing: HashingLimits::default(),
            staged_posting_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The limits at work: their buckets, permits and hashing pool, shared by every request.
#[derive(Debug)]
pub struct Guards {
    pub limits: Limits,
    pub hashing: HashingPool,
    auth: RateLimiter,
    in_flight: Arc<Semaphore>,
}

impl Guards {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            hashing: HashingPool::new(limits.hashing),
            auth: RateLimiter::new(limits.auth_per_address, limits.auth_global),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
        }
    }
}

impl Default for Guards {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

fn seconds(wait: Duration) -> i64 {
    i64::try_from(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).unwrap_or(i64::MAX).max(1)
}

/// A request that checks a password, a code or a refresh token: it has taken a token
/// from its address's bucket and from everyone's, or it was answered
/// `429 rate_limited`.
#[derive(Debug)]
pub struct AuthAttempt;

impl FromRequestParts<AppState> for AuthAttempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| peer.ip());
        // A value that is not text stops the walk like any entry that is not an address
        // (dropping it would skip the hop a trusted proxy appended to it).
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().map(|value| value.to_str().unwrap_or("?"));
        let address = state.trusted_proxies.client_address(peer, forwarded);
        let refusal = match state.guards.auth.check(address, Instant::now()) {
            Ok(()) => return Ok(Self),
            Err(refusal) => refusal,
        };
        let (wait, message) = match refusal {
            Refusal::Address { retry_after } => (
                seconds(retry_after),
                format!("Too many sign-in requests from this address: try again in {} s.", seconds(retry_after)),
            ),
            Refusal::Everyone { retry_after } => (
                seconds(retry_after),
                format!(
                    "The server receives too many sign-in requests at the moment: try again in {} s.",
                    seconds(retry_after)
                ),
            ),
        };
        tracing::warn!(%address, wait, "sign-in request refused by the rate limit");
        let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        error.retry_after = Some(wait);
        Err(error)
    }
}

/// Middleware on every route: the in-flight limit and the request timeout.
pub async fn guard_requests(State(guards): State<Arc<Guards>>, request: Request, next: Next) -> Response {
    let Ok(permit) = Arc::clone(&guards.in_flight).try_acquire_owned() else {
        tracing::warn!(limit = guards.limits.max_in_flight, "request refused: too many in flight");
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "The server is handling too many requests at the moment: try again in a few seconds.",
        );
        error.retry_after = Some(2);
        return error.into_response();
    };
    let path = request.uri().path().to_owned();
    // A company's archive coming back is as long as the company is large.
    let timeout = if super::moves::is_archive_upload(&request) {
        super::moves::UPLOAD_TIMEOUT
    } else {
        guards.limits.request_timeout
    };
    let response = tokio::time::timeout(timeout, next.run(request)).await;
    drop(permit);
    response.unwrap_or_else(|_| {
        tracing::warn!(path, ?timeout, "request stopped: it took too long");
        let mut error = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The server took too long to answer and stopped: try again in a moment.",
        );
        error.retry_after = Some(5);
        error.into_response()
    })
}

/// Documents on every operation the `503` that [`guard_requests`] and the hashing pool
/// may answer, so that the document cannot forget one.
pub(super) struct BusyAnswers;

impl utoipa::Modify for BusyAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, schema};
        let retry_after = utoipa::openapi::HeaderBuilder::new()
            .schema(schema::ObjectBuilder::new().schema_type(schema::Type::Integer))
            .description(Some("Seconds to wait before trying again"))
            .build();
        let busy = ResponseBuilder::new()
            .description(
                "The server is busy (`server_busy`: too many requests in flight or passwords being checked) or \
                 took too long (`timeout`): try again after `Retry-After` seconds",
            )
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .header("Retry-After", retry_after)
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                operation.responses.responses.entry("503".to_owned()).or_insert_with(|| busy.clone().into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(seconds(Duration::from_millis(10)), 1);
        assert_eq!(seconds(Duration::from_millis(1_500)), 2);
        assert_eq!(seconds(Duration::from_secs(12)), 12);
        assert_eq!(seconds(Duration::ZERO), 1);
    }
}
