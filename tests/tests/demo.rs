//! The embedded demo as a new user meets it (`scripts/run-demo.sh`): started on a folder,
//! signed in, a company downloaded, the app closed and started again on the same folder.
//! The second start must be synced within seconds, without a new download, whether the
//! embedded server gets its port back or has to take another one.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::cell::Cell;
use std::path::Path;
use std::sync::Arc;

use comptoir::app::ComptoirApp;
use comptoir::demo::{DemoServer, client_dir, server_dir};
use comptoir_core::clock::SystemClock;
use comptoir_core::demo::DemoSize;
use comptoir_core::engine::SetupStep;
use comptoir_core::model::CompanyId;
use comptoir_core::store::{AppStore, CompanyStore};
use comptoir_server::storage::{SqliteStorage, Storage as _};
use comptoir_tests::app_harness;
use comptoir_tests::ui::{type_into, wait_for, wait_until};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use uuid::Uuid;

fn start_demo(folder: &Path) -> DemoServer {
    comptoir::demo::start(folder, &DemoSize::with_records(200)).unwrap()
}

/// The app on the demo's client folder, as `comptoir --demo` starts it.
fn demo_app(folder: &Path, server: &DemoServer) -> Harness<'static, ComptoirApp> {
    app_harness(&client_dir(folder), server.url(), Arc::new(SystemClock), egui::vec2(1000.0, 700.0))
}

/// Every server address the copy keeps: the one the wizard proposes, then each account's.
fn kept_addresses(folder: &Path) -> Vec<String> {
    let app = AppStore::open(&client_dir(folder).join(AppStore::FILE_NAME)).unwrap();
    let accounts = app.accounts().unwrap();
    assert!(!accounts.is_empty(), "the copy keeps the demo account");
    app.server_url().unwrap().into_iter().chain(accounts.into_iter().map(|a| a.server_url)).collect()
}

/// What the server holds: the demo user, and each of its companies with its log's epoch.
fn server_snapshot(folder: &Path) -> (comptoir_core::model::UserId, Vec<(CompanyId, Uuid)>) {
    let storage = SqliteStorage::open(&server_dir(folder)).unwrap();
    let user = storage.user_by_email(comptoir_server::demo::DEMO_EMAIL).unwrap().unwrap().id;
    let mut companies: Vec<_> = storage
        .memberships(user)
        .unwrap()
        .into_iter()
        .map(|(company, _)| (company.id, storage.log_state(company.id).unwrap().unwrap().epoch))
        .collect();
    companies.sort();
    (user, companies)
}

/// The epoch of the copy's cursor for `company`.
fn copy_epoch(folder: &Path, company: CompanyId) -> Uuid {
    let app = AppStore::open(&client_dir(folder).join(AppStore::FILE_NAME)).unwrap();
    let path = app.company(company).unwrap().file_path;
    CompanyStore::open_expecting(&path, company).unwrap().sync_cursor().unwrap().unwrap().epoch
}

/// Starts the app again on the folder and waits for "Synchronisé", checking on every
/// frame that the wizard never shows: the company is reopened (a `Ready` step, which
/// goes straight to work), never chosen or downloaded again.
fn synced_again(folder: &Path, server: &DemoServer, company: CompanyId) {
    let mut harness = demo_app(folder, server);
    let wizard_seen = Cell::new(None);
    wait_until(&mut harness, "“Synchronisé” after a restart", |h| {
        let step = &h.state().wizard.step;
        if !matches!(step, None | Some(SetupStep::Ready { .. })) || h.query_by_label("Commencer").is_some() {
            wizard_seen.set(Some(format!("{step:?}")));
        }
        h.query_by_label("Synchronisé").is_some()
    });
    assert_eq!(wizard_seen.take(), None, "the wizard showed again");
    assert_eq!(harness.state().working.as_ref().map(|c| c.id), Some(company));
    assert!(harness.query_by_label_contains("Hors ligne").is_none());
    // Closed as `main` closes it: the engine finished before the next start opens the
    // folder (two engines on one folder would both use the session's refresh token).
    comptoir_tests::ui::close(harness);
}

#[test]
fn the_demo_started_again_is_synced_on_its_own_server() {
    let folder = tempfile::tempdir().unwrap();
    let folder = folder.path();

    // First start: the wizard, with the demo account.
    let mut server = start_demo(folder);
    let first_url = server.url().to_owned();
    let mut harness = demo_app(folder, &server);
    wait_for(&mut harness, "Adresse e-mail");
    type_into(&mut harness, "Adresse e-mail", &server.account().email);
    type_into(&mut harness, "Mot de passe", &server.account().password);
    harness.get_by_label("Se connecter").click();
    wait_until(&mut harness, "the company choice", |h| {
        matches!(h.state().wizard.step, Some(SetupStep::ChooseCompany { .. }))
    });
    let Some(SetupStep::ChooseCompany { companies }) = harness.state().wizard.step.clone() else { unreachable!() };
    let name = companies[0].name.clone();
    harness.get_by_label(&name).click();
    wait_for(&mut harness, "Commencer");
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Synchronisé");
    let company = harness.state().working.as_ref().unwrap().id;
    comptoir_tests::ui::close(harness);
    server.stop();
    let seeded = server_snapshot(folder);
    let epoch = copy_epoch(folder, company);
    assert!(seeded.1.contains(&(company, epoch)), "the copy follows the server's log");
    drop(server);

    // Second start on the same folder: the same port, the same data, synced at once.
    let mut server = start_demo(folder);
    assert_eq!(server.url(), first_url, "the embedded server keeps its port");
    assert!(kept_addresses(folder).iter().all(|url| *url == first_url));
    synced_again(folder, &server, company);
    server.stop();
    assert_eq!(server_snapshot(folder), seeded, "not seeded again, the same epochs");
    assert_eq!(copy_epoch(folder, company), epoch);
    drop(server);

    // Third start while another program holds that port: a new port, and the copy follows.
    let squatter = std::net::TcpListener::bind(first_url.trim_start_matches("http://")).unwrap();
    let server = start_demo(folder);
    assert_ne!(server.url(), first_url);
    assert!(kept_addresses(folder).iter().all(|url| url == server.url()), "{:?}", kept_addresses(folder));
    synced_again(folder, &server, company);
    drop(squatter);
    assert_eq!(server_snapshot(folder), seeded);
    assert_eq!(copy_epoch(folder, company), epoch, "nothing downloaded again");
}
