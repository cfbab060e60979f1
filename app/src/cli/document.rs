//! `comptoir document pdf|facturx|ubl|cii`: the files of issued documents, from the copy
//! on this machine, offline — one document by its number, or every one issued in a
//! period into a folder, for archives and for accountants.
//!
//! - `pdf`: the PDF of any issued document (quote, invoice, credit note, delivery note);
//! - `facturx`: the Factur-X PDF/A-3b of invoices and credit notes (`factur-x.xml`
//!   attached, relationship `--relationship`, Data by default);
//! - `ubl`: Peppol BIS Billing 3.0 (what an access point sends) or the French CTC
//!   profile, with the document's PDF embedded (BT-125);
//! - `cii`: the Factur-X EN 16931 XML alone.
//!
//! A period is rendered by a pool of threads (one per core): the copy is read on this
//! thread, documents are laid out and written on the others, a bounded queue between
//! them so that memory stays flat however long the period.

#![allow(clippy::print_stdout, clippy::print_stderr, reason = "what was written to stdout, refusals to stderr")]

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, Utc};
use comptoir_core::export::einvoice::UblProfile;
use comptoir_core::export::pdf::Relationship;
use comptoir_core::export::sources::DocumentSources;
use comptoir_core::export::sources::FileError;
use comptoir_core::export::templates::{ActiveTemplate, TemplateFolder};
use comptoir_core::model::{DocumentId, DocumentKind, DocumentStatus, Permission};
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
    /// First issue day (YYYY-MM-DD) of a period: every document of the kind the format
    /// takes, issued in it, goes into the folder `--out`.
    #[arg(long, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last issue day (YYYY-MM-DD).
    #[arg(long, requires = "from")]
    pub to: Option<NaiveDate>,
    /// UBL only: `peppol` (default) or `fr` (the French CTC rules).
    #[arg(long, default_value = "peppol")]
    pub profile: String,
    /// Factur-X only: how the XML relates to the PDF: `data` (default), `alternative`
    /// or `source`.
    #[arg(long, default_value = "data")]
    pub relationship: String,
    /// PDF, Factur-X and UBL: a typst template file to lay the documents out with,
    /// instead of the company's template in use (Paramètres → Modèles; the built-in one
    /// unless another was chosen there).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// The file (with `--number`) or the folder (with a period) to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// The file asked.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    Pdf,
    Facturx,
    Ubl,
    Cii,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Facturx => "facturx.pdf",
            Self::Ubl => "ubl.xml",
            Self::Cii => "cii.xml",
        }
    }

    /// The kinds of document a period export takes.
    fn kinds(self) -> &'static [DocumentKind] {
        match self {
            Self::Pdf => {
                &[DocumentKind::Quote, DocumentKind::Invoice, DocumentKind::CreditNote, DocumentKind::DeliveryNote]
            }
            Self::Facturx | Self::Ubl | Self::Cii => &[DocumentKind::Invoice, DocumentKind::CreditNote],
        }
    }
}

/// The template documents are laid out with.
enum Layout {
    /// A file named by `--template`: a broken one is an error, with its line.
    Given(String),
    /// The company's template in use: where it does not lay a document out, the
    /// built-in one does, with a warning.
    InUse(ActiveTemplate),
}

/// How a file is made: the format and its options.
struct Recipe {
    format: Format,
    profile: UblProfile,
    relationship: Relationship,
    layout: Layout,
}

impl Recipe {
    /// The bytes of `sources`' file.
    fn make(&self, sources: &DocumentSources) -> anyhow::Result<Vec<u8>> {
        let created = Utc::now();
        let number = sources.document.number.as_deref().unwrap_or("?");
        let bytes = match self.format {
            Format::Pdf => self.pdf(sources, created, false),
            Format::Facturx => self.pdf(sources, created, true),
            Format::Cii => sources.cii().map(String::into_bytes),
            Format::Ubl => self
                .pdf(sources, created, false)
                .and_then(|pdf| sources.ubl(self.profile, Some(&pdf)))
                .map(String::into_bytes),
        };
        bytes.with_context(|| format!("{number} cannot be written ({})", self.format.extension()))
    }

    /// The PDF (the Factur-X one when `facturx`) of `sources`.
    fn pdf(&self, sources: &DocumentSources, created: DateTime<Utc>, facturx: bool) -> Result<Vec<u8>, FileError> {
        match &self.layout {
            Layout::Given(template) if facturx => sources.facturx(Some(template), self.relationship, created),
            Layout::Given(template) => sources.pdf(Some(template), created),
            Layout::InUse(active) => {
                let rendered = if facturx {
                    active.facturx(sources, self.relationship, created)?
                } else {
                    active.pdf(sources, created)?
                };
                // A choice that fell back was said once at the start; a document on
                // which a good template breaks is named.
                if let Some(warning) = rendered.warning.filter(|w| Some(w) != active.warning.as_ref()) {
                    eprintln!("{}: {warning}", sources.document.number.as_deref().unwrap_or("?"));
                }
                Ok(rendered.pdf)
            }
        }
    }
}

/// Runs `comptoir document pdf|facturx|ubl|cii`.
pub fn run(format: Format, args: &DocumentArgs) -> anyhow::Result<()> {
    let profile = match args.profile.as_str() {
        "peppol" => UblProfile::Peppol,
        "fr" => UblProfile::FrenchCtc,
        other => bail!("unknown profile “{other}”: peppol or fr"),
    };
    let relationship = Relationship::parse(&args.relationship)
        .with_context(|| format!("unknown relationship “{}”: data, alternative or source", args.relationship))?;
    let (company, store) = super::export::open_company(&args.data, &args.company, Permission::ReadData)?;
    let layout = if let Some(path) = &args.template {
        Layout::Given(
            std::fs::read_to_string(path).with_context(|| format!("cannot read the template {}", path.display()))?,
        )
    } else {
        // The template in use: a chosen file that does not lay out falls back to the
        // built-in one, and says so.
        let active = TemplateFolder::new(&args.data, company.company_id).active();
        if let Some(warning) = &active.warning {
            eprintln!("{warning}");
        }
        Layout::InUse(active)
    };
    let recipe = Recipe { format, profile, relationship, layout };
    match (&args.number, args.from, args.to) {
        (Some(number), _, _) => {
            let id = store
                .document_id_by_number(number)?
                .with_context(|| format!("no document numbered {number} in this company"))?;
            let sources = DocumentSources::load(&store, DocumentId(id))?;
            let bytes = recipe.make(&sources)?;
            std::fs::write(&args.out, bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
            println!("{}: {}", number, args.out.display());
        }
        (None, Some(from), Some(to)) => {
            std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
            let (written, refused) = write_period(&store, &recipe, from, to, &args.out)?;
            println!("{written} document(s) written to {}, {refused} refused", args.out.display());
            if refused > 0 {
                bail!("{refused} document(s) could not be written: see above why");
            }
        }
        _ => bail!("give --number, or --from and --to"),
    }
    Ok(())
}

/// Writes the file of every document of the period into `out`: read here, made and
/// written by one worker per core. Returns how many were written and refused; one
/// document that cannot be made (a customer without an electronic address, say) does
/// not stop the others.
fn write_period(
    store: &CompanyStore,
    recipe: &Recipe,
    from: NaiveDate,
    to: NaiveDate,
    out: &Path,
) -> anyhow::Result<(u64, u64)> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // A few documents in flight per worker: enough to keep them busy, and memory flat.
    let (queue, jobs) = mpsc::sync_channel::<DocumentSources>(workers * 2);
    let jobs = std::sync::Mutex::new(jobs);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let (mut written, mut refused) = (0_u64, 0_u64);
                    loop {
                        // The lock is held only to take the next job.
                        let next = jobs.lock().map_err(|_| ()).and_then(|jobs| jobs.recv().map_err(|_| ()));
                        let Ok(sources) = next else { break };
                        let path = out.join(sources.file_name(recipe.format.extension()));
                        let result = recipe.make(&sources).and_then(|bytes| {
                            std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
                        });
                        match result {
                            Ok(()) => written += 1,
                            Err(e) => {
                                eprintln!("{e:#}");
                                refused += 1;
                            }
                        }
                    }
                    (written, refused)
                })
            })
            .collect();
        let read = read_period(store, recipe.format, from, to, &queue);
        drop(queue);
        let mut totals = (0_u64, 0_u64);
        for handle in handles {
            let (written, refused) = handle.join().map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?;
            totals = (totals.0 + written, totals.1 + refused);
        }
        read.map(|()| totals)
    })
}

/// Sends what every document of the period is made from to `queue`, by kind then
/// number.
fn read_period(
    store: &CompanyStore,
    format: Format,
    from: NaiveDate,
    to: NaiveDate,
    queue: &mpsc::SyncSender<DocumentSources>,
) -> anyhow::Result<()> {
    for &kind in format.kinds() {
        let filter = DocumentFilter {
            // Every status but draft: a converted quote or a paid invoice was issued.
            statuses: DocumentStatus::ALL.into_iter().filter(|status| *status != DocumentStatus::Draft).collect(),
            from: Some(from),
            to: Some(to),
            ..DocumentFilter::kind(kind)
        };
        let mut request = PageRequest::First;
        loop {
            let page = store.list_documents(&filter, DocumentSort::Number, SortDirection::Ascending, &request, 500)?;
            for row in &page.rows {
                if row.number.is_none() {
                    continue;
                }
                let sources = DocumentSources::load(store, row.id)?;
                if queue.send(sources).is_err() {
                    bail!("the rendering threads stopped");
                }
            }
            match page.rows.last() {
                Some(last) if page.more => request = PageRequest::After(last.cursor.clone()),
                _ => break,
            }
        }
    }
    Ok(())
}
