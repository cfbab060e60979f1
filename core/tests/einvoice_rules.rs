//! The e-invoices Comptoir writes, checked by the official rules rather than by our own
//! reading: six cases (a multi-rate French invoice with discounts, a Belgian invoice
//! with a structured communication, a credit note, an intra-EU reverse charge, an
//! exempt micro-entrepreneur, an export outside the EU), and two more for the remaining
//! VAT categories (an intra-EU supply of goods, a supply outside the scope of VAT), each
//! written as Factur-X CII and as UBL, then run through Saxon by
//! `scripts/einvoice_check.py`:
//!
//! - CII: the Factur-X EN 16931 XSD and EN 16931 schematron, and the French CTC rules
//!   (BR-FR) for French sellers;
//! - UBL for Peppol: the EN 16931 UBL schematron and the Peppol BIS Billing 3.0
//!   schematron (from `../shared/einvoice` beside the repository; when absent the check
//!   says loudly that it was skipped and the others still run);
//! - UBL for the French CTC, for French sellers: the EN 16931 UBL schematron and BR-FR
//!   (Peppol and BR-FR disagree on BT-23 and on the number of notes: see `UblProfile`).
//!
//! The named cases are also rendered as Factur-X PDFs (PDF/A-3b, `factur-x.xml`
//! attached) and their UBL embeds that PDF (BT-125): the `factur-x` package extracts
//! the XML, which must equal the XML written, and reads the XMP; `qpdf` checks the file
//! and shows its structure (the PDF/A identification, the `OutputIntent`, the `/AF`
//! attachment with its relationship, the embedded-files name tree); `pdffonts` shows
//! every font embedded.
//!
//! No fatal or error finding is allowed. The Python environment comes from
//! `scripts/einvoice-venv.sh` (test.sh sources it); `COMPTOIR_EINVOICE_PYTHON` names its
//! python.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test: a panic is the failure report")]

mod documents;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone as _, Utc};
use comptoir_core::demo::{Rng, demo_company};
use comptoir_core::export::einvoice::{
    self, EinvoiceError, ElectronicAddress, InvoiceData, InvoiceReference, UblProfile,
};
use comptoir_core::export::pdf::{self, DocumentPdf, Relationship};
use comptoir_core::model::identifiers::luhn_check_digit;
use comptoir_core::model::{
    Company, ContactId, Country, Currency, Document, DocumentKind, DocumentLanguage, DocumentLine, NationalId,
    PartySnapshot, StructuredCommunication, VatCategory, VatRate,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use documents::{address, categorised, customer, date, line};

/// The French demo company, with a SIRET (its SIREN and a first establishment) so that
/// its Peppol id is 0009 + SIRET.
fn french_seller() -> Company {
    let mut company = demo_company(7, &Country::France);
    let base = format!("{}0001", company.national_id.as_ref().unwrap());
    let establishment = format!("{base}{}", luhn_check_digit(&base));
    company.national_id = Some(NationalId::parse("FR", &establishment).unwrap());
    company.validate().unwrap();
    company
}

/// The Belgian demo company, with its legal form filled in (the demo leaves it empty).
fn belgian_seller() -> Company {
    let mut company = demo_company(7, &Country::Belgium);
    company.legal_form = "SRL".into();
    company.validate().unwrap();
    company
}

/// A French micro-entrepreneur under the franchise en base: no VAT number.
fn micro_entrepreneur() -> Company {
    let mut company = french_seller();
    company.legal_name = "Claire Moreau, graphiste".into();
    company.legal_form = "EI".into();
    company.share_capital = None;
    company.register_city = String::new();
    company.vat_number = None;
    company.vat_exempt = true;
    company.validate().unwrap();
    assert!(company.missing_for_invoices().is_empty());
    company
}

fn issued(kind: DocumentKind, buyer: PartySnapshot, lines: Vec<DocumentLine>, number: &str) -> Document {
    issued_with(kind, buyer, lines, number, |_| {})
}

/// An issued document, `setup` having changed the draft (its exemption reason, its
/// references …) before it was issued.
fn issued_with(
    kind: DocumentKind,
    buyer: PartySnapshot,
    lines: Vec<DocumentLine>,
    number: &str,
    setup: impl FnOnce(&mut Document),
) -> Document {
    let issue = date(2026, 11, 2);
    let mut document = Document::draft(kind, ContactId::new(), buyer, issue, Currency::EUR);
    document.lines = lines;
    document.due_date = Some(date(2026, 12, 2));
    document.delivery_date = Some(date(2026, 10, 30));
    setup(&mut document);
    document.issue(Some(number.into())).unwrap();
    document
}

/// One case: its name, seller and document, the invoice a credit note corrects, and the
/// buyer's Peppol id when the contact gives one.
struct Case {
    name: String,
    seller: Company,
    document: Document,
    corrected: Option<InvoiceReference>,
    buyer_endpoint: Option<ElectronicAddress>,
}

impl Case {
    fn new(name: &str, seller: Company, document: Document) -> Self {
        Self { name: name.to_owned(), seller, document, corrected: None, buyer_endpoint: None }
    }
}

/// The French seller's cases: BR-FR applies to them.
fn french_cases() -> Vec<Case> {
    let paris_bakery =
        customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), Some("FR40303265045"));
    let fr_invoice = issued_with(
        DocumentKind::Invoice,
        paris_bakery.clone(),
        vec![
            line("Conception de l'éclairage — salle & vitrine", dec!(3), "jour", dec!(480), dec!(15), dec!(20)),
            DocumentLine { section: true, ..line("Lot 2 — Fournitures", dec!(0), "", dec!(0), dec!(0), dec!(20)) },
            // Markup and a control character, as a paste from elsewhere brings them.
            line("Suspension laiton \"Opale\" <b>\u{7}]]>", dec!(4), "pièce", dec!(189.90), dec!(5), dec!(20)),
            line("Installation (travaux d'amélioration)", dec!(6.5), "h", dec!(52.125), dec!(0), dec!(10)),
            line("Livre : Lumière et matière", dec!(2), "", dec!(29.99), dec!(10), dec!(5.5)),
        ],
        "FA-2026-0142",
        |draft| {
            draft.customer_reference = Some("BC-2026-118".into());
            draft.notes = "Merci de votre confiance.".into();
        },
    );

    let mut credit = Document::credit_note_for(&fr_invoice, date(2026, 11, 20)).unwrap();
    credit.lines.retain(|l| !l.section);
    credit.lines.truncate(2);
    credit.lines[1].quantity = dec!(1);
    credit.issue(Some("AV-2026-0007".into())).unwrap();

    let micro = issued_with(
        DocumentKind::Invoice,
        paris_bakery,
        vec![
            categorised(
                line("Création d'affiches", dec!(3), "pièce", dec!(150), dec!(0), dec!(0)),
                VatCategory::Exempt,
            ),
            categorised(
                line("Déclinaisons réseaux sociaux", dec!(5), "h", dec!(40), dec!(0), dec!(0)),
                VatCategory::Exempt,
            ),
        ],
        "2026-031",
        |draft| draft.vat_exemption_reason = Some("TVA non applicable, art. 293 B du CGI".into()),
    );

    let export = issued_with(
        DocumentKind::Invoice,
        customer(
            "Horlogerie Favre SA",
            address("Rue du Rhône 42", "1204", "Genève", "CH"),
            Some("CHE-116.281.710 MWST"),
        ),
        vec![
            categorised(
                line("Luminaires sur mesure", dec!(8), "pièce", dec!(420), dec!(0), dec!(0)),
                VatCategory::Export,
            ),
            categorised(
                line("Emballage et expédition", dec!(1), "forfait", dec!(180), dec!(0), dec!(0)),
                VatCategory::Export,
            ),
        ],
        "FA-2026-0143",
        |draft| draft.vat_exemption_reason = Some("Exonération de TVA, article 262 I du CGI (exportation)".into()),
    );

    let intra_eu_goods = issued_with(
        DocumentKind::Invoice,
        customer("Leuchten Weber GmbH", address("Lindenstraße 12", "50674", "Köln", "DE"), Some("DE136695976")),
        vec![categorised(
            line("Appliques murales en laiton", dec!(24), "pièce", dec!(96.50), dec!(8), dec!(0)),
            VatCategory::IntraCommunitySupply,
        )],
        "FA-2026-0144",
        |_| {},
    );
    let corrects = InvoiceReference { number: "FA-2026-0142".into(), issue_date: fr_invoice.issue_date };
    vec![
        Case::new("fr_multi_rate_discount", french_seller(), fr_invoice),
        Case { corrected: Some(corrects), ..Case::new("fr_credit_note", french_seller(), credit) },
        Case::new("fr_micro_entrepreneur_exempt", micro_entrepreneur(), micro),
        // A seller granting an early-payment discount: its terms in the payment notes.
        Case::new(
            "fr_export_outside_eu",
            Company { early_payment_discount: "1 % pour un paiement sous 8 jours".into(), ..french_seller() },
            export,
        ),
        Case::new("fr_intra_eu_supply_of_goods", french_seller(), intra_eu_goods),
    ]
}

/// The Belgian seller's cases.
fn belgian_cases() -> Vec<Case> {
    let be_invoice = issued_with(
        DocumentKind::Invoice,
        customer(
            "Menuiserie Dubois SRL",
            address("Chaussée de Waterloo 120", "1180", "Uccle", "BE"),
            Some("BE0403170701"),
        ),
        vec![
            line("Identité visuelle — logo et charte", dec!(1), "forfait", dec!(2400), dec!(0), dec!(21)),
            line("Brochures imprimées", dec!(250), "pce", dec!(1.84), dec!(0), dec!(6)),
            line("Retouches photo", dec!(3.25), "h", dec!(65), dec!(10), dec!(21)),
        ],
        "2026/0315",
        |draft| draft.structured_communication = Some(StructuredCommunication::from_base(2_026_031_500).unwrap()),
    );

    let reverse_charge = issued_with(
        DocumentKind::Invoice,
        customer(
            "Bakkerij Jansen B.V.",
            address("Prinsengracht 263", "1016 GV", "Amsterdam", "NL"),
            Some("NL853746333B01"),
        ),
        vec![
            categorised(
                line("Développement du site web", dec!(12), "jour", dec!(650), dec!(0), dec!(0)),
                VatCategory::ReverseCharge,
            ),
            categorised(
                line("Hébergement annuel", dec!(1), "an", dec!(240), dec!(0), dec!(0)),
                VatCategory::ReverseCharge,
            ),
        ],
        "2026/0316",
        |draft| draft.vat_exemption_reason = Some("Autoliquidation — article 196 de la directive 2006/112/CE".into()),
    );

    let out_of_scope = issued_with(
        DocumentKind::Invoice,
        customer("ASBL Les Amis du Parc", address("Rue de la Loi 16", "1000", "Bruxelles", "BE"), None),
        vec![categorised(
            line("Débours : frais de dossier avancés", dec!(1), "", dec!(85), dec!(0), dec!(0)),
            VatCategory::OutOfScope,
        )],
        "2026/0317",
        |draft| draft.vat_exemption_reason = Some("Débours, hors du champ d'application de la TVA".into()),
    );

    vec![
        Case::new("be_structured_communication", belgian_seller(), be_invoice),
        Case::new("be_intra_eu_reverse_charge", belgian_seller(), reverse_charge),
        // A buyer without a VAT number: its Peppol id comes from the contact.
        Case {
            buyer_endpoint: Some(ElectronicAddress::new("0208", "0862516773").unwrap()),
            ..Case::new("be_out_of_scope", belgian_seller(), out_of_scope)
        },
    ]
}

/// Seeded random invoices of both sellers: many lines, quantities with up to 4
/// decimals, prices with up to 6, discounts with 2, every rate of the country, now and
/// then a rebate line (a negative price); the corners of rounding the named cases miss.
fn random_cases(count: u64) -> Vec<Case> {
    let buyer_fr =
        customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), Some("FR40303265045"));
    let buyer_be = customer(
        "Menuiserie Dubois SRL",
        address("Chaussée de Waterloo 120", "1180", "Uccle", "BE"),
        Some("BE0403170701"),
    );
    let mut rng = Rng::new(20_261_130);
    let mut cases = Vec::new();
    for index in 0..count {
        let french = index % 2 == 0;
        let (seller, buyer) = if french { (french_seller(), &buyer_fr) } else { (belgian_seller(), &buyer_be) };
        let rates = VatRate::rates_of(&seller.address.country);
        let mut lines = Vec::new();
        for _ in 0..=rng.below(12) {
            let scale = |rng: &mut Rng, max: u64, decimals: u64| {
                Decimal::new(
                    i64::try_from(1 + rng.below(max)).unwrap(),
                    u32::try_from(rng.below(decimals + 1)).unwrap(),
                )
            };
            let quantity = scale(&mut rng, 99_999, 4);
            let price = scale(&mut rng, 9_999_999, 6);
            let discount = if rng.chance(40) {
                Decimal::new(i64::try_from(1 + rng.below(10_000)).unwrap(), 2)
            } else {
                Decimal::ZERO
            };
            let rate = rng.pick(&rates).percent();
            let unit = UNITS[usize::try_from(rng.below(UNITS.len() as u64)).unwrap()];
            lines.push(line("Article", quantity, unit, price, discount, rate));
        }
        if rng.chance(25) {
            lines.push(line("Remise fidélité", dec!(1), "", -scale_small(&mut rng), dec!(0), rates[0].percent()));
        }
        let number = format!("R-{index:03}");
        let document = issued_with(DocumentKind::Invoice, buyer.clone(), lines, &number, |_| {});
        cases.push(Case::new(&format!("random_{number}"), seller, document));
    }
    cases
}

/// Units the random lines are sold in.
const UNITS: [&str; 6] = ["h", "pièce", "jour", "kg", "", "m²"];

/// A small amount, 0.01 to 9.99, for rebate lines that leave the total positive.
fn scale_small(rng: &mut Rng) -> Decimal {
    Decimal::new(i64::try_from(1 + rng.below(999)).unwrap(), 2)
}

/// The named cases, then the random ones; whether each is named (rendered as PDF).
fn cases() -> Vec<(Case, bool)> {
    let mut cases: Vec<(Case, bool)> = french_cases().into_iter().map(|case| (case, true)).collect();
    cases.extend(belgian_cases().into_iter().map(|case| (case, true)));
    cases.extend(random_cases(RANDOM_CASES).into_iter().map(|case| (case, false)));
    cases
}

/// The Factur-X PDF of a case.
fn facturx_pdf(case: &Case, cii: &str, relationship: Relationship) -> Vec<u8> {
    pdf::render_facturx(&pdf_input(case), None, cii, relationship).unwrap()
}

/// What a case's PDF is made from, in French (Dutch for the Belgian seller).
fn pdf_input(case: &Case) -> DocumentPdf<'_> {
    let language = if case.seller.address.country == Country::Belgium {
        DocumentLanguage::Dutch
    } else {
        DocumentLanguage::French
    };
    DocumentPdf {
        seller: &case.seller,
        logo: None,
        document: &case.document,
        corrected_invoice: case.corrected.as_ref(),
        language,
        buyer_is_business: true,
        paid: Decimal::ZERO,
        created: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
    }
}

/// Runs a tool on `path`, wanting success, and returns its standard output.
fn tool(program: &str, args: &[&str], path: &Path) -> String {
    let output = Command::new(program)
        .args(args)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{program} (scripts/system-packages.sh installs it): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A PDF's objects as `qpdf --json` shows them (`"obj:12 0 R"` → value).
struct QpdfObjects(serde_json::Value);

impl QpdfObjects {
    fn read(path: &Path) -> Self {
        let json: serde_json::Value =
            serde_json::from_str(&tool("qpdf", &["--json=2", "--json-key=qpdf"], path)).unwrap();
        Self(json["qpdf"][1].clone())
    }

    /// `value` itself, or the object it refers to (a stream: its dictionary).
    fn dict(&self, value: &serde_json::Value) -> serde_json::Value {
        match value.as_str().filter(|reference| reference.ends_with(" R")) {
            Some(reference) => {
                let object = &self.0[format!("obj:{reference}")];
                if object["stream"].is_null() { object["value"].clone() } else { object["stream"]["dict"].clone() }
            }
            None => value.clone(),
        }
    }

    fn catalog(&self) -> serde_json::Value {
        self.dict(&self.0["trailer"]["value"]["/Root"])
    }
}

/// The PDF/A-3 structure of a Factur-X file, read by qpdf: the catalog's `OutputIntent`,
/// its `/AF` array naming `factur-x.xml` with `relationship`, the same file in the
/// embedded-files name tree, the embedded file's MIME type; and every font embedded.
fn assert_facturx_structure(path: &Path, relationship: &str) {
    tool("qpdf", &["--check"], path);
    let objects = QpdfObjects::read(path);
    let catalog = objects.catalog();
    let intents = objects.dict(&catalog["/OutputIntents"]).as_array().cloned().unwrap_or_default();
    assert_eq!(intents.len(), 1, "{}: OutputIntents {catalog}", path.display());
    let intent = objects.dict(&intents[0]);
    assert_eq!(intent["/S"], "/GTS_PDFA1", "{}: {intent}", path.display());
    assert!(intent["/DestOutputProfile"].is_string(), "{}: no ICC profile: {intent}", path.display());

    let af = objects.dict(&catalog["/AF"]).as_array().cloned().unwrap_or_default();
    assert_eq!(af.len(), 1, "{}: /AF {catalog}", path.display());
    let spec = objects.dict(&af[0]);
    assert_eq!(spec["/Type"], "/Filespec");
    assert_eq!(spec["/F"], "u:factur-x.xml", "{spec}");
    assert_eq!(spec["/UF"], "u:factur-x.xml", "{spec}");
    assert_eq!(spec["/AFRelationship"], format!("/{relationship}"), "{spec}");
    let file = objects.dict(&spec["/EF"]["/F"]);
    assert_eq!(file["/Type"], "/EmbeddedFile", "{file}");
    assert_eq!(file["/Subtype"], "/text/xml", "{file}");
    assert!(file["/Params"]["/ModDate"].is_string(), "{file}");

    let names = objects.dict(&catalog["/Names"]);
    let tree = objects.dict(&names["/EmbeddedFiles"]);
    let listed = tree["/Names"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 2, "{}: one embedded file: {tree}", path.display());
    assert_eq!(listed[0], "u:factur-x.xml");
    assert_eq!(listed[1], af[0], "the name tree and /AF name the same file specification");

    let fonts = tool("pdffonts", &[], path);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no font: {fonts}");
    for row in rows {
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(columns[columns.len() - 5], "yes", "{}: a font not embedded: {row}", path.display());
    }
}

/// How many random invoices join the named cases (each takes Saxon a few milliseconds).
const RANDOM_CASES: u64 = 40;

/// A placeholder for the PDF the later step renders: the UBL embeds whatever bytes it
/// is given.
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("COMPTOIR_EINVOICE_PYTHON") {
        return PathBuf::from(python);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"), PathBuf::from);
    cache.join("comptoir/venv/bin/python")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Controls: the first case with its grand total off by a cent, in CII and in UBL. The
/// rules must reject them, or they are not really running.
fn write_controls(out: &Path, manifest: &mut String) -> Vec<(PathBuf, &'static str)> {
    let mut controls = Vec::new();
    for (suffix, element, rules) in
        [("cii", "ram:GrandTotalAmount", "en16931-cii"), ("peppol.ubl", "cbc:TaxInclusiveAmount", "en16931-ubl,peppol")]
    {
        let xml = std::fs::read_to_string(out.join(format!("fr_multi_rate_discount.{suffix}.xml"))).unwrap();
        let start = xml.find(&format!("<{element}")).unwrap();
        let value_start = start + xml[start..].find('>').unwrap() + 1;
        let value_end = value_start + xml[value_start..].find('<').unwrap();
        let wrong: Decimal = xml[value_start..value_end].parse::<Decimal>().unwrap() + dec!(0.01);
        let tampered = format!("{}{wrong}{}", &xml[..value_start], &xml[value_end..]);
        let path = out.join(format!("control_wrong_total.{suffix}.xml"));
        std::fs::write(&path, tampered).unwrap();
        writeln!(manifest, "{}\t{rules}", path.display()).unwrap();
        controls.push((path, rules));
    }
    controls
}

/// Runs `scripts/einvoice_check.py` on the manifest and returns its JSON report.
fn run_checker(manifest: &Path, peppol: &Path, report: &Path) -> serde_json::Value {
    if !peppol.is_file() {
        // Straight to stderr, past the test harness's capture: a skipped check is loud.
        let _ = writeln!(
            std::io::stderr(),
            "!!! PEPPOL BIS 3.0 CHECK SKIPPED: {} is absent; the other rules still run",
            peppol.display()
        );
    }
    let python = python();
    assert!(
        python.is_file(),
        "no Python for the e-invoice rules at {}: run scripts/einvoice-venv.sh (or set COMPTOIR_EINVOICE_PYTHON)",
        python.display()
    );
    let started = std::time::Instant::now();
    let output = Command::new(&python)
        .arg(repo_root().join("scripts/einvoice_check.py"))
        .arg(manifest)
        .arg("--peppol")
        .arg(peppol)
        .arg("--report")
        .arg(report)
        .output()
        .unwrap();
    println!("{}", String::from_utf8_lossy(&output.stdout));
    println!("{}", String::from_utf8_lossy(&output.stderr));
    println!("einvoice_check.py took {:.1} s, Python start included", started.elapsed().as_secs_f64());
    // 0: nothing rejected, 1: something rejected (the controls are); 2: set-up error.
    assert!(matches!(output.status.code(), Some(0 | 1)), "einvoice_check.py failed: {}", output.status);
    serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap()
}

#[test]
fn every_case_passes_the_official_rules_in_cii_and_ubl() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("einvoice_rules");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mut manifest = String::new();
    let mut expected = Vec::new();
    let mut pdfs = Vec::new();
    for (case, named) in cases() {
        let data = InvoiceData {
            seller: &case.seller,
            document: &case.document,
            corrected_invoice: case.corrected.clone(),
            buyer_endpoint: case.buyer_endpoint.clone(),
        };
        let cii = einvoice::cii(&data).unwrap();
        // The named cases embed their real Factur-X PDF in the UBL; the random ones a
        // placeholder (the rules do not read it).
        let facturx = named.then(|| facturx_pdf(&case, &cii, Relationship::Data));
        let embedded = facturx.as_deref().unwrap_or(PDF);
        let peppol = einvoice::ubl(&data, UblProfile::Peppol, Some(embedded)).unwrap();
        let french_ctc = einvoice::ubl(&data, UblProfile::FrenchCtc, Some(embedded)).unwrap();
        // The totals are the model's, to the cent, in every syntax.
        let totals = case.document.totals().unwrap();
        let gross = format!("{:.2}", totals.gross);
        assert!(cii.contains(&format!("<ram:GrandTotalAmount>{gross}</ram:GrandTotalAmount>")), "{}", case.name);
        assert!(cii.contains(&format!("<ram:TaxBasisTotalAmount>{:.2}</ram:TaxBasisTotalAmount>", totals.net)));
        assert!(
            cii.contains(&format!("<ram:TaxTotalAmount currencyID=\"EUR\">{:.2}</ram:TaxTotalAmount>", totals.vat))
        );
        for ubl in [&peppol, &french_ctc] {
            assert!(
                ubl.contains(&format!("<cbc:PayableAmount currencyID=\"EUR\">{gross}</cbc:PayableAmount>")),
                "{}",
                case.name
            );
        }
        if let Some(endpoint) = &case.buyer_endpoint {
            let element =
                format!("<cbc:EndpointID schemeID=\"{}\">{}</cbc:EndpointID>", endpoint.scheme(), endpoint.id());
            assert!(peppol.contains(&element), "{}: {element}", case.name);
        }
        if let Some(facturx) = facturx {
            let path = out.join(format!("{}.facturx.pdf", case.name));
            std::fs::write(&path, facturx).unwrap();
            assert_facturx_structure(&path, "Data");
            writeln!(manifest, "{}\tfacturx-pdf", path.display()).unwrap();
            expected.push((path.clone(), "facturx-pdf"));
            pdfs.push((path, cii.clone()));
        }
        let mut files = vec![("cii", cii, "facturx-xsd,en16931-cii"), ("peppol.ubl", peppol, "en16931-ubl,peppol")];
        if case.seller.address.country == Country::France {
            files[0].2 = "facturx-xsd,en16931-cii,br-fr-cii";
            files.push(("fr-ctc.ubl", french_ctc, "en16931-ubl,br-fr-ubl"));
        }
        for (suffix, xml, rules) in files {
            let path = out.join(format!("{}.{suffix}.xml", case.name));
            std::fs::write(&path, xml).unwrap();
            writeln!(manifest, "{}\t{rules}", path.display()).unwrap();
            expected.push((path, rules));
        }
    }
    let mut controls = write_controls(&out, &mut manifest);
    // And a PDF without the Factur-X parts: the PDF checks must reject it.
    let plain = out.join("control_plain.pdf");
    let (case, _) = cases().remove(0);
    std::fs::write(&plain, pdf::render(&pdf_input(&case)).unwrap()).unwrap();
    writeln!(manifest, "{}\tfacturx-pdf", plain.display()).unwrap();
    controls.push((plain, "facturx-pdf"));
    let manifest_path = out.join("manifest.tsv");
    std::fs::write(&manifest_path, manifest).unwrap();

    let peppol = repo_root().join("../shared/einvoice/peppol-bis3-2026.5/PEPPOL-EN16931-UBL.xslt");
    let report = run_checker(&manifest_path, &peppol, &out.join("report.json"));

    // Every file went through every rule set it names (Peppol only when present); ours
    // with no fatal or error finding, the controls each with one at least.
    let rejecting = |results: &serde_json::Value| -> Vec<String> {
        let mut found = Vec::new();
        for (rule, result) in results.as_object().unwrap() {
            for finding in result["findings"].as_array().unwrap() {
                if matches!(finding["flag"].as_str(), Some("fatal" | "error")) {
                    found.push(format!("[{rule}] {} {}", finding["id"], finding["text"]));
                }
            }
        }
        found
    };
    let mut failures = Vec::new();
    for (path, rules) in expected.iter().chain(&controls) {
        let results = &report["files"][path.display().to_string()];
        for rule in rules.split(',') {
            let skipped = results[rule]["skipped"].as_bool();
            let may_skip = rule == "peppol" && !peppol.is_file();
            assert_eq!(skipped, Some(may_skip), "{} / {rule}: {results}", path.display());
        }
        let found = rejecting(results);
        let control = controls.iter().any(|(control, _)| control == path);
        if control && found.is_empty() {
            failures.push(format!("{}: a wrong total passed every rule", path.display()));
        } else if !control && !found.is_empty() {
            failures.push(format!("{}:\n  {}", path.display(), found.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "the official rules disagree (files in {}):\n{}", out.display(), failures.join("\n"));
    // The XML read back from each Factur-X PDF by the `factur-x` package is the XML written.
    assert!(!pdfs.is_empty());
    for (path, cii) in pdfs {
        let extracted = std::fs::read_to_string(path.with_extension("pdf.extracted.xml")).unwrap();
        assert!(extracted == cii, "{}: the attached XML differs from the XML written", path.display());
    }
}

#[test]
fn the_attachment_relationship_is_configurable_and_drafts_have_no_facturx() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("facturx_relationship");
    std::fs::create_dir_all(&out).unwrap();
    let case = french_cases().remove(0);
    let cii = einvoice::cii(&data(&case.seller, &case.document)).unwrap();
    for (relationship, name) in [(Relationship::Alternative, "Alternative"), (Relationship::Source, "Source")] {
        let path = out.join(format!("{name}.pdf"));
        std::fs::write(&path, facturx_pdf(&case, &cii, relationship)).unwrap();
        assert_facturx_structure(&path, name);
    }
    let mut draft = case.document.clone();
    draft.status = comptoir_core::model::DocumentStatus::Draft;
    draft.number = None;
    let input = DocumentPdf {
        seller: &case.seller,
        logo: None,
        document: &draft,
        corrected_invoice: None,
        language: DocumentLanguage::French,
        buyer_is_business: true,
        paid: Decimal::ZERO,
        created: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
    };
    assert_eq!(pdf::render_facturx(&input, None, &cii, Relationship::Data), Err(pdf::PdfError::NotIssued));
}

/// What the writers need for `document` sold by `seller`, nothing else.
fn data<'a>(seller: &'a Company, document: &'a Document) -> InvoiceData<'a> {
    InvoiceData { seller, document, corrected_invoice: None, buyer_endpoint: None }
}

#[test]
fn only_issued_numbered_invoices_and_credit_notes_are_written() {
    let seller = french_seller();
    let buyer =
        customer("Boulangerie Martin SAS", address("12 rue de la Paix", "75002", "Paris", "FR"), Some("FR40303265045"));
    let lines = vec![line("Conseil", dec!(1), "h", dec!(100), dec!(0), dec!(20))];
    let mut draft =
        Document::draft(DocumentKind::Invoice, ContactId::new(), buyer.clone(), date(2026, 11, 2), Currency::EUR);
    draft.lines = lines.clone();
    assert!(matches!(einvoice::cii(&data(&seller, &draft)), Err(EinvoiceError::NotIssued(_))));
    let mut offline = draft.clone();
    offline.issue(None).unwrap();
    assert_eq!(einvoice::ubl(&data(&seller, &offline), UblProfile::Peppol, None), Err(EinvoiceError::NumberPending));
    let quote = issued(DocumentKind::Quote, buyer.clone(), lines.clone(), "DE-1");
    assert_eq!(einvoice::cii(&data(&seller, &quote)), Err(EinvoiceError::NotAnInvoice(DocumentKind::Quote)));
    let invoice = issued(DocumentKind::Invoice, buyer, lines, "F-1");
    let credit = {
        let mut credit = Document::credit_note_for(&invoice, date(2026, 11, 3)).unwrap();
        credit.issue(Some("AV-1".into())).unwrap();
        credit
    };
    assert_eq!(einvoice::cii(&data(&seller, &credit)), Err(EinvoiceError::CorrectedInvoiceMissing));
    // A seller whose settings lack a legal mention is refused, naming what is missing.
    let mut incomplete = seller.clone();
    incomplete.national_id = None;
    let data = InvoiceData { seller: &incomplete, document: &invoice, corrected_invoice: None, buyer_endpoint: None };
    assert_eq!(einvoice::cii(&data), Err(EinvoiceError::SellerIncomplete(vec!["national_id"])));
}
