//! The app's command line (`comptoir sync`, `comptoir import`, `comptoir document`), the real binary, against
//! the real server on 127.0.0.1 started through the tests' one harness
//! ([`comptoir_tests::TestServer`]). The binary is the app's own `main` as this package
//! builds it (`comptoir-app`: the same commands as `comptoir`). One test binary, a module
//! per command.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

mod document;
mod import;
mod lan;
mod moves;
mod sync;

use std::path::Path;
use std::process::Output;

use comptoir_tests::process;

/// The app's binary, `comptoir`, as this package builds it.
const APP_BIN: &str = env!("CARGO_BIN_EXE_comptoir-app");

/// `comptoir sync` on the data folder `data`, signing in to `url` as `email` with
/// `password` given on standard input, with `extra` arguments (`--company`, `--json`…).
fn sync(data: &Path, url: &str, email: &str, password: &str, extra: &[&str]) -> Output {
    let mut command = process::app_sync(APP_BIN, url, email, data);
    process::spawn_with_password(command.args(extra), password).unwrap().wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
