//! The storage outlives a request that panics in the middle of a company transaction:
//! the lock is taken back, the half-done transaction is rolled back, and every other
//! company (and the same one) is served as before.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir_core::sync::RecordKind;
use comptoir_server::admin;
use comptoir_server::storage::{SqliteStorage, Storage};
use uuid::Uuid;

#[test]
fn a_panic_inside_a_company_transaction_harms_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    let a = admin::create_company(&storage, "Atelier A", "FR").unwrap();
    let b = admin::create_company(&storage, "Boutique B", "BE").unwrap();
    let before = storage.log_state(a).unwrap().unwrap();

    // A handler's bug: it writes, then panics while holding the storage.
    let written = Uuid::now_v7();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        storage
            .in_company(a, &mut |tx| {
                tx.put(RecordKind::Contact, written, Some("{}"))?;
                panic!("a bug in the middle of a write");
            })
            .unwrap();
    }));
    assert!(outcome.is_err(), "the work panicked");

    // Nothing of the panicked transaction stayed, and both companies are served.
    assert_eq!(storage.log_state(a).unwrap().unwrap(), before, "the half-done write was rolled back");
    assert!(storage.changes_after(a, 0, 100).unwrap().iter().all(|c| c.id != written));
    assert!(storage.log_state(b).unwrap().is_some());
    // And writes go on.
    storage
        .in_company(b, &mut |tx| {
            tx.put(RecordKind::Contact, Uuid::now_v7(), Some("{}"))?;
            Ok(())
        })
        .unwrap();
    let after_b = storage.changes_after(b, 0, 100).unwrap();
    assert!(after_b.iter().any(|c| c.kind == RecordKind::Contact), "company B took the write");
}
