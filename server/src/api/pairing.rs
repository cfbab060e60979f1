//! `/v1/pair`: a device pairs with a company hosted on one computer, by the secret of a
//! link (scanned or pasted), or by a typed code and its key exchange (see
//! [`comptoir_core::lan::pake`]). Served by hosts only: a server that is no host answers
//! `404 not_a_host`. Each request counts against the sign-in limits, as a password
//! would.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use comptoir_core::lan::pairing::{
    ClaimRequest, CodeAnswer, CodeConfirm, CodeStart, Paired, ResumeRequest, clean_device_name,
};
use comptoir_core::lan::pake::HostExchange;
use comptoir_core::lan::{PairingCode, PairingSecret};
use comptoir_core::sync::Tokens;
use uuid::Uuid;

use super::{ApiJson, AppState, AuthAttempt};
use crate::auth as secrets;
use crate::error::{ApiError, ErrorBody};
use crate::pairing::{Hosting, Pending, audit, member_of};
use crate::storage::{DeviceRecord, InvitationRecord, Spent, Storage};
use crate::sync::Actor;

fn hosting(state: &AppState) -> Result<std::sync::Arc<Hosting>, ApiError> {
    state.hosting.clone().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_a_host", "This server hosts no company on the local network.")
    })
}

fn device_name(name: &str) -> Result<String, ApiError> {
    clean_device_name(name)
        .ok_or_else(|| ApiError::bad_request("invalid_device_name", "The device needs a name (1 to 80 characters)."))
}

fn unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invitation_unknown",
        "This invitation does not exist on this host: check the link or the code, or ask the host for a new one.",
    )
}

/// The answer to an invitation that cannot be claimed.
fn refusal(spent: &Spent) -> ApiError {
    match spent {
        Spent::Expired => ApiError::new(
            StatusCode::GONE,
            "invitation_expired",
            "This invitation has expired (they last 10 minutes): ask the host for a new one.",
        ),
        Spent::Used => ApiError::new(
            StatusCode::GONE,
            "invitation_used",
            "This invitation was used already (each serves once): ask the host for a new one.",
        ),
        Spent::Unknown | Spent::Live(_) => unknown(),
    }
}

/// Opens the session of the device `name` for the member `invitation` names.
fn pair(
    storage: &dyn Storage,
    state_policy: &crate::auth::AuthPolicy,
    invitation: &InvitationRecord,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Paired, ApiError> {
    // The member may have left the company since the invitation was made.
    let (user, role, company_name) = member_of(storage, invitation)?.ok_or_else(unknown)?;
    let device_secret = secrets::new_token()?;
    let mut device = DeviceRecord {
        id: Uuid::now_v7(),
        company_id: invitation.company_id,
        user_id: user.id,
        session_id: Uuid::nil(),
        name: name.to_owned(),
        paired_at: now,
        last_seen_at: None,
        revoked_at: None,
        secret_hash: Some(secrets::token_hash(&device_secret)),
    };
    let tokens = super::auth::device_session(storage, &user, &mut device, state_policy, now)?;
    tracing::info!(company = %invitation.company_id, member = %user.email, device = %device.id, "device paired");
    audit(storage, invitation.company_id, &Actor::member(&user, role), "pair_device", device.id, Some(name), now);
    Ok(Paired {
        tokens,
        device_id: device.id,
        company_id: invitation.company_id.0,
        company_name,
        email: user.email,
        role,
        device_secret: Some(device_secret),
    })
}

#[utoipa::path(post, path = "/v1/pair/resume", tag = "pairing", request_body = ResumeRequest, responses((status = 200, description = "A new session for the device", body = Tokens), (status = 401, description = "No live device of this id and secret (`device_unknown`)", body = ErrorBody), (status = 404, description = "This server is no host (`not_a_host`)", body = ErrorBody), (status = 429, description = "Too many sign-in requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/pair/resume`: a paired device signs in again with the secret it was given
/// at pairing, when the host no longer knows its refresh token (restored from a backup).
/// Its previous session ends; a revoked device is refused.
pub async fn resume(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<ResumeRequest>,
) -> Result<Json<Tokens>, ApiError> {
    hosting(&state)?;
    let (now, policy) = (state.clock.now(), state.policy.clone());
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "device_unknown",
            "This device is not paired with this host any more: pair it again.",
        )
    };
    if request.secret.len() > 128 {
        return Err(refused());
    }
    state
        .blocking(move |storage| {
            let (session, refresh_token) =
                super::auth::new_session_record(comptoir_core::model::UserId(Uuid::nil()), &policy, now)?;
            let device = storage
                .resume_device(request.device_id, &secrets::token_hash(&request.secret), &session)?
                .ok_or_else(refused)?;
            let user = storage.user(device.user_id)?.ok_or_else(refused)?;
            tracing::info!(company = %device.company_id, device = %device.id, "device signed in again with its secret");
            let session = crate::storage::SessionRecord { user_id: user.id, ..session };
            Ok(Json(super::auth::finish_tokens(storage, &user, &session, refresh_token, &policy, now)?))
        })
        .await
}

#[utoipa::path(post, path = "/v1/pair/claim", tag = "pairing", request_body = ClaimRequest, responses((status = 200, description = "Paired: the device's session", body = Paired), (status = 400, description = "No device name", body = ErrorBody), (status = 404, description = "No such invitation (`invitation_unknown`), or this server is no host (`not_a_host`)", body = ErrorBody), (status = 410, description = "The invitation expired (`invitation_expired`) or was used (`invitation_used`)", body = ErrorBody), (status = 429, description = "Too many sign-in requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/pair/claim`: pairs by the secret of a link.
pub async fn claim(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<ClaimRequest>,
) -> Result<Json<Paired>, ApiError> {
    hosting(&state)?;
    let name = device_name(&request.device_name)?;
    let secret = PairingSecret::from_base64url(&request.secret).map_err(|_| unknown())?;
    let (now, policy) = (state.clock.now(), state.policy.clone());
    state
        .blocking(move |storage| {
            match storage.spend_invitation_by_secret(&secrets::token_hash(&secret.to_base64url()), now)? {
                Spent::Live(invitation) => Ok(Json(pair(storage, &policy, &invitation, &name, now)?)),
                spent => Err(refusal(&spent)),
            }
        })
        .await
}

fn decode(text: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .filter(|bytes| bytes.len() <= 64)
        .ok_or_else(|| ApiError::bad_request("invalid_pairing_message", "The pairing message does not read."))
}

#[utoipa::path(post, path = "/v1/pair/code", tag = "pairing", request_body = CodeStart, responses((status = 200, description = "The host's side of the exchange", body = CodeAnswer), (status = 400, description = "The message or the handle does not read", body = ErrorBody), (status = 404, description = "No open invitation of this handle, or this server is no host", body = ErrorBody), (status = 410, description = "The invitation expired", body = ErrorBody), (status = 429, description = "Too many sign-in requests, or exchanges under way: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/pair/code`: the first step of pairing by typed code. Spends the invitation
/// whatever follows: a code has one try.
pub async fn code_start(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<CodeStart>,
) -> Result<Json<CodeAnswer>, ApiError> {
    let hosting = hosting(&state)?;
    if request.handle.len() != 4 || !request.handle.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("invalid_pairing_message", "The code's first four digits do not read."));
    }
    let message = decode(&request.message)?;
    let now = state.clock.now();
    let handle = request.handle;
    let spent = state.blocking(move |storage| Ok(storage.spend_invitation_by_handle(&handle, now)?)).await?;
    let Spent::Live(invitation) = spent else { return Err(refusal(&spent)) };
    let code = PairingCode::parse(&invitation.code).map_err(|e| ApiError::internal(&e))?;
    let answer = HostExchange::respond(&code, &message, hosting.fingerprint)
        .map_err(|_| ApiError::bad_request("invalid_pairing_message", "The pairing message does not read."))?;
    let pending = Pending { exchange: answer.exchange, invitation, started_at: now };
    let Some(exchange) = hosting.keep(pending, now) else {
        let mut busy = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many pairings are under way: try again in a minute.",
        );
        busy.retry_after = Some(60);
        return Err(busy);
    };
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Ok(Json(CodeAnswer { exchange, message: encode(&answer.message), confirmation: encode(&answer.confirmation) }))
}

#[utoipa::path(post, path = "/v1/pair/code/confirm", tag = "pairing", request_body = CodeConfirm, responses((status = 200, description = "Paired: the device's session", body = Paired), (status = 400, description = "No device name, or the confirmation does not read", body = ErrorBody), (status = 403, description = "The confirmation does not hold: a wrong code (`pairing_not_confirmed`)", body = ErrorBody), (status = 404, description = "No such exchange, or this server is no host", body = ErrorBody), (status = 410, description = "The exchange took too long", body = ErrorBody), (status = 429, description = "Too many sign-in requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/pair/code/confirm`: the device's confirmation; the session when it holds.
pub async fn code_confirm(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<CodeConfirm>,
) -> Result<Json<Paired>, ApiError> {
    let hosting = hosting(&state)?;
    let name = device_name(&request.device_name)?;
    let confirmation = decode(&request.confirmation)?;
    let now = state.clock.now();
    let pending = hosting.take(request.exchange, now).ok_or_else(|| {
        ApiError::new(
            StatusCode::GONE,
            "invitation_expired",
            "This pairing took too long or was ended: ask the host for a new code.",
        )
    })?;
    if pending.exchange.check(&confirmation).is_err() {
        tracing::warn!(company = %pending.invitation.company_id, "a pairing code was wrong; the invitation is spent");
        return Err(ApiError::forbidden(
            "pairing_not_confirmed",
            "The code is wrong: ask the host for a new one (each code has one try).",
        ));
    }
    let policy = state.policy.clone();
    state.blocking(move |storage| Ok(Json(pair(storage, &policy, &pending.invitation, &name, now)?))).await
}
