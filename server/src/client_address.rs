//! Whose request it is, for the per-address rate limits: the TCP peer's address, or,
//! when the peer is a reverse proxy the server was told to trust (`--trusted-proxy`),
//! the client address that proxy forwarded in `X-Forwarded-For`.
//!
//! Each proxy appends the address it received the request from to `X-Forwarded-For`, so
//! the header reads `client, proxy1, proxy2` and only its right end was written by
//! proxies we trust; whatever a client sends in the header itself sits at the left. The
//! address taken is therefore the right-most one that is not a trusted proxy, walking
//! from the peer leftwards ("recursive" mode, as nginx's `real_ip_recursive`). A request
//! from a peer that is not trusted is judged by the peer's address whatever its headers
//! say: a hostile client must not pick its own bucket. An entry that is not an address
//! stops the walk at the last trusted hop, which is then the address counted (the proxy's
//! own bucket, never one the client chose). The RFC 7239 `Forwarded` header is not read:
//! the common proxies (nginx, `HAProxy`, Caddy, Traefik) all write `X-Forwarded-For`.

use std::net::IpAddr;
use std::str::FromStr;

/// A network of trusted proxies: an address and the length of its prefix (`10.0.0.0/8`,
/// `2001:db8::/32`; a lone address is its own network).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyNetwork {
    address: IpAddr,
    prefix: u8,
}

/// Why a `--trusted-proxy` value is not a network.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("“{0}” is not an IP address or a CIDR network (such as 10.0.0.0/8 or 2001:db8::/32)")]
pub struct BadNetwork(String);

impl FromStr for ProxyNetwork {
    type Err = BadNetwork;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadNetwork(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address = IpAddr::from_str(address).map_err(|_| bad())?.to_canonical();
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|prefix| *prefix <= bits).ok_or_else(bad)?,
            None => bits,
        };
        Ok(Self { address, prefix })
    }
}

impl ProxyNetwork {
    /// Whether `address` is in this network (an IPv4-mapped IPv6 address as its IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` the server believes; none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ProxyNetwork>);

impl TrustedProxies {
    pub fn new(networks: Vec<ProxyNetwork>) -> Self {
        Self(networks)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client's address for a request from `peer` carrying the `X-Forwarded-For`
    /// header values `forwarded_for` (in the order they came, each a comma-separated list).
    pub fn client_address<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|value| value.split(',')).collect();
        for hop in hops.into_iter().rev() {
            let Some(address) = parse_hop(hop) else { return client };
            client = address;
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// One entry of `X-Forwarded-For`: an address, perhaps with a port (`192.0.2.1:5123`,
/// `[2001:db8::1]:5123`) as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    IpAddr::from_str(hop)
        .ok()
        .or_else(|| std::net::SocketAddr::from_str(hop).ok().map(|socket| socket.ip()))
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn trusted(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(networks.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn networks_are_read_and_matched_by_prefix() {
        let network: ProxyNetwork = "10.1.0.0/16".parse().unwrap();
        assert!(network.contains(ip("10.1.200.3")));
        assert!(network.contains(ip("::ffff:10.1.0.9")), "an IPv4-mapped address is its IPv4 address");
        assert!(!network.contains(ip("10.2.0.1")));
        assert!(!network.contains(ip("::1")));
        let lone: ProxyNetwork = "192.0.2.7".parse().unwrap();
        assert!(lone.contains(ip("192.0.2.7")) && !lone.contains(ip("192.0.2.8")));
        let v6: ProxyNetwork = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        let everything: ProxyNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("203.0.113.1")));
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "proxy.example.com", "10.0.0.0/-1"] {
            assert_eq!(bad.parse::<ProxyNetwork>(), Err(BadNetwork(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_judged_by_its_own_address_whatever_it_forwards() {
        assert_eq!(trusted(&[]).client_address(ip("203.0.113.9"), ["198.51.100.1"]), ip("203.0.113.9"));
        let proxies = trusted(&["10.0.0.0/8"]);
        assert_eq!(proxies.client_address(ip("203.0.113.9"), ["198.51.100.1"]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "192.0.2.1"]);
        let peer = ip("10.0.0.1");
        // One proxy: the address it saw.
        assert_eq!(proxies.client_address(peer, ["198.51.100.7"]), ip("198.51.100.7"));
        // A client that writes its own header cannot choose: the proxy appended the truth.
        assert_eq!(proxies.client_address(peer, ["1.2.3.4, 198.51.100.7"]), ip("198.51.100.7"));
        // Two proxies, over one or two header lines, with ports.
        assert_eq!(proxies.client_address(peer, ["1.2.3.4, 198.51.100.7, 192.0.2.1"]), ip("198.51.100.7"));
        assert_eq!(proxies.client_address(peer, ["1.2.3.4", "198.51.100.7:4711", "192.0.2.1"]), ip("198.51.100.7"));
        assert_eq!(proxies.client_address(peer, ["[2001:db8::5]:443"]), ip("2001:db8::5"));
        // Nothing forwarded, or only proxies: the left-most proxy.
        assert_eq!(proxies.client_address(peer, []), peer);
        assert_eq!(proxies.client_address(peer, ["10.9.9.9, 192.0.2.1"]), ip("10.9.9.9"));
        // Garbage stops the walk at the last trusted hop: never an address the client chose.
        assert_eq!(proxies.client_address(peer, ["198.51.100.7, unknown"]), peer);
        assert_eq!(proxies.client_address(peer, ["198.51.100.7, nonsense, 192.0.2.1"]), ip("192.0.2.1"));
    }

    proptest! {
        /// Whatever a client puts in the header, and whatever addresses it comes from,
        /// the address chosen is the peer's or one a trusted proxy wrote, never one of
        /// the client's own entries (the prefix before the proxies' part).
        #[test]
        fn a_client_never_chooses_its_address(
            client_entries in prop::collection::vec(any::<u32>(), 0..5),
            proxy_hops in prop::collection::vec(0..=255_u8, 0..4),
            client in any::<u32>(),
            peer_trusted in any::<bool>(),
        ) {
            let proxies = trusted(&["10.0.0.0/8"]);
            let client = std::net::Ipv4Addr::from(client);
            prop_assume!(!proxies.trusts(client.into()));
            let peer: IpAddr = if peer_trusted { ip("10.0.0.1") } else { client.into() };
            // What the client wrote, what the first proxy saw (the client), then the proxies.
            let mut header: Vec<String> =
                client_entries.iter().map(|entry| std::net::Ipv4Addr::from(*entry).to_string()).collect();
            header.push(client.to_string());
            header.extend(proxy_hops.iter().map(|hop| format!("10.0.0.{hop}")));
            let header = header.join(", ");
            let chosen = proxies.client_address(peer, [header.as_str()]);
            prop_assert_eq!(chosen, IpAddr::from(client));
        }
    }
}
