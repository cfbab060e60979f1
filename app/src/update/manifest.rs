//! The update manifest: which version is the newest, and its package for each kind of
//! install. It is read only after its signature verified (see [`super::check`]), and
//! even then every field is checked: a manifest is input from the network.
//!
//! A signature says who wrote a manifest, not when: an old signed manifest served again
//! still verifies. So a manifest states the day it was signed (`signed`: the release's
//! `date` is the day the version came out) and its last day (`expires`, at most
//! [`MAX_VALIDITY_DAYS`] later; the publisher signs it again before then, with
//! installer/resign-manifest.sh), and the app keeps the newest version it has seen
//! signed (see [`super::is_current`]).
//!
//! ```json
//! {
//!   "format": 1,
//!   "product": "comptoir",
//!   "version": "0.2.0",
//!   "date": "2026-12-01",
//!   "signed": "2026-12-01",
//!   "expires": "2027-01-01",
//!   "notes": "Les avoirs partiels…",
//!   "packages": {
//!     "linux-x86_64-portable": {
//!       "file": "comptoir-0.2.0-x86_64-linux.tar.gz",
//!       "size": 15728640,
//!       "sha256": "…64 hex digits…"
//!     },
//!     "windows-x86_64-nsis": { "file": "comptoir-0.2.0-setup.exe", … }
//!   }
//! }
//! ```
//!
//! A package's `file` lies beside the manifest (a name, never a path), and its minisign
//! signature beside it as `FILE.minisig`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The only manifest format this version reads.
pub const FORMAT: u32 = 1;
/// The product a manifest must name: a manifest of another product signed by the same
/// key is not ours to install.
pub const PRODUCT: &str = "comptoir";
/// At most this many bytes of manifest are read.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// At most this many bytes of a signature file are read.
pub const MAX_SIGNATURE_BYTES: u64 = 4 * 1024;
/// The largest package accepted (the release archive is about 20 MB).
pub const MAX_PACKAGE_BYTES: u64 = 1024 * 1024 * 1024;
const MAX_NOTES_CHARS: usize = 4_000;
const MAX_PACKAGES: usize = 32;
const MAX_NAME_CHARS: usize = 200;
/// The longest a manifest may hold (its `expires` after its `signed`): a manifest kept
/// served by a stale or hostile mirror is refused after at most this long.
pub const MAX_VALIDITY_DAYS: i64 = 93;

/// A manifest as read, every field checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub version: semver::Version,
    pub date: chrono::NaiveDate,
    /// The day it was signed (the release's own date is `date`).
    pub signed: chrono::NaiveDate,
    /// The last day (UTC) it holds, within [`MAX_VALIDITY_DAYS`] of `signed`.
    pub expires: chrono::NaiveDate,
    pub notes: String,
    pub packages: BTreeMap<String, Package>,
}

/// One package of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// Its file name, beside the manifest.
    pub file: String,
    pub size: u64,
    /// Its SHA-256, 32 bytes.
    pub sha256: [u8; 32],
}

/// Why a manifest is refused (after its signature verified: a release mistake, or a
/// newer format).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error("the manifest is not JSON of the expected shape: {0}")]
    Shape(String),
    #[error("the manifest's format {0} is not one this version reads")]
    Format(u32),
    #[error("the manifest is for {0:?}, not Comptoir")]
    Product(String),
    #[error("the manifest's version {0:?} is not a version number (x.y.z)")]
    Version(String),
    #[error("the manifest's date {0:?} is not a date (YYYY-MM-DD)")]
    Date(String),
    #[error("the manifest's signing day {0:?} is not a date (YYYY-MM-DD)")]
    Signed(String),
    #[error("the manifest's expiry {0:?} is not a date (YYYY-MM-DD)")]
    Expires(String),
    #[error("the manifest, signed on {signed}, expires on {expires}: not within {MAX_VALIDITY_DAYS} days after")]
    Validity { signed: chrono::NaiveDate, expires: chrono::NaiveDate },
    #[error("the manifest's notes are longer than {MAX_NOTES_CHARS} characters")]
    Notes,
    #[error("the manifest lists more than {MAX_PACKAGES} packages")]
    TooManyPackages,
    #[error("the package {0:?}: {1}")]
    Package(String, &'static str),
}

#[derive(Deserialize)]
struct Raw {
    format: u32,
    product: String,
    version: String,
    date: String,
    signed: String,
    expires: String,
    #[serde(default)]
    notes: String,
    packages: BTreeMap<String, RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    file: String,
    size: u64,
    sha256: String,
}

impl Manifest {
    /// Reads and checks a manifest's bytes.
    ///
    /// # Errors
    ///
    /// Any field out of its range, or a shape other than the one above.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| ManifestError::Shape(e.to_string()))?;
        if raw.format != FORMAT {
            return Err(ManifestError::Format(raw.format));
        }
        if raw.product != PRODUCT {
            return Err(ManifestError::Product(raw.product.chars().take(MAX_NAME_CHARS).collect()));
        }
        let version = semver::Version::parse(&raw.version)
            .map_err(|_| ManifestError::Version(raw.version.chars().take(MAX_NAME_CHARS).collect()))?;
        let date = chrono::NaiveDate::parse_from_str(&raw.date, "%Y-%m-%d")
            .map_err(|_| ManifestError::Date(raw.date.chars().take(MAX_NAME_CHARS).collect()))?;
        let signed = chrono::NaiveDate::parse_from_str(&raw.signed, "%Y-%m-%d")
            .map_err(|_| ManifestError::Signed(raw.signed.chars().take(MAX_NAME_CHARS).collect()))?;
        let expires = chrono::NaiveDate::parse_from_str(&raw.expires, "%Y-%m-%d")
            .map_err(|_| ManifestError::Expires(raw.expires.chars().take(MAX_NAME_CHARS).collect()))?;
        if !(0..=MAX_VALIDITY_DAYS).contains(&expires.signed_duration_since(signed).num_days()) {
            return Err(ManifestError::Validity { signed, expires });
        }
        if raw.notes.chars().count() > MAX_NOTES_CHARS {
            return Err(ManifestError::Notes);
        }
        if raw.packages.len() > MAX_PACKAGES {
            return Err(ManifestError::TooManyPackages);
        }
        let mut packages = BTreeMap::new();
        for (platform, package) in raw.packages {
            let refuse = |why| ManifestError::Package(platform.chars().take(MAX_NAME_CHARS).collect(), why);
            if !is_plain_name(&platform) {
                return Err(refuse("its platform is not a plain name"));
            }
            if !is_plain_name(&package.file) {
                return Err(refuse("its file is not a plain file name beside the manifest"));
            }
            if package.size == 0 || package.size > MAX_PACKAGE_BYTES {
                return Err(refuse("its size is out of range"));
            }
            let sha256 = parse_sha256(&package.sha256).ok_or_else(|| refuse("its sha256 is not 64 hex digits"))?;
            packages.insert(platform, Package { file: package.file, size: package.size, sha256 });
        }
        Ok(Self { version, date, signed, expires, notes: raw.notes, packages })
    }
}

/// A name of ASCII letters, digits, `.`, `_` and `-`, not starting with a dot: never a
/// path, never hidden.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.as_bytes();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// Lower-case hex of a digest, as manifests write it.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn manifest(version: &str, file: &str, size: u64, sha: &str) -> String {
        format!(
            r#"{{"format":1,"product":"comptoir","version":"{version}","date":"2026-11-20","signed":"2026-12-01","expires":"2027-01-01","notes":"n",
            "packages":{{"linux-x86_64-portable":{{"file":"{file}","size":{size},"sha256":"{sha}"}}}}}}"#
        )
    }

    const SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn a_good_manifest_is_read_whole() {
        let parsed =
            Manifest::parse(manifest("0.2.0", "comptoir-0.2.0-x86_64-linux.tar.gz", 10, SHA).as_bytes()).unwrap();
        assert_eq!(parsed.version, semver::Version::new(0, 2, 0));
        assert_eq!(parsed.date, chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(parsed.signed, chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(parsed.expires, chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        let package = &parsed.packages["linux-x86_64-portable"];
        assert_eq!((package.file.as_str(), package.size), ("comptoir-0.2.0-x86_64-linux.tar.gz", 10));
        assert_eq!(hex(&package.sha256), SHA);
    }

    #[test]
    fn fields_out_of_range_are_refused() {
        let refused = |text: String| Manifest::parse(text.as_bytes()).unwrap_err();
        assert_eq!(refused(manifest("v2", "a.tar.gz", 1, SHA)), ManifestError::Version("v2".into()));
        for file in ["../etc/passwd", "/abs.tar.gz", ".hidden", "a b", "dir/a.tar.gz", ""] {
            assert!(matches!(refused(manifest("0.2.0", file, 1, SHA)), ManifestError::Package(..)), "{file}");
        }
        for size in [0, MAX_PACKAGE_BYTES + 1] {
            assert!(matches!(refused(manifest("0.2.0", "a", size, SHA)), ManifestError::Package(..)));
        }
        for sha in ["", "zz", &SHA[1..], &SHA.replace('2', "g")] {
            assert!(matches!(refused(manifest("0.2.0", "a", 1, sha)), ManifestError::Package(..)));
        }
        let other = manifest("0.2.0", "a", 1, SHA).replace("\"comptoir\"", "\"other\"");
        assert_eq!(refused(other), ManifestError::Product("other".into()));
        let newer = manifest("0.2.0", "a", 1, SHA).replace("\"format\":1", "\"format\":2");
        assert_eq!(refused(newer), ManifestError::Format(2));
        let long =
            manifest("0.2.0", "a", 1, SHA).replace("\"notes\":\"n\"", &format!("\"notes\":\"{}\"", "é".repeat(4_001)));
        assert_eq!(refused(long), ManifestError::Notes);
        // A signing day and an expiry are required, dates within the validity allowed.
        let signed = manifest("0.2.0", "a", 1, SHA).replace("\"signed\":\"2026-12-01\"", "\"signed\":\"hier\"");
        assert_eq!(refused(signed), ManifestError::Signed("hier".into()));
        let expiring = |expires: &str| manifest("0.2.0", "a", 1, SHA).replace("2027-01-01", expires);
        assert_eq!(refused(expiring("soon")), ManifestError::Expires("soon".into()));
        let without = manifest("0.2.0", "a", 1, SHA).replace(r#""expires":"2027-01-01","#, "");
        assert!(matches!(refused(without), ManifestError::Shape(why) if why.contains("expires")));
        let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        for (expires, holds) in
            [("2026-11-30", false), ("2026-12-01", true), ("2027-03-04", true), ("2027-03-05", false)]
        {
            match Manifest::parse(expiring(expires).as_bytes()) {
                Ok(parsed) => assert!(holds, "{expires} was read: {parsed:?}"),
                Err(error) => {
                    assert!(!holds, "{expires}: {error}");
                    assert_eq!(error, ManifestError::Validity { signed: day("2026-12-01"), expires: day(expires) });
                }
            }
        }
    }

    proptest! {
        /// Whatever bytes arrive, reading them returns (never panics), and what is read
        /// holds to the ranges.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(parsed) = Manifest::parse(&bytes) {
                prop_assert!(parsed.packages.values().all(|p| p.size > 0 && p.size <= MAX_PACKAGE_BYTES));
            }
        }

        /// A valid manifest with one character changed is read as a valid manifest or
        /// refused, never half-read.
        #[test]
        fn a_changed_character_is_read_or_refused(at in 0usize..400, with in any::<char>()) {
            let text = manifest("0.2.0", "comptoir.tar.gz", 10, SHA);
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % chars.len();
            chars[at] = with;
            let changed: String = chars.into_iter().collect();
            if let Ok(parsed) = Manifest::parse(changed.as_bytes()) {
                for package in parsed.packages.values() {
                    prop_assert!(is_plain_name(&package.file));
                }
            }
        }
    }
}
