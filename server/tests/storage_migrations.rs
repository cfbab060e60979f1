//! `server.sqlite` is versioned like the clients' files: a new database is at the latest
//! version, one created before the versions is recognised and upgraded with its data (a
//! copy kept aside), and a database of a newer server or of another application is
//! refused with a message that says so.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir_core::model::Role;
use comptoir_server::admin;
use comptoir_server::storage::{SCHEMA_VERSION, SqliteStorage, Storage};
use rusqlite::Connection;

fn database(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("server.sqlite")
}

fn pragma(dir: &std::path::Path, name: &str) -> i64 {
    Connection::open(database(dir)).unwrap().pragma_query_value(None, name, |r| r.get(0)).unwrap()
}

/// "CMPS"
const SERVER_APPLICATION_ID: i64 = 0x434D_5053;

#[test]
fn a_new_database_is_at_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStorage::open(dir.path()).unwrap());
    assert_eq!(pragma(dir.path(), "user_version"), i64::from(SCHEMA_VERSION));
    assert_eq!(pragma(dir.path(), "application_id"), SERVER_APPLICATION_ID);
    // Opening again changes nothing and copies nothing aside.
    drop(SqliteStorage::open(dir.path()).unwrap());
    assert_eq!(pragma(dir.path(), "user_version"), i64::from(SCHEMA_VERSION));
    let backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().to_string_lossy().ends_with(".backup"));
    assert_eq!(backups.count(), 0);
}

#[test]
fn an_unversioned_database_is_recognised_and_upgraded_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    // A database as the server wrote it before its schema had versions: the same tables
    // (version 1 is that schema, unchanged), no user_version, no application_id.
    let company = {
        let storage = SqliteStorage::open(dir.path()).unwrap();
        admin::create_user(&storage, "claire@atelier.fr", "mot de passe solide", "").unwrap();
        let company = admin::create_company(&storage, "Atelier", "FR").unwrap();
        admin::add_member(&storage, company, "claire@atelier.fr", Role::Owner).unwrap();
        company
    };
    let conn = Connection::open(database(dir.path())).unwrap();
    // What later versions added (2: record_refs; 3: the mutations' digests; 4: staged
    // posting parts; 5: invitations and devices; 6: company moves) was not there either.
    conn.execute_batch(
        "DROP TRIGGER record_refs_insert; DROP TRIGGER record_refs_update; DROP TABLE record_refs;
         ALTER TABLE mutations DROP COLUMN digest; DROP TABLE posting_parts;
         DROP TABLE company_moves; DROP TABLE devices; DROP TABLE invitations;
         PRAGMA user_version = 0; PRAGMA application_id = 0;",
    )
    .unwrap();
    drop(conn);
    let log_before = {
        let conn = Connection::open(database(dir.path())).unwrap();
        conn.query_row("SELECT seq, audit_seq, audit_hash FROM logs", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })
        .unwrap()
    };

    let storage = SqliteStorage::open(dir.path()).unwrap();
    assert_eq!(pragma(dir.path(), "user_version"), i64::from(SCHEMA_VERSION), "recognised as version 1, upgraded");
    assert_eq!(pragma(dir.path(), "application_id"), SERVER_APPLICATION_ID);
    // Its data is all there and works.
    let user = storage.user_by_email("claire@atelier.fr").unwrap().unwrap();
    assert_eq!(storage.memberships(user.id).unwrap().len(), 1);
    let log = storage.log_state(company).unwrap().unwrap();
    assert_eq!((i64::try_from(log.seq).unwrap(), i64::try_from(log.audit_seq).unwrap(), log.audit_hash), log_before);
    assert_eq!(admin::verify_audit(&storage, company).unwrap(), 2, "company created, member added");
    // A copy of the file as it was is kept beside it, as before any upgrade.
    let backup = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("server.sqlite.v0-"))
        .expect("a copy of the unversioned file");
    let copy = Connection::open(&backup).unwrap();
    let version: i64 = copy.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    let users: i64 = copy.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!((version, users), (0, 1));
}

#[test]
fn a_database_of_a_newer_server_or_another_application_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStorage::open(dir.path()).unwrap());
    Connection::open(database(dir.path())).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    let error = SqliteStorage::open(dir.path()).unwrap_err().to_string();
    assert!(error.contains("newer version") && error.contains("99"), "{error}");

    let other = tempfile::tempdir().unwrap();
    // A client's company file ("CMPT") put where the server's database goes.
    Connection::open(database(other.path()))
        .unwrap()
        .execute_batch("PRAGMA application_id = 1129140308; CREATE TABLE t (x);")
        .unwrap();
    let error = SqliteStorage::open(other.path()).unwrap_err().to_string();
    assert!(error.contains("not a Comptoir server database"), "{error}");
}
