//! The first-run wizard of the real app, driven with `egui_kittest` by accessible labels,
//! against the real server on loopback.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::app::ComptoirApp;
use comptoir::i18n::Language;
use comptoir_core::clock::SystemClock;
use comptoir_core::engine::credentials::FileCredentials;
use comptoir_core::engine::{EngineConfig, SetupStep, Timing};
use comptoir_core::sync::RecordKind;
use comptoir_tests::{TestServer, totp_code};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn app(dir: &std::path::Path, server: &str) -> Harness<'static, ComptoirApp> {
    let config = EngineConfig {
        data_dir: dir.to_path_buf(),
        default_server: server.to_owned(),
        clock: Arc::new(SystemClock),
        credentials: Arc::new(FileCredentials::new(&dir.join("credentials.json"))),
        wake: Arc::new(|| {}),
        timing: Timing::default(),
    };
    let app = ComptoirApp::start(config, Language::French, None).unwrap();
    Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .build_ui_state(|ui, app: &mut ComptoirApp| app.frame_ui(ui), app)
}

/// Runs frames until a widget whose label contains `text` shows, while the engine works
/// on its own thread; `seen` is called on every frame.
fn wait_for(harness: &mut Harness<'_, ComptoirApp>, text: &str, mut seen: impl FnMut(&Harness<'_, ComptoirApp>)) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        harness.step();
        seen(harness);
        if harness.query_by_label_contains(text).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("“{text}” never showed; the wizard is at {:?}", harness.state().wizard.step);
}

fn type_into(harness: &mut Harness<'_, ComptoirApp>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
}

#[test]
fn the_wizard_signs_in_chooses_a_company_and_downloads_it() {
    let server = TestServer::start(1_500).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url);
    wait_for(&mut harness, "Adresse e-mail", |_| {});
    harness.get_by_label("1. Connexion");
    type_into(&mut harness, "Adresse e-mail", &server.accounts.email);
    type_into(&mut harness, "Mot de passe", "pas le bon");
    harness.get_by_label("Se connecter").click();
    wait_for(&mut harness, "mot de passe est incorrect", |_| {});
    // The reason in words, the password field emptied, and a way to try again.
    assert_eq!(harness.get_by_label("Mot de passe").value().as_deref(), Some(""));
    type_into(&mut harness, "Mot de passe", &server.accounts.password);
    harness.get_by_label("Réessayer la connexion").click();

    let (_, large, _) = server.accounts.companies[1].clone();
    wait_for(&mut harness, &large, |_| {});
    harness.get_by_label("2. Choix de l'entreprise");
    harness.get_by_label(&large).click();

    // The download's progress, overall and per category, only forward, up to 100 %.
    let mut shown = Vec::new();
    wait_for(&mut harness, "Commencer", |h| {
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
    wait_for(&mut harness, "Synchronisé", |_| {});
    harness.get_by_label(&large);
}

#[test]
fn the_wizard_asks_for_the_code_of_a_two_factor_account() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url);
    wait_for(&mut harness, "Adresse e-mail", |_| {});
    type_into(&mut harness, "Adresse e-mail", &server.accounts.totp_email);
    type_into(&mut harness, "Mot de passe", &server.accounts.totp_password);
    harness.get_by_label("Se connecter").click();
    wait_for(&mut harness, "Valider le code", |_| {});
    let code = totp_code(&server.accounts.totp_secret, chrono::Utc::now()).unwrap();
    type_into(&mut harness, "Code", &code);
    harness.get_by_label("Valider le code").click();
    // One company: no choice, straight to the download, then ready.
    let mut asked_to_choose = false;
    wait_for(&mut harness, "Commencer", |h| {
        asked_to_choose |= matches!(h.state().wizard.step, Some(SetupStep::ChooseCompany { .. }));
    });
    assert!(!asked_to_choose);
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Synchronisé", |_| {});
}
