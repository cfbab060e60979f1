//! Pull pages are capped in bytes as well as in changes: large records come a few per
//! page, a record larger than the cap comes alone, and the download still brings every
//! change once, in order.

use comptoir_core::model::{CompanyId, Role};
use comptoir_core::sync::RecordKind;
use comptoir_server::admin;
use comptoir_server::storage::PageLimit;
use comptoir_server::sync::MAX_PAGE_BYTES;
use comptoir_tests::TestServer;
use comptoir_tests::api::PASSWORD;
use serde_json::Value;
use uuid::Uuid;

/// A stored record body of about `bytes` bytes (read raw by this test, never parsed as a
/// record).
fn body_of(bytes: usize) -> String {
    format!(r#"{{"kind":"contact","record":{{"padding":"{}"}}}}"#, "x".repeat(bytes))
}

/// Pulls the whole log with pages of `limit`; returns each page's changes (seq, id, body
/// length) and its size on the wire.
async fn pull_pages(
    server: &TestServer,
    company: CompanyId,
    token: &str,
    limit: u32,
) -> Vec<(Vec<(u64, Uuid, usize)>, usize)> {
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let response = server
            .http()
            .get(format!("{}/v1/companies/{company}/sync/pull?after={after}&limit={limit}", server.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        let changes: Vec<(u64, Uuid, usize)> = page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let body = serde_json::to_string(&c["body"]).unwrap();
                (c["seq"].as_u64().unwrap(), c["id"].as_str().unwrap().parse().unwrap(), body.len())
            })
            .collect();
        assert!(!changes.is_empty() || !page["has_more"].as_bool().unwrap(), "a page that says more follow holds some");
        after = page["cursor"]["seq"].as_u64().unwrap();
        let more = page["has_more"].as_bool().unwrap();
        pages.push((changes, bytes.len()));
        if !more {
            return pages;
        }
    }
}

#[tokio::test]
async fn pages_stop_at_the_byte_cap_and_a_larger_record_comes_alone() {
    let (server, _) = crate::empty_server();
    let storage = server.storage().as_ref();
    admin::create_user(storage, "claire@atelier.fr", PASSWORD, "").unwrap();
    let company = admin::create_company(storage, "Atelier", "FR").unwrap();
    admin::add_member(storage, company, "claire@atelier.fr", Role::Owner).unwrap();
    // 30 records of 700 KB (about 5 fit in a page), then one of 6 MiB (alone above the
    // cap), then 50 small ones.
    let mut written = Vec::new();
    storage
        .in_company(company, &mut |tx| {
            written.clear();
            let sizes = std::iter::repeat_n(700_000, 30).chain([6 * 1024 * 1024]).chain(std::iter::repeat_n(100, 50));
            for size in sizes {
                let id = Uuid::now_v7();
                tx.put(RecordKind::Contact, id, Some(&body_of(size)))?;
                written.push(id);
            }
            Ok(())
        })
        .unwrap();
    // (Signing in appends an audit record: the log is read after.)
    let token = server.signed_in("claire@atelier.fr", PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let all = storage.changes_after(company, 0, PageLimit::count(u32::MAX)).unwrap().changes;

    let pages = pull_pages(&server, company, &token, 5_000).await;
    for (changes, wire) in &pages {
        let weight: usize = changes.iter().map(|(_, _, len)| len + PageLimit::CHANGE_OVERHEAD).sum();
        if changes.len() > 1 {
            assert!(weight <= MAX_PAGE_BYTES, "{} changes weigh {weight} bytes", changes.len());
            assert!(*wire <= MAX_PAGE_BYTES + 1024, "the page is {wire} bytes on the wire");
        }
    }
    let big = pages.iter().find(|(changes, _)| changes.iter().any(|(_, _, len)| *len > MAX_PAGE_BYTES)).unwrap();
    assert_eq!(big.0.len(), 1, "the record larger than the cap comes alone");
    assert!(pages.iter().any(|(changes, _)| changes.len() == 5), "700 KB records: five to a page");
    assert!(pages.len() >= 8, "{} pages", pages.len());
    // Every change once, in order.
    let pulled: Vec<(u64, Uuid)> = pages.iter().flat_map(|(c, _)| c.iter().map(|(seq, id, _)| (*seq, *id))).collect();
    let expected: Vec<(u64, Uuid)> = all.iter().map(|c| (c.seq, c.id)).collect();
    assert_eq!(pulled, expected);
    assert!(written.iter().all(|id| pulled.iter().any(|(_, p)| p == id)));

    // Small records: the count caps the page, as before.
    let small_from = all.iter().find(|c| c.id == written[31]).unwrap().seq - 1;
    let (status, page) =
        server.get(&format!("/v1/companies/{company}/sync/pull?after={small_from}&limit=20"), Some(&token)).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(page["changes"].as_array().unwrap().len(), 20);
    assert_eq!(page["has_more"], true);
}
