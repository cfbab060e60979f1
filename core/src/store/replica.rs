//! The client's replica of the server's records and its place in the server's log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use serde_json::value::RawValue;

use super::company::{DocumentColumns, Write, save_series, write_company};
use super::held::{HeldRecord, any_held, hold, on_savepoint, release, retry_held};
use super::ledger::{InlineLedger, PreparedEntries};
use super::local::{has_local_edits, rebase, shadow_server_change};
use super::outbox::acknowledge_applied;
use super::overview::write_audit_record;
use super::signed_head::save_audit_head;
use super::{CompanyStore, StoreError, WriteTx};
use crate::accounting::AccountPlan;
use crate::audit::SignedAuditHead;
use crate::model::to_cents;
use crate::sync::{
    Cursor, RawChange, RawPullPage, RawSnapshotPage, RecordBody, RecordKind, SnapshotPosition, TableStats,
    record_digest, table_stats,
};

impl CompanyStore {
    /// Where this copy stands in the server's log (`None` before the first page).
    pub fn sync_cursor(&self) -> Result<Option<Cursor>, StoreError> {
        Ok(self
            .connection()
            .query_row("SELECT epoch, seq FROM sync_cursor WHERE singleton = 1", [], |r| {
                Ok(Cursor { epoch: r.get(0)?, seq: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0) })
            })
            .optional()?)
    }

    /// Applies a page of the server's changes and moves the cursor, in one transaction:
    /// a copy killed between two pages resumes after the last page it committed. Each
    /// record's digest goes to the replica, the record into the tables the screens read,
    /// and the signed head of the audit chain, when the page carries one, is kept.
    ///
    /// The server is the authority on its records: they are written as they come, without
    /// re-running the rules a local edit obeys. The log orders records by their latest
    /// change, so a record may arrive before one it refers to (an invoice before its
    /// customer, edited later): foreign keys are not enforced while a page is applied,
    /// and hold again once the copy has caught up.
    ///
    /// A record this copy cannot write (it does not parse, or breaks a rule of the
    /// copy's tables) does not stop the page: it is kept aside with the reason (see
    /// [`HeldRecord`]), the rest is applied and the cursor moves on. Returns the records
    /// this page set aside, for the user to hear of them once.
    ///
    /// `after` is the seq the page was asked after; a page that does not start at this
    /// copy's cursor, or comes from another epoch, is refused and changes nothing.
    pub fn apply_pull_page(&mut self, after: u64, page: &RawPullPage) -> Result<Vec<HeldRecord>, StoreError> {
        let prepared = prepare(&page.changes);
        self.apply_parts(after, page, &prepared)
    }

    /// [`Self::apply_pull_page`] for a page already prepared (parsed and digested), which
    /// a download does on another thread while the previous page is written.
    pub fn apply_prepared_page(&mut self, after: u64, prepared: &PreparedPage) -> Result<Vec<HeldRecord>, StoreError> {
        self.apply_parts(after, &prepared.page, &prepared.records)
    }

    fn apply_parts(
        &mut self,
        after: u64,
        page: &RawPullPage,
        records: &Prepared,
    ) -> Result<Vec<HeldRecord>, StoreError> {
        let current = self.sync_cursor()?;
        if current.is_some_and(|cursor| cursor.epoch != page.epoch) {
            return Err(StoreError::EpochChanged);
        }
        let at = current.map_or(0, |c| c.seq);
        if at != after {
            return Err(StoreError::PageOutOfOrder { cursor: at, page_after: after });
        }
        let end = PageEnd::Log { epoch: page.epoch, cursor: page.cursor, audit_head: page.audit_head.as_ref() };
        let entries = PreparedEntries::default();
        self.write_parts(&PageParts { changes: &page.changes, records, entries: &entries, end })
    }

    /// Where this copy's snapshot stands: its epoch, its seq and the position of the next
    /// page (`None`: no snapshot under way).
    pub fn snapshot_progress(&self) -> Result<Option<(Uuid, u64, SnapshotPosition)>, StoreError> {
        let row: Option<(Uuid, i64, String, Option<i64>)> = self
            .connection()
            .query_row("SELECT epoch, upto, kind, before FROM snapshot_progress WHERE singleton = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        row.map(|(epoch, upto, kind, before)| {
            let kind = RecordKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                column: "snapshot_progress.kind",
                value: kind.clone(),
                reason: "unknown kind".into(),
            })?;
            let (upto, before) = (u64::try_from(upto).unwrap_or(0), before.and_then(|b| u64::try_from(b).ok()));
            Ok((epoch, upto, SnapshotPosition { kind, before }))
        })
        .transpose()
    }

    /// Applies a page of the company's snapshot (see [`crate::sync::SnapshotPage`]) and
    /// moves the snapshot on, in one transaction, as [`Self::apply_pull_page`] does with
    /// the log; the last page leaves the sync cursor at the snapshot's seq, from which the
    /// log is pulled. `from` is where the page was asked (`None`: the first page, which
    /// only a copy that has neither a cursor nor a snapshot under way takes); a page that
    /// does not start where this copy's snapshot stands is refused and changes nothing.
    pub fn apply_snapshot_page(
        &mut self,
        from: Option<(Uuid, u64, SnapshotPosition)>,
        prepared: &PreparedSnapshot,
    ) -> Result<Vec<HeldRecord>, StoreError> {
        let page = &prepared.page;
        let stands = self.snapshot_progress()?;
        if self.sync_cursor()?.is_some() || stands != from {
            return Err(StoreError::SnapshotOutOfOrder);
        }
        if from.is_some_and(|(epoch, upto, _)| epoch != page.epoch || upto != page.upto) {
            return Err(StoreError::EpochChanged);
        }
        let end = PageEnd::Snapshot { epoch: page.epoch, upto: page.upto, next: page.next };
        self.write_parts(&PageParts {
            changes: &page.changes,
            records: &prepared.records,
            entries: &prepared.entries,
            end,
        })
    }

    /// Writes a page with foreign keys off (see [`Self::apply_pull_page`]); when one of
    /// its records fails, writes it again setting that record aside.
    fn write_parts(&mut self, parts: &PageParts<'_>) -> Result<Vec<HeldRecord>, StoreError> {
        self.connection().pragma_update(None, "foreign_keys", "OFF")?;
        let company = self.company_id();
        let mut result = self.write(|tx| write_page(tx, company, parts, false));
        if result.as_ref().is_err_and(StoreError::concerns_a_record) {
            // A record could not be written: the page again, each record on a savepoint
            // of its own so that the one that fails is set aside alone.
            result = self.write(|tx| write_page(tx, company, parts, true));
        }
        self.connection().pragma_update(None, "foreign_keys", "ON")?;
        result
    }

    /// When this copy last completed a sync, and the offline grace (hours) the server
    /// granted then. `None` until the first download has completed.
    pub fn last_sync(&self) -> Result<Option<(DateTime<Utc>, u32)>, StoreError> {
        let row: Option<(String, i64)> = self
            .connection()
            .query_row("SELECT last_sync_at, grace_hours FROM sync_state WHERE singleton = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(at, hours)| {
            let at = DateTime::parse_from_rfc3339(&at).map_err(|e| StoreError::Corrupt {
                column: "sync_state.last_sync_at",
                value: at.clone(),
                reason: e.to_string(),
            })?;
            Ok((at.with_timezone(&Utc), u32::try_from(hours).unwrap_or(0)))
        })
        .transpose()
    }

    /// Records a completed sync at `at` (the engine's clock) with the server's grace.
    pub fn record_sync(&mut self, at: DateTime<Utc>, grace_hours: u32) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.connection().execute(
                "INSERT INTO sync_state (singleton, last_sync_at, grace_hours) VALUES (1, ?1, ?2)
                 ON CONFLICT (singleton) DO UPDATE SET last_sync_at = excluded.last_sync_at,
                                                       grace_hours = excluded.grace_hours",
                params![at.to_rfc3339(), grace_hours],
            )?;
            Ok(())
        })
    }

    /// Drops the screens' indexes a first download can do without, and the triggers that
    /// list changed accounting sources, keeping their definitions, before a first
    /// download (see migration 0006). Uniqueness constraints stay, and so do the indexes
    /// of each list's default order (documents and payments by date, contacts by name,
    /// articles by code): the company opens after the first page
    /// ([`crate::engine::Event::CopyUsable`]) and its lists read through them, and so do
    /// the others whose keys come in order (see `DEFERRED_INDEXES`). Their keys come in
    /// order, or their tables are small, so they cost the download little; with
    /// every index kept up, 126k records took 17.6 s instead of 9.2 s. The others are
    /// built as soon as the snapshot has passed their kind
    /// ([`Self::build_indexes_before`]).
    pub fn set_indexes_aside(&mut self) -> Result<(), StoreError> {
        self.write(|tx| {
            let conn = tx.connection();
            let aside = DEFERRED_INDEXES
                .iter()
                .map(|(name, _)| ("INDEX", *name))
                .chain(LEDGER_TRIGGERS.iter().chain(&DOCUMENT_SEARCH_TRIGGERS).map(|name| ("TRIGGER", *name)));
            for (what, name) in aside {
                let sql: Option<String> = conn
                    .query_row(
                        "SELECT sql FROM sqlite_master WHERE type = lower(?1) AND name = ?2",
                        [what, name],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(sql) = sql {
                    conn.execute(
                        "INSERT OR REPLACE INTO deferred_index (name, sql) VALUES (?1, ?2)",
                        params![name, sql],
                    )?;
                    conn.execute_batch(&format!("DROP {what} {name}"))?;
                }
            }
            Ok(())
        })
    }

    /// Builds the indexes set aside of the kinds a snapshot brings before `kind`
    /// ([`RecordKind::DOWNLOAD_ORDER`]): their records are all here, and the screens
    /// that sort or look them up by these indexes no longer scan while the rest comes.
    pub fn build_indexes_before(&mut self, kind: RecordKind) -> Result<(), StoreError> {
        let before: Vec<RecordKind> = RecordKind::DOWNLOAD_ORDER.into_iter().take_while(|k| *k != kind).collect();
        let due: Vec<&str> =
            DEFERRED_INDEXES.iter().filter(|(_, of)| before.contains(of)).map(|(name, _)| *name).collect();
        let waiting: Vec<String> = self
            .connection()
            .prepare_cached("SELECT name FROM deferred_index")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !waiting.iter().any(|name| due.contains(&name.as_str())) {
            return Ok(());
        }
        self.connection().pragma_update(None, "temp_store", "FILE")?;
        let result = self.write(|tx| {
            let conn = tx.connection();
            for name in due {
                let sql: Option<String> = conn
                    .query_row("SELECT sql FROM deferred_index WHERE name = ?1", [name], |r| r.get(0))
                    .optional()?;
                if let Some(sql) = sql {
                    conn.execute_batch(&sql)?;
                    conn.execute("DELETE FROM deferred_index WHERE name = ?1", [name])?;
                }
            }
            Ok(())
        });
        self.connection().pragma_update(None, "temp_store", "MEMORY")?;
        result
    }

    /// Builds the indexes set aside by [`Self::set_indexes_aside`] again. Their sorts
    /// spill to temporary files, not memory: a million rows would otherwise hold the
    /// whole sort in memory.
    pub fn restore_indexes(&mut self) -> Result<(), StoreError> {
        self.connection().pragma_update(None, "temp_store", "FILE")?;
        let result = self.build_deferred_indexes();
        self.connection().pragma_update(None, "temp_store", "MEMORY")?;
        result
    }

    fn build_deferred_indexes(&mut self) -> Result<(), StoreError> {
        self.write(|tx| {
            let conn = tx.connection();
            let deferred: Vec<(String, String)> = conn
                .prepare("SELECT name, sql FROM deferred_index ORDER BY name")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let back = |triggers: &[&str]| deferred.iter().any(|(name, _)| triggers.contains(&name.as_str()));
            let (ledger_back, search_back) = (back(&LEDGER_TRIGGERS), back(&DOCUMENT_SEARCH_TRIGGERS));
            for (name, sql) in &deferred {
                conn.execute_batch(sql)?;
                conn.execute("DELETE FROM deferred_index WHERE name = ?1", [name])?;
            }
            if ledger_back {
                // What the triggers would have listed and the pages did not derive.
                super::ledger::list_underived_sources(conn)?;
            }
            if search_back {
                // Every document, downloaded or written meanwhile, indexed in one pass
                // from the table (the index reads its content there).
                conn.execute_batch(
                    "DELETE FROM search_pending WHERE tbl = 'documents';
                     INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');",
                )?;
            }
            Ok(())
        })
    }

    /// How many records of each kind the replica holds (a resumed download counts on
    /// from there).
    pub fn replica_counts(&self) -> Result<BTreeMap<RecordKind, u64>, StoreError> {
        Ok(self.replica_stats()?.into_iter().map(|(kind, stats)| (kind, stats.count)).collect())
    }

    /// Count and checksum per kind of record in the replica: the same figures as the
    /// server's `admin stats` when the copy is up to date (the sum of the records'
    /// digests, see [`crate::sync::TableStats`]).
    pub fn replica_stats(&self) -> Result<BTreeMap<RecordKind, TableStats>, StoreError> {
        let mut sums: BTreeMap<RecordKind, (u64, u64)> = BTreeMap::new();
        let mut stmt = self.connection().prepare("SELECT kind, digest FROM replica")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (kind, digest) = row?;
            let kind = RecordKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                column: "replica.kind",
                value: kind.clone(),
                reason: "unknown kind".into(),
            })?;
            let entry = sums.entry(kind).or_default();
            entry.0 += 1;
            entry.1 = entry.1.wrapping_add(u64::from_be_bytes(digest.to_be_bytes()));
        }
        Ok(table_stats(&sums))
    }
}

/// A page's changes with each one's typed record (or why it does not parse) and digest,
/// and what the page moves on.
struct PageParts<'a> {
    changes: &'a [RawChange],
    records: &'a Prepared,
    /// The ledger rows of its documents, worked out ahead (empty: none).
    entries: &'a PreparedEntries,
    end: PageEnd<'a>,
}

/// What a page moves on once its records are written.
enum PageEnd<'a> {
    /// A page of the log: the sync cursor, and the audit chain's head when it has one.
    Log { epoch: Uuid, cursor: Cursor, audit_head: Option<&'a SignedAuditHead> },
    /// A page of a snapshot: where the snapshot stands, or, after its last page, the
    /// sync cursor at its seq.
    Snapshot { epoch: Uuid, upto: u64, next: Option<SnapshotPosition> },
}

/// Writes a page in the current transaction (see [`CompanyStore::apply_pull_page`]).
/// With `isolate`, each record is written on a savepoint of its own and one that fails
/// is set aside; without, the first failure fails the page (the fast path: a page whose
/// records all apply needs no savepoints). Returns the records set aside.
fn write_page(
    tx: &WriteTx<'_>,
    company: crate::model::CompanyId,
    parts: &PageParts<'_>,
    isolate: bool,
) -> Result<Vec<HeldRecord>, StoreError> {
    let conn = tx.connection();
    let local_edits = has_local_edits(conn)?;
    let held_before = any_held(conn)?;
    let mut ledger = InlineLedger::start(conn, parts.entries)?;
    let mut held = Vec::new();
    let records = parts.records;
    for (index, (change, body)) in parts.changes.iter().zip(&records.bodies).enumerate() {
        let raw = change.body.as_deref().map(RawValue::get);
        if local_edits && shadow_server_change(conn, change.kind, change.id, raw)? {
            continue;
        }
        let body = match body {
            Ok(body) => body,
            Err(reason) => {
                let e =
                    StoreError::RecordUnreadable { kind: change.kind.as_str(), id: change.id, reason: reason.clone() };
                held.push(hold(conn, change.kind, change.id, change.seq, raw, e.code(), reason)?);
                continue;
            }
        };
        let mut write = || {
            let columns = records.columns.get(index).and_then(Option::as_ref);
            project_with(tx, company, change.kind, change.id, body.as_ref(), columns)?;
            match &mut ledger {
                Some(ledger) => ledger.derive(conn, change.kind, change.id, body.as_ref(), parts.entries.row(index)),
                None => Ok(()),
            }
        };
        let written = if isolate { on_savepoint(conn, write)? } else { Ok(write()?) };
        match written {
            Ok(()) if held_before => release(conn, change.kind, change.id)?,
            Ok(()) => {}
            Err(e) => held.push(hold(conn, change.kind, change.id, change.seq, raw, e.code(), &e.to_string())?),
        }
    }
    if let Some(rows) = &records.replica_rows {
        // The page's rows in one statement, read from the array the parse task made.
        conn.prepare_cached(
            "INSERT INTO replica (kind, id, seq, digest)
             SELECT value ->> 0, unhex(value ->> 1), value ->> 2, value ->> 3 FROM json_each(?1) WHERE true
             ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest",
        )?
        .execute([rows])?;
    } else {
        write_replica_rows(conn, parts)?;
    }
    let save_cursor = |epoch: Uuid, seq: u64| -> Result<(), StoreError> {
        conn.execute(
            "INSERT INTO sync_cursor (singleton, epoch, seq) VALUES (1, ?1, ?2)
             ON CONFLICT (singleton) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
            params![epoch, i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    };
    match &parts.end {
        PageEnd::Log { epoch, cursor, audit_head } => {
            save_cursor(*epoch, cursor.seq)?;
            if let Some(head) = audit_head {
                save_audit_head(conn, company, head)?;
            }
            if local_edits {
                // Edits the server applied and this page brought back are no longer local
                // edits (they are kept a while, for a restored server).
                acknowledge_applied(conn, *cursor)?;
            }
        }
        PageEnd::Snapshot { epoch, upto, next: Some(next) } => {
            conn.execute(
                "INSERT INTO snapshot_progress (singleton, epoch, upto, kind, before) VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (singleton) DO UPDATE SET epoch = excluded.epoch, upto = excluded.upto,
                                                       kind = excluded.kind, before = excluded.before",
                params![
                    epoch,
                    i64::try_from(*upto).unwrap_or(i64::MAX),
                    next.kind.as_str(),
                    next.before.map(|b| i64::try_from(b).unwrap_or(i64::MAX))
                ],
            )?;
        }
        PageEnd::Snapshot { epoch, upto, next: None } => {
            conn.execute("DELETE FROM snapshot_progress", [])?;
            save_cursor(*epoch, *upto)?;
        }
    }
    if local_edits {
        // The edits still waiting go back on top of the server's newer records (the
        // ledger's triggers list what that changes: see `rebase`).
        rebase(tx, company, &mut held)?;
    }
    if held_before {
        // Records other than the page's, which the inline ledger does not see: the
        // triggers list them, even during a first download.
        super::ledger::with_triggers_lent(conn, || retry_held(tx, company))?;
    }
    Ok(held)
}

/// Writes the replica's row of each of a page's changes, or deletes it, one at a time.
fn write_replica_rows(conn: &rusqlite::Connection, parts: &PageParts<'_>) -> Result<(), StoreError> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO replica (kind, id, seq, digest) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest",
    )?;
    let mut delete = conn.prepare_cached("DELETE FROM replica WHERE kind = ?1 AND id = ?2")?;
    for (change, digest) in parts.changes.iter().zip(&parts.records.digests) {
        let seq = i64::try_from(change.seq).map_err(|_| StoreError::Corrupt {
            column: "replica.seq",
            value: change.seq.to_string(),
            reason: "out of range".into(),
        })?;
        match digest {
            // Stored as the integer of the same 64 bits (SQLite integers are signed).
            Some(digest) => upsert.execute(params![
                change.kind.as_str(),
                change.id,
                seq,
                i64::from_be_bytes(digest.to_be_bytes())
            ])?,
            None => delete.execute(params![change.kind.as_str(), change.id])?,
        };
    }
    Ok(())
}

/// A pull page with each change's typed record and digest worked out: the part of
/// applying a page that needs no file, so that it can run apart from the writing.
#[derive(Debug)]
pub struct PreparedPage {
    pub page: RawPullPage,
    records: Prepared,
}

impl PreparedPage {
    pub fn prepare(page: RawPullPage) -> Self {
        let records = prepare(&page.changes);
        Self { page, records }
    }
}

/// A snapshot page prepared as [`PreparedPage`] is.
#[derive(Debug)]
pub struct PreparedSnapshot {
    pub page: RawSnapshotPage,
    records: Prepared,
    entries: PreparedEntries,
}

impl PreparedSnapshot {
    /// Also puts the page's records in the order of their ids. The snapshot brings the
    /// newest records first, so written as they come every record would go at the left
    /// edge of the tables and indexes keyed by id (the replica's, the documents', their
    /// lines', the ledger's), where SQLite splits and rebalances pages far more often
    /// than when keys come in ascending order. A snapshot holds each record once and at
    /// most one version of it, so the order within a page changes nothing else: 126k
    /// records took 7.6 s instead of 8.6–9.1 s (`first_download` benchmark).
    ///
    /// With `plan` (the chart of accounts the copy has now), the ledger rows of the
    /// page's documents are worked out here too (see [`PreparedEntries`]).
    pub fn prepare(mut page: RawSnapshotPage, plan: Option<&AccountPlan>) -> Self {
        page.changes.sort_by_key(|change| (change.kind, change.id));
        let records = prepare(&page.changes);
        let entries = PreparedEntries::of(plan, &records.bodies);
        Self { page, records, entries }
    }
}

/// A change's typed record (`None` for a deletion), or why it does not parse.
type Parsed = Result<Option<RecordBody>, String>;

/// What can be worked out of a page's changes without the file, one of each per change.
#[derive(Debug)]
struct Prepared {
    /// The typed record.
    bodies: Vec<Parsed>,
    /// The digest of its body as the server sent it (`None` for a deletion).
    digests: Vec<Option<u64>>,
    /// For a document, the values it is written with (`None`: not a document, or one
    /// whose values cannot be made: the writer makes them and reports why).
    columns: Vec<Option<DocumentColumns>>,
    /// The replica's rows of the page, as one JSON array of `[kind, id (32 hexadecimal
    /// digits), seq, digest]`, for one statement to write them all. `None` when the page
    /// deletes a record (written one change after another, in order) or has a seq out of
    /// range (which the writer reports).
    replica_rows: Option<String>,
}

fn prepare(changes: &[RawChange]) -> Prepared {
    let bodies: Vec<Parsed> = changes.iter().map(|change| change.parse().map_err(|e| e.to_string())).collect();
    let digests: Vec<Option<u64>> =
        changes.iter().map(|change| change.body.as_ref().map(|body| record_digest(change.id, body.get()))).collect();
    let columns = bodies
        .iter()
        .map(|body| match body {
            Ok(Some(RecordBody::Document(record))) => DocumentColumns::of(&record.document).ok(),
            _ => None,
        })
        .collect();
    let replica_rows = replica_rows(changes, &digests);
    Prepared { bodies, digests, columns, replica_rows }
}

/// See [`Prepared::replica_rows`]. The digest is kept as the integer of the same 64 bits
/// (SQLite integers are signed).
fn replica_rows(changes: &[RawChange], digests: &[Option<u64>]) -> Option<String> {
    use std::fmt::Write as _;
    let mut rows = String::with_capacity(changes.len() * 72 + 2);
    rows.push('[');
    for (change, digest) in changes.iter().zip(digests) {
        let (Some(digest), Ok(seq)) = (digest, i64::try_from(change.seq)) else { return None };
        let separator = if rows.len() > 1 { "," } else { "" };
        // Kinds are plain lowercase words: nothing in the row needs escaping.
        write!(
            rows,
            "{separator}[\"{}\",\"{}\",{seq},{}]",
            change.kind.as_str(),
            change.id.simple(),
            i64::from_be_bytes(digest.to_be_bytes())
        )
        .ok()?;
    }
    rows.push(']');
    Some(rows)
}

/// The indexes that serve the screens and the rules' lookups, none of which enforces a
/// rule, set aside during a first download with the kind whose records fill them: each
/// is built once its kind has arrived (see [`CompanyStore::build_indexes_before`]).
/// The ledger's rows come with the documents and the payments: the index of the entries
/// to post is built after the payments (126k records: 0.1 s less of writing its rows).
///
/// The documents' indexes whose keys follow the order the snapshot brings them in (the
/// newest first: by number, by status and date) or that hold few rows (credit notes'
/// invoices, structured communications) are kept up as the pages come instead: each new
/// key goes next to the last one, in a page already in the cache. Built after the
/// documents, they were a pause of the writer while the other core, which parses and
/// serves the pages, had little to do. 126k records, two runs each: the app's download
/// 5.49-5.55 s -> 5.26-5.31 s, though its writing thread's CPU went 4.68-4.70 s ->
/// 4.82-4.83 s. The others (by customer, by contact, lines by article) take keys in no
/// order, which cost most kept up.
const DEFERRED_INDEXES: [(&str, RecordKind); 8] = [
    ("documents_by_customer", RecordKind::Document),
    ("documents_by_contact", RecordKind::Document),
    ("lines_by_article", RecordKind::Document),
    ("allocations_by_document", RecordKind::Payment),
    ("payments_by_contact", RecordKind::Payment),
    ("ledger_pending", RecordKind::Payment),
    ("audit_by_entity", RecordKind::Audit),
    ("audit_by_user", RecordKind::Audit),
];

/// The triggers of migration 0002 that keep the documents' search index: set aside during
/// a first download (each runs a program per row written), which then indexes every
/// document at its end. Contacts and articles
/// keep theirs: the editor's pickers search them as soon as they arrive.
const DOCUMENT_SEARCH_TRIGGERS: [&str; 3] =
    ["documents_search_insert", "documents_search_update", "documents_search_delete"];

/// The triggers of migration 0009 that list changed accounting sources: set aside during
/// a first download, which then lists every source once at its end.
pub(super) const LEDGER_TRIGGERS: [&str; 6] = [
    "ledger_document_insert",
    "ledger_document_update",
    "ledger_document_delete",
    "ledger_payment_insert",
    "ledger_payment_update",
    "ledger_payment_delete",
];

/// Writes one of the server's records into the tables the screens read.
pub(crate) fn project(
    tx: &WriteTx<'_>,
    company: crate::model::CompanyId,
    kind: RecordKind,
    id: Uuid,
    body: Option<&RecordBody>,
) -> Result<(), StoreError> {
    project_with(tx, company, kind, id, body, None)
}

/// [`project`], with a document's values when they were worked out ahead.
fn project_with(
    tx: &WriteTx<'_>,
    company: crate::model::CompanyId,
    kind: RecordKind,
    id: Uuid,
    body: Option<&RecordBody>,
    columns: Option<&DocumentColumns>,
) -> Result<(), StoreError> {
    let conn = tx.connection();
    match body {
        Some(RecordBody::Contact(contact)) => tx.write_contact(contact, Write::Upsert)?,
        Some(RecordBody::Article(article)) => {
            // Another article may still hold this code here, its own change (to a new
            // code) further on in the log: park it on a placeholder until then.
            conn.prepare_cached("UPDATE articles SET code = '~' || lower(hex(id)) WHERE code = ?1 AND id <> ?2")?
                .execute(params![article.code, article.id.0])?;
            tx.write_article(article, Write::Upsert)?;
        }
        Some(RecordBody::Document(record)) => {
            tx.write_server_document(&record.document, to_cents(record.paid)?, columns)?;
        }
        Some(RecordBody::Payment(payment)) => tx.write_server_payment(payment)?,
        Some(RecordBody::Settings(settings)) => {
            if settings.company.id != company {
                return Err(StoreError::Corrupt {
                    column: "replica.settings",
                    value: settings.company.id.to_string(),
                    reason: "the settings of another company".into(),
                });
            }
            write_company(conn, &settings.company, Write::Update)?;
            super::company::write_logo(conn, settings.logo.as_ref())?;
            for series in &settings.series {
                save_series(conn, series)?;
            }
            super::ledger::save_account_plan(conn, settings.accounts.as_ref())?;
        }
        Some(RecordBody::Member(member)) => {
            tx.upsert_member(member.user_id, &member.email, &member.display_name, member.role)?;
        }
        Some(RecordBody::Audit(record)) => write_audit_record(conn, record)?,
        Some(RecordBody::Posting(posting)) => super::ledger::apply_posting(tx, posting)?,
        None => match kind {
            RecordKind::Document => {
                conn.execute("DELETE FROM document_lines WHERE document_id = ?1", [id])?;
                conn.execute("DELETE FROM documents WHERE id = ?1", [id])?;
            }
            RecordKind::Payment => {
                conn.execute("DELETE FROM payment_allocations WHERE payment_id = ?1", [id])?;
                conn.execute("DELETE FROM payments WHERE id = ?1", [id])?;
            }
            RecordKind::Contact => {
                conn.execute("DELETE FROM contacts WHERE id = ?1", [id])?;
            }
            RecordKind::Article => {
                conn.execute("DELETE FROM articles WHERE id = ?1", [id])?;
            }
            RecordKind::Member => {
                conn.execute("DELETE FROM members WHERE user_id = ?1", [id])?;
            }
            // Postings and the trail are never withdrawn.
            RecordKind::Settings | RecordKind::Audit | RecordKind::Posting => {}
        },
    }
    Ok(())
}
