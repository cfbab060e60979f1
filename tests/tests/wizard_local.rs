//! The first-run wizard without any server (issue 15, items 4 and 5), in the real app
//! driven with `egui_kittest` by accessible labels. Nothing answers at the default server
//! (`https://sync.invalid`): the only server is the one each app hosts itself.
//!
//! - « Créer une entreprise sur cet ordinateur »: the company is created in the app's
//!   `host/` folder, the app's local host serves it (on 127.0.0.21 here), the wizard signs
//!   in to it over that loopback address and downloads it; a customer and an invoice
//!   typed in the window, the invoice issued, gets its number from that host.
//! - « Rejoindre un ordinateur du réseau local »: a second app pairs with the first by
//!   the link its sharing window shows, downloads the company and opens it; a used link,
//!   an unreachable host are told in words (the host's firewall named).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::net::SocketAddr;
use std::path::Path;

use comptoir::app::ComptoirApp;
use comptoir_core::model::{CompanyId, DocumentId, DocumentKind, DocumentStatus};
use comptoir_core::sync::{LoginResponse, RecordBody, SyncClient};
use comptoir_tests::ui::{copy, file_menu, go_to, replace_text, shows, type_into, wait_for, wait_until};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};

const COMPANY: &str = "Atelier du Port";
const OWNER: &str = "patronne@atelier-du-port.test";
const PASSWORD: &str = "un mot de passe solide";
const DEVICE: &str = "Portable de l'atelier";
/// Where the first test's app hosts its company (an address of its own: its port is
/// squatted between two starts).
const HOST_IP: &str = "127.0.0.21";
/// No server answers here: the wizard must never need it.
const NO_SERVER: &str = "https://sync.invalid";

fn app(dir: &Path, listen: &str) -> Harness<'static, ComptoirApp> {
    let listen: SocketAddr = listen.parse().unwrap();
    comptoir_tests::hosting_app_harness(dir, NO_SERVER, egui::vec2(1400.0, 900.0), listen)
}

/// The wizard's « Créer une entreprise sur cet ordinateur », filled in and created (a
/// mistyped confirmation first, refused before anything is created), up to the company
/// open in the window.
fn create_company_in_the_wizard(harness: &mut Harness<'_, ComptoirApp>, dir: &Path, ip: &str) {
    wait_for(harness, "Créer une entreprise sur cet ordinateur");
    harness.get_by_label("Créer une entreprise sur cet ordinateur").click();
    wait_for(harness, "Nom de l'entreprise");
    assert!(shows(harness, "Préférences → Compte"), "two-factor later, and where");
    type_into(harness, "Nom de l'entreprise", COMPANY);
    comptoir_tests::ui::pick(harness, "Pays", "Belgique");
    type_into(harness, "Votre nom", "Patronne");
    type_into(harness, "Adresse e-mail", OWNER);
    type_into(harness, "Mot de passe", PASSWORD);
    type_into(harness, "Mot de passe (confirmation)", "un mot de passe solidE");
    harness.get_by_label("Créer").click();
    wait_for(harness, "Les deux mots de passe ne sont pas identiques.");
    assert!(!comptoir::hosting::host_dir(dir).exists(), "nothing created from a refused form");
    assert!(harness.state().local_host.is_none());
    replace_text(harness, "Mot de passe (confirmation)", PASSWORD);
    harness.get_by_label("Créer").click();
    wait_for(harness, "Commencer");
    // The copy signed in to the host of this very app, over the address it listens on.
    let server = harness.state().wizard.server.clone();
    assert!(server.starts_with("comptoir-lan://") && server.contains(&format!("@{ip}:")), "{server}");
    // Ready, even offline, once its first download (short: the company is new) has ended.
    assert!(shows(harness, &format!("L'entreprise {COMPANY} est prête.")));
    wait_for(harness, "Vous pouvez y travailler, même sans connexion.");
    harness.get_by_label("Commencer").click();
    wait_for(harness, "Synchronisé");
    assert!(harness.state().can_share(), "the owner may share the company hosted here");
}

#[test]
fn a_company_created_on_this_computer_from_the_wizard_issues_its_first_invoice_with_no_server_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &format!("{HOST_IP}:0"));
    assert!(harness.state().local_host.is_none(), "nothing hosted before the wizard");
    create_company_in_the_wizard(&mut harness, dir.path(), HOST_IP);
    let company = copy(&harness).company().unwrap();
    assert_eq!(company.legal_name, COMPANY);
    assert_eq!(company.address.country, comptoir_core::model::Country::Belgium);

    // Its legal mentions, typed in Paramètres (the dashboard leads there): an invoice
    // cannot be issued without them.
    wait_for(&mut harness, "Complétez les informations de l'entreprise");
    harness.get_by_label("Ouvrir les paramètres").click();
    wait_for(&mut harness, "Enregistrer l'entreprise");
    replace_text(&mut harness, "Adresse", "Quai de la Batte 12");
    replace_text(&mut harness, "Code postal", "4000");
    replace_text(&mut harness, "Ville", "Liège");
    replace_text(&mut harness, "Forme juridique", "SRL");
    replace_text(&mut harness, "N° de TVA", "BE 0403.170.701");
    replace_text(&mut harness, "Numéro d'entreprise (BCE)", "0403.170.701");
    replace_text(&mut harness, "IBAN", "BE68 5390 0754 7034");
    harness.get_by_label("Enregistrer l'entreprise").click();
    wait_for(&mut harness, "Informations de l'entreprise enregistrées.");
    wait_until(&mut harness, "the legal mentions complete", |h| {
        copy(h).company().unwrap().missing_for_invoices().is_empty()
    });

    // A customer, typed in the window.
    go_to(&mut harness, "Contacts");
    wait_for(&mut harness, "Nouveau contact");
    harness.get_by_label("Nouveau contact").click();
    harness.step();
    type_into(&mut harness, "Nom", "Chantier naval Le Goff");
    type_into(&mut harness, "Ville", "Liège");
    type_into(&mut harness, "Code postal", "4020");
    type_into(&mut harness, "Adresse", "Quai des Vennes 3");
    harness.get_by_label("Enregistrer").click();
    wait_until(&mut harness, "the customer saved", |h| {
        !copy(h).search_customers("Chantier naval", 5).unwrap().is_empty()
    });

    // An invoice to them, typed and issued.
    go_to(&mut harness, "Factures");
    wait_for(&mut harness, "Nouvelle facture");
    harness.get_by_label("Nouvelle facture").click();
    wait_for(&mut harness, "Choisissez un client");
    type_into(&mut harness, "Client", "Chantier");
    wait_for(&mut harness, "Chantier naval Le Goff — 4020");
    harness.get_by_label_contains("Chantier naval Le Goff — 4020").click();
    wait_until(&mut harness, "the customer chosen", |h| {
        h.state().screens.editor.as_ref().is_some_and(|e| e.document.customer.name == "Chantier naval Le Goff")
    });
    type_into(&mut harness, "Désignation 1", "Carénage du Pen-Hir");
    type_into(&mut harness, "Prix unitaire 1", "1250");
    let id = harness.state().screens.editor.as_ref().unwrap().id();
    wait_for(&mut harness, "Brouillon enregistré");
    harness.get_by_label("Émettre").click();
    wait_for(&mut harness, "Son numéro est attribué maintenant");
    harness.get_by_label("Oui, émettre").click();
    wait_for(&mut harness, "Document émis");
    file_menu(&mut harness, "Synchroniser maintenant");

    // THE done-when line: the first number of the series, given by this computer's host.
    wait_until(&mut harness, "the invoice's number from the host", |h| {
        copy(h).document(id).is_ok_and(|d| d.number.is_some())
    });
    let issued = copy(&harness).document(id).unwrap();
    assert_eq!(issued.kind, DocumentKind::Invoice);
    assert_eq!(issued.status, DocumentStatus::Issued);
    let number = issued.number.unwrap();
    assert!(number.ends_with("00001"), "the first invoice: {number}");
    assert_eq!(issued.lines[0].description, "Carénage du Pen-Hir");

    // The host's own record has it too, under the same number (read as its owner, over
    // TLS with the host's certificate pinned).
    let server = harness.state().wizard.server.clone();
    assert_eq!(host_number(&server, company.id, id), number);
    let stopped = harness.state().host_stopped().unwrap();
    comptoir_tests::ui::close(harness);
    assert!(stopped.wait(std::time::Duration::from_secs(10)), "the host stopped at quit");

    // The next start, with the port the host kept taken by another program meanwhile: the
    // company opens at once, hosted on another port, and the copy follows it there (the
    // same certificate) and syncs.
    let kept = std::fs::read_to_string(comptoir::hosting::host_dir(dir.path()).join("host-port")).unwrap();
    let kept: u16 = kept.trim().parse().unwrap();
    assert!(server.ends_with(&format!("@{HOST_IP}:{kept}")), "{server}");
    // (When another test holds it already, it is taken all the same.)
    let _squatter = std::net::TcpListener::bind((HOST_IP, kept)).ok();
    let mut harness = app(dir.path(), &format!("{HOST_IP}:0"));
    wait_until(&mut harness, "the company reopened and synced", |h| {
        h.state().working.as_ref().is_some_and(|c| c.name == COMPANY)
            && matches!(h.state().status, comptoir_core::engine::SyncState::Synced { .. })
    });
    assert!(harness.state().local_host.as_ref().is_some_and(|l| l.hosts(company.id)));
    assert_eq!(copy(&harness).document(id).unwrap().number.as_deref(), Some(number.as_str()));
    let app_file = comptoir_core::store::AppStore::open(&dir.path().join(comptoir_core::store::AppStore::FILE_NAME));
    let followed = app_file.unwrap().last_account().unwrap().unwrap().server_url;
    assert!(followed.starts_with("comptoir-lan://") && !followed.ends_with(&format!(":{kept}")), "{followed}");
    let stopped = harness.state().host_stopped().unwrap();
    comptoir_tests::ui::close(harness);
    assert!(stopped.wait(std::time::Duration::from_secs(10)), "the host stopped at quit");
}

/// The number the host at `server` keeps for the document `id`, pulled as its owner.
fn host_number(server: &str, company: CompanyId, id: DocumentId) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut client = SyncClient::new(server).unwrap();
        let LoginResponse::SignedIn(_) = client.login(OWNER, PASSWORD).await.unwrap() else {
            panic!("no two-factor on a new owner")
        };
        let page = client.pull(company, 0, None, 5_000, false).await.unwrap();
        assert!(!page.has_more);
        let found = page.changes.iter().rev().find(|c| c.id == id.0).unwrap();
        let RecordBody::Document(document) = found.parse().unwrap().unwrap() else { panic!("not a document") };
        document.document.number.unwrap()
    })
}

#[test]
fn a_device_joins_a_computer_of_the_local_network_by_its_link_through_the_wizard() {
    let host_dir = tempfile::tempdir().unwrap();
    let mut host = app(host_dir.path(), "127.0.0.22:0");
    create_company_in_the_wizard(&mut host, host_dir.path(), "127.0.0.22");
    file_menu(&mut host, "Partager sur le réseau local…");
    wait_until(&mut host, "the invitation", |h| h.state().sharing.as_ref().is_some_and(|s| s.link().is_some()));
    let link = host.state().sharing.as_ref().unwrap().link().unwrap().to_owned();
    let typed = typed_code(&host);
    let code = typed.split('@').next().unwrap().to_owned();

    // The device: a fresh folder, no server, the link pasted in the wizard.
    let device_dir = tempfile::tempdir().unwrap();
    let mut device = app(device_dir.path(), "127.0.0.23:0");
    wait_for(&mut device, "Rejoindre un ordinateur du réseau local");
    device.get_by_label("Rejoindre un ordinateur du réseau local").click();
    wait_for(&mut device, "Lien ou code d'invitation");
    let default_name = device.get_by_label("Nom de cet appareil").value().unwrap();
    assert!(!default_name.trim().is_empty(), "this computer's name by default");
    // Words that are neither a link nor a code are refused before anything is sent.
    type_into(&mut device, "Lien ou code d'invitation", "https://exemple.test/invitation");
    device.get_by_label("Rejoindre").click();
    wait_for(&mut device, "Ce code n'est pas valide");
    // A host that does not answer is told in words, its firewall named.
    replace_text(&mut device, "Lien ou code d'invitation", &format!("{code}@127.0.0.9:9"));
    device.get_by_label("Rejoindre").click();
    wait_for(&mut device, "ne répond pas");
    assert!(shows(&device, "127.0.0.9:9") && shows(&device, "pare-feu Windows Defender"));
    replace_text(&mut device, "Lien ou code d'invitation", &link);
    replace_text(&mut device, "Nom de cet appareil", DEVICE);
    device.get_by_label("Rejoindre").click();
    wait_for(&mut device, "Commencer");
    // The account recorded with the host's address (its certificate pinned), the session
    // kept under the member's email.
    let app_file =
        comptoir_core::store::AppStore::open(&device_dir.path().join(comptoir_core::store::AppStore::FILE_NAME));
    let account = app_file.unwrap().last_account().unwrap().unwrap();
    assert_eq!(account.email, OWNER);
    assert!(
        account.server_url.starts_with("comptoir-lan://") && account.server_url.contains("@127.0.0.22:"),
        "{account:?}"
    );
    let credentials = std::fs::read_to_string(device_dir.path().join("credentials.json")).unwrap();
    assert!(credentials.contains(OWNER), "the session kept under the member's email");
    device.get_by_label("Commencer").click();
    wait_for(&mut device, "Synchronisé");
    assert_eq!(device.state().working.as_ref().unwrap().name, COMPANY);
    assert!(device.query(By::new().label(COMPANY)).is_some(), "the company's name in the menu bar");
    assert_eq!(copy(&device).company().unwrap().legal_name, COMPANY);
    assert_eq!(device.state().email.as_deref(), Some(OWNER), "the member the invitation was for");
    assert!(device.state().local_host.is_none(), "a device hosts nothing");

    // The host lists the device.
    wait_for(&mut host, DEVICE);

    // A fresh invitation, typed wrong on a third computer: refused, in words (one guess
    // spends it: whoever answers in the host's place learns nothing more).
    host.get_by_label("Nouvelle invitation").click();
    wait_until(&mut host, "a new link", |h| h.state().sharing.as_ref().and_then(|s| s.link()) != Some(link.as_str()));
    host.step();
    let typed = typed_code(&host);
    let (code, address) = typed.split_once('@').unwrap();
    let last = code.chars().last().unwrap();
    let wrong = format!("{}{}@{address}", &code[..code.len() - 1], if last == '0' { '1' } else { '0' });
    let third_dir = tempfile::tempdir().unwrap();
    let mut third = app(third_dir.path(), "127.0.0.24:0");
    wait_for(&mut third, "Rejoindre un ordinateur du réseau local");
    third.get_by_label("Rejoindre un ordinateur du réseau local").click();
    wait_for(&mut third, "Lien ou code d'invitation");
    type_into(&mut third, "Lien ou code d'invitation", &wrong);
    third.get_by_label("Rejoindre").click();
    wait_for(&mut third, "Le code est incorrect");

    // The first link served once: refused too, in words.
    replace_text(&mut third, "Lien ou code d'invitation", &link);
    third.get_by_label("Rejoindre").click();
    wait_for(&mut third, "Cette invitation a déjà servi");
    assert!(third.state().working.is_none());
    assert!(third.state().wizard.step.as_ref().is_some_and(|s| !matches!(
        s,
        comptoir_core::engine::SetupStep::Ready { .. } | comptoir_core::engine::SetupStep::Downloading { .. }
    )));
    let devices = host.state().sharing.as_ref().unwrap().devices().unwrap().to_vec();
    assert_eq!(devices.len(), 1, "only the device that joined is paired");

    // The device, signed out, joins again with a new invitation: the copy it holds is
    // backed up beside its file before the host's first sync touches it.
    let backups = |dir: &Path| {
        std::fs::read_dir(dir.join("companies"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".backup"))
            .count()
    };
    assert_eq!(backups(device_dir.path()), 0);
    file_menu(&mut device, "Se déconnecter");
    wait_for(&mut device, "Rejoindre un ordinateur du réseau local");
    device.get_by_label("Rejoindre un ordinateur du réseau local").click();
    wait_for(&mut device, "Lien ou code d'invitation");
    let spent = host.state().sharing.as_ref().and_then(|s| s.link()).unwrap().to_owned();
    host.get_by_label("Nouvelle invitation").click();
    wait_until(&mut host, "a new link", |h| h.state().sharing.as_ref().and_then(|s| s.link()) != Some(spent.as_str()));
    let again = host.state().sharing.as_ref().unwrap().link().unwrap().to_owned();
    replace_text(&mut device, "Lien ou code d'invitation", &again);
    device.get_by_label("Rejoindre").click();
    wait_for(&mut device, "Commencer");
    assert_eq!(backups(device_dir.path()), 1, "the copy already here backed up");
    device.get_by_label("Commencer").click();
    wait_for(&mut device, "Synchronisé");
    assert_eq!(copy(&device).company().unwrap().legal_name, COMPANY);

    the_device_names_its_host_and_its_absence(&mut device, host);
}

/// The typed code and the host's address the sharing window shows (`CODE@IP:PORT`).
fn typed_code(host: &Harness<'_, ComptoirApp>) -> String {
    let node = host.query_by_label_contains("Sur un appareil sans caméra, tapez : ").unwrap();
    let text = node.accesskit_node().label().or_else(|| node.accesskit_node().value()).unwrap();
    text.rsplit(' ').next().unwrap().to_owned()
}

/// Préférences → Compte says which host the joined `device` is paired with; once the
/// `host` app is switched off, the device works offline and its banner says the host
/// cannot be reached, naming the firewall.
fn the_device_names_its_host_and_its_absence(
    device: &mut Harness<'static, ComptoirApp>,
    host: Harness<'static, ComptoirApp>,
) {
    // Préférences → Compte says which host this device is paired with.
    file_menu(device, "Préférences…");
    wait_for(device, "Compte");
    device.get_by_label("Compte").click();
    wait_for(device, "Cet appareil est jumelé à un ordinateur hôte du réseau local");
    // Closed as its title bar's cross would.
    device.state_mut().preferences = None;

    // The host computer is switched off: the device works offline, and its banner says
    // the host cannot be reached and names the firewall.
    let stopped = host.state().host_stopped().unwrap();
    comptoir_tests::ui::close(host);
    assert!(stopped.wait(std::time::Duration::from_secs(10)));
    file_menu(device, "Synchroniser maintenant");
    wait_for(device, "L'ordinateur hôte est injoignable");
    assert!(shows(device, "Autoriser une application"));
}

/// The host is lost: a device that joined it becomes the host, from the host's newest
/// backup (Préférences → Compte → « Cet ordinateur devient l'hôte… »). The certificate
/// comes back with the backup, so the device's own copy follows its own host without
/// pairing again, and downloads the company again from it (a restore is a new epoch).
#[test]
fn a_device_becomes_the_host_from_the_lost_hosts_newest_backup() {
    let host_dir = tempfile::tempdir().unwrap();
    let usb = tempfile::tempdir().unwrap();
    let company =
        comptoir::hosting::create_company(host_dir.path(), COMPANY, "FR", OWNER, "Patronne", PASSWORD).unwrap();
    let mut host = comptoir::hosting::start(host_dir.path(), "127.0.0.27:0".parse().unwrap()).unwrap();
    let (_, link, _) = host.invite(company, None).unwrap();

    let device_dir = tempfile::tempdir().unwrap();
    let mut device = app(device_dir.path(), "127.0.0.28:0");
    wait_for(&mut device, "Rejoindre un ordinateur du réseau local");
    device.get_by_label("Rejoindre un ordinateur du réseau local").click();
    wait_for(&mut device, "Lien ou code d'invitation");
    type_into(&mut device, "Lien ou code d'invitation", &link.to_string());
    device.get_by_label("Rejoindre").click();
    wait_for(&mut device, "Commencer");
    device.get_by_label("Commencer").click();
    wait_for(&mut device, "Synchronisé");
    assert!(device.state().local_host.is_none() && !device.state().can_share());

    // The host backs up to its USB disk, then is lost.
    let folder = comptoir::hosting::backup_folder(host_dir.path(), Some(usb.path())).unwrap().unwrap();
    comptoir::hosting::back_up_now(host_dir.path(), &folder, chrono::Utc::now()).unwrap();
    host.stop();
    drop(host);

    file_menu(&mut device, "Préférences…");
    wait_for(&mut device, "Compte");
    device.get_by_label("Compte").click();
    wait_for(&mut device, "Cet ordinateur devient l'hôte…");
    device.get_by_label("Cet ordinateur devient l'hôte…").click();
    wait_for(&mut device, "Dossier des sauvegardes de l'hôte");
    type_into(&mut device, "Dossier des sauvegardes de l'hôte", &usb.path().display().to_string());
    device.get_by_label("Devenir l'ordinateur hôte").click();
    wait_until(&mut device, "this computer hosting the company", |h| h.state().can_share());
    let server =
        comptoir_core::store::AppStore::open(&device_dir.path().join(comptoir_core::store::AppStore::FILE_NAME))
            .unwrap()
            .last_account()
            .unwrap()
            .unwrap()
            .server_url;
    wait_until(&mut device, "the copy following its own host", |_| {
        comptoir_core::store::AppStore::open(&device_dir.path().join(comptoir_core::store::AppStore::FILE_NAME))
            .unwrap()
            .last_account()
            .unwrap()
            .unwrap()
            .server_url
            .contains("@127.0.0.28:")
    });
    assert!(server.starts_with("comptoir-lan://"), "{server}");
    // The restored data has a new epoch: the copy downloads it again from this computer.
    wait_until(&mut device, "downloaded again from its own host", |h| {
        h.state().notices.iter().any(|n| matches!(n, comptoir_core::engine::Notice::DownloadedAgain { .. }))
            && matches!(h.state().status, comptoir_core::engine::SyncState::Synced { .. })
    });
    assert_eq!(copy(&device).company().unwrap().legal_name, COMPANY);
}
