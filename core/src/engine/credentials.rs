//! Where the engine keeps an account's refresh token between runs: the OS keychain
//! (Keychain, Credential Manager, Secret Service), or, where there is none (a headless
//! Linux without a Secret Service), a file only its user can read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why a credential could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("the system keychain failed: {0}")]
    Keychain(String),
    #[error("the credentials file {path} failed: {source}")]
    File { path: PathBuf, source: std::io::Error },
    #[error("the credentials file {path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },
}

/// Keeps one secret per account (the account's email is the key).
pub trait CredentialStore: Send + Sync + std::fmt::Debug {
    fn load(&self, account: &str) -> Result<Option<String>, CredentialError>;
    fn save(&self, account: &str, secret: &str) -> Result<(), CredentialError>;
    fn delete(&self, account: &str) -> Result<(), CredentialError>;
    /// Where the secrets go, for the log.
    fn describe(&self) -> String;
}

/// A device paired with a host of the local network keeps its own secret (see
/// [`crate::lan::pairing::Paired::device_secret`]) beside its session, under this entry
/// of the member's email: `DEVICE_ID SECRET`.
pub fn device_entry(email: &str) -> String {
    format!("device:{}", email.trim().to_lowercase())
}

/// Keeps the device's own secret of a pairing, when the host gave one.
///
/// # Errors
///
/// When the store cannot write.
pub fn save_device_secret(
    store: &dyn CredentialStore,
    paired: &crate::lan::pairing::Paired,
) -> Result<(), CredentialError> {
    match &paired.device_secret {
        Some(secret) => store.save(&device_entry(&paired.email), &format!("{} {secret}", paired.device_id)),
        None => Ok(()),
    }
}

/// The device's id and secret kept for `email`, if any.
pub fn device_secret(store: &dyn CredentialStore, email: &str) -> Option<(uuid::Uuid, String)> {
    let kept = store.load(&device_entry(email)).ok().flatten()?;
    let (id, secret) = kept.split_once(' ')?;
    Some((id.parse().ok()?, secret.to_owned()))
}

/// The service name under which Comptoir's entries are filed in the keychain.
pub const KEYCHAIN_SERVICE: &str = "comptoir";

/// The OS keychain.
#[derive(Debug, Default)]
pub struct KeychainCredentials;

impl KeychainCredentials {
    fn entry(account: &str) -> Result<keyring::Entry, CredentialError> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account).map_err(|e| CredentialError::Keychain(e.to_string()))
    }

    /// Whether a keychain answers here: writes, reads back and deletes a probe entry.
    pub fn available() -> bool {
        let probe = "comptoir-probe";
        let works =
            Self.save(probe, "probe").is_ok() && matches!(Self.load(probe), Ok(Some(value)) if value == "probe");
        let _ = Self.delete(probe);
        works
    }
}

impl CredentialStore for KeychainCredentials {
    fn load(&self, account: &str) -> Result<Option<String>, CredentialError> {
        match Self::entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(CredentialError::Keychain(e.to_string())),
        }
    }

    fn save(&self, account: &str, secret: &str) -> Result<(), CredentialError> {
        Self::entry(account)?.set_password(secret).map_err(|e| CredentialError::Keychain(e.to_string()))
    }

    fn delete(&self, account: &str) -> Result<(), CredentialError> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(CredentialError::Keychain(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        "the system keychain".into()
    }
}

/// A JSON file of account → secret, created readable and writable by its owner only
/// (mode 0600 on Unix), rewritten whole through a temporary file.
#[derive(Debug)]
pub struct FileCredentials {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileCredentials {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), lock: Mutex::new(()) }
    }

    fn io(&self, source: std::io::Error) -> CredentialError {
        CredentialError::File { path: self.path.clone(), source }
    }

    fn read(&self) -> Result<BTreeMap<String, String>, CredentialError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| CredentialError::Damaged { path: self.path.clone(), reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    fn write(&self, secrets: &BTreeMap<String, String>) -> Result<(), CredentialError> {
        use std::io::Write as _;
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| self.io(e))?;
        }
        let temporary = self.path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(|e| self.io(e))?;
        let json = serde_json::to_vec(secrets)
            .map_err(|e| CredentialError::Damaged { path: self.path.clone(), reason: e.to_string() })?;
        file.write_all(&json).and_then(|()| file.sync_all()).map_err(|e| self.io(e))?;
        std::fs::rename(&temporary, &self.path).map_err(|e| self.io(e))
    }

    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<(), CredentialError> {
        let _guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut secrets = self.read()?;
        change(&mut secrets);
        self.write(&secrets)
    }
}

impl CredentialStore for FileCredentials {
    fn load(&self, account: &str) -> Result<Option<String>, CredentialError> {
        let _guard = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(self.read()?.remove(account))
    }

    fn save(&self, account: &str, secret: &str) -> Result<(), CredentialError> {
        self.update(|secrets| {
            secrets.insert(account.to_owned(), secret.to_owned());
        })
    }

    fn delete(&self, account: &str) -> Result<(), CredentialError> {
        self.update(|secrets| {
            secrets.remove(account);
        })
    }

    fn describe(&self) -> String {
        format!("the file {}", self.path.display())
    }
}

/// The keychain when one answers; otherwise `fallback`, with a warning in the log.
pub fn system_credentials(fallback: &Path) -> Box<dyn CredentialStore> {
    if KeychainCredentials::available() {
        Box::new(KeychainCredentials)
    } else {
        tracing::warn!(
            file = %fallback.display(),
            "no system keychain answers here (no Secret Service?): the sign-in token is kept in a file only this user can read"
        );
        Box::new(FileCredentials::new(fallback))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_keeps_secrets_per_account_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileCredentials::new(&dir.path().join("credentials.json"));
        assert_eq!(store.load("a@example.fr").unwrap(), None);
        store.save("a@example.fr", "token-a").unwrap();
        store.save("b@example.fr", "token-b").unwrap();
        store.save("a@example.fr", "token-a2").unwrap();
        assert_eq!(store.load("a@example.fr").unwrap().as_deref(), Some("token-a2"));
        store.delete("a@example.fr").unwrap();
        assert_eq!(store.load("a@example.fr").unwrap(), None);
        assert_eq!(store.load("b@example.fr").unwrap().as_deref(), Some("token-b"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("credentials.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(FileCredentials::new(&path).load("a"), Err(CredentialError::Damaged { .. })));
    }
}
