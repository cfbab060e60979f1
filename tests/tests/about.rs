//! Aide → « À propos de Comptoir » in the real app, driven by accessible labels: the
//! version and Comptoir's licence show, the list of bundled crates and fonts is searched,
//! and a crate opens its full licence text.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir::i18n::{Language, Texts};
use comptoir::licences::Licences;
use comptoir::screens::about::row_text;
use comptoir_tests::ui::{opened, replace_text, shows, type_into, wait_for, wait_until};
use egui_kittest::kittest::{By, Queryable as _};

#[test]
fn the_about_window_shows_the_version_and_each_component_s_licence() {
    let licences = Licences::embedded().unwrap();
    let texts = Texts::new(Language::French);
    let (_server, _dir, mut harness) = opened(20, 0);

    harness.get_by_label("Aide").click();
    wait_for(&mut harness, "À propos de Comptoir");
    harness.get(By::new().label("À propos de Comptoir").role(egui::accesskit::Role::Button)).click();
    wait_for(&mut harness, &format!("Version {}", env!("CARGO_PKG_VERSION")));
    assert!(shows(&harness, &format!("sous la licence {}", env!("CARGO_PKG_LICENSE"))));
    // The list is read on its own thread, then counted.
    let total = licences.components.len();
    wait_for(&mut harness, &format!("{total} sur {total}"));

    // A search keeps the components whose name or licence has the words.
    let egui = licences.components.iter().find(|c| c.name == "egui").unwrap();
    let tokio = licences.components.iter().find(|c| c.name == "tokio").unwrap();
    type_into(&mut harness, "Rechercher un composant", "egui");
    let shown = licences.search("egui").count();
    wait_for(&mut harness, &format!("{shown} sur {total}"));
    assert!(shows(&harness, &row_text(egui, &texts)), "egui's row shows its version and licence");
    assert!(!shows(&harness, &row_text(tokio, &texts)), "tokio does not match “egui”");

    // egui opens its text: a canonical one, since the crate ships no licence file.
    harness.get_by_label(&row_text(egui, &texts)).click();
    wait_for(&mut harness, "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION");
    assert!(shows(&harness, "ne fournit pas de fichier de licence"));
    assert!(shows(&harness, &format!("Source : {}", egui.source)));

    // Back to the list, the search kept; a font is listed too; nothing matches nonsense.
    harness.get_by_label("Retour à la liste").click();
    wait_for(&mut harness, &format!("{shown} sur {total}"));
    replace_text(&mut harness, "Rechercher un composant", "dejavu");
    wait_for(&mut harness, "(police) — Bitstream-Vera");
    harness.get_by_label_contains("(police) — Bitstream-Vera").click();
    wait_for(&mut harness, "Bitstream Vera is a trademark");
    harness.get_by_label("Retour à la liste").click();
    wait_for(&mut harness, "Rechercher un composant");
    replace_text(&mut harness, "Rechercher un composant", "zz-no-such-crate");
    wait_for(&mut harness, "Aucun composant ne correspond à « zz-no-such-crate ».");

    harness.get_by_label("Fermer").click();
    wait_until(&mut harness, "the window closed", |h| !shows(h, "Rechercher un composant"));
    assert!(harness.state().about.is_none());
}
