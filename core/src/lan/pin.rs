//! Pinning: a device trusts its host by the SHA-256 fingerprint of the host's
//! certificate, learnt at pairing, and nothing else.
//!
//! [`PinnedVerifier`] accepts the one certificate whose fingerprint is the pin and
//! refuses any other before the request leaves: no certificate authority, no host name
//! (the host's address changes with DHCP), no validity dates (a device's clock may be
//! wrong). The handshake's signatures are still verified with the provider's algorithms,
//! so only the holder of the pinned certificate's key can complete it.

use std::sync::Arc;

use base64::Engine as _;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::LanError;

/// The SHA-256 digest of a certificate (DER).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(certificate: &[u8]) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate);
        let mut bytes = [0_u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// Unpadded base64url, as a pairing link carries it (43 characters).
    pub fn to_base64url(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Reads [`Self::to_base64url`]'s form.
    pub fn from_base64url(text: &str) -> Result<Self, LanError> {
        if text.len() != 43 {
            return Err(LanError::BadLink("the fingerprint is not 43 characters"));
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| LanError::BadLink("the fingerprint is not base64url"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| LanError::BadLink("the fingerprint is not 32 bytes"))?;
        Ok(Self(bytes))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Hex pairs separated by colons, as certificate viewers show it.
impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

/// Accepts exactly the certificate of the pinned fingerprint — or, on a first contact,
/// any certificate, whose fingerprint it records.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: Pin,
    algorithms: WebPkiSupportedAlgorithms,
}

#[derive(Debug)]
enum Pin {
    /// Only this certificate.
    Expect(Fingerprint),
    /// Any certificate, recorded: the first contact of a pairing by typed code, whose
    /// key exchange then proves that the certificate seen is the host's (see
    /// [`super::pake`]). Nothing but that exchange is sent on such a connection.
    Record(Arc<std::sync::Mutex<Option<Fingerprint>>>),
}

impl PinnedVerifier {
    pub fn new(pin: Fingerprint) -> Self {
        Self { pin: Pin::Expect(pin), algorithms: super::provider().signature_verification_algorithms }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = Fingerprint::of(end_entity);
        match &self.pin {
            Pin::Expect(pin) if *pin == seen => Ok(ServerCertVerified::assertion()),
            Pin::Expect(_) => {
                Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
            }
            Pin::Record(slot) => {
                // A poisoned slot only means another connection's verifier panicked: the
                // value is still a fingerprint or nothing.
                let mut slot = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                match *slot {
                    // One connection, one certificate: a second, different one (a
                    // reconnection to someone else) is refused.
                    Some(first) if first != seen => {
                        Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
                    }
                    _ => {
                        *slot = Some(seen);
                        Ok(ServerCertVerified::assertion())
                    }
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS configuration of a device talking to its host: the pinned verifier, HTTP/2
/// and HTTP/1.1 offered.
pub fn client_config(pin: Fingerprint) -> Result<rustls::ClientConfig, LanError> {
    config_with(PinnedVerifier::new(pin))
}

/// The certificate seen on a first contact ([`first_contact_config`]).
pub type SeenCertificate = Arc<std::sync::Mutex<Option<Fingerprint>>>;

/// The TLS configuration of a device's first contact with a host whose fingerprint it
/// does not know yet (pairing by typed code): any certificate is accepted and its
/// fingerprint recorded in the returned slot, the handshake's signatures still verified
/// (the peer holds the key of the certificate it shows). What the device sends on it is
/// the key exchange alone, until the exchange proved the fingerprint is the host's.
pub fn first_contact_config() -> Result<(rustls::ClientConfig, SeenCertificate), LanError> {
    let seen = SeenCertificate::default();
    let verifier = PinnedVerifier {
        pin: Pin::Record(Arc::clone(&seen)),
        algorithms: super::provider().signature_verification_algorithms,
    };
    Ok((config_with(verifier)?, seen))
}

fn config_with(verifier: PinnedVerifier) -> Result<rustls::ClientConfig, LanError> {
    let mut config = rustls::ClientConfig::builder_with_provider(super::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| LanError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_fingerprint_reads_back_and_shows_as_hex_pairs() {
        let fingerprint = Fingerprint::of(b"certificate");
        assert_eq!(Fingerprint::from_base64url(&fingerprint.to_base64url()).unwrap(), fingerprint);
        let shown = fingerprint.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert!(shown.split(':').all(|pair| pair.len() == 2));
    }

    /// The pin is all that counts: not the name asked, not the clock (a device two days
    /// or fifty years off), only the certificate.
    #[test]
    fn the_pinned_certificate_is_accepted_whatever_the_name_and_the_date() {
        let host = crate::lan::HostIdentity::generate().unwrap();
        let other = crate::lan::HostIdentity::generate().unwrap();
        let verifier = PinnedVerifier::new(host.fingerprint());
        let certificate = CertificateDer::from(host.certificate().to_vec());
        let name = ServerName::try_from("192.168.1.20").unwrap();
        for seconds in [0, 1_800_000_000 - 2 * 86_400, 4_000_000_000] {
            let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds));
            assert!(verifier.verify_server_cert(&certificate, &[], &name, &[], now).is_ok());
        }
        let now = UnixTime::now();
        let impostor = CertificateDer::from(other.certificate().to_vec());
        assert!(verifier.verify_server_cert(&impostor, &[], &name, &[], now).is_err());
        assert!(!verifier.supported_verify_schemes().is_empty());

        // A first contact records the certificate seen, and refuses another one after.
        let seen = SeenCertificate::default();
        let first = PinnedVerifier { pin: Pin::Record(Arc::clone(&seen)), algorithms: verifier.algorithms };
        assert!(first.verify_server_cert(&certificate, &[], &name, &[], now).is_ok());
        assert_eq!(*seen.lock().unwrap(), Some(host.fingerprint()));
        assert!(first.verify_server_cert(&impostor, &[], &name, &[], now).is_err());
        assert!(first.verify_server_cert(&certificate, &[], &name, &[], now).is_ok());
    }

    proptest! {
        #[test]
        fn any_text_is_a_fingerprint_or_a_clear_refusal(text in "\\PC{0,60}") {
            if let Ok(fingerprint) = Fingerprint::from_base64url(&text) {
                prop_assert_eq!(fingerprint.to_base64url(), text);
            }
        }
    }
}
