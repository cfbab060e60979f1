//! `/v1/companies/{company}/…`: what members of a company do in it. Every call checks
//! the caller's role in *that* company with the permission check shared with the app
//! ([`Role::authorize`]); a member of company A gets nothing of company B.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use comptoir_core::model::{CompanyId, Permission, Role, UserId, authorize_membership};
pub use comptoir_core::sync::{AddMember, AddedMember, ChangeRole, MemberView};
use uuid::Uuid;

use super::{ApiJson, AppState, Caller};
use crate::auth as secrets;
use crate::error::{ApiError, ErrorBody};
use crate::pause;
use crate::storage::{MemberRecord, Storage, StorageError, UserRecord, unit_of_work};

/// The caller, as a member of the company named in the path.
#[derive(Debug)]
pub struct Member {
    pub caller: Caller,
    pub company: CompanyId,
    pub role: Role,
}

impl Member {
    /// The shared permission check; a refusal says which role lacks what.
    pub fn authorize(&self, permission: Permission) -> Result<(), ApiError> {
        self.role.authorize(permission).map_err(|e| ApiError::forbidden(e.code(), e.to_string()))
    }
}

/// Parses a UUID from the path, with a clear 400 when it is not one.
pub(crate) fn parse_id(value: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value)
        .map_err(|_| ApiError::bad_request("invalid_id", format!("“{value}” is not a valid {what} id.")))
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))?;
        let company_text = params
            .iter()
            .find(|(name, _)| name == "company")
            .map(|(_, value)| value.clone())
            .ok_or_else(|| ApiError::internal(&"route without a company parameter"))?;
        let company = CompanyId(parse_id(&company_text, "company")?);
        let caller = Caller::from_request_parts(parts, state).await?;
        let user = caller.user.id;
        // A company that moved to another host is read here, never changed: its storage
        // refuses every company transaction (`StorageError::Moved`, `409 company_moved`).
        let role = state
            .blocking(move |storage| {
                Ok(storage.memberships(user)?.into_iter().find(|(c, _)| c.id == company).map(|(_, role)| role))
            })
            .await?
            .ok_or_else(|| ApiError::forbidden("not_a_member", "You are not a member of this company."))?;
        Ok(Self { caller, company, role })
    }
}

fn member_view(m: MemberRecord) -> MemberView {
    MemberView { user_id: m.user_id.0, email: m.email, display_name: m.display_name, role: m.role }
}

#[utoipa::path(get, path = "/v1/companies/{company}/members", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), responses((status = 200, body = Vec<MemberView>), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody)))]
/// `GET /v1/companies/{company}/members`
pub async fn list_members(State(state): State<AppState>, member: Member) -> Result<Json<Vec<MemberView>>, ApiError> {
    member.authorize(Permission::ReadData)?;
    let company = member.company;
    state.blocking(move |storage| Ok(Json(storage.members(company)?.into_iter().map(member_view).collect()))).await
}

/// The shared membership check ([`authorize_membership`]) against the company's
/// `members`: managing members, owners by an owner, never the last owner. The storage
/// refuses a last owner's removal as well, inside the same transaction.
fn authorize_role_change(
    members: &[MemberRecord],
    member: &Member,
    from: Option<Role>,
    to: Option<Role>,
) -> Result<(), ApiError> {
    let owners = members.iter().filter(|m| m.role == Role::Owner).count();
    authorize_membership(member.role, from, to, owners).map_err(|e| match e {
        comptoir_core::model::ModelError::LastOwner => ApiError::from(StorageError::LastOwner),
        e => ApiError::forbidden(e.code(), e.to_string()),
    })
}

fn role_of(members: &[MemberRecord], user: UserId) -> Option<Role> {
    members.iter().find(|m| m.user_id == user).map(|m| m.role)
}

#[utoipa::path(post, path = "/v1/companies/{company}/members", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id")), request_body = AddMember, responses((status = 201, description = "Added", body = AddedMember), (status = 200, description = "Already a member: role set", body = AddedMember), (status = 400, description = "Bad request", body = ErrorBody), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody)))]
/// `POST /v1/companies/{company}/members`: adds a user by email, creating the account
/// when the email has none. The account, the membership, the member record in the
/// company's log and the audit record commit together, or none of them does.
pub async fn add_member(
    State(state): State<AppState>,
    member: Member,
    ApiJson(request): ApiJson<AddMember>,
) -> Result<(StatusCode, Json<AddedMember>), ApiError> {
    let email = request.email.trim().to_lowercase();
    comptoir_core::model::validate_email(&email).map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            // Checked before anything costly (a password hash), and again in the transaction.
            let existing = storage.user_by_email(&email)?;
            let members = storage.members(member.company)?;
            let from = existing.as_ref().and_then(|user| role_of(&members, user.id));
            authorize_role_change(&members, &member, from, Some(request.role))?;
            // An email without an account gets one, with a password to hand over; hashed
            // out of the transaction, which holds the storage.
            let new_account = if existing.is_none() {
                let password = secrets::new_token()?;
                let user = UserRecord::new(&email, request.display_name.as_deref(), secrets::hash_password(&password)?);
                Some((user, password))
            } else {
                None
            };
            let actor = crate::sync::Actor::member(&member.caller.user, member.role);
            let (user, from, created) = unit_of_work(storage, |tx| {
                let (user, created) = match (tx.user_by_email(&email)?, &new_account) {
                    (Some(user), _) => (user, false),
                    (None, Some((user, _))) => {
                        tx.create_user(user)?;
                        pause::point("member:account");
                        (user.clone(), true)
                    }
                    (None, None) => return Err(ApiError::internal(&"an account vanished")),
                };
                let members = tx.members(member.company)?;
                let from = role_of(&members, user.id);
                authorize_role_change(&members, &member, from, Some(request.role))?;
                tx.set_member(member.company, user.id, request.role)?;
                pause::point("member:membership");
                crate::sync::log_member(tx, member.company, &user, Some(request.role), &actor, now)?;
                Ok((user, from, created))
            })?;
            tracing::info!(company = %member.company, by = %member.caller.user.id, user = %user.id, role = %request.role, "member added");
            let initial_password = new_account.filter(|_| created).map(|(_, password)| password);
            let view = MemberView { user_id: user.id.0, email: user.email, display_name: user.display_name, role: request.role };
            let status = if from.is_some() { StatusCode::OK } else { StatusCode::CREATED };
            Ok((status, Json(AddedMember { member: view, account_created: created, initial_password })))
        })
        .await
}

/// Changes (`Some`) or ends (`None`) a member's role, after the permission check, and
/// records it in the company's log and audit trail, in one transaction. Returns the role
/// it had.
fn change_membership(
    storage: &dyn Storage,
    member: &Member,
    user: UserId,
    to: Option<Role>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Role, ApiError> {
    let actor = crate::sync::Actor::member(&member.caller.user, member.role);
    let from = unit_of_work(storage, |tx| -> Result<Role, ApiError> {
        let members = tx.members(member.company)?;
        let from =
            role_of(&members, user).ok_or_else(|| ApiError::not_found("This user is not a member of this company."))?;
        authorize_role_change(&members, member, Some(from), to)?;
        match to {
            Some(role) => tx.set_member(member.company, user, role)?,
            None => tx.remove_member(member.company, user)?,
        }
        let target = tx.user(user)?.ok_or(StorageError::NotFound("user"))?;
        crate::sync::log_member(tx, member.company, &target, to, &actor, now)?;
        Ok(from)
    })?;
    tracing::info!(company = %member.company, by = %member.caller.user.id, %user, %from, to = ?to, "membership changed");
    Ok(from)
}

fn target_user(value: &str) -> Result<UserId, ApiError> {
    Ok(UserId(parse_id(value, "user")?))
}

#[utoipa::path(put, path = "/v1/companies/{company}/members/{user}", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), ("user" = Uuid, Path, description = "The member's user id")), request_body = ChangeRole, responses((status = 200, body = MemberView), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Would leave the company without an owner", body = ErrorBody)))]
/// `PUT /v1/companies/{company}/members/{user}`
pub async fn change_role(
    State(state): State<AppState>,
    member: Member,
    Path((_, user)): Path<(String, String)>,
    ApiJson(request): ApiJson<ChangeRole>,
) -> Result<Json<MemberView>, ApiError> {
    let user = target_user(&user)?;
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            change_membership(storage, &member, user, Some(request.role), now)?;
            let view = storage
                .members(member.company)?
                .into_iter()
                .find(|m| m.user_id == user)
                .map(member_view)
                .ok_or(StorageError::NotFound("member"))?;
            Ok(Json(view))
        })
        .await
}

#[utoipa::path(delete, path = "/v1/companies/{company}/members/{user}", tag = "companies", security(("bearer" = [])), params(("company" = Uuid, Path, description = "The company's id"), ("user" = Uuid, Path, description = "The member's user id")), responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or the session expired", body = ErrorBody), (status = 403, description = "Not a member of this company, or the role does not allow it", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "The last owner", body = ErrorBody)))]
/// `DELETE /v1/companies/{company}/members/{user}`: never the last owner.
pub async fn remove_member(
    State(state): State<AppState>,
    member: Member,
    Path((_, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = target_user(&user)?;
    let now = state.clock.now();
    state
        .blocking(move |storage| {
            change_membership(storage, &member, user, None, now)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
