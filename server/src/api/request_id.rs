//! Request ids: every request gets one, logged on the request's span (so that every line
//! logged while it is handled names it) and sent back in the `X-Request-Id` header of the
//! answer, whatever the answer (busy, timed out, a handler's panic).
//!
//! A client or a reverse proxy may give its own in `X-Request-Id`, to follow one request
//! through several logs; it is kept when it is a short safe token (at most
//! [`MAX_REQUEST_ID_CHARS`] ASCII letters, digits, `-`, `_`, `.`), and replaced by a new
//! UUID otherwise: a log line never carries what a client chose to put in it beyond that.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

/// The header that carries the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id kept from a request.
pub const MAX_REQUEST_ID_CHARS: usize = 64;

/// The most of a request's path written to its span: a hostile client's path may be long.
const LOGGED_PATH_CHARS: usize = 200;

/// The request's id, in its extensions for the handlers that want it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Whether `id`, given by a client, is kept as the request's id.
pub fn is_safe(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The layer: names the request, handles it inside its span, logs its answer (target
/// `comptoir_server::access`) and puts the id in the answer's headers.
pub(super) async fn with_request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_safe(id))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    request.extensions_mut().insert(RequestId(id.clone()));
    let path: String = request.uri().path().chars().take(LOGGED_PATH_CHARS).collect();
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %path);
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            target: "comptoir_server::access",
            status = response.status().as_u16(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "answered"
        );
    });
    // Safe characters only (ours or checked above): always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
