//! The audit trail as the copy keeps it (migration 0007): filtered pages for its screen,
//! a streaming walk for exports, and its integrity check.

use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, params_from_iter};
use uuid::Uuid;

use super::overview::audit_from_row;
use super::{CompanyStore, StoreError};
use crate::audit::{AuditRecord, TrailCheck, TrailError, TrailReport};
use crate::model::{Role, UserId};

/// Which audit records to show or export. Dates are days in UTC, both included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The actor's email, exactly.
    pub user_email: Option<String>,
    /// `create`, `update`, `issue`, `sign_in` …
    pub action: Option<String>,
    /// One record's history.
    pub entity_id: Option<Uuid>,
}

impl AuditFilter {
    /// ` AND …` clauses for this filter, and their values.
    fn clauses(&self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        if let Some(from) = self.from {
            sql.push_str(" AND at >= ?");
            values.push(Value::Text(from.to_string()));
        }
        if let Some(to) = self.to.and_then(|to| to.checked_add_days(Days::new(1))) {
            // Timestamps are RFC 3339 in UTC: the day after, as text, sorts after them all.
            sql.push_str(" AND at < ?");
            values.push(Value::Text(to.to_string()));
        }
        if let Some(email) = &self.user_email {
            sql.push_str(" AND user_email = ?");
            values.push(Value::Text(email.clone()));
        }
        if let Some(action) = &self.action {
            sql.push_str(" AND action = ?");
            values.push(Value::Text(action.clone()));
        }
        if let Some(id) = self.entity_id {
            sql.push_str(" AND entity_id = ?");
            values.push(Value::Blob(id.as_bytes().to_vec()));
        }
        (sql, values)
    }
}

/// What an audit record is about, as [`CompanyStore::record_label`] names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordLabel {
    Document { kind: crate::model::DocumentKind, number: Option<String> },
    Contact(String),
}

/// A member of the company as the Users screen lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberActivity {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Their latest record in the audit trail (an edit, a sign-in …), if any.
    pub last_activity: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "seq, at, user_id, user_email, action, entity, entity_id, changes, prev_hash, hash";

impl CompanyStore {
    /// What an audit record is about, for people: a document's kind and number (`None`
    /// while a draft), or a contact's name. `None` when the record is neither.
    pub fn record_label(&self, id: Uuid) -> Result<Option<RecordLabel>, StoreError> {
        let document: Option<(String, Option<String>)> = self
            .connection()
            .prepare_cached("SELECT kind, number FROM documents WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((kind, number)) = document {
            let kind = crate::model::DocumentKind::parse(&kind)
                .map_err(|e| super::company::corrupt("documents.kind", &kind, &e))?;
            return Ok(Some(RecordLabel::Document { kind, number }));
        }
        let contact: Option<String> = self
            .connection()
            .prepare_cached("SELECT name FROM contacts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(contact.map(RecordLabel::Contact))
    }

    /// The document numbered `number` (of any kind), for the trail's document filter.
    pub fn document_id_by_number(&self, number: &str) -> Result<Option<Uuid>, StoreError> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT id FROM documents
                 WHERE kind IN ('quote', 'invoice', 'credit_note', 'delivery_note') AND number = ?1 LIMIT 1",
            )?
            .query_row([number.trim()], |r| r.get(0))
            .optional()?)
    }

    /// The members, by email, each with their last action in the trail (one index probe
    /// each: `audit_by_user`).
    pub fn member_activity(&self) -> Result<Vec<MemberActivity>, StoreError> {
        let mut last = self
            .connection()
            .prepare_cached("SELECT at FROM audit_trail WHERE user_id = ?1 ORDER BY seq DESC LIMIT 1")?;
        self.members()?
            .into_iter()
            .map(|(user_id, email, display_name, role)| {
                let at: Option<String> = last.query_row([user_id.0], |r| r.get(0)).optional()?;
                let last_activity =
                    at.and_then(|at: String| DateTime::parse_from_rfc3339(&at).ok()).map(|at| at.to_utc());
                Ok(MemberActivity { user_id, email, display_name, role, last_activity })
            })
            .collect()
    }

    /// How many audit records the filter keeps.
    pub fn audit_count(&self, filter: &AuditFilter) -> Result<u64, StoreError> {
        let (clauses, values) = filter.clauses();
        let sql = format!("SELECT count(*) FROM audit_trail WHERE 1 = 1{clauses}");
        let n: i64 = self.connection().prepare_cached(&sql)?.query_row(params_from_iter(values), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A page of the filtered trail, newest first, before the record `before_seq` (the
    /// newest when `None`).
    pub fn audit_page(
        &self,
        filter: &AuditFilter,
        before_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (clauses, mut values) = filter.clauses();
        let mut sql = format!("SELECT {COLUMNS} FROM audit_trail WHERE 1 = 1{clauses}");
        if let Some(seq) = before_seq {
            sql.push_str(" AND seq < ?");
            values.push(Value::Integer(i64::try_from(seq).unwrap_or(i64::MAX)));
        }
        sql.push_str(" ORDER BY seq DESC LIMIT ?");
        values.push(Value::Integer(i64::from(limit)));
        let company = self.company_id();
        let mut stmt = self.connection().prepare_cached(&sql)?;
        stmt.query_map(params_from_iter(values), |row| Ok(audit_from_row(row, company)))?.map(|r| r?).collect()
    }

    /// A page of the filtered trail, newest first, from row `offset`.
    pub fn audit_page_at(&self, filter: &AuditFilter, offset: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let (clauses, mut values) = filter.clauses();
        let sql = format!("SELECT {COLUMNS} FROM audit_trail WHERE 1 = 1{clauses} ORDER BY seq DESC LIMIT ? OFFSET ?");
        values.push(Value::Integer(i64::from(limit)));
        values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let company = self.company_id();
        let mut stmt = self.connection().prepare_cached(&sql)?;
        stmt.query_map(params_from_iter(values), |row| Ok(audit_from_row(row, company)))?.map(|r| r?).collect()
    }

    /// Checks this copy's audit trail from its first record, and up to the head the
    /// server signed, with the server's key pinned at the first download (see
    /// [`crate::audit::check`]): what it holds when it passes, else the first failure
    /// (a record altered, removed or inserted, a missing tail, a rewritten chain, a forged
    /// head or a changed key).
    pub fn verify_audit_chain(&self) -> Result<Result<TrailReport, TrailError>, StoreError> {
        let head = self.audit_head()?;
        let pinned = self.server_key()?;
        let mut check = match TrailCheck::new(head.as_ref(), pinned.as_deref(), self.company_id()) {
            Ok(check) => check,
            Err(e) => return Ok(Err(e)),
        };
        let mut failed = None;
        self.for_each_audit(&AuditFilter::default(), |record| -> Result<bool, StoreError> {
            match check.next(&record) {
                Ok(()) => Ok(true),
                Err(e) => {
                    failed = Some(e);
                    Ok(false)
                }
            }
        })?;
        Ok(match failed {
            Some(e) => Err(e),
            None => check.finish(),
        })
    }

    /// Calls `each` on every record the filter keeps, oldest first, one at a time (an
    /// export of a million records holds one in memory). Stops early when `each` returns
    /// `Ok(false)`, or at its first error.
    pub fn for_each_audit<E: From<StoreError>>(
        &self,
        filter: &AuditFilter,
        mut each: impl FnMut(AuditRecord) -> Result<bool, E>,
    ) -> Result<(), E> {
        let (clauses, values) = filter.clauses();
        let sql = format!("SELECT {COLUMNS} FROM audit_trail WHERE 1 = 1{clauses} ORDER BY seq");
        let company = self.company_id();
        let mut stmt = self.connection().prepare(&sql).map_err(StoreError::from)?;
        let mut rows = stmt.query(params_from_iter(values)).map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            if !each(audit_from_row(row, company)?)? {
                break;
            }
        }
        Ok(())
    }

    /// The emails of everyone in the trail, for the user filter.
    pub fn audit_users(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt =
            self.connection().prepare_cached("SELECT DISTINCT user_email FROM audit_trail ORDER BY user_email")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
