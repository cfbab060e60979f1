//! The company's SMTP settings: where documents are sent from, and how securely.
//!
//! Plain SMTP (no encryption) is accepted only to this computer (`localhost`,
//! `127.0.0.1`, `::1`), as the sync client accepts `http://` only there: the password and
//! the documents would otherwise cross the network in clear.

use serde::{Deserialize, Serialize};

use crate::engine::credentials::{CredentialError, CredentialStore};
use crate::model::CompanyId;

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// A plain connection upgraded with `STARTTLS` before anything else (port 587); the
    /// upgrade is required, never optional.
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte ("SMTPS", port 465).
    #[serde(rename = "tls")]
    Tls,
    /// No encryption: only to an SMTP server on this computer (a local relay, tests).
    #[serde(rename = "none")]
    Plain,
}

impl Security {
    /// The usual port of this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::Plain => 25,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartTls => "starttls",
            Self::Tls => "tls",
            Self::Plain => "none",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::StartTls, Self::Tls, Self::Plain].into_iter().find(|s| s.as_str() == value)
    }
}

/// Where a company's e-mails leave from. The password is not here: see [`password_key`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The account to sign in with; `None` for a server that takes mail without signing in.
    pub username: Option<String>,
    pub sender_address: String,
    /// The name shown beside the address ("Boulangerie Dupont").
    pub sender_name: String,
    pub reply_to: Option<String>,
}

/// Why SMTP settings were refused; nothing was saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("The SMTP server's address is missing.")]
    HostMissing,
    #[error("“{0}” is not a valid SMTP server name.")]
    BadHost(String),
    #[error("The SMTP port must be between 1 and 65535.")]
    BadPort,
    #[error("“{value}” is not a valid e-mail address ({field}).")]
    BadAddress { field: &'static str, value: String },
    #[error("The sender's name must be at most 120 characters, on one line.")]
    BadSenderName,
    #[error(
        "“{0}” would receive your SMTP password and your documents unencrypted: only an SMTP server of this \
         computer (localhost, 127.0.0.1) may do without encryption. Choose STARTTLS or TLS."
    )]
    InsecureServer(String),
}

impl SettingsError {
    /// A stable code, like the store's and the server's.
    pub fn code(&self) -> &'static str {
        match self {
            Self::HostMissing => "smtp_host_missing",
            Self::BadHost(_) => "smtp_host_invalid",
            Self::BadPort => "smtp_port_invalid",
            Self::BadAddress { .. } => "mail_address_invalid",
            Self::BadSenderName => "mail_sender_name_invalid",
            Self::InsecureServer(_) => "smtp_insecure_server",
        }
    }
}

/// Whether `host` names this computer.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks one e-mail address (`field` names it in the error).
pub(crate) fn check_address(field: &'static str, value: &str) -> Result<lettre::Address, SettingsError> {
    value.trim().parse().map_err(|_| SettingsError::BadAddress { field, value: value.to_owned() })
}

impl SmtpSettings {
    /// Checks every field; plain SMTP is refused unless the server is on this computer.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(SettingsError::HostMissing);
        }
        let bracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        let name_ok = bracketed.map_or_else(
            || {
                host.len() <= 253
                    && host.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                            && !label.starts_with('-')
                            && !label.ends_with('-')
                    })
            },
            |inner| inner.parse::<std::net::Ipv6Addr>().is_ok(),
        );
        if !name_ok {
            return Err(SettingsError::BadHost(self.host.clone()));
        }
        if self.port == 0 {
            return Err(SettingsError::BadPort);
        }
        check_address("sender", &self.sender_address)?;
        if let Some(reply_to) = &self.reply_to {
            check_address("reply-to", reply_to)?;
        }
        if self.sender_name.chars().count() > 120 || self.sender_name.chars().any(char::is_control) {
            return Err(SettingsError::BadSenderName);
        }
        if self.security == Security::Plain && !is_loopback(host) {
            return Err(SettingsError::InsecureServer(self.host.clone()));
        }
        Ok(())
    }
}

/// The keychain entry of a company's SMTP password: `smtp:<company id>`.
pub fn password_key(company: CompanyId) -> String {
    format!("smtp:{company}")
}

/// Keeps the company's SMTP password in `credentials` (the OS keychain in the app).
pub fn save_password(
    credentials: &dyn CredentialStore,
    company: CompanyId,
    password: &str,
) -> Result<(), CredentialError> {
    credentials.save(&password_key(company), password)
}

/// The company's SMTP password, when one was saved.
pub fn load_password(credentials: &dyn CredentialStore, company: CompanyId) -> Result<Option<String>, CredentialError> {
    credentials.load(&password_key(company))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(host: &str, security: Security) -> SmtpSettings {
        SmtpSettings {
            host: host.into(),
            port: security.default_port(),
            security,
            username: Some("factures@dupont.fr".into()),
            sender_address: "factures@dupont.fr".into(),
            sender_name: "Boulangerie Dupont".into(),
            reply_to: None,
        }
    }

    #[test]
    fn plain_smtp_is_only_for_this_computer() {
        for host in ["localhost", "127.0.0.1", "127.3.2.1", "[::1]"] {
            assert_eq!(settings(host, Security::Plain).validate(), Ok(()), "{host}");
        }
        for host in ["smtp.dupont.fr", "192.168.1.10", "10.0.0.1"] {
            let error = settings(host, Security::Plain).validate().unwrap_err();
            assert_eq!(error.code(), "smtp_insecure_server", "{host}");
            assert!(error.to_string().contains("STARTTLS"), "says what to do: {error}");
            assert_eq!(settings(host, Security::StartTls).validate(), Ok(()));
            assert_eq!(settings(host, Security::Tls).validate(), Ok(()));
        }
    }

    #[test]
    fn bad_fields_are_refused_with_a_code() {
        let mut bad = settings("", Security::Tls);
        assert_eq!(bad.validate().unwrap_err().code(), "smtp_host_missing");
        bad.host = "smtp dupont.fr".into();
        assert_eq!(bad.validate().unwrap_err().code(), "smtp_host_invalid");
        bad.host = "smtp.dupont.fr".into();
        bad.port = 0;
        assert_eq!(bad.validate().unwrap_err().code(), "smtp_port_invalid");
        bad.port = 465;
        bad.sender_address = "pas une adresse".into();
        assert_eq!(bad.validate().unwrap_err().code(), "mail_address_invalid");
        bad.sender_address = "factures@dupont.fr".into();
        bad.reply_to = Some("a@@b".into());
        assert_eq!(bad.validate().unwrap_err().code(), "mail_address_invalid");
        bad.reply_to = None;
        bad.sender_name = "Dupont\r\nBcc: x@y.z".into();
        assert_eq!(bad.validate().unwrap_err().code(), "mail_sender_name_invalid");
    }

    #[test]
    fn the_password_goes_to_the_credentials_store_under_the_company() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::engine::credentials::FileCredentials::new(&dir.path().join("credentials.json"));
        let company = CompanyId(uuid::Uuid::now_v7());
        assert_eq!(load_password(&store, company).unwrap(), None);
        save_password(&store, company, "s3cret").unwrap();
        assert_eq!(load_password(&store, company).unwrap().as_deref(), Some("s3cret"));
        assert_eq!(store.load(&format!("smtp:{company}")).unwrap().as_deref(), Some("s3cret"));
    }
}
