//! A company's archive (`comptoir_server::company_archive`): what moves a company from
//! one host to another. A round trip keeps every record, answer and key and continues
//! the audit chain; any damaged archive — cut, a line dropped or doubled, a byte changed —
//! is either refused with nothing written, or imported whole and consistent; a company
//! still hosted here is never replaced, and a moved one only by one of its owners.

use comptoir_core::model::{CompanyId, Role};
use comptoir_core::sync::{ClientError, RecordKind};
use comptoir_server::company_archive::{self, ArchiveError, ImportPlan};
use comptoir_server::sync::Actor;
use comptoir_tests::StoragePlace;
use comptoir_tests::TestServer;
use proptest::prelude::*;

/// The demo's large company, moved out of a real server's storage, and its archive.
struct Source {
    server: TestServer,
    archive: Vec<u8>,
}

fn source() -> Source {
    let server = crate::builder().demo(150).start().unwrap();
    let company = server.company();
    let storage = server.storage().as_ref();
    let owner = storage.user_by_email(&server.accounts.email).unwrap().unwrap();
    let actor = Actor::member(&owner, Role::Owner);
    company_archive::move_out(storage, company, &actor, "l'ordinateur du bureau", server.now()).unwrap();
    let signer = comptoir_core::audit::AuditSigner::generate().unwrap().0;
    let mut archive = Vec::new();
    company_archive::write(storage, company, &signer, "Comptoir", server.now(), &mut archive).unwrap();
    Source { server, archive }
}

/// Checks and imports `archive` into the storage at `place`, as `email`.
fn import(place: &StoragePlace, archive: &[u8], email: &str, allow_new: bool) -> Result<(), ArchiveError> {
    let storage = place.open().unwrap();
    let path = place.path().join("incoming.jsonl");
    std::fs::write(&path, archive).unwrap();
    let checked = company_archive::check(archive)?;
    company_archive::import_checked(storage.as_ref(), &checked, &path, email, allow_new, chrono::Utc::now()).map(|_| ())
}

#[test]
fn a_round_trip_keeps_every_record_and_continues_the_audit_chain() {
    let source = source();
    let company = source.server.company();
    let before = source.server.stats(company).unwrap();
    let dir = crate::place();
    import(&dir, &source.archive, &source.server.accounts.email, true).unwrap();

    let storage = dir.open().unwrap();
    let after = comptoir_server::admin::stats(storage.as_ref(), company).unwrap();
    for kind in RecordKind::ALL.into_iter().filter(|k| *k != RecordKind::Audit) {
        assert_eq!(after.get(&kind), before.get(&kind), "{kind:?}");
    }
    assert_eq!(after[&RecordKind::Audit].count, before[&RecordKind::Audit].count + 1, "move_in");
    let records = comptoir_server::admin::verify_audit(storage.as_ref(), company).unwrap();
    assert_eq!(records, after[&RecordKind::Audit].count);
    // A new epoch: every copy downloads again.
    let old = source.server.storage().log_state(company).unwrap().unwrap();
    let new = storage.log_state(company).unwrap().unwrap();
    assert_ne!(old.epoch, new.epoch);
    assert_eq!(new.seq, old.seq + 1, "the seqs go on from the old host's");
    // Hosted here now, not moved: a second import of the same archive is refused.
    assert!(storage.moved(company).unwrap().is_none());
    let again = import(&dir, &source.archive, &source.server.accounts.email, true);
    assert!(matches!(again, Err(ArchiveError::Exists)), "{again:?}");
}

#[test]
fn only_an_owner_imports_and_a_moved_company_comes_back_only_to_an_owner_of_it() {
    let source = source();
    let company = source.server.company();
    let dir = crate::place();
    // The demo's second account is no owner of the large company.
    let members = source.server.storage().members(company).unwrap();
    let not_owner = members.iter().find(|m| m.role != Role::Owner).map(|m| m.email.clone());
    if let Some(email) = not_owner {
        let refused = import(&dir, &source.archive, &email, true);
        assert!(matches!(refused, Err(ArchiveError::NotAnOwner)), "{refused:?}");
    }
    let refused = import(&dir, &source.archive, "inconnu@example.test", true);
    assert!(matches!(refused, Err(ArchiveError::NotAnOwner)), "{refused:?}");
    // A host that never had the company creates none through the API's path.
    let refused = import(&dir, &source.archive, &source.server.accounts.email, false);
    assert!(matches!(refused, Err(ArchiveError::NotFound("company"))), "{refused:?}");
    // Back on the server it left (frozen there): it replaces its frozen copy.
    let storage = source.server.storage().as_ref();
    let path = dir.path().join("back.jsonl");
    std::fs::write(&path, &source.archive).unwrap();
    let checked = company_archive::check(source.archive.as_slice()).unwrap();
    let plan = ImportPlan {
        actor_email: &source.server.accounts.email,
        allow_new: false,
        new_accounts: Vec::new(),
        now: chrono::Utc::now(),
    };
    company_archive::import(storage, &checked, &path, &plan).unwrap();
    assert!(storage.moved(company).unwrap().is_none(), "hosted there again");
    comptoir_server::admin::verify_audit(storage, company).unwrap();
}

/// What is done to an archive's bytes.
#[derive(Clone, Debug)]
enum Damage {
    Cut(usize),
    DropLine(usize),
    DoubleLine(usize),
    Flip(usize, u8),
}

fn damaged(archive: &[u8], damage: &Damage) -> Vec<u8> {
    let lines: Vec<&[u8]> = archive.split_inclusive(|b| *b == b'\n').collect();
    match damage {
        Damage::Cut(at) => archive[..at % archive.len()].to_vec(),
        Damage::DropLine(at) => {
            let at = at % lines.len();
            lines.iter().enumerate().filter(|(i, _)| *i != at).flat_map(|(_, l)| l.iter().copied()).collect()
        }
        Damage::DoubleLine(at) => {
            let at = at % lines.len();
            let mut out = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                out.extend_from_slice(line);
                if i == at {
                    out.extend_from_slice(line);
                }
            }
            out
        }
        Damage::Flip(at, bits) => {
            let mut out = archive.to_vec();
            let at = at % out.len();
            out[at] ^= bits.max(&1);
            out
        }
    }
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Cut),
        any::<usize>().prop_map(Damage::DropLine),
        any::<usize>().prop_map(Damage::DoubleLine),
        (any::<usize>(), any::<u8>()).prop_map(|(at, bits)| Damage::Flip(at, bits)),
    ]
}

#[test]
fn a_damaged_archive_is_refused_with_nothing_written_or_imported_whole() {
    let source = source();
    let company: CompanyId = source.server.company();
    let email = source.server.accounts.email.clone();
    let config = ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(damage in damage())| {
        let archive = damaged(&source.archive, &damage);
        let dir = crate::place();
        match import(&dir, &archive, &email, true) {
            Err(ArchiveError::Invalid { .. } | ArchiveError::NotAnOwner) => {
                // Nothing written: no company, no account.
                let storage = dir.open().unwrap();
                prop_assert!(storage.company(company).unwrap().is_none());
                prop_assert!(storage.companies().unwrap().is_empty());
                prop_assert!(storage.user_by_email(&email).unwrap().is_none());
            }
            Err(other) => prop_assert!(false, "{damage:?}: {other}"),
            Ok(()) => {
                // Accepted (a change the model allows, as its owner could have made it):
                // then whole and consistent.
                let storage = dir.open().unwrap();
                let imported = storage.companies().unwrap();
                prop_assert_eq!(imported.len(), 1);
                let id = imported[0].id;
                comptoir_server::admin::verify_audit(storage.as_ref(), id).unwrap();
                comptoir_server::admin::stats(storage.as_ref(), id).unwrap();
            }
        }
    });
}

#[test]
fn an_administrator_imports_a_company_this_server_never_had() {
    let source = source();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("company.jsonl");
    std::fs::write(&file, &source.archive).unwrap();
    let target = crate::place();
    let admin = |args: &[&str]| {
        std::process::Command::new(crate::SERVER_BIN)
            .arg("admin")
            .args(args)
            .arg("--data")
            .arg(target.path())
            .envs(target.env())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let file_arg = file.to_string_lossy().into_owned();
    let output = admin(&["import-company", "--file", &file_arg, "--owner", &source.server.accounts.email]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("imported"));
    let company = source.server.company().to_string();
    let output = admin(&["verify-audit", "--company", &company]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // A cut archive changes nothing.
    std::fs::write(&file, &source.archive[..source.archive.len() / 2]).unwrap();
    let output = admin(&["import-company", "--file", &file_arg, "--owner", &source.server.accounts.email]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("line"), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn the_api_moves_a_company_out_and_takes_back_only_a_whole_archive_from_an_owner() {
    let server = crate::builder().demo(120).start().unwrap();
    let company = server.company();
    let (email, password) = (server.accounts.email.clone(), server.accounts.password.clone());
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, _) = comptoir_tests::checks::signed_in(&server.url, &email, &password).await;
        let refused = |result: Result<_, ClientError>, wanted: &str| match result {
            Err(ClientError::Refused { code, .. }) => assert_eq!(code, wanted),
            other => panic!("expected {wanted}: {other:?}"),
        };
        // Still hosted here: no archive, nothing to take back.
        let file = dir.path().join("archive.jsonl");
        std::fs::write(&file, b"").unwrap();
        refused(client.download_archive(company, &mut Vec::new()).await.map(|_| ()), "company_not_moved");
        refused(
            client.upload_archive(company, std::fs::File::open(&file).unwrap()).await.map(|_| ()),
            "company_exists",
        );
        // A description of where it goes is checked.
        refused(client.move_company(company, "").await.map(|_| ()), "moved_to_invalid");
        refused(client.move_company(company, "a\nb").await.map(|_| ()), "moved_to_invalid");
        client.move_company(company, "l'ordinateur du bureau").await.unwrap();
        refused(client.move_company(company, "ailleurs").await.map(|_| ()), "company_moved");
        let frozen = server.stats(company).unwrap();
        let mut archive = Vec::new();
        client.download_archive(company, &mut archive).await.unwrap();
        // A cut archive is refused and changes nothing.
        std::fs::write(&file, &archive[..archive.len() - 10]).unwrap();
        refused(
            client.upload_archive(company, std::fs::File::open(&file).unwrap()).await.map(|_| ()),
            "archive_invalid",
        );
        assert_eq!(server.stats(company).unwrap(), frozen);
        assert!(client.status(company).await.unwrap().moved_to.is_some(), "still frozen");
        // The whole archive brings it back, in a new epoch.
        let epoch = client.status(company).await.unwrap().epoch;
        std::fs::write(&file, &archive).unwrap();
        let imported = client.upload_archive(company, std::fs::File::open(&file).unwrap()).await.unwrap();
        assert_ne!(imported.epoch, epoch);
        let status = client.status(company).await.unwrap();
        assert_eq!((status.moved_to, status.epoch), (None, imported.epoch));
        comptoir_server::admin::verify_audit(server.storage().as_ref(), company).unwrap();
    });
}

/// One HTTP/1.1 answer read off `tcp`: its head (status line and headers, lower case)
/// and its body (`Content-Length` bytes).
fn read_answer(tcp: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    let mut byte = [0_u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        assert_eq!(tcp.read(&mut byte).unwrap(), 1, "the connection closed inside an answer's head");
        bytes.push(byte[0]);
    }
    let head = String::from_utf8(bytes).unwrap().to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .map_or(0, |value| value.trim().parse::<usize>().unwrap());
    let mut body = vec![0_u8; length];
    tcp.read_exact(&mut body).unwrap();
    (head, body)
}

/// The server answers an upload before reading its body when the company is still
/// hosted here. It then closes the connection, so the answer says `Connection: close`:
/// else the client would pool the connection and send its next request on a closed one
/// ("error sending request", as CI once saw in the test above). An answer to a request
/// whose body was read keeps the connection.
#[test]
fn an_answer_given_before_the_body_is_read_closes_the_connection_and_says_so() {
    use std::io::{Read as _, Write as _};
    let server = crate::builder().demo(20).start().unwrap();
    let company = server.company();
    let (email, password) = (server.accounts.email.clone(), server.accounts.password.clone());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (client, token) = runtime.block_on(comptoir_tests::checks::signed_in(&server.url, &email, &password));
    let address = server.url.trim_start_matches("http://").to_owned();
    let connect = || {
        let tcp = std::net::TcpStream::connect(&address).unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
        tcp
    };

    // An archive of a megabyte announced, a line of it sent: refused unread.
    let mut tcp = connect();
    write!(
        tcp,
        "PUT /v1/companies/{company}/archive HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: 1000000\r\n\r\n{{\"line\": 1}}\n"
    )
    .unwrap();
    let (head, body) = read_answer(&mut tcp);
    assert!(head.starts_with("http/1.1 409"), "{head}");
    assert_eq!(comptoir_tests::api::code(&serde_json::from_slice(&body).unwrap()), "company_exists");
    assert!(head.lines().any(|line| line == "connection: close"), "{head}");
    // And the server does close it (an end of stream, or a reset over the unread rest).
    let mut rest = Vec::new();
    match tcp.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "more after the answer: {rest:?}"),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }

    // A move whose body is read (and refused): the connection serves the next request.
    let mut tcp = connect();
    let move_body = r#"{"to": ""}"#;
    write!(
        tcp,
        "POST /v1/companies/{company}/move HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{move_body}",
        move_body.len()
    )
    .unwrap();
    let (head, body) = read_answer(&mut tcp);
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert_eq!(comptoir_tests::api::code(&serde_json::from_slice(&body).unwrap()), "moved_to_invalid");
    assert!(!head.contains("connection: close"), "{head}");
    write!(
        tcp,
        "GET /v1/companies/{company}/sync/status HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let (head, _) = read_answer(&mut tcp);
    assert!(head.starts_with("http/1.1 200"), "{head}");

    // The app's client, refused an upload then sending another request at once, many
    // times: each answer is the server's, never a failure to send.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("archive.jsonl");
    std::fs::write(&file, b"").unwrap();
    runtime.block_on(async {
        for round in 0..25 {
            match client.upload_archive(company, std::fs::File::open(&file).unwrap()).await {
                Err(ClientError::Refused { code, .. }) => assert_eq!(code, "company_exists", "round {round}"),
                other => panic!("round {round}: {other:?}"),
            }
            match client.move_company(company, "").await {
                Err(ClientError::Refused { code, .. }) => assert_eq!(code, "moved_to_invalid", "round {round}"),
                other => panic!("round {round}: {other:?}"),
            }
        }
    });
}

#[test]
fn a_member_who_is_no_owner_can_neither_move_nor_bring_back_a_company() {
    let server = crate::builder().demo(60).start().unwrap();
    let company = server.company();
    let storage = server.storage().as_ref();
    let seller = "vendeur@atelier.test";
    comptoir_server::admin::create_user(storage, seller, "un mot de passe solide", "Vendeur").unwrap();
    comptoir_server::admin::add_member(storage, company, seller, Role::Sales).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("archive.jsonl");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, _) = comptoir_tests::checks::signed_in(&server.url, seller, "un mot de passe solide").await;
        match client.move_company(company, "ailleurs").await {
            Err(ClientError::Refused { status: 403, .. } | ClientError::Forbidden) => {}
            other => panic!("a seller moved the company: {other:?}"),
        }
        let (owner, _) =
            comptoir_tests::checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        owner.move_company(company, "l'ordinateur du bureau").await.unwrap();
        let mut archive = Vec::new();
        owner.download_archive(company, &mut archive).await.unwrap();
        std::fs::write(&file, &archive).unwrap();
        match client.upload_archive(company, std::fs::File::open(&file).unwrap()).await {
            // 403 not_an_owner, which the client reads as "not allowed".
            Err(ClientError::Forbidden) => {}
            other => panic!("a seller brought the company back: {other:?}"),
        }
        assert!(owner.status(company).await.unwrap().moved_to.is_some(), "still frozen");
    });
}

/// Two owners' devices move the company at once: one move freezes it, the other is told
/// it moved; its chain holds one `move_out`.
#[test]
fn two_moves_at_once_freeze_the_company_once() {
    let server = crate::builder().demo(40).start().unwrap();
    let company = server.company();
    let (email, password) = (server.accounts.email.clone(), server.accounts.password.clone());
    let before = server.stats(company).unwrap()[&RecordKind::Audit].count;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answers = runtime.block_on(async {
        let (a, _) = comptoir_tests::checks::signed_in(&server.url, &email, &password).await;
        let (b, _) = comptoir_tests::checks::signed_in(&server.url, &email, &password).await;
        let (first, second) =
            tokio::join!(a.move_company(company, "le bureau"), b.move_company(company, "la boutique"));
        [first, second]
    });
    let moved = answers.iter().filter(|a| a.is_ok()).count();
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(ClientError::Refused { status: 409, code, .. }) if code == "company_moved"))
        .count();
    assert_eq!((moved, refused), (1, 1), "{answers:?}");
    // Two sign-ins, one move.
    assert_eq!(server.stats(company).unwrap()[&RecordKind::Audit].count, before + 3);
    comptoir_server::admin::verify_audit(server.storage().as_ref(), company).unwrap();
}
