//! The server's key files (`server.key`, `audit-signing.key`): written once, whole and
//! owner-only, and never replaced when another process made one first.

use std::io::Write as _;
use std::path::Path;

/// Writes `contents` under a temporary name beside `path`, owner-only, then links it to
/// `path`: the file appears whole or not at all. When `path` exists already (another
/// process made its key first), theirs is kept and `contents` is dropped.
pub(crate) fn create_once(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}", uuid::Uuid::now_v7().simple()));
    let written = write_owner_only(&temporary, contents);
    let linked = written.and_then(|()| match std::fs::hard_link(&temporary, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&temporary);
    linked
}

fn write_owner_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Logs a warning when the key file `path` (`what`, for the message) can be read by
/// others than its owner.
#[cfg(unix)]
pub(crate) fn warn_if_readable_by_others(path: &Path, what: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "{what} is readable by others: make it owner-only (chmod 600)");
    }
}

#[cfg(not(unix))]
pub(crate) fn warn_if_readable_by_others(_path: &Path, _what: &str) {}
