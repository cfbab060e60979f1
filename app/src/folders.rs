//! The platform's folders for the app's files, named by the `directories` crate.
//!
//! | platform | data: companies, settings ([`data_dir`]) | the window's log ([`log_dir`]) |
//! |---|---|---|
//! | Linux | `$XDG_DATA_HOME/comptoir` (`~/.local/share/comptoir`) | `$XDG_STATE_HOME/comptoir/logs` (`~/.local/state/comptoir/logs`) |
//! | Windows | `%APPDATA%\Comptoir` (the roaming known folder) | `%LOCALAPPDATA%\Comptoir\logs` |
//! | macOS | `~/Library/Application Support/Comptoir` | `~/Library/Logs/Comptoir` |
//!
//! These are the folders the app used before it asked `directories` (it read the
//! environment itself), so an existing install keeps its data. `ProjectDirs::from("", "",
//! "Comptoir")` yields them on Linux (the application's name lowercased under XDG's
//! folders) and on macOS (a "bundle id" of the non-empty parts: a qualifier or an
//! organisation would have made it `app.Comptoir.Comptoir`). On Windows it would put the
//! data one folder deeper (`%APPDATA%\Comptoir\data`), so there the folder is the roaming
//! known folder's `Comptoir`, where the installers' uninstaller looks for it. Neither
//! Windows nor macOS has a state folder in `directories`: the log goes to the local
//! (not roaming) application data on Windows and to Apple's `~/Library/Logs` on macOS.

use std::path::PathBuf;

use directories::{BaseDirs, ProjectDirs};

/// The app's folder name under the platform's folders (`directories` lowercases it on
/// Linux).
const APP: &str = "Comptoir";

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", APP)
}

/// Where the app keeps its files when not told (`--data`); `None` when the platform
/// cannot tell (no home folder).
pub fn data_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return BaseDirs::new().map(|base| base.data_dir().join(APP));
    }
    project().map(|project| project.data_dir().to_path_buf())
}

/// Where the window's logs go on this platform; `None` when the platform cannot tell.
pub fn log_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return BaseDirs::new().map(|base| base.data_local_dir().join(APP).join("logs"));
    }
    if cfg!(target_os = "macos") {
        return BaseDirs::new().map(|base| base.home_dir().join("Library/Logs").join(APP));
    }
    // XDG's state folder is for "state data that should persist between restarts", logs
    // named first.
    project().and_then(|project| project.state_dir().map(|state| state.join("logs")))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is the failure report")]

    use std::path::Path;

    use super::*;

    /// Set in the child process: the file it writes its folders into.
    const CHILD_OUTPUT: &str = "COMPTOIR_FOLDERS_CHILD";

    /// The child's side: writes the folders this process sees, one a line.
    #[test]
    #[ignore = "run in a child process by the tests below, with its own environment"]
    fn child_writes_its_folders() {
        let output = std::env::var_os(CHILD_OUTPUT).unwrap();
        let text = format!("{}\n{}\n", data_dir().unwrap().display(), log_dir().unwrap().display());
        std::fs::write(output, text).unwrap();
    }

    /// The data and log folders of a process started with `HOME=home` and the given
    /// environment (the XDG variables unset unless given): the environment of a process
    /// cannot be changed safely from a test, so a child process of this test binary reads it.
    fn folders(home: &Path, xdg: &[(&str, &str)]) -> (PathBuf, PathBuf) {
        let output = home.join("folders.txt");
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args(["folders::tests::child_writes_its_folders", "--exact", "--ignored", "--quiet"])
            .env(CHILD_OUTPUT, &output)
            .env("HOME", home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_STATE_HOME")
            .envs(xdg.iter().copied())
            .stdout(std::process::Stdio::null());
        assert!(command.status().unwrap().success());
        let text = std::fs::read_to_string(&output).unwrap();
        let mut lines = text.lines().map(PathBuf::from);
        (lines.next().unwrap(), lines.next().unwrap())
    }

    #[test]
    fn without_xdg_variables_the_folders_are_those_of_the_app_before() {
        let home = tempfile::tempdir().unwrap();
        let (data, logs) = folders(home.path(), &[]);
        assert_eq!(data, home.path().join(".local/share/comptoir"));
        assert_eq!(logs, home.path().join(".local/state/comptoir/logs"));
    }

    #[test]
    fn xdg_data_home_and_xdg_state_home_are_honoured() {
        let home = tempfile::tempdir().unwrap();
        let data_home = home.path().join("elsewhere/data");
        let state_home = home.path().join("elsewhere/state");
        let (data, logs) = folders(
            home.path(),
            &[("XDG_DATA_HOME", data_home.to_str().unwrap()), ("XDG_STATE_HOME", state_home.to_str().unwrap())],
        );
        assert_eq!(data, data_home.join("comptoir"));
        assert_eq!(logs, state_home.join("comptoir/logs"));
    }

    #[test]
    fn a_relative_xdg_folder_is_ignored_as_the_specification_says() {
        let home = tempfile::tempdir().unwrap();
        let (data, logs) = folders(home.path(), &[("XDG_DATA_HOME", "relative/data"), ("XDG_STATE_HOME", "state")]);
        assert_eq!(data, home.path().join(".local/share/comptoir"));
        assert_eq!(logs, home.path().join(".local/state/comptoir/logs"));
    }
}
