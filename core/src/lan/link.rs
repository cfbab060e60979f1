//! The pairing link: `comptoir://pair?v=1&h=192.168.1.20:7443,[fe80::1]:7443&fp=…&s=…`,
//! what the host's QR code carries and what a device is given by hand.
//!
//! - `h`: the host's addresses (IP and port; 1 to [`MAX_ADDRESSES`]), tried in order;
//! - `fp`: the SHA-256 fingerprint of the host's certificate, base64url ([`Fingerprint`]);
//! - `s`: the single-use secret of this invitation (16 random bytes, base64url), which
//!   the host alone knows the role and expiry of.
//!
//! Reading is strict (known keys once each, bounded lengths): a link is typed or scanned
//! from anywhere, and a bad one is refused with the reason, never half-read.

use std::net::SocketAddr;

use base64::Engine as _;

use super::{Fingerprint, LanError};

/// The scheme and path of a pairing link.
pub const PREFIX: &str = "comptoir://pair?";
/// The most addresses a link carries (a host with several interfaces).
pub const MAX_ADDRESSES: usize = 8;
/// The longest link read.
pub const MAX_LENGTH: usize = 1024;
/// The version of the link's format.
const VERSION: &str = "1";

/// An invitation's single-use secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PairingSecret([u8; 16]);

impl PairingSecret {
    /// A new random secret.
    pub fn generate() -> Result<Self, LanError> {
        let mut bytes = [0_u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| LanError::Tls("no random numbers".to_owned()))?;
        Ok(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Unpadded base64url (22 characters).
    pub fn to_base64url(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }

    pub fn from_base64url(text: &str) -> Result<Self, LanError> {
        if text.len() != 22 {
            return Err(LanError::BadLink("the secret is not 22 characters"));
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| LanError::BadLink("the secret is not base64url"))?;
        Ok(Self(bytes.try_into().map_err(|_| LanError::BadLink("the secret is not 16 bytes"))?))
    }
}

impl std::fmt::Debug for PairingSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A secret is never printed.
        f.write_str("PairingSecret(…)")
    }
}

/// What a pairing link says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingLink {
    pub addresses: Vec<SocketAddr>,
    pub fingerprint: Fingerprint,
    pub secret: PairingSecret,
}

impl PairingLink {
    /// Reads a link, refusing anything but exactly what [`Self::to_string`] writes (in
    /// any order of its parameters), surrounding white space aside.
    pub fn parse(text: &str) -> Result<Self, LanError> {
        let text = text.trim();
        if text.len() > MAX_LENGTH {
            return Err(LanError::BadLink("the link is too long"));
        }
        let query = text.strip_prefix(PREFIX).ok_or(LanError::BadLink("it does not begin with comptoir://pair?"))?;
        let (mut version, mut hosts, mut fingerprint, mut secret) = (None, None, None, None);
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').ok_or(LanError::BadLink("a parameter without a value"))?;
            let slot = match key {
                "v" => &mut version,
                "h" => &mut hosts,
                "fp" => &mut fingerprint,
                "s" => &mut secret,
                _ => return Err(LanError::BadLink("an unknown parameter")),
            };
            if slot.replace(value).is_some() {
                return Err(LanError::BadLink("a parameter given twice"));
            }
        }
        if version != Some(VERSION) {
            return Err(LanError::BadLink("an unknown version (a newer Comptoir made it?)"));
        }
        let hosts = hosts.ok_or(LanError::BadLink("no host address"))?;
        let addresses = hosts
            .split(',')
            .map(|address| {
                address.parse::<SocketAddr>().map_err(|_| LanError::BadLink("a host address is not IP:port"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if addresses.is_empty() || addresses.len() > MAX_ADDRESSES {
            return Err(LanError::BadLink("too many host addresses"));
        }
        if addresses.iter().any(|address| address.port() == 0 || address.ip().is_unspecified()) {
            return Err(LanError::BadLink("a host address cannot be reached"));
        }
        Ok(Self {
            addresses,
            fingerprint: Fingerprint::from_base64url(fingerprint.ok_or(LanError::BadLink("no fingerprint"))?)?,
            secret: PairingSecret::from_base64url(secret.ok_or(LanError::BadLink("no secret"))?)?,
        })
    }
}

impl std::fmt::Display for PairingLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hosts: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
        write!(
            f,
            "{PREFIX}v={VERSION}&h={}&fp={}&s={}",
            hosts.join(","),
            self.fingerprint.to_base64url(),
            self.secret.to_base64url()
        )
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    use super::*;

    fn link(addresses: Vec<SocketAddr>) -> PairingLink {
        PairingLink { addresses, fingerprint: Fingerprint::of(b"cert"), secret: PairingSecret::generate().unwrap() }
    }

    #[test]
    fn a_link_reads_back_and_bad_ones_say_why() {
        let written = link(vec!["192.168.1.20:7443".parse().unwrap(), "[fe80::1]:7443".parse().unwrap()]);
        let text = written.to_string();
        assert!(text.starts_with("comptoir://pair?v=1&h=192.168.1.20:7443,[fe80::1]:7443&fp="), "{text}");
        assert_eq!(PairingLink::parse(&format!("  {text}\n")).unwrap(), written);
        for (bad, why) in [
            (text.replace("v=1", "v=2"), "version"),
            (text.replace("comptoir://", "https://"), "begin"),
            (format!("{text}&s=AAAAAAAAAAAAAAAAAAAAAA"), "twice"),
            (format!("{text}&x=1"), "unknown parameter"),
            (text.replace("192.168.1.20", "bureau.local"), "IP:port"),
            (text.replace(":7443,", ":0,"), "cannot be reached"),
        ] {
            let error = PairingLink::parse(&bad).unwrap_err().to_string();
            assert!(error.contains(why), "{bad}: {error}");
        }
        assert!(!format!("{written:?}").contains(&written.secret.to_base64url()), "the secret is never printed");
    }

    fn address() -> impl Strategy<Value = SocketAddr> {
        let v4 = any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b)));
        let v6 = any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s)));
        (prop_oneof![v4, v6], 1_u16..)
            .prop_filter("a reachable address", |(ip, _)| !ip.is_unspecified())
            .prop_map(|(ip, port)| SocketAddr::new(ip, port))
    }

    proptest! {
        #[test]
        fn every_link_reads_back(addresses in proptest::collection::vec(address(), 1..=MAX_ADDRESSES)) {
            let written = link(addresses);
            prop_assert_eq!(PairingLink::parse(&written.to_string()).unwrap(), written);
        }

        #[test]
        fn hostile_text_is_refused_without_panic(text in "\\PC{0,200}", tail in "[a-z=&,:.0-9\\[\\]]{0,80}") {
            let _ = PairingLink::parse(&text);
            let _ = PairingLink::parse(&format!("{PREFIX}{tail}"));
        }
    }
}
