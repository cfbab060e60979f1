//! The app-level file: accounts, server URL, and the companies on this machine with the
//! path of each one's file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::migrate::{self, APP_MIGRATIONS};
use super::{APP_APPLICATION_ID, Access, COMPANY_FILE_EXTENSION, CompanyStore, StoreError, open_connection};
use crate::model::{CompanyId, UserId};

/// A Comptoir account that signed in on this machine. Tokens are not kept here: they go
/// to the OS keychain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalAccount {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub server_url: String,
}

/// A company whose file is on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalCompany {
    pub company_id: CompanyId,
    pub account: Option<UserId>,
    pub name: String,
    pub file_path: PathBuf,
    pub active: bool,
}

/// An old copy of a company kept aside when the company was downloaded again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptCopy {
    pub company_id: CompanyId,
    pub path: PathBuf,
    pub kept_at: String,
    /// Its edits that had not reached the server.
    pub pending: u64,
    /// Its issued documents that the restored server numbered otherwise when their
    /// edits were sent again (see [`super::CompanyStore::replay_kept`]).
    pub renumbered: Vec<super::Renumbering>,
    /// Its edits the server before had applied and the restored server refused.
    pub refused: u64,
}

/// What is found at a company's recorded path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompanyFileCheck {
    /// The file is there and is this company's.
    Attached,
    /// No file at the recorded path: it was moved, renamed or deleted.
    Missing,
    /// A file is there, but it belongs to another company.
    OtherCompany { found: CompanyId },
    /// Something is there that is not a company file.
    NotACompanyFile,
}

#[derive(Debug)]
pub struct AppStore {
    conn: Connection,
}

impl AppStore {
    pub const FILE_NAME: &'static str = "comptoir-app.sqlite";
    const SERVER_URL: &'static str = "server_url";

    /// Opens (creating if needed) the app-level file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = open_connection(path, Access::ReadWrite, true)?;
        migrate::migrate(&mut conn, path, APP_MIGRATIONS, APP_APPLICATION_ID, None)?;
        Ok(Self { conn })
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    pub fn server_url(&self) -> Result<Option<String>, StoreError> {
        self.setting(Self::SERVER_URL)
    }

    pub fn set_server_url(&self, url: &str) -> Result<(), StoreError> {
        self.set_setting(Self::SERVER_URL, url)
    }

    /// The same server now answers at `to` instead of `from` (the embedded demo server on
    /// another port, say): the address the wizard proposes and every account signed in at
    /// `from` move to `to`, in one transaction. Sessions, companies and their files stay
    /// as they are, so nothing is downloaded again. Returns whether anything moved.
    pub fn move_server(&self, from: &str, to: &str) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let setting = tx.execute(
            "UPDATE settings SET value = ?3 WHERE key = ?1 AND value = ?2",
            params![Self::SERVER_URL, from, to],
        )?;
        let accounts = tx.execute("UPDATE accounts SET server_url = ?2 WHERE server_url = ?1", params![from, to])?;
        tx.commit()?;
        Ok(setting + accounts > 0)
    }

    pub fn upsert_account(&self, account: &LocalAccount) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO accounts (user_id, email, display_name, server_url, last_sign_in)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name,
                server_url = excluded.server_url, last_sign_in = excluded.last_sign_in",
            params![
                account.user_id.0,
                account.email,
                account.display_name,
                account.server_url,
                // Fixed width, so that the text sorts as the time does (`last_account`).
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ],
        )?;
        Ok(())
    }

    pub fn accounts(&self) -> Result<Vec<LocalAccount>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT user_id, email, display_name, server_url FROM accounts ORDER BY email")?;
        let rows = stmt.query_map([], |r| {
            Ok(LocalAccount {
                user_id: UserId(r.get(0)?),
                email: r.get(1)?,
                display_name: r.get(2)?,
                server_url: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The account that signed in last on this machine: the one start-up resumes.
    pub fn last_account(&self) -> Result<Option<LocalAccount>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT user_id, email, display_name, server_url FROM accounts
                 ORDER BY last_sign_in IS NULL, last_sign_in DESC, email LIMIT 1",
                [],
                |r| {
                    Ok(LocalAccount {
                        user_id: UserId(r.get(0)?),
                        email: r.get(1)?,
                        display_name: r.get(2)?,
                        server_url: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Forgets an account; its companies' files stay, detached from it.
    pub fn remove_account(&self, user: UserId) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM accounts WHERE user_id = ?1", [user.0])?;
        Ok(())
    }

    /// Records (or updates) a company and the path of its file.
    pub fn upsert_company(&self, company: &LocalCompany) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO local_companies (company_id, account_user_id, name, file_path, active)
             VALUES (?1, ?2, ?3, ?4, 0)
             ON CONFLICT (company_id) DO UPDATE SET account_user_id = excluded.account_user_id,
                name = excluded.name, file_path = excluded.file_path",
            params![company.company_id.0, company.account.map(|u| u.0), company.name, path_text(&company.file_path)],
        )?;
        if company.active {
            self.set_active_company(company.company_id)?;
        }
        Ok(())
    }

    pub fn companies(&self) -> Result<Vec<LocalCompany>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT company_id, account_user_id, name, file_path, active FROM local_companies ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LocalCompany {
                company_id: CompanyId(r.get(0)?),
                account: r.get::<_, Option<Uuid>>(1)?.map(UserId),
                name: r.get(2)?,
                file_path: PathBuf::from(r.get::<_, String>(3)?),
                active: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn company(&self, id: CompanyId) -> Result<LocalCompany, StoreError> {
        self.companies()?.into_iter().find(|c| c.company_id == id).ok_or(StoreError::NotFound { entity: "company" })
    }

    pub fn active_company(&self) -> Result<Option<LocalCompany>, StoreError> {
        Ok(self.companies()?.into_iter().find(|c| c.active))
    }

    /// Makes `id` the one active company.
    pub fn set_active_company(&self, id: CompanyId) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("UPDATE local_companies SET active = 0 WHERE active = 1", [])?;
        let changed = tx.execute(
            "UPDATE local_companies SET active = 1, last_opened = ?2 WHERE company_id = ?1",
            params![id.0, chrono::Utc::now().to_rfc3339()],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { entity: "company" });
        }
        tx.commit()?;
        Ok(())
    }

    /// Records an old copy of `company` kept aside at `path`, holding `pending` edits the
    /// server never had, the documents the restored server numbered otherwise, and how
    /// many edits it refused that the server before had applied.
    pub fn keep_copy(
        &self,
        company: CompanyId,
        path: &Path,
        pending: u64,
        renumbered: &[super::Renumbering],
        refused: u64,
    ) -> Result<(), StoreError> {
        let renumbered = serde_json::to_string(renumbered).map_err(|e| StoreError::Corrupt {
            column: "kept_copies.renumbered",
            value: String::new(),
            reason: e.to_string(),
        })?;
        self.conn.execute(
            "INSERT INTO kept_copies (path, company_id, kept_at, pending, renumbered, refused)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (path) DO UPDATE SET company_id = excluded.company_id, kept_at = excluded.kept_at,
                pending = excluded.pending, renumbered = excluded.renumbered, refused = excluded.refused",
            params![
                path_text(path),
                company.0,
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                i64::try_from(pending).unwrap_or(i64::MAX),
                renumbered,
                i64::try_from(refused).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(())
    }

    /// The old copies of `company` kept aside that the user has not dismissed, newest first.
    pub fn kept_copies(&self, company: CompanyId) -> Result<Vec<KeptCopy>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT company_id, path, kept_at, pending, renumbered, refused FROM kept_copies WHERE company_id = ?1
             ORDER BY kept_at DESC",
        )?;
        let rows = stmt.query_map([company.0], |r| {
            Ok((
                KeptCopy {
                    company_id: CompanyId(r.get(0)?),
                    path: PathBuf::from(r.get::<_, String>(1)?),
                    kept_at: r.get(2)?,
                    pending: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    renumbered: Vec::new(),
                    refused: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                },
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (mut copy, renumbered) = row?;
            copy.renumbered = serde_json::from_str(&renumbered).map_err(|e| StoreError::Corrupt {
                column: "kept_copies.renumbered",
                value: renumbered.chars().take(80).collect(),
                reason: e.to_string(),
            })?;
            Ok(copy)
        })
        .collect()
    }

    /// The user has seen the kept copy at `path`: the app stops showing it (the file stays).
    pub fn forget_kept_copy(&self, path: &Path) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM kept_copies WHERE path = ?1", [path_text(path)])?;
        Ok(())
    }

    /// Whether the company's recorded file is still there and still its own.
    pub fn check_company_file(&self, id: CompanyId) -> Result<CompanyFileCheck, StoreError> {
        let company = self.company(id)?;
        // A copy of the server's that was replacing the file when a crash stopped it: the
        // move ends first (a failure is not "the file is missing": the copy beside it, with
        // this device's edits, is the company's file).
        super::company::finish_take_over(&company.file_path)?;
        if !company.file_path.exists() {
            return Ok(CompanyFileCheck::Missing);
        }
        Ok(match CompanyStore::identify(&company.file_path) {
            Ok(info) if info.company_id == id => CompanyFileCheck::Attached,
            Ok(info) => CompanyFileCheck::OtherCompany { found: info.company_id },
            Err(_) => CompanyFileCheck::NotACompanyFile,
        })
    }

    /// Looks for the company's file under `folders` (and one level of sub-folders),
    /// recognising it by the company id inside it whatever its name.
    pub fn find_company_file(&self, id: CompanyId, folders: &[&Path]) -> Result<Option<PathBuf>, StoreError> {
        for folder in folders {
            let mut candidates = Vec::new();
            collect_company_files(folder, 1, &mut candidates)?;
            candidates.sort();
            for candidate in candidates {
                if CompanyStore::identify(&candidate).is_ok_and(|info| info.company_id == id) {
                    return Ok(Some(candidate));
                }
            }
        }
        Ok(None)
    }

    /// Points the company at `new_path`, after checking the file there is its own.
    pub fn relink_company(&self, id: CompanyId, new_path: &Path) -> Result<(), StoreError> {
        let found = CompanyStore::identify(new_path)?.company_id;
        if found != id {
            return Err(StoreError::WrongCompanyFile { path: new_path.to_path_buf(), expected: id, found });
        }
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute(
            "UPDATE local_companies SET file_path = ?2 WHERE company_id = ?1",
            params![id.0, path_text(new_path)],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound { entity: "company" });
        }
        tx.commit()?;
        Ok(())
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn collect_company_files(folder: &Path, depth: u32, out: &mut Vec<PathBuf>) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(StoreError::Io { path: folder.to_path_buf(), source }),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth > 0 {
                collect_company_files(&path, depth - 1, out)?;
            }
        } else if path.extension().is_some_and(|e| e == COMPANY_FILE_EXTENSION) {
            out.push(path);
        }
    }
    Ok(())
}
