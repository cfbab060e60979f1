//! A document's PDF from its detail panel, in the real app against the real server:
//! Aperçu draws the pages of the very file that is saved (off the UI thread), again when
//! the document changes; Enregistrer en PDF… writes the Factur-X of an issued invoice
//! and the plain PDF of a draft; Ouvrir writes a copy in the app's cache and hands it to
//! the desktop's viewer (a recording shell here: no test launches a viewer).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use comptoir::app::ComptoirApp;
use comptoir::screens::detail::Detail;
use comptoir::screens::preview::Preview;
use comptoir_core::model::DocumentId;
use comptoir_tests::contains_bytes;
use comptoir_tests::ui::{copy, go_to, opened, record_desktop, wait_for, wait_until};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};

/// The first invoice of the copy in `status` (with its number when issued).
fn invoice(harness: &Harness<'_, ComptoirApp>, status: &str) -> DocumentId {
    let id: uuid::Uuid = copy(harness)
        .connection()
        .query_row(
            "SELECT id FROM documents WHERE kind = 'invoice' AND status = ?1 \
             AND (number IS NOT NULL OR status = 'draft') ORDER BY rid LIMIT 1",
            [status],
            |r| r.get(0),
        )
        .unwrap();
    DocumentId(id)
}

/// Opens `id`'s detail panel from the invoice list.
fn show(harness: &mut Harness<'_, ComptoirApp>, id: DocumentId) {
    go_to(harness, "Factures");
    harness.state_mut().screens.detail = Some(Detail::document(id));
    wait_for(harness, "Aperçu");
}

/// The open detail's preview.
fn preview<'a>(harness: &'a Harness<'_, ComptoirApp>) -> Option<&'a Preview> {
    harness.state().screens.detail.as_ref()?.files.preview.as_ref()
}

/// Clicks Aperçu and waits until every page is drawn; returns the number of pages.
fn preview_all_pages(harness: &mut Harness<'_, ComptoirApp>) -> usize {
    harness.get_by_label("Aperçu").click();
    wait_until(harness, "every page of the preview", |h| {
        preview(h).is_some_and(|p| p.count.is_some_and(|count| count > 0 && p.drawn() == count) && !p.rendering())
    });
    let preview = preview(harness).unwrap();
    assert_eq!(preview.error, None);
    preview.count.unwrap()
}

/// The pages show as images, with "Page 1 / N" above them.
fn assert_pages_shown(harness: &Harness<'_, ComptoirApp>, count: usize) {
    harness.get_by_label(&format!("Page 1 / {count}"));
    let image = By::new().role(egui::accesskit::Role::Image).label("Page 1 du document");
    assert!(harness.query(image).is_some(), "the first page shows as an image");
}

#[test]
fn an_issued_invoice_previews_saves_as_factur_x_and_opens_in_the_viewer() {
    let (_server, dir, mut harness) = opened(200, 0);
    let shell = record_desktop(&mut harness);
    let id = invoice(&harness, "issued");
    let number = copy(&harness).document(id).unwrap().number.unwrap();
    show(&mut harness, id);

    let count = preview_all_pages(&mut harness);
    assert_pages_shown(&harness, count);
    assert_eq!(preview(&harness).unwrap().drawings, 1);

    // The save button says what an issued invoice is saved as.
    harness.get_by_label("Enregistrer en PDF…").hover();
    wait_for(&mut harness, "enregistré en Factur-X");

    // Saved where the dialog answered, under its number by default: the Factur-X.
    let saved = dir.path().join("choisi.pdf");
    *shell.save_to.lock().unwrap() = Some(saved.clone());
    harness.get_by_label("Enregistrer en PDF…").click();
    wait_for(&mut harness, "Factur-X enregistré");
    assert_eq!(*shell.proposed.lock().unwrap(), vec![format!("{number}.pdf")]);
    let bytes = std::fs::read(&saved).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    assert!(contains_bytes(&bytes, b"factur-x.xml"), "the e-invoice is attached");
    assert!(!dir.path().join("choisi.pdf.part").exists(), "no part file left");

    // Ouvrir: a copy in the cache, handed to the viewer once.
    harness.get_by_label("Ouvrir").click();
    wait_for(&mut harness, "Ouvert dans la visionneuse");
    let opened = shell.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1, "one open: {opened:?}");
    assert!(opened[0].starts_with(dir.path().join("cache").join("pdf")), "{}", opened[0].display());
    assert!(opened[0].extension().is_some_and(|e| e == "pdf"));
    assert!(std::fs::read(&opened[0]).unwrap().starts_with(b"%PDF"));

    // A desktop without a viewer: the reason shows, nothing else opens.
    *shell.refuse_open.lock().unwrap() = Some("xdg-open introuvable".into());
    harness.get_by_label("Ouvrir").click();
    wait_for(&mut harness, "Aucune visionneuse n'a pu ouvrir");
    wait_for(&mut harness, "xdg-open introuvable");
    assert_eq!(shell.opened.lock().unwrap().len(), 1);

    // The data changed but not the invoice: its pages are not drawn again.
    harness.state_mut().screens.data_changed();
    for _ in 0..5 {
        harness.step();
    }
    assert_eq!(preview(&harness).unwrap().drawings, 1);

    // The panel closed: the preview and its textures go with it.
    harness.get_by_label("Fermer le détail").click();
    harness.step();
    harness.step();
    assert!(harness.state().screens.detail.is_none());
    assert!(harness.query_by_label(&format!("Page 1 / {count}")).is_none());
}

#[test]
fn a_draft_previews_saves_as_a_plain_pdf_and_its_preview_follows_its_issue() {
    let (_server, dir, mut harness) = opened(200, 0);
    let shell = record_desktop(&mut harness);
    let id = invoice(&harness, "draft");
    show(&mut harness, id);

    let count = preview_all_pages(&mut harness);
    assert_pages_shown(&harness, count);

    // A draft is no e-invoice: the plain PDF, under its kind and id.
    harness.get_by_label("Enregistrer en PDF…").hover();
    wait_for(&mut harness, "Enregistre le document en PDF.");
    let saved = dir.path().join("brouillon.pdf");
    *shell.save_to.lock().unwrap() = Some(saved.clone());
    harness.get_by_label("Enregistrer en PDF…").click();
    wait_for(&mut harness, "PDF enregistré");
    assert_eq!(*shell.proposed.lock().unwrap(), vec![format!("invoice-{id}.pdf")]);
    let bytes = std::fs::read(&saved).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    assert!(!contains_bytes(&bytes, b"factur-x.xml"), "a draft carries no e-invoice");

    // A cancelled dialog writes nothing and says nothing.
    *shell.save_to.lock().unwrap() = None;
    harness.get_by_label("Enregistrer en PDF…").click();
    for _ in 0..5 {
        harness.step();
    }
    let files = &harness.state().screens.detail.as_ref().unwrap().files;
    assert!(files.outcome.is_none() && !files.busy());
    assert_eq!(shell.proposed.lock().unwrap().len(), 2);

    // Issued from its panel, the invoice gets its number: the open preview draws the
    // new file (its Factur-X) again.
    harness.get_by_label("Émettre").click();
    wait_until(&mut harness, "the invoice's number", |h| copy(h).document(id).unwrap().number.is_some());
    let number = copy(&harness).document(id).unwrap().number.unwrap();
    wait_until(&mut harness, "the preview of the numbered invoice", |h| {
        preview(h).is_some_and(|p| {
            p.shown().is_some_and(|s| s.document.number.as_ref() == Some(&number))
                && !p.rendering()
                && p.count.is_some_and(|c| p.drawn() == c)
        })
    });
    assert!(preview(&harness).unwrap().drawings >= 2, "drawn again");
    wait_for(&mut harness, &format!("Aperçu — Facture {number}"));
    assert_eq!(preview(&harness).unwrap().error, None);
}

#[test]
fn an_invoice_waiting_for_its_number_says_why_it_has_no_pdf_until_the_number_comes() {
    let (mut server, dir, mut harness) = opened(200, 0);
    let shell = record_desktop(&mut harness);
    let id = invoice(&harness, "draft");
    show(&mut harness, id);

    // Issued with the server out of reach: the invoice waits for its number.
    server.stop();
    harness.get_by_label("Émettre").click();
    wait_until(&mut harness, "the invoice issued here", |h| {
        let document = copy(h).document(id).unwrap();
        document.status.is_issued() && document.number.is_none()
    });
    harness.get_by_label("Aperçu").click();
    wait_until(&mut harness, "the preview's refusal", |h| {
        preview(h)
            .is_some_and(|p| !p.rendering() && p.error.as_deref().is_some_and(|e| e.contains("attend son numéro")))
    });
    assert_eq!(preview(&harness).unwrap().drawn(), 0, "no page without a number");

    // Saving says the same, and writes nothing.
    let saved = dir.path().join("sans-numero.pdf");
    *shell.save_to.lock().unwrap() = Some(saved.clone());
    harness.get_by_label("Enregistrer en PDF…").click();
    wait_until(&mut harness, "the save's refusal", |h| {
        let files = &h.state().screens.detail.as_ref().unwrap().files;
        files.outcome.as_ref().is_some_and(|o| o.as_ref().is_err_and(|e| e.contains("attend son numéro")))
    });
    assert!(!saved.exists() && !dir.path().join("sans-numero.pdf.part").exists());

    // The server back, the number comes: the preview shows the numbered invoice.
    server.restart().unwrap();
    harness.state().send(comptoir_core::engine::Command::SyncNow);
    wait_until(&mut harness, "the numbered invoice's pages", |h| {
        preview(h).is_some_and(|p| {
            p.shown().is_some_and(|s| s.document.number.is_some())
                && !p.rendering()
                && p.error.is_none()
                && p.count.is_some_and(|c| c > 0 && p.drawn() == c)
        })
    });
}

#[test]
fn a_long_invoice_shows_each_page_and_the_page_in_view() {
    let (_server, _dir, mut harness) = opened(200, 0);
    // A draft of 90 lines for a customer of the demo, written as the editor saves it.
    let store = copy(&harness);
    let customer = store.contact(store.document(invoice(&harness, "issued")).unwrap().contact_id).unwrap();
    let mut draft = comptoir_tests::fixtures::draft_invoice(&customer, 40);
    let line = draft.lines[0].clone();
    draft.lines = (1..=90)
        .map(|i| comptoir_core::model::DocumentLine { description: format!("Prestation n° {i}"), ..line.clone() })
        .collect();
    let intent = comptoir_core::sync::Intent::SaveDraft { document: draft.clone() };
    harness.state().send(comptoir_core::engine::Command::Edit { request: 50_000, intent: Box::new(intent) });
    wait_until(&mut harness, "the long draft saved", |h| copy(h).document(draft.id).is_ok());
    show(&mut harness, draft.id);

    let count = preview_all_pages(&mut harness);
    assert!(count >= 2, "90 lines take several pages: {count}");
    assert_pages_shown(&harness, count);
    for page in 1..=count {
        let label = format!("Page {page} du document");
        let image = By::new().role(egui::accesskit::Role::Image).label(&label);
        assert!(harness.query(image).is_some(), "page {page} shows as an image");
    }

    // Scrolled down over the pages, the label names the page in view.
    harness.get(By::new().role(egui::accesskit::Role::Image).label("Page 1 du document")).hover();
    harness.step();
    wait_until(&mut harness, &format!("Page {count} / {count}"), |h| {
        comptoir_tests::ui::wheel(h, -400.0);
        h.query_by_label(&format!("Page {count} / {count}")).is_some()
    });
}
