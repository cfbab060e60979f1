//! The copy's accounting entries (migration 0009): derived from their sources, compared
//! with what was posted, exported, and brought up to date with the server's postings.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension as _, params};
use uuid::Uuid;

use super::company::{COMPANY_COLUMNS, company_from_row, corrupt, read_document, read_payment};
use super::{CompanyStore, StoreError, WriteTx};
use crate::accounting::export::ExportEntry;
use crate::accounting::{
    AccountPlan, BatchDigest, Entry, Journal, NextNumbers, Posting, entry_of_document, entry_of_payment,
};
use crate::model::{DocumentId, DocumentKind, DocumentStatus, Payment, PaymentId};
use crate::sync::{RecordBody, RecordKind};

/// Sources derived per transaction by [`CompanyStore::refresh_whole_ledger`].
const LEDGER_WHOLE_CHUNK: u32 = 10_000;

/// A posted batch, as the posting dialog lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingSummary {
    pub id: Uuid,
    pub to: NaiveDate,
    pub posted_at: String,
    pub posted_by: String,
    pub entries: u64,
}

fn json<T: serde::Serialize>(value: &T, column: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt(column, "", &e))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, column: &'static str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(column, text, &e))
}

/// The entry `source` stands for now, from the copy's tables.
fn derive(conn: &Connection, plan: &AccountPlan, source: Uuid, kind: &str) -> Result<Option<Entry>, StoreError> {
    if kind == "document" {
        return match read_document(conn, DocumentId(source)) {
            Ok(document) => Ok(entry_of_document(&document, plan)?),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        };
    }
    let Some(payment) = read_payment(conn, PaymentId(source))? else { return Ok(None) };
    let customer = payer(conn, source)?;
    Ok(Some(entry_of_payment(&payment, customer.as_ref().map(|(id, name)| (*id, name.as_str())), plan)))
}

/// Who paid payment `?1`: its contact, else the customer of the first document it pays.
pub(super) const PAYER: &str =
    "SELECT c.id, c.name FROM payments p JOIN contacts c ON c.id = p.contact_id WHERE p.id = ?1
     UNION ALL
     SELECT d.contact_id, d.customer_name FROM payment_allocations a JOIN documents d ON d.id = a.document_id
     WHERE a.payment_id = ?1
     LIMIT 1";

/// Who paid `payment` ([`PAYER`]).
fn payer(conn: &Connection, payment: Uuid) -> Result<Option<(Uuid, String)>, StoreError> {
    Ok(conn.prepare_cached(PAYER)?.query_row([payment], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// Keeps what `source` stands for now (`entry`, `None`: nothing to book), dating the
/// change `today` when it is not what it was.
fn save_derived(conn: &Connection, source: Uuid, entry: Option<&Entry>, today: &str) -> Result<(), StoreError> {
    save_row(conn, source, entry.map(LedgerRow::of).as_ref(), today)
}

/// What the copy keeps of the entry a source stands for: its date and fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LedgerRow {
    date: String,
    fingerprint: String,
}

impl LedgerRow {
    fn of(entry: &Entry) -> Self {
        Self { date: entry.date.to_string(), fingerprint: entry.fingerprint.clone() }
    }
}

/// [`save_derived`], from the row already worked out (`None`: nothing to book).
fn save_row(conn: &Connection, source: Uuid, row: Option<&LedgerRow>, today: &str) -> Result<(), StoreError> {
    let (date, fingerprint) = match row {
        Some(row) => (Some(row.date.as_str()), Some(row.fingerprint.as_str())),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO ledger (source_id, date, fingerprint, changed_on) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (source_id) DO UPDATE SET
             changed_on = CASE WHEN fingerprint IS NOT excluded.fingerprint THEN excluded.changed_on
                               ELSE changed_on END,
             date = excluded.date,
             fingerprint = excluded.fingerprint",
    )?
    .execute(params![source, date, fingerprint, today])?;
    Ok(())
}

/// The ledger rows of a page's documents, worked out with the chart of accounts the copy
/// had when the page was fetched, in the task that parses it rather than in the one that
/// writes: one entry and its digest per issued invoice and credit note (126k records:
/// 0.46 s off the writer). Used only when the chart is still the one the page is written
/// with; otherwise, and for a document whose entry cannot be made (its rule's error is
/// the writer's to report), the writer derives it itself.
#[derive(Debug, Default)]
pub(crate) struct PreparedEntries {
    plan: Option<AccountPlan>,
    /// Per record of the page: `Some` when worked out.
    rows: Vec<Option<Booked>>,
}

/// What a document stands for in the ledger, worked out ahead.
#[derive(Debug)]
pub(crate) enum Booked {
    /// Nothing to book (a number-less or unissued document).
    Nothing,
    Entry(LedgerRow),
}

impl Booked {
    fn row(&self) -> Option<&LedgerRow> {
        match self {
            Self::Nothing => None,
            Self::Entry(row) => Some(row),
        }
    }
}

impl PreparedEntries {
    /// Works out the rows of `bodies` (a page's records, in order) with `plan`; `None`:
    /// none (the writer derives each).
    pub(crate) fn of(plan: Option<&AccountPlan>, bodies: &[Result<Option<RecordBody>, String>]) -> Self {
        let Some(plan) = plan else { return Self::default() };
        let rows = bodies
            .iter()
            .map(|body| match body {
                Ok(Some(RecordBody::Document(record))) if is_ledger_source(&record.document) => {
                    entry_of_document(&record.document, plan).ok().map(|entry| match entry {
                        Some(entry) => Booked::Entry(LedgerRow::of(&entry)),
                        None => Booked::Nothing,
                    })
                }
                _ => None,
            })
            .collect();
        Self { plan: Some(plan.clone()), rows }
    }

    /// The row worked out for the page's record at `index`, if any.
    pub(crate) fn row(&self, index: usize) -> Option<&Booked> {
        self.rows.get(index).and_then(Option::as_ref)
    }
}

/// Whether `document` is one of the sources the triggers list: an issued invoice or
/// credit note.
fn is_ledger_source(document: &crate::model::Document) -> bool {
    matches!(document.kind, DocumentKind::Invoice | DocumentKind::CreditNote)
        && document.status != DocumentStatus::Draft
}

/// Lists `source` to be derived again.
fn mark_dirty(conn: &Connection, source: Uuid, kind: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO ledger_dirty (source_id, kind) VALUES (?1, ?2)")?
        .execute(params![source, kind])?;
    Ok(())
}

/// The entries of a first download, derived as its pages are written from the records in
/// hand, rather than read back from the tables once the last page is in (which took as
/// long as the download itself: 1.26M records, 53 s). Only while the triggers that list
/// changed sources are set aside ([`CompanyStore::set_indexes_aside`]); what it cannot
/// derive yet it lists, and the sources it never saw are listed when the triggers come
/// back ([`list_underived_sources`]).
///
/// A document's entry depends on the document and the chart of accounts alone. A
/// payment's depends on its payer too: it is derived here only when the payer is the one
/// the copy will know at the end (its contact is here, or, without a contact, every
/// document it pays is), and listed otherwise.
pub(super) struct InlineLedger {
    plan: AccountPlan,
    today: String,
    /// Whether the page's prepared rows were worked out with `plan`.
    prepared_hold: bool,
}

impl InlineLedger {
    /// `Some` while a first download has the ledger's triggers set aside. `prepared`:
    /// the page's rows worked out ahead, used while the chart of accounts is theirs.
    pub(super) fn start(conn: &Connection, prepared: &PreparedEntries) -> Result<Option<Self>, StoreError> {
        let aside: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM deferred_index WHERE name = 'ledger_document_insert')")?
            .query_row([], |r| r.get(0))?;
        if !aside {
            return Ok(None);
        }
        let plan = effective_plan(conn)?;
        let prepared_hold = prepared.plan.as_ref() == Some(&plan);
        Ok(Some(Self { plan, today: chrono::Utc::now().date_naive().to_string(), prepared_hold }))
    }

    /// Derives what the record `kind` `id` just written (`body`; `None`: deleted) stands
    /// for. `prepared`: its row worked out ahead ([`PreparedEntries::row`]), if any.
    pub(super) fn derive(
        &mut self,
        conn: &Connection,
        kind: RecordKind,
        id: Uuid,
        body: Option<&RecordBody>,
        prepared: Option<&Booked>,
    ) -> Result<(), StoreError> {
        match body {
            Some(RecordBody::Document(record)) => {
                let document = &record.document;
                if !is_ledger_source(document) {
                    return Ok(());
                }
                match prepared.filter(|_| self.prepared_hold) {
                    Some(booked) => save_row(conn, id, booked.row(), &self.today),
                    None => save_derived(conn, id, entry_of_document(document, &self.plan)?.as_ref(), &self.today),
                }
            }
            Some(RecordBody::Payment(payment)) => {
                let Some(customer) = final_payer(conn, payment)? else { return mark_dirty(conn, id, "payment") };
                let entry =
                    entry_of_payment(payment, customer.as_ref().map(|(id, name)| (*id, name.as_str())), &self.plan);
                save_derived(conn, id, Some(&entry), &self.today)
            }
            Some(RecordBody::Settings(_)) => {
                // Another chart of accounts (the company's own, or its country's): what was
                // derived with the one before is derived again at the end, and the rows
                // worked out ahead with it are not used.
                let plan = effective_plan(conn)?;
                if plan != self.plan {
                    list_every_source(conn)?;
                    self.plan = plan;
                    self.prepared_hold = false;
                }
                Ok(())
            }
            None if kind == RecordKind::Document => mark_dirty(conn, id, "document"),
            None if kind == RecordKind::Payment => mark_dirty(conn, id, "payment"),
            _ => Ok(()),
        }
    }
}

/// Runs `f` with the triggers that list changed accounting sources in place, even while
/// a first download has them set aside ([`CompanyStore::set_indexes_aside`]): a local
/// edit made during the download, or a waiting edit put back on the server's records,
/// changes documents the pages' inline derivation never sees. Put back, then set aside
/// again, inside the caller's transaction; when nothing is aside, `f` alone runs.
pub(super) fn with_triggers_lent<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut aside: Vec<(String, String)> = conn
        .prepare_cached("SELECT name, sql FROM deferred_index ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    aside.retain(|(name, _)| super::replica::LEDGER_TRIGGERS.contains(&name.as_str()));
    for (_, sql) in &aside {
        conn.execute_batch(sql)?;
    }
    let value = f()?;
    for (name, _) in &aside {
        conn.execute_batch(&format!("DROP TRIGGER {name}"))?;
    }
    Ok(value)
}

/// The payer of `payment` ([`PAYER`]; `Some(None)`: none), when it is the one the copy
/// will know once downloaded: its contact is here, or it has none and every document it
/// pays is here. `None`: not yet.
#[allow(clippy::option_option, reason = "not final, or final and maybe nobody")]
fn final_payer(conn: &Connection, payment: &Payment) -> Result<Option<Option<(Uuid, String)>>, StoreError> {
    if let Some(contact) = payment.contact_id {
        // The payment's own contact is its payer, [`PAYER`]'s first part: read at once.
        let name: Option<String> = conn
            .prepare_cached("SELECT name FROM contacts WHERE id = ?1")?
            .query_row([contact.0], |r| r.get(0))
            .optional()?;
        return Ok(name.map(|name| Some((contact.0, name))));
    }
    let mut here = conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)")?;
    for allocation in &payment.allocations {
        if !here.query_row([allocation.document_id.0], |r| r.get::<_, bool>(0))? {
            return Ok(None);
        }
    }
    Ok(Some(payer(conn, payment.id.0)?))
}

/// Where a walk through the pending entries stands: they come by date, reversals before
/// new entries, then by source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingCursor {
    date: String,
    is_new: bool,
    source: Uuid,
}

/// The pending entries, in posting order, as (source, is new, date, posted entry JSON).
/// A reversal is dated when the change was seen (never before the entry it cancels); a
/// new entry by its source, or, replacing a posted one, when the change was seen.
const PENDING: &str = "
    SELECT p.source_id, p.is_new, p.d, p.posted_entry,
           EXISTS (SELECT 1 FROM documents WHERE documents.id = p.source_id) FROM (
        SELECT source_id, 0 AS is_new, max(changed_on, posted_date) AS d, posted_entry
        FROM ledger WHERE fingerprint IS NOT posted_fingerprint AND posted_fingerprint IS NOT NULL
        UNION ALL
        SELECT source_id, 1 AS is_new,
               CASE WHEN posted_entry IS NULL THEN date ELSE max(changed_on, date) END AS d, NULL
        FROM ledger WHERE fingerprint IS NOT posted_fingerprint AND fingerprint IS NOT NULL
    ) AS p
    WHERE d >= ?1 AND d <= ?2 AND (?3 IS NULL OR (d, is_new, source_id) > (?3, ?4, ?5))
    ORDER BY d, is_new, source_id";

impl CompanyStore {
    /// The company's chart of accounts: its own, else its country's.
    pub fn account_plan(&self) -> Result<AccountPlan, StoreError> {
        effective_plan(self.connection())
    }

    /// Derives again up to `limit` sources that changed, in one transaction, and returns
    /// how many it did: call again until it returns less than `limit`. `today` dates the
    /// change of a source whose entry is no longer what it was.
    pub fn refresh_ledger(&mut self, today: NaiveDate, limit: u32) -> Result<usize, StoreError> {
        // The engine asks after every command and sync: most often there is nothing to
        // do, and no write transaction is opened for it.
        let waiting: bool = self
            .connection()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM ledger_dirty)")?
            .query_row([], |r| r.get(0))?;
        if !waiting {
            return Ok(0);
        }
        let plan = self.account_plan()?;
        self.write(|tx| {
            let conn = tx.connection();
            let dirty: Vec<(Uuid, String)> = conn
                .prepare_cached("SELECT source_id, kind FROM ledger_dirty LIMIT ?1")?
                .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let today = today.to_string();
            for (source, kind) in &dirty {
                let entry = derive(conn, &plan, *source, kind)?;
                save_derived(conn, *source, entry.as_ref(), &today)?;
                conn.prepare_cached("DELETE FROM ledger_dirty WHERE source_id = ?1")?.execute([source])?;
            }
            Ok(dirty.len())
        })
    }

    /// Derives every source that changed, [`LEDGER_WHOLE_CHUNK`] a transaction; returns
    /// how many it did.
    pub fn refresh_whole_ledger(&mut self, today: NaiveDate) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let chunk = self.refresh_ledger(today, LEDGER_WHOLE_CHUNK)?;
            done += chunk;
            if chunk < LEDGER_WHOLE_CHUNK as usize {
                return Ok(done);
            }
        }
    }

    /// The totals and digest of the pending entries of the period, as the next posting
    /// would number them, walked one at a time.
    pub fn pending_batch(&self, period: (Option<NaiveDate>, NaiveDate)) -> Result<BatchDigest, StoreError> {
        let mut batch = BatchDigest::default();
        self.for_each_pending_entry::<StoreError>(period, |entry| {
            batch.add(&entry)?;
            Ok(())
        })?;
        Ok(batch)
    }

    /// Sources changed and not yet derived again.
    pub fn ledger_backlog(&self) -> Result<u64, StoreError> {
        let n: i64 = self.connection().query_row("SELECT count(*) FROM ledger_dirty", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// How many entries wait to be posted: each new entry, and each reversal of a posted
    /// entry its source no longer stands for (served by the `ledger_pending` index).
    pub fn pending_entry_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .connection()
            .prepare_cached(
                "SELECT ifnull(sum((fingerprint IS NOT NULL) + (posted_fingerprint IS NOT NULL)), 0)
             FROM ledger WHERE fingerprint IS NOT posted_fingerprint",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The next number of each journal, after those posted.
    pub fn next_entry_numbers(&self) -> Result<NextNumbers, StoreError> {
        let last = |journal: Journal| -> Result<u64, StoreError> {
            let n: Option<i64> = self
                .connection()
                .prepare_cached("SELECT last FROM ledger_numbers WHERE journal = ?1")?
                .query_row([journal.as_str()], |r| r.get(0))
                .optional()?;
            Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
        };
        Ok(NextNumbers::after(last(Journal::Sales)?, last(Journal::Bank)?))
    }

    /// Walks the entries waiting to be posted whose date falls in the period, in the
    /// order the next posting books them, after `after`; `f` gets each entry and its
    /// cursor, and says whether to go on. Nothing is held in memory but one entry.
    fn walk_pending<E: From<StoreError>>(
        &self,
        (from, to): (Option<NaiveDate>, NaiveDate),
        after: Option<&PendingCursor>,
        mut f: impl FnMut(Entry, PendingCursor) -> Result<bool, E>,
    ) -> Result<(), E> {
        let conn = self.connection();
        let plan = self.account_plan()?;
        let from = from.map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string());
        let day = |text: &str| text.parse::<NaiveDate>().map_err(|e| corrupt("ledger.date", text, &e));
        let mut stmt = conn.prepare_cached(PENDING).map_err(StoreError::from)?;
        let mut rows = stmt
            .query(params![
                from,
                to.to_string(),
                after.map(|c| &c.date),
                after.map(|c| c.is_new),
                after.map(|c| c.source)
            ])
            .map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let source: Uuid = row.get(0).map_err(StoreError::from)?;
            let is_new: bool = row.get(1).map_err(StoreError::from)?;
            let date: String = row.get(2).map_err(StoreError::from)?;
            let posted: Option<String> = row.get(3).map_err(StoreError::from)?;
            let is_document: bool = row.get(4).map_err(StoreError::from)?;
            let entry = if is_new {
                let kind = if is_document { "document" } else { "payment" };
                let Some(mut entry) = derive(conn, &plan, source, kind)? else { continue };
                entry.date = day(&date)?;
                entry
            } else {
                let posted: Entry = from_json(posted.as_deref().unwrap_or_default(), "ledger.posted_entry")?;
                posted.reversal_of(day(&date)?)
            };
            if !f(entry, PendingCursor { date, is_new, source })? {
                break;
            }
        }
        Ok(())
    }

    /// Every entry waiting to be posted in the period, numbered as the next posting
    /// numbers them, one at a time.
    pub fn for_each_pending_entry<E: From<StoreError>>(
        &self,
        period: (Option<NaiveDate>, NaiveDate),
        mut f: impl FnMut(Entry) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut numbers = self.next_entry_numbers()?;
        self.walk_pending(period, None, |mut entry, _| {
            numbers.number(&mut entry);
            f(entry).map(|()| true)
        })
    }

    /// Up to `limit` pending entries of the period after `after`, numbered on from
    /// `numbers`, with the cursor to go on from (`None`: none left).
    pub fn pending_entries_page(
        &self,
        period: (Option<NaiveDate>, NaiveDate),
        after: Option<&PendingCursor>,
        limit: usize,
        numbers: &mut NextNumbers,
    ) -> Result<(Vec<Entry>, Option<PendingCursor>), StoreError> {
        let mut page = Vec::new();
        let mut last = None;
        self.walk_pending::<StoreError>(period, after, |mut entry, cursor| {
            numbers.number(&mut entry);
            page.push(entry);
            last = Some(cursor);
            Ok(page.len() < limit)
        })?;
        let next = if page.len() < limit { None } else { last };
        Ok((page, next))
    }

    /// The pending entries of the period, all in memory: for small periods and tests.
    pub fn pending_entries(&self, from: Option<NaiveDate>, to: NaiveDate) -> Result<Vec<Entry>, StoreError> {
        let mut entries = Vec::new();
        self.for_each_pending_entry::<StoreError>((from, to), |entry| {
            entries.push(entry);
            Ok(())
        })?;
        Ok(entries)
    }

    /// Every entry of the period for an export, one at a time: the posted ones as they
    /// were posted (with their validation date), then the pending ones, numbered after.
    pub fn for_each_export_entry<E: From<StoreError>>(
        &self,
        (from, to): (Option<NaiveDate>, NaiveDate),
        mut f: impl FnMut(ExportEntry) -> Result<(), E>,
    ) -> Result<(), E> {
        let in_period = |date: NaiveDate| from.is_none_or(|from| date >= from) && date <= to;
        let mut stmt = self
            .connection()
            .prepare_cached("SELECT body FROM postings ORDER BY posted_at, id")
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let body: String = row.get(0).map_err(StoreError::from)?;
            let posting: Posting = from_json(&body, "postings.body")?;
            let validated = posting.posted_at.date_naive();
            for entry in posting.entries.into_iter().filter(|e| in_period(e.date)) {
                f(ExportEntry { number: entry.number.unwrap_or(0), entry, validated: Some(validated) })?;
            }
        }
        self.for_each_pending_entry((from, to), |entry| {
            f(ExportEntry { number: entry.number.unwrap_or(0), entry, validated: None })
        })
    }

    /// One posted batch, whole.
    pub fn posting(&self, id: Uuid) -> Result<Posting, StoreError> {
        let body: String = self
            .connection()
            .prepare_cached("SELECT body FROM postings WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound { entity: "posting" })?;
        from_json(&body, "postings.body")
    }

    /// The batches posted so far, newest first.
    pub fn postings(&self) -> Result<Vec<PostingSummary>, StoreError> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT id, period_to, posted_at, posted_by, entries FROM postings ORDER BY posted_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?))
        })?;
        rows.map(|row| {
            let (id, to, posted_at, posted_by, entries) = row?;
            let to = to.parse().map_err(|e| corrupt("postings.period_to", &to, &e))?;
            Ok(PostingSummary { id, to, posted_at, posted_by, entries: u64::try_from(entries).unwrap_or(0) })
        })
        .collect()
    }
}

/// Lists every source of an entry (issued invoices and credit notes, payments) to be
/// derived again.
pub(super) fn list_every_source(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "INSERT OR IGNORE INTO ledger_dirty (source_id, kind)
             SELECT id, 'document' FROM documents WHERE kind IN ('invoice', 'credit_note') AND status <> 'draft';
         INSERT OR IGNORE INTO ledger_dirty (source_id, kind) SELECT id, 'payment' FROM payments;",
    )?;
    Ok(())
}

/// Lists the sources of an entry (issued invoices and credit notes, payments) that have
/// none derived: after a first download, those [`InlineLedger`] did not see.
pub(super) fn list_underived_sources(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "INSERT OR IGNORE INTO ledger_dirty (source_id, kind)
             SELECT d.id, 'document' FROM documents d
             WHERE d.kind IN ('invoice', 'credit_note') AND d.status <> 'draft'
               AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.source_id = d.id AND l.fingerprint IS NOT NULL);
         INSERT OR IGNORE INTO ledger_dirty (source_id, kind)
             SELECT p.id, 'payment' FROM payments p
             WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.source_id = p.id AND l.fingerprint IS NOT NULL);",
    )?;
    Ok(())
}

/// The company's chart of accounts as the file holds it: its own, else its country's.
fn effective_plan(conn: &Connection) -> Result<AccountPlan, StoreError> {
    if let Some(plan) = read_account_plan(conn)? {
        return Ok(plan);
    }
    let company =
        conn.query_row(&format!("SELECT {COMPANY_COLUMNS} FROM company WHERE singleton = 1"), [], |row| {
            Ok(company_from_row(row))
        })??;
    Ok(AccountPlan::for_country(&company.address.country))
}

/// The chart of accounts the company set, if any.
pub(super) fn read_account_plan(conn: &Connection) -> Result<Option<AccountPlan>, StoreError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM account_plan WHERE singleton = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    body.map(|body| from_json(&body, "account_plan.body")).transpose()
}

/// Keeps the company's chart of accounts (`None`: its country's). When it changes, every
/// entry is derived again with it.
pub(super) fn save_account_plan(conn: &Connection, plan: Option<&AccountPlan>) -> Result<(), StoreError> {
    if read_account_plan(conn)?.as_ref() == plan {
        return Ok(());
    }
    match plan {
        Some(plan) => conn
            .prepare_cached("INSERT OR REPLACE INTO account_plan (singleton, body) VALUES (1, ?1)")?
            .execute([json(plan, "account_plan.body")?])?,
        None => conn.prepare_cached("DELETE FROM account_plan")?.execute([])?,
    };
    list_every_source(conn)
}

/// Keeps a posting the server sent, and moves each of its sources' posted entry on:
/// a reversal leaves none standing, an entry stands posted.
pub(super) fn apply_posting(tx: &WriteTx<'_>, posting: &Posting) -> Result<(), StoreError> {
    let conn = tx.connection();
    conn.prepare_cached(
        "INSERT OR REPLACE INTO postings (id, period_to, posted_at, posted_by, entries, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        posting.id,
        posting.to.to_string(),
        posting.posted_at.to_rfc3339(),
        posting.posted_by,
        i64::try_from(posting.entries.len()).unwrap_or(i64::MAX),
        json(posting, "postings.body")?
    ])?;
    for entry in &posting.entries {
        let (fingerprint, body, date) = if entry.reversal {
            (None, None, None)
        } else {
            (Some(entry.fingerprint.as_str()), Some(json(entry, "ledger.posted_entry")?), Some(entry.date.to_string()))
        };
        conn.prepare_cached(
            "INSERT INTO ledger (source_id, changed_on, posted_fingerprint, posted_entry, posted_date)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source_id) DO UPDATE SET posted_fingerprint = excluded.posted_fingerprint,
                                                   posted_entry = excluded.posted_entry,
                                                   posted_date = excluded.posted_date",
        )?
        .execute(params![entry.source, entry.date.to_string(), fingerprint, body, date])?;
        if let Some(number) = entry.number.and_then(|n| i64::try_from(n).ok()) {
            conn.prepare_cached(
                "INSERT INTO ledger_numbers (journal, last) VALUES (?1, ?2)
                 ON CONFLICT (journal) DO UPDATE SET last = max(last, excluded.last)",
            )?
            .execute(params![entry.journal.as_str(), number])?;
        }
    }
    Ok(())
}
