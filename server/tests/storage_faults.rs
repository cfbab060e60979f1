//! The storage outlives a request that panics in the middle of a company transaction:
//! the lock is taken back, the half-done transaction is rolled back, and every other
//! company (and the same one) is served as before.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir_core::sync::RecordKind;
use comptoir_server::admin;
use comptoir_server::storage::{PageLimit, SqliteStorage, Storage};
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
    assert!(storage.changes_after(a, 0, PageLimit::count(100)).unwrap().changes.iter().all(|c| c.id != written));
    assert!(storage.log_state(b).unwrap().is_some());
    // And writes go on.
    storage
        .in_company(b, &mut |tx| {
            tx.put(RecordKind::Contact, Uuid::now_v7(), Some("{}"))?;
            Ok(())
        })
        .unwrap();
    let after_b = storage.changes_after(b, 0, PageLimit::count(100)).unwrap().changes;
    assert!(after_b.iter().any(|c| c.kind == RecordKind::Contact), "company B took the write");
}

/// A unit of work that fails at its last step leaves nothing of its earlier ones: no
/// account, no company, no membership, no log.
#[test]
fn a_failed_unit_of_work_leaves_nothing() {
    use comptoir_core::model::{CompanyId, Role};
    use comptoir_server::storage::{CompanyRecord, StorageError, UserRecord, unit_of_work};

    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path()).unwrap();
    let user = UserRecord::new("lea@atelier.fr", None, "not a real hash".into());
    let company = CompanyRecord {
        id: CompanyId::new(),
        name: "Atelier".into(),
        country: "FR".into(),
        created_at: chrono::Utc::now(),
    };
    let failed = unit_of_work(&storage, |tx| {
        tx.create_user(&user)?;
        tx.create_company(&company, Uuid::now_v7())?;
        tx.set_member(company.id, user.id, Role::Owner)?;
        tx.in_company(company.id, &mut |log| {
            log.put(RecordKind::Contact, Uuid::now_v7(), Some("{}"))?;
            Ok(())
        })?;
        assert_eq!(tx.members(company.id)?.len(), 1, "the transaction sees its own writes");
        Err::<(), _>(StorageError::Backend("a fault injected at the last step".into()))
    });
    assert!(matches!(failed, Err(StorageError::Backend(m)) if m.contains("injected")), "its own error");
    assert!(storage.user_by_email("lea@atelier.fr").unwrap().is_none());
    assert!(storage.company(company.id).unwrap().is_none());
    assert!(storage.log_state(company.id).unwrap().is_none());
    assert!(storage.memberships(user.id).unwrap().is_empty());

    // The same work, succeeding, commits whole and returns its value.
    let members = unit_of_work(&storage, |tx| {
        tx.create_user(&user)?;
        tx.create_company(&company, Uuid::now_v7())?;
        tx.set_member(company.id, user.id, Role::Owner)?;
        tx.members(company.id).map(|m| m.len())
    })
    .unwrap();
    assert_eq!(members, 1);
    assert_eq!(storage.memberships(user.id).unwrap().len(), 1);
    assert_eq!(storage.log_state(company.id).unwrap().unwrap().seq, 0);
}
