//! A copy's own edits: applied at once with the rules the server applies
//! ([`crate::sync::rules`]), queued for the server in the same transaction, and rebased
//! on the server's records whenever those change (see migration 0005).

use rusqlite::{Connection, OptionalExtension as _, params};
use uuid::Uuid;

use super::company::{
    ARTICLE_COLUMNS, COMPANY_COLUMNS, CONTACT_COLUMNS, article_from_row, company_from_row, contact_from_row, corrupt,
    read_document, read_logo, read_payment, read_series,
};
use super::held::{HeldRecord, hold, on_savepoint, parse_body};
use super::replica::project;
use super::{CompanyStore, StoreError, WriteTx};
use crate::model::{CompanyId, DocumentId, DocumentKind, PaymentId, from_cents};
use crate::sync::rules::{self, ARTICLE_CODE, Applied, Numbering, Records, RuleError};
use crate::sync::{DocumentRecord, Intent, ReceivedPayment, RecordBody, RecordKind, Settings};

/// The copy's business tables, read and written as the server's records. Every write
/// first keeps the record's current state in `shadow`, unless it is there already.
struct LocalRecords<'a, 'c> {
    tx: &'a WriteTx<'c>,
    company: CompanyId,
}

impl Records for LocalRecords<'_, '_> {
    type Error = StoreError;

    fn get(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<RecordBody>, StoreError> {
        read_record(self.tx.connection(), self.company, kind, id)
    }

    fn put(&mut self, kind: RecordKind, id: Uuid, body: Option<&RecordBody>) -> Result<(), StoreError> {
        keep_shadow(self.tx.connection(), self.company, kind, id)?;
        project(self.tx, self.company, kind, id, body)
    }

    fn claim_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<bool, StoreError> {
        if namespace != ARTICLE_CODE {
            // Numbers are only allocated by the server.
            return Ok(true);
        }
        let taken: bool = self
            .tx
            .connection()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM articles WHERE code = ?1 AND id <> ?2)")?
            .query_row(params![key, owner], |r| r.get(0))?;
        Ok(!taken)
    }

    fn release_key(&mut self, _namespace: &str, _key: &str, _owner: Uuid) -> Result<(), StoreError> {
        // Local codes live in the articles table itself: rewriting the article frees it.
        Ok(())
    }

    fn is_referenced(&mut self, kind: RecordKind, id: Uuid) -> Result<bool, StoreError> {
        // Each query is served by an index (migrations 0001 and 0016).
        let sql = match kind {
            RecordKind::Contact => {
                "SELECT EXISTS (SELECT 1 FROM documents WHERE contact_id = ?1)
                     OR EXISTS (SELECT 1 FROM payments WHERE contact_id = ?1)"
            }
            RecordKind::Article => "SELECT EXISTS (SELECT 1 FROM document_lines WHERE article_id = ?1)",
            _ => return Ok(false),
        };
        Ok(self.tx.connection().prepare_cached(sql)?.query_row([id], |r| r.get(0))?)
    }
}

/// A record of this copy, as the server would send it (`None`: there is none).
fn read_record(
    conn: &Connection,
    company: CompanyId,
    kind: RecordKind,
    id: Uuid,
) -> Result<Option<RecordBody>, StoreError> {
    Ok(match kind {
        RecordKind::Contact => conn
            .prepare_cached(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"))?
            .query_row([id], |row| Ok(contact_from_row(row)))
            .optional()?
            .transpose()?
            .map(RecordBody::Contact),
        RecordKind::Article => conn
            .prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?1"))?
            .query_row([id], |row| Ok(article_from_row(row)))
            .optional()?
            .transpose()?
            .map(RecordBody::Article),
        RecordKind::Document => read_document_record(conn, DocumentId(id))?.map(RecordBody::Document),
        RecordKind::Payment => read_payment(conn, PaymentId(id))?.map(RecordBody::Payment),
        RecordKind::Settings if id == company.0 => {
            let company =
                conn.query_row(&format!("SELECT {COMPANY_COLUMNS} FROM company WHERE singleton = 1"), [], |row| {
                    Ok(company_from_row(row))
                })??;
            let series = DocumentKind::ALL.into_iter().map(|kind| read_series(conn, kind)).collect::<Result<_, _>>()?;
            let accounts = super::ledger::read_account_plan(conn)?;
            let logo = read_logo(conn)?;
            Some(RecordBody::Settings(Box::new(Settings { company, series, accounts, logo })))
        }
        // No intent reads members, the audit trail or postings.
        RecordKind::Settings | RecordKind::Member | RecordKind::Audit | RecordKind::Posting => None,
    })
}

/// A document with what was paid and credited on it.
fn read_document_record(conn: &Connection, id: DocumentId) -> Result<Option<DocumentRecord>, StoreError> {
    let document = match read_document(conn, id) {
        Ok(document) => document,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let (paid, credited): (i64, i64) = conn
        .prepare_cached(
            "SELECT paid_cents, (SELECT ifnull(sum(gross_cents), 0) FROM documents
                                 WHERE corrects_id = ?1 AND kind = 'credit_note' AND status <> 'draft')
             FROM documents WHERE id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut stmt = conn.prepare_cached(
        "SELECT a.payment_id, a.amount_cents FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
         WHERE a.document_id = ?1 ORDER BY p.rid",
    )?;
    let payments = stmt
        .query_map([id.0], |r| Ok(ReceivedPayment { payment_id: PaymentId(r.get(0)?), amount: from_cents(r.get(1)?) }))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(DocumentRecord { document, paid: from_cents(paid), payments, credited: from_cents(credited) }))
}

/// Keeps a record's current state in `shadow` before a local edit first changes it.
fn keep_shadow(conn: &Connection, company: CompanyId, kind: RecordKind, id: Uuid) -> Result<(), StoreError> {
    let kept: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM shadow WHERE kind = ?1 AND id = ?2)")?
        .query_row(params![kind.as_str(), id], |r| r.get(0))?;
    if kept {
        return Ok(());
    }
    let body = read_record(conn, company, kind, id)?.map(|body| record_json(&body)).transpose()?;
    conn.prepare_cached("INSERT INTO shadow (kind, id, body) VALUES (?1, ?2, ?3)")?.execute(params![
        kind.as_str(),
        id,
        body
    ])?;
    Ok(())
}

fn record_json(body: &RecordBody) -> Result<String, StoreError> {
    serde_json::to_string(body).map_err(|e| corrupt("shadow.body", "", &e))
}

/// Whether a change the server sent is about a record a local edit has changed. If so,
/// the change goes to the shadow (the server's version) and the business tables keep
/// showing the local edit until the next rebase.
pub(crate) fn shadow_server_change(
    conn: &Connection,
    kind: RecordKind,
    id: Uuid,
    body: Option<&str>,
) -> Result<bool, StoreError> {
    let changed = conn.prepare_cached("UPDATE shadow SET body = ?3 WHERE kind = ?1 AND id = ?2")?.execute(params![
        kind.as_str(),
        id,
        body
    ])?;
    Ok(changed > 0)
}

/// Whether this copy has edits the server has not sent back yet.
pub(crate) fn has_local_edits(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM shadow)
             OR EXISTS (SELECT 1 FROM outbox WHERE state <> 'rejected' AND acknowledged = 0)",
        [],
        |r| r.get(0),
    )?)
}

/// [`CompanyStore::submit`] inside a transaction of the caller's: `intent` applied to this
/// copy and queued for the server in the same commit as what the caller writes there.
pub(crate) fn submit_in(
    tx: &WriteTx<'_>,
    company: CompanyId,
    author: Option<crate::model::UserId>,
    intent: &Intent,
) -> Result<u64, StoreError> {
    apply_local(tx, company, intent)?;
    tx.enqueue(intent, author)
}

/// Applies `intent` to this copy with the rules the server applies; issued documents wait
/// for their number.
fn apply_local(tx: &WriteTx<'_>, company: CompanyId, intent: &Intent) -> Result<Applied, StoreError> {
    rules::apply(&mut LocalRecords { tx, company }, company, intent, Numbering::Pending).map_err(|e| match e {
        RuleError::Rejected { code, message } => StoreError::Refused { code, message },
        RuleError::Corrupt(reason) => corrupt("records", "", &reason),
        RuleError::Store(e) => e,
    })
}

/// What a rebase did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rebase {
    /// Records put back as the server has them.
    pub restored: u64,
    /// Waiting edits applied again on top.
    pub replayed: u64,
    /// Waiting edits that no longer apply to the server's newer records. They stay in the
    /// outbox: the server decides, and its refusal will come back with its reason.
    pub not_applicable: u64,
}

/// Puts every record a local edit had changed back as the server has it, then applies
/// the edits still waiting for the server (or applied by it but not pulled back yet)
/// again, in order, each on its own savepoint. A server's record that cannot be put back
/// is kept aside (added to `held`); a waiting edit that no longer applies here stays in
/// the outbox for the server to decide. The ledger's triggers list what it changes, even
/// during a first download ([`super::ledger::with_triggers_lent`]).
pub(crate) fn rebase(tx: &WriteTx<'_>, company: CompanyId, held: &mut Vec<HeldRecord>) -> Result<Rebase, StoreError> {
    super::ledger::with_triggers_lent(tx.connection(), || rebase_edits(tx, company, held))
}

fn rebase_edits(tx: &WriteTx<'_>, company: CompanyId, held: &mut Vec<HeldRecord>) -> Result<Rebase, StoreError> {
    let conn = tx.connection();
    // Records come back in any order: an invoice may be restored before its customer.
    conn.pragma_update(None, "defer_foreign_keys", "ON")?;
    let mut report = Rebase::default();
    let shadows: Vec<(String, Uuid, Option<String>)> = conn
        .prepare("SELECT kind, id, body FROM shadow")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (kind, id, body) in shadows {
        let kind = RecordKind::parse(&kind).ok_or_else(|| corrupt("shadow.kind", &kind, &"unknown kind"))?;
        let restored = on_savepoint(conn, || {
            let record = parse_body(id, body.as_deref())?;
            project(tx, company, kind, id, record.as_ref())
        })?;
        match restored {
            Ok(()) => report.restored += 1,
            Err(e) => {
                let seq = conn
                    .prepare_cached("SELECT seq FROM replica WHERE kind = ?1 AND id = ?2")?
                    .query_row(params![kind.as_str(), id], |r| r.get::<_, i64>(0))
                    .optional()?
                    .map_or(0, |seq| u64::try_from(seq).unwrap_or(0));
                held.push(hold(conn, kind, id, seq, body.as_deref(), e.code(), &e.to_string())?);
            }
        }
    }
    conn.execute("DELETE FROM shadow", [])?;
    let waiting: Vec<(i64, String)> = conn
        .prepare(
            "SELECT mutation_id, intent FROM outbox WHERE state <> 'rejected' AND acknowledged = 0
             ORDER BY mutation_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (mutation_id, json) in waiting {
        let intent: Intent = serde_json::from_str(&json).map_err(|e| corrupt("outbox.intent", &json, &e))?;
        match on_savepoint(conn, || apply_local(tx, company, &intent))? {
            Ok(_) => report.replayed += 1,
            Err(e) => {
                if is_refusal(&e) {
                    tracing::debug!(mutation_id, code = e.code(), "a waiting edit no longer applies locally");
                } else {
                    tracing::warn!(mutation_id, error = %e, "a waiting edit could not be applied again here");
                }
                report.not_applicable += 1;
            }
        }
    }
    Ok(report)
}

/// A refusal by a business rule, as opposed to a failure of the file.
fn is_refusal(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Refused { .. }
            | StoreError::Rule(_)
            | StoreError::DuplicateArticleCode { .. }
            | StoreError::DuplicateNumber { .. }
            | StoreError::AlreadyExists
            | StoreError::NotFound { .. }
    )
}

impl CompanyStore {
    /// Applies a user's edit to this copy with the rules the server applies, and queues
    /// it for the server, in one transaction: the edit shows at once, survives a crash
    /// with its outbox entry, and a refusal changes nothing. Returns its mutation id.
    pub fn submit(&mut self, intent: &Intent) -> Result<u64, StoreError> {
        let (company, author) = (self.company_id(), self.author());
        self.write(|tx| {
            // During a first download too, the sources the edit changes are listed.
            super::ledger::with_triggers_lent(tx.connection(), || apply_local(tx, company, intent))?;
            tx.enqueue(intent, author)
        })
    }

    /// Rebases this copy's waiting edits on the server's records (see [`rebase`]).
    pub fn rebase(&mut self) -> Result<Rebase, StoreError> {
        let company = self.company_id();
        self.write(|tx| rebase(tx, company, &mut Vec::new()))
    }

    /// A record as this copy shows it, in the form the server sends it (`None`: there is
    /// none). Members and the audit trail are not read back this way.
    pub fn record(&self, kind: RecordKind, id: Uuid) -> Result<Option<RecordBody>, StoreError> {
        read_record(self.connection(), self.company_id(), kind, id)
    }

    /// How many records waiting edits have changed (each with the server's version kept).
    pub fn shadow_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.connection().query_row("SELECT count(*) FROM shadow", [], |r| r.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
