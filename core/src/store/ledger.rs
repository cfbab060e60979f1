//! The copy's accounting entries (migration 0009): derived from their sources, compared
//! with what was posted, exported, and brought up to date with the server's postings.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension as _, params};
use uuid::Uuid;

use super::company::{corrupt, read_document, read_payment};
use super::{CompanyStore, StoreError, WriteTx};
use crate::accounting::export::ExportEntry;
use crate::accounting::{AccountPlan, Entry, Journal, Posting, entry_of_document, entry_of_payment};
use crate::model::{DocumentId, PaymentId};

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
            Ok(document) => Ok(entry_of_document(&document, plan)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        };
    }
    let Some(payment) = read_payment(conn, PaymentId(source))? else { return Ok(None) };
    // The payer: the payment's contact, else the customer of the first document it pays.
    let customer: Option<(Uuid, String)> = conn
        .prepare_cached(
            "SELECT c.id, c.name FROM payments p JOIN contacts c ON c.id = p.contact_id WHERE p.id = ?1
             UNION ALL
             SELECT d.contact_id, d.customer_name FROM payment_allocations a JOIN documents d ON d.id = a.document_id
             WHERE a.payment_id = ?1
             LIMIT 1",
        )?
        .query_row([source], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(Some(entry_of_payment(&payment, customer.as_ref().map(|(id, name)| (*id, name.as_str())), plan)))
}

/// The numbers the next posting gives, continuing each journal's posted numbers.
fn next_numbers(conn: &Connection) -> Result<[u64; 2], StoreError> {
    let mut next = [1, 1];
    let mut stmt = conn.prepare_cached("SELECT body FROM postings ORDER BY posted_at, id")?;
    let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
    for body in bodies {
        let posting: Posting = from_json(&body?, "postings.body")?;
        for entry in &posting.entries {
            let slot = &mut next[journal_slot(entry.journal)];
            *slot = (*slot).max(entry.number.unwrap_or(0) + 1);
        }
    }
    Ok(next)
}

fn journal_slot(journal: Journal) -> usize {
    match journal {
        Journal::Sales => 0,
        Journal::Bank => 1,
    }
}

impl CompanyStore {
    /// The account plan of the company's country.
    pub fn account_plan(&self) -> Result<AccountPlan, StoreError> {
        Ok(AccountPlan::for_country(&self.company()?.address.country))
    }

    /// Derives again up to `limit` sources that changed, in one transaction, and returns
    /// how many it did: call again until it returns less than `limit`. `today` dates the
    /// change of a source whose entry is no longer what it was.
    pub fn refresh_ledger(&mut self, today: NaiveDate, limit: u32) -> Result<usize, StoreError> {
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
                let (date, fingerprint) = match &entry {
                    Some(entry) => (Some(entry.date.to_string()), Some(entry.fingerprint.as_str())),
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
                conn.prepare_cached("DELETE FROM ledger_dirty WHERE source_id = ?1")?.execute([source])?;
            }
            Ok(dirty.len())
        })
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

    /// The entries waiting to be posted whose date falls in the period, in the order
    /// the next posting books them (by date, reversals before their replacement), each
    /// numbered as that posting would number it.
    pub fn pending_entries(&self, from: Option<NaiveDate>, to: NaiveDate) -> Result<Vec<Entry>, StoreError> {
        let conn = self.connection();
        let plan = self.account_plan()?;
        let mut stmt = conn.prepare_cached(
            "SELECT l.source_id, l.date, l.fingerprint, l.changed_on, l.posted_entry,
                    EXISTS (SELECT 1 FROM documents WHERE id = l.source_id)
             FROM ledger l WHERE l.fingerprint IS NOT l.posted_fingerprint",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Uuid>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let in_period = |date: NaiveDate| from.is_none_or(|from| date >= from) && date <= to;
        let day = |text: &str| text.parse::<NaiveDate>().map_err(|e| corrupt("ledger.date", text, &e));
        let mut entries = Vec::new();
        for row in rows {
            let (source, date, fingerprint, changed_on, posted, is_document) = row?;
            let changed_on = day(&changed_on)?;
            let was_posted = posted.is_some();
            if let Some(posted) = posted {
                let posted: Entry = from_json(&posted, "ledger.posted_entry")?;
                let reversal = posted.reversal_of(changed_on.max(posted.date));
                if in_period(reversal.date) {
                    entries.push(reversal);
                }
            }
            if let (Some(date), Some(_)) = (date, fingerprint) {
                let kind = if is_document { "document" } else { "payment" };
                let Some(mut entry) = derive(conn, &plan, source, kind)? else { continue };
                // A replacement for a posted entry is dated when the change was seen.
                entry.date = if was_posted { changed_on.max(day(&date)?) } else { day(&date)? };
                if in_period(entry.date) {
                    entries.push(entry);
                }
            }
        }
        entries.sort_by(|a, b| {
            (a.date, a.journal, &a.piece_ref, !a.reversal, a.source).cmp(&(
                b.date,
                b.journal,
                &b.piece_ref,
                !b.reversal,
                b.source,
            ))
        });
        let mut next = next_numbers(conn)?;
        for entry in &mut entries {
            let slot = &mut next[journal_slot(entry.journal)];
            entry.number = Some(*slot);
            *slot += 1;
        }
        Ok(entries)
    }

    /// Every entry of the period for an export: the posted ones as they were posted
    /// (with their validation date), then the pending ones, numbered after them.
    pub fn export_entries(&self, from: Option<NaiveDate>, to: NaiveDate) -> Result<Vec<ExportEntry>, StoreError> {
        let in_period = |date: NaiveDate| from.is_none_or(|from| date >= from) && date <= to;
        let mut out = Vec::new();
        for posting in self.postings_whole()? {
            let validated = posting.posted_at.date_naive();
            for entry in posting.entries.into_iter().filter(|e| in_period(e.date)) {
                let number = entry.number.unwrap_or(0);
                out.push(ExportEntry { entry, number, validated: Some(validated) });
            }
        }
        for entry in self.pending_entries(from, to)? {
            let number = entry.number.unwrap_or(0);
            out.push(ExportEntry { entry, number, validated: None });
        }
        Ok(out)
    }

    fn postings_whole(&self) -> Result<Vec<Posting>, StoreError> {
        let mut stmt = self.connection().prepare_cached("SELECT body FROM postings ORDER BY posted_at, id")?;
        let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        bodies.iter().map(|body| from_json(body, "postings.body")).collect()
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
        let (fingerprint, body) = if entry.reversal {
            (None, None)
        } else {
            (Some(entry.fingerprint.as_str()), Some(json(entry, "ledger.posted_entry")?))
        };
        conn.prepare_cached(
            "INSERT INTO ledger (source_id, changed_on, posted_fingerprint, posted_entry) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (source_id) DO UPDATE SET posted_fingerprint = excluded.posted_fingerprint,
                                                   posted_entry = excluded.posted_entry",
        )?
        .execute(params![entry.source, entry.date.to_string(), fingerprint, body])?;
    }
    Ok(())
}
