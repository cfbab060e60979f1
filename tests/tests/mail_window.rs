//! "Envoyer par e-mail" in the real app, driven with `egui_kittest` by accessible labels,
//! against the real sync server and a real SMTP server on loopback (the harness's
//! [`SmtpSink`], aiosmtpd in a process of its own).
//!
//! - Paramètres → Envoi des documents par e-mail: the SMTP settings typed, refused while
//!   plain SMTP names another computer, saved, checked by a test e-mail the sink receives;
//!   the password lands in the credentials store
//!   (the keychain in the app), never in the company file; the customer language's text
//!   changed, saved, and restored.
//! - An issued invoice's detail → "Envoyer par e-mail": To prefilled from the contact,
//!   subject from the company's text, the Factur-X PDF listed with its size and the UBL
//!   offered; "Envoyer" queues and sends it; the sink receives it with the Factur-X PDF
//!   (`factur-x.xml` inside) and the UBL; the document then shows "Envoyé le … à …",
//!   and its history the sending, recorded by the server's audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test: a panic is the failure report")]

use comptoir::app::ComptoirApp;
use std::sync::Arc;

use comptoir_core::clock::ManualClock;
use comptoir_core::engine::credentials::FileCredentials;
use comptoir_core::engine::{Command, SyncState};
use comptoir_core::mail::{Security, SmtpSettings, load_password};
use comptoir_core::model::{DocumentKind, DocumentLanguage, DocumentStatus, ElectronicAddress};
use comptoir_core::store::{DocumentFilter, DocumentRow, DocumentSort, MailState, PageRequest, SortDirection};
use comptoir_core::sync::Intent;
use comptoir_tests::smtp::SmtpSink;
use comptoir_tests::ui::{
    copy, go_to, open_company, opened, pick, replace_text, shows, type_into, wait_for, wait_until,
};
use comptoir_tests::{TestServer, app_harness};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};

/// Brings the widget named `label` into view, then clicks it (the settings scroll).
fn click_shown(harness: &mut Harness<'_, ComptoirApp>, label: &str) {
    harness.get_by_label(label).scroll_to_me();
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label(label).click();
    harness.step();
}

/// The text typed in the field named `label`.
fn field_value(harness: &Harness<'_, ComptoirApp>, label: &str) -> String {
    let field = By::new().label(label).role(egui::accesskit::Role::TextInput);
    harness.get(field).accesskit_node().value().unwrap_or_default()
}

fn decoded(attachment: &serde_json::Value) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(attachment["base64"].as_str().unwrap()).unwrap()
}

fn language_label(language: DocumentLanguage) -> &'static str {
    match language {
        DocumentLanguage::French => "Français",
        DocumentLanguage::Dutch => "Néerlandais",
        DocumentLanguage::English => "Anglais",
    }
}

/// Paramètres → the e-mail section: plain SMTP to another computer refused, then the
/// settings of `port` on this computer saved, signed in as `factures`.
fn fill_smtp_settings(harness: &mut Harness<'_, ComptoirApp>, port: u16) {
    go_to(harness, "Paramètres");
    wait_for(harness, "Envoi des documents par e-mail");
    type_into(harness, "Serveur SMTP", "smtp.exemple.fr");
    pick(harness, "Sécurité de la connexion", "Aucune (serveur de cet ordinateur seulement)");
    type_into(harness, "Adresse de l'expéditeur", "factures@atelier-lumiere.fr");
    // Plain SMTP to another computer is refused before anything is sent.
    wait_for(harness, "choisissez STARTTLS ou TLS");
    assert!(harness.get_by_label("Enregistrer les réglages d'envoi").accesskit_node().is_disabled());
    replace_text(harness, "Serveur SMTP", "127.0.0.1");
    replace_text(harness, "Port SMTP", &port.to_string());
    type_into(harness, "Utilisateur SMTP", "factures");
    type_into(harness, "Mot de passe SMTP", "s3cret pass");
    replace_text(harness, "Nom de l'expéditeur", "Atelier Lumière");
    type_into(harness, "Adresse de réponse", "compta@atelier-lumiere.fr");
    click_shown(harness, "Enregistrer les réglages d'envoi");
    wait_for(harness, "Réglages d'envoi enregistrés.");
    let settings = copy(harness).mail_settings().unwrap().expect("the settings saved");
    assert_eq!((settings.host.as_str(), settings.port), ("127.0.0.1", port));
    assert_eq!(settings.username.as_deref(), Some("factures"));
    let path = harness.state().reader.as_ref().unwrap().path().to_path_buf();
    for file in [path.clone(), path.with_extension("comptoir-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!bytes.windows(11).any(|w| w == b"s3cret pass"), "the password is not in {}", file.display());
    }
}

/// An issued invoice of the demo, with its number.
fn issued_invoice(harness: &Harness<'_, ComptoirApp>) -> (DocumentRow, String) {
    let filter =
        DocumentFilter { statuses: vec![DocumentStatus::Issued], ..DocumentFilter::kind(DocumentKind::Invoice) };
    let page =
        copy(harness).list_documents(&filter, DocumentSort::Date, SortDirection::Descending, &PageRequest::First, 20);
    let row = page.unwrap().rows.into_iter().find(|r| r.number.is_some()).expect("an issued invoice");
    let number = row.number.clone().unwrap();
    (row, number)
}

/// Invoices → the invoice `number`'s detail → "Envoyer par e-mail".
fn open_send_dialog(harness: &mut Harness<'_, ComptoirApp>, number: &str) {
    go_to(harness, "Factures");
    type_into(harness, "Rechercher", number);
    wait_for(harness, "1 résultats");
    harness.get_by_label(number).click();
    wait_for(harness, "Envoyer par e-mail");
    harness.get(By::new().label("Envoyer par e-mail").role(egui::accesskit::Role::Button)).click();
    wait_for(harness, "Destinataire");
}

#[test]
fn an_issued_invoice_goes_by_e_mail_with_its_factur_x_and_ubl_and_shows_it_was_sent() {
    let (_server, dir, mut harness) = opened(100, 0);
    let sink = SmtpSink::start(&dir.path().join("received"), 0, Some(("factures", "s3cret pass"))).unwrap();

    let (row, number) = issued_invoice(&harness);
    let store = copy(&harness);
    let invoice = store.document(row.id).unwrap();
    let mut contact = store.contact(invoice.contact_id).unwrap();
    let language = contact.language.unwrap_or(DocumentLanguage::French);
    drop(store);
    // The customer receives e-invoices through Peppol: the UBL is offered, ticked.
    contact.peppol_id = Some(ElectronicAddress::new("0208", "0403170701").unwrap());
    let update = Intent::UpdateContact { contact: contact.clone() };
    harness.state().send(Command::Edit { request: 9_000, intent: Box::new(update) });
    wait_until(&mut harness, "the contact's Peppol id", |h| copy(h).contact(contact.id).unwrap().peppol_id.is_some());

    fill_smtp_settings(&mut harness, sink.port);
    // "Envoyer un e-mail d'essai": to the sender, through the settings and password saved.
    click_shown(&mut harness, "Envoyer un e-mail d'essai");
    wait_for(&mut harness, "E-mail d'essai envoyé à factures@atelier-lumiere.fr.");
    let test = sink.wait_for(1);
    assert_eq!(test[0]["rcpt_tos"], serde_json::json!(["factures@atelier-lumiere.fr"]));
    assert_eq!(test[0]["authenticated"], true);
    let credentials = FileCredentials::new(&dir.path().join("credentials.json"));
    let company = copy(&harness).company_id();
    assert_eq!(load_password(&credentials, company).unwrap().as_deref(), Some("s3cret pass"), "in the keychain");
    // The customer language's text: a broken one says why; a changed one is kept.
    pick(&mut harness, "Langue du client", language_label(language));
    replace_text(&mut harness, "Objet", "Votre facture {numero}");
    wait_for(&mut harness, "Objet, ligne 1, colonne 15 : Le modèle utilise un champ inconnu");
    replace_text(&mut harness, "Objet", "Votre facture {numéro} ({entreprise})");
    click_shown(&mut harness, "Enregistrer le texte");
    wait_for(&mut harness, "Texte de l'e-mail enregistré.");
    let own = copy(&harness).own_mail_template(language).unwrap().expect("the text kept");
    assert_eq!(own.subject, "Votre facture {numéro} ({entreprise})");

    open_send_dialog(&mut harness, &number);
    if let Some(email) = &contact.email {
        assert_eq!(field_value(&harness, "Destinataire"), *email, "prefilled from the contact");
    }
    let seller = copy(&harness).company().unwrap().legal_name;
    assert_eq!(field_value(&harness, "Objet"), format!("Votre facture {number} ({seller})"));
    replace_text(&mut harness, "Destinataire", "client@exemple.fr");
    type_into(&mut harness, "Copie (Cc)", "compta@exemple.fr");
    // The files are made off the UI thread, then listed with their size.
    let pdf_name = format!("{number}.pdf");
    wait_until(&mut harness, "the attachments made", |h| {
        shows(h, &pdf_name) || shows(h, "n'ont pas pu être préparées")
    });
    for problem in ["n'ont pas pu être préparées", "Pas de fichier UBL"] {
        if let Some(shown) = harness.query_by_label_contains(problem) {
            panic!("{:?}", shown.accesskit_node().value());
        }
    }
    let ubl = harness.get_by_label_contains("Joindre le fichier UBL (Peppol)");
    assert_eq!(ubl.accesskit_node().toggled(), Some(egui::accesskit::Toggled::True), "ticked for a Peppol customer");
    harness.get(By::new().label("Envoyer").role(egui::accesskit::Role::Button)).click();
    harness.step();

    // The message leaves through the sink, with its files.
    let received = sink.wait_for(2);
    assert_eq!(received.len(), 2, "the test message, then the invoice's");
    let got = &received[1];
    assert_eq!(got["authenticated"], true, "signed in with the keychain's password");
    assert_eq!(got["rcpt_tos"], serde_json::json!(["client@exemple.fr", "compta@exemple.fr"]));
    assert_eq!(got["from"], "Atelier Lumière <factures@atelier-lumiere.fr>");
    assert_eq!(got["reply_to"], "compta@atelier-lumiere.fr");
    assert_eq!(got["subject"], format!("Votre facture {number} ({seller})"));
    let attachments = got["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{attachments:?}");
    assert_eq!(attachments[0]["name"], pdf_name.as_str());
    assert_eq!(attachments[0]["mime"], "application/pdf");
    let pdf = decoded(&attachments[0]);
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(pdf.windows(12).any(|w| w == b"factur-x.xml"), "the Factur-X XML is attached inside the PDF");
    assert_eq!(attachments[1]["name"], format!("{number}.xml"));
    let xml = String::from_utf8(decoded(&attachments[1])).unwrap();
    assert!(xml.contains("<Invoice") && xml.contains(&number), "the UBL of the invoice");
    assert!(xml.contains("EmbeddedDocumentBinaryObject"), "with the PDF embedded (BT-125)");

    // The dialog closed; the document shows where and when it went.
    wait_until(&mut harness, "the sent line", |h| shows(h, "Envoyé le") && !shows(h, "Destinataire"));
    let line = harness.get_by_label_contains("Envoyé le").accesskit_node().value().unwrap_or_default();
    assert!(line.ends_with("à client@exemple.fr, compta@exemple.fr"), "{line}");
    let mails = copy(&harness).document_mail(row.id.0).unwrap();
    assert_eq!(mails.len(), 1);
    assert!(matches!(mails[0].state, MailState::Sent { .. }), "{:?}", mails[0].state);
    // The sending went to the server's audit trail, and back into the document's history.
    wait_until(&mut harness, "the sending in the document's history", |h| shows(h, "— envoi par e-mail"));
    harness.get_by_label_contains("sent_to : — → client@exemple.fr");
    let trail = copy(&harness).history(row.id.0).unwrap();
    let sending = trail.iter().find(|r| r.action == "send_mail").expect("the sending in the trail");
    let message_id = received[1]["message_id"].as_str().unwrap();
    assert!(sending.changes.iter().any(|c| c.field == "message_id" && c.after.as_deref() == Some(message_id)));

    // "Rétablir le texte d'origine" brings the built-in text back.
    go_to(&mut harness, "Paramètres");
    wait_for(&mut harness, "Rétablir le texte d'origine");
    pick(&mut harness, "Langue du client", language_label(language));
    click_shown(&mut harness, "Rétablir le texte d'origine");
    wait_for(&mut harness, "Texte de l'e-mail enregistré.");
    assert_eq!(copy(&harness).own_mail_template(language).unwrap(), None);
    comptoir_tests::ui::close(harness);
}

/// Offline, both ways: the sync server stopped and the SMTP server down. The dialog says
/// the message will leave at the next connection, the document shows it waiting; once
/// both are back, the next sync sends it and the document shows it sent.
#[test]
fn offline_the_message_waits_on_the_document_and_leaves_at_the_next_connection() {
    let mut server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let mut harness = app_harness(dir.path(), &server.url, clock.clone(), egui::vec2(1400.0, 900.0));
    open_company(&mut harness, &server, 0);
    // Nobody listens on this port for now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: None,
        sender_address: "factures@atelier-lumiere.fr".into(),
        sender_name: "Atelier Lumière".into(),
        reply_to: None,
    };
    harness.state().send(Command::SaveMailSettings { settings: Box::new(settings), password: None });
    wait_until(&mut harness, "the settings saved", |h| copy(h).mail_settings().unwrap().is_some());
    let (row, number) = issued_invoice(&harness);

    server.stop();
    comptoir_tests::ui::file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "offline", |h| matches!(h.state().status, SyncState::Offline { .. }));
    open_send_dialog(&mut harness, &number);
    wait_for(&mut harness, "Hors ligne : le message partira à la prochaine connexion.");
    replace_text(&mut harness, "Destinataire", "client@exemple.fr");
    wait_for(&mut harness, &format!("{number}.pdf"));
    harness.get(By::new().label("Envoyer").role(egui::accesskit::Role::Button)).click();
    wait_for(&mut harness, "En attente d'envoi à client@exemple.fr : le message partira à la prochaine connexion.");
    // The pass tried, found the SMTP server down, and kept it in the outbox with why.
    wait_until(&mut harness, "the attempt made", |h| {
        let mails = copy(h).document_mail(row.id.0).unwrap();
        mails.len() == 1 && mails[0].state == MailState::Waiting && mails[0].last_error.is_some()
    });
    wait_for(&mut harness, "Le serveur SMTP ne répond pas");

    // Both servers back; the retry is due: the next sync sends it.
    server.restart().unwrap();
    let sink = SmtpSink::start(&dir.path().join("received"), port, None).unwrap();
    clock.advance(chrono::Duration::minutes(2));
    comptoir_tests::ui::file_menu(&mut harness, "Synchroniser maintenant");
    wait_for(&mut harness, "Envoyé le");
    let received = sink.wait_for(1);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["rcpt_tos"], serde_json::json!(["client@exemple.fr"]));
    assert!(!shows(&harness, "En attente d'envoi"), "no longer waiting");
    // Its record reaches the server's trail with the sync after.
    wait_until(&mut harness, "the sending in the document's history", |h| shows(h, "— envoi par e-mail"));
    comptoir_tests::ui::close(harness);
}
