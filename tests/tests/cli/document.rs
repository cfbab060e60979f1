//! `comptoir document pdf|facturx|ubl|cii` on a data folder made by a real download
//! (`comptoir sync`): one document by its number, or every document of a period into a
//! folder; the customer's own Peppol id, when its contact records one, is the buyer's
//! electronic address; the UBL embeds the PDF; the Factur-X PDF carries its XML. (The
//! writers themselves are checked against the official rules, and the Factur-X files by
//! qpdf and the `factur-x` package, in core's `einvoice_rules` test.)

use std::path::Path;
use std::process::{Command, Output};

use comptoir_core::export::templates::{TemplateChoice, TemplateFolder, TemplateName};
use comptoir_core::model::{DocumentKind, DocumentStatus};
use comptoir_core::store::{AppStore, CompanyStore, DocumentFilter, DocumentSort, PageRequest, SortDirection};
use comptoir_core::sync::Intent;
use comptoir_tests::TestServer;
use comptoir_tests::contains_bytes;

use crate::{APP_BIN, stderr, stdout};

fn document(data: &Path, syntax: &str, company: &str, extra: &[&str], out: &Path) -> Output {
    Command::new(APP_BIN)
        .args(["document", syntax, "--company", company, "--data"])
        .arg(data)
        .args(extra)
        .arg("--out")
        .arg(out)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The issued documents of `kinds` in the copy, with their numbers.
fn issued_of(
    store: &CompanyStore,
    kinds: &[DocumentKind],
) -> Vec<(String, chrono::NaiveDate, comptoir_core::model::ContactId)> {
    let mut found = Vec::new();
    for &kind in kinds {
        let filter = DocumentFilter {
            statuses: DocumentStatus::ALL.into_iter().filter(|s| *s != DocumentStatus::Draft).collect(),
            ..DocumentFilter::kind(kind)
        };
        let page = store
            .list_documents(&filter, DocumentSort::Number, SortDirection::Ascending, &PageRequest::First, 10_000)
            .unwrap();
        for row in page.rows {
            let contact = store.document(row.id).unwrap().contact_id;
            found.push((row.number.unwrap(), row.issue_date, contact));
        }
    }
    found
}

/// The issued invoices and credit notes of the copy, with their numbers.
fn issued(store: &CompanyStore) -> Vec<(String, chrono::NaiveDate, comptoir_core::model::ContactId)> {
    issued_of(store, &[DocumentKind::Invoice, DocumentKind::CreditNote])
}

#[test]
fn e_invoices_of_one_document_or_a_period_carry_the_customers_peppol_id() {
    // The French demo company: it has every legal mention (the Belgian one starts
    // without its legal form, which the app asks to complete before invoices leave it).
    let server = TestServer::start(300).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (company, name, _) = server.accounts.companies[0].clone();
    let accounts = &server.accounts;
    let synced = crate::sync(data.path(), &server.url, &accounts.email, &accounts.password, &["--company", &name]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    let app = AppStore::open(&data.path().join(AppStore::FILE_NAME)).unwrap();
    let path = app.company(company).unwrap().file_path;

    // The first invoice's customer records its Peppol id (an edit of the copy, as the
    // window makes it).
    let documents = issued(&CompanyStore::open_read_only(&path).unwrap());
    let (number, _, customer) = documents.iter().find(|(n, _, _)| n.starts_with("FA")).unwrap().clone();
    {
        let mut store = CompanyStore::open(&path).unwrap();
        let mut contact = store.contact(customer).unwrap();
        contact.peppol_id = Some("0208:0403170701".parse().unwrap());
        store.submit(&Intent::UpdateContact { contact }).unwrap();
    }

    // One document, by its number.
    let out = data.path().join("one.xml");
    let written = document(data.path(), "ubl", &name, &["--number", &number], &out);
    assert!(written.status.success(), "{}", stderr(&written));
    let xml = std::fs::read_to_string(&out).unwrap();
    assert!(xml.contains("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\""), "{xml}");
    assert!(xml.contains(&format!("<cbc:ID>{number}</cbc:ID>")), "{xml}");
    assert!(xml.contains("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"), "Peppol's profile by default");
    assert!(
        xml.contains(&format!("mimeCode=\"application/pdf\" filename=\"{number}.pdf\">JVBERi0")),
        "the PDF embedded (BT-125), base64 of %PDF-"
    );
    assert!(
        xml.contains("<cbc:EndpointID schemeID=\"0208\">0403170701</cbc:EndpointID>"),
        "the customer's own Peppol id is the buyer's address"
    );
    let cii = data.path().join("one.cii.xml");
    let written = document(data.path(), "cii", &name, &["--number", &number], &cii);
    assert!(written.status.success(), "{}", stderr(&written));
    assert!(std::fs::read_to_string(&cii).unwrap().contains("rsm:CrossIndustryInvoice"));

    // A period: every invoice and credit note issued in it, one file each. A customer
    // with neither a Peppol id nor a VAT number (a consumer) has no Peppol address: its
    // invoices are named with the reason, the others written, and the command fails.
    let (first, last) = (documents.iter().map(|d| d.1).min().unwrap(), documents.iter().map(|d| d.1).max().unwrap());
    let folder = data.path().join("period");
    let (from, to) = (first.to_string(), last.to_string());
    let written = document(data.path(), "ubl", &name, &["--from", &from, "--to", &to], &folder);
    let files = std::fs::read_dir(&folder).unwrap().count();
    let refusals = stderr(&written).matches("cannot be written").count();
    assert!(files > 0, "{}", stderr(&written));
    assert_eq!(files + refusals, documents.len(), "{}", stderr(&written));
    assert!(stdout(&written).contains(&format!("{files} document(s) written")), "{}", stdout(&written));
    assert_eq!(written.status.success(), refusals == 0);
    if refusals > 0 {
        assert!(stderr(&written).contains("no electronic address (Peppol id) for the buyer"), "{}", stderr(&written));
    }
    // The Factur-X CII has no such requirement: every document of the period is written.
    let folder = data.path().join("period-cii");
    let written = document(data.path(), "cii", &name, &["--from", &from, "--to", &to], &folder);
    assert!(written.status.success(), "{}", stderr(&written));
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), documents.len());

    pdfs_and_templates(data.path(), &name, company, &number, &path, documents.len());

    // A number that is not there is refused with a reason.
    let missing = document(data.path(), "ubl", &name, &["--number", "FA-1999-99999"], &out);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("no document numbered FA-1999-99999"), "{}", stderr(&missing));
}

/// `comptoir document pdf|facturx` on the same copy: one invoice, a period of every
/// issued kind, the user's templates.
fn pdfs_and_templates(
    data: &Path,
    name: &str,
    company: comptoir_core::model::CompanyId,
    number: &str,
    path: &Path,
    invoices: usize,
) {
    // The PDF of one invoice, and its Factur-X with the XML attached.
    let pdf = data.join("one.pdf");
    let written = document(data, "pdf", name, &["--number", number], &pdf);
    assert!(written.status.success(), "{}", stderr(&written));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-") && !contains_bytes(&bytes, b"factur-x.xml"));
    let facturx = data.join("one.facturx.pdf");
    let written = document(data, "facturx", name, &["--number", number, "--relationship", "source"], &facturx);
    assert!(written.status.success(), "{}", stderr(&written));
    let bytes = std::fs::read(&facturx).unwrap();
    assert!(contains_bytes(&bytes, b"factur-x.xml") && contains_bytes(&bytes, b"/AFRelationship/Source"));
    assert!(contains_bytes(&bytes, b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"));
    let wrong = document(data, "facturx", name, &["--number", number, "--relationship", "x"], &facturx);
    assert!(stderr(&wrong).contains("unknown relationship"), "{}", stderr(&wrong));

    // Every issued document of the period as PDF: quotes and delivery notes too.
    let all = issued_of(
        &CompanyStore::open_read_only(path).unwrap(),
        &[DocumentKind::Quote, DocumentKind::Invoice, DocumentKind::CreditNote, DocumentKind::DeliveryNote],
    );
    let (first, last) = (all.iter().map(|d| d.1).min().unwrap(), all.iter().map(|d| d.1).max().unwrap());
    let folder = data.join("period-pdf");
    let written = document(data, "pdf", name, &["--from", &first.to_string(), "--to", &last.to_string()], &folder);
    assert!(written.status.success(), "{}", stderr(&written));
    let names: Vec<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), all.len());
    assert!(all.len() > invoices, "quotes and delivery notes are issued documents too");
    assert!(names.iter().all(|n| Path::new(n).extension().is_some_and(|e| e == "pdf")));

    // A template of the user's: a broken one says where.
    let template = data.join("broken.typ");
    std::fs::write(&template, "#let data = json(\"/data.json\")\n\n#data.nothing.here\n").unwrap();
    let broken = document(data, "pdf", name, &["--number", number, "--template", template.to_str().unwrap()], &pdf);
    assert!(!broken.status.success());
    assert!(stderr(&broken).contains("line 3"), "{}", stderr(&broken));

    // The company's template in use (Paramètres → Modèles) lays the PDFs out; a chosen
    // one that is broken falls back to the built-in template, and the command says so.
    let folder = TemplateFolder::new(data, company);
    let house = TemplateName::parse("Maison").unwrap();
    let path_of_copy = folder.duplicate(&TemplateChoice::BuiltIn, &house).unwrap();
    let source = std::fs::read_to_string(&path_of_copy).unwrap();
    std::fs::write(&path_of_copy, source.replace("#set document(title: data.title", "#set document(title: \"MAISON\""))
        .unwrap();
    folder.choose(&TemplateChoice::File(house)).unwrap();
    let written = document(data, "pdf", name, &["--number", number], &pdf);
    assert!(written.status.success(), "{}", stderr(&written));
    assert!(contains_bytes(&std::fs::read(&pdf).unwrap(), b"/Title(MAISON)"), "the chosen template laid it out");
    std::fs::write(&path_of_copy, "#let data = json(\"/data.json\")\n#data.nothing\n").unwrap();
    let written = document(data, "pdf", name, &["--number", number], &pdf);
    assert!(written.status.success(), "{}", stderr(&written));
    assert!(stderr(&written).contains("is not used"), "{}", stderr(&written));
    assert!(!contains_bytes(&std::fs::read(&pdf).unwrap(), b"/Title(MAISON)"));
}
