//! Preview benchmark: the time from a click on Aperçu to the first page visible, and to
//! every page, in the real app (`ComptoirApp` against the real server on loopback,
//! driven headless with `egui_kittest`), for a 1-page invoice, the demo's longest
//! invoice and a 90-line draft of several pages. Then, apart, what that time is made
//! of: making the file (the Factur-X PDF of an issued invoice, the PDF of a draft) and
//! rasterising its pages, measured outside the window.
//!
//! The first preview of a process also builds typst's library and reads the fonts: it
//! is printed apart, then the spread of the following runs. Frames run 1 ms apart, so a
//! figure holds at most a millisecond of waiting. Prints figures; asserts nothing about
//! time.
//!
//! `COMPTOIR_BENCH_PREVIEW_RUNS=N` changes the number of runs (default 10).

use std::time::{Duration, Instant};

use comptoir::app::ComptoirApp;
use comptoir::pdf_pages::{PREVIEW_SCALE, PageEvent, document_pdf, page_images};
use comptoir::screens::detail::Detail;
use comptoir_core::export::sources::DocumentSources;
use comptoir_core::model::DocumentId;
use comptoir_tests::ui::{copy, go_to, opened, step_until, wait_for};
use comptoir_tests::{ms, spread};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

const PATIENCE: Duration = Duration::from_mins(1);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize =
        std::env::var("COMPTOIR_BENCH_PREVIEW_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10).max(1);
    println!(
        "preview benchmark ({} build): {runs} runs each",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    let (_server, _dir, mut harness) = opened(500, 0);
    let store = copy(&harness);
    // Issued invoices with their number, fewest lines first, then most.
    let query = |order: &str| -> Result<(DocumentId, u32), rusqlite::Error> {
        store.connection().query_row(
            &format!(
                "SELECT d.id, COUNT(l.document_id) AS n FROM documents d JOIN document_lines l ON l.document_id = d.id \
                 WHERE d.kind = 'invoice' AND d.status <> 'draft' AND d.number IS NOT NULL \
                 GROUP BY d.id ORDER BY n {order}, d.rid LIMIT 1"
            ),
            [],
            |r| Ok((DocumentId(r.get(0)?), r.get(1)?)),
        )
    };
    let long = long_draft(&mut harness, &store, query("ASC")?.0)?;
    let cases = [
        ("1-page invoice", query("ASC")?),
        ("the demo's longest invoice", query("DESC")?),
        ("a 90-line draft", (long, 90)),
    ];
    go_to(&mut harness, "Factures");
    for (name, (id, lines)) in cases {
        let (first, pages) = click_to_pages(&mut harness, id)?;
        let mut to_first = Vec::with_capacity(runs);
        let mut to_all = Vec::with_capacity(runs);
        for _ in 0..runs {
            let ((first, all), _) = click_to_pages(&mut harness, id)?;
            to_first.push(first);
            to_all.push(all);
        }
        println!(
            "  {name} ({lines} lines, {pages} page(s)): the very first preview {:.0} ms to its first page; \
             then click to first page {}; click to every page {}",
            ms(first.0),
            spread(to_first),
            spread(to_all),
        );
        parts(&store, id, runs)?;
    }
    Ok(())
}

/// A draft of 90 lines (several pages) for the customer of `customer_of`, saved as the
/// editor saves it.
fn long_draft(
    harness: &mut Harness<'_, ComptoirApp>,
    store: &comptoir_core::store::CompanyStore,
    customer_of: DocumentId,
) -> Result<DocumentId, Box<dyn std::error::Error>> {
    let customer = store.contact(store.document(customer_of)?.contact_id)?;
    let mut draft = comptoir_tests::fixtures::draft_invoice(&customer, 40);
    let line = draft.lines.first().cloned().ok_or("a fixture line")?;
    draft.lines = (1..=90)
        .map(|i| comptoir_core::model::DocumentLine { description: format!("Prestation n° {i}"), ..line.clone() })
        .collect();
    let intent = comptoir_core::sync::Intent::SaveDraft { document: draft.clone() };
    harness.state().send(comptoir_core::engine::Command::Edit { request: 50_000, intent: Box::new(intent) });
    let saved = step_until(harness, PATIENCE, Duration::from_millis(10), |_| store.document(draft.id).is_ok());
    if saved { Ok(draft.id) } else { Err("the long draft was never saved".into()) }
}

/// Opens `id`'s panel, clicks Aperçu and runs frames until the first page shows, then
/// until every page does; returns both times from the click (and the first run's
/// number of pages with them).
#[allow(clippy::type_complexity, reason = "two times and a count, read at once")]
fn click_to_pages(
    harness: &mut Harness<'_, ComptoirApp>,
    id: DocumentId,
) -> Result<((Duration, Duration), usize), Box<dyn std::error::Error>> {
    harness.state_mut().screens.detail = Some(Detail::document(id));
    wait_for(harness, "Aperçu");
    let clicked = Instant::now();
    harness.get_by_label("Aperçu").click();
    let drawn = |h: &Harness<'_, ComptoirApp>| {
        h.state().screens.detail.as_ref().and_then(|d| d.files.preview.as_ref()).map(|p| (p.drawn(), p.count))
    };
    let first_shown = step_until(harness, PATIENCE, Duration::from_millis(1), |h| {
        drawn(h).is_some_and(|(drawn, _)| drawn > 0) && h.query_by_label("Page 1 du document").is_some()
    });
    let first = clicked.elapsed();
    let all_shown = step_until(harness, PATIENCE, Duration::from_millis(1), |h| {
        drawn(h).is_some_and(|(drawn, count)| count == Some(drawn))
    });
    let all = clicked.elapsed();
    if !(first_shown && all_shown) {
        return Err("the preview's pages never showed".into());
    }
    let pages = drawn(harness).and_then(|(_, count)| count).unwrap_or_default();
    harness.state_mut().screens.detail = None;
    harness.step();
    Ok(((first, all), pages))
}

/// The preview's two parts, outside the window: the file made, its pages rasterised.
fn parts(
    store: &comptoir_core::store::CompanyStore,
    id: DocumentId,
    runs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let sources = DocumentSources::load(store, id)?;
    let mut made = Vec::with_capacity(runs);
    let mut drawn = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let pdf = document_pdf(&sources, None, chrono::Utc::now())?;
        made.push(started.elapsed());
        size = pdf.len();
        let started = Instant::now();
        let mut pages: u32 = 0;
        page_images(pdf, PREVIEW_SCALE, |event| {
            if matches!(event, PageEvent::Page { .. }) {
                pages += 1;
            }
            true
        })?;
        drawn.push(started.elapsed() / pages.max(1));
    }
    println!("    its file ({} KiB): made {}; each page rasterised {}", size / 1024, spread(made), spread(drawn));
    Ok(())
}
