//! Fichier → « Partager sur le réseau local… » in the real app (issue 15): the app's
//! folder holds a company hosted by this computer, so the app serves it on 127.0.0.2
//! while it runs; its own copy signs in to it through the wizard (the host's
//! `comptoir-lan://` address as the server). The window's QR code decodes to exactly the
//! link it shows as text; a device pairs with that link and shows in the window's list;
//! « Révoquer » ends its session.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::net::SocketAddr;
use std::time::Duration;

use comptoir::app::ComptoirApp;
use comptoir::local_host::HostingState;
use comptoir_core::lan::PairingLink;
use comptoir_core::sync::{ClientError, SyncClient};
use comptoir_tests::ui::{file_menu, shows, type_into, wait_for, wait_until};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};

const OWNER: &str = "patronne@atelier-du-port.test";
const PASSWORD: &str = "un mot de passe solide";
const COMPANY: &str = "Atelier du Port";
const DEVICE: &str = "Portable de l'atelier";

/// What a QR code image reads as (rqrr), from its pixels: exactly one code, decoded.
fn decode(image: &egui::ColorImage) -> String {
    let [width, height] = image.size;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let pixel = image.pixels[y * width + x];
        u8::try_from((u16::from(pixel.r()) + u16::from(pixel.g()) + u16::from(pixel.b())) / 3).unwrap()
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// The invitation's link as the window shows it, in its text field.
fn link_shown(harness: &Harness<'_, ComptoirApp>) -> String {
    let field = By::new().label("Lien d'invitation").role(egui::accesskit::Role::TextInput);
    harness.get(field).value().unwrap()
}

/// The app's host serving (on `ip`), its own copy signed in to it through the wizard as
/// `email`, the company open.
fn signed_in_to_its_own_host_as(harness: &mut Harness<'_, ComptoirApp>, email: &str, ip: &str) {
    wait_until(harness, "the app serving its company", |h| {
        matches!(
            h.state().local_host.as_ref().map(comptoir::local_host::LocalHost::state),
            Some(HostingState::Serving { .. })
        )
    });
    let Some(HostingState::Serving { address, .. }) = harness.state().local_host.as_ref().map(|l| l.state().clone())
    else {
        unreachable!("waited for above")
    };
    let address = address.to_string();
    assert!(address.starts_with("comptoir-lan://") && address.contains(&format!("@{ip}:")), "{address}");
    wait_for(harness, "Adresse e-mail");
    comptoir_tests::ui::replace_text(harness, "Adresse du serveur", &address);
    type_into(harness, "Adresse e-mail", email);
    type_into(harness, "Mot de passe", PASSWORD);
    harness.get_by_label("Se connecter").click();
    wait_for(harness, "Commencer");
    harness.get_by_label("Commencer").click();
    wait_for(harness, "Synchronisé");
}

/// [`signed_in_to_its_own_host_as`] the owner, the host on 127.0.0.2.
fn signed_in_to_its_own_host(harness: &mut Harness<'_, ComptoirApp>) {
    signed_in_to_its_own_host_as(harness, OWNER, "127.0.0.2");
}

#[test]
fn the_sharing_windows_qr_code_reads_as_its_link_and_a_device_paired_with_it_can_be_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let company = comptoir::hosting::create_company(dir.path(), COMPANY, "FR", OWNER, "Patronne", PASSWORD).unwrap();
    let listen: SocketAddr = "127.0.0.2:0".parse().unwrap();
    let mut harness =
        comptoir_tests::hosting_app_harness(dir.path(), "https://sync.invalid", egui::vec2(1280.0, 900.0), listen);
    signed_in_to_its_own_host(&mut harness);

    file_menu(&mut harness, "Partager sur le réseau local…");
    wait_until(&mut harness, "the invitation's QR code", |h| {
        h.state().sharing.as_ref().is_some_and(|s| s.qr_image().is_some()) && shows(h, "Lien d'invitation")
    });
    // THE check: the pixels the window draws read as exactly the link it shows as text.
    let link = link_shown(&harness);
    assert!(link.starts_with("comptoir://pair?v=1&h=127.0.0.2:"), "{link}");
    let sharing = harness.state().sharing.as_ref().unwrap();
    let image = sharing.qr_image().unwrap().clone();
    assert_eq!(decode(&image), link);
    assert_eq!(sharing.link(), Some(link.as_str()));
    // And on screen: the whole window as the GPU renders it (Mesa's software renderer
    // here) holds one code, which reads as the same link.
    harness.set_render_cursor(false);
    let screen = harness.render().unwrap();
    // The README's picture of the pairing window: `COMPTOIR_SCREENSHOTS=docs cargo test
    // -p comptoir-tests --test sharing`.
    if let Some(dir) = std::env::var_os("COMPTOIR_SCREENSHOTS") {
        screen.save(std::path::Path::new(&dir).join("pairing.png")).unwrap();
    }
    let screen =
        egui::ColorImage::from_rgba_unmultiplied([screen.width() as usize, screen.height() as usize], screen.as_raw());
    assert_eq!(decode(&screen), link, "the code rendered on screen");
    // Big enough to scan from a phone: a few hundred pixels, four light modules around.
    assert!(image.size[0] >= 200, "{:?}", image.size);
    assert!(image.pixels[..image.size[0] * 16].iter().all(|p| *p == egui::Color32::WHITE), "a quiet zone");
    assert!(harness.query(By::new().label("Code QR de l'invitation").role(egui::accesskit::Role::Image)).is_some());
    // Who it is for, until when, the typed code with the host's address, the copy button.
    assert!(shows(&harness, &format!("Invitation pour {OWNER} (Propriétaire)")));
    assert!(shows(&harness, "Valable jusqu'à "));
    assert!(shows(&harness, ", une seule fois"));
    let typed = harness.query_by_label_contains("Sur un appareil sans caméra, tapez : ").unwrap();
    let typed = typed.accesskit_node().label().or_else(|| typed.accesskit_node().value()).unwrap();
    assert!(typed.contains("@127.0.0.2:"), "{typed}");
    assert!(harness.query_by_label("Copier le lien").is_some());
    assert!(shows(&harness, "Aucun appareil jumelé"));

    // A device pairs with that link, and the window lists it.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let parsed = PairingLink::parse(&link).unwrap();
    let (device, paired) = runtime.block_on(SyncClient::pair_by_link(&parsed, DEVICE)).unwrap();
    assert_eq!(paired.company_id, company.0);
    runtime.block_on(device.status(company)).unwrap();
    wait_for(&mut harness, DEVICE);
    assert!(shows(&harness, "jumelé le "));
    // It synced a moment ago (its sync status): connected now.
    wait_for(&mut harness, "connecté");

    // A new invitation: another link, and the code drawn follows it.
    harness.get_by_label("Nouvelle invitation").click();
    wait_until(&mut harness, "a new link", |h| {
        h.state().sharing.as_ref().and_then(|s| s.link()) != Some(link.as_str())
    });
    harness.step();
    let second = link_shown(&harness);
    assert_ne!(second, link);
    assert_eq!(decode(harness.state().sharing.as_ref().unwrap().qr_image().unwrap()), second);

    // « Révoquer », confirmed: the device's next request is refused.
    harness.get_by_label("Révoquer").click();
    wait_for(&mut harness, "Révoquer l'appareil");
    assert!(shows(&harness, &format!("Révoquer l'appareil « {DEVICE} » ?")));
    harness.get_by_label("Révoquer l'appareil").click();
    wait_for(&mut harness, "révoqué");
    assert!(harness.query_by_label("Révoquer").is_none(), "a revoked device cannot be revoked again");
    let refused = runtime.block_on(device.status(company)).unwrap_err();
    assert!(matches!(refused, ClientError::SignedOut), "{refused:?}");
    let devices = harness.state().sharing.as_ref().unwrap().devices().unwrap().to_vec();
    assert_eq!(devices.len(), 1);
    assert!(devices[0].revoked_at.is_some());

    // Quitting stops the host: its port is free again.
    let stopped = harness.state().host_stopped().unwrap();
    comptoir_tests::ui::close(harness);
    assert!(stopped.wait(Duration::from_secs(10)), "the host stopped at quit");
}

#[test]
fn a_company_of_a_server_is_not_shared_from_this_computer() {
    // The app's folder holds no host: nothing is served, Fichier offers no sharing.
    let (_server, _dir, mut harness) = comptoir_tests::ui::opened(50, 0);
    assert!(harness.state().local_host.is_none());
    harness.get_by_label("Fichier").click();
    wait_for(&mut harness, "Synchroniser maintenant");
    assert!(!shows(&harness, "Partager sur le réseau local"));
    assert!(harness.state().host_stopped().is_none());
}

/// The host's backups from the window: with a folder chosen (a USB disk, say), the app
/// backs the company up as it starts hosting (none there yet), and Fichier → «
/// Sauvegarder maintenant » takes another, which the window then shows.
#[test]
fn the_hosting_app_backs_its_company_up_at_start_and_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    comptoir::hosting::create_company(dir.path(), COMPANY, "FR", OWNER, "Patronne", PASSWORD).unwrap();
    let usb = tempfile::tempdir().unwrap();
    // The folder as « Choisir le dossier… » remembers it (the system's dialog cannot be
    // driven from a test).
    let folder = comptoir::hosting::backup_folder(dir.path(), Some(usb.path())).unwrap().unwrap();
    let listen: SocketAddr = "127.0.0.2:0".parse().unwrap();
    let mut harness =
        comptoir_tests::hosting_app_harness(dir.path(), "https://sync.invalid", egui::vec2(1280.0, 900.0), listen);
    signed_in_to_its_own_host(&mut harness);
    assert_eq!(folder.list().unwrap().len(), 1, "the first backup, before the host opened its data");

    file_menu(&mut harness, "Sauvegarder maintenant");
    wait_until(&mut harness, "the second backup", |h| {
        h.state().sharing.as_ref().and_then(|s| s.backups()).is_some_and(|b| b.count == 2)
    });
    assert!(shows(&harness, &format!("Dossier : {}", usb.path().display())));
    assert!(shows(&harness, "Dernière sauvegarde le "));
    assert!(harness.query_by_label("Choisir le dossier…").is_some());
    let backups = folder.list().unwrap();
    assert_eq!(backups.len(), 2);
    // Each is a whole database with its keys and the host's certificate.
    let keys = backups[0].keys.clone().unwrap();
    assert!(keys.join("tls").join(comptoir_core::lan::identity::CERTIFICATE_FILE).exists());

    // « Restaurer la dernière sauvegarde… » (Fichier → Restaurer… asks the same),
    // confirmed: the host serves the newest backup again (a new epoch), and this
    // computer's own copy downloads the company again.
    harness.get_by_label("Restaurer la dernière sauvegarde…").click();
    wait_for(&mut harness, "Remplacer les données de l'entreprise par la dernière sauvegarde ?");
    harness.get_by_label("Restaurer").click();
    wait_for(&mut harness, "Restaurée : la sauvegarde du ");
    assert!(matches!(
        harness.state().local_host.as_ref().map(comptoir::local_host::LocalHost::state),
        Some(HostingState::Serving { .. })
    ));
    wait_until(&mut harness, "the copy downloaded again", |h| {
        !h.state().kept_copies.is_empty() && shows(h, "Synchronisé")
    });

    // Préférences → Compte leads to the paired devices too.
    harness.state_mut().sharing = None;
    file_menu(&mut harness, "Préférences…");
    wait_for(&mut harness, "Compte");
    harness.get_by_label("Compte").click();
    wait_for(&mut harness, "Voir et révoquer les appareils jumelés…");
    harness.get_by_label("Voir et révoquer les appareils jumelés…").click();
    wait_until(&mut harness, "the sharing window", |h| h.state().sharing.is_some());
    comptoir_tests::ui::close(harness);
}

/// The company hosted here cannot be served (another program holds the port asked):
/// the window says so, with the reason in the user's language, rather than leaving the
/// devices to guess.
#[test]
fn a_host_that_cannot_serve_says_why() {
    let dir = tempfile::tempdir().unwrap();
    comptoir::hosting::create_company(dir.path(), COMPANY, "FR", OWNER, "Patronne", PASSWORD).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    let listen = taken.local_addr().unwrap();
    let mut harness =
        comptoir_tests::hosting_app_harness(dir.path(), "https://sync.invalid", egui::vec2(1280.0, 900.0), listen);
    wait_for(&mut harness, "Cet ordinateur n'héberge pas l'entreprise en ce moment");
    assert!(shows(&harness, "n'a pas pu ouvrir son port réseau"), "the reason, in the user's language");
    assert!(!shows(&harness, "cannot listen"), "not the host's own English words");
    drop(taken);
    comptoir_tests::ui::close(harness);
}

#[test]
fn an_owner_moves_a_company_of_the_server_onto_this_computer_and_back_from_the_window() {
    let server = comptoir_tests::TestServer::start(120).unwrap();
    let company = server.company();
    let dir = tempfile::tempdir().unwrap();
    let listen: SocketAddr = "127.0.0.23:0".parse().unwrap();
    let mut harness = comptoir_tests::hosting_app_harness(dir.path(), &server.url, egui::vec2(1280.0, 900.0), listen);
    comptoir_tests::ui::open_company(&mut harness, &server, 1);
    assert!(harness.state().can_move_here(), "the owner of a company of the server");
    assert!(!harness.state().can_share(), "not hosted here yet");

    file_menu(&mut harness, "Héberger sur cet ordinateur…");
    wait_for(&mut harness, "Mot de passe de votre compte Comptoir");
    type_into(&mut harness, "Mot de passe de votre compte Comptoir", &server.accounts.password);
    assert!(
        harness.get_by_label("Déplacer sur cet ordinateur").accesskit_node().is_disabled(),
        "not before the box is ticked"
    );
    harness.get_by_label("J'ai compris : l'entreprise sera en lecture seule sur le serveur").click();
    harness.run();
    harness.get_by_label("Déplacer sur cet ordinateur").click();

    // The local host takes it, the copy signs in to this computer's host and downloads it.
    wait_until(&mut harness, "signed in to this computer's host", |h| {
        h.state().wizard.server.starts_with("comptoir-lan://")
    });
    wait_for(&mut harness, "Commencer");
    let own = harness.state().wizard.server.clone();
    assert!(own.starts_with("comptoir-lan://") && own.contains("@127.0.0.23:"), "{own}");
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Synchronisé");
    assert!(harness.state().can_share(), "hosted here, by its owner");
    assert!(!harness.state().can_move_here());

    // Frozen on the server; every record of the server in the copy, from this computer.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, _) =
            comptoir_tests::checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        assert!(client.status(company).await.unwrap().moved_to.is_some());
    });
    let on_server = server.stats(company).unwrap();
    let here = comptoir_tests::ui::copy(&harness).replica_stats().unwrap();
    for kind in [comptoir_core::sync::RecordKind::Contact, comptoir_core::sync::RecordKind::Document] {
        assert_eq!(here[&kind], on_server[&kind], "{kind:?}");
    }

    // And back: the server hosts it again, this computer keeps it read-only.
    file_menu(&mut harness, "Remettre sur un serveur Comptoir…");
    wait_for(&mut harness, "Adresse du serveur Comptoir");
    type_into(&mut harness, "Adresse du serveur Comptoir", &server.url);
    type_into(&mut harness, "Mot de passe de votre compte Comptoir", &server.accounts.password);
    harness.get_by_label("J'ai compris : l'entreprise sera en lecture seule sur cet ordinateur").click();
    harness.run();
    harness.get_by_label("Remettre sur le serveur").click();
    wait_until(&mut harness, "signed in to the server again", |h| h.state().wizard.server == server.url);
    let name = server.accounts.companies[1].1.clone();
    // The company chosen before is opened again directly; else it is offered.
    let choice = By::new().label(&name).role(egui::accesskit::Role::Button);
    wait_until(&mut harness, "the company offered or ready", |h| {
        h.query(choice.clone()).is_some() || h.query(By::new().label("Commencer")).is_some()
    });
    if harness.query(choice.clone()).is_some() {
        harness.get(choice).click();
    }
    wait_for(&mut harness, "Commencer");
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Synchronisé");
    assert!(!harness.state().can_share(), "no longer hosted here");
    assert!(harness.state().can_move_here(), "a company of the server again");
    runtime.block_on(async {
        let (client, _) =
            comptoir_tests::checks::signed_in(&server.url, &server.accounts.email, &server.accounts.password).await;
        assert_eq!(client.status(company).await.unwrap().moved_to, None);
    });
    comptoir_server::admin::verify_audit(server.storage().as_ref(), company).unwrap();
}

/// Sharing, backing up, restoring and moving a company are its owners' (and, for
/// sharing and backups, its admins'): a seller signed in to the host is offered none.
#[test]
fn a_seller_is_offered_neither_sharing_nor_moving() {
    let dir = tempfile::tempdir().unwrap();
    let company = comptoir::hosting::create_company(dir.path(), COMPANY, "FR", OWNER, "Patronne", PASSWORD).unwrap();
    {
        let storage = comptoir_server::storage::SqliteStorage::open(&comptoir::hosting::host_dir(dir.path())).unwrap();
        comptoir_server::admin::create_user(&storage, "vendeur@atelier-du-port.test", PASSWORD, "Vendeur").unwrap();
        comptoir_server::admin::add_member(
            &storage,
            company,
            "vendeur@atelier-du-port.test",
            comptoir_core::model::Role::Sales,
        )
        .unwrap();
    }
    let listen: SocketAddr = "127.0.0.24:0".parse().unwrap();
    let mut harness =
        comptoir_tests::hosting_app_harness(dir.path(), "https://sync.invalid", egui::vec2(1280.0, 900.0), listen);
    signed_in_to_its_own_host_as(&mut harness, "vendeur@atelier-du-port.test", "127.0.0.24");
    assert!(!harness.state().can_share() && !harness.state().can_move_here());
    harness.get_by_label("Fichier").click();
    wait_for(&mut harness, "Préférences…");
    for item in [
        "Partager sur le réseau local…",
        "Sauvegarder maintenant",
        "Restaurer…",
        "Héberger sur cet ordinateur…",
        "Remettre sur un serveur Comptoir…",
    ] {
        assert!(!shows(&harness, item), "a seller is offered « {item} »");
    }
    comptoir_tests::ui::close(harness);
}
