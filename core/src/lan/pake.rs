//! Pairing by typed code: a SPAKE2 key exchange (Ed25519 group) whose password is the
//! code, bound to the certificate the device saw.
//!
//! A device that types a code does not know the host's fingerprint yet. It connects
//! accepting any certificate and recording the one it sees
//! ([`super::pin::first_contact_config`]), then:
//!
//! 1. the device sends its SPAKE2 message ([`DeviceExchange::start`]) and the code's
//!    handle, nothing else;
//! 2. the host answers its own message and a confirmation: an HMAC, under the key both
//!    derived, of **the fingerprint of its own certificate** ([`HostExchange::respond`]);
//! 3. the device checks that confirmation against the fingerprint **it saw**
//!    ([`DeviceExchange::finish`]). Someone in the middle presents another certificate,
//!    and cannot make the HMAC of its fingerprint without the key — without the code. A
//!    wrong code gives a different key: refused the same way. Only then the device
//!    sends its own confirmation, and gets its session;
//! 4. the host checks the device's confirmation ([`HostExchange::check`]) before it
//!    gives the session: a device that typed a wrong code gets nothing.
//!
//! A listener on the network sees two SPAKE2 messages, which say nothing of the code;
//! someone answering in the host's place gets one guess, and the host spends the
//! invitation at its first exchange.

use aws_lc_rs::hmac;
use spake2::{Ed25519Group, Identity, Password, Spake2};

use super::{Fingerprint, PairingCode};

const DEVICE: &[u8] = b"comptoir pairing device";
const HOST: &[u8] = b"comptoir pairing host";

/// Why an exchange failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PakeError {
    /// The other side's message is not a SPAKE2 message of this group.
    #[error("the pairing message does not read")]
    BadMessage,
    /// The confirmation does not hold: a wrong code, or someone in the middle.
    #[error("the code is wrong, or another computer answered in the host's place")]
    NotConfirmed,
}

/// The device's side, between its message and the host's answer.
pub struct DeviceExchange {
    spake: Spake2<Ed25519Group>,
}

impl std::fmt::Debug for DeviceExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceExchange(…)")
    }
}

impl DeviceExchange {
    /// Starts an exchange with `code`: the state kept, and the message to send.
    pub fn start(code: &PairingCode) -> (Self, Vec<u8>) {
        let (spake, message) = Spake2::<Ed25519Group>::start_a(
            &Password::new(code.password().as_bytes()),
            &Identity::new(DEVICE),
            &Identity::new(HOST),
        );
        (Self { spake }, message)
    }

    /// Ends the exchange with the host's `message` and `confirmation`, checked against
    /// the fingerprint of the certificate the device `saw`: the device's confirmation
    /// to send, once the host proved it knows the code and holds that certificate.
    pub fn finish(self, message: &[u8], confirmation: &[u8], saw: &Fingerprint) -> Result<Vec<u8>, PakeError> {
        let key = self.spake.finish(message).map_err(|_| PakeError::BadMessage)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
        hmac::verify(&key, &bound(HOST, saw), confirmation).map_err(|_| PakeError::NotConfirmed)?;
        Ok(hmac::sign(&key, &bound(DEVICE, saw)).as_ref().to_vec())
    }
}

/// The host's side, once it answered: kept until the device confirms.
pub struct HostExchange {
    key: hmac::Key,
    fingerprint: Fingerprint,
}

impl std::fmt::Debug for HostExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostExchange(…)")
    }
}

/// What the host answers a device's message.
#[derive(Debug)]
pub struct HostAnswer {
    pub exchange: HostExchange,
    pub message: Vec<u8>,
    pub confirmation: Vec<u8>,
}

impl HostExchange {
    /// Answers the device's `message` for `code`, the host's certificate being of
    /// fingerprint `own`.
    pub fn respond(code: &PairingCode, message: &[u8], own: Fingerprint) -> Result<HostAnswer, PakeError> {
        let (spake, answer) = Spake2::<Ed25519Group>::start_b(
            &Password::new(code.password().as_bytes()),
            &Identity::new(DEVICE),
            &Identity::new(HOST),
        );
        let key = spake.finish(message).map_err(|_| PakeError::BadMessage)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
        let confirmation = hmac::sign(&key, &bound(HOST, &own)).as_ref().to_vec();
        Ok(HostAnswer { exchange: Self { key, fingerprint: own }, message: answer, confirmation })
    }

    /// Checks the device's confirmation: it derived the same key (it typed the code)
    /// and saw this host's certificate.
    pub fn check(&self, confirmation: &[u8]) -> Result<(), PakeError> {
        hmac::verify(&self.key, &bound(DEVICE, &self.fingerprint), confirmation).map_err(|_| PakeError::NotConfirmed)
    }
}

/// A label and a fingerprint, as one message to authenticate.
fn bound(label: &[u8], fingerprint: &Fingerprint) -> Vec<u8> {
    let mut message = Vec::with_capacity(label.len() + 1 + 32);
    message.extend_from_slice(label);
    message.push(0);
    message.extend_from_slice(&fingerprint.0);
    message
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn code(handle: u16) -> PairingCode {
        PairingCode::generate(handle).unwrap()
    }

    #[test]
    fn the_same_code_and_certificate_confirm_both_ways() {
        let (code, host) = (code(7), Fingerprint::of(b"host certificate"));
        let (device, message) = DeviceExchange::start(&code);
        let answer = HostExchange::respond(&code, &message, host).unwrap();
        let confirmation = device.finish(&answer.message, &answer.confirmation, &host).unwrap();
        answer.exchange.check(&confirmation).unwrap();
    }

    #[test]
    fn a_wrong_code_is_refused_on_both_sides() {
        let host = Fingerprint::of(b"host certificate");
        let (typed, right) = (code(7), code(7));
        assert_ne!(typed.password(), right.password());
        let (device, message) = DeviceExchange::start(&typed);
        let answer = HostExchange::respond(&right, &message, host).unwrap();
        assert_eq!(device.finish(&answer.message, &answer.confirmation, &host), Err(PakeError::NotConfirmed));
        // A device that ignored the refusal and confirmed with its own key gets nothing.
        let (device, message) = DeviceExchange::start(&typed);
        let answer = HostExchange::respond(&right, &message, host).unwrap();
        let forged = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"guess"), &bound(DEVICE, &host));
        assert_eq!(answer.exchange.check(forged.as_ref()), Err(PakeError::NotConfirmed));
        drop(device);
    }

    /// Someone in the middle who relays the exchange unchanged, with a certificate of
    /// its own: the device sees the other fingerprint and refuses.
    #[test]
    fn a_relay_with_another_certificate_is_refused() {
        let (code, host, relay) = (code(7), Fingerprint::of(b"host"), Fingerprint::of(b"relay"));
        let (device, message) = DeviceExchange::start(&code);
        let answer = HostExchange::respond(&code, &message, host).unwrap();
        assert_eq!(device.finish(&answer.message, &answer.confirmation, &relay), Err(PakeError::NotConfirmed));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn hostile_messages_are_refused_without_panic(message in proptest::collection::vec(any::<u8>(), 0..80),
                                                      confirmation in proptest::collection::vec(any::<u8>(), 0..40)) {
            let host = Fingerprint::of(b"host");
            let code = code(1);
            if let Ok(answer) = HostExchange::respond(&code, &message, host) {
                prop_assert!(answer.exchange.check(&confirmation).is_err());
            }
            let (device, _) = DeviceExchange::start(&code);
            prop_assert!(device.finish(&message, &confirmation, &host).is_err());
        }
    }
}
