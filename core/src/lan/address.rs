//! How a joined device names its host, wherever a server's address goes (the account's
//! server, the engine's configuration): `comptoir-lan://FP@192.168.1.20:7443,[fe80::1]:7443`
//! — the pinned fingerprint and the addresses known, tried in order.
//!
//! [`crate::sync::SyncClient::new`] reads it and connects with the pin; the addresses are
//! those of the pairing link, later those the device found again (mDNS).

use std::net::SocketAddr;

use super::{Fingerprint, LanError, PairingLink};

/// The scheme of a host's address.
pub const SCHEME: &str = "comptoir-lan://";

/// A host of the local network: its certificate's fingerprint and its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAddress {
    pub fingerprint: Fingerprint,
    /// One to [`super::link::MAX_ADDRESSES`], all on the host's one port.
    pub addresses: Vec<SocketAddr>,
}

impl HostAddress {
    /// The host a pairing link names.
    pub fn of_link(link: &PairingLink) -> Self {
        Self { fingerprint: link.fingerprint, addresses: link.addresses.clone() }
    }

    /// Whether `text` is a host's address rather than a server's URL.
    pub fn is_host_address(text: &str) -> bool {
        text.trim().starts_with(SCHEME)
    }

    pub fn parse(text: &str) -> Result<Self, LanError> {
        let rest = text.trim().strip_prefix(SCHEME).ok_or(LanError::BadLink("not a comptoir-lan:// address"))?;
        let (fingerprint, hosts) = rest.split_once('@').ok_or(LanError::BadLink("no host address"))?;
        let addresses = hosts
            .split(',')
            .map(|address| {
                address.parse::<SocketAddr>().map_err(|_| LanError::BadLink("a host address is not IP:port"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if addresses.is_empty() || addresses.len() > super::link::MAX_ADDRESSES {
            return Err(LanError::BadLink("too many host addresses"));
        }
        if addresses.iter().any(|address| address.port() == 0 || address.ip().is_unspecified()) {
            return Err(LanError::BadLink("a host address cannot be reached"));
        }
        Ok(Self { fingerprint: Fingerprint::from_base64url(fingerprint)?, addresses })
    }

    /// The port the host listens on (its first address's), and its addresses on it.
    pub fn port_and_addresses(&self) -> (u16, Vec<SocketAddr>) {
        let port = self.addresses.first().map_or(0, SocketAddr::port);
        (port, self.addresses.iter().copied().filter(|address| address.port() == port).collect())
    }
}

impl std::fmt::Display for HostAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hosts: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
        write!(f, "{SCHEME}{}@{}", self.fingerprint.to_base64url(), hosts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_address_reads_back_and_bad_ones_are_refused() {
        let host = HostAddress {
            fingerprint: Fingerprint::of(b"cert"),
            addresses: vec!["192.168.1.20:7443".parse().unwrap(), "[fe80::1]:7443".parse().unwrap()],
        };
        let text = host.to_string();
        assert!(HostAddress::is_host_address(&text));
        assert_eq!(HostAddress::parse(&text).unwrap(), host);
        assert_eq!(host.port_and_addresses(), (7443, host.addresses.clone()));
        for bad in [
            "https://192.168.1.20:7443".to_owned(),
            text.replace('@', "#"),
            text.replace(":7443,", ":0,"),
            format!("{SCHEME}{}@", host.fingerprint.to_base64url()),
        ] {
            assert!(HostAddress::parse(&bad).is_err(), "{bad}");
        }
    }
}
