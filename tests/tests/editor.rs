//! The document editor in the real app, driven with `egui_kittest` by accessible labels
//! against the real server on loopback: what the user types is what the server keeps.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir::app::ComptoirApp;
use comptoir_core::model::{DocumentId, DocumentKind, DocumentStatus, VatRate};
use comptoir_core::store::CompanyStore;
use comptoir_core::sync::{LoginResponse, RecordBody, SyncClient};
use comptoir_tests::TestServer;
use comptoir_tests::ui::{copy, file_menu, go_to, opened, type_into, wait_for, wait_until, wheel, wide_app};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use rust_decimal::Decimal;

/// The document as the server keeps it, pulled as the demo account.
fn server_document(server: &TestServer, company: comptoir_core::model::CompanyId, id: DocumentId) -> RecordBody {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut client = SyncClient::new(&server.url).unwrap();
        let LoginResponse::SignedIn(_) = client.login(&server.accounts.email, &server.accounts.password).await.unwrap()
        else {
            panic!("no two-factor on the demo account")
        };
        let mut after = 0;
        let mut found = None;
        loop {
            let page = client.pull(company, after, None, 5_000, false).await.unwrap();
            for change in &page.changes {
                if change.id == id.0 {
                    found = change.parse().unwrap();
                }
            }
            after = page.cursor.seq;
            if !page.has_more {
                return found.unwrap();
            }
        }
    })
}

/// Picks `customer` among the picker's matches once they show.
fn pick_customer(harness: &mut Harness<'_, ComptoirApp>, customer: &comptoir_core::model::Contact) {
    let choice = format!("{} — {}", customer.name, customer.billing_address.postcode);
    wait_for(harness, &choice);
    harness.get_by_label_contains(&choice).click();
}

fn editor_document_id(harness: &Harness<'_, ComptoirApp>) -> DocumentId {
    harness.state().screens.editor.as_ref().unwrap().id()
}

#[test]
fn an_invoice_typed_in_the_editor_is_saved_issued_and_kept_by_the_server_as_typed() {
    let (server, _dir, mut harness) = opened(300, 0);
    let company = server.accounts.companies[0].0;
    let store = copy(&harness);
    let customer = store.list_contacts(false, 0, 1).unwrap().remove(0);
    let article = store.list_articles(false, 0, 1).unwrap().remove(0);
    let next_number = store.numbering_series(comptoir_core::model::DocumentKind::Invoice).unwrap().next_number;

    go_to(&mut harness, "Factures");
    wait_for(&mut harness, "Nouvelle facture");
    harness.get_by_label("Nouvelle facture").click();
    wait_for(&mut harness, "Choisissez un client");

    // The customer, found by the start of their name.
    let typed = customer.name.split_whitespace().next().unwrap().to_owned();
    type_into(&mut harness, "Client", &typed);
    pick_customer(&mut harness, &customer);
    wait_until(&mut harness, "the customer chosen", |h| {
        h.state().screens.editor.as_ref().is_some_and(|e| e.document.customer.name == customer.name)
    });

    // A line from the article picker (it takes the place of the empty first line) …
    type_into(&mut harness, "Article", &article.code);
    let article_choice = format!("{} — {}", article.code, article.name);
    wait_for(&mut harness, &article_choice);
    harness.get_by_label_contains(&article_choice).click();
    wait_for(&mut harness, "Désignation 1");
    // … then a free-text line with a discount.
    harness.get_by_label("Ajouter une ligne").click();
    wait_for(&mut harness, "Désignation 2");
    type_into(&mut harness, "Désignation 2", "Frais de déplacement");
    type_into(&mut harness, "Quantité 2", "0");
    type_into(&mut harness, "Prix unitaire 2", "45,50");
    type_into(&mut harness, "Remise 2", "10");
    // The delivery date and the customer's order number, printed on the invoice.
    type_into(&mut harness, "Date de livraison", "28/11/2026");
    type_into(&mut harness, "Référence du client (n° de commande)", "CMD-4471");
    // A section title after them, which counts for nothing.
    harness.get_by_label("Ajouter un titre de section").click();
    wait_for(&mut harness, "Désignation 3");
    type_into(&mut harness, "Désignation 3", "Lot 2 — Finitions");

    // Saved a second after the last keystroke, through the engine.
    let id = editor_document_id(&harness);
    wait_for(&mut harness, "Brouillon enregistré");
    let draft = copy(&harness).document(id).unwrap();
    assert_eq!(draft.status, DocumentStatus::Draft);
    assert_eq!(draft.contact_id, customer.id);
    assert_eq!(draft.lines.len(), 3);
    assert!(draft.lines[2].section && draft.lines[2].description == "Lot 2 — Finitions");
    assert_eq!(draft.lines[2].net_amount().unwrap(), Decimal::ZERO);
    assert_eq!(draft.lines[0].article_id, Some(article.id));
    assert_eq!(draft.lines[0].unit_price, article.unit_price);
    assert_eq!(draft.lines[1].description, "Frais de déplacement");
    // "1" then "0" typed after it: 10.
    assert_eq!(draft.lines[1].quantity, Decimal::from(10));
    assert_eq!(draft.lines[1].unit_price, Decimal::new(4550, 2));
    assert_eq!(draft.lines[1].discount_percent, Decimal::from(10));
    assert_eq!(draft.delivery_date, chrono::NaiveDate::from_ymd_opt(2026, 11, 28));
    assert_eq!(draft.customer_reference.as_deref(), Some("CMD-4471"));
    // The totals the editor shows are the core's.
    let totals = draft.totals().unwrap();
    harness.get_by_label_contains(&comptoir::format::money(
        totals.gross,
        draft.currency,
        comptoir::i18n::Language::French,
    ));

    // Issued after its confirmation, with the next number of the series.
    harness.get_by_label("Émettre").click();
    wait_for(&mut harness, "Son numéro est attribué maintenant");
    harness.get_by_label("Oui, émettre").click();
    wait_for(&mut harness, "Document émis");
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "the number from the server", |h| copy(h).document(id).is_ok_and(|d| d.number.is_some()));
    let issued = copy(&harness).document(id).unwrap();
    assert!(issued.number.as_deref().unwrap().ends_with(&format!("{next_number:05}")), "{:?}", issued.number);
    let RecordBody::Document(on_server) = server_document(&server, company, id) else { panic!("not a document") };
    assert_eq!(on_server.document, issued, "the server keeps what was typed");
}

#[test]
fn a_draft_typed_then_the_app_dropped_is_there_at_the_next_start() {
    let (server, dir, mut harness) = opened(200, 0);
    let customer = copy(&harness).list_contacts(false, 0, 1).unwrap().remove(0);
    go_to(&mut harness, "Devis");
    wait_for(&mut harness, "Nouveau devis");
    harness.get_by_label("Nouveau devis").click();
    wait_for(&mut harness, "Choisissez un client");
    type_into(&mut harness, "Client", customer.name.split_whitespace().next().unwrap());
    pick_customer(&mut harness, &customer);
    type_into(&mut harness, "Désignation 1", "Rénovation de la cuisine");
    type_into(&mut harness, "Prix unitaire 1", "4200");
    let id = editor_document_id(&harness);
    wait_for(&mut harness, "Brouillon enregistré");
    // The window goes away with the editor still open: nothing closed or saved by hand.
    comptoir_tests::ui::close(harness);

    let mut harness = wide_app(dir.path(), &server.url);
    wait_until(&mut harness, "the copy opened again", |h| h.state().reader.is_some());
    let draft = copy(&harness).document(id).unwrap();
    assert_eq!(draft.status, DocumentStatus::Draft);
    assert_eq!(draft.lines[0].description, "Rénovation de la cuisine");
    assert_eq!(draft.lines[0].unit_price, Decimal::from(4200));
    // And it opens in the editor from its detail, as it was.
    go_to(&mut harness, "Devis");
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::document(id));
    wait_for(&mut harness, "Modifier");
    harness.get_by_label("Modifier").click();
    wait_until(&mut harness, "the editor on the draft", |h| {
        h.state().screens.editor.as_ref().is_some_and(|e| e.id() == id)
    });
    wait_for(&mut harness, "Désignation 1");
    assert_eq!(harness.get_by_label("Désignation 1").value().as_deref(), Some("Rénovation de la cuisine"));
}

/// A customer of the copy without a VAT number (a private person).
fn customer_without_vat(store: &CompanyStore) -> comptoir_core::model::Contact {
    customers_without_vat(store).remove(0)
}

/// The customers without a VAT number, in the order the copy wrote them.
fn customers_without_vat(store: &CompanyStore) -> Vec<comptoir_core::model::Contact> {
    let ids: Vec<uuid::Uuid> = store
        .connection()
        .prepare("SELECT id FROM contacts WHERE vat_number IS NULL AND is_customer AND NOT archived ORDER BY rid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    ids.into_iter().map(|id| store.contact(comptoir_core::model::ContactId(id)).unwrap()).collect()
}

/// Opens a new invoice for `customer` with one line of 1,000.
fn new_invoice_for(harness: &mut Harness<'_, ComptoirApp>, customer: &comptoir_core::model::Contact) {
    go_to(harness, "Factures");
    wait_for(harness, "Nouvelle facture");
    harness.get_by_label("Nouvelle facture").click();
    wait_for(harness, "Choisissez un client");
    type_into(harness, "Client", customer.name.split_whitespace().last().unwrap());
    pick_customer(harness, customer);
    type_into(harness, "Désignation 1", "Installation");
    type_into(harness, "Prix unitaire 1", "1000");
}

/// Issues the editor's document after its confirmation and syncs; returns it as the
/// server keeps it.
fn issue_and_sync(harness: &mut Harness<'_, ComptoirApp>, server: &TestServer) -> comptoir_core::sync::DocumentRecord {
    let id = editor_document_id(harness);
    issue_in_editor(harness);
    file_menu(harness, "Synchroniser maintenant");
    wait_until(harness, "the number from the server", |h| copy(h).document(id).is_ok_and(|d| d.number.is_some()));
    let RecordBody::Document(record) = server_document(server, server.accounts.companies[0].0, id) else {
        panic!("not a document")
    };
    assert_eq!(record.document, copy(harness).document(id).unwrap(), "the copy and the server agree");
    record
}

#[test]
fn a_reverse_charge_invoice_is_refused_without_the_customers_vat_number_then_issued() {
    use comptoir_core::model::VatCategory;
    let (server, _dir, mut harness) = opened(200, 0);
    let customer = customer_without_vat(&copy(&harness));
    new_invoice_for(&mut harness, &customer);
    comptoir_tests::ui::pick(&mut harness, "Régime de TVA", "Autoliquidation (client assujetti dans l'UE)");
    // Refused, with the reason, while the customer has no VAT number.
    wait_for(&mut harness, "le numéro de TVA du vendeur et celui du client");
    assert!(harness.get_by_label("Émettre").accesskit_node().is_disabled());
    type_into(&mut harness, "N° TVA du client", "BE0417497106");
    wait_until(&mut harness, "Émettre allowed", |h| !h.get_by_label("Émettre").accesskit_node().is_disabled());
    let record = issue_and_sync(&mut harness, &server);
    let document = record.document;
    assert!(document.lines.iter().all(|l| l.vat_category == Some(VatCategory::ReverseCharge)));
    assert!(document.lines.iter().all(|l| l.vat_rate.percent().is_zero()));
    assert_eq!(document.vat_exemption_reason.as_deref(), Some("Autoliquidation"));
    assert_eq!(document.customer.vat_number.as_ref().map(ToString::to_string).as_deref(), Some("BE0417497106"));
    assert_eq!(document.totals().unwrap().vat, Decimal::ZERO);
    assert_eq!(document.totals().unwrap().gross, Decimal::from(1000));
}

#[test]
fn an_exempt_micro_entrepreneur_invoice_carries_its_legal_mention() {
    use comptoir_core::model::VatCategory;
    let (server, _dir, mut harness) = opened(200, 0);
    let store = copy(&harness);
    let seller_country = store.company().unwrap().address.country;
    let customer = customer_without_vat(&store);
    new_invoice_for(&mut harness, &customer);
    comptoir_tests::ui::pick(&mut harness, "Régime de TVA", "Franchise en base (micro-entreprise)");
    let mention = VatCategory::Exempt.legal_mention(&seller_country).unwrap();
    wait_for(&mut harness, mention);
    let document = issue_and_sync(&mut harness, &server).document;
    assert!(document.lines.iter().all(|l| l.vat_category == Some(VatCategory::Exempt)));
    assert_eq!(document.vat_exemption_reason.as_deref(), Some(mention));
    let totals = document.totals().unwrap();
    assert_eq!((totals.vat, totals.gross), (Decimal::ZERO, Decimal::from(1000)));
    assert_eq!(totals.breakdown[0].category, VatCategory::Exempt);
}

/// Émettre, confirmed, in the editor.
fn issue_in_editor(harness: &mut Harness<'_, ComptoirApp>) {
    harness.get_by_label("Émettre").click();
    wait_for(harness, "Oui, émettre");
    harness.get_by_label("Oui, émettre").click();
    wait_for(harness, "Document émis");
}

/// Opens `id`'s detail panel, as a click on its row does.
fn show_detail(harness: &mut Harness<'_, ComptoirApp>, id: DocumentId) {
    harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::document(id));
    wait_until(harness, "the detail loaded", |h| h.query_by_label_contains("Historique").is_some());
}

fn status_of(harness: &Harness<'_, ComptoirApp>, id: DocumentId) -> DocumentStatus {
    copy(harness).document(id).unwrap().status
}

#[test]
fn a_quote_accepted_converted_issued_paid_twice_and_credited_once() {
    use comptoir_tests::ui::replace_text;
    let (server, _dir, mut harness) = opened(300, 0);
    let store = copy(&harness);
    let customer = customer_without_vat(&store);
    let article = store.list_articles(false, 0, 1).unwrap().remove(0);
    let rates = VatRate::rates_of(&store.company().unwrap().address.country);
    let other_rate = comptoir::format::decimal_input(rates[1].percent(), comptoir::i18n::Language::French);
    let next_invoice = store.numbering_series(DocumentKind::Invoice).unwrap().next_number;

    // A quote of three lines at two rates: an article, a free line at another rate, a
    // line with a discount.
    go_to(&mut harness, "Devis");
    wait_for(&mut harness, "Nouveau devis");
    harness.get_by_label("Nouveau devis").click();
    wait_for(&mut harness, "Choisissez un client");
    type_into(&mut harness, "Client", customer.name.split_whitespace().last().unwrap());
    pick_customer(&mut harness, &customer);
    type_into(&mut harness, "Article", &article.code);
    let article_choice = format!("{} — {}", article.code, article.name);
    wait_for(&mut harness, &article_choice);
    harness.get_by_label_contains(&article_choice).click();
    harness.get_by_label("Ajouter une ligne").click();
    wait_for(&mut harness, "Désignation 2");
    type_into(&mut harness, "Désignation 2", "Frais de dossier");
    replace_text(&mut harness, "Prix unitaire 2", "50");
    replace_text(&mut harness, "TVA 2", &other_rate);
    harness.get_by_label("Ajouter une ligne").click();
    wait_for(&mut harness, "Désignation 3");
    type_into(&mut harness, "Désignation 3", "Pose");
    replace_text(&mut harness, "Prix unitaire 3", "200");
    type_into(&mut harness, "Remise 3", "10");
    let quote = editor_document_id(&harness);
    issue_in_editor(&mut harness);
    harness.get_by_label("Fermer").click();
    let written = copy(&harness).document(quote).unwrap();
    assert_eq!(written.lines.len(), 3);
    assert_eq!(written.totals().unwrap().breakdown.len(), 2, "two rates");
    assert_eq!(written.lines[2].discount_percent, Decimal::from(10));

    // Accepted, then converted: the invoice opens in the editor, keeps its link, and is
    // issued with the next number.
    show_detail(&mut harness, quote);
    harness.get_by_label("Accepter").click();
    wait_until(&mut harness, "the quote accepted", |h| status_of(h, quote) == DocumentStatus::Accepted);
    show_detail(&mut harness, quote);
    harness.get_by_label("Convertir en facture").click();
    wait_until(&mut harness, "the invoice in the editor", |h| {
        h.state().screens.editor.as_ref().is_some_and(|e| e.document.kind == DocumentKind::Invoice)
    });
    let invoice = editor_document_id(&harness);
    assert_eq!(status_of(&harness, quote), DocumentStatus::Converted);
    assert_eq!(copy(&harness).document(invoice).unwrap().source, Some(quote));
    issue_in_editor(&mut harness);
    harness.get_by_label("Fermer").click();
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "the invoice's number", |h| copy(h).document(invoice).is_ok_and(|d| d.number.is_some()));
    let number = copy(&harness).document(invoice).unwrap().number.unwrap();
    assert!(number.ends_with(&format!("{next_invoice:05}")), "{number}");
    let total = copy(&harness).document(invoice).unwrap().totals().unwrap().gross;

    // A partial payment, then the rest, prefilled.
    show_detail(&mut harness, invoice);
    harness.get_by_label("Enregistrer un paiement").click();
    wait_for(&mut harness, "Montant reçu");
    replace_text(&mut harness, "Montant reçu", "100");
    replace_text(&mut harness, &format!("Montant affecté à {number}"), "100");
    harness.get_by_label("Enregistrer le paiement").click();
    wait_until(&mut harness, "partially paid", |h| status_of(h, invoice) == DocumentStatus::PartiallyPaid);
    show_detail(&mut harness, invoice);
    harness.get_by_label("Enregistrer un paiement").click();
    wait_for(&mut harness, "Montant reçu");
    let rest = comptoir::format::decimal_input(total - Decimal::from(100), comptoir::i18n::Language::French);
    assert_eq!(harness.get_by_label("Montant reçu").value().as_deref(), Some(rest.as_str()), "what remains due");
    harness.get_by_label("Enregistrer le paiement").click();
    wait_until(&mut harness, "paid", |h| status_of(h, invoice) == DocumentStatus::Paid);

    // A credit note for one line; then one for everything, which the invoice no longer
    // allows.
    show_detail(&mut harness, invoice);
    harness.get_by_label("Créer un avoir").click();
    wait_for(&mut harness, "Reste à créditer");
    let credit = editor_document_id(&harness);
    harness.get_by_label("Supprimer la ligne 3").click();
    harness.step();
    harness.get_by_label("Supprimer la ligne 2").click();
    wait_until(&mut harness, "one line left", |h| h.query_by_label("Désignation 2").is_none());
    issue_in_editor(&mut harness);
    harness.get_by_label("Fermer").click();
    assert_eq!(copy(&harness).document(credit).unwrap().lines.len(), 1);
    show_detail(&mut harness, invoice);
    harness.get_by_label("Créer un avoir").click();
    wait_for(&mut harness, "Les avoirs dépasseraient");
    assert!(harness.get_by_label("Émettre").accesskit_node().is_disabled());

    // The server keeps what the window made.
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "the credit note's number", |h| {
        copy(h).document(credit).is_ok_and(|d| d.number.is_some())
    });
    let company = server.accounts.companies[0].0;
    for id in [quote, invoice, credit] {
        let RecordBody::Document(record) = server_document(&server, company, id) else { panic!("not a document") };
        assert_eq!(record.document, copy(&harness).document(id).unwrap());
    }
    let RecordBody::Document(paid) = server_document(&server, company, invoice) else { panic!("not a document") };
    assert_eq!((paid.document.status, paid.paid), (DocumentStatus::Paid, total));
    assert_eq!(paid.credited, copy(&harness).document(credit).unwrap().totals().unwrap().gross);
}

/// Presses Tab until the widget named `label` has the keyboard focus, as a user moving
/// through the window with the keyboard does.
fn tab_to(harness: &mut Harness<'_, ComptoirApp>, label: &str) {
    for _ in 0..300 {
        if harness.query_by_label(label).is_some_and(|n| n.accesskit_node().is_focused()) {
            return;
        }
        harness.key_press(egui::Key::Tab);
        harness.step();
    }
    panic!("Tab never reached “{label}”");
}

fn keys(harness: &mut Harness<'_, ComptoirApp>, text: &str) {
    harness.event(egui::Event::Text(text.to_owned()));
    harness.step();
}

#[test]
fn an_invoice_made_with_the_keyboard_only() {
    let (_server, _dir, mut harness) = opened(200, 0);
    let store = copy(&harness);
    // A customer the picker lists first for the last word of its name, which is typed.
    let last_word = |c: &comptoir_core::model::Contact| c.name.split_whitespace().last().unwrap().to_owned();
    let customer = customers_without_vat(&store)
        .into_iter()
        .find(|c| store.search_customers(&last_word(c), 10).unwrap().first().map(|f| f.id) == Some(c.id))
        .unwrap();
    let article = store.list_articles(false, 0, 1).unwrap().remove(0);
    go_to(&mut harness, "Factures");
    wait_for(&mut harness, "Nouvelle facture");
    tab_to(&mut harness, "Nouvelle facture");
    harness.key_press(egui::Key::Enter);
    wait_for(&mut harness, "Choisissez un client");
    // The customer: typed, Enter takes the first match.
    tab_to(&mut harness, "Client");
    keys(&mut harness, &last_word(&customer));
    harness.key_press(egui::Key::Enter);
    wait_until(&mut harness, "the customer chosen", |h| {
        h.state().screens.editor.as_ref().is_some_and(|e| e.document.customer.name == customer.name)
    });
    // An article: its code, Enter.
    tab_to(&mut harness, "Article");
    keys(&mut harness, &article.code);
    wait_for(&mut harness, &article.name);
    harness.key_press(egui::Key::Enter);
    wait_for(&mut harness, "Désignation 1");
    // Enter in the last cell of the last line adds a line, the cursor in its description;
    // Tab goes from cell to cell.
    tab_to(&mut harness, "TVA 1");
    harness.key_press(egui::Key::Enter);
    wait_until(&mut harness, "a second line, focused", |h| {
        h.query_by_label("Désignation 2").is_some_and(|n| n.accesskit_node().is_focused())
    });
    keys(&mut harness, "Déplacement");
    for cell in ["Quantité 2", "Unité 2", "Prix unitaire 2"] {
        harness.key_press(egui::Key::Tab);
        harness.step();
        assert!(harness.get_by_label(cell).accesskit_node().is_focused(), "Tab reaches {cell}");
    }
    keys(&mut harness, "35");
    // Ctrl+S saves; Ctrl+Enter asks to issue, Enter confirms.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    wait_for(&mut harness, "Brouillon enregistré");
    let id = editor_document_id(&harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    wait_for(&mut harness, "Oui, émettre");
    harness.step();
    harness.key_press(egui::Key::Enter);
    wait_for(&mut harness, "Document émis");
    let issued = copy(&harness).document(id).unwrap();
    assert_eq!(issued.status, DocumentStatus::Issued);
    assert_eq!(issued.contact_id, customer.id);
    assert_eq!(issued.lines.len(), 2);
    assert_eq!(issued.lines[0].article_id, Some(article.id));
    assert_eq!((issued.lines[1].description.as_str(), issued.lines[1].unit_price), ("Déplacement", Decimal::from(35)));
}

#[test]
fn a_long_invoice_draws_the_lines_in_view_and_tab_walks_past_them() {
    let (_server, _dir, mut harness) = opened(200, 0);
    let customer = customer_without_vat(&copy(&harness));
    new_invoice_for(&mut harness, &customer);
    // Forty lines, each added by Enter in the last cell of the last one.
    for n in 1..40 {
        harness.get_by_label(&format!("TVA {n}")).focus();
        harness.step();
        harness.key_press(egui::Key::Enter);
        wait_for(&mut harness, &format!("Désignation {}", n + 1));
    }
    // Back to the top: the lines far below are not drawn at all.
    harness.hover_at(egui::pos2(700.0, 500.0));
    for _ in 0..20 {
        wheel(&harness, 2_000.0);
        harness.step();
    }
    wait_for(&mut harness, "Désignation 1");
    assert!(harness.query_by_label("Désignation 35").is_none(), "line 35 is out of view, not drawn");
    // Tab from the first line walks cell by cell down to line 35, which comes into view.
    harness.get_by_label("Désignation 1").focus();
    harness.step();
    let mut presses = 0;
    while !harness.query_by_label("Désignation 35").is_some_and(|n| n.accesskit_node().is_focused()) {
        assert!(presses < 600, "Tab never reached line 35");
        harness.key_press(egui::Key::Tab);
        harness.step();
        presses += 1;
    }
    keys(&mut harness, "Ligne trente-cinq");
    harness.step();
    let editor = harness.state().screens.editor.as_ref().unwrap();
    assert_eq!(editor.lines[34].line.description, "Ligne trente-cinq");
    assert_eq!(editor.document.lines.len(), 40);

    // The wheel takes line 35 out of view (it is not drawn, and egui drops the focus of
    // what it does not draw), then back: the cell has the cursor again, and typing goes on.
    let turn = |harness: &mut egui_kittest::Harness<'_, comptoir::app::ComptoirApp>, dy: f32| {
        for _ in 0..20 {
            wheel(harness, dy);
            harness.step();
        }
    };
    turn(&mut harness, 2_000.0);
    wait_for(&mut harness, "Désignation 1");
    assert!(harness.query_by_label("Désignation 35").is_none(), "line 35 is out of view");
    turn(&mut harness, -2_000.0);
    wait_until(&mut harness, "line 35 focused again", |h| {
        h.query_by_label("Désignation 35").is_some_and(|n| n.accesskit_node().is_focused())
    });
    keys(&mut harness, " bis");
    harness.step();
    let editor = harness.state().screens.editor.as_ref().unwrap();
    assert_eq!(editor.lines[34].line.description, "Ligne trente-cinq bis");
}
