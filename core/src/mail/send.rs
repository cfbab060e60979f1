//! One connection to the company's SMTP server, and why a sending failed: whether trying
//! again later may help (the server unreachable, a temporary `4xx`) or not (a `5xx`
//! refusal of the message).

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::settings::{Security, SettingsError, SmtpSettings};

/// Why a message did not leave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("No SMTP password is saved for this company: enter it in the e-mail settings.")]
    PasswordMissing,
    #[error("The SMTP server {server} cannot be reached ({reason}); the message will be sent later.")]
    Unreachable { server: String, reason: String },
    #[error(
        "No secure connection could be made with the SMTP server ({0}): nothing was sent. Check the security \
         setting (STARTTLS or TLS) and the port."
    )]
    Insecure(String),
    #[error("The SMTP server refused to sign in ({0}): check the user name and password.")]
    SignInRefused(String),
    #[error("The SMTP server refused the message for now ({0}); it will be sent again later.")]
    Deferred(String),
    #[error("The SMTP server refused the message ({0}).")]
    Rejected(String),
}

impl SendError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Settings(e) => e.code(),
            Self::PasswordMissing => "smtp_password_missing",
            Self::Unreachable { .. } => "smtp_unreachable",
            Self::Insecure(_) => "smtp_tls_failed",
            Self::SignInRefused(_) => "smtp_sign_in_refused",
            Self::Deferred(_) => "smtp_deferred",
            Self::Rejected(_) => "smtp_rejected",
        }
    }

    /// Whether the same message can never go as it is (the server refused it for good).
    /// Every other failure leaves it waiting: the network, the settings or the password
    /// can be mended.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Rejected(_))
    }

    fn from_smtp(server: &str, error: &lettre::transport::smtp::Error) -> Self {
        let reason = error.to_string();
        // A failed handshake, or a server that does not offer the STARTTLS it must.
        if error.is_tls() || (error.is_client() && reason.contains("STARTTLS")) {
            return Self::Insecure(reason);
        }
        match error.status().map(|code| code.to_string()) {
            // 530, 534, 535, 538: authentication required, too weak, failed, needs encryption.
            Some(code) if ["530", "534", "535", "538"].contains(&code.as_str()) => Self::SignInRefused(reason),
            Some(_) if error.is_permanent() => Self::Rejected(reason),
            Some(_) => Self::Deferred(reason),
            None => Self::Unreachable { server: server.to_owned(), reason },
        }
    }
}

/// A connection set-up to one SMTP server (connections are opened per sending pass).
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("server", &self.server).finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// A sender for `settings`, signing in with `password` when the settings name a user.
    /// TLS is verified by the platform's verifier; plain SMTP only to this computer.
    pub fn new(settings: &SmtpSettings, password: Option<&str>) -> Result<Self, SendError> {
        settings.validate()?;
        let host = settings.host.trim();
        let server = format!("{host}:{}", settings.port);
        let unreachable = |e: lettre::transport::smtp::Error| SendError::Unreachable {
            server: server.clone(),
            reason: e.to_string(),
        };
        let builder = match settings.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(unreachable)?,
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(unreachable)?,
            // `validate` refused plain SMTP to anything but this computer.
            Security::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder.port(settings.port).timeout(Some(Duration::from_secs(30)));
        if let Some(user) = settings.username.as_deref().filter(|u| !u.trim().is_empty()) {
            let password = password.ok_or(SendError::PasswordMissing)?;
            builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
        }
        Ok(Self { transport: builder.build(), server })
    }

    /// Sends one message over a new connection.
    pub async fn send(&self, message: lettre::Message) -> Result<(), SendError> {
        self.transport.send(message).await.map(drop).map_err(|e| SendError::from_smtp(&self.server, &e))
    }
}
