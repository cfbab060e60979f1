//! The server's keys in its backups: `admin backup --out FILE` writes the database to
//! `FILE` and the key files found beside it in the data folder (`server.key`, which seals
//! the two-factor secrets, and `audit-signing.key`, which signs the audit chains' heads)
//! to the folder `FILE.keys/`, owner-only. A restore from `FILE` puts them back when
//! `FILE.keys/` is there: a missing key is written, the same key is left alone, and a
//! different key already in the data folder is refused, unless asked to replace it (the
//! one replaced is then kept aside). Without the keys, every two-factor secret is lost
//! and the copies already downloaded no longer recognise the server's signature.
//!
//! An audit key kept elsewhere (`serve --audit-key PATH`) is not in the data folder: back
//! it up apart.

use std::path::{Path, PathBuf};

use crate::{audit_key, key_file, server_key};

/// The key files a backup carries, by their name in the data folder.
pub const KEY_FILES: [&str; 2] = [server_key::KEY_FILE, audit_key::KEY_FILE];

/// Why the keys could not be saved or put back.
#[derive(Debug, thiserror::Error)]
pub enum KeyBackupError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{existing} holds another key than the backup's {backed_up}: restoring the backup's would make what the \
         current key sealed or signed unreadable. Pass --replace-keys to put the backup's key in place (the current \
         one is kept aside), or move it away yourself"
    )]
    Different { existing: PathBuf, backed_up: PathBuf },
    #[error("{0} already exists: choose another backup name")]
    Exists(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyBackupError + '_ {
    move |source| KeyBackupError::Io { path: path.to_path_buf(), source }
}

/// The folder the keys of the backup `out` go to: `out` + `.keys`.
pub fn keys_folder(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".keys");
    out.with_file_name(name)
}

/// Refuses a backup whose keys folder exists already (checked before the database is
/// copied, so that a refused backup writes nothing).
pub fn check_free(out: &Path) -> Result<(), KeyBackupError> {
    let folder = keys_folder(out);
    if folder.exists() { Err(KeyBackupError::Exists(folder)) } else { Ok(()) }
}

/// Copies the key files of `data_dir` into the keys folder of `out` (made owner-only);
/// the paths written. No key in the folder, no keys folder.
pub fn save(data_dir: &Path, out: &Path) -> Result<Vec<PathBuf>, KeyBackupError> {
    let folder = keys_folder(out);
    let mut written = Vec::new();
    for name in KEY_FILES {
        let source = data_dir.join(name);
        let contents = match std::fs::read(&source) {
            Ok(contents) => contents,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&source)(e)),
        };
        if written.is_empty() {
            #[cfg_attr(not(unix), allow(unused_mut, reason = "only Unix gives the folder a mode"))]
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&folder).map_err(io(&folder))?;
        }
        let target = folder.join(name);
        key_file::create_once(&target, &contents).map_err(io(&target))?;
        written.push(target);
    }
    Ok(written)
}

/// What a restore did with one key file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRestored {
    /// The data folder had none: the backup's is there now.
    Written(PathBuf),
    /// The data folder had the very same key.
    AlreadyThere(PathBuf),
    /// The data folder had another key, replaced on request; it is kept at `previous`.
    Replaced { path: PathBuf, previous: PathBuf },
}

impl std::fmt::Display for KeyRestored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Written(path) => write!(f, "key restored: {}", path.display()),
            Self::AlreadyThere(path) => write!(f, "key already in place, unchanged: {}", path.display()),
            Self::Replaced { path, previous } => {
                write!(f, "key replaced: {} (the one it replaced is kept as {})", path.display(), previous.display())
            }
        }
    }
}

/// A key file of a backup: its name in the data folder, where the backup has it, its bytes.
type BackedUpKey = (&'static str, PathBuf, Vec<u8>);

/// The key files the backup `from` carries, with their contents (none when it has no
/// keys folder: a backup of an older version, or copied without it).
fn backed_up(from: &Path) -> Result<Vec<BackedUpKey>, KeyBackupError> {
    let folder = keys_folder(from);
    let mut keys = Vec::new();
    for name in KEY_FILES {
        let path = folder.join(name);
        match std::fs::read(&path) {
            Ok(contents) => keys.push((name, path, contents)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
    }
    Ok(keys)
}

/// Checks, before anything changes, that the keys of the backup `from` can be put into
/// `data_dir`: refused when a different key is there and `replace` is not asked.
pub fn check_restore(data_dir: &Path, from: &Path, replace: bool) -> Result<(), KeyBackupError> {
    for (name, path, contents) in backed_up(from)? {
        let existing = data_dir.join(name);
        match std::fs::read(&existing) {
            Ok(current) if current != contents && !replace => {
                return Err(KeyBackupError::Different { existing, backed_up: path });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&existing)(e)),
        }
    }
    Ok(())
}

/// Puts the keys of the backup `from` into `data_dir` (see [`check_restore`]); `stamp`
/// names the copies of replaced keys.
pub fn restore(data_dir: &Path, from: &Path, replace: bool, stamp: &str) -> Result<Vec<KeyRestored>, KeyBackupError> {
    check_restore(data_dir, from, replace)?;
    let mut restored = Vec::new();
    for (name, _, contents) in backed_up(from)? {
        let target = data_dir.join(name);
        let outcome = match std::fs::read(&target) {
            Ok(current) if current == contents => KeyRestored::AlreadyThere(target),
            Ok(_) => {
                let previous = data_dir.join(format!("{name}.before-restore-{stamp}"));
                std::fs::rename(&target, &previous).map_err(io(&target))?;
                key_file::create_once(&target, &contents).map_err(io(&target))?;
                KeyRestored::Replaced { path: target, previous }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                key_file::create_once(&target, &contents).map_err(io(&target))?;
                KeyRestored::Written(target)
            }
            Err(e) => return Err(io(&target)(e)),
        };
        restored.push(outcome);
    }
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_beside_the_backup_owner_only_and_come_back_without_overwriting_another() {
        let data = tempfile::tempdir().unwrap();
        let out_dir = tempfile::tempdir().unwrap();
        let out = out_dir.path().join("server-2026.sqlite");
        std::fs::write(data.path().join(server_key::KEY_FILE), b"sealing key").unwrap();
        std::fs::write(data.path().join(audit_key::KEY_FILE), b"signing key").unwrap();
        let written = save(data.path(), &out).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(std::fs::read(keys_folder(&out).join(server_key::KEY_FILE)).unwrap(), b"sealing key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&keys_folder(&out)), 0o700);
            assert!(written.iter().all(|p| mode(p) == 0o600));
        }
        assert!(matches!(check_free(&out), Err(KeyBackupError::Exists(_))));

        // Into an empty folder: written; again: already there.
        let fresh = tempfile::tempdir().unwrap();
        let restored = restore(fresh.path(), &out, false, "x").unwrap();
        assert!(restored.iter().all(|r| matches!(r, KeyRestored::Written(_))), "{restored:?}");
        let again = restore(fresh.path(), &out, false, "x").unwrap();
        assert!(again.iter().all(|r| matches!(r, KeyRestored::AlreadyThere(_))), "{again:?}");

        // Over another key: refused, nothing changed; replaced on request, the old kept.
        std::fs::write(fresh.path().join(audit_key::KEY_FILE), b"another key").unwrap();
        std::fs::remove_file(fresh.path().join(server_key::KEY_FILE)).unwrap();
        let refused = restore(fresh.path(), &out, false, "x").unwrap_err();
        assert!(matches!(refused, KeyBackupError::Different { .. }), "{refused}");
        assert!(refused.to_string().contains("--replace-keys"));
        assert!(!fresh.path().join(server_key::KEY_FILE).exists(), "a refusal writes nothing");
        let replaced = restore(fresh.path(), &out, true, "x").unwrap();
        assert!(replaced.iter().any(|r| matches!(r, KeyRestored::Replaced { .. })), "{replaced:?}");
        assert_eq!(std::fs::read(fresh.path().join(audit_key::KEY_FILE)).unwrap(), b"signing key");
        assert_eq!(
            std::fs::read(fresh.path().join(format!("{}.before-restore-x", audit_key::KEY_FILE))).unwrap(),
            b"another key"
        );
    }
}
