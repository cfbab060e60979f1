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
    let mut child = Command::new(binary)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
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
