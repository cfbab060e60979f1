//! PDF benchmark: the time to render a 1-page invoice and a 300-line invoice (several
//! pages) with the built-in template, from the model to the PDF's bytes. The first
//! render of a process also builds typst's library and reads the fonts: it is printed
//! apart, then the median of the following runs. Each run renders another invoice (its
//! number and first line differ), as a batch does: typst memoises layouts, and the same
//! document rendered again would mostly be read from its cache (also printed, as
//! "same again"). Prints figures; asserts nothing about time.
//!
//! Then the batch: `comptoir document pdf` and `comptoir document facturx` over a period
//! of 1,000 issued invoices of a company downloaded by `comptoir sync` from a real server,
//! timed from the command's start to its exit (opening the copy, reading every invoice,
//! laying out, writing the files), with the command's peak resident memory read by GNU
//! `time` (`%M`). The 1-page Factur-X (the same layout as PDF/A-3b, the XML attached and
//! the XMP rewritten) is timed in the process as the PDFs are.
//!
//! Targets (issue 14): a 1-page invoice under 50 ms, a 300-line invoice under 500 ms,
//! 1,000 invoices in a batch under 60 s.
//!
//! `COMPTOIR_BENCH_PDF_RUNS=N` changes the number of runs (default 15),
//! `COMPTOIR_BENCH_PDF_BATCH=N` the batch's invoices (default 1,000; 0 skips it).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone as _, Utc};
use comptoir_core::demo::{DemoSize, demo_company};
use comptoir_core::export::einvoice::{self, InvoiceData};
use comptoir_core::export::pdf::{self, DocumentPdf, Relationship};
use comptoir_core::model::{
    Address, ContactId, Country, Currency, Document, DocumentKind, DocumentLanguage, DocumentLine, PartySnapshot,
    VatRate,
};
use comptoir_core::store::{AppStore, CompanyStore};
use comptoir_core::sync::Intent;
use comptoir_tests::{TestServer, process};
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
        let time = |document| -> Result<(Duration, usize), Box<dyn std::error::Error>> {
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
    facturx_one_page(&seller, created, runs)?;
    let batch: u32 = std::env::var("COMPTOIR_BENCH_PDF_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    if batch > 0 {
        batch_from_the_command_line(batch)?;
    }
    Ok(())
}

/// The 1-page invoice as Factur-X: its CII written, the PDF/A-3b laid out with the XML
/// attached, the XMP rewritten.
fn facturx_one_page(
    seller: &comptoir_core::model::Company,
    created: chrono::DateTime<Utc>,
    runs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for run in 0..runs {
        let document = invoice(8, 1_000 + run)?;
        let started = Instant::now();
        let data = InvoiceData { seller, document: &document, corrected_invoice: None, buyer_endpoint: None };
        let xml = einvoice::cii(&data)?;
        let input = DocumentPdf {
            seller,
            logo: None,
            document: &document,
            corrected_invoice: None,
            language: DocumentLanguage::French,
            buyer_is_business: true,
            paid: Decimal::ZERO,
            created,
        };
        size = pdf::render_facturx(&input, None, &xml, Relationship::Data)?.len();
        times.push(started.elapsed());
    }
    times.sort_unstable();
    println!(
        "  1-page Factur-X (CII + PDF/A-3b, {} KiB): median {:.1} ms (min {:.1}, max {:.1})",
        size / 1024,
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
    );
    Ok(())
}

const APP: &str = env!("CARGO_BIN_EXE_comptoir-app");

/// `comptoir document pdf|facturx` over every invoice of a company of `invoices`
/// invoices, downloaded from a real server.
fn batch_from_the_command_line(invoices: u32) -> Result<(), Box<dyn std::error::Error>> {
    let server = TestServer::builder().demo_size(DemoSize::invoices_only(invoices)).start()?;
    let data = tempfile::tempdir()?;
    // The demo's large company (Belgian): its legal form completed first, as the app asks
    // before its invoices leave it.
    let (company, name, _) = server.accounts.companies.get(1).cloned().ok_or("no large demo company")?;
    let mut sync = process::app_sync(APP, &server.url, &server.accounts.email, data.path());
    let synced =
        process::spawn_with_password(sync.args(["--company", &name]), &server.accounts.password)?.wait_with_output()?;
    if !synced.status.success() {
        return Err(format!("comptoir sync: {}", String::from_utf8_lossy(&synced.stderr)).into());
    }
    let path = AppStore::open(&data.path().join(AppStore::FILE_NAME))?.company(company)?.file_path;
    {
        let mut store = CompanyStore::open(&path)?;
        let mut settings = store.company()?;
        settings.legal_form = "SRL".into();
        store.submit(&Intent::UpdateCompany { company: settings })?;
    }
    println!("batch from the command line ({invoices} invoices of the large demo company, one thread per core):");
    for format in ["pdf", "facturx"] {
        let out = data.path().join(format);
        let peak = data.path().join(format!("{format}.peak"));
        let started = Instant::now();
        let output = Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(&peak)
            .arg(APP)
            .args(["document", format, "--company", &name, "--from", "2000-01-01", "--to", "2100-12-31"])
            .arg("--data")
            .arg(data.path())
            .arg("--out")
            .arg(&out)
            .env("RUST_LOG", "warn")
            .output()?;
        let elapsed = started.elapsed();
        if !output.status.success() {
            return Err(format!("comptoir document {format}: {}", String::from_utf8_lossy(&output.stderr)).into());
        }
        let (files, bytes) = folder_size(&out)?;
        let peak = std::fs::read_to_string(&peak)?.trim().parse::<u64>().map_or_else(
            |_| "unknown (GNU time: scripts/system-packages.sh)".to_owned(),
            |kib| format!("{} MiB", kib / 1024),
        );
        println!(
            "  comptoir document {format}: {files} files ({} MiB) in {:.1} s ({:.1} ms per invoice); peak memory {peak}",
            bytes / 1024 / 1024,
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0 / f64::from(u32::try_from(files.max(1))?),
        );
    }
    Ok(())
}

fn folder_size(folder: &Path) -> std::io::Result<(usize, u64)> {
    let mut files = 0;
    let mut bytes = 0;
    for entry in std::fs::read_dir(folder)? {
        files += 1;
        bytes += entry?.metadata()?.len();
    }
    Ok((files, bytes))
}
