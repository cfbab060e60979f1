//! Updates: the app reads a signed manifest at an address set when it is built, and
//! installs a newer version where it owns its files.
//!
//! - Every file is verified with minisign (ed25519) against the public key built in, before
//!   a byte of it is used: the manifest, then the package (and the package's SHA-256 and
//!   size, which the signed manifest states). A missing signature is a refusal like a
//!   wrong one.
//! - The portable Linux install and the Windows installer's install update themselves once
//!   the user agrees: the new binary replaces the old one, or the new installer runs,
//!   after the window closed ([`AfterExit`]). A `.deb` or `.rpm` install, an MSI deployed
//!   by an administrator and a macOS bundle are told that a version exists and how to get
//!   it: their files belong to the system (see [`install::Install`]).
//! - A signed manifest is also refused when it is not current: past its `expires` (a
//!   server kept on an old manifest: a "freeze"), or naming an older version than one
//!   this computer has seen signed (an old manifest served again: a "rollback"); see
//!   [`is_current`] and [`CheckLog`].
//! - The window never installs while an edit or a sync is pending (see
//!   [`worker::Blocker`]); the new version migrates the files with the backup every
//!   migration takes.
//!
//! Downloads, archives and the replacement of the binary use `self_update`'s parts
//! (`Download`, `Extract`, `Move`); its own signature scheme (zipsign) is not used.

pub mod install;
pub mod manifest;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::Digest as _;

pub use install::{AfterExit, Install, PackageManager};
pub use manifest::{Manifest, ManifestError, Package};

/// The manifest's address and the public key built into this binary (`COMPTOIR_UPDATE_URL`
/// and `COMPTOIR_UPDATE_KEY` when it is built; installer/build.sh passes them).
const BUILT_URL: Option<&str> = option_env!("COMPTOIR_UPDATE_URL");
const BUILT_KEY: Option<&str> = option_env!("COMPTOIR_UPDATE_KEY");
/// How long a request may take before the check gives up.
const TIMEOUT: Duration = Duration::from_mins(1);

/// Where updates come from: the manifest's address and the key that signs it.
#[derive(Clone)]
pub struct Source {
    manifest_url: String,
    key: minisign_verify::PublicKey,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("manifest_url", &self.manifest_url).finish_non_exhaustive()
    }
}

impl Source {
    /// The source this binary was built with; the environment's `COMPTOIR_UPDATE_URL` and
    /// `COMPTOIR_UPDATE_KEY` replace it (a mirror, the tests). `None`: this build has no
    /// updates (a developer's build).
    ///
    /// # Errors
    ///
    /// The address or the key given is malformed.
    pub fn configured() -> Result<Option<Self>, UpdateError> {
        let url = std::env::var("COMPTOIR_UPDATE_URL").ok().or_else(|| BUILT_URL.map(str::to_owned));
        let key = std::env::var("COMPTOIR_UPDATE_KEY").ok().or_else(|| BUILT_KEY.map(str::to_owned));
        match (url, key) {
            (Some(url), Some(key)) if !url.is_empty() && !key.is_empty() => Self::new(&url, &key).map(Some),
            _ => Ok(None),
        }
    }

    /// A source from its manifest's address and the public key (the base64 line of a
    /// minisign `.pub` file, or the whole file).
    ///
    /// # Errors
    ///
    /// The address is not `https://` (or `http://` on this computer, for tests), or the key
    /// is not a minisign public key.
    pub fn new(manifest_url: &str, key: &str) -> Result<Self, UpdateError> {
        let key_line = key.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default();
        let key = minisign_verify::PublicKey::from_base64(key_line).map_err(|_| UpdateError::BadKey)?;
        if !is_allowed_address(manifest_url) {
            return Err(UpdateError::BadAddress(manifest_url.to_owned()));
        }
        Ok(Self { manifest_url: manifest_url.to_owned(), key })
    }

    pub fn manifest_url(&self) -> &str {
        &self.manifest_url
    }

    /// The address of a file beside the manifest.
    fn beside(&self, file: &str) -> String {
        match self.manifest_url.rfind('/') {
            Some(at) => format!("{}/{file}", &self.manifest_url[..at]),
            None => file.to_owned(),
        }
    }
}

/// HTTPS, or HTTP to this computer only (a test's server): a manifest is signed, but an
/// eavesdropper should not even learn that this computer looks for updates.
fn is_allowed_address(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    url.strip_prefix("http://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(host, _)| host);
        matches!(host, "127.0.0.1" | "localhost" | "[::1]")
    })
}

/// Why an update could not be checked or installed; each has a stable code for the
/// window's messages.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("this build of Comptoir has no update address")]
    NotConfigured,
    #[error("the update address {0:?} is not https://")]
    BadAddress(String),
    #[error("the update key is not a minisign public key")]
    BadKey,
    #[error("the update server cannot be reached: {0}")]
    Unreachable(String),
    #[error("{0} has no signature: it is refused")]
    Unsigned(String),
    #[error("the signature of {0} does not verify with Comptoir's key: the file is refused")]
    BadSignature(String),
    #[error("the update manifest is refused: {0}")]
    BadManifest(#[from] ManifestError),
    #[error(
        "the update manifest expired on {0}: the update server serves an old one (or this computer's date is wrong), it is refused"
    )]
    Expired(chrono::NaiveDate),
    #[error(
        "the update manifest names version {offered}, older than {seen} which this computer has seen signed: an old manifest is served again, it is refused"
    )]
    Rollback { offered: semver::Version, seen: semver::Version },
    #[error("the update has no package for this kind of install ({0})")]
    NoPackage(String),
    #[error("the package {file}: {why}; it is refused")]
    BadPackage { file: String, why: String },
    #[error("this install is managed by the system: {0}")]
    Managed(String),
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl UpdateError {
    /// A stable code, read by the window's messages.
    pub fn code(&self) -> &str {
        match self {
            Self::NotConfigured => "update_not_configured",
            Self::BadAddress(_) => "update_bad_address",
            Self::BadKey => "update_bad_key",
            Self::Unreachable(_) => "update_unreachable",
            Self::Unsigned(_) => "update_unsigned",
            Self::BadSignature(_) => "update_bad_signature",
            Self::BadManifest(_) => "update_bad_manifest",
            Self::Expired(_) => "update_expired",
            Self::Rollback { .. } => "update_rollback",
            Self::NoPackage(_) => "update_no_package",
            Self::BadPackage { .. } => "update_bad_package",
            Self::Managed(_) => "update_managed",
            Self::Io { .. } => "update_io",
        }
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io { path: path.to_path_buf(), source }
    }
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// This version is the newest (or newer than the manifest's).
    UpToDate { newest: semver::Version },
    /// A newer version exists.
    Available(Release),
}

/// A newer version, and its package for this install when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub version: semver::Version,
    pub date: chrono::NaiveDate,
    pub notes: String,
    /// `None` when this install is updated by other means (see [`Install::platform`]).
    pub package: Option<Package>,
}

/// This binary's version.
pub fn current_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION")).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}

/// Reads the manifest, verifies its signature, checks that it is current (see
/// [`is_current`]: `seen` is the newest version this computer has seen signed, `today`
/// the day in UTC) and compares its version with `current`.
///
/// # Errors
///
/// The server cannot be reached, the manifest or its signature is missing or wrong, or
/// the manifest is expired or older than one seen.
pub fn check(
    source: &Source,
    current: &semver::Version,
    install: &Install,
    seen: Option<&semver::Version>,
    today: chrono::NaiveDate,
) -> Result<Check, UpdateError> {
    let signature = fetch_signature(&source.manifest_url)?;
    let bytes = fetch(&source.manifest_url, manifest::MAX_MANIFEST_BYTES)?
        .ok_or_else(|| UpdateError::Unreachable(format!("{} is not found", source.manifest_url)))?;
    source.key.verify(&bytes, &signature, false).map_err(|_| UpdateError::BadSignature(source.manifest_url.clone()))?;
    let manifest = Manifest::parse(&bytes)?;
    is_current(&manifest, seen, today)?;
    if manifest.version <= *current {
        return Ok(Check::UpToDate { newest: manifest.version });
    }
    let package = install.platform().and_then(|platform| manifest.packages.get(&platform).cloned());
    Ok(Check::Available(Release { version: manifest.version, date: manifest.date, notes: manifest.notes, package }))
}

/// Whether a manifest whose signature verified is current: not past its last day
/// (`today` in UTC), and not naming an older version than `seen`, the newest this
/// computer has seen signed. A signature tells who wrote a manifest, not when: these
/// keep a mirror, or anyone between, from serving an old one to hide a newer version.
///
/// # Errors
///
/// [`UpdateError::Expired`] or [`UpdateError::Rollback`].
pub fn is_current(
    manifest: &Manifest,
    seen: Option<&semver::Version>,
    today: chrono::NaiveDate,
) -> Result<(), UpdateError> {
    if today > manifest.expires {
        return Err(UpdateError::Expired(manifest.expires));
    }
    match seen {
        Some(seen) if manifest.version < *seen => {
            Err(UpdateError::Rollback { offered: manifest.version.clone(), seen: seen.clone() })
        }
        _ => Ok(()),
    }
}

/// What the app keeps of its checks, in `update-check.json` in its data folder (the
/// window and `comptoir update` share it): when the last one succeeded, and the newest
/// version a signed manifest has named, per manifest address (a test or beta feed never
/// holds back the usual one). Deleting the file forgets both.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckLog {
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// Versions kept as text: one changed by hand that does not parse is no version seen.
    #[serde(default)]
    newest_seen: std::collections::BTreeMap<String, String>,
}

impl CheckLog {
    /// The file's name in the data folder.
    pub const FILE: &str = "update-check.json";

    /// The log of `data`; empty when there is none or it does not parse.
    pub fn read(data: &Path) -> Self {
        std::fs::read(data.join(Self::FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// The newest version a signed manifest at `manifest_url` has named on this computer.
    pub fn newest_seen(&self, manifest_url: &str) -> Option<semver::Version> {
        self.newest_seen.get(manifest_url).and_then(|text| semver::Version::parse(text).ok())
    }

    /// Notes in `data`'s log a check that succeeded at `at` and found `newest` at
    /// `manifest_url`: the log is read again and the newer version kept (the window and
    /// `comptoir update` may check at once), then written whole or not at all (a new
    /// file, flushed, renamed over the old). A failure is logged: the next check runs
    /// sooner, and a version seen is forgotten. Returns the log as noted.
    pub fn record(
        data: &Path,
        at: chrono::DateTime<chrono::Utc>,
        manifest_url: &str,
        newest: &semver::Version,
    ) -> Self {
        let mut log = Self::read(data);
        log.at = Some(at);
        if log.newest_seen(manifest_url).is_none_or(|seen| *newest > seen) {
            log.newest_seen.insert(manifest_url.to_owned(), newest.to_string());
        }
        let path = data.join(Self::FILE);
        let written = serde_json::to_vec(&log).map_err(std::io::Error::other).and_then(|bytes| {
            std::fs::create_dir_all(data)?;
            let mut fresh = tempfile::NamedTempFile::new_in(data)?;
            std::io::Write::write_all(&mut fresh, &bytes)?;
            fresh.as_file().sync_all()?;
            fresh.persist(&path).map(drop).map_err(|e| e.error)
        });
        if let Err(error) = written {
            tracing::warn!("cannot write {}: {error}", path.display());
        }
        log
    }
}

impl Check {
    /// The version the manifest named.
    pub fn newest(&self) -> &semver::Version {
        match self {
            Self::UpToDate { newest } => newest,
            Self::Available(release) => &release.version,
        }
    }
}

/// A package downloaded and verified, in a folder of its own that goes with it.
#[derive(Debug)]
pub struct Downloaded {
    pub path: PathBuf,
    pub version: semver::Version,
    /// The folder the package is in, removed when this is dropped.
    pub folder: tempfile::TempDir,
}

/// Downloads `release`'s package into a new folder inside `parent` and verifies it: its
/// minisign signature, then its size and SHA-256 as the signed manifest states.
/// `progress` is told the bytes received and the total.
///
/// # Errors
///
/// The release has no package for this install, the server cannot be reached, or the file
/// is unsigned, altered or not the size stated (then nothing is kept).
pub fn download(
    source: &Source,
    release: &Release,
    parent: &Path,
    progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
) -> Result<Downloaded, UpdateError> {
    let package = release.package.as_ref().ok_or_else(|| UpdateError::NoPackage(release.version.to_string()))?;
    let url = source.beside(&package.file);
    let signature = fetch_signature(&url)?;
    let mut verifier =
        source.key.verify_stream(&signature).map_err(|_| UpdateError::BadSignature(package.file.clone()))?;
    std::fs::create_dir_all(parent).map_err(UpdateError::io(parent))?;
    let folder =
        tempfile::Builder::new().prefix(".comptoir-update-").tempdir_in(parent).map_err(UpdateError::io(parent))?;
    let path = folder.path().join(&package.file);
    let file = std::fs::File::create(&path).map_err(UpdateError::io(&path))?;
    let mut writer = Verifying { file, sha256: sha2::Sha256::new(), verifier: &mut verifier, written: 0 };
    let total = package.size;
    let mut request = self_update::Download::from_url(url.as_str());
    request.timeout(TIMEOUT).max_download_size(package.size).progress_callback(move |done, _| progress(done, total));
    request.download_to(&mut writer).map_err(|e| fetch_error(&url, &e))?;
    writer.file.sync_all().map_err(UpdateError::io(&path))?;
    let refuse = |why: String| UpdateError::BadPackage { file: package.file.clone(), why };
    if writer.written != package.size {
        return Err(refuse(format!("{} bytes received, {} stated", writer.written, package.size)));
    }
    let sha256: [u8; 32] = writer.sha256.finalize().into();
    if sha256 != package.sha256 {
        return Err(refuse(format!("its SHA-256 is {}, not the one stated", manifest::hex(&sha256))));
    }
    verifier.finalize().map_err(|_| UpdateError::BadSignature(package.file.clone()))?;
    Ok(Downloaded { path, version: release.version.clone(), folder })
}

/// Writes a download to its file while hashing it for the manifest's SHA-256 and its
/// minisign signature.
struct Verifying<'a, 'k> {
    file: std::fs::File,
    sha256: sha2::Sha256,
    verifier: &'a mut minisign_verify::StreamVerifier<'k>,
    written: u64,
}

impl std::io::Write for Verifying<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = std::io::Write::write(&mut self.file, buf)?;
        let done = buf.get(..n).unwrap_or_default();
        self.sha256.update(done);
        self.verifier.update(done);
        self.written = self.written.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.file)
    }
}

/// The minisign signature beside `url`: a missing one is a refusal.
fn fetch_signature(url: &str) -> Result<minisign_verify::Signature, UpdateError> {
    let signature_url = format!("{url}.minisig");
    let name = url.rsplit('/').next().unwrap_or(url).to_owned();
    let bytes =
        fetch(&signature_url, manifest::MAX_SIGNATURE_BYTES)?.ok_or_else(|| UpdateError::Unsigned(name.clone()))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| UpdateError::BadSignature(name.clone()))?;
    minisign_verify::Signature::decode(text).map_err(|_| UpdateError::BadSignature(name))
}

/// A small file, whole; `None` when the server says it has none (404).
fn fetch(url: &str, max: u64) -> Result<Option<Vec<u8>>, UpdateError> {
    let mut bytes = Vec::new();
    let mut request = self_update::Download::from_url(url);
    request.timeout(TIMEOUT).max_download_size(max);
    match request.download_to(&mut bytes) {
        Ok(()) => Ok(Some(bytes)),
        Err(self_update::errors::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(fetch_error(url, &error)),
    }
}

fn fetch_error(url: &str, error: &self_update::errors::Error) -> UpdateError {
    UpdateError::Unreachable(format!("{url}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_computer_is_an_update_address() {
        for ok in ["https://updates.comptoir.app/manifest.json", "http://127.0.0.1:8080/m.json", "http://localhost/m"] {
            assert!(is_allowed_address(ok), "{ok}");
        }
        for refused in
            ["http://updates.comptoir.app/m.json", "http://127.0.0.1.evil.net/m", "ftp://x/m", "https://", ""]
        {
            assert!(!is_allowed_address(refused), "{refused}");
        }
    }

    #[test]
    fn files_lie_beside_the_manifest() {
        let key = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
        let source = Source::new("https://u.example/stable/manifest.json", key).unwrap();
        assert_eq!(source.beside("comptoir.tar.gz"), "https://u.example/stable/comptoir.tar.gz");
        assert!(matches!(Source::new("https://u.example/m.json", "not a key"), Err(UpdateError::BadKey)));
        let file = format!("untrusted comment: minisign public key\n{key}\n");
        assert!(Source::new("https://u.example/m.json", &file).is_ok());
    }

    fn manifest(version: &str, expires: &str) -> Manifest {
        let text = format!(
            r#"{{"format":1,"product":"comptoir","version":"{version}","date":"2026-12-01","signed":"2026-12-01","expires":"{expires}","packages":{{}}}}"#
        );
        Manifest::parse(text.as_bytes()).unwrap()
    }

    fn day(text: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn version(text: &str) -> semver::Version {
        semver::Version::parse(text).unwrap()
    }

    #[test]
    fn an_expired_manifest_or_one_older_than_seen_is_refused() {
        let current = manifest("0.3.0", "2026-12-31");
        assert!(is_current(&current, None, day("2026-12-01")).is_ok());
        // Its last day still holds; the day after, it is a server kept on an old one.
        assert!(is_current(&current, None, day("2026-12-31")).is_ok());
        let expired = is_current(&current, None, day("2027-01-01")).unwrap_err();
        assert!(matches!(expired, UpdateError::Expired(on) if on == day("2026-12-31")), "{expired}");
        assert_eq!(expired.code(), "update_expired");
        // The same version seen, or an older one: it holds. A newer one seen: a replay.
        for (seen, holds) in [("0.2.9", true), ("0.3.0", true), ("0.3.1", false), ("1.0.0", false)] {
            let checked = is_current(&current, Some(&version(seen)), day("2026-12-10"));
            assert_eq!(checked.is_ok(), holds, "seen {seen}: {checked:?}");
        }
        let rollback = is_current(&current, Some(&version("0.3.1")), day("2026-12-10")).unwrap_err();
        assert_eq!(rollback.code(), "update_rollback");
        assert!(rollback.to_string().contains("0.3.0") && rollback.to_string().contains("0.3.1"), "{rollback}");
    }

    #[test]
    fn the_log_keeps_the_newest_version_seen_per_address_and_survives_a_damaged_file() {
        let data = tempfile::tempdir().unwrap();
        let (stable, beta) = ("https://u.example/stable/manifest.json", "https://u.example/beta/manifest.json");
        assert_eq!(CheckLog::read(data.path()), CheckLog::default());
        let at = chrono::Utc::now();
        CheckLog::record(data.path(), at, stable, &version("0.3.0"));
        // An older version named later (a check before the rollback rule) never lowers
        // what was seen; another address keeps its own.
        CheckLog::record(data.path(), at, stable, &version("0.2.0"));
        let written = CheckLog::record(data.path(), at, beta, &version("0.4.0-beta.1"));
        let read = CheckLog::read(data.path());
        assert_eq!(read, written);
        assert_eq!(read.at, Some(at));
        assert_eq!(read.newest_seen(stable), Some(version("0.3.0")));
        assert_eq!(read.newest_seen(beta), Some(version("0.4.0-beta.1")));
        assert_eq!(read.newest_seen("https://elsewhere.example/m.json"), None);
        let names: Vec<String> = std::fs::read_dir(data.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [CheckLog::FILE], "nothing left beside it");
        // A file without versions, with one that does not parse, or damaged: read as such.
        std::fs::write(data.path().join(CheckLog::FILE), format!(r#"{{"at":"{}"}}"#, at.to_rfc3339())).unwrap();
        assert_eq!(CheckLog::read(data.path()).newest_seen(stable), None);
        let odd = format!(r#"{{"at":null,"newest_seen":{{"{stable}":"not a version"}}}}"#);
        std::fs::write(data.path().join(CheckLog::FILE), odd).unwrap();
        assert_eq!(CheckLog::read(data.path()).newest_seen(stable), None);
        std::fs::write(data.path().join(CheckLog::FILE), b"\xff{").unwrap();
        assert_eq!(CheckLog::read(data.path()), CheckLog::default());
    }
}
