//! The session: the server's address, signing in (with its two-factor step), the tokens
//! kept fresh, the account and its companies, signing out; and resuming all of it at start.

use super::PREFERENCES;
use super::Worker;
use crate::engine::{AccountEvent, CompanyChoice, Event, Notice, SetupError, SetupStep, SyncState};
use crate::model::{CompanyId, Role, UserId};
use crate::store::LocalAccount;
use crate::sync::{AccountView, ClientError, LoginResponse, SyncClient, Tokens};

/// A session refresh running on its own: it answers the new access token.
pub(super) type RefreshTask = tokio::task::JoinHandle<Result<String, ClientError>>;

/// How long a stopping engine waits for a session refresh already sent.
const SETTLE_REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

impl Worker {
    /// At start: reopen what was set up here, or start the setup flow.
    pub(super) async fn resume(&mut self) {
        let preferences = PREFERENCES
            .iter()
            .filter_map(|key| Some(((*key).to_owned(), self.app.setting(key).ok().flatten()?)))
            .collect();
        self.emit(Event::Preferences(preferences));
        // The account that signed in last, not the first by email.
        let account = self.app.last_account().ok().flatten();
        let Some(account) = account else {
            self.emit(Event::Setup(SetupStep::Server { url: self.server.clone() }));
            return;
        };
        self.server.clone_from(&account.server_url);
        self.email = Some(account.email.clone());
        self.user = Some(account.user_id);
        let signed_in = matches!(self.config.credentials.load(&account.email), Ok(Some(_)));
        if let Some(active) = self.app.active_company().ok().flatten() {
            let choice =
                CompanyChoice { id: active.company_id, name: active.name.clone(), role: Role::ReadOnly, local: true };
            self.open_company(choice).await;
        } else if signed_in {
            match self.refresh_session().await {
                Ok(()) => self.after_sign_in().await,
                Err(e) => {
                    // No company to open yet: the user signs in again (or retries).
                    if matches!(e, ClientError::Unreachable(_)) {
                        self.emit(Event::SetupFailed(setup_error(&e, &self.server)));
                    }
                    let step = SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() };
                    self.emit(Event::Setup(step));
                }
            }
        }
        if !signed_in {
            self.set_state(SyncState::SignedOut);
            self.emit(Event::Notice(Notice::NotSignedIn));
            if self.active.is_none() {
                self.emit(Event::Setup(SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() }));
            }
        }
    }

    pub(super) async fn set_server(&mut self, url: String) {
        let check = async {
            let client = SyncClient::new(&url)?;
            client.check().await
        };
        match check.await {
            Ok(()) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                if let Err(e) = self.app.set_server_url(&url) {
                    self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
                    return;
                }
                self.server = url;
                self.emit(Event::Setup(SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() }));
            }
            Err(e) => self.emit(Event::SetupFailed(setup_error(&e, &url))),
        }
    }

    pub(super) async fn sign_in(&mut self, email: String, password: String) {
        let mut client = match SyncClient::new(&self.server) {
            Ok(client) => client,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        match client.login(email.trim(), &password).await {
            Ok(LoginResponse::SignedIn(tokens)) => {
                self.email = Some(email.trim().to_lowercase());
                self.signed_in(&tokens).await;
            }
            Ok(LoginResponse::TotpRequired { challenge, .. }) => {
                self.email = Some(email.trim().to_lowercase());
                self.challenge = Some(challenge);
                self.emit(Event::Setup(SetupStep::Code { email: email.trim().to_owned() }));
            }
            Err(e) => self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        }
    }

    pub(super) async fn submit_code(&mut self, code: String) {
        let Some(challenge) = self.challenge.clone() else {
            return self.emit(Event::SetupFailed(SetupError::WrongCode));
        };
        let result = async {
            let mut client = SyncClient::new(&self.server)?;
            client.login_totp(&challenge, code.trim()).await
        };
        match result.await {
            Ok(tokens) => {
                self.challenge = None;
                self.signed_in(&tokens).await;
            }
            Err(e) => self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        }
    }

    /// Keeps the session's tokens, then goes on to the company.
    pub(super) async fn signed_in(&mut self, tokens: &Tokens) {
        self.access = Some(tokens.access_token.clone());
        self.user = Some(UserId(tokens.user_id));
        if let Some(email) = &self.email
            && let Err(e) = self.config.credentials.save(email, &tokens.refresh_token)
        {
            tracing::warn!(error = %e, "the sign-in token could not be kept: the next start asks to sign in again");
        }
        self.after_sign_in().await;
    }

    /// With a session: read the account, then open the active company or ask for one.
    pub(super) async fn after_sign_in(&mut self) {
        let account = match self.client() {
            Ok(client) => client.account().await,
            Err(e) => Err(e),
        };
        let account = match account {
            Ok(account) => account,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        self.email = Some(account.email.clone());
        self.user = Some(UserId(account.user_id));
        let saved = self.app.upsert_account(&LocalAccount {
            user_id: UserId(account.user_id),
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            server_url: self.server.clone(),
        });
        if let Err(e) = saved {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        let choices = self.choices(&account);
        self.emit(Event::Companies(choices.clone()));
        self.emit(Event::Account(AccountEvent::TwoFactor { enabled: account.totp_enabled }));
        self.account = Some(account);
        let active = self
            .active
            .as_ref()
            .map(|a| a.id)
            .or_else(|| self.app.active_company().ok().flatten().map(|c| c.company_id));
        let lan_host = crate::lan::HostAddress::is_host_address(&self.server).then(|| self.server.clone());
        self.emit(Event::SignedIn { email: self.email.clone().unwrap_or_default(), role: None, lan_host });
        match (choices.as_slice(), active) {
            ([], _) => self.emit(Event::SetupFailed(SetupError::NoCompany)),
            (_, Some(active)) if choices.iter().any(|c| c.id == active) => self.choose(active).await,
            ([one], _) => self.choose(one.id).await,
            _ => self.emit(Event::Setup(SetupStep::ChooseCompany { companies: choices })),
        }
    }

    /// The account's companies, each marked when its copy is on this machine.
    pub(super) fn choices(&self, account: &AccountView) -> Vec<CompanyChoice> {
        let known: Vec<CompanyId> = self.app.companies().unwrap_or_default().iter().map(|c| c.company_id).collect();
        account
            .companies
            .iter()
            .map(|m| CompanyChoice {
                id: CompanyId(m.company_id),
                name: m.name.clone(),
                role: m.role,
                local: known.contains(&CompanyId(m.company_id)),
            })
            .collect()
    }

    /// Runs a request of the signed-in user, getting a fresh access token first when
    /// there is none or the server says the one held has expired.
    pub(super) async fn with_session<T>(
        &mut self,
        request: impl AsyncFn(&SyncClient) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        if self.access.is_none() {
            self.refresh_session().await?;
        }
        match request(&self.client()?).await {
            Err(ClientError::SignedOut) => {
                self.refresh_session().await?;
                request(&self.client()?).await
            }
            other => other,
        }
    }

    /// Gets a new access token from the stored refresh token.
    ///
    /// The server spends the old refresh token the moment it answers, so the exchange
    /// runs as a task of its own that keeps the new token itself: a stop that drops the
    /// worker's wait cannot leave the copy holding a spent token (which the server, seeing
    /// it again, takes for a stolen one and closes the session over). A refresh still in
    /// flight is awaited rather than started twice, and [`Worker::settle_refresh`] lets it
    /// finish before the worker ends.
    pub(super) async fn refresh_session(&mut self) -> Result<(), ClientError> {
        let task = match self.refreshing.take() {
            Some(task) => task,
            None => self.start_refresh()?,
        };
        // Kept in the worker while awaited: if this wait is dropped, the task is not.
        let task = self.refreshing.insert(task);
        let outcome = task.await;
        self.refreshing = None;
        let access = outcome.map_err(|e| ClientError::Unreachable(format!("the session refresh failed: {e}")))??;
        self.access = Some(access);
        Ok(())
    }

    /// Spawns the exchange of the stored refresh token for new tokens; the task keeps the
    /// new refresh token and answers the new access token.
    fn start_refresh(&self) -> Result<RefreshTask, ClientError> {
        let email = self.email.clone().ok_or(ClientError::SignedOut)?;
        let refresh = self.config.credentials.load(&email).ok().flatten().ok_or(ClientError::SignedOut)?;
        let mut client = SyncClient::new(&self.server)?;
        let credentials = self.config.credentials.clone();
        let lan_host = crate::lan::HostAddress::is_host_address(&self.server);
        Ok(tokio::spawn(async move {
            let tokens = match client.refresh(&refresh).await {
                // A host of the local network that no longer knows the token (restored
                // from a backup): the device signs in again with its own secret, when it
                // has one.
                Err(ClientError::SignedOut) if lan_host => {
                    let (device, secret) = crate::engine::credentials::device_secret(credentials.as_ref(), &email)
                        .ok_or(ClientError::SignedOut)?;
                    tracing::info!(%device, "the host does not know this device's session: signing in with its secret");
                    client.resume_device(device, &secret).await?
                }
                result => result?,
            };
            if let Err(e) = credentials.save(&email, &tokens.refresh_token) {
                tracing::warn!(error = %e, "the new sign-in token could not be kept");
            }
            Ok(tokens.access_token)
        }))
    }

    /// Lets a session refresh cut short by a stop finish (for at most
    /// [`SETTLE_REFRESH`]), so that its new refresh token is kept for the next start.
    pub(super) async fn settle_refresh(&mut self) {
        if let Some(task) = self.refreshing.take()
            && tokio::time::timeout(SETTLE_REFRESH, task).await.is_err()
        {
            tracing::warn!("a session refresh was still unanswered when the engine stopped");
        }
    }

    /// Reads the account (companies and roles) when this run has not yet, if a session
    /// can be had; offline, the copy goes on with what it knows.
    pub(super) async fn ensure_account(&mut self) {
        if self.account.is_some() || self.email.is_none() {
            return;
        }
        if self.access.is_none() && self.refresh_session().await.is_err() {
            return;
        }
        let Ok(client) = self.client() else { return };
        if let Ok(account) = client.account().await {
            if let Some(active) = self.active.as_mut()
                && let Some(membership) = account.companies.iter().find(|m| m.company_id == active.id.0)
                && active.role != membership.role
            {
                active.role = membership.role;
                let role = Some(active.role);
                let lan_host = crate::lan::HostAddress::is_host_address(&self.server).then(|| self.server.clone());
                self.emit(Event::SignedIn { email: account.email.clone(), role, lan_host });
            }
            self.emit(Event::Companies(self.choices(&account)));
            self.emit(Event::Account(AccountEvent::TwoFactor { enabled: account.totp_enabled }));
            self.account = Some(account);
        }
    }

    pub(super) async fn sign_out(&mut self, remove_local_data: bool) {
        if let Ok(mut client) = self.client() {
            // Best effort: offline, the tokens die with their expiry.
            let _ = client.logout().await;
        }
        if let Some(email) = &self.email {
            if let Err(e) = self.config.credentials.delete(email) {
                tracing::warn!(error = %e, "the sign-in token could not be deleted");
            }
            // A paired device's own secret goes with its session.
            let device = crate::engine::credentials::device_entry(email);
            if self.config.credentials.load(&device).ok().flatten().is_some()
                && let Err(e) = self.config.credentials.delete(&device)
            {
                tracing::warn!(error = %e, "the device's secret could not be deleted");
            }
        }
        self.access = None;
        self.account = None;
        self.challenge = None;
        let link = self.link.take();
        let aside = self.background.take().map(|background| background.path());
        self.next_sync = None;
        if remove_local_data {
            drop(link);
            // A background download's file is not recorded until it ends.
            if let Some(path) = aside {
                crate::store::remove_company_file(&path);
            }
            for company in self.app.companies().unwrap_or_default() {
                if company.account.is_none() || company.account == self.user {
                    crate::store::remove_company_file(&company.file_path);
                }
            }
            if let Some(user) = self.user {
                let _ = self.app.remove_account(user);
            }
        }
        self.active = None;
        self.state = SyncState::SignedOut;
        self.emit(Event::SignedOut);
        self.emit(Event::Status(SyncState::SignedOut));
        self.emit(Event::Setup(SetupStep::SignIn { server: self.server.clone(), email: self.email.clone() }));
    }

    pub(super) fn signed_out(&mut self) {
        self.access = None;
        self.set_state(SyncState::SignedOut);
        self.emit(Event::Notice(Notice::NotSignedIn));
        self.update_grace();
    }
}

/// A refused change of the user's password or two-factor, as the UI reports it.
pub(super) fn account_refusal(password: bool, error: &ClientError) -> AccountEvent {
    AccountEvent::Refused { password, code: error.code().to_owned(), message: error.to_string() }
}

/// What a setup step's failure means for the user.
pub(super) fn setup_error(error: &ClientError, url: &str) -> SetupError {
    match error {
        ClientError::BadUrl(_) => SetupError::BadUrl { url: url.to_owned() },
        ClientError::Unreachable(_) => SetupError::Unreachable { url: url.to_owned() },
        ClientError::WrongCredentials | ClientError::SignedOut => SetupError::WrongCredentials,
        ClientError::WrongCode => SetupError::WrongCode,
        ClientError::Locked => SetupError::Locked,
        ClientError::Incompatible(_) => SetupError::Incompatible,
        ClientError::Forbidden
        | ClientError::StaleEpoch
        | ClientError::InsecureUrl(_)
        | ClientError::Refused { .. }
        | ClientError::PairingNotConfirmed
        | ClientError::Busy { .. } => SetupError::Refused { code: error.code().to_owned(), message: error.to_string() },
    }
}
