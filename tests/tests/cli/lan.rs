//! A company hosted on one computer, without any server (issue 15): `comptoir host`
//! creates it and serves it on 127.0.0.2 over TLS; devices pair with `comptoir join`
//! (by link, by typed code) and sync with `comptoir sync` on their joined copy. Every
//! one a real process with real files; the edits are written into the copies' files
//! between runs, as the app would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use comptoir_core::model::{CompanyId, DocumentStatus};
use comptoir_core::store::{AppStore, CompanyStore};
use comptoir_core::sync::Intent;
use comptoir_tests::fixtures::{draft_invoice, new_contact};
use comptoir_tests::process::{self, HostProcess};

use crate::{APP_BIN, stderr, stdout};

const LISTEN: &str = "127.0.0.2:0";
const OWNER: &str = "patronne@atelier-du-port.test";
const PASSWORD: &str = "un mot de passe solide";

/// A host of a company it creates from nothing, in `dir`.
fn start_host(dir: &Path) -> HostProcess {
    let extra = ["--create", "Atelier du Port", "--country", "FR", "--owner", OWNER];
    process::host(APP_BIN, dir, LISTEN, &extra, Some(PASSWORD)).unwrap()
}

fn join(data: &Path, invitation: &str, name: &str) -> Output {
    Command::new(APP_BIN)
        .args(["join", "--json", "--device-name", name, "--data"])
        .arg(data)
        .arg(invitation)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// `comptoir sync` of a copy with the session it keeps.
fn stored_sync(data: &Path) -> Output {
    Command::new(APP_BIN).args(["sync", "--json", "--data"]).arg(data).env("RUST_LOG", "warn").output().unwrap()
}

fn figures(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

/// The company's file in the app folder `data`.
fn copy_of(data: &Path, company: CompanyId) -> PathBuf {
    AppStore::open(&data.join(AppStore::FILE_NAME)).unwrap().company(company).unwrap().file_path
}

/// Offline, in the copy's file: a new customer and an invoice issued to them (its
/// number waits for the host). Returns the invoice's id.
fn issue_offline(data: &Path, company: CompanyId, customer: &str) -> comptoir_core::model::DocumentId {
    let mut store = CompanyStore::open(&copy_of(data, company)).unwrap();
    let customer = new_contact(customer);
    store.submit(&Intent::CreateContact { contact: customer.clone() }).unwrap();
    let invoice = draft_invoice(&customer, 120);
    store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
    store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
    assert_eq!(store.document(invoice.id).unwrap().number, None, "numbered by the host only");
    invoice.id
}

#[test]
fn devices_join_a_company_created_on_a_host_and_converge_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = start_host(&dir.path().join("host"));
    let company = host.company().unwrap();
    let (own, a, b) = (dir.path().join("own"), dir.path().join("a"), dir.path().join("b"));

    // The host's owner works on a copy of their own, signing in with their password.
    let mut command = process::app_sync(APP_BIN, &host.address(), OWNER, &own);
    let output = process::spawn_with_password(command.arg("--json"), PASSWORD).unwrap().wait_with_output().unwrap();
    figures(&output);

    // A pairs by the link of the first invitation (the QR code's), B by a typed code.
    let link = host.first_invitation["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with("comptoir://pair?v=1&h=127.0.0.2:"), "{link}");
    figures(&join(&a, &link, "Portable de l'atelier"));
    let invitation = host.invite(None).unwrap();
    let code = invitation["code"].as_str().unwrap();
    figures(&join(&b, code, "Caisse"));
    // A used invitation serves no third device.
    let refused = join(&dir.path().join("c"), &link, "Intrus");
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("invitation_used"), "{}", stderr(&refused));
    let devices = host.devices().unwrap();
    let names: Vec<&str> = devices.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Portable de l'atelier", "Caisse"]);

    // Everyone edits offline: an invoice each, numbered by nobody yet.
    let invoices: Vec<_> = [(&own, "Chantier naval"), (&a, "Voilerie"), (&b, "Capitainerie")]
        .into_iter()
        .map(|(data, customer)| issue_offline(data, company, customer))
        .collect();

    // Everyone syncs, twice: the first round sends, the second brings the others' edits.
    let mut last = Vec::new();
    for _ in 0..2 {
        last = [&own, &a, &b].into_iter().map(|data| figures(&stored_sync(data))).collect();
    }
    assert_eq!(last[0], last[1], "A equals the host's record");
    assert_eq!(last[0], last[2], "B equals the host's record");
    assert_eq!(last[0]["document"]["count"], 3, "{}", last[0]);

    // The host numbered the three invoices without a gap, and every copy says so.
    for data in [&own, &a, &b] {
        let store = CompanyStore::open(&copy_of(data, company)).unwrap();
        let mut numbers: Vec<String> = invoices
            .iter()
            .map(|id| {
                let invoice = store.document(*id).unwrap();
                assert_eq!(invoice.status, DocumentStatus::Issued);
                invoice.number.unwrap()
            })
            .collect();
        numbers.sort();
        let sequence: Vec<u32> =
            numbers.iter().map(|n| n.rsplit(['-', '/']).next().unwrap().parse().unwrap()).collect();
        assert_eq!(sequence, [1, 2, 3], "{numbers:?}");
    }

    // A device the host revokes is refused at its next sync, and its copy stays.
    let portable = devices[0]["id"].as_str().unwrap().to_owned();
    host.revoke(&portable).unwrap();
    let refused = stored_sync(&a);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("session"), "{}", stderr(&refused));
    assert!(copy_of(&a, company).exists());
    figures(&stored_sync(&b));
}

#[test]
fn a_wrong_or_spent_code_gets_a_device_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = start_host(&dir.path().join("host"));
    let invitation = host.invite(None).unwrap();
    let code = invitation["code"].as_str().unwrap();
    // The right handle and address, a wrong secret part.
    let (handle, rest) = code.split_once('-').unwrap();
    let (_, address) = rest.split_once('@').unwrap();
    let wrong = format!("{handle}-0000-0000@{address}");
    let device = dir.path().join("device");
    let output = join(&device, &wrong, "Portable");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("code is wrong"), "{}", stderr(&output));
    // One try per code: the right one is spent too.
    let output = join(&device, code, "Portable");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("invitation_unknown"), "{}", stderr(&output));
    assert!(host.devices().unwrap().is_empty());
    assert!(!device.join("companies").exists(), "nothing was downloaded");
}

/// The host killed (SIGKILL) at a random point of a device's sync that sends an edit
/// and pulls many pages, then started again: the device's next sync resumes, nothing
/// acknowledged is lost and nothing is applied twice.
#[test]
fn the_host_killed_during_a_devices_sync_comes_back_and_the_device_converges() {
    let dir = tempfile::tempdir().unwrap();
    let host_dir = dir.path().join("host");
    let mut host = start_host(&host_dir);
    let company = host.company().unwrap();
    let (own, a) = (dir.path().join("own"), dir.path().join("a"));
    let mut command = process::app_sync(APP_BIN, &host.address(), OWNER, &own);
    figures(&process::spawn_with_password(command.arg("--json"), PASSWORD).unwrap().wait_with_output().unwrap());
    figures(&join(&a, host.first_invitation["link"].as_str().unwrap(), "Portable"));

    // The owner's copy sends 1,500 customers to the host; the device waits with an
    // invoice of its own.
    {
        let mut store = CompanyStore::open(&copy_of(&own, company)).unwrap();
        for n in 0..1_500 {
            store.submit(&Intent::CreateContact { contact: new_contact(&format!("Client {n}")) }).unwrap();
        }
    }
    figures(&stored_sync(&own));
    let invoice = issue_offline(&a, company, "Voilerie");

    // The device's sync, 20 changes a page; the host is killed partway.
    let child = Command::new(APP_BIN)
        .args(["sync", "--json", "--page-size", "20", "--data"])
        .arg(&a)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 600;
    std::thread::sleep(std::time::Duration::from_millis(u64::from(at)));
    host.kill();
    let cut = child.wait_with_output().unwrap();
    eprintln!("host killed {at} ms into the device's sync; that sync succeeded: {}", cut.status.success());

    // Started again on the same files: the same certificate, the same port.
    let host = process::host(APP_BIN, &host_dir, LISTEN, &[], None).unwrap();
    assert_eq!(host.company().unwrap(), company);
    let device = figures(&stored_sync(&a));
    let owner = figures(&stored_sync(&own));
    assert_eq!(device, owner, "the device equals the host's record");
    assert_eq!(owner["contact"]["count"], 1_501);
    assert_eq!(owner["document"]["count"], 1, "the invoice was applied once");
    let store = CompanyStore::open(&copy_of(&a, company)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    let number = store.document(invoice).unwrap().number.unwrap();
    assert!(number.ends_with('1'), "the first number: {number}");
}

/// The host backs up into a folder of the user's (one at start, one on demand); the
/// host is lost; another computer restores its newest backup, certificate included: the
/// devices download again without pairing anew (a paired device signs in with its own
/// secret). The invoice one of them had not sent yet
/// reaches the restored host and is numbered there; the invoice the other had sent after
/// the backup (acknowledged by the lost host) is sent again and numbered after it, and
/// that copy says so.
#[test]
fn a_host_restored_from_its_backup_is_downloaded_again_and_no_edit_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (host_dir, backups) = (dir.path().join("host"), dir.path().join("usb"));
    std::fs::create_dir(&backups).unwrap();
    let backups_arg = backups.to_string_lossy().into_owned();
    let extra = ["--create", "Atelier du Port", "--owner", OWNER, "--backups", &backups_arg];
    let mut host = process::host(APP_BIN, &host_dir, LISTEN, &extra, Some(PASSWORD)).unwrap();
    assert_eq!(host.said.len(), 1, "the first backup, at start: {:?}", host.said);
    let company = host.company().unwrap();
    let (own, a) = (dir.path().join("own"), dir.path().join("a"));
    let mut command = process::app_sync(APP_BIN, &host.address(), OWNER, &own);
    figures(&process::spawn_with_password(command.arg("--json"), PASSWORD).unwrap().wait_with_output().unwrap());
    figures(&join(&a, host.first_invitation["link"].as_str().unwrap(), "Portable"));

    // An invoice synced, then the backup; then an invoice the owner's copy syncs (the
    // host acknowledges it, the backup lacks it), and one the device keeps waiting.
    let synced = issue_offline(&a, company, "Voilerie");
    figures(&stored_sync(&a));
    let backup = host.backup().unwrap();
    assert!(Path::new(backup["backup"].as_str().unwrap()).starts_with(&backups));
    let acknowledged = issue_offline(&own, company, "Chantier naval");
    figures(&stored_sync(&own));
    let acknowledged_number =
        CompanyStore::open(&copy_of(&own, company)).unwrap().document(acknowledged).unwrap().number;
    assert!(acknowledged_number.as_deref().is_some_and(|n| n.ends_with('2')), "{acknowledged_number:?}");
    // The device syncs after the backup too: its session's token turns, the backup
    // knows only the one before.
    figures(&stored_sync(&a));
    let waiting = issue_offline(&a, company, "Capitainerie");

    // The host is lost; another computer restores its newest backup and serves it, on
    // the address the devices know (as mDNS would find it on a real network).
    let address = host.address();
    let port = address.rsplit(':').next().unwrap();
    host.kill();
    let listen = format!("127.0.0.2:{port}");
    let restore = ["--backups", backups_arg.as_str(), "--restore-newest"];
    let restored = process::host(APP_BIN, &dir.path().join("new-host"), &listen, &restore, None).unwrap();
    assert_eq!(restored.said[0]["event"], "restored", "{:?}", restored.said);
    assert_eq!(restored.said[0]["backup"], backup["backup"]);
    // The backup carried the certificate: the devices' pin holds on the new computer.
    assert_eq!(restored.hosting["fingerprint"], host.hosting["fingerprint"]);
    assert_eq!(restored.address(), address);

    // Both copies download again. The device, paired without a password, signs in with
    // the secret it was given at pairing (the restored host knows none of its later
    // tokens). Its waiting invoice reached the restored host first and took the next
    // number; the owner's copy sent its acknowledged invoice again, which took the one
    // after.
    let device_sync = stored_sync(&a);
    figures(&device_sync);
    assert!(stderr(&device_sync).contains("signing in with its secret"), "{}", stderr(&device_sync));
    // The owner's copy synced after the backup: its refresh token was rotated then, and
    // the restored host knows only the one before. The owner signs in again.
    let mut command = process::app_sync(APP_BIN, &address, OWNER, &own);
    let owner_sync = process::spawn_with_password(command.arg("--json"), PASSWORD).unwrap().wait_with_output().unwrap();
    let owner = figures(&owner_sync);
    assert!(stderr(&owner_sync).contains("is now"), "the renumbering is told: {}", stderr(&owner_sync));
    // The device's next sync brings what the owner's copy sent.
    assert_eq!(figures(&stored_sync(&a)), owner);
    assert_eq!(owner["document"]["count"], 3, "each invoice once: {owner}");
    let store = CompanyStore::open(&copy_of(&a, company)).unwrap();
    assert_eq!(store.pending_count().unwrap(), 0);
    let number = |id| store.document(id).unwrap().number.unwrap();
    let numbers = [number(synced), number(waiting), number(acknowledged)];
    for (n, number) in numbers.iter().enumerate() {
        assert!(number.ends_with(&(n + 1).to_string()), "gapless, in the order the host met them: {numbers:?}");
    }
    let kept = AppStore::open(&a.join(AppStore::FILE_NAME)).unwrap().kept_copies(company).unwrap();
    assert_eq!(kept.len(), 1, "the old copy is kept aside");
    let kept = AppStore::open(&own.join(AppStore::FILE_NAME)).unwrap().kept_copies(company).unwrap();
    assert_eq!(kept.len(), 1);
    let renumbered = &kept[0].renumbered;
    assert_eq!(renumbered.len(), 1, "{renumbered:?}");
    assert_eq!(
        (renumbered[0].document, Some(renumbered[0].before.clone()), renumbered[0].after.clone()),
        (acknowledged, acknowledged_number, numbers[2].clone())
    );
}

/// Two network namespaces of this test's own (root and `ip netns` needed; skipped
/// otherwise), joined by a virtual cable and with no route outside: the host in one,
/// a device in the other. The device joins, edits offline; the host's address changes
/// (as a new DHCP lease would change it); the device finds it again by mDNS, by its
/// fingerprint, and its edit reaches the host.
#[test]
fn in_network_namespaces_a_device_finds_its_host_again_when_its_address_changed() {
    let Some(net) = Namespaces::create() else {
        eprintln!("skipped: network namespaces need root and `ip netns` (this test is optional)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut command = exec(&net.host);
    command.args(["host", "--json", "--listen", "0.0.0.0:0", "--data"]).arg(dir.path().join("host"));
    command.args(["--create", "Atelier du Port", "--owner", OWNER]);
    let host = process::host_command(command, Some(PASSWORD)).unwrap();
    let company = host.company().unwrap();
    let link = host.first_invitation["link"].as_str().unwrap().to_owned();
    assert!(link.contains(&format!("h={}:", Namespaces::HOST_IP)), "the link names the host's address: {link}");

    let device = dir.path().join("device");
    let run = |args: &[&str]| {
        let mut command = exec(&net.device);
        command.args(args).arg("--data").arg(&device).env("RUST_LOG", "warn");
        command.output().unwrap()
    };
    figures(&run(&["join", "--json", "--device-name", "Portable", &link]));
    let invoice = issue_offline(&device, company, "Voilerie");

    // The host gets another address on its network.
    ip(&["-n", &net.host, "addr", "del", &format!("{}/24", Namespaces::HOST_IP), "dev", "veth0"]);
    ip(&["-n", &net.host, "addr", "add", "10.77.0.9/24", "dev", "veth0"]);
    // The device looks for it by mDNS at each sync that cannot reach it (the host's
    // announcer notices its new address within seconds).
    let mut synced = None;
    let started = std::time::Instant::now();
    for _ in 0..10 {
        let output = run(&["sync", "--json"]);
        if output.status.success() {
            synced = Some(output);
            break;
        }
        eprintln!("not yet: {}", stderr(&output));
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let synced = synced.expect("the device found its host again");
    eprintln!("found again {:.1} s after the address changed", started.elapsed().as_secs_f64());
    assert!(stderr(&synced).contains("10.77.0.9"), "{}", stderr(&synced));
    let server = AppStore::open(&device.join(AppStore::FILE_NAME)).unwrap().server_url().unwrap().unwrap();
    assert!(server.contains("10.77.0.9:"), "the new address is kept: {server}");
    let store = CompanyStore::open(&copy_of(&device, company)).unwrap();
    assert!(store.document(invoice).unwrap().number.is_some(), "the edit reached the host");
    assert_eq!(figures(&run(&["sync", "--json"]))["document"]["count"], 1);
    drop(host);
}

/// A host's and a device's network namespaces, removed when dropped.
struct Namespaces {
    host: String,
    device: String,
}

impl Namespaces {
    const HOST_IP: &str = "10.77.0.1";

    /// `None` when namespaces cannot be made here (not root, no `ip`).
    fn create() -> Option<Self> {
        let id = std::process::id();
        let net = Self { host: format!("cpt-host-{id}"), device: format!("cpt-dev-{id}") };
        let made = Command::new("ip").args(["netns", "add", &net.host]).output().ok()?;
        if !made.status.success() {
            return None;
        }
        ip(&["netns", "add", &net.device]);
        let (a, b) = (format!("cpth{id}"), format!("cptd{id}"));
        ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        ip(&["link", "set", &a, "netns", &net.host]);
        ip(&["link", "set", &b, "netns", &net.device]);
        for (ns, link, address) in [(&net.host, &a, Self::HOST_IP), (&net.device, &b, "10.77.0.2")] {
            ip(&["-n", ns, "link", "set", link, "name", "veth0"]);
            ip(&["-n", ns, "addr", "add", &format!("{address}/24"), "dev", "veth0"]);
            ip(&["-n", ns, "link", "set", "veth0", "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        Some(net)
    }
}

fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().unwrap();
    assert!(output.status.success(), "ip {args:?}: {}", stderr(&output));
}

/// The app's binary, run in the network namespace `ns`.
fn exec(ns: &str) -> Command {
    let mut command = Command::new("ip");
    command.args(["netns", "exec", ns, APP_BIN]);
    command
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // The virtual cable goes with them.
        for ns in [&self.host, &self.device] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}
