//! The parts of postings sent in several requests, staged in `posting_parts` (outside the
//! company's log) until the posting is committed whole or dropped.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension as _, Transaction, params};
use uuid::Uuid;

use super::{parse_time, time_text};
use crate::storage::{StagedPart, StagedParts, StorageError};
use comptoir_core::model::CompanyId;

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn parse_date(value: &str) -> Result<NaiveDate, StorageError> {
    value.parse().map_err(|e| StorageError::Corrupt(format!("posting part date “{value}”: {e}")))
}

fn count(value: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| StorageError::Backend(format!("{what} {value} out of range")))
}

pub(super) fn stage(
    tx: &Transaction<'_>,
    company: CompanyId,
    posting: Uuid,
    part: &StagedPart,
    entries: &str,
) -> Result<(), StorageError> {
    tx.prepare_cached(
        "INSERT INTO posting_parts
            (company_id, posting_id, part, period_from, period_to, staged_at, entries, bytes, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        company.0,
        posting,
        part.part,
        part.from.map(date_text),
        date_text(part.to),
        time_text(part.staged_at),
        count(u64::try_from(part.entries).unwrap_or(u64::MAX), "entries")?,
        count(part.bytes, "bytes")?,
        entries,
    ])?;
    Ok(())
}

pub(super) fn postings(tx: &Transaction<'_>, company: CompanyId) -> Result<Vec<Uuid>, StorageError> {
    let mut stmt =
        tx.prepare_cached("SELECT DISTINCT posting_id FROM posting_parts WHERE company_id = ?1 ORDER BY posting_id")?;
    let rows = stmt.query_map([company.0], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn parts(tx: &Transaction<'_>, company: CompanyId, posting: Uuid) -> Result<Vec<StagedPart>, StorageError> {
    let mut stmt = tx.prepare_cached(
        "SELECT part, period_from, period_to, staged_at, entries, bytes FROM posting_parts
         WHERE company_id = ?1 AND posting_id = ?2 ORDER BY part",
    )?;
    let rows = stmt.query_map(params![company.0, posting], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (part, from, to, staged_at, entries, bytes) = row?;
        Ok(StagedPart {
            part,
            from: from.as_deref().map(parse_date).transpose()?,
            to: parse_date(&to)?,
            staged_at: parse_time(&staged_at)?,
            entries: usize::try_from(entries).unwrap_or(0),
            bytes: u64::try_from(bytes).unwrap_or(0),
        })
    })
    .collect()
}

pub(super) fn entries(
    tx: &Transaction<'_>,
    company: CompanyId,
    posting: Uuid,
    part: u32,
) -> Result<Option<String>, StorageError> {
    Ok(tx
        .prepare_cached("SELECT body FROM posting_parts WHERE company_id = ?1 AND posting_id = ?2 AND part = ?3")?
        .query_row(params![company.0, posting, part], |r| r.get(0))
        .optional()?)
}

pub(super) fn bytes(tx: &Transaction<'_>, company: CompanyId) -> Result<u64, StorageError> {
    let bytes: i64 = tx
        .prepare_cached("SELECT coalesce(sum(bytes), 0) FROM posting_parts WHERE company_id = ?1")?
        .query_row([company.0], |r| r.get(0))?;
    Ok(u64::try_from(bytes).unwrap_or(0))
}

pub(super) fn drop(tx: &Transaction<'_>, company: CompanyId, which: StagedParts) -> Result<usize, StorageError> {
    Ok(match which {
        StagedParts::Of(posting) => tx
            .prepare_cached("DELETE FROM posting_parts WHERE company_id = ?1 AND posting_id = ?2")?
            .execute(params![company.0, posting])?,
        StagedParts::OtherPostingsOf { keep, from, to } => tx
            .prepare_cached(
                "DELETE FROM posting_parts WHERE company_id = ?1 AND posting_id <> ?2
                    AND period_from IS ?3 AND period_to = ?4",
            )?
            .execute(params![company.0, keep, from.map(date_text), date_text(to)])?,
        StagedParts::StagedBefore(before) => tx
            .prepare_cached("DELETE FROM posting_parts WHERE company_id = ?1 AND staged_at < ?2")?
            .execute(params![company.0, time_text(before)])?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is the failure report")]

    use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
    use uuid::Uuid;

    use crate::storage::{CompanyTx, SqliteStorage, StagedPart, StagedParts, Storage};
    use comptoir_core::model::CompanyId;

    fn staged(part: u32, from: Option<NaiveDate>, staged_at: DateTime<Utc>, bytes: u64) -> StagedPart {
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        StagedPart { part, from, to, staged_at, entries: 2, bytes }
    }

    fn with(storage: &SqliteStorage, company: CompanyId, work: &mut dyn FnMut(&mut dyn CompanyTx)) {
        storage
            .in_company(company, &mut |tx| {
                work(tx);
                Ok(())
            })
            .unwrap();
    }

    /// Parts are kept per company and posting, in order; they are dropped by posting, by
    /// period (another posting's), and by age, and never another company's.
    #[test]
    fn parts_are_staged_per_company_and_dropped_by_posting_period_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let a = crate::admin::create_company(&storage, "A", "FR").unwrap();
        let b = crate::admin::create_company(&storage, "B", "BE").unwrap();
        let now = Utc::now();
        let old = now - TimeDelta::hours(25);
        let (first, second, third) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let other_period = NaiveDate::from_ymd_opt(2026, 1, 1);
        with(&storage, a, &mut |tx| {
            tx.stage_part(first, &staged(2, None, now, 20), "[2]").unwrap();
            tx.stage_part(first, &staged(1, None, now, 10), "[1]").unwrap();
            tx.stage_part(second, &staged(1, other_period, old, 5), "[]").unwrap();
            tx.stage_part(third, &staged(1, None, now, 7), "[]").unwrap();
        });
        with(&storage, b, &mut |tx| tx.stage_part(first, &staged(1, None, old, 100), "[b]").unwrap());
        with(&storage, a, &mut |tx| {
            let parts = tx.staged_parts(first).unwrap();
            assert_eq!(parts, vec![staged(1, None, parts[0].staged_at, 10), staged(2, None, parts[1].staged_at, 20)]);
            assert_eq!(tx.staged_entries(first, 2).unwrap().as_deref(), Some("[2]"));
            assert_eq!(tx.staged_entries(first, 3).unwrap(), None);
            assert_eq!(tx.staged_bytes().unwrap(), 42);
            // By age: the old part of A only.
            assert_eq!(tx.drop_parts(StagedParts::StagedBefore(now - TimeDelta::hours(24))).unwrap(), 1);
            assert!(tx.staged_parts(second).unwrap().is_empty());
            // By period: the other posting of the period, not the one kept.
            let period = StagedParts::OtherPostingsOf { keep: first, from: None, to: staged(1, None, now, 0).to };
            assert_eq!(tx.drop_parts(period).unwrap(), 1);
            assert!(tx.staged_parts(third).unwrap().is_empty());
            assert_eq!(tx.staged_parts(first).unwrap().len(), 2);
            assert_eq!(tx.drop_parts(StagedParts::Of(first)).unwrap(), 2);
            assert_eq!(tx.staged_bytes().unwrap(), 0);
        });
        // B's part, of the same posting id and older than a day, is still there.
        with(&storage, b, &mut |tx| {
            assert_eq!(tx.staged_bytes().unwrap(), 100);
            assert_eq!(tx.staged_entries(first, 1).unwrap().as_deref(), Some("[b]"));
        });
    }
}
