//! Creating, opening and identifying a company file: its application id, its company
//! id and its schema migration.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use uuid::Uuid;

use super::writing::{Write, save_series, write_company, write_company_columns, write_legal_mentions};
use super::{CompanyFileInfo, CompanyStore};
use crate::model::{Company, CompanyId, DocumentKind, NumberingSeries};
use crate::store::migrate::{self, COMPANY_MIGRATIONS};
use crate::store::{Access, COMPANY_APPLICATION_ID, StoreError, open_connection};

impl CompanyStore {
    /// Creates the file for `company` with the default numbering series. Refuses to
    /// overwrite an existing file.
    pub fn create(path: &Path, company: &Company) -> Result<Self, StoreError> {
        company.validate()?;
        Self::create_at_schema(path, company, None)
    }

    /// Creates the file of a company being downloaded from the server, from its settings
    /// as the server holds them (the server is the authority; an owner may not have filled
    /// in the address yet).
    pub fn create_for_download(path: &Path, company: &Company) -> Result<Self, StoreError> {
        Self::create_at_schema(path, company, None)
    }

    /// [`Self::create`] at an older schema version: how tests make the files an older
    /// Comptoir wrote.
    pub(crate) fn create_at_schema(path: &Path, company: &Company, version: Option<u32>) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::FileExists { path: path.to_path_buf() });
        }
        // Made whole under another name, then renamed into place: a process killed while
        // it creates the file leaves nothing that looks like a company file and is not.
        let creating = PathBuf::from(format!("{}.creating", path.display()));
        for side in ["", "-wal", "-shm"] {
            // What a killed attempt left.
            let _ = std::fs::remove_file(format!("{}{side}", creating.display()));
        }
        let mut conn = open_connection(&creating, Access::ReadWrite, true)?;
        migrate::migrate(&mut conn, &creating, COMPANY_MIGRATIONS, COMPANY_APPLICATION_ID, version)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match version {
            Some(v) if v < 11 => write_company_columns(&tx, company, Write::Insert)?,
            Some(v) if v < 23 => write_legal_mentions(&tx, company, Write::Insert)?,
            _ => write_company(&tx, company, Write::Insert)?,
        }
        for kind in DocumentKind::ALL {
            save_series(&tx, &NumberingSeries::default_for(kind))?;
        }
        tx.commit()?;
        // One file, without a WAL beside it, is what moves.
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.close().map_err(|(_, e)| e)?;
        std::fs::rename(&creating, path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
        let conn = open_connection(path, Access::ReadWrite, false)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            company_id: company.id,
            access: Access::ReadWrite,
            migration: None,
            search_deferred: false,
            author: None,
        })
    }

    /// Opens an existing company file for writing, upgrading its schema if needed (after
    /// taking a backup copy).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        // A copy of the server's that was replacing this file when a crash stopped it.
        if super::copy::finish_take_over(path)? {
            tracing::info!(path = %path.display(), "ended a copy's take-over that a crash had stopped");
        }
        if !path.exists() {
            return Err(StoreError::NotACompanyFile { path: path.to_path_buf() });
        }
        let mut conn = open_connection(path, Access::ReadWrite, false)?;
        check_application_id(&conn, path)?;
        let report = migrate::migrate(&mut conn, path, COMPANY_MIGRATIONS, COMPANY_APPLICATION_ID, None)?;
        let company_id = read_company_id(&conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            company_id,
            access: Access::ReadWrite,
            migration: Some(report),
            search_deferred: false,
            author: None,
        })
    }

    /// Opens a file and checks it belongs to `expected`.
    pub fn open_expecting(path: &Path, expected: CompanyId) -> Result<Self, StoreError> {
        let found = Self::identify(path)?.company_id;
        if found != expected {
            return Err(StoreError::WrongCompanyFile { path: path.to_path_buf(), expected, found });
        }
        Self::open(path)
    }

    /// Opens the file for reading only: the UI's connection.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = open_connection(path, Access::ReadOnly, false)?;
        check_application_id(&conn, path)?;
        let company_id = read_company_id(&conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            company_id,
            access: Access::ReadOnly,
            migration: None,
            search_deferred: false,
            author: None,
        })
    }

    /// Reads which company a file belongs to, without changing it (but for ending a
    /// copy's take-over that a crash stopped, see [`Self::take_over`]).
    pub fn identify(path: &Path) -> Result<CompanyFileInfo, StoreError> {
        // A copy of the server's that was replacing this file when a crash stopped it
        // (the one change made here).
        super::copy::finish_take_over(path)?;
        if !path.is_file() {
            return Err(StoreError::NotACompanyFile { path: path.to_path_buf() });
        }
        let conn = open_connection(path, Access::ReadOnly, false)?;
        check_application_id(&conn, path)?;
        let (id, legal_name): (Uuid, String) = conn
            .query_row("SELECT id, legal_name FROM company WHERE singleton = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|_| StoreError::NotACompanyFile { path: path.to_path_buf() })?
            .ok_or_else(|| StoreError::NotACompanyFile { path: path.to_path_buf() })?;
        Ok(CompanyFileInfo { company_id: CompanyId(id), legal_name, schema_version: migrate::schema_version(&conn)? })
    }
}

fn check_application_id(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|_| StoreError::NotACompanyFile { path: path.to_path_buf() })?;
    if id == COMPANY_APPLICATION_ID { Ok(()) } else { Err(StoreError::NotACompanyFile { path: path.to_path_buf() }) }
}

fn read_company_id(conn: &Connection, path: &Path) -> Result<CompanyId, StoreError> {
    conn.query_row("SELECT id FROM company WHERE singleton = 1", [], |r| r.get::<_, Uuid>(0))
        .optional()?
        .map(CompanyId)
        .ok_or_else(|| StoreError::NotACompanyFile { path: path.to_path_buf() })
}
