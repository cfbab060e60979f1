//! The main window's screens in the real app, driven with `egui_kittest` by accessible
//! labels, against the real server on loopback: navigation, the invoice list (sort,
//! search, status filter), a document's detail and history, the dashboard, a new
//! contact, issuing a draft, read-only refusals, switching company.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::sync::Arc;

use chrono::Datelike as _;

use calamine::Reader as _;
use comptoir::app::ComptoirApp;
use comptoir::format;
use comptoir::i18n::Language;
use comptoir_core::clock::{Clock, ManualClock, SystemClock};
use comptoir_core::engine::{Command, MemberChange};
use comptoir_core::model::{Currency, DocumentKind, DocumentStatus, Role};
use comptoir_core::store::{AuditFilter, CompanyStore, DocumentFilter, DocumentSort, PageRequest, SortDirection};
use comptoir_core::sync::{AddMember, Intent, Mutation, Outcome, RecordBody, SyncClient};
use comptoir_tests::ui::{copy, file_menu, go_to, open_company, pick, replace_text, type_into, wait_for, wait_until};
use comptoir_tests::{TestServer, app_harness, totp_code};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT as _, Queryable as _};

fn app(dir: &std::path::Path, server: &str, clock: Arc<dyn Clock>) -> Harness<'static, ComptoirApp> {
    app_harness(dir, server, clock, egui::vec2(1280.0, 800.0))
}

/// Opens Préférences on `tab`.
fn preferences(harness: &mut Harness<'_, ComptoirApp>, tab: &str) {
    file_menu(harness, "Préférences…");
    wait_for(harness, tab);
    harness.get_by_label(tab).click();
    harness.step();
}

/// Types a new contact's name and address (street, postcode, city) into the open form.
fn fill_contact(harness: &mut Harness<'_, ComptoirApp>, name: &str, (street, postcode, city): (&str, &str, &str)) {
    type_into(harness, "Nom", name);
    type_into(harness, "Ville", city);
    type_into(harness, "Code postal", postcode);
    type_into(harness, "Adresse", street);
}

fn copy_at(path: &std::path::Path) -> CompanyStore {
    CompanyStore::open_read_only(path).unwrap()
}

fn first_page(store: &CompanyStore, filter: &DocumentFilter, sort: DocumentSort) -> Vec<Option<String>> {
    let page = store.list_documents(filter, sort, SortDirection::Descending, &PageRequest::First, 5).unwrap();
    page.rows.into_iter().map(|r| r.number).collect()
}

#[test]
fn the_invoice_list_sorts_searches_filters_and_counts() {
    let server = TestServer::start(600).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 1);
    go_to(&mut harness, "Factures");
    let store = copy(&harness);
    let invoices = DocumentFilter::kind(DocumentKind::Invoice);
    let total = store.count_documents(&invoices).unwrap();
    wait_for(&mut harness, &format!("{total} documents"));

    // Newest first: the first rows of the list by date show.
    for number in first_page(&store, &invoices, DocumentSort::Date).into_iter().flatten() {
        harness.get_by_label(&number);
    }
    // A click on "Numéro" sorts by number, highest first.
    harness.get_by_label("Numéro").click();
    wait_for(&mut harness, "Numéro ↓");
    let by_number = first_page(&store, &invoices, DocumentSort::Number);
    harness.get_by_label(by_number[0].as_deref().unwrap());

    // A full-text search on a customer's name keeps only their invoices.
    let page = store.list_documents(&invoices, DocumentSort::Date, SortDirection::Ascending, &PageRequest::First, 50);
    let row = page.unwrap().rows.into_iter().find(|r| r.number.is_some()).unwrap();
    type_into(&mut harness, "Rechercher", row.number.as_deref().unwrap());
    wait_for(&mut harness, "1 résultats");
    harness.get_by_label(row.number.as_deref().unwrap());
    assert_eq!(harness.query_all_by_label_contains(&row.customer_name).count(), 1);

    // The status filter: only paid invoices, counted.
    harness.get_by_label("Rechercher").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.step();
    pick(&mut harness, "Filtrer par statut", "Payé");
    let paid = DocumentFilter { statuses: vec![DocumentStatus::Paid], ..invoices.clone() };
    let paid_count = store.count_documents(&paid).unwrap();
    assert!(paid_count > 0 && paid_count < total);
    wait_for(&mut harness, &format!("{paid_count} documents"));
}

#[test]
fn the_dashboard_shows_what_is_unpaid_overdue_and_sold_this_month() {
    let server = TestServer::start(600).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 1);
    let today = chrono::Local::now().date_naive();
    let figures = copy(&harness).dashboard(today).unwrap();
    assert!(figures.unpaid_count > 0);
    let unpaid = format::money(figures.unpaid_total, Currency::EUR, Language::French);
    wait_for(&mut harness, &unpaid);
    for amount in [figures.overdue_total, figures.month_sales] {
        let text = format::money(amount, Currency::EUR, Language::French);
        assert!(harness.query_all_by_label(&text).count() >= 1, "{text} shows");
    }
    assert!(harness.query_all_by_label(&format!("{} factures", figures.unpaid_count)).count() >= 1);

    // "Voir les factures impayées" opens the invoice list on them.
    harness.get_by_label("Voir les factures impayées").click();
    wait_for(&mut harness, &format!("{} documents", figures.unpaid_count));
    let invoices = &harness.state().screens.invoices;
    assert_eq!(invoices.status, comptoir::screens::documents::StatusChoice::Unpaid);
}

/// Not a plain text: a chart, or a bar of one.
fn chart_part(label: &str) -> By<'_> {
    By::new().label(label).predicate(|node| node.role() != egui::accesskit::Role::Label)
}

#[test]
fn the_dashboard_charts_open_the_invoices_behind_a_bar() {
    use comptoir::screens::documents::{Period, StatusChoice};
    use comptoir_core::store::AgeBucket;

    let server = TestServer::start(600).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 1);
    let today = chrono::Local::now().date_naive();
    let store = copy(&harness);
    let charts = store.dashboard_charts(today).unwrap();
    let money = |amount| format::money(amount, Currency::EUR, Language::French);
    wait_until(&mut harness, "the sales chart", |h| {
        h.query(chart_part("Ventes des 12 derniers mois (HT, avoirs déduits)")).is_some()
    });
    harness.get(chart_part("Restant dû par ancienneté"));

    // Every bar is there, named with its exact amount.
    let month_names = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let month_bar = |month: &comptoir_core::store::MonthSales| {
        let name = month_names[usize::try_from(chrono::Datelike::month0(&month.month)).unwrap()];
        format!("{name} {} : {} HT", chrono::Datelike::year(&month.month), money(month.net))
    };
    assert_eq!(charts.months.len(), 12);
    for month in &charts.months {
        harness.get(chart_part(&month_bar(month)));
    }
    let age_names = [
        "Non échu",
        "1 à 30 jours de retard",
        "31 à 60 jours de retard",
        "61 à 90 jours de retard",
        "Plus de 90 jours de retard",
    ];
    let age_bar = |i: usize| {
        let aged = &charts.ages[i];
        format!("{} : {}, {} factures", age_names[i], money(aged.due), aged.invoices)
    };
    for i in 0..AgeBucket::ALL.len() {
        harness.get(chart_part(&age_bar(i)));
    }

    // A month bar opens the invoices of that month.
    let month = charts.months.iter().filter(|m| m.invoices > 0).max_by_key(|m| m.invoices).unwrap().clone();
    harness.get(chart_part(&month_bar(&month))).click();
    let last_day = month.month.checked_add_months(chrono::Months::new(1)).unwrap().pred_opt().unwrap();
    let of_month =
        DocumentFilter { from: Some(month.month), to: Some(last_day), ..DocumentFilter::kind(DocumentKind::Invoice) };
    let count = store.count_documents(&of_month).unwrap();
    assert!(count >= month.invoices, "the month's issued invoices are among its documents");
    wait_for(&mut harness, &format!("{count} documents"));
    let invoices = &harness.state().screens.invoices;
    assert_eq!(harness.state().screens.screen(), comptoir::screens::Screen::Invoices);
    assert_eq!((invoices.period, invoices.status, invoices.due), (Period::Month(month.month), StatusChoice::All, None));
    assert_eq!(invoices.total, Some(count));

    // An age bar opens the unpaid invoices of that age.
    go_to(&mut harness, "Tableau de bord");
    let (i, aged) = charts.ages.iter().enumerate().rfind(|(i, a)| *i > 0 && a.invoices > 0).unwrap();
    wait_until(&mut harness, "the age bar", |h| h.query(chart_part(&age_bar(i))).is_some());
    harness.get(chart_part(&age_bar(i))).click();
    let (due_from, due_to) = aged.bucket.due_range(today);
    let of_age = DocumentFilter {
        statuses: vec![DocumentStatus::Issued, DocumentStatus::PartiallyPaid],
        due_from,
        due_to,
        ..DocumentFilter::kind(DocumentKind::Invoice)
    };
    assert_eq!(store.count_documents(&of_age).unwrap(), aged.invoices);
    wait_for(&mut harness, &format!("{} documents", aged.invoices));
    let invoices = &harness.state().screens.invoices;
    assert_eq!(
        (invoices.period, invoices.status, invoices.due),
        (Period::All, StatusChoice::Unpaid, Some(aged.bucket))
    );
    assert_eq!(invoices.total, Some(aged.invoices));
    harness.get_by_label(&format!("Ancienneté : {}", age_names[i]));
    // Its filter removed, every unpaid invoice shows.
    harness.get_by_label("Retirer le filtre d'ancienneté").click();
    let unpaid = store.dashboard(today).unwrap().unpaid_count;
    assert!(unpaid > aged.invoices);
    wait_for(&mut harness, &format!("{unpaid} documents"));

    // The customer who owes the most, and a click opens their detail.
    go_to(&mut harness, "Tableau de bord");
    let top = charts.top_customers.first().unwrap().clone();
    wait_for(&mut harness, "Clients qui doivent le plus");
    assert_eq!(charts.top_customers.len(), 5);
    for customer in &charts.top_customers {
        harness.get_by_label(&customer.name);
        harness.get_by_label(&money(customer.due));
    }
    harness.get_by_label(&top.name).click();
    harness.step();
    assert_eq!(harness.state().screens.screen(), comptoir::screens::Screen::Contacts);
    let target = harness.state().screens.detail.as_ref().unwrap().target;
    assert_eq!(target, comptoir::screens::detail::Target::Contact(top.contact_id));
}

#[test]
fn a_new_contact_and_an_issued_draft_show_in_their_history() {
    let server = TestServer::start(300).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 1);

    go_to(&mut harness, "Contacts");
    harness.get_by_label("Nouveau contact").click();
    harness.step();
    // A refused form says why and sends nothing.
    harness.get_by_label("Enregistrer").click();
    wait_for(&mut harness, "obligatoire");
    fill_contact(&mut harness, "Aaa Atelier Kittest", ("8 rue Pasteur", "69007", "Lyon"));
    harness.get_by_label("Enregistrer").click();
    // Listed at once (sorted first), then confirmed by the server with its history.
    wait_for(&mut harness, "Aaa Atelier Kittest");
    harness.get_by_label("Aaa Atelier Kittest").click();
    wait_for(&mut harness, "Historique");
    let who = server.accounts.email.clone();
    wait_until(&mut harness, "the creation in the contact's history", |h| {
        h.query_by_label_contains(&format!("{who} — création")).is_some()
    });
    harness.get_by_label_contains("name : — → Aaa Atelier Kittest");

    // A draft invoice, issued from its detail panel, gets its number from the server.
    go_to(&mut harness, "Factures");
    pick(&mut harness, "Filtrer par statut", "Brouillon");
    let draft_link = || By::new().label("Brouillon").role(egui::accesskit::Role::Link);
    wait_until(&mut harness, "a draft", |h| h.query_all(draft_link()).next().is_some());
    harness.query_all(draft_link()).next().unwrap().click();
    wait_for(&mut harness, "Émettre");
    // The Belgian demo company starts without its legal form: Émettre says so …
    assert!(harness.get_by_label("Émettre").accesskit_node().is_disabled());
    harness.get_by_label_contains("Il manque : forme juridique");
    // … until it is filled in (here through the engine, as Paramètres does).
    let mut company = copy(&harness).company().unwrap();
    company.legal_form = "SRL".into();
    harness.state().send(Command::Edit { request: 7_000, intent: Box::new(Intent::UpdateCompany { company }) });
    wait_until(&mut harness, "Émettre allowed", |h| !h.get_by_label("Émettre").accesskit_node().is_disabled());
    harness.get_by_label("Émettre").click();
    wait_until(&mut harness, "the issue in the invoice's history", |h| {
        h.query_by_label_contains(&format!("{who} — émission")).is_some()
    });
    let id = match harness.state().screens.detail.as_ref().unwrap().target {
        comptoir::screens::detail::Target::Document(id) => id,
        comptoir::screens::detail::Target::Contact(_) => unreachable!(),
    };
    let number = copy(&harness).document(id).unwrap().number.unwrap();
    wait_for(&mut harness, &format!("Facture {number}"));
}

/// Every control that writes, on every screen that has one, is disabled, with `reason`
/// shown beside it: new documents, contacts, articles and payments, and a draft's and an
/// issued invoice's actions.
fn assert_no_editing_allowed(harness: &mut Harness<'_, ComptoirApp>, reason: &str) {
    let disabled = |harness: &Harness<'_, ComptoirApp>, label: &str| {
        assert!(harness.get_by_label(label).accesskit_node().is_disabled(), "“{label}” is disabled");
    };
    for (screen, button) in [
        ("Devis", "Nouveau devis"),
        ("Factures", "Nouvelle facture"),
        ("Avoirs", "Nouvel avoir"),
        ("Bons de livraison", "Nouveau bon de livraison"),
        ("Contacts", "Nouveau contact"),
        ("Articles", "Nouvel article"),
        ("Paiements", "Nouveau paiement"),
    ] {
        go_to(harness, screen);
        wait_for(harness, button);
        disabled(harness, button);
        assert!(harness.query_all_by_label_contains(reason).next().is_some(), "{screen}: the reason shows");
    }
    // A draft's actions and an issued invoice's, from their detail.
    let store = copy(harness);
    let pick = |status: &str| -> comptoir_core::model::DocumentId {
        let id: uuid::Uuid = store
            .connection()
            .query_row(
                "SELECT id FROM documents WHERE kind = 'invoice' AND status = ?1 ORDER BY rid LIMIT 1",
                [status],
                |r| r.get(0),
            )
            .unwrap();
        comptoir_core::model::DocumentId(id)
    };
    for (status, buttons) in [
        ("draft", &["Modifier", "Émettre"][..]),
        ("issued", &["Dupliquer", "Créer un avoir", "Créer un bon de livraison", "Enregistrer un paiement"][..]),
    ] {
        go_to(harness, "Factures");
        harness.state_mut().screens.detail = Some(comptoir::screens::detail::Detail::document(pick(status)));
        wait_for(harness, buttons[0]);
        for button in buttons {
            disabled(harness, button);
        }
    }
}

#[test]
fn the_read_only_role_sees_every_editing_control_disabled_with_the_reason() {
    let server = TestServer::start(300).unwrap();
    let password = add_member_as_owner(&server, 1, "lecteur@example.fr", Role::ReadOnly);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    sign_in_single(&mut harness, "lecteur@example.fr", &password);
    assert_no_editing_allowed(&mut harness, "Votre rôle (Lecture seule) ne permet pas cette action.");
}

#[test]
fn read_only_offline_the_editing_controls_are_disabled_and_say_why() {
    let mut server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let mut harness = app(dir.path(), &server.url, clock.clone());
    open_company(&mut harness, &server, 1);
    go_to(&mut harness, "Contacts");
    assert!(!harness.get_by_label("Nouveau contact").accesskit_node().is_disabled());

    server.stop();
    clock.advance(chrono::Duration::hours(80));
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_for(&mut harness, "Lecture seule : synchronisez");
    assert!(harness.get_by_label("Nouveau contact").accesskit_node().is_disabled());
    harness.get_by_label_contains("Cette entreprise est en lecture seule");
    assert_no_editing_allowed(&mut harness, "Cette entreprise est en lecture seule");
    go_to(&mut harness, "Contacts");

    server.restart().unwrap();
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "editing allowed again", |h| {
        !h.get_by_label("Nouveau contact").accesskit_node().is_disabled()
    });
}

#[test]
fn preferences_account_switches_to_a_company_here_at_once() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    // Both companies on this computer: the small one opened first, then the large one.
    open_company(&mut harness, &server, 0);
    let (small_id, small, _) = server.accounts.companies[0].clone();
    let (large_id, large, _) = server.accounts.companies[1].clone();
    preferences(&mut harness, "Compte");
    harness.get_by_label(&format!("Ouvrir {large}")).click();
    wait_for(&mut harness, &format!("{large} est prête."));
    harness.get_by_label(&format!("Ouvrir {large}")).click();
    wait_until(&mut harness, "the large company open", |h| {
        h.state().reader.as_ref().map(|r| r.store().company_id()) == Some(large_id)
    });
    preferences(&mut harness, "Compte");
    wait_for(&mut harness, &format!("Ouvrir {small}"));
    harness.get_by_label_contains(&server.accounts.email);
    harness.get_by_label(&format!("Ouvrir {small}")).click();
    harness.step();
    // Asked for, not open yet: the large company's name and screens stay, and the menu
    // bar says which company is opening.
    let state = harness.state();
    assert_eq!(state.switching.as_ref().map(|c| c.id), Some(small_id));
    assert_eq!(state.working.as_ref().map(|c| c.id), Some(large_id));
    harness.step();
    if harness.state().switching.is_some() {
        harness.get_by_label(&format!("Ouverture de {small}…"));
        harness.get_by_label(&large);
    }
    // Every frame until the small company is open, the name shown is that of the company
    // whose file the screens read.
    wait_until(&mut harness, "the other company open", |h| {
        let state = h.state();
        let reading = state.reader.as_ref().map(|r| r.store().company_id());
        assert_eq!(state.working.as_ref().map(|c| c.id), reading, "the name shown is not the screens' company");
        reading == Some(small_id)
    });
    assert!(harness.state().switching.is_none());
    go_to(&mut harness, "Factures");
    let count = copy(&harness).count_documents(&DocumentFilter::kind(DocumentKind::Invoice)).unwrap();
    wait_for(&mut harness, &format!("{count} documents"));
    harness.get_by_label(&small);
}

/// The wizard's first steps: signs in with the demo account, then chooses `company`.
fn sign_in_and_choose(harness: &mut Harness<'_, ComptoirApp>, server: &TestServer, company: &str) {
    wait_for(harness, "Adresse e-mail");
    type_into(harness, "Adresse e-mail", &server.accounts.email);
    type_into(harness, "Mot de passe", &server.accounts.password);
    harness.get_by_label("Se connecter").click();
    wait_for(harness, company);
    harness.get_by_label(company).click();
}

/// Issue 18: a company opens once the first pages of its first download are in, the
/// rest coming behind. Its newest invoices show, the status bar says how far the
/// download has come, search says it is partial, and a contact created meanwhile is
/// answered between two pages, before the download ends, and reaches the server once.
/// Every snapshot page after the first that brought documents waits at a relay in front
/// of the server, let go one at a time, then all.
#[test]
fn a_company_opens_before_its_first_download_ends_and_takes_an_edit_meanwhile() {
    let server = TestServer::start(10_000).unwrap();
    let (large_id, large, _) = server.accounts.companies[1].clone();
    let relay = comptoir_tests::relay::HoldingRelay::holding(server.address(), |line| {
        let line = String::from_utf8_lossy(line);
        line.contains("/sync/snapshot?") && line.contains("kind=document&before=")
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), relay.url(), Arc::new(SystemClock));
    sign_in_and_choose(&mut harness, &server, &large);
    let held = |_: &Harness<'_, ComptoirApp>| relay.wait_held(std::time::Duration::from_millis(10));
    wait_until(&mut harness, "the download at its documents' second page", held);

    // The first page is in: the wizard offers to start while the rest downloads.
    wait_for(&mut harness, "Commencer");
    harness.get_by_label_contains("Le reste de ses données se télécharge pendant que vous travaillez");
    // Not yet "even offline": the copy does not hold everything.
    harness.get_by_label(&format!("L'entreprise {large} est prête."));
    assert!(harness.query_by_label_contains("même sans connexion").is_none());
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Factures");
    assert_eq!(harness.state().downloading, Some(large_id));
    harness.get_by_label_contains("Téléchargement en cours (");
    let store = copy(&harness);
    assert!(store.last_sync().unwrap().is_none(), "the download goes on");

    // The newest invoices show, and the list says it fills in as the download goes.
    go_to(&mut harness, "Factures");
    let invoices = DocumentFilter::kind(DocumentKind::Invoice);
    let here = store.count_documents(&invoices).unwrap();
    let on_server = server
        .live_records(large_id)
        .unwrap()
        .iter()
        .filter(|body| matches!(body, RecordBody::Document(d) if d.document.kind == DocumentKind::Invoice))
        .count() as u64;
    assert!(here > 0 && here < on_server, "{here} of {on_server} invoices here");
    wait_for(&mut harness, &format!("{here} documents"));
    harness.get_by_label("Téléchargement en cours : la liste se complète au fur et à mesure.");
    let newest = store.list_documents(&invoices, DocumentSort::Date, SortDirection::Descending, &PageRequest::First, 5);
    for row in newest.unwrap().rows {
        assert!(harness.query_all_by_label(&row.customer_name).count() > 0, "{} not shown", row.customer_name);
    }
    // The newest drafts come first; by number, the highest issued ones.
    harness.get_by_label("Numéro").click();
    wait_for(&mut harness, "Numéro ↓");
    let by_number = first_page(&store, &invoices, DocumentSort::Number);
    for number in by_number.iter().flatten() {
        harness.get_by_label(number);
    }
    type_into(&mut harness, "Rechercher", by_number[0].as_deref().unwrap());
    wait_for(&mut harness, "Recherche partielle : les documents encore en téléchargement y seront quand il sera fini.");
    replace_text(&mut harness, "Rechercher", "");

    // An edit meanwhile: answered after the page being written, before the end.
    go_to(&mut harness, "Contacts");
    harness.get_by_label("Nouveau contact").click();
    harness.step();
    fill_contact(&mut harness, "Aaa Atelier Entre Deux Pages", ("8 rue Pasteur", "69007", "Lyon"));
    harness.get_by_label("Enregistrer").click();
    harness.step();
    relay.release_one();
    wait_for(&mut harness, "Aaa Atelier Entre Deux Pages");
    assert_eq!(copy(&harness).search_customers("Aaa Atelier Entre Deux Pages", 5).unwrap().len(), 1);
    wait_until(&mut harness, "the next page held", held);
    assert!(copy(&harness).last_sync().unwrap().is_none(), "answered before the download ended");
    assert_eq!(harness.state().downloading, Some(large_id));

    // The rest let go: the download ends, the contact is on the server once.
    relay.release();
    wait_until(&mut harness, "the download's end and the contact sent", |h| {
        h.state().downloading.is_none()
            && matches!(h.state().status, comptoir_core::engine::SyncState::Synced { .. })
            && copy(h).pending_count().unwrap() == 0
    });
    assert_eq!(copy(&harness).replica_stats().unwrap(), server.stats(large_id).unwrap());
    let named = |body: &RecordBody| matches!(body, RecordBody::Contact(c) if c.name == "Aaa Atelier Entre Deux Pages");
    assert_eq!(server.live_records(large_id).unwrap().iter().filter(|body| named(body)).count(), 1);
    go_to(&mut harness, "Factures");
    wait_for(&mut harness, &format!("{on_server} documents"));
    assert!(harness.query_by_label("Téléchargement en cours : la liste se complète au fur et à mesure.").is_none());
}

/// Issue 18, with a server that keeps the company's file ready: the company opens after
/// its first pages while the server's copy comes (held at a relay in front of the
/// server). A contact being written when the copy takes the file's place stays on
/// screen, typed as it was; saved after, it is in the copy and reaches the server once.
#[test]
fn the_servers_copy_takes_the_files_place_and_the_window_stays_as_it_was() {
    let server = TestServer::builder().demo(10_000).copies_from(1).start().unwrap();
    server.refresh_copies().unwrap();
    let (large_id, large, _) = server.accounts.companies[1].clone();
    let relay = comptoir_tests::relay::HoldingRelay::holding(server.address(), |line| {
        String::from_utf8_lossy(line).contains("/sync/copy?")
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), relay.url(), Arc::new(SystemClock));
    sign_in_and_choose(&mut harness, &server, &large);
    wait_for(&mut harness, "Commencer");
    harness.get_by_label("Commencer").click();
    wait_for(&mut harness, "Factures");
    let path = harness.state().reader.as_ref().unwrap().path().to_path_buf();
    assert!(!copy(&harness).is_whole_copy().unwrap(), "opened on its first pages");
    #[cfg(unix)]
    let first_file = file_id(&path);
    assert!(relay.wait_held(std::time::Duration::from_secs(30)), "the copy asked for");

    go_to(&mut harness, "Contacts");
    harness.get_by_label("Nouveau contact").click();
    harness.step();
    fill_contact(&mut harness, "Aaa Atelier Pendant La Copie", ("8 rue Pasteur", "69007", "Lyon"));
    relay.release();
    wait_until(&mut harness, "the copy in the file's place", |h| {
        h.state().reader.is_some() && copy_at(&path).is_whole_copy().unwrap()
    });
    assert!(harness.state().copy_arriving.is_none());
    #[cfg(unix)]
    assert_ne!(file_id(&path), first_file, "another file at the same path");
    // The form as it was typed: saved now.
    harness.get_by_label("Enregistrer").click();
    harness.step();
    wait_until(&mut harness, "the download's end and the contact sent", |h| {
        h.state().downloading.is_none()
            && matches!(h.state().status, comptoir_core::engine::SyncState::Synced { .. })
            && copy(h).search_customers("Aaa Atelier Pendant La Copie", 5).unwrap().len() == 1
            && copy(h).pending_count().unwrap() == 0
    });
    wait_for(&mut harness, "Aaa Atelier Pendant La Copie");
    assert_eq!(copy(&harness).replica_stats().unwrap(), server.stats(large_id).unwrap());
    let named = |body: &RecordBody| matches!(body, RecordBody::Contact(c) if c.name == "Aaa Atelier Pendant La Copie");
    assert_eq!(server.live_records(large_id).unwrap().iter().filter(|body| named(body)).count(), 1);
}

/// Which file is at `path` (its inode): another after a copy took its place.
#[cfg(unix)]
fn file_id(path: &std::path::Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

/// Issue 18: a company whose copy is not here downloads in the background. The company
/// open stays in use meanwhile (here, a contact is created in it while the other
/// company's download is held at a relay in front of the server), and the window then
/// offers to open the other one.
#[test]
fn switching_to_a_company_not_here_keeps_the_open_one_usable_while_it_downloads_then_offers_it() {
    let server = TestServer::start(2_000).unwrap();
    let small_id = server.accounts.companies[0].0;
    let (large_id, large, _) = server.accounts.companies[1].clone();
    // The large company's snapshot pages wait at the relay until the test lets them go.
    let held: &'static str = Box::leak(format!("GET /v1/companies/{large_id}/sync/snapshot").into_boxed_str());
    let relay = comptoir_tests::relay::HoldingRelay::start(server.address(), held).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), relay.url(), Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);

    preferences(&mut harness, "Compte");
    harness.get_by_label(&format!("Ouvrir {large}")).click();
    wait_for(&mut harness, &format!("Téléchargement de {large}"));
    assert!(relay.wait_held(std::time::Duration::from_secs(30)), "the download has begun");
    let state = harness.state();
    assert_eq!(state.working.as_ref().map(|c| c.id), Some(small_id), "the open company stays open");
    assert!(state.switching.is_none());
    assert_eq!(state.reader.as_ref().map(|r| r.store().company_id()), Some(small_id));

    // The open company in use: a new contact, saved to its copy and synced.
    go_to(&mut harness, "Contacts");
    harness.get_by_label("Nouveau contact").click();
    harness.step();
    fill_contact(&mut harness, "Aaa Atelier Pendant", ("8 rue Pasteur", "69007", "Lyon"));
    harness.get_by_label("Enregistrer").click();
    wait_for(&mut harness, "Aaa Atelier Pendant");
    assert_eq!(copy(&harness).search_customers("Aaa Atelier Pendant", 5).unwrap().len(), 1);
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "the contact on the server", |h| {
        matches!(h.state().status, comptoir_core::engine::SyncState::Synced { .. })
            && copy(h).pending_count().unwrap() == 0
    });
    assert!(harness.state().background.is_some(), "the other company is still downloading");
    harness.get_by_label_contains(&format!("Téléchargement de {large}"));

    // The pages let go: the download ends, and the window offers the company.
    relay.release();
    wait_for(&mut harness, &format!("{large} est prête."));
    assert_eq!(harness.state().working.as_ref().map(|c| c.id), Some(small_id), "not opened unasked");
    harness.get_by_label(&format!("Ouvrir {large}")).click();
    wait_until(&mut harness, "the large company open", |h| {
        let state = h.state();
        let reading = state.reader.as_ref().map(|r| r.store().company_id());
        assert_eq!(state.working.as_ref().map(|c| c.id), reading, "the name shown is not the screens' company");
        reading == Some(large_id)
    });
    assert_eq!(copy(&harness).replica_stats().unwrap(), server.stats(large_id).unwrap());
    harness.get_by_label(&large);
}

#[test]
fn preferences_server_tests_a_connection_and_says_what_to_check() {
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);
    preferences(&mut harness, "Serveur");
    wait_for(&mut harness, "Tester la connexion");
    harness.get_by_label("Tester la connexion").click();
    wait_for(&mut harness, "connexion réussie");

    // A closed port: the reason in words, and what to check. The field empties (it used
    // to fill itself again with the address in use the moment it was empty).
    replace_text(&mut harness, "Adresse du serveur de synchronisation", "http://127.0.0.1:9");
    assert_eq!(harness.state().preferences.as_ref().unwrap().server, "http://127.0.0.1:9");
    harness.get_by_label("Tester la connexion").click();
    wait_for(&mut harness, "ne répond pas");
    harness.get_by_label_contains("Vérifiez la connexion au réseau");
    // The test changed nothing: the app still syncs with its own server.
    harness.get_by_label("Synchronisé");
    assert_eq!(harness.state().wizard.server, server.url);
}

#[test]
fn personal_settings_turn_two_factor_on_with_a_qr_code_and_change_the_password() {
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);
    preferences(&mut harness, "Personnel");
    wait_for(&mut harness, "La double authentification est désactivée.");

    // Two-factor on: a QR code of the otpauth URI and the key as text, confirmed by a code.
    harness.get_by_label("Activer la double authentification").click();
    wait_for(&mut harness, "Clé secrète");
    harness.get_by_label("Code QR de la double authentification");
    let (secret, uri) = {
        let preferences = harness.state().preferences.as_ref().unwrap();
        let (secret, uri, qr) = preferences.totp_setup.clone().unwrap();
        assert_eq!(qr, comptoir::preferences::Qr::of(&uri), "the QR code is the URI's");
        (secret, uri)
    };
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&secret), "{uri}");
    harness.get_by_label(&format!("Clé secrète : {secret}"));
    // A right code alone is not enough: the account's password goes with it.
    let now = chrono::Utc::now();
    type_into(&mut harness, "Code de l'application", &totp_code(&secret, now).unwrap());
    harness.get_by_label("Confirmer et activer").click();
    wait_for(&mut harness, "Saisissez le mot de passe du compte");
    type_into(&mut harness, "Mot de passe du compte", "pas-le-bon-mot-de-passe");
    harness.get_by_label("Confirmer et activer").click();
    wait_for(&mut harness, "Le mot de passe actuel est incorrect");
    replace_text(&mut harness, "Mot de passe du compte", &server.accounts.password);
    replace_text(&mut harness, "Code de l'application", "000000");
    harness.get_by_label("Confirmer et activer").click();
    wait_for(&mut harness, "Ce code est incorrect");
    replace_text(&mut harness, "Code de l'application", &totp_code(&secret, now).unwrap());
    harness.get_by_label("Confirmer et activer").click();
    wait_for(&mut harness, "Double authentification activée");
    wait_for(&mut harness, "La double authentification est activée.");

    // The password: a wrong current one and a mismatch are refused with their reason.
    let new_password = "un-nouveau-mot-de-passe-2026";
    type_into(&mut harness, "Mot de passe actuel", "pas-le-bon-mot-de-passe");
    type_into(&mut harness, "Nouveau mot de passe", new_password);
    type_into(&mut harness, "Confirmer le nouveau mot de passe", "autre-chose-encore");
    harness.get_by_label("Changer le mot de passe").click();
    wait_for(&mut harness, "ne sont pas identiques");
    replace_text(&mut harness, "Confirmer le nouveau mot de passe", new_password);
    harness.get_by_label("Changer le mot de passe").click();
    wait_for(&mut harness, "Le mot de passe actuel est incorrect");
    replace_text(&mut harness, "Mot de passe actuel", &server.accounts.password);
    harness.get_by_label("Changer le mot de passe").click();
    wait_for(&mut harness, "Mot de passe changé");

    // Signed out, the account now needs the new password and a code.
    harness.get_by_label("Compte").click();
    wait_for(&mut harness, "Se déconnecter");
    harness.get_by_label("Se déconnecter").click();
    wait_for(&mut harness, "Adresse e-mail");
    replace_text(&mut harness, "Mot de passe", new_password);
    harness.get_by_label("Se connecter").click();
    wait_for(&mut harness, "Valider le code");
    // The code of the next 30-second step: the one used to turn two-factor on is spent.
    let next = totp_code(&secret, now + chrono::Duration::seconds(30)).unwrap();
    type_into(&mut harness, "Code", &next);
    harness.get_by_label("Valider le code").click();
    wait_until(&mut harness, "the company open again", |h| {
        h.state().reader.is_some() || h.query_all_by_label("Commencer").next().is_some()
    });
}

#[test]
fn the_audit_trail_filters_checks_its_chain_and_exports_what_it_shows() {
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);
    go_to(&mut harness, "Journal d'audit");
    let store = copy(&harness);
    let all = store.audit_count(&comptoir_core::store::AuditFilter::default()).unwrap();
    assert!(all > 3, "the company's trail came with the download: {all}");
    wait_for(&mut harness, &actions(all));

    // Only the sign-ins, counted; the rows show who.
    pick(&mut harness, "Filtrer par action", "connexion");
    let sign_ins = comptoir_core::store::AuditFilter { action: Some("sign_in".into()), ..Default::default() };
    let count = store.audit_count(&sign_ins).unwrap();
    assert!(count >= 1);
    wait_for(&mut harness, &actions(count));
    harness.get_by_label(&server.accounts.email);

    // The chain of the copy holds, up to the head the server signed.
    harness.get_by_label("Vérifier l'intégrité").click();
    wait_for(&mut harness, &format!("Chaîne intacte : {all} enregistrements vérifiés."));
    wait_for(&mut harness, "conforme à la tête signée par le serveur");

    // The export writes what the screen shows (here, the sign-ins), with progress.
    let out = dir.path().join("journal.xlsx");
    {
        let state = harness.state_mut();
        let company_file = state.reader.as_ref().unwrap().path().to_path_buf();
        let filter = state.screens.audit.filter(chrono::Local::now().date_naive());
        let options = comptoir_core::export::AuditExportOptions::new(comptoir::screens::audit::audit_columns(
            &comptoir::i18n::Texts::new(Language::French),
        ));
        state.screens.audit.start_export(&company_file, filter, options, out.clone(), Arc::new(|| {}));
    }
    wait_for(&mut harness, "Export terminé");
    harness.get_by_label_contains(&format!("{count} lignes sur 1 feuille(s)"));
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let range = workbook.worksheet_range("Journal d'audit").unwrap();
    assert_eq!(range.rows().count() as u64, count + 1, "a header and one row per sign-in");

    // Its last two records removed from the file by hand: the check says the end is gone.
    let signed = store.audit_head().unwrap().unwrap().seq;
    let path = harness.state().reader.as_ref().unwrap().path().to_path_buf();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM audit_trail WHERE seq > ?1", [i64::try_from(signed).unwrap() - 2])
        .unwrap();
    harness.get_by_label("Vérifier l'intégrité").click();
    wait_for(&mut harness, "Fin du journal supprimée");
    harness.get_by_label_contains(&format!("jusqu'à l'enregistrement n° {signed}"));
}

/// The audit screen's count, as French writes it (0 and 1 are singular).
fn actions(count: u64) -> String {
    if count <= 1 { format!("{count} action") } else { format!("{count} actions") }
}

/// The text of the first label containing `text`.
fn label_text(harness: &Harness<'_, ComptoirApp>, text: &str) -> String {
    // AccessKit keeps a label's text in its value.
    let node = harness.get_by_label_contains(text).accesskit_node();
    node.value().or_else(|| node.label()).unwrap_or_default()
}

/// The owner of the demo companies adds `email` with `role` to company `index` through
/// the server's API (as another owner's app would), and gets its one-time password.
fn add_member_as_owner(server: &TestServer, index: usize, email: &str, role: Role) -> String {
    let company = server.accounts.companies[index].0;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut client = SyncClient::new(&server.url).unwrap();
        client.login(&server.accounts.email, &server.accounts.password).await.unwrap();
        let request = AddMember { email: email.to_owned(), role, display_name: None };
        client.add_member(company, &request).await.unwrap().initial_password.unwrap()
    })
}

/// Signs in as a member of a single company: no choice, straight to its download.
fn sign_in_single(harness: &mut Harness<'_, ComptoirApp>, email: &str, password: &str) {
    wait_for(harness, "Adresse e-mail");
    type_into(harness, "Adresse e-mail", email);
    type_into(harness, "Mot de passe", password);
    harness.get_by_label("Se connecter").click();
    wait_for(harness, "Commencer");
    harness.get_by_label("Commencer").click();
    wait_for(harness, "Synchronisé");
}

fn radio(label: &str) -> By<'_> {
    By::new().label(label).role(egui::accesskit::Role::RadioButton)
}

#[test]
fn an_admin_adds_a_user_who_signs_in_and_sees_only_that_company_where_sales_cannot_manage_users() {
    let server = TestServer::start(100).unwrap();
    let (small_id, _, _) = server.accounts.companies[0].clone();
    let admin_password = add_member_as_owner(&server, 0, "admin@exemple.fr", Role::Admin);

    // The admin's app: the company's members with their role and last activity.
    let admin_dir = tempfile::tempdir().unwrap();
    let mut admin = app(admin_dir.path(), &server.url, Arc::new(SystemClock));
    sign_in_single(&mut admin, "admin@exemple.fr", &admin_password);
    go_to(&mut admin, "Utilisateurs");
    wait_for(&mut admin, &server.accounts.email);
    let members = copy(&admin).member_activity().unwrap();
    let me = members.iter().find(|m| m.email == "admin@exemple.fr").unwrap();
    assert_eq!(me.role, Role::Admin);
    assert!(me.last_activity.is_some(), "the admin's sign-in is their last activity");
    admin.get_by_label(&format!("Modifier {}", server.accounts.email));
    assert!(admin.get_by_label("Ajouter l'utilisateur").accesskit_node().is_disabled());
    admin.get_by_label("Saisissez l'e-mail et choisissez un rôle.");

    // An admin may not demote an owner: the control says why.
    admin.get_by_label(&format!("Modifier {}", server.accounts.email)).click();
    wait_for(&mut admin, &format!("Rôle de {}", server.accounts.email));
    admin.get(radio("Commercial")).click();
    admin.step();
    assert!(admin.get_by_label("Enregistrer le rôle").accesskit_node().is_disabled());
    admin.get_by_label("Votre rôle (Administrateur) ne permet pas cette action.");
    admin.get_by_label("Fermer").click();
    admin.step();

    // Adds a sales user by email: the server creates the account.
    wait_for(&mut admin, "Ajouter un utilisateur");
    type_into(&mut admin, "E-mail du nouvel utilisateur", "Vente@Exemple.fr");
    admin.get(radio("Commercial")).click();
    admin.step();
    admin.get_by_label("Ajouter l'utilisateur").click();
    wait_for(&mut admin, "Mot de passe provisoire");
    let message = label_text(&admin, "Mot de passe provisoire");
    assert!(message.contains("vente@exemple.fr"), "{message}");
    let password = message.rsplit(": ").next().unwrap().trim().to_owned();
    wait_for(&mut admin, "Modifier vente@exemple.fr");
    let members = copy(&admin).member_activity().unwrap();
    assert_eq!(members.iter().find(|m| m.email == "vente@exemple.fr").unwrap().role, Role::Sales);
    assert!(
        copy(&admin).audit_count(&AuditFilter { action: Some("add_member".into()), ..Default::default() }).unwrap()
            >= 2
    );

    // The new user signs in with it and sees that company only.
    let sales_dir = tempfile::tempdir().unwrap();
    let mut sales = app(sales_dir.path(), &server.url, Arc::new(SystemClock));
    sign_in_single(&mut sales, "vente@exemple.fr", &password);
    let companies: Vec<_> = sales.state().companies.iter().map(|c| c.id).collect();
    assert_eq!(companies, vec![small_id]);
    assert_eq!(copy(&sales).company_id(), small_id);
    let files = std::fs::read_dir(sales_dir.path().join("companies"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "comptoir"))
        .count();
    assert_eq!(files, 1, "one company file on the sales user's machine");

    // A sales user cannot manage users: no controls, and the reason.
    go_to(&mut sales, "Utilisateurs");
    wait_for(&mut sales, "ne permet pas de gérer les utilisateurs");
    sales.get_by_label("Votre rôle (Commercial) ne permet pas de gérer les utilisateurs de l'entreprise : seuls les propriétaires et les administrateurs le peuvent.");
    assert!(sales.query_by_label("Ajouter l'utilisateur").is_none());
    assert!(sales.query_by_label_contains("Modifier ").is_none());
    // The engine refuses it before sending …
    let owner_id = members.iter().find(|m| m.email == server.accounts.email).unwrap().user_id;
    sales.state().send(Command::Members(MemberChange::Remove { user: owner_id }));
    wait_for(&mut sales, "Votre rôle dans cette entreprise ne permet pas cette action.");
    // … and the server refuses it anyway.
    let refusal = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut client = SyncClient::new(&server.url).unwrap();
        client.login("vente@exemple.fr", &password).await.unwrap();
        let request = AddMember { email: "autre@exemple.fr".into(), role: Role::Owner, display_name: None };
        client.add_member(small_id, &request).await.unwrap_err()
    });
    assert_eq!(refusal.code(), "permission_denied", "{refusal}");
    assert_eq!(copy(&admin).member_activity().unwrap().len(), members.len(), "nothing was added");

    // The admin makes the sales user an accountant, then removes them, with a confirmation.
    drop(sales);
    admin.get_by_label("Modifier vente@exemple.fr").click();
    wait_for(&mut admin, "Rôle de vente@exemple.fr");
    admin.get(radio("Comptable")).click();
    admin.step();
    admin.get_by_label("Enregistrer le rôle").click();
    wait_for(&mut admin, "vente@exemple.fr est maintenant Comptable.");
    let role_of = |h: &Harness<'_, ComptoirApp>| {
        copy(h).member_activity().unwrap().into_iter().find(|m| m.email == "vente@exemple.fr").map(|m| m.role)
    };
    wait_until(&mut admin, "the new role in the copy", |h| role_of(h) == Some(Role::Accountant));
    admin.get_by_label("Modifier vente@exemple.fr").click();
    wait_for(&mut admin, "Retirer vente@exemple.fr");
    admin.get_by_label("Retirer vente@exemple.fr").click();
    wait_for(&mut admin, "Retirer vente@exemple.fr de l'entreprise ?");
    admin.get_by_label("Confirmer le retrait").click();
    wait_for(&mut admin, "vente@exemple.fr a été retiré de l'entreprise.");
    wait_until(&mut admin, "the member gone from the copy", |h| role_of(h).is_none());
}

#[test]
fn the_last_owner_cannot_leave_and_says_why() {
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);
    go_to(&mut harness, "Utilisateurs");
    let me = server.accounts.email.clone();
    wait_for(&mut harness, &format!("Modifier {me}"));
    harness.get_by_label(&format!("Modifier {me}")).click();
    wait_for(&mut harness, &format!("Retirer {me}"));
    harness.get_by_label(&format!("Retirer {me}")).click();
    wait_for(&mut harness, "Confirmer le retrait");
    harness.get_by_label("Confirmer le retrait").click();
    wait_for(&mut harness, "Une entreprise doit garder au moins un propriétaire");
    let members = copy(&harness).member_activity().unwrap();
    assert!(members.iter().any(|m| m.email == me && m.role == Role::Owner), "still the owner");
}

#[test]
fn an_accountant_reads_and_exports_but_edits_nothing() {
    let server = TestServer::start(100).unwrap();
    let password = add_member_as_owner(&server, 0, "compta@exemple.fr", Role::Accountant);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    sign_in_single(&mut harness, "compta@exemple.fr", &password);

    // Reads: the invoices and the audit trail are there, the export is open to them.
    go_to(&mut harness, "Factures");
    let count = copy(&harness).count_documents(&DocumentFilter::kind(DocumentKind::Invoice)).unwrap();
    assert!(count > 0);
    wait_for(&mut harness, &format!("{count} documents"));
    go_to(&mut harness, "Journal d'audit");
    wait_for(&mut harness, "Exporter en XLSX…");
    assert!(!harness.get_by_label("Exporter en XLSX…").accesskit_node().is_disabled());

    // Edits nothing: the controls say why, the engine and the server refuse.
    go_to(&mut harness, "Contacts");
    wait_for(&mut harness, "Nouveau contact");
    assert!(harness.get_by_label("Nouveau contact").accesskit_node().is_disabled());
    harness.get_by_label("Votre rôle (Comptable) ne permet pas cette action.");
    let contact = comptoir_tests::fixtures::new_contact("Refusé SARL");
    let intent = Intent::CreateContact { contact: contact.clone() };
    harness.state().send(Command::Edit { request: 99, intent: Box::new(intent.clone()) });
    wait_until(&mut harness, "the engine's refusal", |h| h.state().last_refusal.is_some());
    assert!(copy(&harness).contact(contact.id).is_err(), "nothing written to the copy");
    let outcome = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut client = SyncClient::new(&server.url).unwrap();
        client.login("compta@exemple.fr", &password).await.unwrap();
        let mutation = Mutation { client_id: uuid::Uuid::now_v7(), mutation_id: 1, intent };
        client.push(server.accounts.companies[0].0, vec![mutation]).await.unwrap()
    });
    assert!(
        matches!(&outcome.results[0].outcome, Outcome::Rejected { code, .. } if code == "permission_denied"),
        "{outcome:?}"
    );
}

#[test]
fn posting_a_batch_empties_the_banner_and_a_later_credit_note_is_one_new_pending_entry() {
    use comptoir_core::accounting::export::{Format, Scope};
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);

    // Once the engine has derived the copy's entries, the banner counts them.
    wait_until(&mut harness, "the entries derived", |h| copy(h).ledger_backlog().unwrap() == 0);
    let pending = copy(&harness).pending_entry_count().unwrap();
    assert!(pending > 10, "every issued invoice, credit note and payment: {pending}");
    wait_for(&mut harness, &format!("{pending} écritures en attente"));

    // The dialog shows the batch; nothing is posted before it is exported.
    harness.get_by_label("Comptabiliser").click();
    wait_for(&mut harness, "écriture(s) à comptabiliser");
    harness.get_by_label_contains(&format!("{pending} écriture(s) à comptabiliser"));
    assert!(harness.get_by_label("2. Marquer comme comptabilisé").accesskit_node().is_disabled());
    harness.get_by_label("Exportez d'abord le lot de cette période.");
    harness.get(radio("FEC (fichier des écritures comptables)")).click();
    harness.step();
    assert!(!harness.get_by_label("1. Exporter le lot…").accesskit_node().is_disabled());

    // The export (the save dialog is the system's: the test hands over the path).
    let out = dir.path().join("lot.txt");
    {
        let state = harness.state_mut();
        let company_file = state.reader.as_ref().unwrap().path().to_path_buf();
        let today = chrono::Local::now().date_naive();
        let dialog = state.screens.accounting.dialog.as_mut().unwrap();
        dialog.start_export(&company_file, Scope::Pending, Format::Fec, (None, today), out.clone(), Arc::new(|| {}));
    }
    wait_for(&mut harness, "Lot exporté");
    let fec = std::fs::read_to_string(&out).unwrap();
    let (mut debit, mut credit) = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
    for line in fec.lines().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), 18);
        debit += cells[11].replace(',', ".").parse::<rust_decimal::Decimal>().unwrap();
        credit += cells[12].replace(',', ".").parse::<rust_decimal::Decimal>().unwrap();
    }
    assert_eq!(debit, credit, "the batch balances");

    // Posted: the banner goes.
    wait_until(&mut harness, "the exported batch ready to post", |h| {
        !h.get_by_label("2. Marquer comme comptabilisé").accesskit_node().is_disabled()
    });
    harness.get_by_label("2. Marquer comme comptabilisé").click();
    let answered = |h: &Harness<'_, ComptoirApp>| h.state().screens.accounting.dialog.as_ref().unwrap().message.clone();
    wait_until(&mut harness, "the posting's answer", |h| {
        answered(h).is_some_and(|(m, _)| !m.starts_with("Lot exporté"))
    });
    assert_eq!(answered(&harness), Some((format!("{pending} écriture(s) comptabilisée(s)."), false)));
    wait_until(&mut harness, "nothing pending", |h| copy(h).pending_entry_count().unwrap() == 0);
    wait_until(&mut harness, "the banner gone", |h| h.query_by_label_contains("écritures en attente").is_none());
    assert_eq!(copy(&harness).postings().unwrap().len(), 1);
    // The dialog lists the batch posted.
    harness.get_by_label("Lots comptabilisés (1)").click();
    harness.step();
    wait_for(&mut harness, &pending.to_string());
    harness.get_by_label(&server.accounts.email);
    // … and exports it again exactly as posted, now with its validation date.
    let again = dir.path().join("lot-again.txt");
    {
        let state = harness.state_mut();
        let company_file = state.reader.as_ref().unwrap().path().to_path_buf();
        let id = copy_at(&company_file).postings().unwrap()[0].id;
        let dialog = state.screens.accounting.dialog.as_mut().unwrap();
        let period = (None, chrono::Local::now().date_naive());
        dialog.start_export(&company_file, Scope::Posted(id), Format::Fec, period, again.clone(), Arc::new(|| {}));
    }
    wait_until(&mut harness, "the batch exported again", |_| again.exists());
    let without_valid_date = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split('\t').enumerate().filter(|(i, _)| *i != 15).map(|(_, c)| c).collect::<Vec<_>>().join("\t"))
            .collect()
    };
    assert_eq!(without_valid_date(&std::fs::read_to_string(&again).unwrap()), without_valid_date(&fec));
    assert!(
        std::fs::read_to_string(&again)
            .unwrap()
            .lines()
            .skip(1)
            .all(|l| l.split('\t').nth(15).is_some_and(|d| d.len() == 8))
    );

    // A credit note issued afterwards: one new pending entry.
    let store = copy(&harness);
    let invoice: uuid::Uuid = store
        .connection()
        .query_row(
            "SELECT id FROM documents d WHERE kind = 'invoice' AND number IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM documents c WHERE c.corrects_id = d.id) LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let invoice = store.document(comptoir_core::model::DocumentId(invoice)).unwrap();
    let credit_note =
        comptoir_core::model::Document::credit_note_for(&invoice, chrono::Local::now().date_naive()).unwrap();
    let id = credit_note.id;
    harness.state().send(Command::Edit { request: 90, intent: Box::new(Intent::SaveDraft { document: credit_note }) });
    harness.state().send(Command::Edit { request: 91, intent: Box::new(Intent::IssueDocument { id }) });
    wait_for(&mut harness, "1 écriture en attente");
    assert_eq!(copy(&harness).pending_entry_count().unwrap(), 1);

    // The trail names the export and the posting.
    // Two exports: the batch before posting, and the posted batch again.
    for (action, times) in [("export", 2), ("post", 1)] {
        let filter = AuditFilter { action: Some(action.into()), ..AuditFilter::default() };
        wait_until(&mut harness, action, |h| copy(h).audit_count(&filter).unwrap() == times);
    }

    the_bank_moves_to_another_account(&mut harness, &fec);
}

#[test]
fn the_audit_trail_shows_one_documents_history_by_its_number() {
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);
    go_to(&mut harness, "Journal d'audit");
    // A draft made and issued here: its history is its saving and its issue.
    let customer = copy(&harness).list_contacts(false, 0, 1).unwrap().remove(0);
    let draft = comptoir_tests::fixtures::draft_invoice(&customer, 250);
    let id = draft.id;
    harness.state().send(Command::Edit { request: 80, intent: Box::new(Intent::SaveDraft { document: draft }) });
    harness.state().send(Command::Edit { request: 81, intent: Box::new(Intent::IssueDocument { id }) });
    let filter = AuditFilter { entity_id: Some(id.0), ..AuditFilter::default() };
    wait_until(&mut harness, "the draft's history", |h| copy(h).audit_count(&filter).unwrap() == 2);
    let number = copy(&harness).document(id).unwrap().number.unwrap();
    type_into(&mut harness, "Document (numéro)", &number);
    wait_for(&mut harness, "2 actions");
    // Both rows name the invoice by its number.
    assert_eq!(harness.query_all_by_label(&format!("Facture {number}")).count(), 2);
    harness.get_by_label("émission");
    // A number no document has: said so, and nothing listed.
    replace_text(&mut harness, "Document (numéro)", "FA-0000-99999");
    wait_for(&mut harness, "Aucun document ne porte ce numéro.");
    wait_for(&mut harness, &actions(0));
}

/// Paramètres → the chart of accounts: a wrong number is refused and says why; a new bank
/// account brings every posted bank entry (`fec` is the batch posted) back as a reversal
/// and a new entry, beside the one credit note pending.
fn the_bank_moves_to_another_account(harness: &mut Harness<'_, ComptoirApp>, fec: &str) {
    harness.get_by_label("Close window").click();
    harness.step();
    go_to(harness, "Paramètres");
    wait_for(harness, "Modifier le plan comptable");
    harness.get_by_label("Modifier le plan comptable").click();
    wait_for(harness, "Enregistrer le plan comptable");
    replace_text(harness, "Banque", "51 2");
    harness.get_by_label("Enregistrer le plan comptable").click();
    wait_for(harness, "Ce numéro de compte n'est pas valide");
    replace_text(harness, "Banque", "512100");
    harness.get_by_label("Enregistrer le plan comptable").click();
    wait_for(harness, "Plan comptable enregistré");
    let bank_posted = fec
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("BQ\t"))
        .map(|l| l.split('\t').nth(2).unwrap().to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    assert!(bank_posted > 0);
    wait_until(harness, "the bank entries reversed and booked again", |h| {
        let store = copy(h);
        store.ledger_backlog().unwrap() == 0 && store.pending_entry_count().unwrap() == 1 + 2 * bank_posted
    });
    let pending = copy(harness).pending_entries(None, chrono::Local::now().date_naive()).unwrap();
    let (reversals, new): (Vec<_>, Vec<_>) = pending.iter().partition(|e| e.reversal);
    assert!(reversals.iter().all(|e| e.lines.iter().any(|l| l.account == "512000")));
    assert_eq!(new.iter().filter(|e| e.lines.iter().any(|l| l.account == "512100")).count(), reversals.len());
    wait_for(harness, &format!("{} écritures en attente", 1 + 2 * bank_posted));
    // The server applied it (its audit trail says so): every copy derives the same.
    let filter = AuditFilter { action: Some("set_account_plan".into()), ..AuditFilter::default() };
    wait_until(harness, "the chart's change in the trail", |h| copy(h).audit_count(&filter).unwrap() == 1);
}

/// The company's settings record as the server keeps it.
fn server_settings(server: &TestServer, index: usize) -> comptoir_core::sync::Settings {
    let company = server.accounts.companies[index].0;
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut client = SyncClient::new(&server.url).unwrap();
        client.login(&server.accounts.email, &server.accounts.password).await.unwrap();
        let (mut after, mut settings) = (0, None);
        loop {
            let page = client.pull(company, after, None, 1000, false).await.unwrap();
            for change in page.changes {
                if let Some(comptoir_core::sync::RecordBody::Settings(record)) = change.parse().unwrap() {
                    settings = Some(*record);
                }
            }
            after = page.cursor.seq;
            if !page.has_more {
                return settings.unwrap();
            }
        }
    })
}

#[test]
fn an_owner_completes_the_company_settings_and_the_invoice_series_continues_at_116() {
    // The large demo company (the one with drafts) is Belgian: a SRL, its BCE number.
    use rust_decimal::Decimal;
    let server = TestServer::start(100).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The logo: an 800 × 300 picture, scaled to 400 × 150 by the app.
    let logo_path = dir.path().join("logo.png");
    image::RgbaImage::from_fn(800, 300, |x, y| {
        image::Rgba([u8::try_from(x % 256).unwrap(), u8::try_from(y % 256).unwrap(), 90, 255])
    })
    .save(&logo_path)
    .unwrap();
    // A tall window: the settings form is longer than the default one.
    let mut harness = comptoir_tests::ui::wide_app(dir.path(), &server.url);
    open_company(&mut harness, &server, 1);
    let last = copy(&harness).numbering_series(DocumentKind::Invoice).unwrap().last_issued.unwrap_or(0);
    assert!(last < 115, "the demo issued {last} invoices");

    // The demo company lacks its legal mentions: the dashboard says so and leads there.
    wait_for(&mut harness, "Complétez les informations de l'entreprise");
    harness.get_by_label_contains("forme juridique");
    harness.get_by_label("Ouvrir les paramètres").click();
    wait_for(&mut harness, "Enregistrer l'entreprise");
    replace_text(&mut harness, "Forme juridique", "SRL");
    replace_text(&mut harness, "Capital social", "10 000");
    replace_text(&mut harness, "Ville d'immatriculation (RCS)", "Liège");
    // A VAT number is checked as typed, to its check digits.
    replace_text(&mut harness, "N° de TVA", "BE0403170702");
    wait_for(&mut harness, "n'est pas valide");
    harness.get_by_label("Enregistrer l'entreprise").click();
    wait_for(&mut harness, "Corrigez les champs signalés d'abord.");
    replace_text(&mut harness, "N° de TVA", "BE 0403.170.701");
    replace_text(&mut harness, "Numéro d'entreprise (BCE)", "0403.170.701");
    replace_text(&mut harness, "IBAN", "BE68 5390 0754 7034");
    replace_text(&mut harness, "Taux des pénalités de retard (%)", "10,15");
    type_into(&mut harness, "Fichier du logo (PNG ou JPEG)", &logo_path.display().to_string());
    harness.get_by_label("Charger le logo").click();
    wait_for(&mut harness, "Nouveau logo : 400 × 150 px");
    wait_for(&mut harness, "SRL au capital de 10");
    harness.get_by_label("Enregistrer l'entreprise").click();
    wait_for(&mut harness, "Informations de l'entreprise enregistrées.");
    assert!(harness.query_by_label_contains("Complétez les informations").is_none(), "nothing missing any more");

    // The invoice series continues where the old tool stopped.
    let year = chrono::Local::now().year();
    replace_text(&mut harness, "Prochain numéro — Facture", "116");
    wait_for(&mut harness, &format!("FA-{year}-00116"));
    harness.get_by_label("Enregistrer la numérotation").click();
    wait_for(&mut harness, "Numérotation enregistrée.");

    // After a sync the server holds exactly what was typed.
    file_menu(&mut harness, "Synchroniser maintenant");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let settings = loop {
        let settings = server_settings(&server, 1);
        let series = settings.series.iter().find(|s| s.kind == DocumentKind::Invoice).unwrap().next_number;
        if (settings.logo.is_some() && series == 116) || std::time::Instant::now() > deadline {
            break settings;
        }
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let company = &settings.company;
    assert_eq!(company.legal_form, "SRL");
    assert_eq!(company.share_capital, Some(Decimal::new(10_000, 0)));
    assert_eq!(company.register_city, "Liège");
    assert_eq!(company.vat_number.as_ref().unwrap().as_str(), "BE0403170701");
    assert_eq!(company.national_id.as_ref().unwrap().as_str(), "0403170701");
    assert_eq!(company.iban.as_ref().unwrap().as_str(), "BE68539007547034");
    assert_eq!(company.late_penalty_rate, Some(Decimal::new(1015, 2)));
    assert!(company.missing_for_invoices().is_empty(), "{:?}", company.missing_for_invoices());
    let logo = settings.logo.as_ref().unwrap();
    assert_eq!(logo.dimensions(), Some((400, 150)));
    let decoded = image::load_from_memory_with_format(logo.png(), image::ImageFormat::Png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (400, 150));
    let series = settings.series.iter().find(|s| s.kind == DocumentKind::Invoice).unwrap();
    assert_eq!((series.next_number, series.last_issued), (116, Some(last).filter(|l| *l > 0)));

    // The next invoice issued gets number 116.
    let customer = comptoir_tests::fixtures::new_contact("Client 116");
    let draft = comptoir_tests::fixtures::draft_invoice(&customer, 250);
    for (request, intent) in [
        (901, Intent::CreateContact { contact: customer }),
        (902, Intent::SaveDraft { document: draft.clone() }),
        (903, Intent::IssueDocument { id: draft.id }),
    ] {
        harness.state().send(Command::Edit { request, intent: Box::new(intent) });
    }
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_until(&mut harness, "the number from the server", |h| copy(h).document(draft.id).unwrap().number.is_some());
    assert_eq!(harness.state().last_refusal, None);
    assert_eq!(copy(&harness).document(draft.id).unwrap().number.unwrap(), format!("FA-{year}-00116"));
}

#[test]
fn a_salesperson_sees_the_company_settings_but_cannot_change_them() {
    let server = TestServer::start(100).unwrap();
    let password = add_member_as_owner(&server, 0, "ventes@exemple.fr", Role::Sales);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    sign_in_single(&mut harness, "ventes@exemple.fr", &password);
    go_to(&mut harness, "Paramètres");
    wait_for(&mut harness, "Enregistrer l'entreprise");
    for control in
        ["Raison sociale", "Forme juridique", "IBAN", "Fichier du logo (PNG ou JPEG)", "Prochain numéro — Facture"]
    {
        let field = By::new().label(control).role(egui::accesskit::Role::TextInput);
        assert!(harness.get(field).accesskit_node().is_disabled(), "{control} is disabled");
    }
    assert!(harness.get_by_label("Choisir un fichier…").accesskit_node().is_disabled());
    for button in ["Enregistrer l'entreprise", "Enregistrer la numérotation"] {
        assert!(harness.get_by_label(button).accesskit_node().is_disabled(), "{button} is disabled");
    }
    let reason = "Votre rôle (Commercial) ne permet pas cette action.";
    assert!(harness.query_all_by_label(reason).count() >= 2, "the reason shows beside each save button");
    // The e-mail section too; and the engine refuses what the window would not send.
    for (control, role) in [
        ("Serveur SMTP", egui::accesskit::Role::TextInput),
        ("Mot de passe SMTP", egui::accesskit::Role::PasswordInput),
        ("Objet", egui::accesskit::Role::TextInput),
    ] {
        assert!(harness.get(By::new().label(control).role(role)).accesskit_node().is_disabled(), "{control}");
    }
    for button in ["Enregistrer les réglages d'envoi", "Enregistrer le texte", "Rétablir le texte d'origine"] {
        assert!(harness.get_by_label(button).accesskit_node().is_disabled(), "{button} is disabled");
    }
    let settings = comptoir_core::mail::SmtpSettings {
        host: "smtp.exemple.fr".into(),
        port: 587,
        security: comptoir_core::mail::Security::StartTls,
        username: None,
        sender_address: "ventes@exemple.fr".into(),
        sender_name: String::new(),
        reply_to: None,
    };
    harness.state().send(Command::SaveMailSettings { settings: Box::new(settings), password: None });
    wait_for(&mut harness, "Votre rôle dans cette entreprise ne permet pas cette action.");
    assert_eq!(copy(&harness).mail_settings().unwrap(), None, "nothing saved");
}

#[test]
fn edits_of_another_account_wait_with_a_banner_and_go_only_after_a_confirmation() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 0);
    let path = harness.state().reader.as_ref().unwrap().path().to_path_buf();
    comptoir_tests::ui::close(harness);

    // While the app is closed, the copy holds an edit of the other member of the company
    // (made here when they were signed in).
    let theirs = comptoir_tests::fixtures::new_contact("Fait par l'autre compte");
    {
        let mut store = CompanyStore::open(&path).unwrap();
        let other = store.members().unwrap().into_iter().find(|m| m.1 == server.accounts.totp_email).unwrap();
        store.set_author(Some(other.0));
        store.submit(&Intent::CreateContact { contact: theirs.clone() }).unwrap();
    }
    let banner = format!("Une modification de {} attend ici sa prochaine connexion", server.accounts.totp_email);

    // Kept for their author: the banner goes, the edit stays.
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    wait_for(&mut harness, &banner);
    harness.get_by_label("Les garder pour cette personne").click();
    wait_until(&mut harness, "the banner gone", |h| h.query_by_label_contains(&banner).is_none());
    assert_eq!(copy_at(&path).pending_count().unwrap(), 1);
    comptoir_tests::ui::close(harness);

    // At the next start it says so again; "Abandonner…" asks first, and cancelling keeps it.
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    wait_for(&mut harness, &banner);
    harness.get_by_label("Abandonner…").click();
    wait_for(&mut harness, "Abandonner les modifications d'un autre compte ?");
    harness.get_by_label("Annuler").click();
    harness.step();
    assert_eq!(copy_at(&path).pending_count().unwrap(), 1);
    harness.get_by_label("Abandonner…").click();
    wait_for(&mut harness, "Abandonner ces modifications");
    harness.get_by_label("Abandonner ces modifications").click();
    wait_until(&mut harness, "the banner gone", |h| h.query_by_label_contains(&banner).is_none());
    wait_until(&mut harness, "the edit undone", |_| copy_at(&path).pending_count().unwrap() == 0);
    assert!(copy_at(&path).contact(theirs.id).is_err(), "the discarded contact is gone from the copy");
}

#[test]
fn a_company_downloaded_again_reopens_on_the_new_file_and_says_where_the_old_one_is() {
    let (mut server, dir, mut harness) = comptoir_tests::ui::opened(200, 0);
    let old_path = harness.state().reader.as_ref().unwrap().path().to_path_buf();
    let backup = dir.path().join("server.backup");
    server.backup(&backup).unwrap();
    server.restore(&backup).unwrap();

    // The next sync meets the new epoch: the window lets go of the file, the engine moves
    // it aside and downloads again, and the window opens the new file.
    file_menu(&mut harness, "Synchroniser maintenant");
    wait_for(&mut harness, "Une copie de l'ancien fichier a été gardée");
    wait_for(&mut harness, "Synchronisé");
    let reader = harness.state().reader.as_ref().unwrap();
    assert_eq!(reader.path(), old_path, "the new file takes the old one's place");
    let epoch = reader.store().sync_cursor().unwrap().unwrap().epoch;
    let app =
        comptoir_core::store::AppStore::open(&dir.path().join(comptoir_core::store::AppStore::FILE_NAME)).unwrap();
    let company = server.accounts.companies[0].0;
    let kept = app.kept_copies(company).unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].path.exists() && kept[0].path != old_path);
    assert_ne!(CompanyStore::open_read_only(&kept[0].path).unwrap().sync_cursor().unwrap().unwrap().epoch, epoch);

    // Seen: the banner goes, the old file stays.
    harness.get_by_label("Compris").click();
    wait_until(&mut harness, "the banner gone", |h| {
        h.query_by_label_contains("Une copie de l'ancien fichier a été gardée").is_none()
    });
    assert!(kept[0].path.exists());
    assert!(app.kept_copies(company).unwrap().is_empty());
}

/// A kept copy whose accepted edits went again to a restored server says which documents
/// that server numbered otherwise, and how many edits it refused, until seen.
#[test]
fn the_kept_copy_banner_tells_the_numbers_a_restored_server_changed_and_the_edits_it_refused() {
    use comptoir_core::store::{KeptCopy, Renumbering};

    let kept = [KeptCopy {
        company_id: comptoir_core::model::CompanyId::new(),
        path: "/données/atelier.2026-11-30T101500Z.bak".into(),
        kept_at: "2026-11-30T10:15:00Z".into(),
        pending: 0,
        renumbered: vec![Renumbering {
            document: comptoir_core::model::DocumentId::new(),
            before: "FA-2026-0007".into(),
            after: "FA-2026-0008".into(),
        }],
        refused: 2,
    }];
    let texts = comptoir::i18n::Texts::new(Language::French);
    let mut commands = Vec::new();
    let mut harness = egui_kittest::Harness::new_ui(|ui| {
        comptoir::kept_copies::kept_copies_ui(ui, &kept, &texts, &mut commands);
    });
    harness.run();
    harness
        .get_by_label_contains("Une copie de l'ancien fichier a été gardée : /données/atelier.2026-11-30T101500Z.bak");
    harness.get_by_label_contains("renvoyées au serveur restauré, qui a donné un autre numéro à un document");
    harness.get_by_label_contains("FA-2026-0007 devient FA-2026-0008");
    harness
        .get_by_label_contains("Le serveur restauré a refusé 2 modifications pourtant acceptées avant la restauration");
    harness.get_by_label("Compris").click();
    harness.run();
    drop(harness);
    assert!(matches!(&commands[..], [Command::ForgetKeptCopy { path }] if *path == kept[0].path));
}

#[test]
fn a_contact_records_its_peppol_id_checked_as_it_is_typed() {
    let server = TestServer::start(200).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &server.url, Arc::new(SystemClock));
    open_company(&mut harness, &server, 1);
    go_to(&mut harness, "Contacts");
    harness.get_by_label("Nouveau contact").click();
    harness.step();
    fill_contact(&mut harness, "Aaa Brasserie Peppol", ("1 Grand-Place", "1000", "Bruxelles"));
    // A wrong check digit is named as it is typed, and the form is refused.
    type_into(&mut harness, "Identifiant Peppol", "0208:0403170702");
    wait_for(&mut harness, "Cet identifiant Peppol n'est pas valide");
    harness.get_by_label("Enregistrer").click();
    harness.step();
    assert!(copy(&harness).search_customers("Aaa Brasserie Peppol", 5).unwrap().is_empty());
    replace_text(&mut harness, "Identifiant Peppol", "0208:0403170701");
    harness.get_by_label("Enregistrer").click();
    wait_until(&mut harness, "the contact saved", |h| {
        !copy(h).search_customers("Aaa Brasserie Peppol", 5).unwrap().is_empty()
    });
    let saved = copy(&harness).search_customers("Aaa Brasserie Peppol", 5).unwrap().remove(0);
    assert_eq!(saved.peppol_id.map(|id| id.to_string()).as_deref(), Some("0208:0403170701"));
}
