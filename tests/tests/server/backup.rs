//! Backups of the server's database taken while it serves, and their restore.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use comptoir_core::model::{CompanyId, Contact, ContactId, Role};
use comptoir_core::sync::{Intent, Mutation, Outcome, RecordBody, RecordKind};
use comptoir_server::admin;
use comptoir_server::storage::{PageLimit, SqliteStorage, Storage, StorageError};
use comptoir_tests::api::PASSWORD;
use serde_json::json;

use super::cli_admin::{run, stdout};
use uuid::Uuid;

fn contact(name: &str) -> Contact {
    comptoir_tests::fixtures::new_contact(name)
}

/// A company with its owner claire@atelier.fr.
fn company_with_owner(storage: &dyn Storage) -> CompanyId {
    admin::create_user(storage, "claire@atelier.fr", PASSWORD, "").unwrap();
    let company = admin::create_company(storage, "Atelier", "FR").unwrap();
    admin::add_member(storage, company, "claire@atelier.fr", Role::Owner).unwrap();
    company
}

/// Opens a backup file as a server's storage (a copy of it, in a folder of its own).
fn open_backup(backup: &Path) -> (tempfile::TempDir, SqliteStorage) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(backup, dir.path().join("server.sqlite")).unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    (dir, storage)
}

fn contacts_in(storage: &dyn Storage, company: CompanyId) -> BTreeSet<ContactId> {
    let page = storage.changes_after(company, 0, PageLimit::count(u32::MAX)).unwrap();
    page.changes.iter().filter(|c| c.kind == RecordKind::Contact && c.body.is_some()).map(|c| ContactId(c.id)).collect()
}

fn integrity(path: &Path) -> String {
    rusqlite::Connection::open(path).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_holds_what_was_acknowledged_before_it() {
    let (server, _) = crate::empty_server();
    let storage = Arc::clone(server.storage());
    let company = company_with_owner(storage.as_ref());
    // Some weight, so that a backup takes long enough for writes to land meanwhile.
    storage
        .in_company(company, &mut |tx| {
            for i in 0..3_000 {
                let body =
                    serde_json::to_string(&RecordBody::Contact(contact(&format!("Client {i:04} {}", "·".repeat(500)))))
                        .unwrap();
                tx.put(RecordKind::Contact, Uuid::now_v7(), Some(&body))?;
            }
            Ok(())
        })
        .unwrap();
    let token = server.signed_in("claire@atelier.fr", PASSWORD).await["access_token"].as_str().unwrap().to_owned();

    // A device pushes contacts, one request at a time, until told to stop.
    let acknowledged = Arc::new(Mutex::new(Vec::<ContactId>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (http, url, acknowledged, stop) =
            (server.http().clone(), server.url.clone(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let client_id = Uuid::now_v7();
            for mutation_id in 1.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let contact = contact(&format!("Pushed {mutation_id}"));
                let id = contact.id;
                let mutation = Mutation { client_id, mutation_id, intent: Intent::CreateContact { contact } };
                let outcome = crate::push_one(&http, &url, company, &token, &mutation).await;
                assert!(matches!(outcome, Outcome::Applied { .. }));
                acknowledged.lock().unwrap().push(id);
            }
        })
    };
    let acknowledged_now = || acknowledged.lock().unwrap().clone();
    while acknowledged_now().len() < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let out = tempfile::tempdir().unwrap();
    let mut overlapped = 0;
    for attempt in 0..5 {
        let before = acknowledged_now();
        let file = out.path().join(format!("backup-{attempt}.sqlite"));
        let (data, path) = (server.data_dir().to_path_buf(), file.clone());
        let summary = tokio::task::spawn_blocking(move || admin::backup(&data, &path)).await.unwrap().unwrap();
        let after = acknowledged_now();
        if after.len() > before.len() {
            overlapped += 1;
        }
        assert_eq!(
            (summary.path.as_path(), summary.companies, summary.schema_version),
            (file.as_path(), 1, comptoir_server::storage::SCHEMA_VERSION)
        );
        assert_eq!(summary.bytes, std::fs::metadata(&file).unwrap().len());
        assert_eq!(integrity(&file), "ok");

        // Everything acknowledged before the backup started is in it; nothing in it was
        // not pushed; its log is whole (its seq is its last change's, its audit chain
        // verifies to its head).
        let (_dir, copy) = open_backup(&file);
        let held = contacts_in(&copy, company);
        assert!(before.iter().all(|id| held.contains(id)), "attempt {attempt}: an acknowledged change is missing");
        let pushed: BTreeSet<ContactId> = after.iter().copied().collect();
        let seeded = 3_000;
        assert!(held.len() >= seeded + before.len() && held.len() <= seeded + after.len() + 1);
        assert!(held.iter().filter(|id| !pushed.contains(id)).count() <= seeded + 1);
        let log = copy.log_state(company).unwrap().unwrap();
        let last = copy.changes_after(company, 0, PageLimit::count(u32::MAX)).unwrap().changes.last().unwrap().seq;
        assert_eq!(log.seq, last, "the log's seq is its last change's");
        assert_eq!(admin::verify_audit(&copy, company).unwrap(), log.audit_seq);
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(overlapped > 0, "pushes were acknowledged while a backup ran");

    // A backup never overwrites a file.
    let existing = out.path().join("backup-0.sqlite");
    let data = server.data_dir().to_path_buf();
    let error = admin::backup(&data, &existing).unwrap_err().to_string();
    assert!(error.contains("already exists"), "{error}");
}

#[test]
fn a_restore_brings_back_the_backup_with_new_epochs_and_keeps_the_replaced_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("server-backup.sqlite");
    let storage = SqliteStorage::open(dir.path()).unwrap();
    let company = company_with_owner(&storage);
    let other = admin::create_company(&storage, "Boutique", "BE").unwrap();
    let at_backup = storage.log_state(company).unwrap().unwrap();
    let epoch_of_other = storage.log_state(other).unwrap().unwrap().epoch;
    admin::backup(dir.path(), &backup).unwrap();
    // Changes after the backup.
    admin::create_user(&storage, "marc@atelier.fr", PASSWORD, "").unwrap();
    admin::add_member(&storage, company, "marc@atelier.fr", Role::Sales).unwrap();
    assert!(storage.log_state(company).unwrap().unwrap().seq > at_backup.seq);

    // Not while the storage is open (a server serving the folder).
    let refused = admin::restore(dir.path(), &backup, false).unwrap_err();
    assert!(
        matches!(&refused, admin::AdminError::Storage(StorageError::Refused(m)) if m.contains("in use")),
        "{refused}"
    );
    drop(storage);

    let restored = admin::restore(dir.path(), &backup, false).unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    let epochs: std::collections::BTreeMap<CompanyId, Uuid> = restored.companies.iter().copied().collect();
    assert_eq!(epochs.len(), 2, "every company");
    let log = storage.log_state(company).unwrap().unwrap();
    assert_eq!(log.epoch, epochs[&company]);
    assert_ne!(log.epoch, at_backup.epoch, "a new epoch");
    assert_ne!(storage.log_state(other).unwrap().unwrap().epoch, epoch_of_other);
    assert_eq!((log.seq, log.audit_seq, &log.audit_hash), (at_backup.seq, at_backup.audit_seq, &at_backup.audit_hash));
    assert!(storage.user_by_email("marc@atelier.fr").unwrap().is_none(), "what came after the backup is gone");
    assert_eq!(admin::verify_audit(&storage, company).unwrap(), at_backup.audit_seq);
    assert_eq!(integrity(&dir.path().join("server.sqlite")), "ok");
    assert!(!dir.path().join("server.sqlite.restoring").exists());
    // The replaced database is kept, with what came after the backup.
    let previous = restored.previous.unwrap();
    let (_kept, kept) = open_backup(&previous);
    assert!(kept.user_by_email("marc@atelier.fr").unwrap().is_some());

    // Into an empty folder (a new machine): nothing to keep aside, epochs new again.
    let fresh = tempfile::tempdir().unwrap();
    let again = admin::restore(fresh.path(), &backup, false).unwrap();
    assert_eq!(again.previous, None);
    let moved = SqliteStorage::open(fresh.path()).unwrap();
    let epoch = moved.log_state(company).unwrap().unwrap().epoch;
    assert!(epoch != at_backup.epoch && epoch != epochs[&company]);
    assert_eq!(moved.user_by_email("claire@atelier.fr").unwrap().unwrap().email, "claire@atelier.fr");
}

#[test]
fn a_restore_refuses_what_is_not_a_server_backup_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    let company = company_with_owner(&storage);
    let epoch = storage.log_state(company).unwrap().unwrap().epoch;
    drop(storage);
    let out = tempfile::tempdir().unwrap();
    let garbage = out.path().join("garbage.sqlite");
    std::fs::write(&garbage, b"not a database at all, only words").unwrap();
    let company_file = out.path().join("company.sqlite");
    rusqlite::Connection::open(&company_file)
        .unwrap()
        .execute_batch("PRAGMA application_id = 1129140308; CREATE TABLE documents (id BLOB);")
        .unwrap();
    for (file, expected) in [
        (garbage, "not a usable server backup"),
        (company_file, "not a Comptoir server database"),
        (out.path().join("missing.sqlite"), "does not exist"),
    ] {
        let error = admin::restore(dir.path(), &file, false).unwrap_err().to_string();
        assert!(error.contains(expected), "{}: {error}", file.display());
    }
    let storage = SqliteStorage::open(dir.path()).unwrap();
    assert_eq!(storage.log_state(company).unwrap().unwrap().epoch, epoch, "unchanged");
}

/// Pulls the whole of `company` as `client`; the head the server signed, from the last page.
async fn signed_head(
    client: &comptoir_core::sync::SyncClient,
    company: CompanyId,
) -> comptoir_core::audit::SignedAuditHead {
    let (mut after, mut epoch) = (0, None);
    loop {
        let page = client.pull(company, after, epoch, 1_000, false).await.unwrap();
        if !page.has_more {
            return page.audit_head.unwrap_or_else(|| panic!("the last page carries the signed head"));
        }
        (after, epoch) = (page.cursor.seq, Some(page.epoch));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_keeps_the_keys_so_two_factor_and_audit_signatures_survive_a_lost_data_folder() {
    let mut server = crate::builder().demo(60).start().unwrap();
    let accounts = server.accounts.clone();
    let company = server.company();
    let mut client = comptoir_core::sync::SyncClient::new(&server.url).unwrap();
    client.login(&accounts.email, &accounts.password).await.unwrap();
    let head_before = signed_head(&client, company).await;
    let key_before = server.audit_key().to_owned();
    assert!(head_before.signed_by(&key_before));

    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("server-backup.sqlite");
    let summary = server.backup(&backup).unwrap();
    let keys = admin::keys_folder(&backup);
    assert_eq!(summary.keys, vec![keys.join("server.key"), keys.join("audit-signing.key")]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&keys), 0o700, "the keys folder is its owner's only");
        assert!(summary.keys.iter().all(|k| mode(k) == 0o600), "each key is its owner's only");
    }

    // The data folder is lost whole: database and keys.
    server.stop();
    let data = server.data_dir().to_path_buf();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        // The stopping server closes its files meanwhile (its WAL goes away on its own).
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        assert!(removed.is_ok() || !path.exists(), "{}: {removed:?}", path.display());
    }
    let restored = server.restore(&backup).unwrap();
    assert_eq!(
        restored.keys,
        vec![
            admin::KeyRestored::Written(data.join("server.key")),
            admin::KeyRestored::Written(data.join("audit-signing.key"))
        ]
    );

    // The two-factor secret opens with the restored key: the user signs in with a code.
    let (status, step) = server.login(&accounts.totp_email, &accounts.totp_password).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{step}");
    let challenge = step["challenge"].as_str().expect("a two-factor step").to_owned();
    let code = comptoir_tests::totp_code(&accounts.totp_secret, server.now()).unwrap();
    let (status, body) = server.post("/v1/auth/totp", json!({"challenge": challenge, "code": code}), None).await;
    assert_eq!(status, reqwest::StatusCode::OK, "signed in with a code after the restore: {body}");

    // The server signs with the same key: the head copies hold from before still verifies,
    // and so does the new one, over the same chain.
    assert_eq!(server.audit_key(), key_before);
    assert!(head_before.signed_by(server.audit_key()), "the old signed head verifies with the restored key");
    client.login(&accounts.email, &accounts.password).await.unwrap();
    let head_after = signed_head(&client, company).await;
    assert!(head_after.signed_by(&key_before));
    assert!(head_after.seq >= head_before.seq, "the chain restored goes on from the old head");
    assert!(admin::verify_audit(server.storage().as_ref(), company).unwrap() > 0);
}

#[test]
fn a_restore_refuses_to_replace_another_key_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    company_with_owner(&storage);
    drop(storage);
    comptoir_server::server_key::ServerKey::load_or_create(dir.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("b.sqlite");
    admin::backup(dir.path(), &backup).unwrap();
    let ours = std::fs::read(dir.path().join("server.key")).unwrap();

    // Another server's folder, with a key of its own: refused, nothing changed.
    let other = tempfile::tempdir().unwrap();
    comptoir_server::server_key::ServerKey::load_or_create(other.path()).unwrap();
    let theirs = std::fs::read(other.path().join("server.key")).unwrap();
    let error = admin::restore(other.path(), &backup, false).unwrap_err().to_string();
    assert!(error.contains("another key") && error.contains("--replace-keys"), "{error}");
    assert!(!other.path().join("server.sqlite").exists(), "a refused restore changes nothing");
    assert_eq!(std::fs::read(other.path().join("server.key")).unwrap(), theirs);

    // Asked to: the backup's key is in place, the other kept aside.
    let restored = admin::restore(other.path(), &backup, true).unwrap();
    assert_eq!(std::fs::read(other.path().join("server.key")).unwrap(), ours);
    let [admin::KeyRestored::Replaced { previous, .. }] = restored.keys.as_slice() else {
        panic!("{:?}", restored.keys)
    };
    assert_eq!(std::fs::read(previous).unwrap(), theirs);
}

#[test]
fn admin_backup_runs_beside_the_server_and_restore_waits_for_it_to_stop() {
    let place = crate::place();
    let data = &place;
    stdout(&run(data, &["create-user", "--email", "claire@atelier.fr", "--password-stdin"], "mot de passe solide\n"));
    let company = stdout(&run(data, &["create-company", "--name", "Atelier", "--country", "FR"], ""));
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("atelier.backup");
    let backup_arg = backup.to_str().unwrap();

    let comptoir_tests::process::ServerProcess { child: mut server, stdout: _stdout, .. } =
        comptoir_tests::process::serve(crate::SERVER_BIN, place.path(), &[]).unwrap();
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
