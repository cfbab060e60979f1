//! The storage's contract, on both backends (`sqlite::storage_backends::…` and
//! `postgres::storage_backends::…`, each with a database of its own). What one backend guarantees
//! by running one writer at a time, the other must guarantee with locks: gapless seqs
//! under concurrent writers, a puller that never skips a change, one refresh-token
//! rotation winning, a company keeping an owner.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use chrono::{NaiveDate, TimeDelta, Utc};
use comptoir_core::model::{CompanyId, Role, UserId};
use comptoir_core::sync::RecordKind;
use comptoir_server::storage::{
    PageLimit, Rotation, SessionRecord, StagedPart, StagedParts, Storage, StorageError, UserRecord, unit_of_work,
};
use uuid::Uuid;

/// A storage of the backend under test, and what keeps it alive (its place).
struct Backend {
    storage: Arc<dyn Storage>,
    _place: comptoir_tests::StoragePlace,
}

fn backend() -> Backend {
    let place = crate::place();
    Backend { storage: place.open().unwrap(), _place: place }
}

/// A test of the storage's contract for each function named, run on this binary's backend.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod contract {
            $(#[test] fn $name() { super::$name(&super::backend()); })*
        }
    };
}

contract_tests!(
    seqs_stay_gapless_and_a_puller_never_skips_a_change,
    references_are_kept_as_records_change,
    a_company_keeps_an_owner_when_two_owners_leave_at_once,
    a_refresh_token_rotates_once_and_its_reuse_revokes_the_session,
    staged_parts_are_kept_per_company_and_dropped_as_asked,
    a_failed_savepoint_undoes_its_writes_and_the_transaction_goes_on,
    a_taken_email_leaves_the_unit_of_work_usable,
    a_company_is_exported_whole,
    the_storage_is_called_from_async_code_as_from_a_thread,
);

fn company(storage: &dyn Storage, name: &str) -> CompanyId {
    comptoir_server::admin::create_company(storage, name, "FR").unwrap()
}

fn user(storage: &dyn Storage, email: &str) -> UserId {
    let user = UserRecord::new(email, None, "hash".into());
    storage.create_user(&user).unwrap();
    user.id
}

fn seqs_stay_gapless_and_a_puller_never_skips_a_change(backend: &Backend) {
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let storage = &backend.storage;
    let company = company(storage.as_ref(), "Concurrente");
    let start = storage.log_state(company).unwrap().unwrap().seq;
    let barrier = Arc::new(Barrier::new(WRITERS + 1));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The puller reads as the writers write, from its cursor on.
    let puller = {
        let (storage, done) = (Arc::clone(storage), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut cursor = start;
            let mut seen = BTreeSet::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = storage.changes_after(company, cursor, PageLimit::count(50)).unwrap();
                for change in &page.changes {
                    assert!(change.seq > cursor);
                    cursor = change.seq;
                    seen.insert(change.id);
                }
                if finished && page.changes.is_empty() {
                    return seen;
                }
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (storage, barrier) = (Arc::clone(storage), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let mut written = Vec::new();
                for _ in 0..EACH {
                    let id = Uuid::now_v7();
                    let mut number = 0;
                    storage
                        .in_company(company, &mut |tx| {
                            // An invoice number: the next one, claimed in the same transaction.
                            let seq = tx.put(RecordKind::Contact, id, Some(r#"{"kind":"contact"}"#))?;
                            number = seq - start;
                            assert!(tx.claim_key("invoice", &number.to_string(), id)?);
                            Ok(())
                        })
                        .unwrap();
                    written.push((id, number));
                }
                written
            })
        })
        .collect();
    barrier.wait();
    let written: Vec<(Uuid, u64)> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = puller.join().unwrap();

    let total = u64::try_from(WRITERS * EACH).unwrap();
    let numbers: BTreeSet<u64> = written.iter().map(|(_, n)| *n).collect();
    assert_eq!(numbers, (1..=total).collect(), "numbers 1..{total}, no gap, no duplicate");
    assert_eq!(storage.log_state(company).unwrap().unwrap().seq, start + total);
    let ids: BTreeSet<Uuid> = written.iter().map(|(id, _)| *id).collect();
    assert_eq!(seen, ids, "the puller saw every change");
}

fn referenced(storage: &dyn Storage, company: CompanyId, id: Uuid) -> bool {
    let mut answer = false;
    storage
        .in_company(company, &mut |tx| {
            answer = tx.is_referenced(RecordKind::Contact, id)?;
            Ok(())
        })
        .unwrap();
    answer
}

fn references_are_kept_as_records_change(backend: &Backend) {
    let storage = backend.storage.as_ref();
    let company = company(storage, "Références");
    let (customer, article, payer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let document = format!(
        r#"{{"kind":"document","record":{{"document":{{"contact_id":"{customer}",
            "lines":[{{"article_id":"{article}"}},{{"article_id":null}},{{"article_id":"{article}"}}]}}}}}}"#
    );
    let payment = format!(r#"{{"kind":"payment","record":{{"contact_id":"{payer}"}}}}"#);
    let (document_id, payment_id) = (Uuid::now_v7(), Uuid::now_v7());
    storage
        .in_company(company, &mut |tx| {
            tx.put(RecordKind::Document, document_id, Some(&document))?;
            tx.put(RecordKind::Payment, payment_id, Some(&payment))?;
            Ok(())
        })
        .unwrap();
    for id in [customer, article, payer] {
        assert!(referenced(storage, company, id), "{id}");
    }
    assert!(!referenced(storage, company, Uuid::now_v7()));
    let without = document.replace(&article.to_string(), "x").replace(r#""article_id":"x""#, r#""article_id":null"#);
    storage.in_company(company, &mut |tx| tx.put(RecordKind::Document, document_id, Some(&without)).map(drop)).unwrap();
    assert!(!referenced(storage, company, article));
    assert!(referenced(storage, company, customer));
    storage.in_company(company, &mut |tx| tx.put(RecordKind::Document, document_id, None).map(drop)).unwrap();
    assert!(!referenced(storage, company, customer));
    assert!(referenced(storage, company, payer));
    // The body is kept byte for byte (its checksum is taken over it).
    storage
        .in_company(company, &mut |tx| {
            assert_eq!(tx.get(RecordKind::Payment, payment_id)?.unwrap().body.as_deref(), Some(payment.as_str()));
            Ok(())
        })
        .unwrap();
}

fn a_company_keeps_an_owner_when_two_owners_leave_at_once(backend: &Backend) {
    let storage = &backend.storage;
    let company = company(storage.as_ref(), "Deux gérants");
    let (first, second) = (user(storage.as_ref(), "un@example.org"), user(storage.as_ref(), "deux@example.org"));
    for owner in [first, second] {
        storage.transaction(&mut |tx| tx.set_member(company, owner, Role::Owner)).unwrap();
    }
    for _ in 0..10 {
        let barrier = Arc::new(Barrier::new(2));
        let leaving: Vec<_> = [first, second]
            .into_iter()
            .map(|owner| {
                let (storage, barrier) = (Arc::clone(storage), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    storage.transaction(&mut |tx| tx.remove_member(company, owner))
                })
            })
            .collect();
        let results: Vec<_> = leaving.into_iter().map(|t| t.join().unwrap()).collect();
        let refused = results.iter().filter(|r| matches!(r, Err(StorageError::LastOwner))).count();
        assert_eq!((results.iter().filter(|r| r.is_ok()).count(), refused), (1, 1), "{results:?}");
        assert_eq!(storage.members(company).unwrap().iter().filter(|m| m.role == Role::Owner).count(), 1);
        // Both owners again for the next round.
        for owner in [first, second] {
            storage.transaction(&mut |tx| tx.set_member(company, owner, Role::Owner)).unwrap();
        }
    }
}

fn a_refresh_token_rotates_once_and_its_reuse_revokes_the_session(backend: &Backend) {
    let storage = &backend.storage;
    let owner = user(storage.as_ref(), "session@example.org");
    let now = Utc::now();
    for round in 0..10 {
        let session = SessionRecord {
            id: Uuid::now_v7(),
            user_id: owner,
            refresh_hash: format!("refresh-{round}"),
            refresh_expires_at: now + TimeDelta::days(30),
        };
        storage.create_session(&session).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let racing: Vec<_> = (0..2)
            .map(|n| {
                let (storage, barrier, old) = (Arc::clone(storage), Arc::clone(&barrier), session.refresh_hash.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    storage.rotate_refresh(&old, &format!("new-{round}-{n}"), now + TimeDelta::days(30), now).unwrap()
                })
            })
            .collect();
        let rotations: Vec<Rotation> = racing.into_iter().map(|t| t.join().unwrap()).collect();
        let rotated = rotations.iter().filter(|r| matches!(r, Rotation::Rotated(_))).count();
        let reused = rotations.iter().filter(|r| matches!(r, Rotation::Reused)).count();
        assert_eq!((rotated, reused), (1, 1), "{rotations:?}");
        // The reuse revoked the session: the winner's new token no longer rotates.
        let Some(Rotation::Rotated(won)) = rotations.into_iter().find(|r| matches!(r, Rotation::Rotated(_))) else {
            unreachable!()
        };
        let again = storage.rotate_refresh(&won.refresh_hash, "later", now + TimeDelta::days(30), now).unwrap();
        assert!(matches!(again, Rotation::Invalid), "{again:?}");
    }
}

fn staged(part: u32, from: Option<NaiveDate>, staged_at: chrono::DateTime<Utc>, bytes: u64) -> StagedPart {
    let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    StagedPart { part, from, to, staged_at, entries: 2, bytes }
}

fn staged_parts_are_kept_per_company_and_dropped_as_asked(backend: &Backend) {
    let storage = backend.storage.as_ref();
    let (a, b) = (company(storage, "A"), company(storage, "B"));
    // Microseconds: both backends keep times to the microsecond.
    let now = chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap();
    let old = now - TimeDelta::hours(25);
    let (first, second, third) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let other_period = NaiveDate::from_ymd_opt(2026, 1, 1);
    storage
        .in_company(a, &mut |tx| {
            tx.stage_part(first, &staged(2, None, now, 20), "[2]")?;
            tx.stage_part(first, &staged(1, None, now, 10), "[1]")?;
            tx.stage_part(second, &staged(1, other_period, old, 5), "[]")?;
            tx.stage_part(third, &staged(1, None, now, 7), "[]")
        })
        .unwrap();
    storage.in_company(b, &mut |tx| tx.stage_part(first, &staged(1, None, old, 100), "[b]")).unwrap();
    storage
        .in_company(a, &mut |tx| {
            assert_eq!(tx.staged_parts(first)?, vec![staged(1, None, now, 10), staged(2, None, now, 20)]);
            assert_eq!(tx.staged_entries(first, 2)?.as_deref(), Some("[2]"));
            assert_eq!(tx.staged_entries(first, 3)?, None);
            assert_eq!(tx.staged_bytes()?, 42);
            assert_eq!(tx.drop_parts(StagedParts::StagedBefore(now - TimeDelta::hours(24)))?, 1);
            assert!(tx.staged_parts(second)?.is_empty());
            let period = StagedParts::OtherPostingsOf { keep: first, from: None, to: staged(1, None, now, 0).to };
            assert_eq!(tx.drop_parts(period)?, 1);
            assert!(tx.staged_parts(third)?.is_empty());
            assert_eq!(tx.drop_parts(StagedParts::Of(first))?, 2);
            assert_eq!(tx.staged_bytes()?, 0);
            Ok(())
        })
        .unwrap();
    storage
        .in_company(b, &mut |tx| {
            assert_eq!(tx.staged_bytes()?, 100);
            assert_eq!(tx.staged_entries(first, 1)?.as_deref(), Some("[b]"));
            Ok(())
        })
        .unwrap();
}

fn a_failed_savepoint_undoes_its_writes_and_the_transaction_goes_on(backend: &Backend) {
    let storage = backend.storage.as_ref();
    let company = company(storage, "Points de reprise");
    let start = storage.log_state(company).unwrap().unwrap().seq;
    let (kept, undone) = (Uuid::now_v7(), Uuid::now_v7());
    storage
        .in_company(company, &mut |tx| {
            tx.put(RecordKind::Contact, kept, Some("{}"))?;
            let failed = tx.savepoint(&mut |tx| {
                tx.put(RecordKind::Contact, undone, Some("{}"))?;
                assert!(tx.claim_key("code", "A1", undone)?);
                Err(StorageError::Abort)
            });
            assert!(matches!(failed, Err(StorageError::Abort)));
            assert_eq!(tx.state().seq, start + 1, "the log's state is back too");
            assert!(tx.get(RecordKind::Contact, undone)?.is_none());
            assert!(tx.claim_key("code", "A1", kept)?, "the key is free again");
            tx.put(RecordKind::Contact, kept, Some(r#"{"again":true}"#)).map(drop)
        })
        .unwrap();
    let page = storage.changes_after(company, start, PageLimit::count(10)).unwrap();
    assert_eq!(page.changes.iter().map(|c| (c.id, c.seq)).collect::<Vec<_>>(), vec![(kept, start + 2)]);
}

fn a_taken_email_leaves_the_unit_of_work_usable(backend: &Backend) {
    let storage = backend.storage.as_ref();
    user(storage, "pris@example.org");
    let created = unit_of_work(storage, |tx| {
        let taken = tx.create_user(&UserRecord::new("pris@example.org", None, "h".into()));
        assert!(matches!(taken, Err(StorageError::EmailTaken)), "{taken:?}");
        let other = UserRecord::new("libre@example.org", None, "h".into());
        tx.create_user(&other)?;
        Ok::<_, StorageError>(other.id)
    })
    .unwrap();
    assert_eq!(storage.user_by_email("libre@example.org").unwrap().map(|u| u.id), Some(created));
    assert!(matches!(
        storage.create_user(&UserRecord::new("pris@example.org", None, "h".into())),
        Err(StorageError::EmailTaken)
    ));
}

fn a_company_is_exported_whole(backend: &Backend) {
    let storage = backend.storage.as_ref();
    let company = company(storage, "Export");
    let owner = user(storage, "export@example.org");
    storage.transaction(&mut |tx| tx.set_member(company, owner, Role::Owner)).unwrap();
    let ids: Vec<Uuid> = (0..2_500).map(|_| Uuid::now_v7()).collect();
    storage
        .in_company(company, &mut |tx| {
            for (n, id) in ids.iter().enumerate() {
                tx.put(RecordKind::Article, *id, Some(&format!(r#"{{"n":{n}}}"#)))?;
                tx.claim_key("article_code", &format!("A{n:05}"), *id)?;
            }
            tx.save_outcome(Uuid::now_v7(), 1, "digest", r#"{"applied":true}"#)
        })
        .unwrap();
    let mut records = Vec::new();
    let (mut members, mut outcomes, mut keys) = (0, 0, 0);
    storage
        .export_company(company, &mut |item| {
            match item {
                comptoir_server::storage::ExportItem::Record(change) => records.push(change),
                comptoir_server::storage::ExportItem::Member(_) => members += 1,
                comptoir_server::storage::ExportItem::Outcome { .. } => outcomes += 1,
                comptoir_server::storage::ExportItem::Key { .. } => keys += 1,
                comptoir_server::storage::ExportItem::Company(..) => {}
            }
            Ok(())
        })
        .unwrap();
    let exported: Vec<Uuid> = records.iter().filter(|r| r.kind == RecordKind::Article).map(|r| r.id).collect();
    assert_eq!(exported, ids, "every record, in seq order");
    assert!(records.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!((members, outcomes, keys), (1, 1, 2_500));
}

/// Start-up code and tests call the storage from inside an async runtime, single-threaded
/// or not: it answers there as on a plain thread (and is dropped there without blocking).
fn the_storage_is_called_from_async_code_as_from_a_thread(backend: &Backend) {
    let storage = Arc::clone(&backend.storage);
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let company = current.block_on(async { company(storage.as_ref(), "Asynchrone") });
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let found = multi.block_on(async { storage.company(company).unwrap().map(|c| c.name) });
    assert_eq!(found.as_deref(), Some("Asynchrone"));
}
