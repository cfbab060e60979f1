//! `comptoir document ubl|cii`: the structured e-invoices of issued invoices and credit
//! notes, from the copy on this machine, offline — one document by its number, or every
//! one issued in a period into a folder, for archives and for accountants. The UBL is
//! Peppol BIS Billing 3.0 (what an access point sends) or the French CTC profile; the CII
//! is the Factur-X EN 16931 XML. (The PDF and the Factur-X PDF come with the PDF step.)

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "what was written to stdout, refusals to stderr")]

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use comptoir_core::export::einvoice::{self, InvoiceData, InvoiceReference, UblProfile};
use comptoir_core::model::{Document, DocumentKind, DocumentStatus, Permission};
use comptoir_core::store::{CompanyStore, DocumentFilter, DocumentSort, PageRequest, SortDirection};

/// Which documents, from which company, to where.
#[derive(Debug, clap::Args)]
pub struct DocumentArgs {
    /// Folder of the app's files.
    #[arg(long)]
    pub data: PathBuf,
    /// The company's name or id.
    #[arg(long)]
    pub company: String,
    /// One document, by its number (the file is `--out`).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub number: Option<String>,
    /// First issue day (YYYY-MM-DD) of a period: every invoice and credit note issued in
    /// it goes into the folder `--out`.
    #[arg(long, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last issue day (YYYY-MM-DD).
    #[arg(long, requires = "from")]
    pub to: Option<NaiveDate>,
    /// UBL only: `peppol` (default) or `fr` (the French CTC rules).
    #[arg(long, default_value = "peppol")]
    pub profile: String,
    /// The file (with `--number`) or the folder (with a period) to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// The e-invoice syntax asked.
#[derive(Clone, Copy, Debug)]
pub enum Syntax {
    Ubl,
    Cii,
}

impl Syntax {
    fn extension(self) -> &'static str {
        match self {
            Self::Ubl => "ubl.xml",
            Self::Cii => "cii.xml",
        }
    }
}

/// Runs `comptoir document ubl|cii`.
pub fn run(syntax: Syntax, args: &DocumentArgs) -> anyhow::Result<()> {
    let profile = match args.profile.as_str() {
        "peppol" => UblProfile::Peppol,
        "fr" => UblProfile::FrenchCtc,
        other => bail!("unknown profile “{other}”: peppol or fr"),
    };
    let (_, store) = super::export::open_company(&args.data, &args.company, Permission::ReadData)?;
    match (&args.number, args.from, args.to) {
        (Some(number), _, _) => {
            let id = store
                .document_id_by_number(number)?
                .with_context(|| format!("no document numbered {number} in this company"))?;
            let document = store.document(comptoir_core::model::DocumentId(id))?;
            write_one(&store, &document, syntax, profile, &args.out)?;
            println!("{}: {}", number, args.out.display());
        }
        (None, Some(from), Some(to)) => {
            std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
            let (mut written, mut refused) = (0_u64, 0_u64);
            for kind in [DocumentKind::Invoice, DocumentKind::CreditNote] {
                let filter = DocumentFilter {
                    statuses: vec![DocumentStatus::Issued, DocumentStatus::PartiallyPaid, DocumentStatus::Paid],
                    from: Some(from),
                    to: Some(to),
                    ..DocumentFilter::kind(kind)
                };
                let mut request = PageRequest::First;
                loop {
                    let page =
                        store.list_documents(&filter, DocumentSort::Number, SortDirection::Ascending, &request, 500)?;
                    for row in &page.rows {
                        let Some(number) = &row.number else { continue };
                        let document = store.document(row.id)?;
                        let out = args.out.join(format!("{}.{}", file_name(number), syntax.extension()));
                        // One document that cannot be an e-invoice (a customer without
                        // any electronic address, say) does not stop the others.
                        match write_one(&store, &document, syntax, profile, &out) {
                            Ok(()) => written += 1,
                            Err(e) => {
                                eprintln!("{e:#}");
                                refused += 1;
                            }
                        }
                    }
                    match page.rows.last() {
                        Some(last) if page.more => request = PageRequest::After(last.cursor.clone()),
                        _ => break,
                    }
                }
            }
            println!("{written} document(s) written to {}, {refused} refused", args.out.display());
            if refused > 0 {
                bail!("{refused} document(s) could not be written: see above why");
            }
        }
        _ => bail!("give --number, or --from and --to"),
    }
    Ok(())
}

/// Writes the e-invoice of `document` to `out`.
fn write_one(
    store: &CompanyStore,
    document: &Document,
    syntax: Syntax,
    profile: UblProfile,
    out: &Path,
) -> anyhow::Result<()> {
    let seller = store.company()?;
    let corrected_invoice = match document.corrects {
        Some(invoice) => {
            let invoice = store.document(invoice)?;
            invoice.number.clone().map(|number| InvoiceReference { number, issue_date: invoice.issue_date })
        }
        None => None,
    };
    // The customer's own Peppol id, when the contact records one.
    let buyer_endpoint = store.contact(document.contact_id).ok().and_then(|c| c.peppol_id);
    let data = InvoiceData { seller: &seller, document, corrected_invoice, buyer_endpoint };
    let number = document.number.as_deref().unwrap_or("?");
    let xml = match syntax {
        Syntax::Ubl => einvoice::ubl(&data, profile, None),
        Syntax::Cii => einvoice::cii(&data),
    }
    .with_context(|| format!("{number} cannot be written as an e-invoice"))?;
    std::fs::write(out, xml).with_context(|| format!("cannot write {}", out.display()))
}

/// A document number as a file name: characters a file system refuses become `_`.
fn file_name(number: &str) -> String {
    number.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}
