//! A company hosted by a computer of the local network (issue 15): the host serves over
//! TLS with its own self-signed certificate, on an address of its own (127.0.0.2; Linux
//! routes all of 127/8 to the loopback), and a device trusts it by the certificate's
//! pinned fingerprint only.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr};

use comptoir_core::lan::Fingerprint;
use comptoir_core::sync::{ClientError, SyncClient};

const HOST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn a_device_pinning_the_hosts_certificate_signs_in_and_pulls_over_tls() {
    let mut host = crate::builder().lan_host(HOST).demo(60).start().unwrap();
    assert!(host.url.starts_with("https://127.0.0.2:"), "{}", host.url);
    let pin = host.fingerprint().unwrap();
    let accounts = host.accounts.clone();
    let (company, _, _) = accounts.companies[0].clone();
    let rt = runtime();

    let mut device = SyncClient::pinned(&host.url, pin).unwrap();
    rt.block_on(device.login(&accounts.email, &accounts.password)).unwrap();
    let status = rt.block_on(device.status(company)).unwrap();
    assert!(status.seq > 0, "the demo company has records: {status:?}");

    // The host restarted keeps its certificate: the pin still holds.
    host.restart().unwrap();
    assert_eq!(host.fingerprint(), Some(pin));
    let mut again = SyncClient::pinned(&host.url, pin).unwrap();
    rt.block_on(again.login(&accounts.email, &accounts.password)).unwrap();

    // A plain http client of the same address is not served: the host speaks TLS only.
    let plain = SyncClient::new(&host.url.replace("https://", "http://")).unwrap();
    assert!(rt.block_on(plain.check()).is_err());
}

#[test]
fn a_device_with_another_pin_sends_nothing_to_the_host() {
    let host = crate::builder().lan_host(HOST).demo(20).start().unwrap();
    let accounts = host.accounts.clone();
    let rt = runtime();
    let wrong = Fingerprint::of(b"another host's certificate");
    // More wrong passwords than the sign-in limit allows a minute: had one reached the
    // server, the right one would then be refused.
    for _ in 0..40 {
        let mut device = SyncClient::pinned(&host.url, wrong).unwrap();
        let refused = rt.block_on(device.login(&accounts.email, "a wrong password")).unwrap_err();
        assert!(matches!(refused, ClientError::Unreachable(_)), "{refused:?}");
    }
    let mut device = SyncClient::pinned(&host.url, host.fingerprint().unwrap()).unwrap();
    rt.block_on(device.login(&accounts.email, &accounts.password)).unwrap();

    // Only an https address can be pinned.
    assert!(SyncClient::pinned(&host.url.replace("https://", "http://"), wrong).is_err());
}

#[test]
fn a_client_that_says_nothing_delays_nobody() {
    let host = crate::builder().lan_host(HOST).demo(20).start().unwrap();
    let address = host.url.trim_start_matches("https://").to_owned();
    // Idle connections, and one that sends plain HTTP: neither holds the others up.
    let idle: Vec<std::net::TcpStream> = (0..20).map(|_| std::net::TcpStream::connect(&address).unwrap()).collect();
    let mut plain = std::net::TcpStream::connect(&address).unwrap();
    plain.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    plain.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "plain HTTP is never answered");

    let rt = runtime();
    let device = SyncClient::pinned(&host.url, host.fingerprint().unwrap()).unwrap();
    rt.block_on(device.check()).unwrap();
    drop(idle);
}
