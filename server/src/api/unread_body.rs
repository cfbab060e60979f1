//! An answer given before the request's body was read closes the connection.
//!
//! Many answers come before the body is read: a refused sign-in, a rate limit, an upload
//! to a company that is still hosted here. Hyper then reads what has already arrived of
//! the body and, when more is still to come, closes the connection after the answer.
//! Without `Connection: close` in that answer, the client puts the connection back in its
//! pool, and its next request may go out on a connection the server has just closed: it
//! fails with "error sending request" although the server is up (RFC 9112 §9.6 asks a
//! server that closes to say so).
//!
//! This layer tells by itself: it wraps the request's body, notes when the handler reads
//! it to its end, and adds `Connection: close` to an HTTP/1 answer otherwise. A body that
//! is empty from the start (a `GET`, `Content-Length: 0`) counts as read.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::Response;

/// The layer (outermost, so that every answer, the other layers' own included, is seen).
pub(super) async fn close_after_unread_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let http1 = parts.version <= Version::HTTP_11;
    let read = Arc::new(AtomicBool::new(body.is_end_stream()));
    let body = Body::new(Watched { inner: body, read: Arc::clone(&read) });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // HTTP/2 has no `Connection` header: its streams end on their own.
    if http1 && !read.load(Ordering::Acquire) {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request's body that notes when it was read to its end.
struct Watched {
    inner: Body,
    read: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
