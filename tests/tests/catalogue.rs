//! Contacts and articles in the real app, driven with `egui_kittest` by accessible labels
//! against the real server on loopback: a contact changed (its VAT number checked as it
//! is typed, its documents' language kept), archived and brought back; an article
//! created, archived; the prices of the selected articles changed by a percentage; and
//! hundreds of edits sent at once, none lost on the way to the engine.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir::app::ComptoirApp;
use comptoir_core::engine::Command;
use comptoir_core::model::{ArticleId, DocumentLanguage};
use comptoir_core::sync::Intent;
use comptoir_tests::fixtures::{article, new_contact};
use comptoir_tests::ui::{copy, file_menu, go_to, opened, replace_text, type_into, wait_for, wait_until};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rust_decimal::Decimal;

#[test]
fn a_contact_is_changed_with_its_vat_number_checked_as_typed_then_archived() {
    let (server, _dir, mut harness) = opened(200, 0);
    let contact = copy(&harness).list_contacts(false, 0, 1).unwrap().remove(0);
    go_to(&mut harness, "Contacts");
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::contact(contact.id));
    wait_for(&mut harness, "Modifier le contact");
    harness.get_by_label("Modifier le contact").click();
    wait_for(&mut harness, "Langue des documents");
    // A VAT number with a wrong check digit is refused as it is typed.
    replace_text(&mut harness, "N° de TVA", "FR00303265045");
    wait_for(&mut harness, "chiffres de contrôle");
    replace_text(&mut harness, "N° de TVA", "FR40303265045");
    wait_until(&mut harness, "the error gone", |h| h.query_by_label_contains("chiffres de contrôle").is_none());
    harness.get_by_label("Néerlandais").click();
    replace_text(&mut harness, "Délai de paiement (jours)", "45");
    harness.get_by_label("Enregistrer").click();
    wait_until(&mut harness, "the contact changed", |h| {
        copy(h).contact(contact.id).is_ok_and(|c| c.language == Some(DocumentLanguage::Dutch))
    });
    let changed = copy(&harness).contact(contact.id).unwrap();
    assert_eq!(changed.vat_number.unwrap().to_string(), "FR40303265045");
    assert_eq!(changed.payment_terms_days, Some(45));
    assert_eq!((changed.name, changed.billing_address), (contact.name.clone(), contact.billing_address.clone()));

    // Archived from its detail, then brought back.
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::contact(contact.id));
    wait_for(&mut harness, "Archiver");
    harness.get_by_label("Archiver").click();
    wait_until(&mut harness, "archived", |h| copy(h).contact(contact.id).is_ok_and(|c| c.archived));
    assert!(copy(&harness).search_customers(&contact.name, 8).unwrap().iter().all(|c| c.id != contact.id));
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::contact(contact.id));
    wait_for(&mut harness, "Réactiver");
    harness.get_by_label("Réactiver").click();
    wait_until(&mut harness, "back", |h| copy(h).contact(contact.id).is_ok_and(|c| !c.archived));

    // The server keeps it as changed.
    file_menu(&mut harness, "Synchroniser maintenant");
    let company = server.accounts.companies[0].0;
    wait_until(&mut harness, "the copy equal to the server", |h| {
        server.stats(company).unwrap() == copy(h).replica_stats().unwrap()
    });
    let synced = copy(&harness).contact(contact.id).unwrap();
    assert_eq!(synced.language, Some(DocumentLanguage::Dutch), "the server's record, pulled back, as changed");
}

#[test]
fn articles_are_created_archived_and_their_prices_changed_by_a_percentage() {
    let (_server, _dir, mut harness) = opened(200, 0);
    go_to(&mut harness, "Articles");
    wait_for(&mut harness, "Nouvel article");
    harness.get_by_label("Nouvel article").click();
    wait_for(&mut harness, "Code");
    type_into(&mut harness, "Code", "AA-CAFE");
    type_into(&mut harness, "Désignation", "Café en grains");
    type_into(&mut harness, "Unité", "kg");
    type_into(&mut harness, "Prix unitaire HT", "24,90");
    harness.get_by_label("Enregistrer").click();
    wait_until(&mut harness, "the article created", |h| copy(h).article_by_code("AA-CAFE").unwrap().is_some());
    let cafe = copy(&harness).article_by_code("AA-CAFE").unwrap().unwrap();
    assert_eq!((cafe.unit_price, cafe.unit.as_str()), (Decimal::new(2490, 2), "kg"));

    // Two articles ticked, their prices up 10 %.
    let first = copy(&harness).list_articles(false, 0, 2).unwrap().into_iter().find(|a| a.id != cafe.id).unwrap();
    for code in [&first.code, &cafe.code] {
        wait_for(&mut harness, &format!("Choisir {code}"));
        harness.get_by_label(&format!("Choisir {code}")).click();
        harness.step();
    }
    type_into(&mut harness, "Changer les prix de", "10");
    harness.get_by_label("Appliquer aux 2 articles choisis").click();
    wait_until(&mut harness, "the prices changed", |h| {
        copy(h).article(cafe.id).is_ok_and(|a| a.unit_price == Decimal::new(2739, 2))
    });
    let expected = comptoir_core::model::round_amount(first.unit_price * Decimal::new(11, 1));
    assert_eq!(copy(&harness).article(first.id).unwrap().unit_price, expected);

    // Archived through its form.
    harness.get_by_label("AA-CAFE").click();
    wait_for(&mut harness, "Modifier l'article");
    harness.get_by_label("Archiver").click();
    wait_until(&mut harness, "archived", |h| copy(h).article(cafe.id).is_ok_and(|a| a.archived));
    assert!(copy(&harness).search_articles("cafe", 8).unwrap().is_empty(), "no longer offered");
}

#[test]
fn six_hundred_edits_sent_at_once_all_reach_the_copy() {
    let (_server, _dir, mut harness) = opened(100, 0);
    let before = copy(&harness).count_articles(true).unwrap();
    // More than the engine's queue holds (256): the app keeps the rest and hands them
    // over as room frees up.
    for i in 0..600 {
        let mut article = article(&format!("LOT-{i:04}"));
        article.id = ArticleId::new();
        harness
            .state()
            .send(Command::Edit { request: 10_000 + i, intent: Box::new(Intent::CreateArticle { article }) });
    }
    let contact = new_contact("Dernier de la file");
    harness
        .state()
        .send(Command::Edit { request: 20_000, intent: Box::new(Intent::CreateContact { contact: contact.clone() }) });
    wait_until(&mut harness, "every edit applied", |h| copy(h).contact(contact.id).is_ok());
    assert_eq!(copy(&harness).count_articles(true).unwrap(), before + 600, "none dropped, in order");
}

#[test]
fn a_payment_recorded_from_the_payments_screen_is_cancelled_with_its_reason() {
    use comptoir_core::model::{DocumentId, DocumentStatus};
    let (server, _dir, mut harness) = opened(200, 0);
    // An issued invoice nothing was paid on, and its customer.
    let (invoice, contact): (uuid::Uuid, uuid::Uuid) = copy(&harness)
        .connection()
        .query_row(
            "SELECT id, contact_id FROM documents WHERE kind = 'invoice' AND status = 'issued' AND number IS NOT NULL
             ORDER BY rid LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let invoice = DocumentId(invoice);
    let customer = copy(&harness).contact(comptoir_core::model::ContactId(contact)).unwrap();
    let number = copy(&harness).document(invoice).unwrap().number.unwrap();

    go_to(&mut harness, "Paiements");
    harness.get_by_label("Nouveau paiement").click();
    wait_for(&mut harness, "Client qui paie");
    type_into(&mut harness, "Client qui paie", customer.name.split_whitespace().last().unwrap());
    let choice = format!("{} — {}", customer.name, customer.billing_address.postcode);
    wait_for(&mut harness, &choice);
    harness.get_by_label_contains(&choice).click();
    wait_for(&mut harness, "Montant reçu");
    harness.get_by_label_contains(&format!("{number} (reste")).click();
    harness.step();
    let due = harness.get_by_label(&format!("Montant affecté à {number}")).value().unwrap();
    replace_text(&mut harness, "Montant reçu", &due);
    // A date no demo payment has, so that it sorts first in the list.
    replace_text(&mut harness, "Date du paiement", "01/01/2099");
    harness.get_by_label("Enregistrer le paiement").click();
    wait_until(&mut harness, "paid", |h| copy(h).document(invoice).is_ok_and(|d| d.status == DocumentStatus::Paid));

    // Cancelled, with its reason: the invoice owes again, the trail keeps why.
    wait_for(&mut harness, "01/01/2099");
    harness.get_by_label("01/01/2099").click();
    wait_for(&mut harness, "Motif de l'annulation");
    harness.get_by_label("Annuler le paiement").click();
    wait_for(&mut harness, "Donnez le motif");
    type_into(&mut harness, "Motif de l'annulation", "Saisi deux fois");
    harness.get_by_label("Annuler le paiement").click();
    wait_for(&mut harness, "Oui, annuler le paiement");
    harness.get_by_label("Oui, annuler le paiement").click();
    wait_until(&mut harness, "owed again", |h| {
        copy(h).document(invoice).is_ok_and(|d| d.status == DocumentStatus::Issued)
    });
    assert!(copy(&harness).payments_of(invoice).unwrap().is_empty());
    file_menu(&mut harness, "Synchroniser maintenant");
    let cancellations = |h: &Harness<'_, ComptoirApp>| -> i64 {
        copy(h)
            .connection()
            .query_row("SELECT count(*) FROM audit_trail WHERE action = 'cancel_payment'", [], |r| r.get(0))
            .unwrap()
    };
    wait_until(&mut harness, "the cancellation in the server's trail", |h| cancellations(h) == 1);
    let company = server.accounts.companies[0].0;
    wait_until(&mut harness, "the copy equal to the server", |h| {
        server.stats(company).unwrap() == copy(h).replica_stats().unwrap()
    });
}

#[test]
fn a_contact_or_an_article_goes_only_when_nothing_refers_to_it() {
    let (server, _dir, mut harness) = opened(100, 0);
    // A customer with invoices, and the article of one of their lines.
    let (customer, used_article): (uuid::Uuid, uuid::Uuid) = copy(&harness)
        .connection()
        .query_row(
            "SELECT d.contact_id, l.article_id FROM documents d JOIN document_lines l ON l.document_id = d.id
             WHERE l.article_id IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let customer = comptoir_core::model::ContactId(customer);
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::contact(customer));
    wait_for(&mut harness, "Supprimer");
    harness.get_by_label("Supprimer").click();
    wait_for(&mut harness, "Supprimer définitivement ce contact");
    // The confirmation's own button (the panel's is behind the modal).
    harness.get_all_by_label("Supprimer").last().unwrap().click();
    wait_for(&mut harness, "archivez-le plutôt");
    assert!(copy(&harness).contact(customer).is_ok(), "a contact with invoices stays");

    // A contact made by mistake goes, from the copy and then from the server.
    let mistake = new_contact("Doublon à supprimer");
    harness
        .state()
        .send(Command::Edit { request: 30_000, intent: Box::new(Intent::CreateContact { contact: mistake.clone() }) });
    wait_until(&mut harness, "created", |h| copy(h).contact(mistake.id).is_ok());
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::contact(mistake.id));
    wait_for(&mut harness, "Doublon à supprimer");
    harness.get_by_label("Supprimer").click();
    wait_for(&mut harness, "Supprimer définitivement ce contact");
    harness.get_all_by_label("Supprimer").last().unwrap().click();
    wait_until(&mut harness, "deleted", |h| copy(h).contact(mistake.id).is_err());
    assert!(harness.state().screens.detail.is_none(), "the panel of a deleted contact closes");

    // The same for articles, from the article's form.
    let used = copy(&harness).article(ArticleId(used_article)).unwrap();
    go_to(&mut harness, "Articles");
    let spare = article("ZZ-INUTILE");
    harness
        .state()
        .send(Command::Edit { request: 30_001, intent: Box::new(Intent::CreateArticle { article: spare.clone() }) });
    wait_until(&mut harness, "created", |h| copy(h).article(spare.id).is_ok());
    for (code, kept) in [(&used.code, true), (&spare.code, false)] {
        harness.state_mut().screens.articles.form = Some(comptoir::screens::articles::ArticleForm::edit(
            &copy(&harness).article_by_code(code).unwrap().unwrap(),
            comptoir::i18n::Language::French,
        ));
        wait_for(&mut harness, "Modifier l'article");
        harness.get_by_label("Supprimer").click();
        wait_for(&mut harness, "Supprimer définitivement cet article");
        harness.get_all_by_label("Supprimer").last().unwrap().click();
        if kept {
            wait_for(&mut harness, "archivez-le plutôt");
        } else {
            wait_until(&mut harness, "deleted", |h| copy(h).article_by_code(code).unwrap().is_none());
        }
    }
    assert!(copy(&harness).article(used.id).is_ok(), "an article on invoices stays");

    // The server agrees.
    file_menu(&mut harness, "Synchroniser maintenant");
    let company = server.accounts.companies[0].0;
    wait_until(&mut harness, "the copy equal to the server", |h| {
        server.stats(company).unwrap() == copy(h).replica_stats().unwrap()
    });
    assert!(copy(&harness).contact(mistake.id).is_err() && copy(&harness).article(spare.id).is_err());
}

#[test]
fn a_structured_communication_finds_its_invoice_whoever_the_payment_was_opened_for() {
    use comptoir_core::model::{DocumentId, DocumentStatus};
    let (_server, _dir, mut harness) = opened(200, 1);
    // A Belgian invoice waiting for its payment, its communication, and another customer.
    let (invoice, owner, communication): (uuid::Uuid, uuid::Uuid, String) = copy(&harness)
        .connection()
        .query_row(
            "SELECT id, contact_id, structured_communication FROM documents
             WHERE kind = 'invoice' AND status = 'issued' AND number IS NOT NULL
               AND structured_communication IS NOT NULL ORDER BY rid DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let other: uuid::Uuid = copy(&harness)
        .connection()
        .query_row("SELECT id FROM contacts WHERE id <> ?1 AND is_customer AND NOT archived LIMIT 1", [owner], |r| {
            r.get(0)
        })
        .unwrap();
    let (invoice, other) =
        (DocumentId(invoice), copy(&harness).contact(comptoir_core::model::ContactId(other)).unwrap());
    let owner = copy(&harness).contact(comptoir_core::model::ContactId(owner)).unwrap();
    let number = copy(&harness).document(invoice).unwrap().number.unwrap();

    go_to(&mut harness, "Paiements");
    harness.get_by_label("Nouveau paiement").click();
    wait_for(&mut harness, "Client qui paie");
    type_into(&mut harness, "Client qui paie", other.name.split_whitespace().last().unwrap());
    let choice = format!("{} — {}", other.name, other.billing_address.postcode);
    wait_for(&mut harness, &choice);
    harness.get_by_label_contains(&choice).click();
    wait_for(&mut harness, "Montant reçu");
    // The bank statement's reference, typed without its "+++" and slashes.
    let digits: String = communication.chars().filter(char::is_ascii_digit).collect();
    type_into(&mut harness, "Référence", &digits);
    wait_for(&mut harness, &format!("facture {number} de {}", owner.name));
    let due = harness.get_by_label(&format!("Montant affecté à {number}")).value().unwrap();
    assert_eq!(harness.get_by_label("Montant reçu").value().unwrap(), due, "the amount due filled in");
    harness.get_by_label("Enregistrer le paiement").click();
    wait_until(&mut harness, "paid", |h| copy(h).document(invoice).is_ok_and(|d| d.status == DocumentStatus::Paid));
    let payment = copy(&harness).payments_of(invoice).unwrap().remove(0).0;
    let payment = copy(&harness).payment(payment).unwrap();
    assert_eq!(payment.contact_id, Some(owner.id), "the payment is the invoice's customer's");
}
