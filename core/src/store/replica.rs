//! The client's replica of the server's records and its place in the server's log.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use super::{CompanyStore, StoreError};
use crate::sync::{Cursor, RawPullPage, RecordKind, TableStats, checksum_add, table_stats};

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
    /// a copy killed between two pages resumes after the last page it committed.
    ///
    /// `after` is the seq the page was asked after; a page that does not start at this
    /// copy's cursor, or comes from another epoch, is refused and changes nothing.
    pub fn apply_pull_page(&mut self, after: u64, page: &RawPullPage) -> Result<(), StoreError> {
        let current = self.sync_cursor()?;
        if current.is_some_and(|cursor| cursor.epoch != page.epoch) {
            return Err(StoreError::EpochChanged);
        }
        let at = current.map_or(0, |c| c.seq);
        if at != after {
            return Err(StoreError::PageOutOfOrder { cursor: at, page_after: after });
        }
        self.write(|tx| {
            let conn = tx.connection();
            let mut upsert = conn.prepare_cached(
                "INSERT INTO replica (kind, id, seq, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body",
            )?;
            let mut delete = conn.prepare_cached("DELETE FROM replica WHERE kind = ?1 AND id = ?2")?;
            for change in &page.changes {
                let seq = i64::try_from(change.seq).map_err(|_| StoreError::Corrupt {
                    column: "replica.seq",
                    value: change.seq.to_string(),
                    reason: "out of range".into(),
                })?;
                match &change.body {
                    Some(body) => upsert.execute(params![change.kind.as_str(), change.id, seq, body.get()])?,
                    None => delete.execute(params![change.kind.as_str(), change.id])?,
                };
            }
            let seq = i64::try_from(page.cursor.seq).unwrap_or(i64::MAX);
            conn.execute(
                "INSERT INTO sync_cursor (singleton, epoch, seq) VALUES (1, ?1, ?2)
                 ON CONFLICT (singleton) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq",
                params![page.epoch, seq],
            )?;
            Ok(())
        })
    }

    /// Count and checksum per kind of record in the replica: the same figures as the
    /// server's `admin stats` when the copy is up to date.
    pub fn replica_stats(&self) -> Result<BTreeMap<RecordKind, TableStats>, StoreError> {
        let mut sums: BTreeMap<RecordKind, (u64, u64)> = BTreeMap::new();
        let mut stmt = self.connection().prepare("SELECT kind, id, body FROM replica")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Uuid>(1)?, r.get::<_, String>(2)?)))?;
        for row in rows {
            let (kind, id, body) = row?;
            let kind = RecordKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                column: "replica.kind",
                value: kind.clone(),
                reason: "unknown kind".into(),
            })?;
            let entry = sums.entry(kind).or_default();
            entry.0 += 1;
            entry.1 = checksum_add(entry.1, id, &body);
        }
        Ok(table_stats(&sums))
    }
}
