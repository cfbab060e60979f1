//! Joining a computer that hosts a company on the local network (the wizard's
//! « Rejoindre un ordinateur du réseau local »): pairing by link or typed code, then the
//! same path as a sign-in — the session kept in the credentials store under the
//! member's email, the account recorded with the host's `comptoir-lan://` address (its
//! certificate pinned), the company downloaded and opened. `comptoir join` does the same
//! from the command line.
//!
//! A copy of the company already on this computer (joined before, or synced with a
//! server) is backed up beside its file before the first sync with the host touches it.
//!
//! It lives in the engine, not the window, because the engine owns the credentials
//! store, the app file and the session: a pairing done elsewhere would have to hand all
//! three over.

use super::Worker;
use super::session::setup_error;
use crate::engine::{Event, SetupError};
use crate::lan::pairing::Paired;
use crate::lan::{HostAddress, PairingLink, TypedInvitation};
use crate::model::CompanyId;
use crate::store::StoreError;
use crate::sync::{ClientError, SyncClient};

impl Worker {
    /// Pairs by `invitation` (a link, or `CODE@IP:PORT`) under `device_name`, then signs
    /// in with the session the host gave and opens its company.
    pub(super) async fn join(&mut self, invitation: &str, device_name: &str) {
        let (paired, host) = match pair(invitation.trim(), device_name).await {
            Ok(paired) => paired,
            Err(error) => return self.emit(Event::SetupFailed(error)),
        };
        if let Err(e) = self.back_up_existing(CompanyId(paired.company_id)) {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        let server = host.to_string();
        if let Err(e) = self.app.set_server_url(&server) {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        tracing::info!(host = %host.fingerprint, company = %paired.company_id, device = %paired.device_id, "paired with a host of the local network");
        if let Err(e) = crate::engine::credentials::save_device_secret(self.config.credentials.as_ref(), &paired) {
            tracing::warn!(error = %e, "the device's secret could not be kept: after a restore of the host, pair again");
        }
        self.server = server;
        self.email = Some(paired.email.trim().to_lowercase());
        self.account = None;
        self.challenge = None;
        self.signed_in(&paired.tokens).await;
    }
}

impl Worker {
    /// Backs up the copy of `company` already here, if any (`VACUUM INTO` beside it):
    /// where the backup went.
    fn back_up_existing(&self, company: CompanyId) -> Result<Option<std::path::PathBuf>, StoreError> {
        let Ok(local) = self.app.company(company) else { return Ok(None) };
        if !local.file_path.exists() {
            return Ok(None);
        }
        let conn = rusqlite::Connection::open(&local.file_path)?;
        let version = crate::store::migrate::schema_version(&conn)?;
        let backup = crate::store::migrate::backup_copy(&conn, &local.file_path, version)?;
        tracing::info!(backup = %backup.display(), "the copy already here was backed up before joining");
        Ok(Some(backup))
    }
}

/// Pairs by link or typed code: the host's session and its address to keep.
async fn pair(invitation: &str, device_name: &str) -> Result<(Paired, HostAddress), SetupError> {
    if invitation.starts_with(crate::lan::link::PREFIX) {
        let link = PairingLink::parse(invitation).map_err(|e| refused(e.code(), &e))?;
        let host = HostAddress::of_link(&link);
        let (_, paired) = SyncClient::pair_by_link(&link, device_name).await.map_err(|e| pairing_error(&e, &host))?;
        Ok((paired, host))
    } else {
        let typed = TypedInvitation::parse(invitation).map_err(|e| refused(e.code(), &e))?;
        let (_, paired, host) = SyncClient::pair_by_code(&typed, device_name).await.map_err(|e| match e {
            ClientError::Unreachable(_) => SetupError::HostUnreachable { address: typed.address.to_string() },
            other => setup_error(&other, &typed.address.to_string()),
        })?;
        Ok((paired, host))
    }
}

/// A pairing's failure: the host unreachable says where it was looked for.
fn pairing_error(error: &ClientError, host: &HostAddress) -> SetupError {
    match error {
        ClientError::Unreachable(_) => SetupError::HostUnreachable {
            address: host.addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        },
        other => setup_error(other, &host.to_string()),
    }
}

fn refused(code: &str, error: &impl std::fmt::Display) -> SetupError {
    SetupError::Refused { code: code.to_owned(), message: error.to_string() }
}
