//! The first-run wizard of the real app, driven with `egui_kittest` by accessible labels,
//! against the real server on loopback.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::sync::Arc;

use comptoir::app::ComptoirApp;
use comptoir_core::clock::{Clock, ManualClock, SystemClock};
use comptoir_core::engine::SetupStep;
use comptoir_core::sync::RecordKind;
use comptoir_tests::ui::{file_menu, open_company, type_into, wait_for, wait_for_watching};
use comptoir_tests::{TestServer, app_harness, totp_code};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn app(dir: &std::path::Path, server: &str) -> Harness<'static, ComptoirApp> {
    app_with_clock(dir, server, Arc::new(SystemClock))
}

fn app_with_clock(dir: &std::path::Path, server: &str, clock: Arc<dyn Clock>) -> Harness<'static, ComptoirApp> {
    app_harness(dir, server, clock, egui::vec2(1000.0, 700.0))
}

#[test]
fn the_wizard_signs_in_chooses_a_company_and_downloads_it() {
    let server = TestServer::start(1_500).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url);
    wait_for(&mut harness, "Adresse e-mail");
    harness.get_by_label("1. Connexion");
    type_into(&mut harness, "Adresse e-mail", &server.accounts.email);
    type_into(&mut harness, "Mot de passe", "pas le bon");
    harness.get_by_label("Se connecter").click();
    wait_for(&mut harness, "mot de passe est incorrect");
    // The reason in words, the password field emptied, and a way to try again.
    assert_eq!(harness.get_by_label("Mot de passe").value().as_deref(), Some(""));
    type_into(&mut harness, "Mot de passe", &server.accounts.password);
    harness.get_by_label("Réessayer la connexion").click();

    let (_, large, _) = server.accounts.companies[1].clone();
    wait_for(&mut harness, &large);
    harness.get_by_label("2. Choix de l'entreprise");
    harness.get_by_label(&large).click();

    // The download's progress, overall and per category, only forward, up to 100 %.
    let mut shown = Vec::new();
    wait_for_watching(&mut harness, "Commencer", |h| {
        if let Some(progress) = &h.state().wizard.progress {
            shown.push(progress.overall);
        }
    });
    assert!(shown.windows(2).all(|w| w[0] <= w[1]), "{shown:?}");
    harness.get_by_label("4. Prêt");
    harness.get_by_label("Progression totale : 100 %");
    let documents = harness.state().wizard.progress.as_ref().unwrap().categories[&RecordKind::Document];
    assert!(documents.done > 0 && documents.done == documents.total);
    harness.get_by_label(&format!("{} sur {}", documents.done, documents.total));
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Synchronisé");
    harness.get_by_label(&large);
}

#[test]
fn the_wizard_asks_for_the_code_of_a_two_factor_account() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url);
    wait_for(&mut harness, "Adresse e-mail");
    type_into(&mut harness, "Adresse e-mail", &server.accounts.totp_email);
    type_into(&mut harness, "Mot de passe", &server.accounts.totp_password);
    harness.get_by_label("Se connecter").click();
    wait_for(&mut harness, "Valider le code");
    let code = totp_code(&server.accounts.totp_secret, chrono::Utc::now()).unwrap();
    type_into(&mut harness, "Code", &code);
    harness.get_by_label("Valider le code").click();
    // One company: no choice, straight to the download, then ready.
    let mut asked_to_choose = false;
    wait_for_watching(&mut harness, "Commencer", |h| {
        asked_to_choose |= matches!(h.state().wizard.step, Some(SetupStep::ChooseCompany { .. }));
    });
    assert!(!asked_to_choose);
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Synchronisé");
}

#[test]
fn the_wizard_will_not_send_a_password_over_plain_http_to_another_machine() {
    // 192.0.2.10 is a documentation address: nothing answers there, and nothing is sent.
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), "http://192.0.2.10:8640");
    wait_for(&mut harness, "Adresse e-mail");
    type_into(&mut harness, "Adresse e-mail", "claire@atelier.fr");
    type_into(&mut harness, "Mot de passe", "un mot de passe solide");
    harness.get_by_label("Se connecter").click();
    // Why, and what to do, in the user's language.
    wait_for(&mut harness, "n'envoie ni mot de passe ni jeton de connexion en clair");
    harness.get_by_label_contains("utilisez l'adresse https:// du serveur");
}

#[test]
fn offline_the_orange_banner_counts_down_and_goes_when_the_server_is_back() {
    let mut server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let mut harness = app_with_clock(dir.path(), &server.url, clock.clone());
    open_company(&mut harness, &server, 1);
    assert!(harness.query_by_label_contains("Hors ligne").is_none());

    server.stop();
    clock.advance(chrono::Duration::hours(50));
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_for(&mut harness, "Hors ligne depuis");
    harness.get_by_label_contains("Lecture seule dans 0 j 22 h");
    harness.get_by_label("Hors ligne");
    // The bell counts the warning; its list says it.
    harness.get_by_label("Notifications (1)").click();
    wait_for(&mut harness, "si aucune synchronisation ne réussit");
    assert_eq!(harness.state().unread, 0, "opening the list reads them");
    assert!(harness.query_by_label("Notifications (1)").is_none());
    harness.get_all_by_label("Notifications").next().unwrap().click();
    harness.step();
    assert!(!harness.state().bell_open, "the bell closes its list again");

    clock.advance(chrono::Duration::hours(23));
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_for(&mut harness, "Lecture seule : synchronisez");

    server.restart().unwrap();
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_for(&mut harness, "Synchronisé");
    assert!(harness.query_by_label_contains("Hors ligne").is_none(), "the banner is gone");
}

#[test]
fn switching_the_language_changes_the_window_and_is_kept() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url);
    open_company(&mut harness, &server, 1);
    file_menu(&mut harness, "Préférences…");
    wait_for(&mut harness, "Personnel");
    harness.get_by_label("Personnel").click();
    wait_for(&mut harness, "Langue d'affichage");
    harness.get_by_label("English").click();
    wait_for(&mut harness, "Display language");
    harness.get_by_label("File");
    harness.get_by_label("Synchronised");
    assert!(harness.query_by_label("Fichier").is_none());
    comptoir_tests::ui::close(harness);

    // The next start speaks English from the first frame on.
    let mut harness = app(dir.path(), &server.url);
    wait_for(&mut harness, "Synchronised");
}

#[test]
fn a_renamed_company_file_is_recognised_and_re_linked() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url);
    open_company(&mut harness, &server, 1);
    let company = harness.state().working.clone().unwrap();
    comptoir_tests::ui::close(harness);

    let companies = dir.path().join("companies");
    std::fs::rename(companies.join(format!("{}.comptoir", company.id)), companies.join("copie société.comptoir"))
        .unwrap();
    let mut harness = app(dir.path(), &server.url);
    wait_for(&mut harness, "Ce fichier n'est pas correctement attaché");
    harness.get_by_label("Rétablir le lien").click();
    wait_for(&mut harness, "Synchronisé");
    harness.get_by_label(&company.name);
    assert!(harness.query_by_label_contains("pas correctement attaché").is_none());
}

#[test]
fn a_fault_in_the_engine_shows_in_the_window() {
    let server = TestServer::start(50).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = comptoir_tests::app_harness_with_credentials(
        dir.path(),
        &server.url,
        Arc::new(SystemClock),
        egui::vec2(1000.0, 700.0),
        Arc::new(comptoir_tests::fixtures::PanickingKeychain),
    );
    wait_for(&mut harness, "Adresse e-mail");
    type_into(&mut harness, "Adresse e-mail", &server.accounts.email);
    type_into(&mut harness, "Mot de passe", &server.accounts.password);
    harness.get_by_label("Se connecter").click();
    // The keychain panics on the engine's thread: the window says so, in words.
    wait_for(&mut harness, "La synchronisation s'est arrêtée sur une erreur interne");
    assert!(harness.query_by_label_contains("keychain fault injected").is_some(), "with the reason");
}
