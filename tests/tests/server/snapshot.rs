//! A first download's snapshot (`GET …/sync/snapshot`): every live record once, kind by
//! kind in the order a user needs them and each kind newest first; what changes while it
//! runs comes with the log pulled after it; a query that does not hold is refused with a
//! code and nothing else.

use std::collections::BTreeMap;

use comptoir_core::model::CompanyId;
use comptoir_core::sync::{RawSnapshotPage, RecordKind, SnapshotPosition, SyncClient, record_digest, table_stats};
use comptoir_tests::TestServer;
use comptoir_tests::api::code;
use comptoir_tests::checks::signed_in;
use reqwest::StatusCode;
use uuid::Uuid;

/// The records a copy holds: (kind, id) → body.
type Copy = BTreeMap<(RecordKind, Uuid), String>;

/// The copy's count and checksum per kind, as the server's `admin stats` gives them.
fn stats_of(copy: &Copy) -> BTreeMap<RecordKind, comptoir_core::sync::TableStats> {
    let mut sums: BTreeMap<RecordKind, (u64, u64)> = RecordKind::ALL.into_iter().map(|k| (k, (0, 0))).collect();
    for ((kind, id), body) in copy {
        let sum = sums.entry(*kind).or_default();
        sum.0 += 1;
        sum.1 = sum.1.wrapping_add(record_digest(*id, body));
    }
    table_stats(&sums)
}

/// The snapshot's pages from `from` on (all of them with `None`).
async fn pages(
    client: &SyncClient,
    company: CompanyId,
    mut from: Option<(Uuid, u64, SnapshotPosition)>,
    limit: u32,
) -> Vec<RawSnapshotPage> {
    let mut pages = Vec::new();
    loop {
        let page = client.snapshot(company, from, limit, from.is_none()).await.unwrap();
        assert!(page.changes.len() <= limit as usize);
        let next = page.next.map(|next| (page.epoch, page.upto, next));
        assert!(next.is_none() || !page.changes.is_empty(), "a page that says more follow holds some");
        pages.push(page);
        match next {
            Some(next) => from = Some(next),
            None => return pages,
        }
    }
}

/// Adds a page's records to `copy` (a deletion takes one out).
fn apply(copy: &mut Copy, changes: &[comptoir_core::sync::RawChange]) {
    for change in changes {
        match &change.body {
            Some(body) => copy.insert((change.kind, change.id), body.get().to_owned()),
            None => copy.remove(&(change.kind, change.id)),
        };
    }
}

/// Pulls the log after `after` into `copy`.
async fn pull_after(client: &SyncClient, company: CompanyId, epoch: Uuid, mut after: u64, copy: &mut Copy) {
    loop {
        let page = client.pull(company, after, Some(epoch), 500, false).await.unwrap();
        apply(copy, &page.changes);
        after = page.cursor.seq;
        if !page.has_more {
            return;
        }
    }
}

fn large_company(server: &TestServer) -> CompanyId {
    server.accounts.companies[1].0
}

#[tokio::test]
async fn a_snapshot_brings_every_live_record_once_in_the_order_a_user_needs_them() {
    let server = crate::builder().demo(300).start().unwrap();
    let company = large_company(&server);
    let (client, _) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let pages = pages(&client, company, None, 37).await;
    assert!(pages.len() > 3, "small pages: {}", pages.len());
    assert!(pages.iter().all(|p| p.upto == pages[0].upto && p.epoch == pages[0].epoch), "one snapshot");
    let records = pages[0].records.clone().unwrap();
    let rank = |kind: RecordKind| RecordKind::DOWNLOAD_ORDER.iter().position(|k| *k == kind).unwrap();
    let seen: Vec<(usize, std::cmp::Reverse<u64>)> =
        pages.iter().flat_map(|p| &p.changes).map(|c| (rank(c.kind), std::cmp::Reverse(c.seq))).collect();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "kind by kind in the download order, each newest first, none twice");
    assert_eq!(pages[0].changes[0].kind, RecordKind::Settings, "the settings first");
    assert!(pages.iter().flat_map(|p| &p.changes).all(|c| c.seq <= pages[0].upto && c.body.is_some()));
    let mut copy = Copy::new();
    for page in &pages {
        apply(&mut copy, &page.changes);
    }
    assert_eq!(copy.len(), seen.len(), "every record once");
    assert_eq!(stats_of(&copy), server.stats(company).unwrap(), "the snapshot is the company");
    assert_eq!(records.values().sum::<u64>(), copy.len() as u64, "the counts say how many records there are");
    // Nothing left after the snapshot's seq.
    pull_after(&client, company, pages[0].epoch, pages[0].upto, &mut copy).await;
    assert_eq!(stats_of(&copy), server.stats(company).unwrap());
}

#[tokio::test]
async fn what_changes_while_a_snapshot_runs_comes_with_the_log_after_it() {
    let server = crate::builder().demo(300).start().unwrap();
    let company = large_company(&server);
    let (client, _) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let first = client.snapshot(company, None, 40, true).await.unwrap();
    let (epoch, upto) = (first.epoch, first.upto);
    let mut copy = Copy::new();
    apply(&mut copy, &first.changes);
    let sent_contact = first.changes.iter().find(|c| c.kind == RecordKind::Contact).unwrap().id;
    // Documents come after the contacts: none is in the first page.
    let documents: Vec<Uuid> = {
        let rest = pages(&client, company, first.next.map(|n| (epoch, upto, n)), 5_000).await;
        rest.iter().flat_map(|p| &p.changes).filter(|c| c.kind == RecordKind::Document).map(|c| c.id).collect()
    };
    let (unsent_deleted, unsent_changed) = (documents[0], documents[1]);
    let added = Uuid::now_v7();
    let body = |name: &str| format!(r#"{{"kind":"contact","record":{{"name":"{name}"}}}}"#);
    server
        .storage()
        .in_company(company, &mut |tx| {
            tx.put(RecordKind::Contact, sent_contact, Some(&body("changed after it was sent")))?;
            tx.put(RecordKind::Document, unsent_deleted, None)?;
            tx.put(RecordKind::Document, unsent_changed, Some(r#"{"kind":"document","record":{"changed":true}}"#))?;
            tx.put(RecordKind::Contact, added, Some(&body("added meanwhile")))?;
            Ok(())
        })
        .unwrap();
    let rest = pages(&client, company, first.next.map(|n| (epoch, upto, n)), 50).await;
    let ids: Vec<Uuid> = rest.iter().flat_map(|p| &p.changes).map(|c| c.id).collect();
    assert!(!ids.contains(&unsent_deleted), "a record deleted meanwhile is not in the snapshot");
    assert!(!ids.contains(&unsent_changed), "a record changed meanwhile comes with the log, not the snapshot");
    assert!(!ids.contains(&added), "nor does a record added meanwhile");
    for page in &rest {
        apply(&mut copy, &page.changes);
    }
    pull_after(&client, company, epoch, upto, &mut copy).await;
    assert_eq!(stats_of(&copy), server.stats(company).unwrap(), "the snapshot and the log after it are the company");
    assert!(copy[&(RecordKind::Contact, sent_contact)].contains("changed after it was sent"));
}

#[tokio::test]
async fn a_snapshot_query_that_does_not_hold_is_refused_with_a_code() {
    let server = crate::builder().demo(40).start().unwrap();
    let company = large_company(&server);
    let (client, token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let first = client.snapshot(company, None, 3, false).await.unwrap();
    let epoch = first.epoch;
    let base = format!("/v1/companies/{company}/sync/snapshot");
    let huge = u64::MAX;
    let cases = [
        (format!("{base}?upto=5"), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("{base}?kind=contact"), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("{base}?before=5"), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("{base}?upto=5&kind=contact"), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("{base}?upto={huge}&kind=contact&epoch={epoch}"), StatusCode::BAD_REQUEST, "invalid_query"),
        (
            format!("{base}?upto=9223372036854775808&kind=contact&epoch={epoch}"),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (format!("{base}?upto=5&kind=contact&before=-1&epoch={epoch}"), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("{base}?upto=5&kind=dragon&epoch={epoch}"), StatusCode::BAD_REQUEST, "invalid_query"),
        (format!("{base}?limit=0"), StatusCode::BAD_REQUEST, "invalid_limit"),
        (format!("{base}?limit=5001"), StatusCode::BAD_REQUEST, "invalid_limit"),
        (format!("{base}?upto=5&kind=contact&epoch={}", Uuid::now_v7()), StatusCode::CONFLICT, "stale_epoch"),
        (format!("/v1/companies/{}/sync/snapshot", Uuid::now_v7()), StatusCode::FORBIDDEN, "not_a_member"),
    ];
    for (path, status, expected) in cases {
        let (got, body) = server.get(&path, Some(&token)).await;
        assert_eq!((got, code(&body)), (status, expected), "{path}: {body}");
    }
    // A position past the end, or before any record, is an empty last page, not an error.
    let upto = first.upto;
    for path in [
        format!("{base}?upto={upto}&kind=audit&before=0&epoch={epoch}"),
        format!("{base}?upto=0&kind=settings&epoch={epoch}"),
    ] {
        let (got, body) = server.get(&path, Some(&token)).await;
        assert_eq!(got, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["changes"].as_array().map(Vec::len), Some(0), "{path}");
        assert!(body["next"].is_null(), "{path}");
    }
}
