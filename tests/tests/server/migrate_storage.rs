//! `comptoir-server admin migrate-storage`: a deployment on SQLite moved to PostgreSQL by
//! the real binary, then served from there by the real binary; and the copy itself, on
//! small random data, there and back (SQLite → PostgreSQL → SQLite).

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};

use chrono::{TimeZone as _, Utc};
use comptoir_core::model::{CompanyId, Country, Role, UserId};
use comptoir_core::sync::{Intent, LoginResponse, Mutation, RecordKind, SyncClient};
use comptoir_server::admin;
use comptoir_server::migrate_storage::{self, MigrateError};
use comptoir_server::storage::{
    DeviceRecord, ExportItem, LogState, MoveRecord, SessionRecord, SqliteStorage, StagedPart, Storage, StorageError,
    UserRecord,
};
use comptoir_tests::postgres::PgCluster;
use uuid::Uuid;

/// Runs `comptoir-server ARGS`.
fn run(args: &[&str]) -> Output {
    Command::new(crate::SERVER_BIN).args(args).env("RUST_LOG", "warn").stdin(Stdio::null()).output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A server process, killed when the test ends, whether it passed or not.
struct Serving(comptoir_tests::process::ServerProcess);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

/// The value of the line `label: value` of the demo's output.
fn printed<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines().find_map(|l| l.strip_prefix(label)).unwrap().trim()
}

/// Every account of `storage`, in id order.
fn users(storage: &dyn Storage) -> Vec<UserRecord> {
    let mut all = Vec::new();
    loop {
        let page = storage.users_after(all.last().map(|u: &UserRecord| u.id), 3).unwrap();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// A company as its export reads it, whole.
fn exported(storage: &dyn Storage, company: CompanyId) -> Vec<ExportItem> {
    let mut items = Vec::new();
    storage
        .export_company(company, &mut |item| {
            items.push(item);
            Ok(())
        })
        .unwrap();
    items
}

/// Pulls `company` whole over HTTP: its live records' count and checksum per kind, from
/// the JSON text as the server sent it.
async fn pulled(client: &SyncClient, company: CompanyId) -> BTreeMap<RecordKind, (u64, u64)> {
    let mut sums = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = client.pull(company, after, None, 1_000, false).await.unwrap();
        for change in &page.changes {
            if let Some(body) = &change.body {
                let entry = sums.entry(change.kind).or_insert((0, 0));
                entry.0 += 1;
                entry.1 = admin::checksum_add(entry.1, change.id, body.get());
            }
        }
        after = page.cursor.seq;
        if !page.has_more {
            return sums;
        }
    }
}

/// Asserts that the SQLite deployment in `data` and the PostgreSQL one at `url`
/// (`postgres`) hold the same accounts and `companies`, whose audit chains verify on both
/// sides, by the storage and by the command; returns how many live records they hold.
fn assert_same_deployment(data: &std::path::Path, url: &str, postgres: &dyn Storage, companies: &[CompanyId]) -> u64 {
    let sqlite = SqliteStorage::open(data).unwrap();
    assert_eq!(users(&sqlite), users(postgres), "accounts, two-factor secrets included");
    let mut records = 0;
    for &company in companies {
        let log = sqlite.log_state(company).unwrap().unwrap();
        assert_eq!(postgres.log_state(company).unwrap(), Some(log), "epoch and seq kept");
        let per_kind = admin::stats(&sqlite, company).unwrap();
        assert_eq!(admin::stats(postgres, company).unwrap(), per_kind);
        records += per_kind.values().map(|s| s.count).sum::<u64>();
        let audited = admin::verify_audit(&sqlite, company).unwrap();
        assert!(audited > 0);
        assert_eq!(admin::verify_audit(postgres, company).unwrap(), audited);
        assert_eq!(sqlite.members(company).unwrap(), postgres.members(company).unwrap());
        assert_eq!(exported(&sqlite, company), exported(postgres, company), "records, answers and keys");
        let verified = stdout(&run(&[
            "admin",
            "verify-audit",
            "--data",
            data.to_str().unwrap(),
            "--database",
            url,
            "--company",
            &company.to_string(),
        ]));
        assert!(verified.contains(&format!("verified: {audited} records")), "{verified}");
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_moves_to_postgresql_whole_and_serves_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let data_arg = data.to_str().unwrap();
    let seeded = stdout(&run(&["demo", "--data", data_arg, "--size", "400"]));
    let email = printed(&seeded, "Demo account:");
    let password = printed(&seeded, "Password:");
    let (totp_email, totp_password) = printed(&seeded, "Two-factor user:").split_once(" (password ").unwrap();
    let totp_password = totp_password.trim_end_matches(')');
    let totp_secret = printed(&seeded, "TOTP secret:");

    // An edit pushed through the server on SQLite: its answer must travel too.
    let server = Serving(comptoir_tests::process::serve(crate::SERVER_BIN, data, &[]).unwrap());
    let (_, token) = comptoir_tests::checks::signed_in(&server.0.url, email, password).await;
    let companies: Vec<CompanyId> = {
        let sqlite = SqliteStorage::open(data).unwrap();
        sqlite.companies().unwrap().into_iter().map(|c| c.id).collect()
    };
    assert_eq!(companies.len(), 2);
    let mutation = Mutation {
        client_id: Uuid::now_v7(),
        mutation_id: 1,
        intent: Intent::CreateContact { contact: comptoir_tests::fixtures::new_contact("Boulangerie Morel") },
    };
    let http = reqwest::Client::new();
    let first = crate::push_one(&http, &server.0.url, companies[0], &token, &mutation).await;
    // The source is refused while a server serves it: a copy must not miss its changes.
    let url = PgCluster::shared().unwrap().database().unwrap();
    let sqlite_arg = format!("sqlite:{data_arg}");
    let busy = run(&["admin", "migrate-storage", "--from", &sqlite_arg, "--to", &url]);
    assert!(!busy.status.success());
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert!(stderr.contains("open_failed") && stderr.contains("in use"), "{stderr}");
    drop(server);

    let output = stdout(&run(&["admin", "migrate-storage", "--from", &sqlite_arg, "--to", &url]));
    println!("{output}");
    assert!(output.contains("migrated: 2 companies, 2 accounts"), "{output}");
    assert!(output.contains("users sign in again"), "{output}");
    assert!(output.contains(&format!("--data {data_arg}")), "{output}");

    // Both sides, compared through the storage interface and the commands.
    let postgres = comptoir_server::open_storage(data, Some(&url)).unwrap();
    let records = assert_same_deployment(data, &url, postgres.as_ref(), &companies);
    assert!(records > 400);

    // A server on PostgreSQL, with the same data folder for its keys.
    let serving = Serving(
        comptoir_tests::process::serve_with(crate::SERVER_BIN, data, &["--database", &url], &[], Stdio::inherit())
            .unwrap(),
    );
    let server = &serving.0;
    // The old session is gone: its token is refused; users sign in again.
    let mut expired = SyncClient::new(&server.url).unwrap();
    expired.set_access_token(Some(token.clone()));
    assert!(expired.pull(companies[0], 0, None, 10, false).await.is_err(), "sessions are not copied");
    let (client, token) = comptoir_tests::checks::signed_in(&server.url, email, password).await;
    for &company in &companies {
        let expected: BTreeMap<RecordKind, (u64, u64)> = admin::stats(postgres.as_ref(), company)
            .unwrap()
            .into_iter()
            .filter(|(_, s)| s.count > 0)
            .map(|(kind, s)| (kind, (s.count, u64::from_str_radix(&s.checksum, 16).unwrap())))
            .collect();
        assert_eq!(pulled(&client, company).await, expected, "the same records, byte for byte");
        let status = client.status(company).await.unwrap();
        let log = postgres.log_state(company).unwrap().unwrap();
        assert_eq!((status.epoch, status.seq), (log.epoch, log.seq));
    }
    // The edit sent again is answered as before, not applied twice.
    let seq = postgres.log_state(companies[0]).unwrap().unwrap().seq;
    let again = crate::push_one(&http, &server.url, companies[0], &token, &mutation).await;
    assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&first).unwrap());
    assert_eq!(postgres.log_state(companies[0]).unwrap().unwrap().seq, seq);

    // The two-factor user signs in with a code: the destination opens their secret.
    let mut second = SyncClient::new(&server.url).unwrap();
    let LoginResponse::TotpRequired { challenge, .. } = second.login(totp_email, totp_password).await.unwrap() else {
        panic!("two-factor was lost on the way")
    };
    let code = comptoir_tests::totp_code(totp_secret, Utc::now()).unwrap();
    second.login_totp(&challenge, &code).await.unwrap();

    // A second copy into the same database is refused, and changes nothing.
    let before: Vec<Option<LogState>> = companies.iter().map(|&c| postgres.log_state(c).unwrap()).collect();
    let accounts = users(postgres.as_ref());
    let refused = run(&["admin", "migrate-storage", "--from", &sqlite_arg, "--to", &url]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("destination_not_empty") && stderr.contains("wrote nothing"), "{stderr}");
    assert!(!stderr.contains("s3cret") && !String::from_utf8_lossy(&refused.stdout).contains("migrated"));
    let after: Vec<Option<LogState>> = companies.iter().map(|&c| postgres.log_state(c).unwrap()).collect();
    assert_eq!(after, before);
    assert_eq!(users(postgres.as_ref()), accounts);
}

#[test]
fn bad_endpoints_are_refused_with_their_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["--from", "mysql://x", "--to", "sqlite:/tmp/nowhere"], "invalid_endpoint"),
        (&["--from", &format!("sqlite:{data}"), "--to", &format!("sqlite:{data}")], "same_storage"),
        (&["--from", "postgres://a@/b", "--to", "postgres://a@/c"], "--data DIR is required"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["admin", "migrate-storage"];
        all.extend_from_slice(args);
        let output = run(&all);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// A small deterministic generator (splitmix64): the same seed, the same deployment.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Fills `storage` with a random deployment: accounts (some with two-factor, some with
/// failed sign-ins), companies with members, records (bodies with odd spacing, deleted
/// ones), mutations' answers, unique keys, devices, staged postings and a company moved away;
/// up to `edits` edits per company (beyond a batch of the copy and a page of an export
/// when large).
fn seed(storage: &dyn Storage, draw: &mut Draw, edits: u64) -> Vec<CompanyId> {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let mut accounts = Vec::new();
    for i in 0..=draw.below(6) {
        let user = UserRecord::new(&format!("user{i}@atelier.fr"), None, format!("$argon2id$fake${i}"));
        storage.create_user(&user).unwrap();
        if draw.below(2) == 0 {
            let secret = format!("JBSWY3DPEHPK3PXP{i}");
            assert!(storage.set_totp_secret(user.id, &secret).unwrap());
            assert!(storage.enable_totp(user.id, &secret, Some(draw.below(1_000_000))).unwrap());
        }
        for _ in 0..draw.below(3) {
            storage.count_failed_login(user.id, &comptoir_server::auth::AuthPolicy::default(), now).unwrap();
        }
        accounts.push(user);
    }
    let mut companies = Vec::new();
    for c in 0..=draw.below(3) {
        let id = comptoir_server::sync::create_company(
            storage,
            CompanyId::new(),
            &format!("Société {c}"),
            &Country::from_code("FR").unwrap(),
            now,
        )
        .unwrap();
        for (i, user) in accounts.iter().enumerate() {
            if i == 0 || draw.below(2) == 0 {
                let role = if i == 0 { Role::Owner } else { Role::Sales };
                admin::add_member(storage, id, &user.email, role).unwrap();
            }
        }
        let mut written: Vec<Uuid> = Vec::new();
        let mut values = Vec::new();
        for _ in 0..draw.below(edits) {
            values.push((draw.below(4), draw.next()));
        }
        storage
            .in_company(id, &mut |tx| {
                for &(what, value) in &values {
                    match what {
                        0 | 1 => {
                            let record = Uuid::now_v7();
                            // Spacing and key order that jsonb would rewrite.
                            let body = format!("{{ \"z\":{value},  \"a\" : \"é\\u00e9 {value}\" }}");
                            tx.put(RecordKind::Contact, record, Some(&body))?;
                            written.push(record);
                        }
                        2 if !written.is_empty() => {
                            let index = usize::try_from(value % written.len() as u64).unwrap();
                            tx.put(RecordKind::Contact, written[index], None)?;
                        }
                        _ => {
                            let client = Uuid::now_v7();
                            tx.save_outcome(client, value % 1_000 + 1, "digest", "{\"applied\":{}}")?;
                            tx.claim_key("article_code", &format!("A{value}"), client)?;
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
        companies.push(id);
    }
    seed_devices_and_postings(storage, draw, companies[0], accounts[0].id, now);
    if companies.len() > 1 {
        let last = *companies.last().unwrap();
        let moved = MoveRecord { moved_at: now, moved_to: "un ordinateur du bureau".into() };
        comptoir_server::storage::unit_of_work(storage, |tx| tx.set_moved(last, Some(&moved))).unwrap();
    }
    companies
}

/// The parts of postings `company` has staged, with their entries (none readable once it
/// moved away).
fn staged(storage: &dyn Storage, company: CompanyId) -> Vec<(Uuid, StagedPart, Option<String>)> {
    let mut all = Vec::new();
    let read = storage.in_company(company, &mut |tx| {
        all.clear();
        for posting in tx.staged_postings()? {
            for part in tx.staged_parts(posting)? {
                let entries = tx.staged_entries(posting, part.part)?;
                all.push((posting, part, entries));
            }
        }
        Ok(())
    });
    match read {
        Ok(()) => all,
        Err(StorageError::Moved) => Vec::new(),
        Err(e) => panic!("{e}"),
    }
}

/// Devices of `first` paired for `owner` (one revoked), and parts of a posting staged.
fn seed_devices_and_postings(
    storage: &dyn Storage,
    draw: &mut Draw,
    first: CompanyId,
    owner: UserId,
    now: chrono::DateTime<Utc>,
) {
    // Devices, one revoked.
    for d in 0..=draw.below(2) {
        let session = SessionRecord {
            id: Uuid::now_v7(),
            user_id: owner,
            refresh_hash: format!("hash-{d}-{}", draw.next()),
            refresh_expires_at: now + chrono::Duration::days(30),
        };
        let device = DeviceRecord {
            id: Uuid::now_v7(),
            company_id: first,
            user_id: owner,
            session_id: session.id,
            name: format!("Poste {d}"),
            paired_at: now,
            last_seen_at: None,
            revoked_at: None,
            secret_hash: Some(format!("device-secret-{d}")),
        };
        storage.add_device(&device, &session).unwrap();
        storage.device_seen(session.id, now + chrono::Duration::hours(1)).unwrap();
        if d == 1 {
            assert!(storage.revoke_device(first, device.id, now + chrono::Duration::hours(2)).unwrap());
        }
    }
    // Two parts of a posting staged, not committed.
    let posting = Uuid::now_v7();
    for part in 1..=draw.below(2) + 1 {
        let entries = format!("[{{\"entry\": {part}, \"value\": {}}}]", draw.next());
        let staged = StagedPart {
            part: u32::try_from(part).unwrap(),
            from: None,
            to: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            staged_at: now,
            entries: 1,
            bytes: entries.len() as u64,
        };
        storage.in_company(first, &mut |tx| tx.stage_part(posting, &staged, &entries)).unwrap();
    }
}

/// Everything of `company` the copy keeps, as `storage` holds it.
type CompanyView =
    (Vec<ExportItem>, Vec<DeviceRecord>, Vec<(Uuid, StagedPart, Option<String>)>, Option<MoveRecord>, u64);

fn company_view(storage: &dyn Storage, company: CompanyId) -> CompanyView {
    (
        exported(storage, company),
        storage.devices(company).unwrap(),
        staged(storage, company),
        storage.moved(company).unwrap(),
        admin::verify_audit(storage, company).unwrap(),
    )
}

#[test]
fn random_deployments_go_to_postgresql_and_back_unchanged() {
    let (mut devices, mut staged_parts) = (0, 0);
    for (seed_value, edits) in [(1_u64, 40), (7, 40), (42, 9_000)] {
        let mut draw = Draw(seed_value);
        let source_dir = tempfile::tempdir().unwrap();
        let source = SqliteStorage::open(source_dir.path()).unwrap();
        let companies = seed(&source, &mut draw, edits);

        let keys = tempfile::tempdir().unwrap();
        let url = PgCluster::shared().unwrap().database().unwrap();
        let postgres = comptoir_server::open_storage(keys.path(), Some(&url)).unwrap();
        let mut reported = Vec::new();
        let there = migrate_storage::migrate(&source, postgres.as_ref(), &mut |p| reported.push(p.clone())).unwrap();
        assert_eq!(there.companies, companies.len() as u64);
        assert_eq!(there.accounts, users(&source).len() as u64);
        if edits > 1_000 {
            // Several batches of the copy, several pages of an export.
            assert!(there.records > 2 * migrate_storage::BATCH_ITEMS as u64 && there.outcomes > 1_000, "{there:?}");
        }
        assert!(reported.iter().any(|p| matches!(p, migrate_storage::Progress::CompanyDone { .. })));

        let back_dir = tempfile::tempdir().unwrap();
        let back = SqliteStorage::open(back_dir.path()).unwrap();
        let summary = migrate_storage::migrate(postgres.as_ref(), &back, &mut |_| {}).unwrap();
        assert_eq!(summary.records, there.records);
        assert_eq!(summary.audit_events, there.audit_events);
        assert_eq!((summary.devices, summary.staged_parts), (there.devices, there.staged_parts));
        devices += there.devices;
        staged_parts += there.staged_parts;

        // Each side seals two-factor secrets with its own server.key, and opens them.
        let accounts = users(&source);
        assert_eq!(users(postgres.as_ref()), accounts, "seed {seed_value}");
        assert_eq!(users(&back), accounts, "seed {seed_value}");
        for &company in &companies {
            let view = company_view(&source, company);
            assert_eq!(company_view(postgres.as_ref(), company), view, "seed {seed_value}");
            assert_eq!(company_view(&back, company), view, "seed {seed_value}");
        }
        // Copied devices' sessions are revoked: no refresh token of the source opens them.
        for device in back.devices(companies[0]).unwrap() {
            let session = SessionRecord {
                id: Uuid::now_v7(),
                user_id: device.user_id,
                refresh_hash: format!("new-{}", device.id),
                refresh_expires_at: Utc::now() + chrono::Duration::days(1),
            };
            let resumed = back.resume_device(device.id, device.secret_hash.as_deref().unwrap(), &session).unwrap();
            assert_eq!(resumed.is_some(), device.revoked_at.is_none(), "a live device opens a new session");
        }

        // Neither side takes a second copy.
        let error = migrate_storage::migrate(&source, postgres.as_ref(), &mut |_| {}).unwrap_err();
        assert!(matches!(error, MigrateError::NotEmpty { .. }), "{error}");
        assert_eq!(error.code(), "destination_not_empty");
    }
    assert!(devices > 0 && staged_parts > 0, "the seeds pair devices and stage postings");
}

/// Users of the same emails on both sides would collide: a destination with only an
/// account is not empty either.
#[test]
fn a_destination_with_an_account_is_refused_before_anything_is_written() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = SqliteStorage::open(source_dir.path()).unwrap();
    seed(&source, &mut Draw(3), 40);
    let destination_dir = tempfile::tempdir().unwrap();
    let destination = SqliteStorage::open(destination_dir.path()).unwrap();
    let lone = UserRecord::new("seul@atelier.fr", None, "$argon2id$fake".into());
    destination.create_user(&lone).unwrap();
    let error = migrate_storage::migrate(&source, &destination, &mut |_| {}).unwrap_err();
    assert!(matches!(error, MigrateError::NotEmpty { companies: 0, accounts: 1 }), "{error}");
    assert_eq!(users(&destination).iter().map(|u| u.id).collect::<Vec<UserId>>(), vec![lone.id]);
    assert!(destination.companies().unwrap().is_empty());
}
