//! A port kept from one start to the next, so that the copies that know a server
//! inside the app (the demo's, a host's devices) find it where they left it.
//!
//! [`bind`] binds the port remembered in a file when it is free, else a preferred one,
//! else any free one, and remembers what it bound. A garbled or unreadable file counts
//! as no port remembered; a file that cannot be written only means the next start may
//! take another port (the copies then follow, see the demo's `follow` and the devices'
//! mDNS).

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// Binds a port on `ip`: the one remembered in `file`, else `preferred`, else a free
/// one; remembers the port bound in `file`. `what` names the server in the logs.
pub fn bind(
    runtime: &tokio::runtime::Runtime,
    ip: IpAddr,
    file: &Path,
    preferred: Option<u16>,
    what: &str,
) -> std::io::Result<tokio::net::TcpListener> {
    // tokio's bind sets SO_REUSEADDR on Unix: connections of the last run lingering in
    // TIME_WAIT do not keep the port from being bound again.
    let bind = |port: u16| runtime.block_on(tokio::net::TcpListener::bind(SocketAddr::new(ip, port)));
    let remembered = remembered(file, what);
    for port in remembered.into_iter().chain(preferred).filter(|port| *port != 0) {
        match bind(port) {
            Ok(listener) => {
                if Some(port) != remembered {
                    remember(file, port, what);
                }
                return Ok(listener);
            }
            Err(error) => tracing::info!(port, %error, "the {what}'s port is taken: it takes another"),
        }
    }
    let listener = bind(0)?;
    remember(file, listener.local_addr()?.port(), what);
    Ok(listener)
}

/// The port written by the last start, if any (a garbled file counts as none).
fn remembered(file: &Path, what: &str) -> Option<u16> {
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let port = text.trim().parse::<u16>().ok().filter(|port| *port != 0);
            if port.is_none() {
                tracing::warn!(path = %file.display(), "the {what}'s remembered port is unreadable: a new one is taken");
            }
            port
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            tracing::warn!(path = %file.display(), %error, "the {what}'s remembered port is unreadable: a new one is taken");
            None
        }
    }
}

fn remember(file: &Path, port: u16, what: &str) {
    if let Err(error) = std::fs::write(file, format!("{port}\n")) {
        // Not fatal: the next start may take another port, and the copies follow.
        tracing::warn!(path = %file.display(), %error, "the {what}'s port could not be remembered");
    }
}
