//! The `comptoir-server admin` commands, run as a real process on a temp data folder
//! (and, on PostgreSQL, a database of its own).

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use comptoir_tests::StoragePlace;

/// Runs `comptoir-server admin ARGS` on `place`.
pub(super) fn run(place: &StoragePlace, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    run_top(place, &all, stdin)
}

/// Runs `comptoir-server ARGS --data DIR` (and the database's address, on PostgreSQL).
fn run_top(place: &StoragePlace, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(crate::SERVER_BIN)
        .args(args)
        .arg("--data")
        .arg(place.path())
        .envs(place.env())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub(super) fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap().trim().to_owned()
}

#[test]
fn admin_commands_create_users_companies_and_members() {
    let place = crate::place();
    let data = &place;
    let user = stdout(&run(
        data,
        &["create-user", "--email", "claire@atelier.fr", "--password-stdin"],
        "mot de passe solide\n",
    ));
    uuid::Uuid::parse_str(&user).unwrap();
    let company = stdout(&run(data, &["create-company", "--name", "Atelier Lumière", "--country", "FR"], ""));
    uuid::Uuid::parse_str(&company).unwrap();
    stdout(&run(data, &["add-member", "--company", &company, "--email", "claire@atelier.fr", "--role", "owner"], ""));

    let listed: serde_json::Value =
        serde_json::from_str(&stdout(&run(data, &["list-companies", "--json"], ""))).unwrap();
    assert_eq!(listed, serde_json::json!([{"id": company, "name": "Atelier Lumière", "country": "FR"}]));

    // Refusals say why and exit non-zero.
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["create-user", "--email", "claire@atelier.fr", "--password-stdin"],
            "autre mot de passe\n",
            "already exists",
        ),
        (&["create-user", "--email", "pas-un-email", "--password-stdin"], "mot de passe solide\n", "not a valid email"),
        (&["create-company", "--name", "X", "--country", "France"], "", "country code"),
        (&["add-member", "--company", &company, "--email", "nobody@atelier.fr", "--role", "sales"], "", "no user"),
    ];
    for (args, stdin, expected) in cases {
        let output = run(data, args, stdin);
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // The password is never echoed anywhere.
    let output = run(data, &["create-user", "--email", "marc@garage.be", "--password-stdin"], "secret-tres-long-42\n");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("secret-tres-long-42"));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("secret-tres-long-42"));
}

#[test]
fn demo_seeds_two_companies_and_verify_audit_names_an_altered_record() {
    let place = crate::place();
    let data = &place;
    let printed = stdout(&run_top(data, &["demo", "--size", "300"], ""));
    assert!(printed.contains("demo@comptoir.test"), "{printed}");
    let secret = printed.lines().find_map(|l| l.strip_prefix("TOTP secret:")).unwrap().trim().to_owned();
    assert!(totp_rs::Secret::try_from_base32(&secret).is_ok());
    let companies: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&run(data, &["list-companies", "--json"], ""))).unwrap();
    assert_eq!(companies.len(), 2);
    let large = companies.iter().find(|c| c["country"] == "BE").unwrap()["id"].as_str().unwrap().to_owned();

    let stats: serde_json::Value =
        serde_json::from_str(&stdout(&run(data, &["stats", "--company", &large, "--json"], ""))).unwrap();
    for kind in ["contact", "article", "document", "payment", "settings", "member", "audit"] {
        assert!(stats[kind]["count"].as_u64().unwrap() > 0, "{kind}: {stats}");
        assert_eq!(stats[kind]["checksum"].as_str().unwrap().len(), 16);
    }
    assert!(stdout(&run(data, &["verify-audit", "--company", &large], "")).contains("verified"));

    // Someone edits the server's database by hand: the check names the record.
    assert_eq!(alter_first_audit_record(data, &large), 1);
    let output = run(data, &["verify-audit", "--company", &large], "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("audit record 1") && stderr.contains("altered"), "{stderr}");
}

/// Changes the first audit record of `company` behind the server's back, as someone with
/// access to its database would; how many rows changed.
fn alter_first_audit_record(place: &StoragePlace, company: &str) -> u64 {
    match &place.database {
        None => {
            let conn = rusqlite::Connection::open(place.path().join("server.sqlite")).unwrap();
            let changed = conn
                .execute(
                    "UPDATE records SET body = replace(body, '\"system\"', '\"intrus\"')
                     WHERE kind = 'audit' AND hex(company_id) = upper(replace(?1, '-', ''))
                       AND seq = (SELECT min(seq) FROM records
                                  WHERE kind = 'audit' AND hex(company_id) = upper(replace(?1, '-', '')))",
                    [company],
                )
                .unwrap();
            u64::try_from(changed).unwrap()
        }
        Some(url) => {
            let (url, company) = (url.clone(), company.to_owned());
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                client
                    .execute(
                        "UPDATE records SET body = replace(body, '\"system\"', '\"intrus\"')
                         WHERE kind = 'audit' AND company_id = $1::text::uuid
                           AND seq = (SELECT min(seq) FROM records WHERE kind = 'audit' AND company_id = $1::text::uuid)",
                        &[&company],
                    )
                    .unwrap()
            })
            .join()
            .unwrap()
        }
    }
}
