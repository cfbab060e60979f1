//! A company hosted by one computer: the invitations its devices pair with, the key
//! exchanges of typed codes under way, and the devices paired (issue 15).
//!
//! The host makes an invitation for a member of the company ([`invite`]): a secret for
//! the link (only its hash is kept) and a typed code, both valid [`INVITATION_TTL`] by
//! the host's clock, and spent by the first claim. The API's `/v1/pair/…` handlers
//! ([`crate::api::pairing`]) turn a claim into a session for that member, recorded as a
//! device that the host lists ([`devices`]) and may revoke ([`revoke`]). Invitations are
//! made on the host itself (its window, `comptoir host`), never through the API: no
//! request from the network can create one.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use comptoir_core::lan::pake::HostExchange;
use comptoir_core::lan::{Fingerprint, PairingCode, PairingSecret};
use comptoir_core::model::{CompanyId, Role};
use uuid::Uuid;

use crate::auth as secrets;
use crate::storage::{DeviceRecord, InvitationRecord, Storage, StorageError};
use crate::sync::{self, Actor, AuditEntry};

/// How long an invitation lives, by the host's clock.
pub const INVITATION_TTL: Duration = Duration::minutes(10);
/// How long a device has between the two steps of a typed code's exchange.
pub const EXCHANGE_TTL: Duration = Duration::minutes(1);
/// The most exchanges under way at once; more are refused until some end.
pub const MAX_EXCHANGES: usize = 32;

/// Why an invitation cannot be made, or a device revoked.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("{0} is not a member of this company")]
    NotMember(String),
    #[error("no such device in this company, or it was revoked already")]
    NoDevice,
    #[error("no free code: too many invitations are open")]
    NoFreeCode,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("pairing: {0}")]
    Lan(#[from] comptoir_core::lan::LanError),
}

impl PairingError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotMember(_) => "not_a_member",
            Self::NoDevice => "no_such_device",
            Self::NoFreeCode => "no_free_code",
            Self::Storage(_) => "storage",
            Self::Lan(error) => error.code(),
        }
    }
}

/// A host's own state: its certificate's fingerprint (what the typed code's exchange
/// binds) and the exchanges under way, in memory (a restart ends them; the device types
/// a new code).
#[derive(Debug)]
pub struct Hosting {
    pub fingerprint: Fingerprint,
    exchanges: Mutex<HashMap<Uuid, Pending>>,
    /// When each session's sync was last written down ([`Self::due_to_note`]).
    noted: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

/// How often a device's last sync is written down: the host's list shows it to the
/// minute, and a device syncing every few seconds must not cost a write each time.
pub const SEEN_EVERY: Duration = Duration::seconds(30);
/// A device seen this recently is shown as connected now.
pub const CONNECTED_WITHIN: Duration = Duration::minutes(2);

/// An exchange whose device has not confirmed yet.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) exchange: HostExchange,
    pub(crate) invitation: InvitationRecord,
    pub(crate) started_at: DateTime<Utc>,
}

impl Hosting {
    pub fn new(fingerprint: Fingerprint) -> Self {
        Self { fingerprint, exchanges: Mutex::default(), noted: Mutex::default() }
    }

    /// Whether the sync of `session` at `now` is to be written down as the device's last
    /// ([`Storage::device_seen`]): not when it was less than [`SEEN_EVERY`] ago.
    pub(crate) fn due_to_note(&self, session: Uuid, now: DateTime<Utc>) -> bool {
        let mut noted = self.noted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if noted.get(&session).is_some_and(|at| now - *at < SEEN_EVERY && now >= *at) {
            return false;
        }
        // Sessions long gone are forgotten as the map is written.
        if noted.len() > 4_096 {
            noted.retain(|_, at| now - *at < SEEN_EVERY);
        }
        noted.insert(session, now);
        true
    }

    /// Keeps an exchange until its device confirms; `None` when too many are under way.
    pub(crate) fn keep(&self, pending: Pending, now: DateTime<Utc>) -> Option<Uuid> {
        let mut exchanges = self.exchanges.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        exchanges.retain(|_, p| now - p.started_at < EXCHANGE_TTL);
        if exchanges.len() >= MAX_EXCHANGES {
            return None;
        }
        let id = Uuid::now_v7();
        exchanges.insert(id, pending);
        Some(id)
    }

    /// Takes the exchange `id` out, if it is still live at `now`: one confirmation each.
    pub(crate) fn take(&self, id: Uuid, now: DateTime<Utc>) -> Option<Pending> {
        let mut exchanges = self.exchanges.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        exchanges.remove(&id).filter(|p| now - p.started_at < EXCHANGE_TTL)
    }
}

/// An invitation as the host shows it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: Uuid,
    /// The link's secret (the link adds the host's addresses and fingerprint).
    pub secret: PairingSecret,
    pub code: PairingCode,
    pub expires_at: DateTime<Utc>,
    pub email: String,
    pub role: Role,
}

/// Makes an invitation for `member` (an account's email) of `company`, valid
/// [`INVITATION_TTL`] from `now`.
pub fn invite(
    storage: &dyn Storage,
    company: CompanyId,
    member: &str,
    now: DateTime<Utc>,
) -> Result<Invitation, PairingError> {
    let email = member.trim().to_lowercase();
    let found = storage.members(company)?.into_iter().find(|m| m.email == email);
    let member = found.ok_or_else(|| PairingError::NotMember(email.clone()))?;
    let secret = PairingSecret::generate()?;
    // A handle in use by another live invitation is drawn again; a host has a few open
    // at most, so a free one comes quickly.
    for _ in 0..64 {
        let code = PairingCode::generate(PairingCode::random_handle()?)?;
        let record = InvitationRecord {
            id: Uuid::now_v7(),
            company_id: company,
            user_id: member.user_id,
            secret_hash: secrets::token_hash(&secret.to_base64url()),
            code_handle: code.handle(),
            code: code.password(),
            created_at: now,
            expires_at: now + INVITATION_TTL,
        };
        if storage.create_invitation(&record, now)? {
            tracing::info!(%company, member = %member.email, "pairing invitation made");
            return Ok(Invitation {
                id: record.id,
                secret,
                code,
                expires_at: record.expires_at,
                email: member.email,
                role: member.role,
            });
        }
    }
    Err(PairingError::NoFreeCode)
}

/// The devices paired with `company`, revoked ones too.
pub fn devices(storage: &dyn Storage, company: CompanyId) -> Result<Vec<DeviceRecord>, PairingError> {
    Ok(storage.devices(company)?)
}

/// Revokes a device: its session ends at once, its next request is refused.
pub fn revoke(storage: &dyn Storage, company: CompanyId, device: Uuid, now: DateTime<Utc>) -> Result<(), PairingError> {
    if !storage.revoke_device(company, device, now)? {
        return Err(PairingError::NoDevice);
    }
    tracing::info!(%company, %device, "device revoked");
    audit(storage, company, &Actor::system(), "revoke_device", device, None, now);
    Ok(())
}

/// Appends a pairing event to the company's audit trail. A failure is logged, not
/// answered: the pairing itself holds.
pub(crate) fn audit(
    storage: &dyn Storage,
    company: CompanyId,
    actor: &Actor,
    action: &str,
    device: Uuid,
    name: Option<&str>,
    now: DateTime<Utc>,
) {
    let changes: Vec<_> = name
        .map(|name| comptoir_core::audit::FieldChange {
            field: "name".into(),
            before: None,
            after: Some(name.to_owned()),
        })
        .into_iter()
        .collect();
    let result = storage.in_company(company, &mut |tx| {
        let entry = AuditEntry { action, entity: "device", entity_id: Some(device), changes: changes.clone() };
        sync::append_audit(tx, company, actor, now, entry).map(|_| ())
    });
    if let Err(error) = result {
        tracing::error!(%error, %company, "cannot write the pairing to the audit trail");
    }
}

/// The member an invitation names, as they are now: still a member, with their role.
pub(crate) fn member_of(
    storage: &dyn Storage,
    invitation: &InvitationRecord,
) -> Result<Option<(crate::storage::UserRecord, Role, String)>, StorageError> {
    let Some(user) = storage.user(invitation.user_id)? else { return Ok(None) };
    let membership = storage.memberships(user.id)?.into_iter().find(|(company, _)| company.id == invitation.company_id);
    Ok(membership.map(|(company, role)| (user, role, company.name)))
}
