//! Entries as the accountant takes them: the French *fichier des écritures comptables*
//! (FEC, article A47 A-1 of the Livre des procédures fiscales: 18 tab-separated columns,
//! one line per entry line, named `{SIREN}FEC{closing date}.txt`), and a CSV file with
//! the same content for spreadsheets and other accounting software.

use std::io::Write;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{AccountPlan, Entry};
use crate::model::Company;

/// An entry as exported: posted ones carry their validation date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportEntry {
    pub entry: Entry,
    /// The entry's number within its journal (posted, or as the next posting would give).
    pub number: u64,
    /// When it was posted; `None` while pending.
    pub validated: Option<NaiveDate>,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub entries: u64,
    pub lines: u64,
    pub debit: Decimal,
    pub credit: Decimal,
    /// The [`super::BatchDigest`] of the entries written: a batch exported from the
    /// posting dialog is posted only while the pending entries still have this digest.
    pub digest: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Fec,
    Csv,
}

impl Format {
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "fec" => Some(Self::Fec),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// The 18 columns of the FEC, in their legal order.
pub const FEC_COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// The FEC's legal name: the company's SIREN (the first nine digits of its registration
/// number), "FEC", and the closing date of the period.
pub fn fec_file_name(company: &Company, closing: NaiveDate) -> String {
    let digits: String = company
        .national_id
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .take(9)
        .collect();
    let siren = if digits.is_empty() { "000000000".to_owned() } else { digits };
    format!("{siren}FEC{}.txt", closing.format("%Y%m%d"))
}

/// An amount as the FEC writes it: a comma before two decimals, no grouping.
fn amount(value: Decimal) -> String {
    format!("{:.2}", value.round_dp(2)).replace('.', ",")
}

fn day(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// A field without the separators of either format.
fn clean(text: &str) -> String {
    text.chars().map(|c| if matches!(c, '\t' | '\r' | '\n') { ' ' } else { c }).collect()
}

fn csv_field(text: &str) -> String {
    let text = clean(text);
    if text.contains([';', '"']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// Writes entries in a format, one at a time: every line of every entry is one row.
pub struct EntryWriter<'a> {
    out: &'a mut dyn Write,
    format: Format,
    plan: &'a AccountPlan,
    summary: ExportSummary,
    digest: super::BatchDigest,
}

impl std::fmt::Debug for EntryWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryWriter")
            .field("format", &self.format)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl<'a> EntryWriter<'a> {
    /// Starts the file with its header row.
    pub fn new(out: &'a mut dyn Write, format: Format, plan: &'a AccountPlan) -> std::io::Result<Self> {
        if format == Format::Csv {
            // A byte-order mark: spreadsheets then read the accents right.
            out.write_all("\u{feff}".as_bytes())?;
        }
        writeln!(out, "{}", FEC_COLUMNS.join(Self::separator(format)))?;
        Ok(Self { out, format, plan, summary: ExportSummary::default(), digest: super::BatchDigest::default() })
    }

    fn separator(format: Format) -> &'static str {
        match format {
            Format::Fec => "\t",
            Format::Csv => ";",
        }
    }

    fn field(&self, text: &str) -> String {
        match self.format {
            Format::Fec => clean(text),
            Format::Csv => csv_field(text),
        }
    }

    pub fn write(&mut self, export: &ExportEntry) -> std::io::Result<()> {
        let ExportEntry { entry, number, validated } = export;
        let (journal_code, journal_label) = self.plan.journal(entry.journal);
        for line in &entry.lines {
            let row = [
                self.field(journal_code),
                self.field(journal_label),
                number.to_string(),
                day(entry.date),
                self.field(&line.account),
                self.field(&line.account_label),
                self.field(line.aux_account.as_deref().unwrap_or_default()),
                self.field(line.aux_label.as_deref().unwrap_or_default()),
                self.field(&entry.piece_ref),
                day(entry.piece_date),
                self.field(&line.label),
                amount(line.debit),
                amount(line.credit),
                String::new(),
                String::new(),
                validated.map(day).unwrap_or_default(),
                String::new(),
                String::new(),
            ];
            writeln!(self.out, "{}", row.join(Self::separator(self.format)))?;
            self.summary.lines += 1;
        }
        self.summary.entries += 1;
        // The file's totals are the batch's: one checked sum for both.
        self.digest.add(entry).map_err(std::io::Error::other)?;
        self.summary.debit = self.digest.debit;
        self.summary.credit = self.digest.credit;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<ExportSummary> {
        self.out.flush()?;
        self.summary.digest = self.digest.finish();
        Ok(self.summary)
    }
}

/// Writes `entries` in `format` (see [`EntryWriter`]).
pub fn write_entries(
    out: &mut dyn Write,
    format: Format,
    plan: &AccountPlan,
    entries: impl IntoIterator<Item = ExportEntry>,
) -> std::io::Result<ExportSummary> {
    let mut writer = EntryWriter::new(out, format, plan)?;
    for entry in entries {
        writer.write(&entry)?;
    }
    writer.finish()
}

/// Which entries of the period an export takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Posted and pending: the books of the period as they stand (the FEC an auditor asks for).
    All,
    /// Only what the next posting would post: the batch of the posting dialog.
    Pending,
    /// One batch posted before, exactly as it was posted (the period is not read).
    Posted(uuid::Uuid),
}

/// Writes the company's entries of the period to `path` (through a `.part` file renamed
/// at the end: a failed export leaves no file).
pub fn export_entries_file(
    store: &crate::store::CompanyStore,
    format: Format,
    scope: Scope,
    from: Option<NaiveDate>,
    to: NaiveDate,
    path: &std::path::Path,
) -> Result<ExportSummary, crate::export::ExportError> {
    use crate::store::StoreError;
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    let plan = store.account_plan()?;
    let mut partial_name = path.as_os_str().to_owned();
    partial_name.push(".part");
    let partial = std::path::PathBuf::from(partial_name);
    let written = (|| -> Result<ExportSummary, crate::export::ExportError> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io)?);
        let mut writer = EntryWriter::new(&mut out, format, &plan).map_err(io)?;
        let mut write = |entry: ExportEntry| -> Result<(), crate::export::ExportError> {
            writer.write(&entry).map_err(|e| io(e).into())
        };
        match scope {
            Scope::All => store.for_each_export_entry((from, to), &mut write)?,
            Scope::Pending => store.for_each_pending_entry((from, to), |entry| {
                write(ExportEntry { number: entry.number.unwrap_or(0), entry, validated: None })
            })?,
            Scope::Posted(id) => {
                let posting = store.posting(id)?;
                let validated = Some(posting.posted_at.date_naive());
                for entry in posting.entries {
                    write(ExportEntry { number: entry.number.unwrap_or(0), entry, validated })?;
                }
            }
        }
        Ok(writer.finish().map_err(io)?)
    })();
    match written {
        Ok(summary) => {
            std::fs::rename(&partial, path).map_err(io)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}
