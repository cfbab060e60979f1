//! A company's own file: the company, its numbering series, members, contacts, articles,
//! documents and payments.
//!
//! - `copy`: a whole file sent to a new device, and its checks there;
//! - `opening`: creating, opening and identifying a file;
//! - `reading`: the read queries of an open file;
//! - `writing`: its write transaction ([`WriteTx`]);
//! - `rows`: mapping its rows to model types.

mod copy;
mod opening;
mod reading;
mod rows;
mod writing;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::migrate::{self, MigrationReport};
use super::{Access, StoreError};
use crate::model::{CompanyId, UserId};

pub(crate) use copy::take_over_pending;
pub use copy::{
    CopyInfo, adopt_copy, check_copy, finish_take_over, received_path, remove_company_file, remove_with_sides,
};
pub use reading::OpenInvoice;
pub(super) use rows::{
    ARTICLE_COLUMNS, COMPANY_COLUMNS, CONTACT_COLUMNS, article_from_row, company_from_row, contact_from_row,
    read_document, read_logo, read_payment, read_series,
};
pub(crate) use rows::{corrupt, parse_date};
pub use writing::WriteTx;
pub(crate) use writing::{DocumentColumns, Write, save_series, write_company, write_logo};

/// What a company file says about itself, read without migrating or locking it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyFileInfo {
    pub company_id: CompanyId,
    pub legal_name: String,
    pub schema_version: u32,
}

/// Row count of a table, for support and comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableStats {
    pub count: u64,
}

/// An open company file.
#[derive(Debug)]
pub struct CompanyStore {
    conn: Connection,
    path: PathBuf,
    company_id: CompanyId,
    access: Access,
    migration: Option<MigrationReport>,
    /// Rows wait in `search_pending` instead of being indexed at each commit (see
    /// [`Self::defer_search_indexing`]).
    search_deferred: bool,
    /// The account whose edits this connection makes and sends (see
    /// [`Self::set_author`]).
    author: Option<UserId>,
}

impl CompanyStore {
    pub fn company_id(&self) -> CompanyId {
        self.company_id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening the file did to its schema (`None` for new or read-only files).
    pub fn migration(&self) -> Option<&MigrationReport> {
        self.migration.as_ref()
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::schema_version(&self.conn)
    }

    /// The underlying connection, for queries this type does not offer yet.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, to install a hook on it (the simulation's crash in the middle of
    /// a write stops a statement from a progress handler).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The account signed in on this copy: the edits submitted from now on are its own,
    /// and only its edits (and those of no recorded author) are sent to the server.
    /// `None`: nobody is known; only edits of no recorded author go.
    pub fn set_author(&mut self, author: Option<UserId>) {
        self.author = author;
    }

    pub fn author(&self) -> Option<UserId> {
        self.author
    }

    /// Sets the page cache of this connection (64 MiB when opened).
    pub fn set_cache_mib(&self, mib: u32) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -i64::from(mib) * 1024)?;
        Ok(())
    }

    /// Sorts and temporary tables too large for the page cache spill to a temporary
    /// file rather than the process's memory (`temp_store=FILE`; a connection is opened
    /// with them in memory). For a reader whose grouped queries cross a million rows.
    pub fn spill_temporary_to_disk(&self) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "temp_store", "FILE")?;
        Ok(())
    }

    /// While on, commits are not flushed to the disk one by one (`synchronous=NORMAL`)
    /// and the write-ahead log grows to 16,384 pages (128 MiB in a file made with 8 KiB
    /// pages, 64 MiB in an older one) before it is copied into the file: for
    /// the pages of a first download, which the server still holds. A commit stays
    /// atomic; a power cut may lose the last pages written, and the download fetches
    /// them again. Off (`synchronous=FULL`, the default checkpoint), every commit is on
    /// the disk when it returns, and so is every commit before it: an edit is never
    /// written while it is on.
    pub fn set_bulk_load(&self, on: bool) -> Result<(), StoreError> {
        let (synchronous, checkpoint_pages) = if on { ("NORMAL", 16_384) } else { ("FULL", 1_000) };
        self.conn.pragma_update(None, "synchronous", synchronous)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", checkpoint_pages)?;
        Ok(())
    }
}
