//! The server's own key, for secrets stored at rest (two-factor secrets).
//!
//! The key lives in its own file, `server.key`, next to `server.sqlite` in the data
//! folder, never inside the database: a copy of the database alone (a backup sent
//! somewhere, a file read through a bug) does not give away anyone's second factor.
//! Back the key file up apart from the database; without it, the two-factor secrets
//! cannot be read and those users must set two-factor up again.
//!
//! - The file holds 32 random bytes, hex, made on first start, readable by the owner only
//!   (mode 0600 on Unix). It is written under a temporary name and linked into place, so
//!   a crash or a second process starting at the same moment never leaves a half-written key.
//! - Secrets are sealed with ChaCha20-Poly1305 (aws-lc-rs, already built for TLS), a
//!   random 96-bit nonce each time, and the record they belong to as associated data: a
//!   sealed value copied onto another account does not open.
//! - A sealed value is text: `enc1:` and the base64url of nonce, ciphertext and tag.

use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "server.key";

/// What every sealed value starts with.
const SEALED_PREFIX: &str = "enc1:";

const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the server key file {path} cannot be used: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("no secure random source: {0}")]
    Random(String),
    #[error("a sealed secret is damaged or was sealed with another server key")]
    Unseal,
    #[error("sealing a secret failed")]
    Seal,
}

/// The server's secret key. Its `Debug` output shows nothing of it.
pub struct ServerKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey { .. }")
    }
}

impl ServerKey {
    /// The key of the data folder `data_dir`, made (and written, owner-only) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let path = data_dir.join(KEY_FILE);
        let file_error = |reason: String| KeyError::File { path: path.clone(), reason };
        if !path.exists() {
            create(&path).map_err(|e| file_error(e.to_string()))?;
            tracing::info!(path = %path.display(), "a new server key was made: back it up apart from the database");
        }
        let text = std::fs::read_to_string(&path).map_err(|e| file_error(e.to_string()))?;
        crate::key_file::warn_if_readable_by_others(&path, "the server key file");
        let bytes = decode_hex(text.trim())
            .filter(|bytes| bytes.len() == KEY_LEN)
            .ok_or_else(|| file_error(format!("it must hold {KEY_LEN} bytes in hex")))?;
        Self::from_bytes(&bytes).map_err(|()| file_error("not a usable key".into()))
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, ()> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes).map_err(|_| ())?;
        Ok(Self { key: LessSafeKey::new(key) })
    }

    /// Seals `secret`, bound to `context` (the id of the record it belongs to).
    pub fn seal(&self, secret: &str, context: &[u8]) -> Result<String, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| KeyError::Random(e.to_string()))?;
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut sealed)
            .map_err(|_| KeyError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value made by [`Self::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<String, KeyError> {
        let encoded = sealed.strip_prefix(SEALED_PREFIX).ok_or(KeyError::Unseal)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).map_err(|_| KeyError::Unseal)?;
        if bytes.len() < NONCE_LEN {
            return Err(KeyError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Unseal)?;
        let mut in_out = ciphertext.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(context), &mut in_out).map_err(|_| KeyError::Unseal)?;
        String::from_utf8(plain.to_vec()).map_err(|_| KeyError::Unseal)
    }

    /// Whether a stored value is sealed (rather than a secret from before sealing).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(SEALED_PREFIX)
    }
}

/// Writes a new key under a temporary name, then links it to `path`: the key appears
/// whole or not at all, and when another process made one first, theirs is kept.
fn create(path: &Path) -> std::io::Result<()> {
    let mut bytes = [0u8; KEY_LEN];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    crate::key_file::create_once(path, format!("{}\n", encode_hex(&bytes)).as_bytes())
}

fn encode_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, b| {
        let _ = write!(text, "{b:02x}");
        text
    })
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_seals_and_opens_only_with_its_key_and_record() {
        let dir = tempfile::tempdir().unwrap();
        let key = ServerKey::load_or_create(dir.path()).unwrap();
        let sealed = key.seal("JBSWY3DPEHPK3PXP", b"user-1").unwrap();
        assert!(ServerKey::is_sealed(&sealed) && !sealed.contains("JBSWY3DPEHPK3PXP"), "{sealed}");
        assert_ne!(sealed, key.seal("JBSWY3DPEHPK3PXP", b"user-1").unwrap(), "a fresh nonce each time");
        assert_eq!(key.open(&sealed, b"user-1").unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(matches!(key.open(&sealed, b"user-2"), Err(KeyError::Unseal)), "bound to its record");
        assert!(matches!(key.open("JBSWY3DPEHPK3PXP", b"user-1"), Err(KeyError::Unseal)));
        let mut tampered = sealed.clone();
        tampered.replace_range(10..11, if &sealed[10..11] == "A" { "B" } else { "A" });
        assert!(matches!(key.open(&tampered, b"user-1"), Err(KeyError::Unseal)));

        // The same folder gives the same key; another folder, another key.
        let again = ServerKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&sealed, b"user-1").unwrap(), "JBSWY3DPEHPK3PXP");
        let other = ServerKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(matches!(other.open(&sealed, b"user-1"), Err(KeyError::Unseal)));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_owner_only_and_alone_in_its_folder() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        ServerKey::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [KEY_FILE], "no temporary file left behind");
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not hex\n").unwrap();
        assert!(matches!(ServerKey::load_or_create(dir.path()), Err(KeyError::File { .. })));
        assert_eq!(std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap(), "not hex\n");
    }
}
