//! A TCP relay between a client and the real server that can hold back the server's
//! answer to one kind of request: the request reaches the server (which acts on it), the
//! answer waits in the relay until the test lets it go. It shows what a client does with
//! a request the server has carried out but not yet answered — a refresh token spent
//! while the app was closing, say.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The relay, listening on a port of its own of 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct HoldingRelay {
    url: String,
    held: Receiver<()>,
    gate: Arc<Gate>,
    stopped: Arc<AtomicBool>,
    address: SocketAddr,
}

/// Open once the test lets the held answers go; before that, it lets through as many
/// as the test allowed one by one.
#[derive(Debug, Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    open: bool,
    /// Held answers allowed through before the gate opens.
    passes: usize,
}

impl Gate {
    fn wait(&self) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while !state.open && state.passes == 0 {
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        if !state.open {
            state.passes -= 1;
        }
    }

    fn change(&self, f: impl FnOnce(&mut GateState)) {
        f(&mut self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        self.changed.notify_all();
    }
}

/// Which requests' answers the relay holds, from their first line.
type Holds = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

impl HoldingRelay {
    /// Relays to `server`, holding the answers to requests whose first line starts with
    /// `request_line` (`"POST /v1/auth/refresh "`).
    ///
    /// # Errors
    ///
    /// No port of 127.0.0.1 can be had.
    pub fn start(server: SocketAddr, request_line: &'static str) -> std::io::Result<Self> {
        Self::holding(server, move |line| line.starts_with(request_line.as_bytes()))
    }

    /// Relays to `server`, holding the answers to requests whose first line `holds`
    /// (`|line| line.windows(5).any(|w| w == b"kind=")`, say).
    ///
    /// # Errors
    ///
    /// No port of 127.0.0.1 can be had.
    pub fn holding(server: SocketAddr, holds: impl Fn(&[u8]) -> bool + Send + Sync + 'static) -> std::io::Result<Self> {
        let holds: Holds = Arc::new(holds);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let (held_tx, held) = channel();
        let gate = Arc::new(Gate::default());
        let stopped = Arc::new(AtomicBool::new(false));
        let (accept_gate, accept_stopped) = (gate.clone(), stopped.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accept_stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(server) else { continue };
                relay(client, upstream, holds.clone(), held_tx.clone(), accept_gate.clone());
            }
        });
        Ok(Self { url: format!("http://{address}"), held, gate, stopped, address })
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits until the server has answered a held request (and so acted on it) and the
    /// relay holds that answer; `false` after `timeout`.
    #[must_use]
    pub fn wait_held(&self, timeout: Duration) -> bool {
        self.held.recv_timeout(timeout).is_ok()
    }

    /// Lets every held answer go, and every later one pass.
    pub fn release(&self) {
        self.gate.change(|state| state.open = true);
    }

    /// Lets one held answer go (the one held now, or else the next); later ones wait.
    pub fn release_one(&self) {
        self.gate.change(|state| state.passes += 1);
    }
}

impl Drop for HoldingRelay {
    fn drop(&mut self) {
        self.release();
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// Copies both ways on two threads. A request whose first line `holds` marks the
/// connection: the server's next bytes wait at the gate.
fn relay(client: TcpStream, upstream: TcpStream, holds: Holds, held: Sender<()>, gate: Arc<Gate>) {
    let hold_next = Arc::new(AtomicBool::new(false));
    let (Ok(mut from_client), Ok(mut from_server)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let (mut to_server, mut to_client) = (upstream, client);
    let marker = hold_next.clone();
    std::thread::spawn(move || {
        let mut buffer = vec![0_u8; 64 * 1024];
        while let Ok(read) = from_client.read(&mut buffer) {
            if read == 0 {
                break;
            }
            let line = buffer[..read].split(|b| *b == b'\n').next().unwrap_or_default();
            if holds(line) {
                marker.store(true, Ordering::SeqCst);
            }
            if to_server.write_all(&buffer[..read]).is_err() {
                break;
            }
        }
        let _ = to_server.shutdown(Shutdown::Write);
    });
    std::thread::spawn(move || {
        let mut buffer = vec![0_u8; 64 * 1024];
        while let Ok(read) = from_server.read(&mut buffer) {
            if read == 0 {
                break;
            }
            if hold_next.swap(false, Ordering::SeqCst) {
                let _ = held.send(());
                gate.wait();
            }
            if to_client.write_all(&buffer[..read]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Write);
    });
}
