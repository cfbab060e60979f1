use std::path::PathBuf;

use thiserror::Error;

use crate::model::{CompanyId, ModelError};

/// What can go wrong with a local file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A business rule refused the change; nothing was written.
    #[error(transparent)]
    Rule(#[from] ModelError),
    /// One of the intent rules the server also applies refused the change (see
    /// [`crate::sync::rules`]); nothing was written.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("The article code “{code}” is already used by another article.")]
    DuplicateArticleCode { code: String },
    #[error("The number “{number}” is already used by another document.")]
    DuplicateNumber { number: String },
    #[error("This record already exists.")]
    AlreadyExists,
    #[error("The {entity} was not found.")]
    NotFound { entity: &'static str },
    #[error("The file {path} already exists; it was not overwritten.")]
    FileExists { path: PathBuf },
    #[error("Could not open {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("{path} is not a Comptoir company file.")]
    NotACompanyFile { path: PathBuf },
    #[error("{path} belongs to company {found}, not to company {expected}.")]
    WrongCompanyFile { path: PathBuf, expected: CompanyId, found: CompanyId },
    #[error(
        "{path} was written by a newer version of Comptoir (schema {found}, this version knows up to {supported})."
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error("Could not back up {path} before upgrading it: {source}")]
    Backup { path: PathBuf, source: rusqlite::Error },
    #[error("Upgrading the file to schema version {version} failed: {source}")]
    Migration { version: u32, source: rusqlite::Error },
    #[error("The stored value “{value}” of {column} is invalid: {reason}")]
    Corrupt { column: &'static str, value: String, reason: String },
    #[error("This file is open read-only.")]
    ReadOnly,
    #[error("The server's data was rebuilt since this copy was made: the company must be downloaded again.")]
    EpochChanged,
    #[error("The page does not follow this copy's cursor (it starts after {page_after}, the copy is at {cursor}).")]
    PageOutOfOrder { cursor: u64, page_after: u64 },
    #[error("The snapshot page does not follow where this copy's download stands.")]
    SnapshotOutOfOrder,
    /// A record the server sent that this version of Comptoir cannot read.
    #[error("This version of Comptoir cannot read the server's {kind} {id}: {reason}")]
    RecordUnreadable { kind: &'static str, id: uuid::Uuid, reason: String },
    /// A company file sent whole (see [`crate::store::adopt_copy`]) failed one of its
    /// checks; nothing was taken from it.
    #[error("The company's copy sent by the server was refused ({check}): {detail}")]
    CopyRefused { check: &'static str, detail: String },
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("Database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// A stable code, like [`ModelError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rule(rule) => rule.code(),
            Self::Refused { code, .. } => code,
            Self::DuplicateArticleCode { .. } => "article_code_taken",
            Self::DuplicateNumber { .. } => "number_taken",
            Self::AlreadyExists => "already_exists",
            Self::NotFound { .. } => "not_found",
            Self::FileExists { .. } => "file_exists",
            Self::Open { .. } => "file_open_failed",
            Self::NotACompanyFile { .. } => "not_a_company_file",
            Self::WrongCompanyFile { .. } => "wrong_company_file",
            Self::NewerSchema { .. } => "file_from_newer_version",
            Self::Backup { .. } => "backup_failed",
            Self::Migration { .. } => "migration_failed",
            Self::Corrupt { .. } => "file_corrupt",
            Self::ReadOnly => "read_only",
            Self::EpochChanged => "epoch_changed",
            Self::CopyRefused { .. } => "copy_refused",
            Self::PageOutOfOrder { .. } => "page_out_of_order",
            Self::SnapshotOutOfOrder => "snapshot_out_of_order",
            Self::RecordUnreadable { .. } => "record_unreadable",
            Self::Io { .. } => "io_error",
            Self::Sqlite(_) => "database_error",
        }
    }
}
