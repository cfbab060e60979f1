//! Paramètres → Modèles in the real app, driven by accessible labels against the real
//! server on loopback, with the real template files in the app's data folder: the
//! built-in template duplicated, the copy broken at a known line (written with
//! `std::fs`, as the user's editor would), "Recharger" shows that line, choosing it
//! falls back to the built-in template with the warning, fixed and reloaded it is valid
//! and in use. The desktop's shell records what the app asks to open instead of opening it.

#![allow(clippy::unwrap_used, reason = "test: a panic is the failure report")]

use comptoir::app::ComptoirApp;
use comptoir_core::export::pdf::BUILT_IN_TEMPLATE;
use comptoir_core::export::templates::{TemplateChoice, TemplateFolder, TemplateName, TemplateProblem};
use comptoir_core::model::Role;
use comptoir_tests::ui::{close, copy, go_to, opened, record_desktop, replace_text, wait_for, wait_until};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// Brings the widget named `label` into view and clicks it.
fn press(harness: &mut Harness<'_, ComptoirApp>, label: &str) {
    harness.get_by_label(label).scroll_to_me();
    harness.step();
    harness.get_by_label(label).click();
    harness.step();
}

/// How many widgets are named exactly `label`.
fn count(harness: &Harness<'_, ComptoirApp>, label: &str) -> usize {
    harness.query_all_by_label(label).count()
}

/// The built-in template with line `line` (1-based) replaced by `text`.
fn broken_at(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = BUILT_IN_TEMPLATE.lines().collect();
    lines[line - 1] = text;
    lines.join("\n")
}

#[test]
fn a_template_is_duplicated_broken_reloaded_chosen_with_its_fallback_and_fixed() {
    let (_server, dir, mut harness) = opened(40, 0);
    let shell = record_desktop(&mut harness);
    let company = copy(&harness).company().unwrap().id;
    let folder = TemplateFolder::new(dir.path(), company);
    let maison = TemplateName::parse("Maison").unwrap();
    let file = folder.file(&maison);

    go_to(&mut harness, "Paramètres");
    wait_for(&mut harness, "Modèles");
    press(&mut harness, "Modèles");
    wait_for(&mut harness, "Modèle intégré");
    wait_for(&mut harness, "En service");

    // Dupliquer… the built-in template under a name of one's own.
    press(&mut harness, "Dupliquer… — Modèle intégré");
    wait_for(&mut harness, "Nom du nouveau modèle");
    replace_text(&mut harness, "Nom du nouveau modèle", "../évasion");
    wait_for(&mut harness, "Un nom de modèle ne contient que des lettres");
    assert!(harness.get_by_label("Créer").accesskit_node().is_disabled(), "a name with a path is refused as typed");
    replace_text(&mut harness, "Nom du nouveau modèle", "Maison");
    press(&mut harness, "Créer");
    wait_for(&mut harness, "Modèle « Maison » créé");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), BUILT_IN_TEMPLATE);
    // The copy is checked: valid, like the built-in one.
    wait_until(&mut harness, "the copy checked valid", |h| count(h, "Modèle valide") == 2);

    // Modifier dans l'éditeur: the file goes to the system's editor.
    press(&mut harness, "Modifier dans l'éditeur — Maison");
    wait_until(&mut harness, "the copy opened", |_| shell.opened.lock().unwrap().contains(&file));

    // The user breaks line 12 in their editor; Recharger says where.
    std::fs::write(&file, broken_at(12, "#let = (")).unwrap();
    press(&mut harness, "Recharger — Maison");
    wait_for(&mut harness, "Ligne 12 :");
    assert_eq!(count(&harness, "Modèle valide"), 1, "only the built-in one is valid now");

    // Chosen, it falls back: documents get the built-in template, and the warning shows.
    press(&mut harness, "Choisir — Maison");
    wait_for(&mut harness, "Modèle en service : Maison");
    wait_for(&mut harness, "Le modèle « Maison » ne peut pas servir (Ligne 12 :");
    let active = harness.state().screens.settings.templates.active().cloned().unwrap();
    assert_eq!(active.choice, TemplateChoice::File(maison.clone()));
    assert_eq!(active.template(), None, "the built-in template lays documents out");
    let warning = active.warning.unwrap();
    assert!(matches!(&warning.problem, TemplateProblem::Broken(fault) if fault.line == Some(12)), "{warning}");
    // What the preview, the e-mail and the command line get, from the files alone.
    assert_eq!(folder.active().warning, Some(warning));

    // Fixed and reloaded: valid, in use, no warning.
    std::fs::write(&file, BUILT_IN_TEMPLATE).unwrap();
    press(&mut harness, "Recharger — Maison");
    wait_until(&mut harness, "the fixed template valid and in use", |h| {
        count(h, "Modèle valide") == 2
            && h.state().screens.settings.templates.active().is_some_and(|active| active.warning.is_none())
    });
    assert!(harness.query_by_label_contains("ne peut pas servir").is_none(), "the warning is gone");
    let active = folder.active();
    assert_eq!((active.template(), &active.warning), (Some(BUILT_IN_TEMPLATE), &None));

    // Ouvrir le dossier: the company's folder goes to the file manager.
    press(&mut harness, "Ouvrir le dossier");
    wait_until(&mut harness, "the folder opened", |_| {
        shell.opened.lock().unwrap().contains(&folder.path().to_path_buf())
    });

    // Back to the built-in template.
    press(&mut harness, "Choisir — Modèle intégré");
    wait_for(&mut harness, "Modèle en service : Modèle intégré");
    assert_eq!(folder.chosen(), TemplateChoice::BuiltIn);

    // A role that does not change the company's settings cannot choose; it may still
    // duplicate, edit and check.
    harness.state_mut().role = Some(Role::Sales);
    wait_until(&mut harness, "Choisir greyed for a sales role", |h| {
        h.get_by_label("Choisir — Maison").accesskit_node().is_disabled()
    });
    assert!(comptoir_tests::ui::shows(&harness, "Votre rôle"), "the reason shows");
    assert!(!harness.get_by_label("Recharger — Maison").accesskit_node().is_disabled());
    press(&mut harness, "Choisir — Maison");
    assert_eq!(folder.chosen(), TemplateChoice::BuiltIn);
    close(harness);
}
