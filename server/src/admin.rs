//! What the `comptoir-server admin …` commands do, as library functions.

use chrono::Utc;
use comptoir_core::model::{CompanyId, Country, ModelError, Role, UserId};
use thiserror::Error;

use crate::auth::{self, AuthError};
use crate::storage::{Storage, StorageError, UserRecord};

#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("no user has the email {0}")]
    UnknownUser(String),
    #[error("no company has the id {0}")]
    UnknownCompany(CompanyId),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Rule(#[from] ModelError),
}

/// Creates an account. The email is stored lower-cased and checked for shape.
pub fn create_user(
    storage: &dyn Storage,
    email: &str,
    password: &str,
    display_name: &str,
) -> Result<UserId, AdminError> {
    let email = email.trim().to_lowercase();
    comptoir_core::model::validate_email(&email)?;
    if password.chars().count() < crate::api::MIN_PASSWORD_CHARS {
        return Err(AdminError::Invalid(format!(
            "a password needs at least {} characters",
            crate::api::MIN_PASSWORD_CHARS
        )));
    }
    let user = UserRecord::new(&email, Some(display_name), auth::hash_password(password)?);
    storage.create_user(&user)?;
    Ok(user.id)
}

/// Creates a company, its change log and its settings.
pub fn create_company(storage: &dyn Storage, name: &str, country: &str) -> Result<CompanyId, AdminError> {
    let country = Country::from_code(country)?;
    if name.trim().is_empty() {
        return Err(AdminError::Invalid("a company needs a name".into()));
    }
    Ok(crate::sync::create_company(storage, name.trim(), &country, Utc::now())?)
}

/// Adds an existing user to a company with a role (or changes their role).
pub fn add_member(storage: &dyn Storage, company: CompanyId, email: &str, role: Role) -> Result<UserId, AdminError> {
    let email = email.trim().to_lowercase();
    storage.company(company)?.ok_or(AdminError::UnknownCompany(company))?;
    let user = storage.user_by_email(&email)?.ok_or(AdminError::UnknownUser(email))?;
    storage.set_member(company, user.id, role)?;
    crate::sync::log_member(storage, company, &user, Some(role), &crate::sync::Actor::system(), Utc::now())?;
    Ok(user.id)
}
