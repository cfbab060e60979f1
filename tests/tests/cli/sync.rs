//! `comptoir sync`: a download and an update of a company, their figures against the
//! server's, the signed audit trail (`comptoir verify-audit`), and the failures it
//! explains.

use std::process::{Command, Output};

use comptoir_tests::TestServer;

use crate::{APP_BIN, stderr, sync};

fn verify_audit(data: &std::path::Path, company: &str) -> Output {
    Command::new(APP_BIN)
        .args(["verify-audit", "--company", company, "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn sync_downloads_a_company_and_prints_the_servers_figures() {
    let server = TestServer::start(800).unwrap();
    let (accounts, url) = (&server.accounts, server.url.as_str());
    let data = tempfile::tempdir().unwrap();
    let (large, large_name, _) = accounts.companies[1].clone();

    // The account has two companies: without --company it says which there are.
    let output = sync(data.path(), url, &accounts.email, &accounts.password, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--company") && stderr(&output).contains(&large_name), "{}", stderr(&output));

    let output = sync(data.path(), url, &accounts.email, &accounts.password, &["--company", &large_name, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("100 %"), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let server_stats = || {
        serde_json::to_value(
            server
                .stats(large)
                .unwrap()
                .into_iter()
                .map(|(kind, s)| (kind.as_str().to_owned(), s))
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
        .unwrap()
    };
    assert_eq!(printed, server_stats(), "the same figures as admin stats");

    // Again: only what is new travels — this run's own sign-in, which the server
    // writes to the company's audit trail — and the figures still match.
    let id = large.to_string();
    let output = sync(data.path(), url, &accounts.email, &accounts.password, &["--company", &id, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("downloaded 1 of 1 changes"), "{}", stderr(&output));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap(), server_stats());

    // The copy's audit trail checks up to the head the server signed with that sync.
    let output = verify_audit(data.path(), &large.to_string());
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(stdout.contains("audit trail verified") && stdout.contains("signed by the server"), "{stdout}");
    // Its last two records removed by hand, it fails, and says why.
    {
        let path = data.path().join("companies").join(format!("{large}.comptoir"));
        let store = comptoir_core::store::CompanyStore::open(&path).unwrap();
        let removed = store
            .connection()
            .execute("DELETE FROM audit_trail WHERE seq > (SELECT max(seq) - 2 FROM audit_trail)", [])
            .unwrap();
        assert_eq!(removed, 2);
    }
    let output = verify_audit(data.path(), &large_name);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("audit_tail_missing"), "{}", stderr(&output));

    // A wrong password, and a two-factor account without its code, fail clearly.
    let output = sync(data.path(), url, &accounts.email, "pas le bon", &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("password is wrong"), "{}", stderr(&output));
    let output = sync(data.path(), url, &accounts.totp_email, &accounts.totp_password, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--totp"), "{}", stderr(&output));
    // An unreachable server says what to check.
    let output = sync(data.path(), "http://127.0.0.1:9", "a@b.fr", "x", &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot be reached"), "{}", stderr(&output));
}
