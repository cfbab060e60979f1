//! PDF benchmark: the time to render a 1-page invoice and a 300-line invoice (several
//! pages) with the built-in template, from the model to the PDF's bytes. The first
//! render of a process also builds typst's library and reads the fonts: it is printed
//! apart, then the median of the following runs. Each run renders another invoice (its
//! number and first line differ), as a batch does: typst memoises layouts, and the same
//! document rendered again would mostly be read from its cache (also printed, as
//! "same again"). Prints figures; asserts nothing about time.
//!
//! Targets (issue 14): a 1-page invoice under 50 ms, a 300-line invoice under 500 ms.
//!
//! `COMPTOIR_BENCH_PDF_RUNS=N` changes the number of runs (default 15).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone as _, Utc};
use comptoir_core::demo::demo_company;
use comptoir_core::export::pdf::{self, DocumentPdf};
use comptoir_core::model::{
    Address, ContactId, Country, Currency, Document, DocumentKind, DocumentLanguage, DocumentLine, PartySnapshot,
    VatRate,
};
use rust_decimal::Decimal;

fn invoice(lines: usize, run: usize) -> Result<Document, Box<dyn std::error::Error>> {
    let customer = PartySnapshot {
        name: "Boulangerie Martin SAS".into(),
        address: Address {
            street: "12 rue de la Paix".into(),
            street2: String::new(),
            postcode: "75002".into(),
            city: "Paris".into(),
            country: Country::France,
        },
        vat_number: None,
    };
    let date = NaiveDate::from_ymd_opt(2026, 11, 2).ok_or("date")?;
    let mut document = Document::draft(DocumentKind::Invoice, ContactId::new(), customer, date, Currency::EUR);
    document.due_date = date.checked_add_days(chrono::Days::new(30));
    document.lines = (1..=lines)
        .map(|i| -> Result<DocumentLine, Box<dyn std::error::Error>> {
            Ok(DocumentLine {
                article_id: None,
                description: if i == 1 {
                    format!("Ligne {i} — fourniture et pose, lot {run}")
                } else {
                    format!("Ligne {i} — fourniture et pose")
                },
                quantity: Decimal::from(i % 7 + 1),
                unit: "u".into(),
                unit_price: Decimal::new(1250, 2),
                discount_percent: if i % 5 == 0 { Decimal::TEN } else { Decimal::ZERO },
                vat_rate: VatRate::new(if i % 3 == 0 { Decimal::new(55, 1) } else { Decimal::from(20) })?,
                vat_category: None,
                section: false,
            })
        })
        .collect::<Result<_, _>>()?;
    document.issue(Some(format!("FA-2026-{lines:04}-{run}")))?;
    Ok(document)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::var("COMPTOIR_BENCH_PDF_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15).max(1);
    let seller = demo_company(7, &Country::France);
    let created = Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).single().ok_or("date")?;
    println!("pdf benchmark ({} build): {runs} runs each", if cfg!(debug_assertions) { "debug" } else { "release" });
    for (name, lines) in [("1-page invoice", 8), ("300-line invoice", 300)] {
        let documents = (0..=runs).map(|run| invoice(lines, run)).collect::<Result<Vec<_>, _>>()?;
        let input = |document| DocumentPdf {
            seller: &seller,
            logo: None,
            document,
            corrected_invoice: None,
            language: DocumentLanguage::French,
            buyer_is_business: true,
            paid: Decimal::ZERO,
            created,
        };
        let time = |document| -> Result<(Duration, usize), pdf::PdfError> {
            let started = Instant::now();
            let bytes = pdf::render(&input(document))?;
            Ok((started.elapsed(), bytes.len()))
        };
        let (first, size) = time(&documents[0])?;
        let mut times: Vec<Duration> =
            documents[1..].iter().map(|document| time(document).map(|(t, _)| t)).collect::<Result<_, _>>()?;
        let (again, _) = time(&documents[runs])?;
        times.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "  {name} ({lines} lines, {} KiB): first {:.0} ms, then median {:.1} ms (min {:.1}, max {:.1}); same again {:.1} ms",
            size / 1024,
            ms(first),
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1]),
            ms(again),
        );
    }
    Ok(())
}
