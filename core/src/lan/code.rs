//! The short code a device without a camera types instead of scanning the QR code:
//! `4821-0937-5562`, twelve digits.
//!
//! - the first four are the invitation's **handle**: public, they tell the host which of
//!   its open invitations is meant;
//! - the last eight are the **password** of the key exchange ([`super::pake`]), never
//!   sent: a listener on the network learns nothing from the exchange, and someone who
//!   answers in the host's place gets one guess (one in 10⁸) before the invitation is
//!   spent.
//!
//! Digits only, so any keyboard types them; spaces and dashes are ignored on reading.
//! The code does not say where the host is: the device is given its address beside it
//! ([`TypedInvitation`]: `4821-0937-5562@192.168.1.20:7443`), which the host's window
//! shows too.

use std::net::SocketAddr;

use super::LanError;

/// The most handles (0000–9999).
pub const HANDLES: u16 = 10_000;
/// The most passwords (eight digits).
const PASSWORDS: u32 = 100_000_000;

/// A typed pairing code.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode {
    handle: u16,
    password: u32,
}

impl PairingCode {
    /// A new code of handle `handle` (below [`HANDLES`]) and a random password.
    pub fn generate(handle: u16) -> Result<Self, LanError> {
        if handle >= HANDLES {
            return Err(LanError::BadCode("the handle has four digits"));
        }
        Ok(Self { handle, password: random_below(PASSWORDS)? })
    }

    /// A random handle (the host draws again when it is in use).
    pub fn random_handle() -> Result<u16, LanError> {
        u16::try_from(random_below(u32::from(HANDLES))?).map_err(|_| LanError::BadCode("the handle has four digits"))
    }

    /// The handle, as four digits: what the device sends to name the invitation.
    pub fn handle(&self) -> String {
        format!("{:04}", self.handle)
    }

    /// The password of the key exchange: the whole code, so that it binds the handle
    /// too.
    pub fn password(&self) -> String {
        format!("{:04}{:08}", self.handle, self.password)
    }

    /// Reads a code typed by hand: twelve digits, spaces and dashes anywhere.
    pub fn parse(text: &str) -> Result<Self, LanError> {
        let mut digits = String::with_capacity(12);
        for character in text.trim().chars() {
            match character {
                '0'..='9' if digits.len() < 12 => digits.push(character),
                '0'..='9' => return Err(LanError::BadCode("the code has twelve digits")),
                ' ' | '-' | '\u{a0}' => {}
                _ => return Err(LanError::BadCode("the code has digits only")),
            }
        }
        if digits.len() != 12 {
            return Err(LanError::BadCode("the code has twelve digits"));
        }
        let (handle, password) = digits.split_at(4);
        Ok(Self {
            handle: handle.parse().map_err(|_| LanError::BadCode("the code has digits only"))?,
            password: password.parse().map_err(|_| LanError::BadCode("the code has digits only"))?,
        })
    }
}

/// `4821-0937-5562`.
impl std::fmt::Display for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:04}-{:04}", self.handle, self.password / 10_000, self.password % 10_000)
    }
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is never printed.
        write!(f, "PairingCode({:04}-…)", self.handle)
    }
}

/// A code and the host's address, as typed on a device: `CODE@IP:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedInvitation {
    pub code: PairingCode,
    pub address: SocketAddr,
}

impl TypedInvitation {
    pub fn parse(text: &str) -> Result<Self, LanError> {
        let (code, address) = text
            .trim()
            .split_once('@')
            .ok_or(LanError::BadCode("give the code and the host's address: CODE@IP:PORT"))?;
        let address: SocketAddr =
            address.trim().parse().map_err(|_| LanError::BadCode("the host's address is not IP:port"))?;
        if address.port() == 0 || address.ip().is_unspecified() {
            return Err(LanError::BadCode("the host's address cannot be reached"));
        }
        Ok(Self { code: PairingCode::parse(code)?, address })
    }
}

impl std::fmt::Display for TypedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.code, self.address)
    }
}

/// A uniform random number below `bound`, by rejection (no modulo bias).
fn random_below(bound: u32) -> Result<u32, LanError> {
    let zone = u32::MAX - u32::MAX % bound;
    loop {
        let mut bytes = [0_u8; 4];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| LanError::Tls("no random numbers".to_owned()))?;
        let value = u32::from_le_bytes(bytes);
        if value < zone {
            return Ok(value % bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_code_shows_as_three_groups_and_reads_back_however_typed() {
        let code = PairingCode { handle: 42, password: 937_556 };
        assert_eq!(code.to_string(), "0042-0093-7556");
        assert_eq!(code.handle(), "0042");
        assert_eq!(code.password(), "004200937556");
        for typed in ["0042-0093-7556", " 0042 0093 7556 ", "004200937556", "00-42-00-93-75-56"] {
            assert_eq!(PairingCode::parse(typed).unwrap(), code, "{typed}");
        }
        for bad in ["0042-0093-755", "0042-0093-75566", "0042-0093-755a", "", "٠٠٤٢٠٠٩٣٧٥٥٦"] {
            assert!(PairingCode::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{code:?}").contains("0093"), "the password is never printed");
        let typed = TypedInvitation::parse("0042-0093-7556@192.168.1.20:7443").unwrap();
        assert_eq!(typed.code, code);
        assert_eq!(TypedInvitation::parse(&typed.to_string()).unwrap(), typed);
        assert!(TypedInvitation::parse("0042-0093-7556").is_err());
        assert!(TypedInvitation::parse("0042-0093-7556@0.0.0.0:7443").is_err());
        assert!(PairingCode::generate(HANDLES).is_err());
    }

    proptest! {
        #[test]
        fn every_code_reads_back(handle in 0..HANDLES) {
            let code = PairingCode::generate(handle).unwrap();
            prop_assert!(code.password < PASSWORDS);
            prop_assert_eq!(PairingCode::parse(&code.to_string()).unwrap(), code);
        }

        #[test]
        fn hostile_text_is_refused_without_panic(text in "\\PC{0,60}") {
            if let Ok(code) = PairingCode::parse(&text) {
                prop_assert_eq!(code.password().len(), 12);
            }
            let _ = TypedInvitation::parse(&text);
        }
    }
}
