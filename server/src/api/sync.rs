//! `/v1/companies/{company}/sync/…`: status, snapshot, copy, pull and push.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use comptoir_core::model::Permission;
use comptoir_core::sync::{
    COPY_EPOCH_HEADER, COPY_SCHEMA_HEADER, COPY_UPTO_HEADER, MAX_SEQ, PROTOCOL_VERSION, PullPage, PushRequest,
    PushResponse, RawSnapshotPage, RecordKind, SnapshotPage, SnapshotPosition, SyncStatus,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{ApiJson, AppState, Member};
use crate::error::{ApiError, ErrorBody};
use comptoir_core::sync::RawPullPage;

use crate::storage::PageLimit;
use crate::sync::{self, Actor, PullError};

/// The most changes one pull page holds.
pub const MAX_PULL_LIMIT: u32 = 5_000;
/// The most mutations one push carries.
pub const MAX_PUSH_BATCH: usize = 1_000;

#[utoipa::path(get, path = "/v1/companies/{company}/sync/status", tag = "sync", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), responses((status = 200, body = SyncStatus), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody)))]
pub async fn status(State(state): State<AppState>, member: Member) -> Result<Json<SyncStatus>, ApiError> {
    member.authorize(Permission::ReadData)?;
    let now = state.clock.now();
    // On a host of the local network, each sync (it starts here) is a device's last.
    let seen = state.hosting.as_ref().is_some_and(|h| h.due_to_note(member.caller.session_id, now));
    let session = member.caller.session_id;
    let grace = state.offline_grace_hours;
    let key = state.audit_signer.public_key().to_owned();
    let company = member.company;
    state
        .blocking(move |storage| {
            if seen && let Err(error) = storage.device_seen(session, now) {
                tracing::warn!(%error, "a device's last sync could not be written down");
            }
            let log =
                storage.log_state(company)?.ok_or_else(|| ApiError::not_found("This company has no data yet."))?;
            let moved_to = storage.moved(company)?.map(|moved| moved.moved_to);
            Ok(Json(SyncStatus {
                protocol_version: PROTOCOL_VERSION,
                epoch: log.epoch,
                seq: log.seq,
                server_time: now,
                offline_grace_hours: grace,
                audit_key: Some(key),
                moved_to,
            }))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The seq of the last change the client has (0 for a first download).
    #[serde(default)]
    pub after: u64,
    /// The epoch of the client's cursor; a different one answers `409 stale_epoch`.
    pub epoch: Option<Uuid>,
    /// The most changes the page holds (1,000 by default, 5,000 at most); a page also
    /// stops before its records' bodies pass 4 MiB (it holds one record at least), and
    /// says `has_more`.
    pub limit: Option<u32>,
    /// Ask for the remaining counts per category (once, at the start of a download).
    #[serde(default)]
    pub counts: bool,
}

#[utoipa::path(get, path = "/v1/companies/{company}/sync/pull", tag = "sync", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), PullQuery), responses((status = 200, body = PullPage), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 409, description = "The cursor is of an older epoch: download again", body = ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    member: Member,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RawPullPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    member.authorize(Permission::ReadData)?;
    if query.after > MAX_SEQ {
        return Err(ApiError::bad_request("invalid_query", format!("after must be at most {MAX_SEQ}.")));
    }
    let limit = query.limit.unwrap_or(1_000);
    if limit == 0 || limit > MAX_PULL_LIMIT {
        return Err(ApiError::bad_request("invalid_limit", format!("limit must be between 1 and {MAX_PULL_LIMIT}.")));
    }
    let company = member.company;
    let (signer, now) = (Arc::clone(&state.audit_signer), state.clock.now());
    state
        .blocking(move |storage| {
            let limit = PageLimit { count: limit, bytes: sync::MAX_PAGE_BYTES };
            let head = |seq: u64, hash: &str| signer.sign(company, seq, hash, now);
            sync::pull(storage, company, query.epoch, query.after, limit, query.counts, &head).map(Json).map_err(|e| {
                match e {
                    PullError::StaleEpoch => ApiError::new(
                        StatusCode::CONFLICT,
                        "stale_epoch",
                        "The server's data was rebuilt since your last sync: download the company again.",
                    ),
                    PullError::Storage(e) => e.into(),
                }
            })
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    /// The snapshot's seq, as its first page gave it; absent to start a new snapshot.
    pub upto: Option<u64>,
    /// With `upto`: the kind the previous page's `next` named.
    pub kind: Option<RecordKind>,
    /// With `kind`: the seq the previous page's `next` named, if any.
    pub before: Option<u64>,
    /// The epoch of the snapshot (required with `upto`); a different one answers
    /// `409 stale_epoch`.
    pub epoch: Option<Uuid>,
    /// The most records the page holds (1,000 by default, 5,000 at most); a page also
    /// stops before its records' bodies pass 4 MiB (it holds one record at least).
    pub limit: Option<u32>,
    /// Ask for the log's counts per category (once, at the start of a download).
    #[serde(default)]
    pub counts: bool,
}

#[utoipa::path(get, path = "/v1/companies/{company}/sync/snapshot", tag = "sync", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), SnapshotQuery), responses((status = 200, body = SnapshotPage), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 409, description = "The snapshot is of an older epoch: download again", body = ErrorBody)))]
pub async fn snapshot(
    State(state): State<AppState>,
    member: Member,
    query: Result<Query<SnapshotQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RawSnapshotPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    member.authorize(Permission::ReadData)?;
    let from = match (query.upto, query.kind) {
        (None, None) if query.before.is_none() => None,
        (Some(upto), Some(kind)) if query.epoch.is_some() => {
            if upto > MAX_SEQ || query.before.is_some_and(|b| b > MAX_SEQ) {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("upto and before must be at most {MAX_SEQ}."),
                ));
            }
            Some((upto, SnapshotPosition { kind, before: query.before }))
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "A snapshot goes on with upto, kind and epoch together (and before, if the last page gave it).",
            ));
        }
    };
    let limit = query.limit.unwrap_or(1_000);
    if limit == 0 || limit > MAX_PULL_LIMIT {
        return Err(ApiError::bad_request("invalid_limit", format!("limit must be between 1 and {MAX_PULL_LIMIT}.")));
    }
    let company = member.company;
    state
        .blocking(move |storage| {
            let limit = PageLimit { count: limit, bytes: sync::MAX_PAGE_BYTES };
            sync::snapshot(storage, company, query.epoch, from, limit, query.counts).map(Json).map_err(|e| match e {
                PullError::StaleEpoch => ApiError::new(
                    StatusCode::CONFLICT,
                    "stale_epoch",
                    "The server's data was rebuilt since your download began: download the company again.",
                ),
                PullError::Storage(e) => e.into(),
            })
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CopyQuery {
    /// The company-file schema version the client reads: a copy of another is not sent.
    pub schema: Option<u32>,
}

#[utoipa::path(get, path = "/v1/companies/{company}/sync/copy", tag = "sync", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), CopyQuery), responses((status = 200, description = "The company's file whole (`application/vnd.sqlite3`), as the log stood at the seq of `x-comptoir-copy-upto` in the epoch of `x-comptoir-copy-epoch`, of the schema version in `x-comptoir-copy-schema`: a first download takes it, then pulls the log after it", content_type = "application/vnd.sqlite3", body = Vec<u8>), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 400, description = "Bad request", body = ErrorBody), (status = 404, description = "No copy is ready, of the schema asked (`no_copy`): download page by page", body = ErrorBody)))]
/// Streams the company's file the server keeps ready (see [`crate::sync::copies`]).
pub async fn copy(
    State(state): State<AppState>,
    member: Member,
    query: Result<Query<CopyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    member.authorize(Permission::ReadData)?;
    let company = member.company;
    let copies = state.copies.clone();
    let ready = state
        .blocking(move |storage| {
            let (Some(copies), Some(log)) = (copies, storage.log_state(company)?) else { return Ok(None) };
            Ok(copies.ready(company, log.epoch))
        })
        .await?;
    let no_copy = || {
        ApiError::new(StatusCode::NOT_FOUND, "no_copy", "No copy of this company is ready: download it page by page.")
    };
    let Some(ready) = ready.filter(|r| query.schema.is_none_or(|s| s == r.schema_version)) else {
        return Err(no_copy());
    };
    // Deleted since (a newer copy was written): the device downloads page by page.
    let file = tokio::fs::File::open(&ready.path).await.map_err(|_| no_copy())?;
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut chunk = vec![0_u8; COPY_CHUNK];
        match tokio::io::AsyncReadExt::read(&mut file, &mut chunk).await {
            Ok(0) => None,
            Ok(read) => {
                chunk.truncate(read);
                Some((Ok(Bytes::from(chunk)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    let headers = [
        (header::CONTENT_TYPE, "application/vnd.sqlite3".to_owned()),
        (header::CONTENT_LENGTH, ready.bytes.to_string()),
        (HeaderName::from_static(COPY_EPOCH_HEADER), ready.epoch.to_string()),
        (HeaderName::from_static(COPY_UPTO_HEADER), ready.upto.to_string()),
        (HeaderName::from_static(COPY_SCHEMA_HEADER), ready.schema_version.to_string()),
    ];
    Ok((headers, Body::from_stream(chunks)).into_response())
}

/// What one read of a copy's file sends.
const COPY_CHUNK: usize = 256 * 1024;

#[utoipa::path(post, path = "/v1/companies/{company}/sync/push", tag = "sync", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), request_body = PushRequest, responses((status = 200, description = "One result per mutation, in order", body = PushResponse), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    member: Member,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if request.mutations.len() > MAX_PUSH_BATCH {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("Send at most {MAX_PUSH_BATCH} mutations at a time."),
        ));
    }
    if let Some(bad) = request.mutations.iter().find(|m| !(1..=MAX_SEQ).contains(&m.mutation_id)) {
        return Err(ApiError::bad_request(
            "mutation_id_invalid",
            format!("A mutation id is between 1 and {MAX_SEQ} (got {}).", bad.mutation_id),
        ));
    }
    let now = state.clock.now();
    let actor = Actor::member(&member.caller.user, member.role);
    let company = member.company;
    state
        .blocking(move |storage| {
            Ok(Json(PushResponse { results: sync::push(storage, company, &actor, &request.mutations, now)? }))
        })
        .await
}
