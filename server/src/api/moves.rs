//! `/v1/companies/{company}/move` and `…/archive`: moving a company to another host (see
//! [`crate::company_archive`]). Owners only.
//!
//! `POST …/move` freezes the company here (audit record `move_out`); from then on every
//! change is refused with `409 company_moved`, reads still work, and the sync status says
//! where it went. `GET …/archive` then streams its archive (JSON lines) for the new host to
//! import; it is refused (`409 company_not_moved`) while the company is still hosted
//! here, so that a company never has two hosts taking changes. The archive streams as it
//! is read, so its size is bounded by nothing but the company's.
//!
//! `PUT …/archive` brings back a company that moved away from here: an owner of its
//! frozen copy sends the archive its host wrote (at most [`MAX_UPLOAD_BYTES`], within
//! [`UPLOAD_TIMEOUT`]); it is kept in a temporary file, checked whole, then replaces the
//! frozen copy in one transaction with a new epoch. Nothing is read of the body before
//! the caller is known to be such an owner. A company this server never had cannot be
//! created this way (an administrator imports it: `comptoir-server admin
//! import-company`).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use comptoir_core::model::Permission;
pub use comptoir_core::sync::{ArchiveImported, MoveAnswer, MoveRequest};

use super::companies::{Member, parse_id};
use super::{ApiJson, AppState, Caller};
use crate::company_archive::{self, ArchiveError};
use crate::error::{ApiError, ErrorBody};
use crate::sync::Actor;

/// The longest description of where a company went.
pub const MAX_MOVED_TO_CHARS: usize = 200;
/// The archive streams in pieces of this size.
const CHUNK: usize = 256 * 1024;
/// The largest archive a client may send back (a company of several million records).
pub const MAX_UPLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// How long sending an archive back may take.
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_hours(1);

/// Whether `request` sends a company's archive back (`PUT …/archive`): it has its own
/// body limit and timeout.
pub fn is_archive_upload<B>(request: &axum::http::Request<B>) -> bool {
    request.method() == axum::http::Method::PUT
        && request.uri().path().starts_with("/v1/companies/")
        && request.uri().path().ends_with("/archive")
}

/// `409 company_moved`: the company is hosted elsewhere now, and where.
fn moved_error(moved: &crate::storage::MoveRecord) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "company_moved",
        format!(
            "This company moved to {} on {}: it is read-only here. Join it where it is hosted now.",
            moved.moved_to,
            moved.moved_at.format("%Y-%m-%d")
        ),
    )
}

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

#[utoipa::path(put, path = "/v1/companies/{company}/archive", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), request_body(content = String, content_type = "application/x-ndjson", description = "The archive its host wrote (JSON lines)"), responses((status = 200, description = "Hosted here again, in a new epoch", body = ArchiveImported), (status = 400, description = "The archive is damaged or cut (`archive_invalid`): nothing changed", body = ErrorBody), (status = 403, description = "Not an owner of the company here and in the archive", body = ErrorBody), (status = 404, description = "This server never had the company", body = ErrorBody), (status = 409, description = "Still hosted here (`company_exists`)", body = ErrorBody), (status = 413, description = "Larger than the server accepts (`archive_too_large`)", body = ErrorBody)))]
/// Brings back a company that moved away from here, from the archive its host wrote.
pub async fn bring_back(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(company): axum::extract::Path<String>,
    body: Body,
) -> Result<Json<ArchiveImported>, ApiError> {
    use futures_util::StreamExt as _;
    let company = comptoir_core::model::CompanyId(parse_id(&company, "company")?);
    let user = caller.user.id;
    // Before a byte of the body: an owner of a company that moved away from here.
    let (known, moved, owner) = state
        .blocking(move |storage| {
            let known = storage.company(company)?.is_some();
            let moved = storage.moved(company)?.is_some();
            let owner = storage
                .members(company)?
                .iter()
                .any(|m| m.user_id == user && m.role == comptoir_core::model::Role::Owner);
            Ok((known, moved, owner))
        })
        .await?;
    if !known {
        return Err(ArchiveError::NotFound("company").into());
    }
    if !owner {
        return Err(ArchiveError::NotAnOwner.into());
    }
    if !moved {
        return Err(ArchiveError::Exists.into());
    }
    // The body goes to a temporary file on a blocking thread; `Err` stops it unread.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Bytes, ()>>(8);
    let storage = std::sync::Arc::clone(&state.storage);
    let email = caller.user.email.clone();
    let now = state.clock.now();
    let work = tokio::task::spawn_blocking(move || -> Result<Option<ArchiveImported>, ArchiveError> {
        let mut file = tempfile::NamedTempFile::new()?;
        {
            let mut out = std::io::BufWriter::with_capacity(CHUNK, file.as_file_mut());
            while let Some(chunk) = receiver.blocking_recv() {
                let Ok(chunk) = chunk else { return Ok(None) };
                std::io::Write::write_all(&mut out, &chunk)?;
            }
            std::io::Write::flush(&mut out)?;
        }
        let checked = company_archive::check(company_archive::open(file.path())?)?;
        if checked.header.company.id != company {
            return Err(ArchiveError::Invalid { line: 1, reason: "the archive is of another company".into() });
        }
        let log = company_archive::import_checked(storage.as_ref(), &checked, file.path(), &email, false, now)?;
        Ok(Some(ArchiveImported { records: checked.records, epoch: log.epoch }))
    });
    let mut stream = body.into_data_stream();
    let mut total = 0_u64;
    let mut refused = None;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                refused = Some(ApiError::bad_request("archive_invalid", format!("The archive arrived cut: {e}")));
                break;
            }
        };
        total += chunk.len() as u64;
        if total > MAX_UPLOAD_BYTES {
            refused = Some(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "archive_too_large",
                format!("An archive of at most {} GiB is accepted.", MAX_UPLOAD_BYTES >> 30),
            ));
            break;
        }
        if sender.send(Ok(chunk)).await.is_err() {
            break;
        }
    }
    if let Some(error) = refused {
        let _ = sender.send(Err(())).await;
        return Err(error);
    }
    drop(sender);
    match work.await.map_err(|e| ApiError::internal(&e))? {
        Ok(Some(imported)) => {
            tracing::info!(%company, records = imported.records, bytes = total, "company brought back");
            Ok(Json(imported))
        }
        Ok(None) => Err(ApiError::bad_request("archive_invalid", "The archive arrived cut.")),
        Err(error) => Err(error.into()),
    }
}
