//! `comptoir export audit` and `comptoir export accounting`: a company's audit trail (as
//! an Excel workbook) or its accounting entries (as a FEC or CSV file), from the copy on
//! this machine, offline. Each export is refused to a role that may not make it, and is
//! written in the company's audit trail (queued, sent with the app's next sync).

#![allow(clippy::print_stderr, reason = "progress lines go to stderr, the result to stdout")]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use comptoir_core::accounting::export::{Format, Scope, export_entries_file, fec_file_name};
use comptoir_core::export::{AuditExportOptions, export_audit_xlsx};
use comptoir_core::model::Permission;
use comptoir_core::store::{AppStore, AuditFilter, CompanyStore, LocalCompany};
use comptoir_core::sync::{ExportKind, ExportNote, Intent};

use comptoir::i18n::{Language, Texts};

/// The company an export reads, and the period.
#[derive(Debug, clap::Args)]
pub struct Source {
    /// Folder of the app's files.
    #[arg(long)]
    pub data: PathBuf,
    /// The company's name or id.
    #[arg(long)]
    pub company: String,
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<NaiveDate>,
}

/// What `comptoir export audit` was asked.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub source: Source,
    /// Only this user's actions (their email).
    #[arg(long)]
    pub user: Option<String>,
    /// The workbook to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// What `comptoir export accounting` was asked.
#[derive(Debug, clap::Args)]
pub struct AccountingArgs {
    /// `fec` (the French fichier des écritures comptables) or `csv`.
    #[arg(long)]
    pub format: String,
    #[command(flatten)]
    pub source: Source,
    /// Only the entries not yet posted (the next posting's batch).
    #[arg(long)]
    pub pending_only: bool,
    /// The file to write, or a folder (a FEC then takes its legal name there); the
    /// period ends today when --to is not given.
    #[arg(long)]
    pub out: PathBuf,
}

fn check_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> anyhow::Result<()> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        bail!("--from {from} is after --to {to}");
    }
    Ok(())
}

/// The company named (by name or id) among those of the data folder, its file opened
/// for writing (the export is queued for the audit trail), after checking that the
/// account that downloaded it may make this export.
pub(crate) fn open_company(
    data: &Path,
    wanted: &str,
    permission: Permission,
) -> anyhow::Result<(LocalCompany, CompanyStore)> {
    let app_file = data.join(AppStore::FILE_NAME);
    if !app_file.exists() {
        bail!("{} holds no Comptoir data (no {})", data.display(), AppStore::FILE_NAME);
    }
    let app = AppStore::open(&app_file).with_context(|| format!("cannot open {}", app_file.display()))?;
    let companies = app.companies()?;
    let wanted = wanted.trim();
    let company = companies
        .iter()
        .find(|c| c.company_id.to_string() == wanted || c.name.eq_ignore_ascii_case(wanted))
        .with_context(|| {
            let known: Vec<String> = companies.iter().map(|c| format!("“{}” ({})", c.name, c.company_id)).collect();
            format!("no company “{wanted}” on this machine; there are: {}", known.join(", "))
        })?
        .clone();
    let mut store = CompanyStore::open(&company.file_path)
        .with_context(|| format!("cannot open {}", company.file_path.display()))?;
    // Edits made here are the account's the company was opened with on this machine.
    store.set_author(company.account);
    let role = company.account.and_then(|user| store.members().ok()?.into_iter().find(|m| m.0 == user).map(|m| m.3));
    if let Some(role) = role {
        role.authorize(permission)?;
    }
    Ok((company, store))
}

/// Queues the export's note for the company's audit trail.
fn record_export(
    store: &mut CompanyStore,
    what: ExportKind,
    rows: u64,
    period: (Option<NaiveDate>, Option<NaiveDate>),
    out: &Path,
) {
    let export = ExportNote::new(what, rows, period, out);
    if let Err(e) = store.submit(&Intent::RecordExport { export }) {
        eprintln!("warning: the export could not be queued for the audit trail: {e}");
    }
}

pub fn run(args: &AuditArgs) -> anyhow::Result<()> {
    let Source { data, company, from, to } = &args.source;
    check_period(*from, *to)?;
    let (_, mut store) = open_company(data, company, Permission::ExportAuditTrail)?;
    let filter = AuditFilter { from: *from, to: *to, user_email: args.user.clone(), ..AuditFilter::default() };
    let texts = Texts::new(Language::default());
    let options = AuditExportOptions::new(comptoir::screens::audit::audit_columns(&texts));
    let cancel = AtomicBool::new(false);
    let report = export_audit_xlsx(&store, &filter, &options, &args.out, &cancel, |progress| {
        eprintln!("{} / {} records", progress.written, progress.total);
    })?;
    record_export(&mut store, ExportKind::AuditTrail, report.rows, (*from, *to), &report.path);
    println!("{} records in {} sheet(s): {}", report.rows, report.sheets, report.path.display());
    Ok(())
}

pub fn run_accounting(args: &AccountingArgs) -> anyhow::Result<()> {
    let format = Format::parse(&args.format).with_context(|| format!("--format {} is not fec or csv", args.format))?;
    let Source { data, company, from, to } = &args.source;
    check_period(*from, *to)?;
    let (_, mut store) = open_company(data, company, Permission::ExportAccounting)?;
    let to = to.unwrap_or_else(|| chrono::Local::now().date_naive());
    // What the app has not derived yet (it was closed since the last changes).
    store.refresh_whole_ledger(chrono::Utc::now().date_naive())?;
    // A folder: the file takes its legal name there.
    let out = if args.out.is_dir() {
        let name = match format {
            Format::Fec => fec_file_name(&store.company()?, to),
            Format::Csv => format!("ecritures-{}.csv", to.format("%Y%m%d")),
        };
        args.out.join(name)
    } else {
        args.out.clone()
    };
    let scope = if args.pending_only { Scope::Pending } else { Scope::All };
    let summary = export_entries_file(&store, format, scope, *from, to, &out)?;
    let what = if format == Format::Fec { ExportKind::AccountingFec } else { ExportKind::AccountingCsv };
    record_export(&mut store, what, summary.lines, (*from, Some(to)), &out);
    println!(
        "{} entries, {} lines, debit {} = credit {}: {}",
        summary.entries,
        summary.lines,
        summary.debit,
        summary.credit,
        out.display()
    );
    Ok(())
}
