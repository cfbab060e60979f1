//! How the server's SQLite file keeps two-factor secrets: sealed on start when an older
//! version wrote them in clear, and unreadable without the key of the folder they came
//! from. (PostgreSQL keeps them sealed the same way: `auth_concurrency`.)

use comptoir_server::admin;
use comptoir_server::server_key;
use comptoir_server::storage::{SqliteStorage, Storage as _};
use comptoir_tests::api::PASSWORD;
use comptoir_tests::contains_bytes;

#[test]
fn secrets_stored_in_clear_by_an_older_version_are_sealed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let user = {
        let storage = SqliteStorage::open(dir.path()).unwrap();
        admin::create_user(&storage, "lea@studio.fr", PASSWORD, "").unwrap()
    };
    // What an older version wrote: the secret as it is.
    let secret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";
    {
        let conn = rusqlite::Connection::open(dir.path().join("server.sqlite")).unwrap();
        conn.execute("UPDATE users SET totp_secret = ?1, totp_enabled = 1", [secret]).unwrap();
    }
    assert!(contains_bytes(&crate::sqlite_bytes(dir.path()), secret));

    let storage = SqliteStorage::open(dir.path()).unwrap();
    assert_eq!(storage.user(user).unwrap().unwrap().totp_secret.as_deref(), Some(secret), "still the same secret");
    drop(storage);
    let conn = rusqlite::Connection::open(dir.path().join("server.sqlite")).unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
    let stored: String = conn.query_row("SELECT totp_secret FROM users", [], |r| r.get(0)).unwrap();
    assert!(stored.starts_with("enc1:"), "{stored}");
    drop(conn);
    assert!(!contains_bytes(&crate::sqlite_bytes(dir.path()), secret), "no copy left in the file's bytes");
}

#[test]
fn a_database_moved_without_its_key_refuses_to_read_the_secrets_rather_than_guess() {
    let dir = tempfile::tempdir().unwrap();
    let user = {
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let user = admin::create_user(&storage, "lea@studio.fr", PASSWORD, "").unwrap();
        assert!(storage.set_totp_secret(user, "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU").unwrap());
        user
    };
    // The database alone, in a new folder: a new key is made there, which opens nothing.
    let moved = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("server.sqlite")).unwrap();
    conn.execute("VACUUM INTO ?1", [moved.path().join("server.sqlite").to_str().unwrap()]).unwrap();
    let storage = SqliteStorage::open(moved.path()).unwrap();
    let error = storage.user(user).unwrap_err();
    assert!(error.to_string().contains("another server key"), "{error}");
    // With its own key back, everything reads again.
    drop(storage);
    std::fs::copy(dir.path().join(server_key::KEY_FILE), moved.path().join(server_key::KEY_FILE)).unwrap();
    let storage = SqliteStorage::open(moved.path()).unwrap();
    assert_eq!(storage.user(user).unwrap().unwrap().totp_secret.as_deref(), Some("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"));
}
