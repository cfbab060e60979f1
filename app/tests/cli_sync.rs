//! `comptoir sync`, the real binary, against the real server on loopback.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use comptoir_core::demo::DemoSize;
use comptoir_server::storage::SqliteStorage;

fn sync(data: &std::path::Path, url: &str, email: &str, password: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["sync", "--server", url, "--email", email, "--password-stdin", "--data"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn verify_audit(data: &std::path::Path, company: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["verify-audit", "--company", company, "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_downloads_a_company_and_prints_the_servers_figures() {
    let server_dir = tempfile::tempdir().unwrap();
    let accounts = {
        let storage = SqliteStorage::open(server_dir.path()).unwrap();
        comptoir_server::demo::seed(&storage, &server_dir.path().join("work"), &DemoSize::with_records(800), None, None)
            .unwrap()
    };
    let state = comptoir_server::open_state(server_dir.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(comptoir_server::serve(listener, state, std::future::pending()));
    let data = tempfile::tempdir().unwrap();
    let (large, large_name, _) = accounts.companies[1].clone();

    let (email, password) = (accounts.email.clone(), accounts.password.clone());
    let (dir, u) = (data.path().to_owned(), url.clone());
    // The account has two companies: without --company it says which there are.
    let output = tokio::task::spawn_blocking(move || sync(&dir, &u, &email, &password, &[])).await.unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--company") && stderr(&output).contains(&large_name), "{}", stderr(&output));

    let (email, password) = (accounts.email.clone(), accounts.password.clone());
    let (dir, u, name) = (data.path().to_owned(), url.clone(), large_name.clone());
    let output =
        tokio::task::spawn_blocking(move || sync(&dir, &u, &email, &password, &["--company", &name, "--json"]))
            .await
            .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("100 %"), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let server_stats = || {
        let storage = SqliteStorage::open(server_dir.path()).unwrap();
        serde_json::to_value(
            comptoir_server::admin::stats(&storage, large)
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
    let (email, password) = (accounts.email.clone(), accounts.password.clone());
    let (dir, u, id) = (data.path().to_owned(), url.clone(), large.to_string());
    let output = tokio::task::spawn_blocking(move || sync(&dir, &u, &email, &password, &["--company", &id, "--json"]))
        .await
        .unwrap();
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
    let (email, dir, u) = (accounts.email.clone(), data.path().to_owned(), url.clone());
    let output = tokio::task::spawn_blocking(move || sync(&dir, &u, &email, "pas le bon", &[])).await.unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("password is wrong"), "{}", stderr(&output));
    let (email, password, dir, u) =
        (accounts.totp_email.clone(), accounts.totp_password.clone(), data.path().to_owned(), url.clone());
    let output = tokio::task::spawn_blocking(move || sync(&dir, &u, &email, &password, &[])).await.unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--totp"), "{}", stderr(&output));
    // An unreachable server says what to check.
    let dir = data.path().to_owned();
    let output =
        tokio::task::spawn_blocking(move || sync(&dir, "http://127.0.0.1:9", "a@b.fr", "x", &[])).await.unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot be reached"), "{}", stderr(&output));
}
