//! The `comptoir-server admin` commands, run as a real process on a temp data folder.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn run(data: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    run_top(data, &all, stdin)
}

/// Runs `comptoir-server ARGS --data DATA`.
fn run_top(data: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(crate::SERVER_BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap().trim().to_owned()
}

#[test]
fn admin_commands_create_users_companies_and_members() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
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
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
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

    // Someone edits the server's file by hand: the check names the record.
    let conn = rusqlite::Connection::open(data.join("server.sqlite")).unwrap();
    let changed = conn
        .execute(
            "UPDATE records SET body = replace(body, '\"system\"', '\"intrus\"')
             WHERE kind = 'audit' AND hex(company_id) = upper(replace(?1, '-', ''))
               AND seq = (SELECT min(seq) FROM records
                          WHERE kind = 'audit' AND hex(company_id) = upper(replace(?1, '-', '')))",
            [&large],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let output = run(data, &["verify-audit", "--company", &large], "");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("audit record 1") && stderr.contains("altered"), "{stderr}");
}

#[test]
fn admin_backup_runs_beside_the_server_and_restore_waits_for_it_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    stdout(&run(data, &["create-user", "--email", "claire@atelier.fr", "--password-stdin"], "mot de passe solide\n"));
    let company = stdout(&run(data, &["create-company", "--name", "Atelier", "--country", "FR"], ""));
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("atelier.backup");
    let backup_arg = backup.to_str().unwrap();

    let comptoir_tests::process::ServerProcess { child: mut server, stdout: _stdout, .. } =
        comptoir_tests::process::serve(crate::SERVER_BIN, data, &[]).unwrap();
    let printed = stdout(&run(data, &["backup", "--out", backup_arg], ""));
    assert!(printed.starts_with("backup written:") && printed.contains("1 companies"), "{printed}");
    // Once written, never overwritten.
    let again = run(data, &["backup", "--out", backup_arg], "");
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"));
    // A restore under a serving server is refused, and says what to do.
    let refused = run(data, &["restore", "--from", backup_arg], "");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("in use") && stderr.contains("stop it"), "{stderr}");
    server.kill().unwrap();
    server.wait().unwrap();

    let printed = stdout(&run(data, &["restore", "--from", backup_arg], ""));
    assert!(printed.contains(&format!("company {company}: new epoch")), "{printed}");
    assert!(printed.contains("kept as"), "{printed}");
    let listed = stdout(&run(data, &["list-companies"], ""));
    assert!(listed.contains(&company), "{listed}");
}
