//! Work without the cloud: a company hosted by one computer of the local network, which
//! other devices join by pairing (issue 15).
//!
//! - [`identity`]: the host's TLS identity, a self-signed certificate made once and kept
//!   beside the app's files, and the rustls server configuration that presents it;
//! - [`pin`]: the certificate's SHA-256 [`Fingerprint`] and the device's verifier that
//!   accepts exactly that certificate (host names and dates ignored: a DHCP change or a
//!   wrong clock does not matter; any other certificate is refused before a byte of the
//!   request is sent);
//! - [`link`]: the `comptoir://pair` link a QR code carries: the host's addresses, the
//!   fingerprint, and a single-use secret;
//! - [`code`] and [`pake`]: the short code typed instead (no camera), and the SPAKE2
//!   exchange that makes it safe against a listener and binds it to the certificate;
//! - [`address`]: how a joined device names its host afterwards (`comptoir-lan://…`),
//!   and [`discovery`]: finding it again by mDNS when its address changed;
//! - [`pairing`]: what the host and the device say to each other to pair.

pub mod address;
pub mod code;
pub mod discovery;
pub mod identity;
pub mod link;
pub mod pairing;
pub mod pake;
pub mod pin;

use thiserror::Error;

pub use address::HostAddress;
pub use code::{PairingCode, TypedInvitation};
pub use identity::HostIdentity;
pub use link::{PairingLink, PairingSecret};
pub use pin::{Fingerprint, client_config, first_contact_config};

/// Why hosting or joining cannot go on.
#[derive(Debug, Error)]
pub enum LanError {
    /// The identity's files cannot be read or written.
    #[error("the host's certificate files at {path}: {source}")]
    Files { path: String, source: std::io::Error },
    /// The certificate could not be made, or the files hold something else.
    #[error("the host's certificate: {0}")]
    Certificate(String),
    /// rustls refused the configuration.
    #[error("TLS set-up: {0}")]
    Tls(String),
    /// A pairing link or fingerprint that does not read.
    #[error("not a Comptoir pairing link: {0}")]
    BadLink(&'static str),
    /// mDNS could not announce or browse.
    #[error("local network discovery (mDNS): {0}")]
    Discovery(String),
    /// A typed code (or its host's address) that does not read.
    #[error("not a Comptoir pairing code: {0}")]
    BadCode(&'static str),
}

impl LanError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Files { .. } => "host_identity_files",
            Self::Certificate(_) => "host_certificate_invalid",
            Self::Tls(_) => "tls_setup_failed",
            Self::BadLink(_) => "pairing_link_invalid",
            Self::BadCode(_) => "pairing_code_invalid",
            Self::Discovery(_) => "discovery_failed",
        }
    }
}

/// The crypto provider of every TLS connection of the app: aws-lc-rs, as reqwest and
/// lettre are built.
pub(crate) fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
