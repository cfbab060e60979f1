//! The PDFs of documents, checked from outside with the real tools: the text
//! `pdftotext` extracts holds every mention the case requires, `pdffonts` shows every
//! font embedded, `pdftoppm` renders the page whose EPC payment QR code `rqrr` decodes.
//! Cases: a French invoice (several rates, discounts, a logo), a Belgian invoice in
//! Dutch with a structured communication, a credit note, an exempt micro-entrepreneur,
//! an intra-EU reverse charge in English, a draft, and a 300-line invoice over several
//! pages (header on each, totals with the last lines).
//!
//! `COMPTOIR_PDF_SAMPLES=<dir>` keeps the rendered PDFs there, to look at them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test: a panic is the failure report")]

mod documents;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use comptoir_core::demo::demo_company;
use comptoir_core::export::einvoice::InvoiceReference;
use comptoir_core::export::pdf::{self, DocumentPdf, PdfError};
use comptoir_core::model::{
    Company, ContactId, Country, Currency, Document, DocumentKind, DocumentLanguage, DocumentLine, Logo, PartySnapshot,
    StructuredCommunication, VatCategory,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use documents::{address, categorised, customer, date, line};

fn french_seller() -> Company {
    demo_company(7, &Country::France)
}

fn belgian_seller() -> Company {
    let mut company = demo_company(7, &Country::Belgium);
    company.legal_form = "SRL".into();
    company.register_city = "Bruxelles".into();
    company.late_penalty_rate = Some(dec!(8));
    company
}

fn draft(kind: DocumentKind, buyer: PartySnapshot, lines: Vec<DocumentLine>) -> Document {
    let mut document = Document::draft(kind, ContactId::new(), buyer, date(2026, 11, 2), Currency::EUR);
    document.lines = lines;
    document.due_date = Some(date(2026, 12, 2));
    document.delivery_date = Some(date(2026, 10, 30));
    document
}

fn issued(mut document: Document, number: &str) -> Document {
    document.issue(Some(number.into())).unwrap();
    document
}

/// A 240 × 80 logo: a blue band with a darker square, as a PNG.
fn logo() -> Logo {
    let picture = image::RgbaImage::from_fn(240, 80, |x, y| {
        if (10..70).contains(&x) && (10..70).contains(&y) {
            image::Rgba([20, 50, 110, 255])
        } else {
            image::Rgba([80, 140, 200, 255])
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut png, image::ImageFormat::Png).unwrap();
    Logo::from_png(png.into_inner()).unwrap()
}

fn input<'a>(seller: &'a Company, document: &'a Document, language: DocumentLanguage) -> DocumentPdf<'a> {
    DocumentPdf {
        seller,
        logo: None,
        document,
        corrected_invoice: None,
        language,
        buyer_is_business: true,
        paid: Decimal::ZERO,
        created: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
    }
}

/// A rendered PDF on disk, read with poppler's tools.
struct Rendered {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Rendered {
    fn new(name: &str, bytes: &[u8]) -> Self {
        assert!(bytes.starts_with(b"%PDF-"), "{name}: not a PDF");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&path, bytes).unwrap();
        if let Some(samples) = std::env::var_os("COMPTOIR_PDF_SAMPLES") {
            std::fs::create_dir_all(&samples).unwrap();
            std::fs::write(Path::new(&samples).join(format!("{name}.pdf")), bytes).unwrap();
        }
        Self { _dir: dir, path }
    }

    fn tool(&self, program: &str, args: &[&str]) -> String {
        let output = Command::new(program)
            .args(args)
            .arg(&self.path)
            .args(if program == "pdftotext" { &["-"][..] } else { &[][..] })
            .output()
            .unwrap_or_else(|e| panic!("{program} (poppler-utils, scripts/system-packages.sh): {e}"));
        assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// The text of every page (or of page `page`), no-break spaces as spaces and each
    /// run of spaces as one, so that mentions read as typed.
    fn text(&self, page: Option<usize>) -> String {
        let page = page.map(|p| p.to_string());
        let args: Vec<&str> = match &page {
            Some(p) => vec!["-layout", "-f", p, "-l", p],
            None => vec!["-layout"],
        };
        let raw = self.tool("pdftotext", &args).replace('\u{a0}', " ");
        raw.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n")
    }

    /// The text of page `page` in content order, lines joined: a watermark drawn
    /// rotated comes out letter by letter.
    fn raw_text(&self, page: usize) -> String {
        let page = page.to_string();
        self.tool("pdftotext", &["-raw", "-f", &page, "-l", &page]).replace('\n', "")
    }

    fn pages(&self) -> usize {
        let info = self.tool("pdfinfo", &[]);
        info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
    }

    /// `pdffonts`: every font is embedded (and there is at least one).
    fn assert_fonts_embedded(&self) {
        let fonts = self.tool("pdffonts", &[]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "no font: {fonts}");
        for row in rows {
            let columns: Vec<&str> = row.split_whitespace().collect();
            // name type [type2] encoding emb sub uni object ID: `emb` is the 5th from the end.
            assert_eq!(columns[columns.len() - 5], "yes", "a font not embedded: {row}");
            assert!(row.contains("DejaVuSans"), "an unexpected font: {row}");
        }
    }

    /// The EPC QR codes found on page `page` rendered at 300 dpi.
    fn qr_codes(&self, page: usize) -> Vec<String> {
        let prefix = self.path.with_extension("");
        let page = page.to_string();
        let status = Command::new("pdftoppm")
            .args(["-r", "300", "-png", "-gray", "-singlefile", "-f", &page, "-l", &page])
            .arg(&self.path)
            .arg(&prefix)
            .status()
            .unwrap();
        assert!(status.success());
        let picture = image::open(prefix.with_extension("png")).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(picture);
        prepared.detect_grids().into_iter().map(|grid| grid.decode().unwrap().1).collect()
    }
}

fn assert_contains_all(text: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected.iter().filter(|e| !text.contains(**e)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in:\n{text}");
}

fn french_invoice() -> Document {
    let bakery =
        customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), Some("FR40303265045"));
    let mut document = draft(
        DocumentKind::Invoice,
        bakery,
        vec![
            line("Conception de l'éclairage — salle & vitrine", dec!(3), "jour", dec!(480), dec!(15), dec!(20)),
            DocumentLine { section: true, ..line("Lot 2 — Fournitures", dec!(0), "", dec!(0), dec!(0), dec!(20)) },
            line("Suspension laiton \"Opale\" #[strong] $x$ <b>", dec!(4), "pièce", dec!(189.90), dec!(5), dec!(20)),
            line("Installation (travaux d'amélioration)", dec!(6.5), "h", dec!(52.125), dec!(0), dec!(10)),
            line("Livre : Lumière et matière", dec!(2), "", dec!(29.99), dec!(10), dec!(5.5)),
        ],
    );
    document.customer_reference = Some("BC-2026-118".into());
    document.notes = "Merci de votre confiance.".into();
    issued(document, "FA-2026-0142")
}

#[test]
fn a_french_invoice_has_every_mention_the_law_requires() {
    let seller = french_seller();
    let document = french_invoice();
    let logo = logo();
    let totals = document.totals().unwrap();
    let bytes =
        pdf::render(&DocumentPdf { logo: Some(&logo), ..input(&seller, &document, DocumentLanguage::French) }).unwrap();
    let pdf = Rendered::new("fr-invoice", &bytes);
    pdf.assert_fonts_embedded();
    assert_eq!(pdf.pages(), 1);
    let text = pdf.text(None);
    let siren = seller.national_id.as_ref().unwrap().as_str().to_owned();
    let seller_vat = format!("N° TVA {}", seller.vat_number.as_ref().unwrap().as_str());
    assert_contains_all(
        &text,
        &[
            "Facture",
            "Numéro FA-2026-0142",
            "Date 02/11/2026",
            "Échéance 02/12/2026",
            "Date de livraison 30/10/2026",
            "Votre référence BC-2026-118",
            "Atelier Lumière SARL",
            "12 quai de Saône",
            "69005 Lyon",
            &format!("SIREN {siren}"),
            &seller_vat,
            "SARL au capital de 10 000,00 €",
            "RCS Lyon",
            "Boulangerie Martin SAS",
            "75002 Paris",
            "N° TVA FR40303265045",
            // The lines table: every column, a discount, a rate, a section title.
            "Désignation Qté Unité P.U. HT Remise TVA Total HT",
            "Conception de l'éclairage — salle & vitrine 3 jour 480,00 € 15 % 20 % 1 224,00 €",
            "Lot 2 — Fournitures",
            // Typst markup in a description is printed as typed.
            "Suspension laiton \"Opale\" #[strong] $x$ <b> 4 pièce 189,90 €",
            "721,62 €",
            "Installation (travaux d'amélioration) 6,5 h 52,125 € 10 % 338,81 €",
            // Totals: the model's, per rate.
            "Total HT 2 338,41 €",
            "TVA 5,5 % (base 53,98 €) 2,97 €",
            "TVA 10 % (base 338,81 €) 33,88 €",
            "TVA 20 % (base 1 945,62 €) 389,12 €",
            "Total TTC 2 764,38 €",
            "Net à payer 2 764,38 €",
            // Payment and the late-payment mentions of L441-9.
            "Paiement au plus tard le 02/12/2026",
            "IBAN FR76 3000 6000 0112 3456 7890 189",
            "BIC AGRIFRPP",
            "Référence à indiquer FA-2026-0142",
            "Pénalités de retard : taux annuel de 12,15 %",
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €",
            "Pas d'escompte pour paiement anticipé",
            "Merci de votre confiance.",
            "Page 1 / 1",
        ],
    );
    assert_eq!(totals.gross, dec!(2764.38), "the figures above are the model's");
    assert!(!text.contains("BROUILLON"));
    let codes = pdf.qr_codes(1);
    assert_eq!(codes.len(), 1, "one payment QR code");
    let fields: Vec<&str> = codes[0].split('\n').collect();
    assert_eq!(&fields[..4], ["BCD", "002", "1", "SCT"]);
    assert_eq!(fields[4], "AGRIFRPP");
    assert_eq!(fields[5], "Atelier Lumière SARL");
    assert_eq!(fields[6], "FR7630006000011234567890189");
    assert_eq!(fields[7], "EUR2764.38");
    assert_eq!((fields[9], fields[10]), ("", "FA-2026-0142"), "the number as unstructured remittance");

    // A private customer owes no recovery indemnity; what was paid comes off the amount due.
    let private = pdf::render(&DocumentPdf {
        buyer_is_business: false,
        paid: dec!(764.38),
        ..input(&seller, &document, DocumentLanguage::French)
    })
    .unwrap();
    let private = Rendered::new("fr-invoice-private", &private);
    let text = private.text(None);
    assert!(!text.contains("Indemnité forfaitaire"), "{text}");
    assert_contains_all(&text, &["Déjà réglé -764,38 €", "Net à payer 2 000,00 €"]);
    assert!(private.qr_codes(1)[0].contains("\nEUR2000.00\n"), "the QR code asks for the amount due");

    // A company that grants an early-payment discount prints its terms instead.
    let generous = Company { early_payment_discount: "2 % pour un paiement sous 10 jours".into(), ..seller.clone() };
    let text = Rendered::new(
        "fr-invoice-discount",
        &pdf::render(&input(&generous, &document, DocumentLanguage::French)).unwrap(),
    )
    .text(None);
    assert!(text.contains("Escompte pour paiement anticipé : 2 % pour un paiement sous 10 jours"), "{text}");
    assert!(!text.contains("Pas d'escompte"), "{text}");
}

#[test]
fn a_belgian_invoice_in_dutch_carries_the_structured_communication() {
    let seller = belgian_seller();
    let buyer = customer(
        "Brasserie De Koninck",
        address("Mechelsesteenweg 291", "2018", "Antwerpen", "BE"),
        Some("BE0403170701"),
    );
    let mut document = draft(
        DocumentKind::Invoice,
        buyer,
        vec![
            line("Grafisch ontwerp etiketten", dec!(12), "u", dec!(85), dec!(0), dec!(21)),
            line("Drukwerk (1000 stuks)", dec!(1), "", dec!(1250.50), dec!(10), dec!(6)),
        ],
    );
    let communication = StructuredCommunication::from_base(2_026_001_420).unwrap();
    document.structured_communication = Some(communication);
    let document = issued(document, "2026-0142");
    let bytes = pdf::render(&input(&seller, &document, DocumentLanguage::Dutch)).unwrap();
    let pdf = Rendered::new("be-invoice-nl", &bytes);
    pdf.assert_fonts_embedded();
    let text = pdf.text(None);
    let national = seller.national_id.as_ref().unwrap().as_str();
    let enterprise = format!("{}.{}.{}", &national[..4], &national[4..7], &national[7..]);
    assert_contains_all(
        &text,
        &[
            "Factuur",
            "Nummer 2026-0142",
            "Datum 02-11-2026",
            "Vervaldatum 02-12-2026",
            "Studio Brabant SRL",
            "SRL",
            "RPR Bruxelles",
            &format!("Ondernemingsnummer (KBO) {enterprise}"),
            &format!("Btw-nr. {}", seller.vat_number.as_ref().unwrap().as_str()),
            "Btw-nr. BE0403170701",
            "Omschrijving Aantal Eenheid Eenheidsprijs excl. btw Korting Btw Totaal excl. btw",
            "Grafisch ontwerp etiketten 12 u € 85,00 21% € 1.020,00",
            "Drukwerk (1000 stuks) 1 € 1.250,50 10% 6% € 1.125,45",
            "Totaal excl. btw € 2.145,45",
            "Btw 6% (op € 1.125,45) € 67,53",
            "Btw 21% (op € 1.020,00) € 214,20",
            "Totaal incl. btw € 2.427,18",
            "Te betalen € 2.427,18",
            "IBAN BE68 5390 0754 7034",
            "BIC GEBABEBB",
            &format!("Gestructureerde mededeling {communication}"),
            "Verwijlintresten: jaarlijkse rentevoet van 8%",
            "Forfaitaire vergoeding voor invorderingskosten bij laattijdige betaling: € 40",
            "Pagina 1 / 1",
        ],
    );
    let codes = pdf.qr_codes(1);
    assert_eq!(codes.len(), 1);
    let fields: Vec<&str> = codes[0].split('\n').collect();
    assert_eq!(fields[6], "BE68539007547034");
    assert_eq!(fields[7], "EUR2427.18");
    assert_eq!(fields[9], communication.digits(), "the structured communication in the structured field");
    assert_eq!(fields[10], "");
}

#[test]
fn a_credit_note_names_the_invoice_it_corrects_and_asks_no_payment() {
    let seller = french_seller();
    let invoice = french_invoice();
    let mut credit = Document::credit_note_for(&invoice, date(2026, 11, 20)).unwrap();
    credit.lines.retain(|l| !l.section);
    credit.lines.truncate(2);
    let credit = issued(credit, "AV-2026-0007");
    let corrected = InvoiceReference { number: "FA-2026-0142".into(), issue_date: invoice.issue_date };
    let base = input(&seller, &credit, DocumentLanguage::French);
    assert_eq!(pdf::render(&base).unwrap_err(), PdfError::CorrectedInvoiceMissing);
    let bytes = pdf::render(&DocumentPdf { corrected_invoice: Some(&corrected), ..base }).unwrap();
    let pdf = Rendered::new("fr-credit-note", &bytes);
    pdf.assert_fonts_embedded();
    let text = pdf.text(None);
    let gross = credit.totals().unwrap().gross;
    assert_eq!(gross, dec!(2334.74));
    assert_contains_all(
        &text,
        &[
            "Avoir",
            "Numéro AV-2026-0007",
            "Date 20/11/2026",
            "Avoir sur la facture FA-2026-0142 du 02/11/2026",
            "Total TTC 2 334,74 €",
            "Montant de l'avoir 2 334,74 €",
        ],
    );
    for absent in ["Net à payer", "IBAN", "Pénalités", "Échéance"] {
        assert!(!text.contains(absent), "{absent} on a credit note:\n{text}");
    }
    assert!(pdf.qr_codes(1).is_empty(), "no payment QR code on a credit note");
}

#[test]
fn exemptions_and_reverse_charge_print_their_mentions() {
    let mut micro = french_seller();
    micro.legal_name = "Claire Moreau, graphiste".into();
    micro.legal_form = "EI".into();
    micro.share_capital = None;
    micro.register_city = String::new();
    micro.vat_number = None;
    micro.vat_exempt = true;
    let bakery = customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), None);
    let mut document = draft(
        DocumentKind::Invoice,
        bakery,
        vec![categorised(
            line("Création d'affiches", dec!(3), "pièce", dec!(150), dec!(0), dec!(0)),
            VatCategory::Exempt,
        )],
    );
    document.vat_exemption_reason = Some("TVA non applicable, art. 293 B du CGI".into());
    let document = issued(document, "2026-031");
    let text = Rendered::new("fr-micro", &pdf::render(&input(&micro, &document, DocumentLanguage::French)).unwrap())
        .text(None);
    assert_contains_all(&text, &["TVA non applicable, art. 293 B du CGI", "Total TTC 450,00 €", "EI"]);
    assert!(!text.contains("N° TVA"), "no VAT number to print:\n{text}");

    // An intra-EU service under reverse charge, in English: both VAT numbers.
    let seller = french_seller();
    let berlin = customer("Lichtwerk GmbH", address("Torstraße 12", "10119", "Berlin", "DE"), Some("DE136695976"));
    let document = issued(
        draft(
            DocumentKind::Invoice,
            berlin,
            vec![categorised(
                line("Lighting design consultancy", dec!(2), "day", dec!(600), dec!(0), dec!(0)),
                VatCategory::ReverseCharge,
            )],
        ),
        "FA-2026-0150",
    );
    let text = Rendered::new(
        "fr-reverse-charge-en",
        &pdf::render(&input(&seller, &document, DocumentLanguage::English)).unwrap(),
    )
    .text(None);
    let seller_vat = seller.vat_number.as_ref().unwrap().as_str().to_owned();
    assert_contains_all(
        &text,
        &[
            "Invoice",
            "Number FA-2026-0150",
            "Date 2 November 2026",
            "Autoliquidation",
            &format!("Seller's VAT no.: {seller_vat} — Customer's VAT no.: DE136695976"),
            "Total excl. VAT €1,200.00",
            "VAT 0% (on €1,200.00) €0.00",
            "Amount due €1,200.00",
            "Late-payment penalties: yearly rate of 12.15%",
            "Fixed compensation for recovery costs in case of late payment: €40",
            "No discount for early payment",
            "10119 Berlin\nGERMANY",
        ],
    );
}

#[test]
fn a_draft_says_so_on_every_page_and_has_no_number() {
    let seller = french_seller();
    let buyer = customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), None);
    let lines = (1..=120).map(|i| line(&format!("Article {i}"), dec!(1), "u", dec!(10), dec!(0), dec!(20))).collect();
    let mut document = draft(DocumentKind::Invoice, buyer, lines);
    // Even a number left on a draft (it never has one) is not printed.
    document.number = Some("FA-9999".into());
    let pdf = Rendered::new("fr-draft", &pdf::render(&input(&seller, &document, DocumentLanguage::French)).unwrap());
    let pages = pdf.pages();
    assert!(pages >= 2, "{pages} pages");
    for page in 1..=pages {
        assert!(pdf.raw_text(page).contains("BROUILLON"), "page {page}");
        let text = pdf.text(Some(page));
        assert!(!text.contains("FA-9999") && !text.contains("Numéro"), "page {page}:\n{text}");
    }
    assert!(pdf.qr_codes(pages).is_empty(), "a draft is not paid");
    // A quote and a delivery note in draft too.
    for kind in [DocumentKind::Quote, DocumentKind::DeliveryNote] {
        let mut other = document.clone();
        other.kind = kind;
        let other = Rendered::new("other", &pdf::render(&input(&seller, &other, DocumentLanguage::English)).unwrap());
        assert!(other.raw_text(1).contains("DRAFT"));
    }
}

#[test]
fn three_hundred_lines_break_over_pages_with_the_header_and_the_totals_kept_with_lines() {
    let seller = french_seller();
    let buyer =
        customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), Some("FR40303265045"));
    let lines = (1..=300)
        .map(|i| {
            let rate = if i % 3 == 0 { dec!(5.5) } else { dec!(20) };
            line(&format!("Ligne {i:03} — fourniture"), Decimal::from(i % 7 + 1), "u", dec!(12.5), dec!(0), rate)
        })
        .collect();
    let document = issued(draft(DocumentKind::Invoice, buyer, lines), "FA-2026-0300");
    let bytes = pdf::render(&input(&seller, &document, DocumentLanguage::French)).unwrap();
    let pdf = Rendered::new("fr-300-lines", &bytes);
    pdf.assert_fonts_embedded();
    let pages = pdf.pages();
    assert!(pages >= 5, "{pages} pages");
    let mut seen = 0;
    for page in 1..=pages {
        let text = pdf.text(Some(page));
        assert!(
            text.contains("Désignation Qté Unité P.U. HT Remise TVA Total HT"),
            "no header on page {page}:\n{text}"
        );
        assert!(text.contains(&format!("Page {page} / {pages}")), "page {page}:\n{text}");
        let on_page = (1..=300).filter(|i| text.contains(&format!("Ligne {i:03} "))).count();
        seen += on_page;
        if page < pages {
            assert!(!text.contains("Total TTC"), "totals before the last page ({page}):\n{text}");
            assert!(on_page > 0, "page {page} without lines");
        } else {
            assert!(text.contains("Total TTC"), "{text}");
            assert!(text.contains("Ligne 300 "), "the last line with the totals:\n{text}");
        }
    }
    assert_eq!(seen, 300, "every line printed once");
    let totals = document.totals().unwrap();
    let gross = pdf::Formatter::new(DocumentLanguage::French).money(totals.gross, Currency::EUR).replace('\u{a0}', " ");
    assert!(pdf.text(Some(pages)).contains(&format!("Total TTC {gross}")));
}

#[test]
fn the_output_is_deterministic_and_bad_input_is_refused() {
    let seller = french_seller();
    let document = french_invoice();
    let base = input(&seller, &document, DocumentLanguage::French);
    assert_eq!(pdf::render(&base).unwrap(), pdf::render(&base).unwrap(), "same input, same bytes");

    let mut pending = document.clone();
    pending.number = None;
    assert_eq!(pdf::render(&input(&seller, &pending, DocumentLanguage::French)).unwrap_err(), PdfError::NumberPending);

    let mut incomplete = seller.clone();
    incomplete.late_penalty_rate = None;
    assert_eq!(
        pdf::render(&input(&incomplete, &document, DocumentLanguage::French)).unwrap_err(),
        PdfError::SellerIncomplete(vec!["late_penalty_rate"])
    );

    let broken = "#let data = json(\"/data.json\")\n\n#data.no_such_field\n";
    let err = pdf::render_with_template(&base, Some(broken)).unwrap_err();
    assert!(matches!(&err, PdfError::Template(message) if message.starts_with("line 3: ")), "{err}");
}

/// Whatever the number of lines, the totals are on one page, after at least one line
/// (around the first page break, where a totals block alone would land).
#[test]
fn the_totals_never_stand_alone_whatever_the_line_count() {
    let seller = french_seller();
    let buyer = customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), None);
    let mut breaks = 0;
    for count in 26..=44 {
        let lines =
            (1..=count).map(|i| line(&format!("Ligne {i:03}"), dec!(1), "u", dec!(10), dec!(0), dec!(20))).collect();
        let document = issued(draft(DocumentKind::Invoice, buyer.clone(), lines), "FA-2026-0001");
        let pdf = Rendered::new("sweep", &pdf::render(&input(&seller, &document, DocumentLanguage::French)).unwrap());
        let pages = pdf.pages();
        breaks += usize::from(pages > 1);
        let texts: Vec<String> = (1..=pages).map(|page| pdf.text(Some(page))).collect();
        // The table's header says "Total HT" too: the totals' own line starts with it.
        let has_totals = |text: &str| text.lines().any(|l| l.starts_with("Total HT ") || l.starts_with("Total TTC "));
        let with_totals: Vec<usize> = (1..=pages).filter(|page| has_totals(&texts[page - 1])).collect();
        assert_eq!(with_totals.len(), 1, "{count} lines: totals on pages {with_totals:?}");
        let totals_page = &texts[with_totals[0] - 1];
        assert!(totals_page.lines().any(|l| l.starts_with("Total HT ")), "{count} lines:\n{totals_page}");
        assert_contains_all(totals_page, &["TVA 20 %", "Total TTC", "Net à payer", &format!("Ligne {count:03}")]);
    }
    assert!(breaks > 0, "the sweep crosses a page break");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

    /// Whatever a customer's name, a line or the notes hold (control characters, scripts
    /// the fonts lack, typst markup), the PDF and the Factur-X PDF/A are made, and what
    /// the fonts can print is printed as typed.
    #[test]
    fn any_text_is_printed_or_replaced_never_refused(
        name in "\\PC{1,40}",
        description in "(\\PC|[\\x00-\\x1f\\u{7f}\\u{200b}\\u{1F600}\\u{4E2D}\\u{E86}#$\\[\\]])*",
        notes in "\\PC{0,60}",
    ) {
        let seller = french_seller();
        let buyer = customer(&name, address("1 rue Haute", "75001", "Paris", "FR"), None);
        let mut document = draft(
            DocumentKind::Invoice,
            buyer,
            vec![
                line(&format!("Ligne {description}"), dec!(1), "u", dec!(10), dec!(0), dec!(20)),
                line("Conseil — Überprüfung", dec!(2), "h", dec!(80), dec!(0), dec!(20)),
            ],
        );
        document.notes = notes;
        let document = issued(document, "FA-2026-0009");
        let base = input(&seller, &document, DocumentLanguage::French);
        let plain = pdf::render(&base).unwrap();
        let xml = comptoir_core::export::einvoice::cii(&comptoir_core::export::einvoice::InvoiceData {
            seller: &seller,
            document: &document,
            corrected_invoice: None,
            buyer_endpoint: None,
        })
        .unwrap();
        let facturx = pdf::render_facturx(&base, None, &xml, pdf::Relationship::Data).unwrap();
        proptest::prop_assert!(facturx.len() > plain.len());
        let text = Rendered::new("any_text", &plain).text(None);
        proptest::prop_assert!(text.contains("Conseil — Überprüfung"), "{}", text);
    }
}
