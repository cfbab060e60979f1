//! `comptoir import contacts|articles`: a spreadsheet saved as CSV into the company's
//! copy on this machine. Each valid row is queued as an ordinary `create_contact` /
//! `create_article` edit (the next sync sends it; the server checks it again); rows
//! already in the company, by their natural key, are left alone, so importing the same
//! file twice creates nothing the second time. The report names every refused row by
//! its line in the file (the header is line 1) and its reason.

use std::path::PathBuf;

use anyhow::Context as _;
use comptoir_core::import::{self, ExistingKeys, ImportKind, ImportOptions};
use comptoir_core::model::Permission;

/// What `comptoir import contacts|articles` was asked.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Folder of the app's files.
    #[arg(long)]
    pub data: PathBuf,
    /// The company's name or id.
    #[arg(long)]
    pub company: String,
    /// Check the file and print the report; queue nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The CSV file (`;` or `,` separated, UTF-8 or Windows-1252), its first row naming
    /// the columns.
    pub file: PathBuf,
}

pub fn run(kind: ImportKind, args: &ImportArgs) -> anyhow::Result<()> {
    let permission = match kind {
        ImportKind::Contacts => Permission::EditContacts,
        ImportKind::Articles => Permission::EditArticles,
    };
    let (_, mut store) = super::export::open_company(&args.data, &args.company, permission)?;
    let file = args.file.display();
    let sheet = import::read_file(&args.file)
        .and_then(|bytes| import::read_sheet(&bytes))
        .with_context(|| format!("{file} cannot be imported"))?;
    let mapping = import::guess_mapping(kind, &sheet.headers);
    println!(
        "{file}: {}, separated by “{}”, {} row(s)",
        sheet.encoding.as_str(),
        sheet.separator.escape_default(),
        sheet.rows.len()
    );
    for (header, field) in sheet.headers.iter().zip(&mapping) {
        println!("  column “{header}” → {}", field.map_or("(ignored)", |f| f.id()));
    }
    let options = ImportOptions::for_country(kind, store.company()?.address.country);
    let existing = ExistingKeys::read(&store, kind)?;
    let report =
        import::check(&sheet, &mapping, &options, &existing).with_context(|| format!("{file} cannot be imported"))?;

    let mut refused: Vec<(usize, String)> =
        report.refused().map(|(line, r)| (line, reason(r.code, r.field, &r.message))).collect();
    let mut imported = 0usize;
    if !args.dry_run {
        for (line, record) in report.ready() {
            match store.submit(&record.intent()) {
                Ok(_) => imported += 1,
                Err(e) => refused.push((line, format!("{}: {e}", e.code()))),
            }
        }
        refused.sort_by_key(|(line, _)| *line);
    }
    let ready = report.ready().count();
    let verb = if args.dry_run { "would import" } else { "imported" };
    let count = if args.dry_run { ready } else { imported };
    println!("{verb} {count}, already there {}, refused {}", report.already_there(), refused.len());
    for (line, why) in &refused {
        println!("line {line}: {why}");
    }
    if !args.dry_run && imported > 0 {
        println!("{imported} {} queued: the next sync sends them", kind.as_str());
    }
    Ok(())
}

/// `code (field): message`.
fn reason(code: &str, field: Option<import::Field>, message: &str) -> String {
    match field {
        Some(field) => format!("{code} ({}): {message}", field.id()),
        None => format!("{code}: {message}"),
    }
}
