//! A computer hosting a company is lost; another restores the newest of its backups
//! ([`comptoir_server::host_backup`]): the devices download the company again, and what
//! they held that the backup lacks reaches the restored host: their pending edits, and
//! the edits the lost host had acknowledged after the backup.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use comptoir_core::engine::{ErrorKind, Link};
use comptoir_core::model::{CompanyId, Contact, DocumentId};
use comptoir_core::store::{CompanyStore, Renumbering};
use comptoir_core::sync::Intent;
use comptoir_server::host_backup::{self, BackupFolder, HostBackupError};
use comptoir_tests::fixtures::{draft_invoice, new_contact};
use comptoir_tests::{TestServer, checks};

/// A device's copy of `company`, downloaded from `server` as `email`, as the app makes it.
async fn device(server: &TestServer, dir: &Path, name: &str) -> Link {
    let client = checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await.0;
    let (mut link, _) =
        Link::create(client, server.company(), &dir.join(format!("{name}.comptoir")), Utc::now()).await.unwrap();
    link.sync(Utc::now, &mut |_| {}).await.unwrap();
    link
}

async fn sync(link: &mut Link) -> comptoir_core::engine::SyncReport {
    link.sync(Utc::now, &mut |_| {}).await.unwrap()
}

/// Creates a customer and issues an invoice to it on `link`'s copy (three edits).
fn customer_and_invoice(link: &mut Link, name: &str) -> (Contact, DocumentId) {
    let customer = new_contact(name);
    link.store.submit(&Intent::CreateContact { contact: customer.clone() }).unwrap();
    let invoice = draft_invoice(&customer, 120);
    link.store.submit(&Intent::SaveDraft { document: invoice.clone() }).unwrap();
    link.store.submit(&Intent::IssueDocument { id: invoice.id }).unwrap();
    (customer, invoice.id)
}

/// What the engine does when the server's data was rebuilt (`ErrorKind::Rebuilt`, see
/// `download_again` in the engine's worker): the old file moved aside, the company
/// downloaded again into its place. Returns the new copy and where the old one went.
async fn download_again(old: Link, now: chrono::DateTime<Utc>) -> (Link, std::path::PathBuf) {
    let (client, company, path) = (old.client.clone(), old.company, old.store.path().to_path_buf());
    drop(old);
    let (mut link, aside) = Link::create(client, company, &path, now).await.unwrap();
    sync(&mut link).await;
    (link, aside.unwrap())
}

/// Each numbered document's series (its number without the trailing counter) and
/// counters, sorted.
fn numbers(store: &CompanyStore) -> BTreeMap<String, Vec<u64>> {
    let mut series: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut stmt = store.connection().prepare("SELECT number FROM documents WHERE number IS NOT NULL").unwrap();
    for number in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let number = number.unwrap();
        let prefix = number.trim_end_matches(|c: char| c.is_ascii_digit());
        series.entry(prefix.to_owned()).or_default().push(number[prefix.len()..].parse().unwrap());
    }
    for counters in series.values_mut() {
        counters.sort_unstable();
    }
    series
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_host_restored_from_its_newest_backup_devices_download_again_and_no_edit_is_lost() {
    let mut host = crate::builder().demo(300).start().unwrap();
    let company: CompanyId = host.company();
    let accounts = host.accounts.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut a = device(&host, dir.path(), "a").await;
    let mut b = device(&host, dir.path(), "b").await;

    // Before the backup: an invoice from A, and a customer without any, which both
    // devices have.
    let (before_customer, before_invoice) = customer_and_invoice(&mut a, "Avant la sauvegarde");
    let prospect = new_contact("Prospect");
    a.store.submit(&Intent::CreateContact { contact: prospect.clone() }).unwrap();
    sync(&mut a).await;
    sync(&mut b).await;
    assert!(b.store.document(before_invoice).unwrap().number.is_some());

    // The daily backup, into the folder the user chose; an older one is there already.
    let folder_dir = tempfile::tempdir().unwrap();
    let folder = BackupFolder::new(folder_dir.path());
    let older = folder.take(host.data_dir(), Utc::now() - chrono::TimeDelta::days(1)).unwrap();
    let backup = folder.take(host.data_dir(), Utc::now()).unwrap();
    assert_eq!(folder.newest().unwrap().unwrap(), backup);
    assert!(backup.name.number > older.name.number);

    // After the backup: A issues an invoice and syncs (the host acknowledges it; the
    // backup lacks it). B, offline, issues one too, and edits a customer both had: its
    // edits wait in its outbox.
    let (acked_customer, acked_invoice) = customer_and_invoice(&mut a, "Après la sauvegarde, synchronisé");
    let mut called = prospect.clone();
    called.phone = Some("+33 4 72 00 00 43".into());
    a.store.submit(&Intent::UpdateContact { contact: called }).unwrap();
    sync(&mut a).await;
    let acked_number = a.store.document(acked_invoice).unwrap().number.unwrap();
    assert_eq!(a.store.pending_count().unwrap(), 0, "acknowledged by the host");
    assert!(a.store.kept_count().unwrap() >= 3, "and kept, for a restored host");
    let (pending_customer, pending_invoice) = customer_and_invoice(&mut b, "Après la sauvegarde, en attente");
    let mut edited = b.store.contact(before_customer.id).unwrap();
    edited.phone = Some("+33 4 72 00 00 42".into());
    b.store.submit(&Intent::UpdateContact { contact: edited.clone() }).unwrap();
    b.store.submit(&Intent::DeleteContact { id: prospect.id }).unwrap();
    assert_eq!(b.store.pending_count().unwrap(), 5);
    let numbered_before = numbers(&a.store).values().map(Vec::len).sum::<usize>();

    // The host is lost, its data folder with it. Another computer (another server, its
    // own folder and port, which made its own keys on first start) restores the newest
    // backup.
    let old_epoch = a.store.sync_cursor().unwrap().unwrap().epoch;
    host.stop();
    drop(host);
    let mut new_host = crate::builder().start().unwrap();
    let (restored, summary) = new_host
        .restore_with(
            |data_dir| host_backup::restore_newest(data_dir, &folder),
            |e: &HostBackupError| e.code() == "backup_refused",
        )
        .unwrap();
    assert_eq!(restored, backup, "the newest backup");
    let new_epoch = summary.companies.iter().find(|(id, _)| *id == company).unwrap().1;
    assert_ne!(new_epoch, old_epoch, "a new epoch");

    // The devices find the new host (signed in again) and sync, B first: the edits the
    // old host had acknowledged go again, then the pending ones; the pull then finds the
    // cursor's epoch stale.
    for link in [&mut a, &mut b] {
        link.client = checks::signed_in(&new_host.url, &accounts.email, &accounts.password).await.0;
    }
    let stale = b.sync(Utc::now, &mut |_| {}).await.unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Rebuilt, "{stale}");
    let stale = a.sync(Utc::now, &mut |_| {}).await.unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Rebuilt, "{stale}");
    for link in [&a, &b] {
        assert_eq!(link.store.pending_count().unwrap(), 0, "every edit reached the restored host before the pull");
    }
    assert!(b.store.rejected_mutations().unwrap().is_empty(), "none refused, none applied twice");
    // A's change to the customer B deleted first on the restored host is refused there,
    // though the lost host had applied it: it is the only one.
    let refused = a.store.rejected_mutations().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!((refused[0].intent.action(), refused[0].intent.target().1), ("update", prospect.id.0));

    // Both download again, as the engine does, their old files kept aside.
    let (a, a_aside) = download_again(a, Utc::now()).await;
    let (b, b_aside) = download_again(b, Utc::now()).await;
    assert_eq!(a.store.sync_cursor().unwrap().unwrap().epoch, new_epoch);

    // Every edit is in every copy: B's pending ones and A's acknowledged ones.
    let stats = new_host.stats(company).unwrap();
    for copy in [&a, &b] {
        assert_eq!(copy.store.replica_stats().unwrap(), stats, "every copy equals the restored host");
        assert_eq!(copy.store.contact(pending_customer.id).unwrap().name, pending_customer.name);
        assert_eq!(copy.store.contact(acked_customer.id).unwrap().name, acked_customer.name);
        assert_eq!(copy.store.contact(before_customer.id).unwrap().phone, edited.phone);
        assert!(copy.store.document(pending_invoice).unwrap().number.is_some());
        assert!(copy.store.document(before_invoice).unwrap().number.is_some());
        // Numbers run without a gap or a duplicate in every series, each document once.
        for (series, counters) in numbers(&copy.store) {
            let first = counters[0];
            let expected: Vec<u64> = (first..first + counters.len() as u64).collect();
            assert_eq!(counters, expected, "series {series}");
        }
        assert_eq!(numbers(&copy.store).values().map(Vec::len).sum::<usize>(), numbered_before + 1, "B's one more");
    }
    assert_eq!(numbers(&a.store), numbers(&b.store));

    // B reached the restored host first: its invoice took the number A's acknowledged
    // one had, and A's got the next. The content is A's; the change is told, kept with
    // A's old copy.
    assert_eq!(b.store.document(pending_invoice).unwrap().number.unwrap(), acked_number, "B's came first");
    let renumbered = a.store.document(acked_invoice).unwrap();
    assert_ne!(renumbered.number.as_deref(), Some(acked_number.as_str()));
    let kept = CompanyStore::open_expecting(&a_aside, company).unwrap();
    let before = kept.document(acked_invoice).unwrap();
    assert_eq!((before.lines.clone(), before.contact_id), (renumbered.lines.clone(), renumbered.contact_id));
    assert_eq!(
        kept.renumbered().unwrap(),
        vec![Renumbering { document: acked_invoice, before: acked_number, after: renumbered.number.unwrap() }]
    );
    assert_eq!(kept.pending_count().unwrap(), 0, "nothing there waits to be sent");
    let told = kept.refused_replays().unwrap();
    assert_eq!((told.len(), told[0].action, told[0].mutation_id), (1, "update", refused[0].mutation_id));
    assert!(a.store.contact(prospect.id).is_err() && b.store.contact(prospect.id).is_err(), "B's deletion holds");
    let b_kept = CompanyStore::open_expecting(&b_aside, company).unwrap();
    assert_eq!(b_kept.pending_count().unwrap(), 0);
    assert!(b_kept.renumbered().unwrap().is_empty(), "B's pending invoice had no number before");
    assert!(b_kept.refused_replays().unwrap().is_empty());
}

/// What a device does between the backup and the loss of the host.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A customer and an invoice issued to them, offline (three edits).
    Issue(usize),
    /// A sync: the host acknowledges what waited.
    Sync(usize),
}

/// Any interleaving of two devices' invoices and syncs after the backup, and either
/// device first back on the restored host: every invoice is on the host once, numbers
/// run without a gap, and each invoice the lost host had numbered and the restored one
/// numbered otherwise is told by its device's old copy, with both numbers.
#[test]
fn after_any_interleaving_no_edit_is_lost_or_applied_twice_and_every_renumbering_is_told() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let step = prop_oneof![(0..2_usize).prop_map(Step::Issue), (0..2_usize).prop_map(Step::Sync)];
    let mut runner = TestRunner::new(Config { cases: 6, failure_persistence: None, ..Config::default() });
    runner
        .run(&(proptest::collection::vec(step, 1..8), 0..2_usize), |(steps, first)| {
            runtime.block_on(restore_after(&steps, first));
            Ok(())
        })
        .unwrap();
}

async fn restore_after(steps: &[Step], first: usize) {
    let mut host = crate::builder().demo(40).start().unwrap();
    let company = host.company();
    let accounts = host.accounts.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut devices = vec![device(&host, dir.path(), "a").await, device(&host, dir.path(), "b").await];
    let folder_dir = tempfile::tempdir().unwrap();
    let folder = BackupFolder::new(folder_dir.path());
    folder.take(host.data_dir(), Utc::now()).unwrap();
    let numbered_before = numbers(&devices[0].store).values().map(Vec::len).sum::<usize>();

    // Each device's invoices, and the number the lost host gave those it acknowledged.
    let mut invoices: Vec<Vec<DocumentId>> = vec![Vec::new(), Vec::new()];
    for (n, step) in steps.iter().enumerate() {
        match *step {
            Step::Issue(d) => invoices[d].push(customer_and_invoice(&mut devices[d], &format!("Client {n}")).1),
            Step::Sync(d) => {
                sync(&mut devices[d]).await;
            }
        }
    }
    let acknowledged: Vec<BTreeMap<DocumentId, String>> = devices
        .iter()
        .zip(&invoices)
        .map(|(link, ids)| ids.iter().filter_map(|id| Some((*id, link.store.document(*id).unwrap().number?))).collect())
        .collect();

    host.stop();
    drop(host);
    let mut new_host = crate::builder().start().unwrap();
    new_host
        .restore_with(
            |data_dir| host_backup::restore_newest(data_dir, &folder),
            |e: &HostBackupError| e.code() == "backup_refused",
        )
        .unwrap();

    // Back in the order drawn: each meets the new epoch, sends what it holds, downloads
    // again; the first then syncs once more to get what the second sent.
    let mut links: Vec<Option<Link>> = devices.into_iter().map(Some).collect();
    let mut asides = [None, None];
    for d in [first, 1 - first] {
        let mut link = links[d].take().unwrap();
        link.client = checks::signed_in(&new_host.url, &accounts.email, &accounts.password).await.0;
        let stale = link.sync(Utc::now, &mut |_| {}).await.unwrap_err();
        assert_eq!(stale.kind(), ErrorKind::Rebuilt, "{stale}");
        assert_eq!(link.store.pending_count().unwrap(), 0, "everything reached the restored host");
        assert!(link.store.rejected_mutations().unwrap().is_empty(), "none refused, none applied twice");
        let (link, aside) = download_again(link, Utc::now()).await;
        links[d] = Some(link);
        asides[d] = Some(aside);
    }
    let mut links: Vec<Link> = links.into_iter().map(Option::unwrap).collect();
    sync(&mut links[first]).await;

    let stats = new_host.stats(company).unwrap();
    let all: Vec<DocumentId> = invoices.iter().flatten().copied().collect();
    for link in &links {
        assert_eq!(link.store.replica_stats().unwrap(), stats, "every copy equals the restored host");
        for id in &all {
            assert!(link.store.document(*id).unwrap().number.is_some(), "every invoice numbered on the host");
        }
        let series = numbers(&link.store);
        for (name, counters) in &series {
            let start = counters[0];
            let expected: Vec<u64> = (start..start + counters.len() as u64).collect();
            assert_eq!(*counters, expected, "series {name}: no gap, no duplicate");
        }
        assert_eq!(series.values().map(Vec::len).sum::<usize>(), numbered_before + all.len(), "each invoice once");
    }
    // Renumberings: told by the device whose acknowledged invoice it was, exactly those.
    for d in 0..2 {
        let kept = CompanyStore::open_expecting(asides[d].as_ref().unwrap(), company).unwrap();
        let told: BTreeMap<DocumentId, (String, String)> =
            kept.renumbered().unwrap().into_iter().map(|r| (r.document, (r.before, r.after))).collect();
        let expected: BTreeMap<DocumentId, (String, String)> = acknowledged[d]
            .iter()
            .filter_map(|(id, before)| {
                let after = links[0].store.document(*id).unwrap().number.unwrap();
                (after != *before).then(|| (*id, (before.clone(), after)))
            })
            .collect();
        assert_eq!(told, expected, "device {d}");
    }
}
