//! How this copy of Comptoir was installed, which says whether it may update itself, and
//! installing a verified package ([`Install::prepare`], then [`AfterExit::run`] once the
//! window is closed).

use std::path::{Path, PathBuf};

use super::{Downloaded, UpdateError};

/// The system's package manager, for the message that tells how to update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageManager {
    Deb,
    Rpm,
    Other,
}

/// How this copy was installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Install {
    /// The portable Linux archive's binary, in a folder the user can write (install.sh
    /// puts it in `~/.local/bin`): the update replaces it.
    Portable { exe: PathBuf },
    /// Installed by the NSIS installer (its `uninstall.exe` beside the binary), for the
    /// user or for every user of the machine: the update runs the new installer.
    WindowsInstaller { exe: PathBuf, per_machine: bool },
    /// Installed by the system's packages (`.deb`, `.rpm`): the system updates it.
    SystemPackage(PackageManager),
    /// An MSI deployed by an administrator, a macOS bundle, or a binary in a folder the
    /// user cannot write: told that a version exists, nothing more.
    Managed,
}

impl Install {
    /// How the running binary was installed.
    pub fn detect() -> Self {
        std::env::current_exe().map_or(Self::Managed, |exe| Self::detect_at(&exe))
    }

    /// How the binary at `exe` was installed.
    pub fn detect_at(exe: &Path) -> Self {
        if cfg!(windows) {
            let folder = exe.parent().unwrap_or(exe);
            if folder.join("uninstall.exe").is_file() {
                let per_machine = ["ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"]
                    .iter()
                    .filter_map(std::env::var_os)
                    .any(|programs| exe.starts_with(programs));
                return Self::WindowsInstaller { exe: exe.to_path_buf(), per_machine };
            }
            return Self::Managed;
        }
        if cfg!(target_os = "macos") {
            return Self::Managed;
        }
        if ["/usr/", "/opt/", "/snap/", "/app/"].iter().any(|system| exe.starts_with(system)) {
            let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
            let manager = package_manager(&os_release);
            return Self::SystemPackage(manager);
        }
        match exe.parent() {
            Some(folder) if is_writable(folder) => Self::Portable { exe: exe.to_path_buf() },
            _ => Self::Managed,
        }
    }

    /// The manifest's name for this install's package, when it updates itself.
    pub fn platform(&self) -> Option<String> {
        let arch = std::env::consts::ARCH;
        match self {
            Self::Portable { .. } => Some(format!("linux-{arch}-portable")),
            Self::WindowsInstaller { .. } => Some(format!("windows-{arch}-nsis")),
            Self::SystemPackage(_) | Self::Managed => None,
        }
    }

    /// The folder a package is downloaded into: beside the binary it replaces (a rename
    /// does not cross file systems), or the data folder for an installer.
    pub fn download_folder(&self, data: &Path) -> PathBuf {
        match self {
            Self::Portable { exe } => exe.parent().map_or_else(|| data.to_path_buf(), Path::to_path_buf),
            _ => data.join("updates"),
        }
    }

    /// Installs a verified package as far as it can be while the app runs: the portable
    /// binary is checked (it must start) and put in place of the old one; an installer
    /// waits to run. What is left happens after the window closed.
    ///
    /// # Errors
    ///
    /// The archive lacks the binary, the binary does not start, or its folder cannot be
    /// written (then the old binary stays).
    pub fn prepare(&self, downloaded: Downloaded) -> Result<AfterExit, UpdateError> {
        match self {
            Self::Portable { exe } => {
                replace_portable(exe, &downloaded)?;
                Ok(AfterExit::Restart { exe: exe.clone() })
            }
            Self::WindowsInstaller { per_machine, .. } => {
                Ok(AfterExit::RunInstaller { setup: downloaded.path.clone(), per_machine: *per_machine, downloaded })
            }
            Self::SystemPackage(_) | Self::Managed => Err(UpdateError::Managed(format!("{self:?}"))),
        }
    }
}

/// The system's package manager, from `/etc/os-release`'s `ID` and `ID_LIKE` (Debian and
/// its derivatives install the `.deb`; Fedora, RHEL, openSUSE the `.rpm`).
fn package_manager(os_release: &str) -> PackageManager {
    let ids: Vec<&str> = os_release
        .lines()
        .filter_map(|line| line.strip_prefix("ID=").or_else(|| line.strip_prefix("ID_LIKE=")))
        .flat_map(|value| value.trim_matches('"').split_whitespace())
        .collect();
    if ids.iter().any(|id| matches!(*id, "debian" | "ubuntu")) {
        PackageManager::Deb
    } else if ids.iter().any(|id| matches!(*id, "fedora" | "rhel" | "centos" | "suse" | "opensuse")) {
        PackageManager::Rpm
    } else {
        PackageManager::Other
    }
}

/// What to do once the window is closed and the engine stopped.
#[derive(Debug)]
pub enum AfterExit {
    /// Start the new binary, with the arguments this one had.
    Restart { exe: PathBuf },
    /// Run the new installer silently; it starts the app again when done (`/Relaunch`).
    RunInstaller { setup: PathBuf, per_machine: bool, downloaded: Downloaded },
}

impl AfterExit {
    /// Starts the new version; this process then ends.
    ///
    /// # Errors
    ///
    /// The new binary or the installer cannot be started.
    pub fn run(self, args: impl IntoIterator<Item = std::ffi::OsString>) -> std::io::Result<()> {
        match self {
            Self::Restart { exe } => {
                std::process::Command::new(exe).args(args).spawn()?;
            }
            Self::RunInstaller { setup, per_machine, downloaded } => {
                let mode = if per_machine { "/AllUsers" } else { "/CurrentUser" };
                // Through `start` (ShellExecute): an install for every user asks Windows for
                // an administrator's consent, which a plain process start cannot.
                std::process::Command::new("cmd")
                    .args(["/C", "start", "\"\""])
                    .arg(&setup)
                    .args(["/S", mode, "/Relaunch"])
                    .spawn()?;
                // The installer runs from the folder: it stays for the next start to clear.
                let _ = downloaded.folder.keep();
            }
        }
        Ok(())
    }
}

/// Takes the binary out of the portable archive, checks that it starts, and puts it in
/// place of `exe` with one rename (the old one stays whole until then).
fn replace_portable(exe: &Path, downloaded: &Downloaded) -> Result<(), UpdateError> {
    let file = downloaded.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let top = file.strip_suffix(".tar.gz").unwrap_or(file);
    let bad = |why: &str| UpdateError::BadPackage { file: file.to_owned(), why: why.to_owned() };
    let unpacked = downloaded.folder.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).map_err(UpdateError::io(&unpacked))?;
    self_update::Extract::from_source(&downloaded.path)
        .archive(self_update::ArchiveKind::Tar(Some(self_update::Compression::Gz)))
        .extract_file(&unpacked, format!("{top}/comptoir"))
        .map_err(|e| bad(&format!("its binary cannot be read ({e})")))?;
    // The entry keeps its path inside the folder (tar refuses one that would leave it).
    let staged = unpacked.join(top).join("comptoir");
    set_executable(&staged)?;
    let started = std::process::Command::new(&staged).arg("--version").output();
    match started {
        Ok(output) if output.status.success() && output.stdout.starts_with(b"comptoir ") => {}
        _ => return Err(bad("its binary does not start on this computer")),
    }
    self_update::Move::from_source(&staged)
        .replace_using_temp(downloaded.folder.path().join("previous"))
        .to_dest(exe)
        .map_err(|e| UpdateError::Io { path: exe.to_path_buf(), source: std::io::Error::other(e.to_string()) })
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), UpdateError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(UpdateError::io(path))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<(), UpdateError> {
    Ok(())
}

/// Whether this process can create files in `folder`.
fn is_writable(folder: &Path) -> bool {
    tempfile::Builder::new().prefix(".comptoir-write-test-").tempfile_in(folder).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_manager_follows_the_distribution() {
        assert_eq!(package_manager("ID=debian\nVERSION_ID=\"13\"\n"), PackageManager::Deb);
        assert_eq!(package_manager("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"), PackageManager::Deb);
        assert_eq!(package_manager("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"), PackageManager::Rpm);
        assert_eq!(package_manager("ID=arch\n"), PackageManager::Other);
        assert_eq!(package_manager(""), PackageManager::Other);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn system_folders_are_the_system_s_and_a_home_folder_is_portable() {
        assert!(matches!(Install::detect_at(Path::new("/usr/bin/comptoir")), Install::SystemPackage(_)));
        assert!(matches!(Install::detect_at(Path::new("/opt/comptoir/comptoir")), Install::SystemPackage(_)));
        let home = tempfile::tempdir().unwrap();
        let exe = home.path().join("comptoir");
        let install = Install::detect_at(&exe);
        assert_eq!(install, Install::Portable { exe: exe.clone() });
        assert_eq!(install.platform().as_deref(), Some(format!("linux-{}-portable", std::env::consts::ARCH).as_str()));
        assert_eq!(install.download_folder(Path::new("/data")), home.path());
        // No leftover of the writability test.
        assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    }
}
