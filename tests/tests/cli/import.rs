//! `comptoir import contacts|articles` on a data folder made by a real download
//! (`comptoir sync`): valid rows are queued, refused rows reported by line, nothing is
//! imported twice, and the next sync brings the new records to the server.

use std::path::Path;
use std::process::{Command, Output};

use comptoir_core::model::CompanyId;
use comptoir_core::model::identifiers::{french_vat_key, luhn_check_digit};
use comptoir_core::store::{AppStore, CompanyStore};
use comptoir_core::sync::{Intent, Mutation, RecordKind};
use comptoir_tests::TestServer;

use crate::{APP_BIN, stderr, stdout};

/// The records of `kind` the server holds for `company`.
fn count(server: &TestServer, company: CompanyId, kind: RecordKind) -> u64 {
    server.stats(company).unwrap().get(&kind).map_or(0, |s| s.count)
}

/// `comptoir sync` for the company: the first run downloads it, later ones send what waits.
fn sync(server: &TestServer, data: &Path, company: &str) {
    let accounts = &server.accounts;
    let output = crate::sync(data, &server.url, &accounts.email, &accounts.password, &["--company", company]);
    assert!(output.status.success(), "{}", stderr(&output));
}

fn import(data: &Path, what: &str, company: &str, file: &Path, extra: &[&str]) -> Output {
    Command::new(APP_BIN)
        .args(["import", what, "--company", company, "--data"])
        .arg(data)
        .args(extra)
        .arg(file)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The edits the copy at `path` waits to send.
/// The edits waiting in the copy at `path`, as its account would send them (the CLI
/// queues them in the name of the account the company was opened with).
fn pending(path: &Path) -> Vec<Mutation> {
    let mut store = CompanyStore::open(path).unwrap();
    let demo = comptoir_server::demo::DEMO_EMAIL;
    let author = store.members().unwrap().into_iter().find(|m| m.1 == demo).map(|m| m.0);
    store.set_author(author);
    let waiting = store.pending_mutations(10_000).unwrap();
    assert_eq!(waiting.len() as u64, store.pending_count().unwrap(), "every waiting edit is this account's");
    waiting
}

/// A valid French VAT number, different for each `n`.
fn vat_number(n: u64) -> String {
    let base = format!("{:08}", 71_000_000 + n);
    let siren: u64 = format!("{base}{}", luhn_check_digit(&base)).parse().unwrap();
    format!("FR{:02}{siren:09}", french_vat_key(siren))
}

/// 60 contacts in Windows-1252 as French Excel saves them, rows 11, 22 and 33 (file
/// lines 13, 24, 35: the header is line 1) bad.
fn contacts_file(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("Raison sociale;Courriel;N° TVA;Adresse;Code postal;Ville\r\n");
    for n in 0..60u64 {
        let row = match n {
            11 => format!("Société {n};s{n}@exemple.fr;FR00{};1 rue A;75001;Paris", &vat_number(n)[4..]),
            22 => format!(";s{n}@exemple.fr;;1 rue A;75001;Paris"),
            33 => format!("Société {n};pas une adresse;;1 rue A;75001;Paris"),
            n if n % 2 == 0 => format!("Société {n};s{n}@exemple.fr;{};{n} rue de l'Église;69003;Lyon", vat_number(n)),
            _ => format!("Établissements {n};e{n}@exemple.fr;;{n} quai Général;13002;Marseille"),
        };
        text.push_str(&row);
        text.push_str("\r\n");
    }
    let bytes: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let path = dir.join("clients.csv");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn contacts_and_articles_are_imported_once_and_reach_the_server_with_the_next_sync() {
    let server = TestServer::start(200).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (company, name, _) = server.accounts.companies[0].clone();
    sync(&server, data.path(), &name);
    let contacts_before = count(&server, company, RecordKind::Contact);
    let articles_before = count(&server, company, RecordKind::Article);
    let file = contacts_file(data.path());

    // A dry run reports and queues nothing.
    let dry = import(data.path(), "contacts", &name, &file, &["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("would import 57, already there 0, refused 3"), "{}", stdout(&dry));
    let app = AppStore::open(&data.path().join(AppStore::FILE_NAME)).unwrap();
    let path = app.company(company).unwrap().file_path;
    assert!(pending(&path).is_empty());

    let first = import(data.path(), "contacts", &name, &file, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("Windows-1252, separated by “;”, 60 row(s)"), "{out}");
    assert!(out.contains("column “N° TVA” → vat-number"), "{out}");
    assert!(out.contains("imported 57, already there 0, refused 3"), "{out}");
    assert!(out.contains("line 13: vat_number_invalid (vat-number)"), "{out}");
    assert!(out.contains("line 24: field_required (name): The field “name” is required."), "{out}");
    assert!(out.contains("line 35: email_invalid (email)"), "{out}");
    let waiting = pending(&path);
    assert_eq!(waiting.len(), 57);
    assert!(waiting.iter().all(|m| matches!(&m.intent, Intent::CreateContact { .. })));
    let Intent::CreateContact { contact } = &waiting[1].intent else { unreachable!() };
    assert_eq!(contact.name, "Établissements 1", "read as Windows-1252");
    assert_eq!(contact.billing_address.street, "1 quai Général");

    // The same file again: all there already, nothing more queued.
    let again = import(data.path(), "contacts", &name, &file, &[]);
    assert!(stdout(&again).contains("imported 0, already there 57, refused 3"), "{}", stdout(&again));
    assert_eq!(pending(&path).len(), 57);

    // Articles, UTF-8 with a BOM and commas; one code already taken in the file.
    let articles = data.path().join("articles.csv");
    std::fs::write(
        &articles,
        "\u{FEFF}Code,Omschrijving,Eenheid,Prijs,BTW-tarief\nIMP-1,Consultancy,uur,\"85,50\",21\nimp-1,Dubbel,uur,1,21\nIMP-2,Installatie,stuk,120,\n",
    )
    .unwrap();
    let output = import(data.path(), "articles", &company.to_string(), &articles, &[]);
    assert!(stdout(&output).contains("imported 2, already there 1, refused 0"), "{}", stdout(&output));

    sync(&server, data.path(), &name);
    assert_eq!(count(&server, company, RecordKind::Contact), contacts_before + 57);
    assert_eq!(count(&server, company, RecordKind::Article), articles_before + 2);
    assert!(pending(&path).is_empty());
}

#[test]
fn a_bad_file_or_an_unknown_company_is_refused_with_the_reason() {
    let server = TestServer::start(200).unwrap();
    let data = tempfile::tempdir().unwrap();
    let name = server.accounts.companies[0].1.clone();
    sync(&server, data.path(), &name);
    let empty = data.path().join("vide.csv");
    std::fs::write(&empty, "Nom;Ville\r\n").unwrap();
    let output = import(data.path(), "contacts", &name, &empty, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("The file has a header and no rows."));
    let output = import(data.path(), "contacts", "Société inconnue", &empty, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("no company “Société inconnue”"));
    let unmapped = data.path().join("sans-adresse.csv");
    std::fs::write(&unmapped, "Nom;Ville\r\nMartin;Lyon\r\n").unwrap();
    let output = import(data.path(), "contacts", &name, &unmapped, &[]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("No column is chosen for “street”"));
}
