//! A company moved from a Comptoir server onto one computer that hosts it on the local
//! network (issue 15): `comptoir host --from-server` freezes it on the server, downloads
//! its archive and hosts it; a device that synced with the server is told it moved; a
//! device that joins the host gets every record the server had, and the audit chain goes
//! on from the server's to the host's; and back: `comptoir host --to-server` freezes it
//! on the computer and the server hosts it again, with what the computer's devices added.
//! Real processes, real files.

use std::path::Path;
use std::process::{Command, Output};

use comptoir_core::sync::{ClientError, Intent, Mutation, RecordKind};
use comptoir_tests::TestServer;
use comptoir_tests::fixtures::new_contact;
use comptoir_tests::process::{self, HostProcess};

use crate::{APP_BIN, stderr, sync};

fn figures(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `comptoir host --from-server URL --owner EMAIL --company ID` in `dir` on 127.0.0.2.
fn take(dir: &Path, server: &TestServer, company: &str) -> HostProcess {
    let owner = server.accounts.email.as_str();
    let extra = ["--from-server", server.url.as_str(), "--owner", owner, "--company", company];
    process::host(APP_BIN, dir, "127.0.0.2:0", &extra, Some(&server.accounts.password)).unwrap()
}

#[test]
fn a_company_moves_from_the_server_onto_a_computer_and_keeps_every_record_and_its_audit_chain() {
    let server = TestServer::start(400).unwrap();
    let company = server.company();
    let id = company.to_string();
    let dir = tempfile::tempdir().unwrap();
    let (email, password) = (server.accounts.email.clone(), server.accounts.password.clone());

    // A device syncs with the server before the move.
    let device = dir.path().join("device");
    figures(&sync(&device, &server.url, &email, &password, &["--company", &id, "--json"]));
    let before = server.stats(company).unwrap();

    // The office computer takes the company: moved, then hosted.
    let mut host = take(&dir.path().join("office"), &server, &id);
    let moved = host.said.iter().find(|said| said["event"] == "moved").unwrap_or_else(|| panic!("{:?}", host.said));
    assert_eq!(moved["imported"], true, "{moved}");
    assert_eq!(moved["company"], id);
    assert_eq!(host.hosting["company"], id);
    let on_server = server.stats(company).unwrap();

    // On the server, it is frozen: the status says where it went, a change is refused,
    // and its log is the same but for the audit record of the move.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, _) = comptoir_tests::checks::signed_in(&server.url, &email, &password).await;
        let status = client.status(company).await.unwrap();
        assert!(status.moved_to.is_some(), "{status:?}");
        let push = Mutation {
            mutation_id: 1,
            client_id: uuid::Uuid::now_v7(),
            intent: Intent::CreateContact { contact: new_contact("Après le départ") },
        };
        match client.push(company, vec![push]).await {
            Err(ClientError::Refused { status: 409, code, .. }) => assert_eq!(code, "company_moved"),
            other => panic!("a change to a moved company: {other:?}"),
        }
        // The archive was taken; it can be taken again, not a company still hosted.
        let mut archive = Vec::new();
        client.download_archive(company, &mut archive).await.unwrap();
        let other = server.accounts.companies[0].0;
        match client.download_archive(other, &mut Vec::new()).await {
            Err(ClientError::Refused { status: 409, code, .. }) => assert_eq!(code, "company_not_moved"),
            other => panic!("the archive of a company still hosted: {other:?}"),
        }
    });
    for kind in RecordKind::ALL.into_iter().filter(|k| *k != RecordKind::Audit) {
        assert_eq!(on_server.get(&kind), before.get(&kind), "{kind:?} unchanged on the server");
    }
    // Two audit records more: the owner's sign-in from the office computer, the move;
    // and none after it (the test's own sign-in above is not written to a moved company).
    assert_eq!(on_server[&RecordKind::Audit].count, before[&RecordKind::Audit].count + 2, "sign_in, move_out");
    assert_eq!(server.stats(company).unwrap(), on_server, "frozen");

    // The device of the server is told, and keeps its copy.
    let output = sync(&device, &server.url, &email, &password, &["--company", &id, "--json"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("moved to"), "{}", stderr(&output));

    // A device joins the office computer: every record the server had, and two audit
    // records more (the move in, the device's pairing), the chain going on from the
    // server's and checking against the host's signed head.
    let joined = dir.path().join("joined");
    let link = host.first_invitation["link"].as_str().unwrap().to_owned();
    let output = Command::new(APP_BIN)
        .args(["join", "--json", "--device-name", "Portable", "--data"])
        .arg(&joined)
        .arg(&link)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let output =
        Command::new(APP_BIN).args(["sync", "--json", "--data"]).arg(&joined).env("RUST_LOG", "warn").output().unwrap();
    let copy = figures(&output);
    for kind in RecordKind::ALL.into_iter().filter(|k| *k != RecordKind::Audit) {
        let expected = serde_json::to_value(&on_server[&kind]).unwrap();
        assert_eq!(copy[kind.as_str()], expected, "{kind:?} on the joined device");
    }
    assert_eq!(copy["audit"]["count"], on_server[&RecordKind::Audit].count + 2, "move_in, pair_device");
    let output = Command::new(APP_BIN)
        .args(["verify-audit", "--company", &id, "--data"])
        .arg(&joined)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("audit trail verified"));

    // The joined device adds a customer, on the office computer now.
    {
        let app =
            comptoir_core::store::AppStore::open(&joined.join(comptoir_core::store::AppStore::FILE_NAME)).unwrap();
        let mut store = comptoir_core::store::CompanyStore::open(&app.company(company).unwrap().file_path).unwrap();
        store.submit(&Intent::CreateContact { contact: new_contact("Client du bureau") }).unwrap();
    }
    figures(&stored_sync(&joined));

    // Taking it again (killed after the import) changes nothing.
    host.kill();
    let mut again = take(&dir.path().join("office"), &server, &id);
    let moved = again.said.iter().find(|said| said["event"] == "moved").unwrap();
    assert_eq!(moved["imported"], false, "{moved}");
    again.kill();

    // Back to the server: frozen on the office computer, hosted by the server again,
    // with the customer added meanwhile and its chain going on.
    let extra = ["--to-server", server.url.as_str(), "--owner", email.as_str(), "--company", id.as_str()];
    let office = process::host(APP_BIN, &dir.path().join("office"), "127.0.0.2:0", &extra, Some(&password)).unwrap();
    let back =
        office.said.iter().find(|said| said["event"] == "given_back").unwrap_or_else(|| panic!("{:?}", office.said));
    assert_eq!(back["sent"], true, "{back}");
    let returned = server.stats(company).unwrap();
    assert_eq!(returned[&RecordKind::Contact].count, on_server[&RecordKind::Contact].count + 1);
    comptoir_server::admin::verify_audit(server.storage().as_ref(), company).unwrap();
    runtime.block_on(async {
        let (client, _) = comptoir_tests::checks::signed_in(&server.url, &email, &password).await;
        assert_eq!(client.status(company).await.unwrap().moved_to, None);
    });
    // The server's device downloads it again and equals the server; the office's device
    // is told it moved.
    let copy = figures(&sync(&device, &server.url, &email, &password, &["--company", &id, "--json"]));
    assert_eq!(copy["contact"], serde_json::to_value(&returned[&RecordKind::Contact]).unwrap());
    let output = stored_sync(&joined);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("moved to"), "{}", stderr(&output));
}

/// `comptoir sync` of a copy with the session it keeps.
fn stored_sync(data: &Path) -> Output {
    Command::new(APP_BIN).args(["sync", "--json", "--data"]).arg(data).env("RUST_LOG", "warn").output().unwrap()
}
