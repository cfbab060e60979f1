//! Contacts and articles from a spreadsheet saved as CSV: how a business leaves its old
//! tool.
//!
//! The steps, each pure and testable: [`read_file`] (at most [`MAX_FILE_BYTES`]),
//! [`decode`] (UTF-8 with or without its mark, else Windows-1252), [`parse`] (RFC 4180
//! with the separator guessed from the header, at most [`MAX_ROWS`] rows),
//! [`guess_mapping`] (the headers, in French, Dutch or English), then [`check`]: every
//! row becomes a record checked by the model's own rules, or a refusal with its line
//! number and a stable code, or "already there" when its natural key is in the company
//! ([`ExistingKeys`]) or earlier in the file. What is ready is sent as the ordinary
//! `create_contact` / `create_article` intents, so the server checks it again.
//!
//! Natural keys: an article's code, case aside (as the server's uniqueness rule); a
//! contact's VAT number, else its email, case aside; a contact with neither is known by
//! its name and postcode, accents and case aside, so that importing the same file again
//! never creates it twice.

mod decode;
mod mapping;
mod rows;
mod sheet;

use std::io::Read as _;
use std::path::Path;

use thiserror::Error;

pub use decode::{Encoding, decode};
pub use mapping::{Field, Mapping, guess_mapping, squash};
pub use rows::{ExistingKeys, ImportOptions, NewRecord, Outcome, Refusal, Report, RowReport, check, parse_number};
pub use sheet::{Sheet, SheetRow, detect_separator, parse};

/// A file larger than this is refused before it is read: 10 MB.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// At most this many rows under the header.
pub const MAX_ROWS: usize = 100_000;
/// At most this many columns.
pub const MAX_COLUMNS: usize = 200;
/// A payment term is 0 to this many days.
pub const MAX_PAYMENT_TERMS_DAYS: u16 = 365;
/// A phone number is at most this many characters.
pub const MAX_PHONE_CHARS: usize = 40;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportKind {
    Contacts,
    Articles,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Articles => "articles",
        }
    }
}

/// Why one record of the file could not be read as cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// A quote opened and never closed, or text after a closing quote.
    UnbalancedQuotes,
    /// More cells than [`MAX_COLUMNS`].
    TooManyCells { max: usize },
}

impl RowProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::UnbalancedQuotes => "import_unbalanced_quotes",
            Self::TooManyCells { .. } => "import_too_many_cells",
        }
    }

    pub fn message(self) -> String {
        match self {
            Self::UnbalancedQuotes => "Its quotes do not balance: a quote opens a cell and never closes it.".into(),
            Self::TooManyCells { max } => format!("It has more than {max} cells."),
        }
    }
}

/// Why a file cannot be imported at all. Nothing was changed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("The file could not be read: {0}")]
    Read(#[from] std::io::Error),
    #[error("The file is too large ({bytes} bytes): 10 MB at most.")]
    TooLarge { bytes: u64 },
    #[error("The file is empty.")]
    Empty,
    #[error("The file is not text (a spreadsheet saved as .xlsx or .ods?): save it as CSV.")]
    NotText,
    #[error("The file is in UTF-16: save it as “CSV UTF-8”.")]
    Utf16,
    #[error("The file's header (line {line}) cannot be read: {}", problem.message())]
    BadHeader { line: usize, problem: RowProblem },
    #[error("The file has a header and no rows.")]
    NoRows,
    #[error("The file has more than {max} rows: split it.")]
    TooManyRows { max: usize },
    #[error("No column is chosen for “{}”.", field.id())]
    MissingColumn { field: Field },
}

impl ImportError {
    /// The stable code (the app's messages are `import-error-<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read(_) => "import_read",
            Self::TooLarge { .. } => "import_too_large",
            Self::Empty => "import_empty",
            Self::NotText => "import_not_text",
            Self::Utf16 => "import_utf16",
            Self::BadHeader { .. } => "import_bad_header",
            Self::NoRows => "import_no_rows",
            Self::TooManyRows { .. } => "import_too_many_rows",
            Self::MissingColumn { .. } => "import_column_missing",
        }
    }
}

/// Reads a file's bytes, refusing one over [`MAX_FILE_BYTES`] before reading it (and
/// one that grows past it while read).
pub fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    let file = std::fs::File::open(path)?;
    let bytes = file.metadata()?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { bytes });
    }
    let mut content = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut content)?;
    if content.len() as u64 > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { bytes: content.len() as u64 });
    }
    Ok(content)
}

/// Bytes to a [`Sheet`]: decoded, then parsed.
pub fn read_sheet(bytes: &[u8]) -> Result<Sheet, ImportError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { bytes: bytes.len() as u64 });
    }
    let (text, encoding) = decode(bytes)?;
    parse(&text, encoding)
}

#[cfg(test)]
mod tests;
