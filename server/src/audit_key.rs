//! The key with which the server signs the head of each company's audit chain (see
//! `comptoir_core::audit::head`).
//!
//! The key lives in a file of its own, never inside the database: whoever can rewrite
//! `server.sqlite` (or a copy of it) cannot sign a rewritten chain. By default the file is
//! `audit-signing.key` next to `server.sqlite` in the data folder, made on first start;
//! `serve --audit-key PATH` (or `COMPTOIR_AUDIT_KEY`) names another place, for a key kept
//! on another disk or mounted as a secret.
//!
//! - The file is an ed25519 private key in PKCS#8, PEM (`-----BEGIN PRIVATE KEY-----`):
//!   `openssl pkey -in audit-signing.key -pubout` shows its public key, and a key made
//!   with `openssl genpkey -algorithm ed25519` can be given instead.
//! - A new file is readable by its owner only (mode 0600 on Unix), written under a
//!   temporary name and linked into place: a crash or a second process starting at the
//!   same moment never leaves a half-written key, and the first one made is kept.
//! - Back the key up apart from the database. A lost key is replaced by a new one on the
//!   next start; copies downloaded before then name the change in their integrity check
//!   (their pinned key is the old one) until they are downloaded again.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use comptoir_core::audit::AuditSigner;

/// The key file's name in the data folder, unless another path is given.
pub const KEY_FILE: &str = "audit-signing.key";

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Why the signing key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuditKeyError {
    #[error("the audit signing key {path} cannot be used: {reason}")]
    File { path: PathBuf, reason: String },
}

/// Where the key is when no path is given: next to `server.sqlite`.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// The key at `path`, made (and written, owner-only) when there is none.
pub fn load_or_create(path: &Path) -> Result<AuditSigner, AuditKeyError> {
    let file_error = |reason: String| AuditKeyError::File { path: path.to_path_buf(), reason };
    if !path.exists() {
        let signer = create(path).map_err(|e| file_error(e.to_string()))?;
        tracing::info!(
            path = %path.display(),
            public_key = signer.public_key(),
            "a new audit signing key was made: back it up apart from the database"
        );
    }
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    crate::key_file::warn_if_readable_by_others(path, "the audit signing key");
    let der = from_pem(&text).ok_or_else(|| file_error("it must hold a PKCS#8 private key in PEM".into()))?;
    AuditSigner::from_pkcs8(&der).map_err(|e| file_error(e.to_string()))
}

/// Makes a new key and links it to `path`; when another process made one first, theirs
/// is kept (and read back by the caller).
fn create(path: &Path) -> std::io::Result<AuditSigner> {
    let (signer, der) = AuditSigner::generate().map_err(|e| std::io::Error::other(e.to_string()))?;
    crate::key_file::create_once(path, to_pem(&der).as_bytes())?;
    Ok(signer)
}

fn to_pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = format!("{PEM_BEGIN}\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(PEM_END);
    pem.push('\n');
    pem
}

fn from_pem(text: &str) -> Option<Vec<u8>> {
    let body = text.split_once(PEM_BEGIN)?.1.split_once(PEM_END)?.0;
    let encoded: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(encoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use comptoir_core::model::CompanyId;

    #[test]
    fn the_key_is_made_once_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = default_path(dir.path());
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        let head = again.sign(CompanyId::new(), 3, &"ab".repeat(32), Utc::now());
        assert!(head.signed_by(first.public_key()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(PEM_BEGIN) && text.trim_end().ends_with(PEM_END), "{text}");
        // Another folder, another key.
        let other = load_or_create(&default_path(tempfile::tempdir().unwrap().path())).unwrap();
        assert_ne!(other.public_key(), first.public_key());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_owner_only_and_alone_in_its_folder() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("audit.pem");
        load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["audit.pem"], "no temporary file left behind");
    }

    #[test]
    fn an_openssl_key_in_pkcs8_v1_is_accepted() {
        // `openssl genpkey -algorithm ed25519` (RFC 8410's example key).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openssl.pem");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let signer = load_or_create(&path).unwrap();
        assert_eq!(signer.public_key(), "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=");
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = default_path(dir.path());
        for damaged in ["not a key\n", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"] {
            std::fs::write(&path, damaged).unwrap();
            let err = load_or_create(&path).unwrap_err();
            assert!(err.to_string().contains(KEY_FILE), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
        }
    }
}
