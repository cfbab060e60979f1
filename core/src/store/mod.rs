//! The local `SQLite` files.
//!
//! - One file per company ([`CompanyStore`], extension `.comptoir`), recording the
//!   company's UUID inside it so that a moved or renamed file is recognised.
//! - One small app-level file ([`AppStore`]): accounts, server URL, the companies on
//!   this machine and where their files are.
//!
//! Files run in WAL mode with `synchronous=FULL` and foreign keys on. Their schema is
//! versioned (`PRAGMA user_version`) by the SQL files under `migrations/`, each applied
//! in its own transaction; an existing file is copied aside before it is migrated.
//!
//! Writes go through [`CompanyStore::write`], one transaction per call, so that a record
//! and whatever must change with it (later: its outbox entry) commit together.

mod app;
mod company;
mod error;
mod held;
mod ledger;
mod list;
mod local;
mod mail;
pub mod migrate;
mod outbox;
mod overview;
mod replica;
mod search;
mod signed_head;
mod text;
mod trail;

#[cfg(test)]
mod kept_tests;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use app::{AppStore, CompanyFileCheck, KeptCopy, LocalAccount, LocalCompany};
pub(crate) use company::take_over_pending;
pub use company::{
    CompanyFileInfo, CompanyStore, CopyInfo, OpenInvoice, TableStats, WriteTx, adopt_copy, check_copy,
    finish_take_over, received_path, remove_company_file, remove_with_sides,
};
pub use error::StoreError;
pub use held::HeldRecord;
pub use ledger::PostingSummary;
pub use list::{Cursor, DocumentFilter, DocumentRow, DocumentSort, Page, PageRequest, SortDirection};
pub use local::Rebase;
pub use mail::{DocumentMail, MAX_TEMPLATE_BODY, MailState, QueuedMail};
pub use migrate::{COMPANY_SCHEMA_VERSION, MigrationReport};
pub use outbox::{KEPT_DAYS, KEPT_MAX, PendingEdit, RejectedMutation, Renumbering, WaitingEdits};
pub use overview::{
    AgeBucket, AgedReceivables, CustomerDue, Dashboard, DashboardCharts, MonthSales, PaymentRow, TOP_CUSTOMERS,
};
pub use replica::{PreparedPage, PreparedSnapshot};
pub use search::{SearchHit, SearchKind};
pub use signed_head::KeyPin;
pub use text::fold_for_sort;
pub use trail::{AuditFilter, MemberActivity, RecordLabel};

/// `PRAGMA application_id` of company files ("CMPT"), so that a scan for moved files
/// only considers Comptoir company files.
pub const COMPANY_APPLICATION_ID: i32 = 0x434D_5054;
/// `PRAGMA application_id` of the app-level file ("CMPA").
pub const APP_APPLICATION_ID: i32 = 0x434D_5041;
/// The extension of company files.
pub const COMPANY_FILE_EXTENSION: &str = "comptoir";

/// Whether a connection may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// For the UI: it reads the rows it shows, the engine writes.
    ReadOnly,
}

/// Statements each connection keeps prepared (see [`open_connection`]).
const STATEMENT_CACHE: usize = 64;

/// The page size of the files Comptoir creates, in bytes: twice SQLite's default. A
/// first download writes fewer, fuller B-tree pages, and builds its indexes and commits
/// its pages in about half the time (126k records: the index builds 1.8–2.0 s → 0.8–1.0 s,
/// the commits 1.45 s → 0.9 s; `first_download` benchmark). A file keeps the page size it
/// was made with: files made before keep 4 KiB.
const PAGE_SIZE: u32 = 8_192;

/// Whether reading through `conn` (a read-only connection) meets a hot rollback journal
/// it may not roll back (`SQLITE_READONLY_ROLLBACK`).
fn has_hot_journal(conn: &Connection) -> bool {
    matches!(
        conn.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0)),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.extended_code == rusqlite::ffi::SQLITE_READONLY_ROLLBACK
    )
}

/// Opens a connection with the pragmas every Comptoir file uses.
fn open_connection(path: &Path, access: Access, create: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    flags |= match access {
        Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
        Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    };
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags)
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    if access == Access::ReadOnly && has_hot_journal(&conn) {
        // A writer killed in the middle of a rollback-journal transaction (switching the
        // file to WAL, say) left a journal that only a writer may roll back: done once
        // here, as the next writer would, then read as asked.
        tracing::info!(path = %path.display(), "rolling back what a killed writer left, before reading");
        drop(conn);
        let writer =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        writer.busy_timeout(Duration::from_secs(5))?;
        writer.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0))?;
        drop(writer);
        conn = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        conn.busy_timeout(Duration::from_secs(5))?;
    }
    if create {
        // Before anything is written (WAL included): an existing file keeps its own.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    }
    if access == Access::ReadWrite {
        // WAL lets the UI read while the engine writes; FULL makes each commit durable.
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Plans that do not depend on the values bound. Without it, SQLite compiled a
    // statement again at every run when a bound value might have picked another plan
    // (the ledger's payer lookup, a UNION over a table with partial indexes, was parsed
    // and planned for each payment: 28 µs of 30). Comptoir never runs ANALYZE, so no
    // plan here gains from the values, and no query binds what a partial index's
    // condition tests.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Statement journals and temporary indexes in memory, not in temporary files.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 64 MiB of page cache: list screens and bulk downloads stay in memory.
    conn.pragma_update(None, "cache_size", -65_536)?;
    // Each record kind a download writes takes a few statements, and the ledger derived
    // as it goes a few more: rusqlite's 16 were not enough, and every record prepared
    // some of its statements again (the SQL parser showed in the profile).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
