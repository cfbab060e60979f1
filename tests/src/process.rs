//! The sync server as a real process, for the tests that kill it (SIGKILL), inject pause
//! points through its environment, or run admin commands beside it; and the app's
//! `comptoir sync` run against it.
//!
//! Cargo tells only a package's own tests and benchmarks where its binaries are, and only
//! as they are compiled: the caller passes `env!("CARGO_BIN_EXE_comptoir-sync-server")`
//! (`comptoir-server`'s `main`, built again in this package under that name) or
//! `env!("CARGO_BIN_EXE_comptoir-app")` (the app's `main`, `comptoir`).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use comptoir_core::model::CompanyId;

use crate::ServerError;

/// A `comptoir-server serve` process, listening.
#[derive(Debug)]
pub struct ServerProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The rest of its standard output, after the line that gave its address (pause points
    /// say there when the server stands at them).
    pub stdout: BufReader<ChildStdout>,
}

/// Starts `binary serve --data DATA` on a port of its own, with `env` added to its
/// environment, and waits for the line that says where it listens.
pub fn serve(binary: &str, data: &Path, env: &[(&str, &str)]) -> Result<ServerProcess, ServerError> {
    serve_with(binary, data, &[], env, Stdio::inherit())
}

/// [`serve`] with more arguments (`--log-format json`), its standard error (its logs) sent
/// to `stderr` (a file the test reads afterwards, say).
pub fn serve_with(
    binary: &str,
    data: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stderr: impl Into<Stdio>,
) -> Result<ServerProcess, ServerError> {
    let mut child = Command::new(binary)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        // No company files kept in the background: what a test downloads does not depend
        // on whether a copy happened to be ready.
        .args(["--copies-from", "0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()?;
    let mut stdout =
        BufReader::new(child.stdout.take().ok_or_else(|| std::io::Error::other("the server's stdout is not piped"))?);
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    let Some(address) = line.trim().strip_prefix("listening on ") else {
        // Whatever it is doing instead, it is not serving: do not leave it running.
        let _ = child.kill();
        let _ = child.wait();
        return Err(std::io::Error::other(format!("{binary} did not say where it listens: {line:?}")).into());
    };
    let url = format!("http://{address}");
    Ok(ServerProcess { child, url, stdout })
}

/// `binary sync --server URL --email EMAIL --password-stdin --data DATA` (the app's
/// `comptoir sync`), its standard streams piped; add `--company`, `--json`…, then
/// [`spawn_with_password`].
pub fn app_sync(binary: &str, url: &str, email: &str, data: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["sync", "--server", url, "--email", email, "--password-stdin", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Starts `command` (an [`app_sync`]) and gives it `password` on its standard input, which
/// is then closed.
pub fn spawn_with_password(command: &mut Command, password: &str) -> std::io::Result<Child> {
    let mut child = command.spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("the app's stdin is not piped"))?;
    stdin.write_all(format!("{password}\n").as_bytes())?;
    Ok(child)
}

/// A `comptoir host` process (the app hosting a company on the local network), its
/// standard input open for commands and its answers read as JSON lines (`--json`).
#[derive(Debug)]
pub struct HostProcess {
    pub child: Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// What it said as it started: the company, the fingerprint, its own address.
    pub hosting: serde_json::Value,
    /// The invitation it printed as it started.
    pub first_invitation: serde_json::Value,
    /// What else it said, in order, that no command asked (`backup`, `restored`).
    pub said: Vec<serde_json::Value>,
}

/// Starts `binary host --data DATA --listen LISTEN --json` with `extra` arguments
/// (`--create NAME --owner EMAIL`: then `password` is its first line of input), and
/// waits until it serves and printed its first invitation.
pub fn host(
    binary: &str,
    data: &Path,
    listen: &str,
    extra: &[&str],
    password: Option<&str>,
) -> Result<HostProcess, ServerError> {
    let mut command = Command::new(binary);
    command.args(["host", "--json", "--listen", listen, "--data"]).arg(data).args(extra);
    host_command(command, password)
}

/// [`host`] from a command of the caller's (`ip netns exec NS comptoir host --json …`):
/// its standard streams are piped here.
pub fn host_command(mut command: Command, password: Option<&str>) -> Result<HostProcess, ServerError> {
    let mut child = command.env("RUST_LOG", "warn").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("the host's stdin is not piped"))?;
    let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("the host's stdout is not piped"))?;
    if let Some(password) = password {
        stdin.write_all(format!("{password}\n").as_bytes())?;
    }
    let mut host = HostProcess {
        child,
        stdin,
        stdout: BufReader::new(stdout),
        hosting: serde_json::Value::Null,
        first_invitation: serde_json::Value::Null,
        said: Vec::new(),
    };
    host.hosting = host.answer("hosting")?;
    host.first_invitation = host.answer("invitation")?;
    Ok(host)
}

impl HostProcess {
    /// The next answer that is an `event`; what it says before of what nobody asked
    /// (backups taken, a restore, a company moved here) is kept in [`Self::said`].
    fn answer(&mut self, event: &str) -> Result<serde_json::Value, ServerError> {
        loop {
            let mut line = String::new();
            self.stdout.read_line(&mut line)?;
            let value: serde_json::Value = serde_json::from_str(line.trim())
                .map_err(|e| std::io::Error::other(format!("the host said {line:?}: {e}")))?;
            if value["event"] == event {
                return Ok(value);
            }
            if ["backup", "restored", "moved", "given_back"].iter().any(|said| value["event"] == *said) {
                self.said.push(value);
                continue;
            }
            let _ = self.child.kill();
            return Err(std::io::Error::other(format!("the host said {value} instead of a(n) {event}")).into());
        }
    }

    /// A backup now (`{"backup": path}`).
    pub fn backup(&mut self) -> Result<serde_json::Value, ServerError> {
        self.command("backup", "backup")
    }

    fn command(&mut self, line: &str, event: &str) -> Result<serde_json::Value, ServerError> {
        self.stdin.write_all(format!("{line}\n").as_bytes())?;
        self.answer(event)
    }

    /// A new invitation (`{"link", "code", "email", "role", "expires_at"}`).
    pub fn invite(&mut self, member: Option<&str>) -> Result<serde_json::Value, ServerError> {
        self.command(&format!("invite {}", member.unwrap_or_default()), "invitation")
    }

    /// The devices paired (`[{"id", "name", "revoked", …}]`).
    pub fn devices(&mut self) -> Result<Vec<serde_json::Value>, ServerError> {
        let answer = self.command("devices", "devices")?;
        Ok(answer["devices"].as_array().cloned().unwrap_or_default())
    }

    /// Revokes the device `id`.
    pub fn revoke(&mut self, id: &str) -> Result<(), ServerError> {
        self.command(&format!("revoke {id}"), "revoked").map(|_| ())
    }

    /// The company it hosts.
    pub fn company(&self) -> Result<CompanyId, ServerError> {
        self.hosting["company"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .map(CompanyId)
            .ok_or_else(|| std::io::Error::other("the host named no company").into())
    }

    /// How its own copy and devices name it (`comptoir-lan://…`).
    pub fn address(&self) -> String {
        self.hosting["address"].as_str().unwrap_or_default().to_owned()
    }

    /// Kills it (SIGKILL): no chance to close anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
