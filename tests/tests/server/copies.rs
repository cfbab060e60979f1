//! The company files a server keeps ready for first downloads (`GET …/sync/copy`, see
//! `server/src/sync/copies.rs`): none until written, only for companies past the
//! threshold, of the schema asked; brought up to the log's end, the older copy then
//! gone; and what is served is a file a device takes, equal to the server's records.

use comptoir_core::model::CompanyId;
use comptoir_core::store::{COMPANY_SCHEMA_VERSION, adopt_copy};
use comptoir_core::sync::{COPY_EPOCH_HEADER, COPY_UPTO_HEADER, Intent, Mutation};
use comptoir_tests::api::code;
use comptoir_tests::checks::signed_in;
use reqwest::StatusCode;

/// `GET …/sync/copy?{query}`: its status, its headers and its body.
async fn get_copy(
    url: &str,
    token: &str,
    company: CompanyId,
    query: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/companies/{company}/sync/copy?{query}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn error_code(body: &[u8]) -> String {
    code(&serde_json::from_slice(body).unwrap()).to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_is_served_once_written_then_kept_up_to_the_log() {
    // The large company (about 1,900 records) is past the threshold; the small one
    // (about 420) is not.
    let server =
        tokio::task::spawn_blocking(|| crate::builder().demo(1_500).copies_from(1_000).start()).await.unwrap().unwrap();
    let (large, small) = (server.company(), server.accounts.companies[0].0);
    let (client, token) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let schema = format!("schema={COMPANY_SCHEMA_VERSION}");

    let (status, _, body) = get_copy(&server.url, &token, large, &schema).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::NOT_FOUND, "no_copy"), "none written yet");
    tokio::task::block_in_place(|| server.refresh_copies()).unwrap();
    let (status, _, body) = get_copy(&server.url, &token, small, &schema).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::NOT_FOUND, "no_copy"), "below the threshold");
    let other = format!("schema={}", COMPANY_SCHEMA_VERSION + 1);
    let (status, _, body) = get_copy(&server.url, &token, large, &other).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::NOT_FOUND, "no_copy"), "of another schema");
    let (status, _, body) = get_copy(&server.url, &token, large, "schema=x").await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::BAD_REQUEST, "invalid_query"));

    let (status, headers, first) = get_copy(&server.url, &token, large, &schema).await;
    assert_eq!(status, StatusCode::OK);
    let seq_of =
        |headers: &reqwest::header::HeaderMap| -> u64 { headers[COPY_UPTO_HEADER].to_str().unwrap().parse().unwrap() };
    let epoch = server.storage().log_state(large).unwrap().unwrap().epoch;
    assert_eq!(headers[COPY_EPOCH_HEADER].to_str().unwrap(), epoch.to_string());
    assert_eq!(seq_of(&headers), server.storage().log_state(large).unwrap().unwrap().seq);

    // A change, then the next refresh: a newer copy, the older one gone.
    let added = comptoir_tests::fixtures::new_contact("Après la première copie");
    let intent = Intent::CreateContact { contact: added.clone() };
    client.push(large, vec![Mutation { client_id: uuid::Uuid::now_v7(), mutation_id: 1, intent }]).await.unwrap();
    tokio::task::block_in_place(|| server.refresh_copies()).unwrap();
    let (status, headers, second) = get_copy(&server.url, &token, large, &schema).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seq_of(&headers), server.storage().log_state(large).unwrap().unwrap().seq);
    assert!(seq_of(&headers) > 0 && first != second);
    let folder = server.data_dir().join("copies").join(large.0.to_string());
    let copies: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.starts_with("copy-"))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");

    // What is served is a file a device takes: the server's records, the new contact too.
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received");
    std::fs::write(&received, &second).unwrap();
    let (store, info) = adopt_copy(&received, &dir.path().join("a.comptoir"), large).unwrap();
    assert_eq!(info.upto, seq_of(&headers));
    assert_eq!(store.replica_stats().unwrap(), server.stats(large).unwrap());
    assert_eq!(store.contact(added.id).unwrap().name, added.name);
}

/// With the server's own renewal rule, a copy is not written again for every change: the
/// keeper follows the log, and the copy waits until it lags by a page of changes or is an
/// hour old; then the next refresh writes it at the log's end.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_is_written_again_once_it_lags_by_a_page_or_an_hour() {
    use comptoir_server::sync::copies::{Copies, Renewal};
    let server = tokio::task::spawn_blocking(|| crate::builder().demo(1_500).start()).await.unwrap().unwrap();
    let company = server.company();
    let (client, _) = signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
    let dir = tempfile::tempdir().unwrap();
    let copies = Copies::new(dir.path().to_path_buf(), 1).with_renewal(Renewal::default());
    let storage = server.storage().as_ref();
    let seq = || storage.log_state(company).unwrap().unwrap().seq;
    let first = copies.refresh(storage, company).unwrap().unwrap();
    assert_eq!(first.upto, seq(), "the first copy is at the log's end");

    let push = |n: u64| {
        let contact = comptoir_tests::fixtures::new_contact(&format!("Après la copie {n}"));
        let intent = Intent::CreateContact { contact };
        client.push(company, vec![Mutation { client_id: uuid::Uuid::now_v7(), mutation_id: n, intent }])
    };
    push(1).await.unwrap();
    let kept = tokio::task::block_in_place(|| copies.refresh(storage, company)).unwrap().unwrap();
    assert_eq!(kept, first, "one change behind, and new: the same copy");
    assert!(first.path.exists());

    // An hour old: written again, at the log's end, the older one gone.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3_601);
    std::fs::File::options().write(true).open(&first.path).unwrap().set_modified(old).unwrap();
    let renewed = tokio::task::block_in_place(|| copies.refresh(storage, company)).unwrap().unwrap();
    assert_eq!(renewed.upto, seq());
    assert!(renewed.upto > first.upto && !first.path.exists());
}
