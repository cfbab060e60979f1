//! `/v1/auth`: sign in (password, then a two-factor code when enabled), refresh, sign out.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ApiJson, AppState, AuthAttempt, Caller};
use comptoir_core::sync::{LoginRequest, LoginResponse, RefreshRequest, Tokens, TotpLogin};

use crate::auth::{self as secrets, AuthPolicy};
use crate::error::{ApiError, ErrorBody};
use crate::storage::{AccessGrant, Rotation, SessionRecord, Storage, StorageError, UserRecord};
use crate::sync::{self, Actor, AuditEntry};

/// Appends a sign-in event to the audit trail of each of the user's companies. An audit
/// failure is logged, not answered: it must not lock people out.
fn audit_sign_in(storage: &dyn Storage, user: &UserRecord, action: &str, now: DateTime<Utc>) {
    let companies = match storage.memberships(user.id) {
        Ok(companies) => companies,
        Err(error) => {
            tracing::error!(%error, "cannot read memberships for the audit trail");
            return;
        }
    };
    for (company, role) in companies {
        let actor = Actor::member(user, role);
        let result = storage.in_company(company.id, &mut |tx| {
            let entry = AuditEntry { action, entity: "user", entity_id: Some(user.id.0), changes: Vec::new() };
            sync::append_audit(tx, company.id, &actor, now, entry).map(|_| ())
        });
        // A company that moved away keeps its trail as it left.
        if let Err(error) = result.or_else(|e| if matches!(e, StorageError::Moved) { Ok(()) } else { Err(e) }) {
            tracing::error!(%error, company = %company.id, "cannot write the sign-in to the audit trail");
        }
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("The email or the password is wrong.").with_code("invalid_credentials")
}

impl ApiError {
    fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}

/// The answer while the account is locked until `until`.
fn account_locked(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::LOCKED,
        "account_locked",
        format!("Too many failed sign-ins: this account is locked until {} UTC.", until.format("%H:%M")),
    );
    error.retry_after = Some((until - now).num_seconds().max(1));
    error.locked_until = Some(until);
    error
}

/// Refuses an attempt made while the account must wait (slowed down or locked).
fn check_not_waiting(user: &UserRecord, policy: &AuthPolicy, now: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(until) = user.locked_until.filter(|until| *until > now) else { return Ok(()) };
    if user.failed_logins >= policy.lock_after {
        return Err(account_locked(until, now));
    }
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "Too many failed sign-ins: wait a moment before trying again.",
    );
    error.retry_after = Some((until - now).num_seconds().max(1));
    Err(error)
}

/// Counts a failed attempt (one atomic update in storage, so that parallel failures
/// each count) and returns the error to answer: `error`, or the lock it led to.
fn record_failure(
    storage: &dyn Storage,
    user: &UserRecord,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
    error: ApiError,
) -> ApiError {
    let failed = match storage.count_failed_login(user.id, policy, now) {
        Ok(failed) => failed,
        Err(e) => return ApiError::from(e),
    };
    tracing::warn!(user = %user.id, failures = failed.count, "failed sign-in");
    audit_sign_in(storage, user, "sign_in_failed", now);
    let Some(until) = failed.locked_until else { return error };
    let mut error = if failed.count >= policy.lock_after { account_locked(until, now) } else { error };
    error.retry_after = Some((until - now).num_seconds().max(1));
    error
}

/// Checks `password` against `user`'s, through the hashing pool: refused while the
/// account must wait, and a wrong one counts as a failed sign-in (`wrong` is the answer).
pub(super) async fn confirm_password(
    state: &AppState,
    user: &UserRecord,
    password: String,
    now: DateTime<Utc>,
    wrong: fn() -> ApiError,
) -> Result<(), ApiError> {
    check_not_waiting(user, &state.policy, now)?;
    if state.guards.hashing.verify(password, user.password_hash.clone()).await? {
        return Ok(());
    }
    let (user, policy) = (user.clone(), state.policy.clone());
    Err(state
        .blocking(move |storage| Ok(record_failure(storage, &user, &policy, now, wrong())))
        .await
        .unwrap_or_else(|e| e))
}

/// Checks a code of `user`'s authenticator and spends it (a code serves once, even to
/// requests racing each other); a wrong or spent code counts as a failed sign-in.
pub(super) fn confirm_code(
    storage: &dyn Storage,
    user: &UserRecord,
    code: &str,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
    wrong: fn() -> ApiError,
) -> Result<(), ApiError> {
    check_not_waiting(user, policy, now)?;
    match secrets::fresh_totp_step(user, code, now)? {
        Some(step) if storage.use_totp_step(user.id, step)? => Ok(()),
        _ => Err(record_failure(storage, user, policy, now, wrong())),
    }
}

/// Opens a new session for `user` and gives its first tokens.
fn new_session(
    storage: &dyn Storage,
    user: &UserRecord,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<Tokens, ApiError> {
    let (session, refresh_token) = session_for(user, policy, now)?;
    storage.create_session(&session)?;
    finish_tokens(storage, user, &session, refresh_token, policy, now)
}

/// A new session of `user` from `now`, and its first refresh token (only its hash is
/// in the record).
fn session_for(
    user: &UserRecord,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<(SessionRecord, String), ApiError> {
    new_session_record(user.id, policy, now)
}

/// A new session of `user` and its refresh token (only its hash is kept).
pub(super) fn new_session_record(
    user: comptoir_core::model::UserId,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<(SessionRecord, String), ApiError> {
    let refresh_token = secrets::new_token()?;
    let session = SessionRecord {
        id: Uuid::now_v7(),
        user_id: user,
        refresh_hash: secrets::token_hash(&refresh_token),
        refresh_expires_at: now + policy.refresh_ttl,
    };
    Ok((session, refresh_token))
}

/// Opens the session of a device paired with a hosted company (recorded as `device`, in
/// the same transaction) and gives its first tokens.
pub(super) fn device_session(
    storage: &dyn Storage,
    user: &UserRecord,
    device: &mut crate::storage::DeviceRecord,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<Tokens, ApiError> {
    let (session, refresh_token) = session_for(user, policy, now)?;
    device.session_id = session.id;
    storage.add_device(device, &session)?;
    finish_tokens(storage, user, &session, refresh_token, policy, now)
}

/// Gives a fresh access token for `session`, alongside its (new) refresh token.
pub(super) fn finish_tokens(
    storage: &dyn Storage,
    user: &UserRecord,
    session: &SessionRecord,
    refresh_token: String,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<Tokens, ApiError> {
    let access_token = secrets::new_token()?;
    let grant = AccessGrant { session_id: session.id, user_id: user.id, expires_at: now + policy.access_ttl };
    storage.add_access_token(&secrets::token_hash(&access_token), &grant, now)?;
    Ok(Tokens {
        access_token,
        access_expires_at: grant.expires_at,
        refresh_token,
        refresh_expires_at: session.refresh_expires_at,
        user_id: user.id.0,
    })
}

/// Ends a successful sign-in: the failure count starts again, unless a failure counted
/// meanwhile locked the account.
fn signed_in(
    storage: &dyn Storage,
    user: &UserRecord,
    policy: &AuthPolicy,
    now: DateTime<Utc>,
) -> Result<Tokens, ApiError> {
    if !storage.clear_failed_logins(user.id, policy.lock_after, now)? {
        let until = storage.user(user.id)?.and_then(|u| u.locked_until).unwrap_or(now + policy.lock_duration);
        return Err(account_locked(until, now));
    }
    tracing::info!(user = %user.id, "signed in");
    audit_sign_in(storage, user, "sign_in", now);
    new_session(storage, user, policy, now)
}

fn invalid_code() -> ApiError {
    ApiError::unauthorized("This code is wrong or has already been used.").with_code("invalid_code")
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, responses((status = 200, description = "Signed in, or the two-factor step is required", body = LoginResponse), (status = 401, description = "Wrong email or password", body = ErrorBody), (status = 423, description = "Account locked", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds until the lock ends"))), (status = 429, description = "Too many failed attempts on this account (`too_many_attempts`), or too many sign-in requests from this address or in all (`rate_limited`): wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/auth/login`
pub async fn login(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = state.clock.now();
    let email = request.email.trim().to_lowercase();
    let user = state.blocking(move |storage| Ok(storage.user_by_email(&email)?)).await?;
    let Some(user) = user else {
        // Same work as a wrong password, so timing does not tell which emails exist.
        let password = request.password;
        state.guards.hashing.run(move || secrets::verify_password(&password, secrets::dummy_password_hash())).await?;
        return Err(invalid_credentials());
    };
    confirm_password(&state, &user, request.password, now, invalid_credentials).await?;
    let policy = state.policy.clone();
    state
        .blocking(move |storage| {
            if user.totp_enabled {
                let challenge = secrets::new_token()?;
                let expires_at = now + policy.challenge_ttl;
                storage.add_challenge(&secrets::token_hash(&challenge), user.id, expires_at, now)?;
                return Ok(Json(LoginResponse::TotpRequired { challenge, expires_at }));
            }
            Ok(Json(LoginResponse::SignedIn(signed_in(storage, &user, &policy, now)?)))
        })
        .await
}

#[utoipa::path(post, path = "/v1/auth/totp", tag = "auth", request_body = TotpLogin, responses((status = 200, body = Tokens), (status = 401, description = "Wrong or used code, or expired challenge", body = ErrorBody), (status = 423, description = "Account locked", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds until the lock ends"))), (status = 429, description = "Too many failed attempts, or too many sign-in requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/auth/totp`: the second step, with a code from the authenticator.
pub async fn login_totp(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<TotpLogin>,
) -> Result<Json<Tokens>, ApiError> {
    let now = state.clock.now();
    let policy = state.policy.clone();
    state
        .blocking(move |storage| {
            let hash = secrets::token_hash(&request.challenge);
            let expired = || {
                ApiError::unauthorized("The sign-in step has expired: enter your password again.")
                    .with_code("challenge_expired")
            };
            let user_id = storage.challenge(&hash, now)?.ok_or_else(expired)?;
            let user = storage.user(user_id)?.ok_or_else(expired)?;
            if !user.totp_enabled {
                return Err(expired());
            }
            confirm_code(storage, &user, &request.code, &policy, now, invalid_code)?;
            // One challenge, one session: of two right codes racing, one signs in.
            if !storage.consume_challenge(&hash)? {
                return Err(expired());
            }
            Ok(Json(signed_in(storage, &user, &policy, now)?))
        })
        .await
}

#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses((status = 200, body = Tokens), (status = 401, description = "Invalid, expired or reused refresh token", body = ErrorBody), (status = 429, description = "Too many sign-in requests from this address or in all: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/auth/refresh`: a new pair of tokens; the refresh token given is spent.
pub async fn refresh(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<Tokens>, ApiError> {
    let now = state.clock.now();
    let policy = state.policy.clone();
    state
        .blocking(move |storage| {
            let new_refresh = secrets::new_token()?;
            let rotation = storage.rotate_refresh(
                &secrets::token_hash(&request.refresh_token),
                &secrets::token_hash(&new_refresh),
                now + policy.refresh_ttl,
                now,
            )?;
            let session = match rotation {
                Rotation::Rotated(session) => session,
                Rotation::Reused => {
                    tracing::warn!("a spent refresh token was presented again; its session is revoked");
                    return Err(ApiError::unauthorized(
                        "This session was closed because its sign-in was used twice: sign in again.",
                    )
                    .with_code("session_revoked"));
                }
                Rotation::Invalid => {
                    return Err(ApiError::unauthorized("Your session has expired or was closed: sign in again.")
                        .with_code("invalid_refresh_token"));
                }
            };
            let user = storage
                .user(session.user_id)?
                .ok_or_else(|| ApiError::unauthorized("This account no longer exists."))?;
            Ok(Json(finish_tokens(storage, &user, &session, new_refresh, &policy, now)?))
        })
        .await
}

#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses((status = 204, description = "Signed out"), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody)))]
/// `POST /v1/auth/logout`: closes the caller's session (its refresh and access tokens).
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |storage| {
            storage.revoke_session(caller.session_id)?;
            tracing::info!(user = %caller.user.id, "signed out");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
