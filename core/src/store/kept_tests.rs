//! The acknowledged edits an outbox keeps for a restored server (migration 0024), on real
//! SQLite files: kept and dated, never counted as waiting, forgotten after
//! [`KEPT_DAYS`] or past [`KEPT_MAX`], and made to wait again, under their original keys,
//! when the server's log is another one.

use chrono::{TimeDelta, TimeZone as _, Utc};
use tempfile::TempDir;
use uuid::Uuid;

use super::*;
use crate::demo;
use crate::model::{CompanyId, Country, DocumentId};
use crate::sync::{Cursor, Intent, Outcome, PushResult, RawPullPage};

fn new_store(dir: &TempDir) -> CompanyStore {
    let mut company = demo::demo_company(7, &Country::France);
    company.id = CompanyId::new();
    CompanyStore::create(&dir.path().join("kept.comptoir"), &company).unwrap()
}

fn empty_page(epoch: Uuid, seq: u64) -> RawPullPage {
    RawPullPage {
        epoch,
        changes: Vec::new(),
        cursor: Cursor { epoch, seq },
        has_more: false,
        remaining: None,
        audit_head: None,
    }
}

fn applied(client_id: Uuid, mutation_id: u64, seq: u64, number: Option<&str>) -> PushResult {
    PushResult { client_id, mutation_id, outcome: Outcome::Applied { seq, number: number.map(str::to_owned) } }
}

/// Queues `intent` without applying it here (the outbox alone is under test).
fn enqueue(store: &mut CompanyStore, intent: &Intent) -> u64 {
    store.write(|tx| tx.enqueue(intent, None)).unwrap()
}

#[test]
fn acknowledged_edits_are_kept_dated_and_forgotten_after_the_window() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let client = store.client_id().unwrap();
    let epoch = Uuid::now_v7();
    let first = enqueue(&mut store, &Intent::IssueDocument { id: DocumentId::new() });
    let second = enqueue(&mut store, &Intent::IssueDocument { id: DocumentId::new() });
    store.record_outcomes(&[applied(client, first, 3, Some("F-1")), applied(client, second, 4, Some("F-2"))]).unwrap();
    store.apply_pull_page(0, &empty_page(epoch, 4)).unwrap();
    assert_eq!(store.kept_count().unwrap(), 2);
    assert_eq!((store.pending_count().unwrap(), store.pending_edits().unwrap().len()), (0, 0), "not waiting");
    assert!(store.pending_mutations(10).unwrap().is_empty(), "not sent");

    // Dated by the first sync that finds them; kept 40 days from there, by that clock.
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    assert_eq!(store.expire_kept(start).unwrap(), 0);
    assert_eq!(store.expire_kept(start + TimeDelta::days(KEPT_DAYS) - TimeDelta::minutes(1)).unwrap(), 0);
    assert_eq!(store.kept_count().unwrap(), 2);
    assert_eq!(store.expire_kept(start + TimeDelta::days(KEPT_DAYS) + TimeDelta::minutes(1)).unwrap(), 2);
    assert_eq!(store.kept_count().unwrap(), 0);
    let third = enqueue(&mut store, &Intent::IssueDocument { id: DocumentId::new() });
    assert!(third > second, "mutation ids never go back, even with the outbox emptied");
}

#[test]
fn a_copy_keeps_at_most_the_newest_acknowledged_edits() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let epoch = Uuid::now_v7();
    let json = serde_json::to_string(&Intent::DeleteContact { id: crate::model::ContactId::new() }).unwrap();
    let extra = 25;
    store
        .write(|tx| {
            let mut insert = tx.connection().prepare(
                "INSERT INTO outbox (intent, created_at, state, applied_seq, acknowledged, applied_epoch)
                 VALUES (?1, '2026-11-01T09:00:00Z', 'applied', ?2, 1, ?3)",
            )?;
            for seq in 1..=KEPT_MAX + extra {
                insert.execute(rusqlite::params![json, i64::try_from(seq).unwrap(), epoch])?;
            }
            Ok(())
        })
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
    assert_eq!(store.expire_kept(now).unwrap(), extra);
    assert_eq!(store.kept_count().unwrap(), KEPT_MAX);
    let oldest: i64 = store
        .connection()
        .query_row("SELECT min(applied_seq) FROM outbox WHERE acknowledged = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(oldest, i64::try_from(extra + 1).unwrap(), "the oldest went");
}

#[test]
fn a_new_epoch_makes_the_kept_edits_wait_again_first_under_their_original_keys() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let (old_client, epoch) = (store.client_id().unwrap(), Uuid::now_v7());
    let (numbered, kept) = (DocumentId::new(), DocumentId::new());
    let first = enqueue(&mut store, &Intent::IssueDocument { id: numbered });
    let second = enqueue(&mut store, &Intent::IssueDocument { id: kept });
    store
        .record_outcomes(&[applied(old_client, first, 5, Some("F-7")), applied(old_client, second, 6, Some("F-8"))])
        .unwrap();
    store.apply_pull_page(0, &empty_page(epoch, 6)).unwrap();
    // Since then: the server found the client id shared and the copy took another; an
    // edit waits under it.
    let new_client = store.renew_client_id().unwrap();
    let waiting = enqueue(&mut store, &Intent::IssueDocument { id: DocumentId::new() });

    assert_eq!(store.replay_kept(Uuid::now_v7()).unwrap(), 0, "only the edits kept in that epoch");
    assert_eq!(store.replay_kept(epoch).unwrap(), 2);
    let again = store.pending_mutations(10).unwrap();
    let keys: Vec<(Uuid, u64)> = again.iter().map(|m| (m.client_id, m.mutation_id)).collect();
    assert_eq!(keys, [(old_client, first), (old_client, second), (new_client, waiting)], "in order, original keys");
    assert_eq!((store.kept_count().unwrap(), store.pending_count().unwrap()), (0, 3));

    // The restored server had the first (same number), lacked the second (another one).
    store
        .record_outcomes(&[applied(old_client, first, 5, Some("F-7")), applied(old_client, second, 9, Some("F-9"))])
        .unwrap();
    assert_eq!(
        store.renumbered().unwrap(),
        [Renumbering { document: kept, before: "F-8".into(), after: "F-9".into() }]
    );
    assert_eq!(store.replay_kept(epoch).unwrap(), 0, "sent again once: they are not kept in that epoch any more");
}

#[test]
fn an_edit_sent_again_and_refused_is_told_apart_from_other_refusals() {
    let dir = TempDir::new().unwrap();
    let mut store = new_store(&dir);
    let (client, epoch) = (store.client_id().unwrap(), Uuid::now_v7());
    let contact = crate::model::ContactId::new();
    let accepted = enqueue(&mut store, &Intent::DeleteContact { id: contact });
    let refused_then = enqueue(&mut store, &Intent::DeleteContact { id: contact });
    let refusal = |id| PushResult {
        client_id: client,
        mutation_id: id,
        outcome: Outcome::Rejected { code: "not_found".into(), message: "No such contact.".into() },
    };
    store.record_outcomes(&[applied(client, accepted, 2, None), refusal(refused_then)]).unwrap();
    store.apply_pull_page(0, &empty_page(epoch, 2)).unwrap();
    assert!(store.refused_replays().unwrap().is_empty(), "a refusal of the first send is not one");

    assert_eq!(store.replay_kept(epoch).unwrap(), 1);
    store.record_outcomes(&[refusal(accepted)]).unwrap();
    let told = store.refused_replays().unwrap();
    assert_eq!((told.len(), told[0].mutation_id, told[0].action), (1, accepted, "delete"));
    assert_eq!(store.rejected_mutations().unwrap().len(), 2, "both kept with their reason");
}
