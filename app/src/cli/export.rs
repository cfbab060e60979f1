//! `comptoir export audit`: the audit trail of a company on this machine, filtered, as an
//! Excel workbook, with the column titles of the app's default language (French).

#![allow(clippy::print_stderr, reason = "progress lines go to stderr, the result to stdout")]

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use comptoir_core::export::{AuditExportOptions, export_audit_xlsx};
use comptoir_core::store::{AppStore, AuditFilter, CompanyStore};

use comptoir::i18n::{Language, Texts};

/// What `comptoir export audit` was asked.
#[derive(Debug)]
pub struct AuditArgs {
    pub data: PathBuf,
    pub company: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub user: Option<String>,
    pub out: PathBuf,
}

pub fn run(args: &AuditArgs) -> anyhow::Result<()> {
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        bail!("--from {from} is after --to {to}");
    }
    let app_file = args.data.join(AppStore::FILE_NAME);
    if !app_file.exists() {
        bail!("{} holds no Comptoir data (no {})", args.data.display(), AppStore::FILE_NAME);
    }
    let app = AppStore::open(&app_file).with_context(|| format!("cannot open {}", app_file.display()))?;
    let companies = app.companies()?;
    let wanted = args.company.trim();
    let company = companies
        .iter()
        .find(|c| c.company_id.to_string() == wanted || c.name.eq_ignore_ascii_case(wanted))
        .with_context(|| {
            let known: Vec<String> = companies.iter().map(|c| format!("“{}” ({})", c.name, c.company_id)).collect();
            format!("no company “{wanted}” on this machine; there are: {}", known.join(", "))
        })?;
    let store = CompanyStore::open_read_only(&company.file_path)
        .with_context(|| format!("cannot open {}", company.file_path.display()))?;
    let filter = AuditFilter { from: args.from, to: args.to, user_email: args.user.clone(), ..AuditFilter::default() };
    let texts = Texts::new(Language::default());
    let options = AuditExportOptions::new(comptoir::screens::audit::audit_columns(&texts));
    let cancel = AtomicBool::new(false);
    let report = export_audit_xlsx(&store, &filter, &options, &args.out, &cancel, |progress| {
        eprintln!("{} / {} records", progress.written, progress.total);
    })?;
    println!("{} records in {} sheet(s): {}", report.rows, report.sheets, report.path.display());
    Ok(())
}
