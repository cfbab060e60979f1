//! `/v1/account`: the signed-in user's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::{ApiJson, AppState, Caller};
use comptoir_core::sync::{AccountView, MembershipView, PasswordChange, TotpCode, TotpSetup};

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

#[utoipa::path(post, path = "/v1/account/password", tag = "account", security(("bearer" = [])), request_body = PasswordChange, responses((status = 204, description = "Changed; other sessions closed"), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Wrong current password", body = ErrorBody)))]
/// `POST /v1/account/password`: needs the current password; every other session of the
/// user is closed.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    validate_new_password(&change.new_password)?;
    state
        .blocking(move |storage| {
            let mut user = caller.user;
            if !secrets::verify_password(&change.current_password, &user.password_hash) {
                return Err(ApiError::forbidden("wrong_password", "The current password is wrong."));
            }
            user.password_hash = secrets::hash_password(&change.new_password)?;
            storage.update_user(&user)?;
            storage.revoke_sessions_of(user.id, Some(caller.session_id))?;
            tracing::info!(user = %user.id, "password changed; other sessions closed");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[utoipa::path(post, path = "/v1/account/totp/setup", tag = "account", security(("bearer" = [])), responses((status = 200, body = TotpSetup), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn totp_setup(State(state): State<AppState>, caller: Caller) -> Result<Json<TotpSetup>, ApiError> {
    state
        .blocking(move |storage| {
            let mut user = caller.user;
            if user.totp_enabled {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "totp_already_enabled",
                    "Two-factor authentication is already on; turn it off first to change the device.",
                ));
            }
            let secret = secrets::new_totp_secret()?;
            let otpauth_uri = secrets::totp_uri(&secret, &user.email)?;
            user.totp_secret = Some(secret.clone());
            storage.update_user(&user)?;
            Ok(Json(TotpSetup { secret, otpauth_uri }))
        })
        .await
}

#[utoipa::path(post, path = "/v1/account/totp/enable", tag = "account", security(("bearer" = [])), request_body = TotpCode, responses((status = 204, description = "Two-factor on"), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 409, body = ErrorBody)))]
/// `POST /v1/account/totp/enable`: two-factor turns on only with a valid code.
pub async fn totp_enable(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<TotpCode>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            let mut user = caller.user;
            if user.totp_enabled {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "totp_already_enabled",
                    "Two-factor authentication is already on.",
                ));
            }
            let secret = user.totp_secret.clone().ok_or_else(|| {
                ApiError::new(StatusCode::CONFLICT, "totp_not_set_up", "Start the two-factor set-up first.")
            })?;
            let step = secrets::totp_step(&secret, &request.code, now)?.ok_or_else(|| {
                ApiError::bad_request("invalid_code", "This code is wrong: check the time on your phone.")
            })?;
            user.totp_enabled = true;
            user.totp_last_step = Some(step);
            storage.update_user(&user)?;
            tracing::info!(user = %user.id, "two-factor authentication on");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[utoipa::path(post, path = "/v1/account/totp/disable", tag = "account", security(("bearer" = [])), request_body = TotpCode, responses((status = 204, description = "Two-factor off"), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 409, body = ErrorBody)))]
/// `POST /v1/account/totp/disable`: needs a current code.
pub async fn totp_disable(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<TotpCode>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            let mut user = caller.user;
            if !user.totp_enabled {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "totp_not_enabled",
                    "Two-factor authentication is not on.",
                ));
            }
            if secrets::fresh_totp_step(&user, &request.code, now)?.is_none() {
                return Err(ApiError::bad_request("invalid_code", "This code is wrong or has already been used."));
            }
            user.totp_enabled = false;
            user.totp_secret = None;
            user.totp_last_step = None;
            storage.update_user(&user)?;
            tracing::info!(user = %user.id, "two-factor authentication off");
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
