//! Finding a host again when its address changed (a DHCP lease, another network):
//! the host announces itself by mDNS (DNS-SD service [`SERVICE_TYPE`]) with its
//! certificate's fingerprint in the TXT record, and a device that cannot reach the
//! addresses it knows looks for that fingerprint ([`find`]).
//!
//! An announcement is not trusted: anyone on the network can announce any fingerprint
//! at any address. The device only tries the addresses found, pinning the certificate
//! as always, so a spoofed announcement can at worst delay a sync, never receive a byte
//! of it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use super::{Fingerprint, LanError};

/// The DNS-SD service type of a Comptoir host.
pub const SERVICE_TYPE: &str = "_comptoir._tcp.local.";
/// The TXT key of the fingerprint (base64url).
const FINGERPRINT_KEY: &str = "fp";

fn mdns_error(error: impl std::fmt::Display) -> LanError {
    LanError::Discovery(error.to_string())
}

/// The host's announcement, kept while this value lives.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Announcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcement").field("fullname", &self.fullname).finish_non_exhaustive()
    }
}

/// Announces the host of certificate `fingerprint` listening on `port`, on every
/// interface's addresses (followed as they change).
pub fn announce(fingerprint: &Fingerprint, port: u16) -> Result<Announcement, LanError> {
    let daemon = ServiceDaemon::new().map_err(mdns_error)?;
    let id = fingerprint.to_base64url();
    // A name of its own per host (the first 12 characters of its fingerprint), so two
    // hosts of one office do not clash; letters and digits only, as DNS labels want.
    let short: String = id.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    let instance = format!("comptoir-{short}");
    let host_name = format!("{instance}.local.");
    let properties = [(FINGERPRINT_KEY, id.as_str()), ("v", "1")];
    let service = ServiceInfo::new(SERVICE_TYPE, &instance, &host_name, "", port, &properties[..])
        .map_err(mdns_error)?
        .enable_addr_auto();
    let fullname = service.get_fullname().to_owned();
    daemon.register(service).map_err(mdns_error)?;
    tracing::info!(%fullname, port, "announced on the local network (mDNS)");
    Ok(Announcement { daemon, fullname })
}

impl Drop for Announcement {
    fn drop(&mut self) {
        // Says goodbye so devices forget the address at once; the daemon's thread ends.
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

/// Looks for the host of certificate `fingerprint` for at most `within`: its addresses
/// (and port) as announced, empty when none answered. Blocks: run it off the UI thread
/// and off async threads.
pub fn find(fingerprint: &Fingerprint, within: Duration) -> Result<Vec<SocketAddr>, LanError> {
    let daemon = ServiceDaemon::new().map_err(mdns_error)?;
    let events = daemon.browse(SERVICE_TYPE).map_err(mdns_error)?;
    let wanted = fingerprint.to_base64url();
    let deadline = Instant::now() + within;
    let mut found = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else { break };
        if let ServiceEvent::ServiceResolved(service) = event
            && service.txt_properties.get_property_val_str(FINGERPRINT_KEY) == Some(wanted.as_str())
        {
            let mut addresses: Vec<SocketAddr> = service
                .addresses
                .iter()
                .map(mdns_sd::ScopedIp::to_ip_addr)
                .filter(|ip| reachable(*ip))
                .map(|ip| SocketAddr::new(ip, service.port))
                .collect();
            // IPv4 first, in a stable order.
            addresses.sort_by_key(|address| (address.is_ipv6(), *address));
            addresses.dedup();
            if !addresses.is_empty() {
                found = addresses;
                break;
            }
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    let _ = daemon.shutdown();
    Ok(found)
}

/// Whether a device can use `ip` as announced: not a loopback (the announcer's, not
/// ours), not link-local (an IPv6 one needs a scope a URL cannot carry; an IPv4 one is
/// a network without DHCP), not unspecified.
fn reachable(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()),
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unicast_link_local() || v6.is_unspecified()),
    }
}

/// For a device that cannot reach its host at `url` (a [`super::HostAddress`]): the
/// address to keep instead when mDNS finds the host elsewhere within `within` — the
/// addresses found first, then those known. `None` when `url` names no host, nothing
/// answered, or nothing new was found. Blocks.
pub fn refind(url: &str, within: Duration) -> Option<String> {
    let known = super::HostAddress::parse(url).ok()?;
    let found = match find(&known.fingerprint, within) {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "cannot look for the host on the local network");
            return None;
        }
    };
    let mut addresses = found;
    for address in &known.addresses {
        if !addresses.contains(address) {
            addresses.push(*address);
        }
    }
    addresses.truncate(super::link::MAX_ADDRESSES);
    let moved = super::HostAddress { fingerprint: known.fingerprint, addresses };
    (moved != known).then(|| {
        tracing::info!(from = %url, to = %moved, "the host was found at another address");
        moved.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_a_device_can_use_are_kept() {
        for usable in ["192.168.1.20", "10.0.0.7", "2001:db8::1", "fd00::2"] {
            assert!(reachable(usable.parse().unwrap()), "{usable}");
        }
        for unusable in ["127.0.0.1", "169.254.3.4", "0.0.0.0", "::1", "fe80::1", "::"] {
            assert!(!reachable(unusable.parse().unwrap()), "{unusable}");
        }
        // What is no host's address is never looked for.
        assert_eq!(refind("https://sync.comptoir.app", Duration::from_millis(10)), None);
    }
}
