//! The host's TLS identity: an ECDSA P-256 key and a self-signed certificate, made the
//! first time a company is hosted and kept (`host-key.der`, `host-certificate.der` in the
//! folder given), so that the fingerprint the devices pinned stays true across restarts.
//! The key file is written first, readable by its owner only, and each file is written
//! whole then renamed into place: a crash leaves either no identity or a complete one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{Fingerprint, LanError};

/// The file names in the identity's folder.
pub const KEY_FILE: &str = "host-key.der";
pub const CERTIFICATE_FILE: &str = "host-certificate.der";

/// The host's key and certificate.
pub struct HostIdentity {
    certificate: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for HostIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("HostIdentity").field("fingerprint", &self.fingerprint()).finish_non_exhaustive()
    }
}

impl HostIdentity {
    /// The identity kept in `dir`, made there the first time.
    pub fn load_or_create(dir: &Path) -> Result<Self, LanError> {
        let (key_path, certificate_path) = (dir.join(KEY_FILE), dir.join(CERTIFICATE_FILE));
        if key_path.exists() && certificate_path.exists() {
            let key = read(&key_path)?;
            let certificate = read(&certificate_path)?;
            let identity = Self { certificate: CertificateDer::from(certificate), key: PrivatePkcs8KeyDer::from(key) };
            // A pair that does not belong together (a file replaced by hand) is refused
            // here rather than at the first connection.
            identity.server_config()?;
            return Ok(identity);
        }
        let identity = Self::generate()?;
        identity.save(dir)?;
        Ok(identity)
    }

    /// The identity kept in `dir`, if there is one there.
    pub fn load(dir: &Path) -> Result<Option<Self>, LanError> {
        if dir.join(KEY_FILE).exists() && dir.join(CERTIFICATE_FILE).exists() {
            Self::load_or_create(dir).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Writes the identity into `dir` (made if needed), readable by its owner only: a
    /// host's backup carries it, so that a host restored elsewhere keeps the devices'
    /// pin.
    pub fn save(&self, dir: &Path) -> Result<(), LanError> {
        std::fs::create_dir_all(dir).map_err(|source| files(dir, source))?;
        write_private(&dir.join(KEY_FILE), self.key.secret_pkcs8_der())?;
        write_private(&dir.join(CERTIFICATE_FILE), self.certificate.as_ref())
    }

    /// A new identity, kept nowhere.
    pub fn generate() -> Result<Self, LanError> {
        let certified = rcgen::generate_simple_self_signed(vec!["comptoir.local".to_owned()])
            .map_err(|e| LanError::Certificate(e.to_string()))?;
        Ok(Self {
            certificate: certified.cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        })
    }

    /// The certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        self.certificate.as_ref()
    }

    /// The certificate's SHA-256 fingerprint, which a pairing link carries.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.certificate)
    }

    /// The rustls configuration of the host's server: this certificate, HTTP/2 and
    /// HTTP/1.1 offered, no client certificates.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, LanError> {
        let mut config = rustls::ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| LanError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.certificate.clone()], PrivateKeyDer::Pkcs8(self.key.clone_key()))
            .map_err(|e| LanError::Certificate(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn files(path: &Path, source: std::io::Error) -> LanError {
    LanError::Files { path: path.display().to_string(), source }
}

fn read(path: &Path) -> Result<Vec<u8>, LanError> {
    let bytes = std::fs::read(path).map_err(|source| files(path, source))?;
    // A DER certificate or key of a few hundred bytes; anything large is not ours.
    if bytes.is_empty() || bytes.len() > 16 * 1024 {
        return Err(LanError::Certificate(format!("{} is not a certificate or key", path.display())));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file renamed into place, readable by
/// its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), LanError> {
    use std::io::Write as _;
    let temporary = PathBuf::from(format!("{}.tmp", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(|source| files(&temporary, source))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|source| files(&temporary, source))?;
    std::fs::rename(&temporary, path).map_err(|source| files(path, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = HostIdentity::load_or_create(dir.path()).unwrap();
        let again = HostIdentity::load_or_create(dir.path()).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_ne!(first.fingerprint(), HostIdentity::generate().unwrap().fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by its owner only");
        }
        assert!(!format!("{first:?}").contains("key:"), "the key is never printed");
    }

    #[test]
    fn a_key_that_does_not_match_its_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        HostIdentity::load_or_create(dir.path()).unwrap();
        let other = tempfile::tempdir().unwrap();
        HostIdentity::load_or_create(other.path()).unwrap();
        std::fs::copy(other.path().join(KEY_FILE), dir.path().join(KEY_FILE)).unwrap();
        assert!(matches!(HostIdentity::load_or_create(dir.path()), Err(LanError::Certificate(_))));
        std::fs::write(dir.path().join(CERTIFICATE_FILE), b"").unwrap();
        assert!(matches!(HostIdentity::load_or_create(dir.path()), Err(LanError::Certificate(_))));
    }
}
