//! `/v1/companies/{company}/move` and `…/archive`: moving a company to another host (see
//! [`crate::company_archive`]). Owners only.
//!
//! `POST …/move` freezes the company here (audit record `move_out`); from then on every
//! change is refused with `409 company_moved`, reads still work, and the sync status says
//! where it went. `GET …/archive` then streams its archive (JSON lines) for the new host to
//! import; it is refused (`409 company_not_moved`) while the company is still hosted
//! here, so that a company never has two hosts taking changes. The archive streams as it
//! is read, so its size is bounded by nothing but the company's.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use comptoir_core::model::Permission;
pub use comptoir_core::sync::{MoveAnswer, MoveRequest};

use super::companies::{Member, moved_error};
use super::{ApiJson, AppState};
use crate::company_archive::{self, ArchiveError};
use crate::error::{ApiError, ErrorBody};
use crate::sync::Actor;

/// The longest description of where a company went.
pub const MAX_MOVED_TO_CHARS: usize = 200;
/// The archive streams in pieces of this size.
const CHUNK: usize = 256 * 1024;

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Storage(e) => e.into(),
            ArchiveError::Io(e) => Self::internal(&e),
            ArchiveError::NotFound(what) => Self::not_found(format!("No such {what}.")),
            ArchiveError::Moved { to, at } => moved_error(&crate::storage::MoveRecord { moved_at: at, moved_to: to }),
            ArchiveError::Exists => Self::new(StatusCode::CONFLICT, e.code(), e.to_string()),
            ArchiveError::NotAnOwner => Self::forbidden(e.code(), e.to_string()),
            ArchiveError::Invalid { .. } => Self::bad_request(e.code(), e.to_string()),
        }
    }
}

#[utoipa::path(post, path = "/v1/companies/{company}/move", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), request_body = MoveRequest, responses((status = 200, description = "Frozen here: read-only from now on", body = MoveAnswer), (status = 403, description = "Not an owner of this company", body = ErrorBody), (status = 409, description = "It moved already (`company_moved`)", body = ErrorBody)))]
/// Freezes the company here before it moves to another host.
pub async fn move_company(
    State(state): State<AppState>,
    member: Member,
    ApiJson(request): ApiJson<MoveRequest>,
) -> Result<Json<MoveAnswer>, ApiError> {
    member.authorize(Permission::ManageOwners)?;
    let to = request.to.trim().to_owned();
    if to.is_empty() || to.chars().count() > MAX_MOVED_TO_CHARS || to.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "moved_to_invalid",
            format!("Say where the company goes in 1 to {MAX_MOVED_TO_CHARS} characters, on one line."),
        ));
    }
    let now = state.clock.now();
    let actor = Actor::member(&member.caller.user, member.role);
    let company = member.company;
    state
        .blocking(move |storage| {
            company_archive::move_out(storage, company, &actor, &to, now)?;
            Ok(Json(MoveAnswer { moved_at: now, moved_to: to }))
        })
        .await
}

#[utoipa::path(get, path = "/v1/companies/{company}/archive", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), responses((status = 200, description = "The company's archive, JSON lines (`application/x-ndjson`)", content_type = "application/x-ndjson", body = String), (status = 403, description = "Not an owner of this company", body = ErrorBody), (status = 409, description = "Still hosted here (`company_not_moved`): move it first", body = ErrorBody)))]
/// Streams the archive of a company that moved away, for its new host.
pub async fn archive(State(state): State<AppState>, member: Member) -> Result<Response, ApiError> {
    member.authorize(Permission::ManageOwners)?;
    let company = member.company;
    let moved = state.blocking(move |storage| Ok(storage.moved(company)?)).await?;
    if moved.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "company_not_moved",
            "This company is still hosted here: move it first, so that it never has two hosts.",
        ));
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let signer = std::sync::Arc::clone(&state.audit_signer);
    let storage = std::sync::Arc::clone(&state.storage);
    let now = state.clock.now();
    tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(CHUNK, ChannelWriter(sender.clone()));
        let written = company_archive::write(storage.as_ref(), company, &signer, "Comptoir", now, &mut out);
        match written {
            Ok(written) => tracing::info!(%company, records = written.records, bytes = written.bytes, "archive sent"),
            Err(error) => {
                tracing::warn!(%company, %error, "archive stopped");
                // The client sees a cut body: the archive has no end line and is refused.
                let _ = sender.blocking_send(Err(std::io::Error::other(error.to_string())));
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(stream)).into_response())
}

/// Hands what is written to the response's body, one buffer at a time; fails once the
/// client went away.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
