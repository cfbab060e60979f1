//! [`StorageTx`] on SQLite: one `BEGIN IMMEDIATE … COMMIT` on the storage's connection,
//! which spans accounts, memberships and every company's log. The company and member
//! queries live here, shared by the one-call methods of [`super::SqliteStorage`].

use comptoir_core::model::{CompanyId, Role, UserId};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};
use uuid::Uuid;

use super::{company_from_row, insert_user, parse_role, select_user, time_text};
use crate::storage::{
    CompanyRecord, CompanyTx, LogState, MemberRecord, MoveRecord, StorageError, StorageTx, UserRecord,
};

/// A storage transaction on SQLite; it commits when the work that got it returns `Ok`.
pub(super) struct SqliteStorageTx<'t> {
    pub tx: &'t Transaction<'t>,
    /// Seals and opens the accounts' two-factor secrets.
    pub key: &'t crate::server_key::ServerKey,
}

impl StorageTx for SqliteStorageTx<'_> {
    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>, StorageError> {
        select_user(self.tx, self.key, "email", &email)
    }

    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        select_user(self.tx, self.key, "id", &id.0)
    }

    fn create_user(&mut self, user: &UserRecord) -> Result<(), StorageError> {
        insert_user(self.tx, self.key, user)
    }

    fn company(&mut self, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError> {
        company(self.tx, id)
    }

    fn companies(&mut self) -> Result<Vec<CompanyRecord>, StorageError> {
        companies(self.tx)
    }

    fn create_company(&mut self, company: &CompanyRecord, epoch: Uuid) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO companies (id, name, country, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![company.id.0, company.name, company.country, time_text(company.created_at)],
        )?;
        self.tx.execute(
            "INSERT INTO logs (company_id, epoch, audit_hash) VALUES (?1, ?2, ?3)",
            params![company.id.0, epoch, comptoir_core::audit::GENESIS_HASH],
        )?;
        Ok(())
    }

    fn set_epoch(&mut self, company: CompanyId, epoch: Uuid) -> Result<(), StorageError> {
        let changed = self.tx.execute("UPDATE logs SET epoch = ?2 WHERE company_id = ?1", params![company.0, epoch])?;
        if changed == 0 { Err(StorageError::NotFound("company")) } else { Ok(()) }
    }

    fn moved(&mut self, company: CompanyId) -> Result<Option<MoveRecord>, StorageError> {
        super::company_copy::moved(self.tx, company)
    }

    fn set_moved(&mut self, company: CompanyId, moved: Option<&MoveRecord>) -> Result<(), StorageError> {
        super::company_copy::set_moved(self.tx, company, moved)
    }

    fn import_company(&mut self, company: &CompanyRecord, state: &LogState) -> Result<(), StorageError> {
        super::company_copy::import(self.tx, company, state)
    }

    fn delete_company(&mut self, company: CompanyId) -> Result<(), StorageError> {
        super::company_copy::delete(self.tx, company)
    }

    fn members(&mut self, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError> {
        members(self.tx, company)
    }

    fn set_member(&mut self, company: CompanyId, user: UserId, role: Role) -> Result<(), StorageError> {
        let had_owner = ensure_an_owner(self.tx, company).is_ok();
        self.tx.execute(
            "INSERT INTO members (company_id, user_id, role) VALUES (?1, ?2, ?3)
             ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role",
            params![company.0, user.0, role.as_str()],
        )?;
        // A company that has an owner never loses its last one.
        if had_owner {
            ensure_an_owner(self.tx, company)?;
        }
        Ok(())
    }

    fn remove_member(&mut self, company: CompanyId, user: UserId) -> Result<(), StorageError> {
        let removed = self
            .tx
            .execute("DELETE FROM members WHERE company_id = ?1 AND user_id = ?2", params![company.0, user.0])?;
        if removed == 0 {
            return Err(StorageError::NotFound("member"));
        }
        ensure_an_owner(self.tx, company)
    }

    fn in_company(
        &mut self,
        company: CompanyId,
        work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        super::in_company(self.tx, company, work)
    }
}

pub(super) fn company(conn: &Connection, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError> {
    conn.query_row("SELECT id, name, country, created_at FROM companies WHERE id = ?1", [id.0], |row| {
        Ok(company_from_row(row))
    })
    .optional()?
    .transpose()
}

pub(super) fn companies(conn: &Connection) -> Result<Vec<CompanyRecord>, StorageError> {
    let mut stmt = conn.prepare("SELECT id, name, country, created_at FROM companies ORDER BY name, id")?;
    let rows = stmt.query_map([], |row| Ok(company_from_row(row)))?;
    rows.map(|r| r?).collect()
}

pub(super) fn members(conn: &Connection, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT u.id, u.email, u.display_name, m.role FROM members m JOIN users u ON u.id = m.user_id
         WHERE m.company_id = ?1 ORDER BY u.email",
    )?;
    let rows = stmt.query_map([company.0], |r| {
        Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    rows.map(|row| {
        let (id, email, display_name, role) = row?;
        Ok(MemberRecord { user_id: UserId(id), email, display_name, role: parse_role(&role)? })
    })
    .collect()
}

/// Fails with [`StorageError::LastOwner`] when `company` has no owner left.
fn ensure_an_owner(conn: &Connection, company: CompanyId) -> Result<(), StorageError> {
    let owners: i64 =
        conn.query_row("SELECT count(*) FROM members WHERE company_id = ?1 AND role = 'owner'", [company.0], |r| {
            r.get(0)
        })?;
    if owners == 0 { Err(StorageError::LastOwner) } else { Ok(()) }
}
