//! Pairing a device with a company hosted on one computer (issue 15), through the API:
//! by link and by typed code, once per invitation, within 10 minutes of the host's
//! clock; a wrong pin, an expired or used invitation, a wrong code get nothing; a
//! revoked device is refused. The host serves over TLS on 127.0.0.2; the devices are
//! the app's own client ([`SyncClient`]).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use chrono::{Duration, Utc};
use comptoir_core::lan::{Fingerprint, PairingCode, PairingLink, TypedInvitation};
use comptoir_core::model::Role;
use comptoir_core::sync::{ClientError, SyncClient};
use comptoir_server::auth::ManualClock;
use comptoir_tests::TestServer;
use comptoir_tests::api::code;
use serde_json::json;

const HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A host of the demo's companies on a clock of its own (starting now), which the test
/// moves.
fn host() -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let server = crate::builder().lan_host(HOST).clock(clock.clone()).demo(40).start().unwrap();
    (server, clock)
}

fn refused(error: &ClientError) -> (u16, &str) {
    match error {
        ClientError::Refused { status, code, .. } => (*status, code.as_str()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_device_pairs_by_link_once_and_works_as_the_member_invited() {
    let (host, _clock) = host();
    let (company, name, _) = host.accounts.companies[0].clone();
    let (invitation, link) = host.invite(company, &host.accounts.email).unwrap();
    assert_eq!(invitation.role, Role::Owner);
    // The link as the QR code carries it, read back.
    let link = PairingLink::parse(&link.to_string()).unwrap();
    let rt = runtime();

    let (device, paired) = rt.block_on(SyncClient::pair_by_link(&link, "Portable de la boutique")).unwrap();
    assert_eq!((paired.company_id, paired.company_name.as_str()), (company.0, name.as_str()));
    assert_eq!((paired.email.as_str(), paired.role), (host.accounts.email.as_str(), Role::Owner));
    let status = rt.block_on(device.status(company)).unwrap();
    assert!(status.seq > 0, "the device reads the company: {status:?}");

    // The host lists it, and its audit trail says so.
    let devices = comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!((devices[0].id, devices[0].name.as_str()), (paired.device_id, "Portable de la boutique"));
    assert!(devices[0].revoked_at.is_none());
    assert!(devices[0].last_seen_at.is_some(), "its sync is written down as its last");

    // A secret serves once: a second device with the same link gets nothing.
    let again = rt.block_on(SyncClient::pair_by_link(&link, "Autre")).unwrap_err();
    assert_eq!(refused(&again), (410, "invitation_used"));
    assert_eq!(comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap().len(), 1);
}

#[test]
fn an_invitation_expires_after_ten_minutes_of_the_hosts_clock() {
    let (host, clock) = host();
    let company = host.company();
    let rt = runtime();
    // Nine minutes on: still good.
    let (_, link) = host.invite(company, &host.accounts.email).unwrap();
    clock.advance(Duration::minutes(9));
    rt.block_on(SyncClient::pair_by_link(&link, "A")).unwrap();
    // Ten minutes and a second: expired, by the host's clock (the device has none here).
    let (invitation, link) = host.invite(company, &host.accounts.email).unwrap();
    clock.advance(Duration::minutes(10) + Duration::seconds(1));
    let late = rt.block_on(SyncClient::pair_by_link(&link, "B")).unwrap_err();
    assert_eq!(refused(&late), (410, "invitation_expired"));
    let typed = TypedInvitation { code: invitation.code, address: host.address() };
    let late = rt.block_on(SyncClient::pair_by_code(&typed, "B")).unwrap_err();
    assert_eq!(refused(&late), (404, "invitation_unknown"), "an expired code names no invitation");
}

#[test]
fn a_device_with_a_wrong_pin_sends_nothing_and_the_invitation_stays() {
    let (host, _clock) = host();
    let (_, link) = host.invite(host.company(), &host.accounts.email).unwrap();
    let rt = runtime();
    let impostor = PairingLink { fingerprint: Fingerprint::of(b"another certificate"), ..link.clone() };
    let error = rt.block_on(SyncClient::pair_by_link(&impostor, "A")).unwrap_err();
    assert!(matches!(error, ClientError::Unreachable(_)), "{error:?}");
    // The secret never reached the host: it still pairs.
    rt.block_on(SyncClient::pair_by_link(&link, "A")).unwrap();
}

#[test]
fn a_device_pairs_by_typed_code_and_pins_the_certificate_it_proved() {
    let (host, _clock) = host();
    let company = host.company();
    let rt = runtime();
    let (invitation, _) = host.invite(company, &host.accounts.email).unwrap();
    // Typed by hand, with the spaces a person puts in.
    let typed =
        TypedInvitation::parse(&format!("{} @ {}", invitation.code.to_string().replace('-', " "), host.address()))
            .unwrap();
    let (device, paired, address) = rt.block_on(SyncClient::pair_by_code(&typed, "Caisse")).unwrap();
    assert_eq!(Some(address.fingerprint), host.fingerprint(), "the device pins the host's certificate");
    assert_eq!(paired.company_id, company.0);
    rt.block_on(device.status(company)).unwrap();
    // Kept as the account's server address, it connects again.
    let mut again = SyncClient::new(&address.to_string()).unwrap();
    again.set_access_token(Some(paired.tokens.access_token.clone()));
    rt.block_on(again.status(company)).unwrap();
    // Once only.
    let used = rt.block_on(SyncClient::pair_by_code(&typed, "Caisse")).unwrap_err();
    assert_eq!(refused(&used), (404, "invitation_unknown"));
}

#[test]
fn a_wrong_code_gets_nothing_and_spends_the_invitation() {
    let (host, _clock) = host();
    let company = host.company();
    let rt = runtime();
    let (invitation, _) = host.invite(company, &host.accounts.email).unwrap();
    // The right handle, a wrong password: the host's confirmation does not hold, and the
    // device stops there.
    let mut wrong = PairingCode::generate(invitation.code.handle().parse().unwrap()).unwrap();
    while wrong == invitation.code {
        wrong = PairingCode::generate(invitation.code.handle().parse().unwrap()).unwrap();
    }
    let typed = TypedInvitation { code: wrong, address: host.address() };
    let error = rt.block_on(SyncClient::pair_by_code(&typed, "Caisse")).unwrap_err();
    assert!(matches!(error, ClientError::PairingNotConfirmed), "{error:?}");
    // One try per code: the right one is now refused too.
    let typed = TypedInvitation { code: invitation.code, address: host.address() };
    let error = rt.block_on(SyncClient::pair_by_code(&typed, "Caisse")).unwrap_err();
    assert_eq!(refused(&error), (404, "invitation_unknown"));
    assert!(comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap().is_empty());
}

/// A host restored from a backup knows none of the refresh tokens its devices turned
/// since: a paired device signs in again with the secret it was given at pairing. Only
/// its hash is kept; a wrong secret, another id, a revoked device get nothing.
#[test]
fn a_paired_device_signs_in_again_with_its_own_secret_and_a_revoked_one_cannot() {
    let (host, _clock) = host();
    let company = host.company();
    let rt = runtime();
    let (_, link) = host.invite(company, &host.accounts.email).unwrap();
    let (mut device, paired) = rt.block_on(SyncClient::pair_by_link(&link, "Portable")).unwrap();
    let secret = paired.device_secret.clone().unwrap();
    let kept = comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap();
    assert_eq!(kept[0].secret_hash.as_deref(), Some(comptoir_server::auth::token_hash(&secret).as_str()));

    for (id, tried) in [(paired.device_id, "pas le bon secret"), (uuid::Uuid::now_v7(), secret.as_str())] {
        let error = rt.block_on(device.resume_device(id, tried)).unwrap_err();
        assert!(matches!(error, ClientError::SignedOut), "{error:?}");
    }
    let tokens = rt.block_on(device.resume_device(paired.device_id, &secret)).unwrap();
    assert_eq!(tokens.user_id, paired.tokens.user_id, "the member the invitation named");
    rt.block_on(device.status(company)).unwrap();
    // The session before is over.
    let error = rt.block_on(device.refresh(&paired.tokens.refresh_token)).unwrap_err();
    assert!(matches!(error, ClientError::SignedOut), "{error:?}");
    rt.block_on(device.refresh(&tokens.refresh_token)).unwrap();

    comptoir_server::pairing::revoke(host.storage().as_ref(), company, paired.device_id, Utc::now()).unwrap();
    let error = rt.block_on(device.resume_device(paired.device_id, &secret)).unwrap_err();
    assert!(matches!(error, ClientError::SignedOut), "a revoked device: {error:?}");
}

#[test]
fn a_revoked_device_is_refused_at_once() {
    let (host, _clock) = host();
    let company = host.company();
    let rt = runtime();
    let (_, link) = host.invite(company, &host.accounts.email).unwrap();
    let (mut device, paired) = rt.block_on(SyncClient::pair_by_link(&link, "Portable")).unwrap();
    rt.block_on(device.status(company)).unwrap();

    comptoir_server::pairing::revoke(host.storage().as_ref(), company, paired.device_id, Utc::now()).unwrap();
    let error = rt.block_on(device.status(company)).unwrap_err();
    assert!(matches!(error, ClientError::SignedOut), "{error:?}");
    let error = rt.block_on(device.refresh(&paired.tokens.refresh_token)).unwrap_err();
    assert!(matches!(error, ClientError::SignedOut), "{error:?}");
    let devices = comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap();
    assert!(devices[0].revoked_at.is_some());
    // Revoked once.
    assert!(comptoir_server::pairing::revoke(host.storage().as_ref(), company, paired.device_id, Utc::now()).is_err());
}

#[test]
fn hostile_pairing_requests_get_a_clear_error_and_change_nothing() {
    let rt = runtime();
    let (host, _clock) = host();
    let company = host.company();
    let (invitation, link) = host.invite(company, &host.accounts.email).unwrap();
    let secret = link.secret.to_base64url();
    for (path, body, status, expected) in [
        ("/v1/pair/claim", json!({"secret": secret, "device_name": " \u{7} "}), 400, "invalid_device_name"),
        ("/v1/pair/claim", json!({"secret": "not a secret", "device_name": "A"}), 404, "invitation_unknown"),
        ("/v1/pair/claim", json!({"secret": "A".repeat(22), "device_name": "A"}), 404, "invitation_unknown"),
        ("/v1/pair/code", json!({"handle": "12a4", "message": "AAAA"}), 400, "invalid_pairing_message"),
        ("/v1/pair/code", json!({"handle": "1234", "message": "%%%"}), 400, "invalid_pairing_message"),
        ("/v1/pair/code", json!({"handle": "1234", "message": "A".repeat(200)}), 400, "invalid_pairing_message"),
        (
            "/v1/pair/code/confirm",
            json!({"exchange": uuid::Uuid::nil(), "confirmation": "AAAA", "device_name": "A"}),
            410,
            "invitation_expired",
        ),
    ] {
        let (got, answer) = rt.block_on(host.post(path, body.clone(), None));
        assert_eq!((got.as_u16(), code(&answer)), (status, expected), "{path} {body}");
    }
    // The invitation's code: a message of the right handle that is not a SPAKE2 point
    // spends it (one try), and is refused.
    let handle = invitation.code.handle();
    let (got, answer) = rt.block_on(host.post("/v1/pair/code", json!({"handle": handle, "message": "AAAA"}), None));
    assert_eq!((got.as_u16(), code(&answer)), (400, "invalid_pairing_message"));
    // Its link still pairs: the two are one invitation, though — spent by the code's try.
    let error = rt.block_on(SyncClient::pair_by_link(&link, "A")).unwrap_err();
    assert_eq!(refused(&error), (410, "invitation_used"));
    assert!(comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap().is_empty());

    // A server that hosts nothing does not pair.
    let cloud = crate::builder().start().unwrap();
    let (got, answer) = rt.block_on(cloud.post("/v1/pair/claim", json!({"secret": secret, "device_name": "A"}), None));
    assert_eq!((got.as_u16(), code(&answer)), (404, "not_a_host"));
}

/// Devices whose clocks are two days ahead and two days behind the host's pair, send
/// an issued invoice each and pull: neither the pin (certificate dates are not read)
/// nor the invitation (by the host's clock only) nor the sync depend on a device's time.
#[test]
fn devices_whose_clocks_are_two_days_off_pair_and_sync() {
    let (host, _clock) = host();
    let company = host.company();
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for (name, offset) in [("ahead", Duration::days(2)), ("behind", -Duration::days(2))] {
        let (_, link) = host.invite(company, &host.accounts.email).unwrap();
        let (client, _) = rt.block_on(SyncClient::pair_by_link(&link, name)).unwrap();
        let now = move || Utc::now() + offset;
        let path = dir.path().join(format!("{name}.comptoir"));
        let (mut link, _) = rt.block_on(comptoir_core::engine::Link::create(client, company, &path, now())).unwrap();
        let customer = comptoir_tests::fixtures::new_contact(&format!("Client {name}"));
        let invoice = comptoir_tests::fixtures::draft_invoice(&customer, 90);
        link.store.submit(&comptoir_core::sync::Intent::CreateContact { contact: customer }).unwrap();
        link.store.submit(&comptoir_core::sync::Intent::SaveDraft { document: invoice.clone() }).unwrap();
        link.store.submit(&comptoir_core::sync::Intent::IssueDocument { id: invoice.id }).unwrap();
        let report = rt.block_on(link.sync(now, &mut |_| {})).unwrap();
        assert!(report.rejected.is_empty(), "{name}: {:?}", report.rejected);
        assert!(link.store.document(invoice.id).unwrap().number.is_some(), "{name}: numbered by the host");
        copies.push((link, offset));
    }
    for (link, offset) in &mut copies {
        let offset = *offset;
        rt.block_on(link.sync(move || Utc::now() + offset, &mut |_| {})).unwrap();
        assert_eq!(link.store.replica_stats().unwrap(), host.stats(company).unwrap());
    }
}

/// Whatever a client sends to the pairing endpoints of a host — any handle, message,
/// confirmation, secret, device name, exchange id — the answer is a clear refusal (a
/// 4xx with a code), never a 500, and no device is ever paired.
#[test]
fn hostile_pairing_requests_of_any_shape_never_pair_nor_fail_the_host() {
    use proptest::prelude::*;
    // Sign-in limits wide enough that the requests reach the pairing code (the limits
    // themselves are tested apart).
    let host = crate::builder().lan_host(HOST).limits(comptoir_tests::generous_limits()).demo(40).start().unwrap();
    let company = host.company();
    // Live invitations whose handles the generated requests may hit.
    let handles: Vec<String> =
        (0..3).map(|_| host.invite(company, &host.accounts.email).unwrap().0.code.handle()).collect();
    let rt = runtime();
    let text = || proptest::string::string_regex("\\PC{0,90}").unwrap();
    let request = (0..3_usize, text(), text(), text(), prop_oneof![Just(None), (0..3_usize).prop_map(Some)]);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(96));
    runner
        .run(&request, |(endpoint, a, b, name, live)| {
            let handle = live.map_or_else(|| a.chars().take(4).collect(), |i| handles[i].clone());
            let (path, body) = match endpoint {
                0 => ("/v1/pair/claim", json!({"secret": a, "device_name": name})),
                1 => ("/v1/pair/code", json!({"handle": handle, "message": b})),
                _ => (
                    "/v1/pair/code/confirm",
                    json!({"exchange": uuid::Uuid::now_v7(), "confirmation": b, "device_name": name}),
                ),
            };
            let (status, answer) = rt.block_on(host.post(path, body, None));
            prop_assert!(status.is_client_error(), "{path}: {status} {answer}");
            prop_assert_ne!(code(&answer), "rate_limited");
            Ok(())
        })
        .unwrap();
    assert!(comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap().is_empty());
}

/// The same link claimed by eight devices at once: one pairs, the others are told it
/// was used. A device is revoked through its own company only.
#[test]
fn racing_claims_pair_one_device_and_another_companys_id_revokes_nothing() {
    let (host, _clock) = host();
    let company = host.company();
    let (_, link) = host.invite(company, &host.accounts.email).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let link = link.clone();
            rt.spawn(async move { SyncClient::pair_by_link(&link, &format!("Appareil {i}")).await.map(|(_, p)| p) })
        })
        .collect();
    let outcomes: Vec<_> = claims.into_iter().map(|claim| rt.block_on(claim).unwrap()).collect();
    let paired: Vec<_> = outcomes.iter().filter_map(|outcome| outcome.as_ref().ok()).collect();
    assert_eq!(paired.len(), 1, "one claim wins");
    for error in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
        assert_eq!(refused(error), (410, "invitation_used"));
    }
    let devices = comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap();
    assert_eq!(devices.len(), 1);

    // The other demo company's id with this device's: nothing is revoked.
    let other = host.accounts.companies.iter().map(|c| c.0).find(|c| *c != company).unwrap();
    let wrong = comptoir_server::pairing::revoke(host.storage().as_ref(), other, paired[0].device_id, Utc::now());
    assert_eq!(wrong.unwrap_err().code(), "no_such_device");
    let devices = comptoir_server::pairing::devices(host.storage().as_ref(), company).unwrap();
    assert!(devices[0].revoked_at.is_none(), "the device is still paired");
}
