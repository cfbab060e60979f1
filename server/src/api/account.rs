//! `/v1/account`: the signed-in user's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::{confirm_code, confirm_password};
use super::{ApiJson, AppState, AuthAttempt, Caller};
use comptoir_core::sync::{AccountView, MembershipView, PasswordChange, TotpChange, TotpSetup};

use crate::auth as secrets;
use crate::error::{ApiError, ErrorBody};

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[utoipa::path(get, path = "/v1/account", tag = "account", security(("bearer" = [])), responses((status = 200, body = AccountView), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody)))]
pub async fn account(State(state): State<AppState>, caller: Caller) -> Result<Json<AccountView>, ApiError> {
    state
        .blocking(move |storage| {
            let companies = storage
                .memberships(caller.user.id)?
                .into_iter()
                .map(|(company, role)| MembershipView {
                    company_id: company.id.0,
                    name: company.name,
                    country: company.country,
                    role,
                })
                .collect();
            Ok(Json(AccountView {
                user_id: caller.user.id.0,
                email: caller.user.email,
                display_name: caller.user.display_name,
                totp_enabled: caller.user.totp_enabled,
                companies,
            }))
        })
        .await
}

/// Checks a new password is acceptable.
pub fn validate_new_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::bad_request(
            "password_too_short",
            format!("A password needs at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    Ok(())
}

fn wrong_password() -> ApiError {
    ApiError::forbidden("wrong_password", "The current password is wrong.")
}

fn wrong_code() -> ApiError {
    ApiError::bad_request("invalid_code", "This code is wrong or has already been used.")
}

fn totp_conflict(code: &'static str, message: &'static str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

#[utoipa::path(post, path = "/v1/account/password", tag = "account", security(("bearer" = [])), request_body = PasswordChange, responses((status = 204, description = "Changed; other sessions closed"), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Wrong current password (it counts as a failed sign-in)", body = ErrorBody), (status = 409, description = "The password was changed meanwhile by another request", body = ErrorBody), (status = 423, description = "Account locked", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds until the lock ends"))), (status = 429, description = "Too many failed attempts, or too many requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/account/password`: needs the current password (a wrong one counts as a
/// failed sign-in); every other session of the user is closed.
pub async fn change_password(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    caller: Caller,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    validate_new_password(&change.new_password)?;
    let now = state.clock.now();
    let user = caller.user;
    confirm_password(&state, &user, change.current_password, now, wrong_password).await?;
    let new_hash = state.guards.hashing.hash(change.new_password).await?;
    state
        .blocking(move |storage| {
            // Only if the password is still the one just checked: of two changes racing,
            // the second is refused rather than undoing the first.
            if !storage.change_password(user.id, &user.password_hash, &new_hash, Some(caller.session_id))? {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "password_changed",
                    "The password was changed meanwhile: sign in again with the new one.",
                ));
            }
            tracing::info!(user = %user.id, "password changed; other sessions closed");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[utoipa::path(post, path = "/v1/account/totp/setup", tag = "account", security(("bearer" = [])), responses((status = 200, body = TotpSetup), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, description = "Too many requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/account/totp/setup`: a new secret, kept until a code confirms it
/// (`/enable`); nothing is in force yet.
pub async fn totp_setup(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    caller: Caller,
) -> Result<Json<TotpSetup>, ApiError> {
    state
        .blocking(move |storage| {
            let user = caller.user;
            let already = || {
                totp_conflict(
                    "totp_already_enabled",
                    "Two-factor authentication is already on; turn it off first to change the device.",
                )
            };
            if user.totp_enabled {
                return Err(already());
            }
            let secret = secrets::new_totp_secret()?;
            let otpauth_uri = secrets::totp_uri(&secret, &user.email)?;
            // Never over a secret in force: two-factor may have been turned on meanwhile.
            if !storage.set_totp_secret(user.id, &secret)? {
                return Err(already());
            }
            Ok(Json(TotpSetup { secret, otpauth_uri }))
        })
        .await
}

#[utoipa::path(post, path = "/v1/account/totp/enable", tag = "account", security(("bearer" = [])), request_body = TotpChange, responses((status = 204, description = "Two-factor on"), (status = 400, description = "Bad request, or a wrong code", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Wrong current password (it counts as a failed sign-in)", body = ErrorBody), (status = 409, body = ErrorBody), (status = 423, description = "Account locked", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds until the lock ends"))), (status = 429, description = "Too many failed attempts, or too many requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/account/totp/enable`: two-factor turns on with the current password and a
/// valid code of the device being set up.
pub async fn totp_enable(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    caller: Caller,
    ApiJson(request): ApiJson<TotpChange>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    let user = caller.user;
    confirm_password(&state, &user, request.current_password, now, wrong_password).await?;
    state
        .blocking(move |storage| {
            if user.totp_enabled {
                return Err(totp_conflict("totp_already_enabled", "Two-factor authentication is already on."));
            }
            let secret = user
                .totp_secret
                .clone()
                .ok_or_else(|| totp_conflict("totp_not_set_up", "Start the two-factor set-up first."))?;
            let step = secrets::totp_step(&secret, &request.code, now)?.ok_or_else(|| {
                ApiError::bad_request("invalid_code", "This code is wrong: check the time on your phone.")
            })?;
            // The secret the code was checked against, and no other, goes into force.
            if !storage.enable_totp(user.id, &secret, Some(step))? {
                return Err(totp_conflict(
                    "totp_setup_changed",
                    "Two-factor was set up again or turned on meanwhile: start the set-up again.",
                ));
            }
            tracing::info!(user = %user.id, "two-factor authentication on");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[utoipa::path(post, path = "/v1/account/totp/disable", tag = "account", security(("bearer" = [])), request_body = TotpChange, responses((status = 204, description = "Two-factor off"), (status = 400, description = "Bad request, or a wrong or used code (it counts as a failed sign-in)", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Wrong current password (it counts as a failed sign-in)", body = ErrorBody), (status = 409, body = ErrorBody), (status = 423, description = "Account locked", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds until the lock ends"))), (status = 429, description = "Too many failed attempts, or too many requests: wait", body = ErrorBody, headers(("Retry-After" = i64, description = "Seconds to wait")))))]
/// `POST /v1/account/totp/disable`: needs the current password and a current code.
pub async fn totp_disable(
    State(state): State<AppState>,
    _attempt: AuthAttempt,
    caller: Caller,
    ApiJson(request): ApiJson<TotpChange>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    let user = caller.user;
    confirm_password(&state, &user, request.current_password, now, wrong_password).await?;
    let policy = state.policy.clone();
    state
        .blocking(move |storage| {
            let not_on = || totp_conflict("totp_not_enabled", "Two-factor authentication is not on.");
            if !user.totp_enabled {
                return Err(not_on());
            }
            confirm_code(storage, &user, &request.code, &policy, now, wrong_code)?;
            if !storage.disable_totp(user.id)? {
                return Err(not_on());
            }
            tracing::info!(user = %user.id, "two-factor authentication off");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
