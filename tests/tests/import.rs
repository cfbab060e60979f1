//! Fichier → Importer des contacts…, in the real app against the real server, driven by
//! accessible labels: 1,000 contacts of which 7 are bad; 993 are imported and the 7
//! reported by their line; the same file again imports nothing; after a sync the server
//! holds the 993 new contacts.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::sync::Arc;

use comptoir::app::ComptoirApp;
use comptoir_core::clock::SystemClock;
use comptoir_core::model::identifiers::{french_vat_key, luhn_check_digit};
use comptoir_core::store::CompanyStore;
use comptoir_core::sync::RecordKind;
use comptoir_tests::ui::{file_menu, open_company, type_into, wait_for, wait_until};
use comptoir_tests::{TestServer, app_harness};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

const ROWS: u64 = 1_000;

/// The bad rows (their index among the data rows) and the start of what the dialog says
/// of each.
const BAD: [(u64, &str); 7] = [
    (100, "N° TVA : Ce numéro de TVA n'est pas valide"),
    (250, "Nom : Ce champ est obligatoire."),
    (400, "E-mail : Cette adresse e-mail n'est pas valide."),
    (550, "Les guillemets de cette ligne ne sont pas équilibrés."),
    (700, "Pays : Ce code pays n'est pas valide"),
    (850, "Ville : Ce champ est obligatoire."),
    (990, "Cette ligne a plus de cellules que de colonnes"),
];

/// A valid French VAT number, different for each `n`.
fn vat_number(n: u64) -> String {
    let base = format!("{:08}", 72_000_000 + n);
    let siren: u64 = format!("{base}{}", luhn_check_digit(&base)).parse().unwrap();
    format!("FR{:02}{siren:09}", french_vat_key(siren))
}

/// UTF-8 with its byte-order mark, as "CSV UTF-8" saves it.
fn contacts_csv() -> String {
    let mut text = String::from("\u{FEFF}Nom;E-mail;N° TVA;Adresse;Code postal;Ville;Pays\r\n");
    for n in 0..ROWS {
        let (name, email) = (format!("Client importé {n}"), format!("client{n}@import.example"));
        let vat = if n % 3 == 0 { vat_number(n) } else { String::new() };
        let row = match n {
            100 => format!("{name};{email};FR00{};{n} rue de la Gare;69003;Lyon;FR", &vat_number(n)[4..]),
            250 => format!(";{email};;{n} rue de la Gare;69003;Lyon;FR"),
            400 => format!("{name};client{n}(at)import.example;;{n} rue de la Gare;69003;Lyon;FR"),
            550 => format!("\"{name};{email};;{n} rue de la Gare;69003;Lyon;FR"),
            700 => format!("{name};{email};;{n} rue de la Gare;69003;Lyon;Atlantide"),
            850 => format!("{name};{email};;{n} rue de la Gare;69003;;FR"),
            990 => format!("{name};{email};;{n};rue de la Gare;69003;Lyon;FR"),
            _ => format!("{name};{email};{vat};{n} rue de la Gare;69003;Lyon;FR"),
        };
        text.push_str(&row);
        text.push_str("\r\n");
    }
    text
}

fn copy(harness: &Harness<'_, ComptoirApp>) -> CompanyStore {
    CompanyStore::open_read_only(harness.state().reader.as_ref().unwrap().path()).unwrap()
}

fn contacts_in(store: &CompanyStore) -> u64 {
    store.table_counts().unwrap().into_iter().find(|(table, _)| *table == "contacts").unwrap().1.count
}

#[test]
fn a_thousand_contacts_are_imported_once_and_reach_the_server() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clients.csv");
    std::fs::write(&file, contacts_csv()).unwrap();
    let mut harness = app_harness(dir.path(), &server.url, Arc::new(SystemClock), egui::vec2(1400.0, 1000.0));
    open_company(&mut harness, &server, 0);
    let company = server.accounts.companies[0].0;
    let on_server = || server.stats(company).unwrap().get(&RecordKind::Contact).map_or(0, |s| s.count);
    let server_before = on_server();
    let copy_before = contacts_in(&copy(&harness));

    file_menu(&mut harness, "Importer des contacts…");
    wait_for(&mut harness, "Fichier CSV");
    type_into(&mut harness, "Fichier CSV", file.to_str().unwrap());
    harness.get_by_label("Lire").click();
    wait_for(&mut harness, "993 à importer, 0 déjà présentes, 7 refusées");
    harness.get_by_label_contains("1000 lignes lues (UTF-8, séparateur ;)");
    // The preview shows the rows as mapped, the headers guessed.
    harness.get_by_label("Client importé 0");
    harness.get_by_label("client19@import.example");
    for (n, reason) in BAD {
        let line = n + 2;
        let said = format!("Ligne {line} — {reason}");
        assert_eq!(harness.query_all_by_label_contains(&said).count(), 1, "{said}");
    }
    assert_eq!(harness.query_all_by_label_contains("Ligne ").count(), 7, "the 7 refused rows, no others");

    harness.get_by_label("Importer").click();
    wait_until(&mut harness, "the engine's answer to every edit", |h| {
        h.state().screens.import.as_ref().is_some_and(comptoir::screens::import::ImportDialog::finished)
    });
    wait_for(&mut harness, "Import terminé : 993 importées, 0 déjà présentes, 7 refusées");
    assert_eq!(contacts_in(&copy(&harness)), copy_before + 993);

    // The same file again: everything is there already.
    harness.get_by_label("Lire").click();
    wait_for(&mut harness, "0 à importer, 993 déjà présentes, 7 refusées");
    harness.get_by_label_contains("Rien de nouveau à importer.");
    assert_eq!(contacts_in(&copy(&harness)), copy_before + 993);

    // Closed, then a sync: the server holds them.
    harness.state_mut().screens.import = None;
    harness.step();
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "every edit sent", |h| copy(h).pending_count().unwrap() == 0);
    assert_eq!(on_server(), server_before + 993);
    let contacts = copy(&harness).list_contacts(true, 0, 10_000).unwrap();
    let last = contacts.iter().find(|c| c.name == "Client importé 999").unwrap();
    assert_eq!(last.email.as_deref(), Some("client999@import.example"));
    assert_eq!(last.vat_number.as_ref().map(|v| v.as_str().to_owned()), Some(vat_number(999)));
    assert_eq!(last.billing_address.city, "Lyon");
}
