//! Units of work on PostgreSQL: [`StorageTx`] (accounts, memberships, companies) and
//! [`CompanyTx`] (one company's log), and a company's export.

use chrono::NaiveDate;
use comptoir_core::model::{CompanyId, Role, UserId};
use comptoir_core::sync::RecordKind;
use uuid::Uuid;

use super::pool::Conn;
use super::{column, count, log_state, record_kind, seq_value};
use crate::server_key::ServerKey;
use crate::storage::{
    CompanyRecord, CompanyTx, ExportItem, LogState, MemberRecord, MoveRecord, StagedPart, StagedParts, StorageError,
    StorageTx, StoredChange, StoredOutcome, StoredRecord, UserRecord,
};

pub(super) struct PostgresStorageTx<'a> {
    pub tx: &'a Conn,
    pub key: &'a ServerKey,
}

/// Locks the company's row: the last-owner rule reads its members, and two changes of
/// members racing must not each see the other's owner still there.
fn lock_company(tx: &Conn, company: CompanyId) -> Result<(), StorageError> {
    tx.query_opt("SELECT 1 FROM companies WHERE id = $1 FOR UPDATE", &[&company.0])?;
    Ok(())
}

fn ensure_an_owner(tx: &Conn, company: CompanyId) -> Result<(), StorageError> {
    let owners: i64 = column(
        &tx.query_one("SELECT count(*) FROM members WHERE company_id = $1 AND role = 'owner'", &[&company.0])?,
        0,
    )?;
    if owners == 0 { Err(StorageError::LastOwner) } else { Ok(()) }
}

impl StorageTx for PostgresStorageTx<'_> {
    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>, StorageError> {
        super::select_user(self.tx, self.key, "email", &email)
    }

    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        super::select_user(self.tx, self.key, "id", &id.0)
    }

    fn create_user(&mut self, user: &UserRecord) -> Result<(), StorageError> {
        super::insert_user(self.tx, self.key, user)
    }

    fn company(&mut self, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError> {
        super::company(self.tx, id)
    }

    fn companies(&mut self) -> Result<Vec<CompanyRecord>, StorageError> {
        super::companies(self.tx)
    }

    fn create_company(&mut self, company: &CompanyRecord, epoch: Uuid) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO companies (id, name, country, created_at) VALUES ($1, $2, $3, $4)",
            &[&company.id.0, &company.name, &company.country, &company.created_at],
        )?;
        self.tx.execute(
            "INSERT INTO logs (company_id, epoch, audit_hash) VALUES ($1, $2, $3)",
            &[&company.id.0, &epoch, &comptoir_core::audit::GENESIS_HASH],
        )?;
        Ok(())
    }

    fn set_epoch(&mut self, company: CompanyId, epoch: Uuid) -> Result<(), StorageError> {
        let changed = self.tx.execute("UPDATE logs SET epoch = $2 WHERE company_id = $1", &[&company.0, &epoch])?;
        if changed == 0 { Err(StorageError::NotFound("company")) } else { Ok(()) }
    }

    fn moved(&mut self, company: CompanyId) -> Result<Option<MoveRecord>, StorageError> {
        super::moved(self.tx, company)
    }

    fn set_moved(&mut self, company: CompanyId, moved: Option<&MoveRecord>) -> Result<(), StorageError> {
        match moved {
            Some(moved) => self.tx.execute(
                "INSERT INTO company_moves (company_id, moved_at, moved_to) VALUES ($1, $2, $3)
                 ON CONFLICT (company_id) DO UPDATE SET moved_at = excluded.moved_at, moved_to = excluded.moved_to",
                &[&company.0, &moved.moved_at, &moved.moved_to],
            )?,
            None => self.tx.execute("DELETE FROM company_moves WHERE company_id = $1", &[&company.0])?,
        };
        Ok(())
    }

    fn import_company(&mut self, company: &CompanyRecord, state: &LogState) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO companies (id, name, country, created_at) VALUES ($1, $2, $3, $4)",
            &[&company.id.0, &company.name, &company.country, &company.created_at],
        )?;
        self.tx.execute(
            "INSERT INTO logs (company_id, epoch, seq, audit_seq, audit_hash) VALUES ($1, $2, $3, $4, $5)",
            &[&company.id.0, &state.epoch, &seq_value(state.seq)?, &seq_value(state.audit_seq)?, &state.audit_hash],
        )?;
        Ok(())
    }

    fn delete_company(&mut self, company: CompanyId) -> Result<(), StorageError> {
        lock_company(self.tx, company)?;
        for table in crate::storage::COMPANY_TABLES {
            self.tx.execute(&format!("DELETE FROM {table} WHERE company_id = $1"), &[&company.0])?;
        }
        let removed = self.tx.execute("DELETE FROM companies WHERE id = $1", &[&company.0])?;
        if removed == 0 { Err(StorageError::NotFound("company")) } else { Ok(()) }
    }

    fn members(&mut self, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError> {
        super::members(self.tx, company)
    }

    fn set_member(&mut self, company: CompanyId, user: UserId, role: Role) -> Result<(), StorageError> {
        lock_company(self.tx, company)?;
        let had_owner = ensure_an_owner(self.tx, company).is_ok();
        self.tx.execute(
            "INSERT INTO members (company_id, user_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role",
            &[&company.0, &user.0, &role.as_str()],
        )?;
        if had_owner {
            ensure_an_owner(self.tx, company)?;
        }
        Ok(())
    }

    fn remove_member(&mut self, company: CompanyId, user: UserId) -> Result<(), StorageError> {
        lock_company(self.tx, company)?;
        let removed =
            self.tx.execute("DELETE FROM members WHERE company_id = $1 AND user_id = $2", &[&company.0, &user.0])?;
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
        in_company(self.tx, company, work)
    }
}

/// Runs `work` on `company`'s log in the open transaction `tx`, its log row locked first.
pub(super) fn in_company(
    tx: &Conn,
    company: CompanyId,
    work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let state = log_state(tx, company, true)?.ok_or(StorageError::NotFound("company"))?;
    if super::moved(tx, company)?.is_some() {
        return Err(StorageError::Moved);
    }
    work(&mut PostgresCompanyTx { tx, company, state, savepoints: 0 })
}

struct PostgresCompanyTx<'a> {
    tx: &'a Conn,
    company: CompanyId,
    state: LogState,
    /// How deep the savepoints are nested (each has its own name).
    savepoints: u32,
}

fn part_number(part: u32) -> i64 {
    i64::from(part)
}

fn size(value: u64, what: &str) -> Result<i64, StorageError> {
    i64::try_from(value).map_err(|_| StorageError::Backend(format!("{what} {value} out of range")))
}

impl CompanyTx for PostgresCompanyTx<'_> {
    fn state(&self) -> &LogState {
        &self.state
    }

    fn get(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<StoredRecord>, StorageError> {
        self.tx
            .query_opt(
                "SELECT seq, body FROM records WHERE company_id = $1 AND kind = $2 AND id = $3",
                &[&self.company.0, &kind.as_str(), &id],
            )?
            .map(|row| Ok(StoredRecord { seq: count(column(&row, 0)?), body: column(&row, 1)? }))
            .transpose()
    }

    fn put(&mut self, kind: RecordKind, id: Uuid, body: Option<&str>) -> Result<u64, StorageError> {
        let seq = self.state.seq + 1;
        self.tx.execute(
            "INSERT INTO records (company_id, kind, id, seq, body) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (company_id, kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body",
            &[&self.company.0, &kind.as_str(), &id, &seq_value(seq)?, &body],
        )?;
        self.tx.execute("UPDATE logs SET seq = $2 WHERE company_id = $1", &[&self.company.0, &seq_value(seq)?])?;
        self.state.seq = seq;
        Ok(seq)
    }

    fn claim_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<bool, StorageError> {
        // The company's log row is locked: no other transaction claims in it meanwhile.
        let holder = self.tx.query_opt(
            "SELECT owner FROM unique_keys WHERE company_id = $1 AND namespace = $2 AND key = $3",
            &[&self.company.0, &namespace, &key],
        )?;
        if let Some(row) = holder {
            return Ok(column::<Uuid>(&row, 0)? == owner);
        }
        self.tx.execute(
            "INSERT INTO unique_keys (company_id, namespace, key, owner) VALUES ($1, $2, $3, $4)",
            &[&self.company.0, &namespace, &key, &owner],
        )?;
        Ok(true)
    }

    fn release_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<(), StorageError> {
        self.tx.execute(
            "DELETE FROM unique_keys WHERE company_id = $1 AND namespace = $2 AND key = $3 AND owner = $4",
            &[&self.company.0, &namespace, &key, &owner],
        )?;
        Ok(())
    }

    fn is_referenced(&mut self, _kind: RecordKind, id: Uuid) -> Result<bool, StorageError> {
        column(
            &self.tx.query_one(
                "SELECT EXISTS (SELECT 1 FROM record_refs WHERE company_id = $1 AND target = $2)",
                &[&self.company.0, &id.to_string()],
            )?,
            0,
        )
    }

    fn set_audit_head(&mut self, seq: u64, hash: &str) -> Result<(), StorageError> {
        self.tx.execute(
            "UPDATE logs SET audit_seq = $2, audit_hash = $3 WHERE company_id = $1",
            &[&self.company.0, &seq_value(seq)?, &hash],
        )?;
        self.state.audit_seq = seq;
        hash.clone_into(&mut self.state.audit_hash);
        Ok(())
    }

    fn restore_record(&mut self, kind: RecordKind, id: Uuid, seq: u64, body: Option<&str>) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO records (company_id, kind, id, seq, body) VALUES ($1, $2, $3, $4, $5)",
            &[&self.company.0, &kind.as_str(), &id, &seq_value(seq)?, &body],
        )?;
        Ok(())
    }

    fn restore_records(&mut self, changes: &[StoredChange]) -> Result<(), StorageError> {
        let kinds: Vec<&str> = changes.iter().map(|c| c.kind.as_str()).collect();
        let ids: Vec<Uuid> = changes.iter().map(|c| c.id).collect();
        let seqs = changes.iter().map(|c| seq_value(c.seq)).collect::<Result<Vec<i64>, _>>()?;
        let bodies: Vec<Option<&str>> = changes.iter().map(|c| c.body.as_deref()).collect();
        self.tx.execute(
            "INSERT INTO records (company_id, kind, id, seq, body)
             SELECT $1, * FROM unnest($2::text[], $3::uuid[], $4::bigint[], $5::text[])",
            &[&self.company.0, &kinds, &ids, &seqs, &bodies],
        )?;
        Ok(())
    }

    fn restore_outcomes(&mut self, outcomes: &[(Uuid, u64, StoredOutcome)]) -> Result<(), StorageError> {
        let clients: Vec<Uuid> = outcomes.iter().map(|o| o.0).collect();
        let mutations = outcomes.iter().map(|o| seq_value(o.1)).collect::<Result<Vec<i64>, _>>()?;
        let digests: Vec<Option<&str>> = outcomes.iter().map(|o| o.2.digest.as_deref()).collect();
        let answers: Vec<&str> = outcomes.iter().map(|o| o.2.outcome.as_str()).collect();
        self.tx.execute(
            "INSERT INTO mutations (company_id, client_id, mutation_id, digest, outcome)
             SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[])",
            &[&self.company.0, &clients, &mutations, &digests, &answers],
        )?;
        Ok(())
    }

    fn restore_keys(&mut self, keys: &[(String, String, Uuid)]) -> Result<(), StorageError> {
        let namespaces: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let owners: Vec<Uuid> = keys.iter().map(|k| k.2).collect();
        // A key held twice breaks the primary key: the statement, and the transaction, fail.
        self.tx.execute(
            "INSERT INTO unique_keys (company_id, namespace, key, owner)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::uuid[])",
            &[&self.company.0, &namespaces, &names, &owners],
        )?;
        Ok(())
    }

    fn outcome(&mut self, client: Uuid, mutation: u64) -> Result<Option<StoredOutcome>, StorageError> {
        self.tx
            .query_opt(
                "SELECT digest, outcome FROM mutations WHERE company_id = $1 AND client_id = $2 AND mutation_id = $3",
                &[&self.company.0, &client, &seq_value(mutation)?],
            )?
            .map(|row| Ok(StoredOutcome { digest: column(&row, 0)?, outcome: column(&row, 1)? }))
            .transpose()
    }

    fn last_mutation(&mut self, client: Uuid) -> Result<Option<u64>, StorageError> {
        let last: Option<i64> = column(
            &self.tx.query_one(
                "SELECT max(mutation_id) FROM mutations WHERE company_id = $1 AND client_id = $2",
                &[&self.company.0, &client],
            )?,
            0,
        )?;
        Ok(last.and_then(|m| u64::try_from(m).ok()))
    }

    fn save_outcome(&mut self, client: Uuid, mutation: u64, digest: &str, outcome: &str) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO mutations (company_id, client_id, mutation_id, digest, outcome) VALUES ($1, $2, $3, $4, $5)",
            &[&self.company.0, &client, &seq_value(mutation)?, &digest, &outcome],
        )?;
        Ok(())
    }

    fn restore_outcome(&mut self, client: Uuid, mutation: u64, stored: &StoredOutcome) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO mutations (company_id, client_id, mutation_id, digest, outcome) VALUES ($1, $2, $3, $4, $5)",
            &[&self.company.0, &client, &seq_value(mutation)?, &stored.digest, &stored.outcome],
        )?;
        Ok(())
    }

    fn stage_part(&mut self, posting: Uuid, part: &StagedPart, entries: &str) -> Result<(), StorageError> {
        self.tx.execute(
            "INSERT INTO posting_parts
                (company_id, posting_id, part, period_from, period_to, staged_at, entries, bytes, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &self.company.0,
                &posting,
                &part_number(part.part),
                &part.from,
                &part.to,
                &part.staged_at,
                &size(u64::try_from(part.entries).unwrap_or(u64::MAX), "entries")?,
                &size(part.bytes, "bytes")?,
                &entries,
            ],
        )?;
        Ok(())
    }

    fn staged_postings(&mut self) -> Result<Vec<Uuid>, StorageError> {
        self.tx
            .query(
                "SELECT DISTINCT posting_id FROM posting_parts WHERE company_id = $1 ORDER BY posting_id",
                &[&self.company.0],
            )?
            .iter()
            .map(|row| column(row, 0))
            .collect()
    }

    fn staged_parts(&mut self, posting: Uuid) -> Result<Vec<StagedPart>, StorageError> {
        self.tx
            .query(
                "SELECT part, period_from, period_to, staged_at, entries, bytes FROM posting_parts
                 WHERE company_id = $1 AND posting_id = $2 ORDER BY part",
                &[&self.company.0, &posting],
            )?
            .iter()
            .map(|row| {
                Ok(StagedPart {
                    part: u32::try_from(column::<i64>(row, 0)?).map_err(|e| StorageError::Corrupt(e.to_string()))?,
                    from: column::<Option<NaiveDate>>(row, 1)?,
                    to: column(row, 2)?,
                    staged_at: column(row, 3)?,
                    entries: usize::try_from(column::<i64>(row, 4)?).unwrap_or(0),
                    bytes: count(column(row, 5)?),
                })
            })
            .collect()
    }

    fn staged_entries(&mut self, posting: Uuid, part: u32) -> Result<Option<String>, StorageError> {
        self.tx
            .query_opt(
                "SELECT body FROM posting_parts WHERE company_id = $1 AND posting_id = $2 AND part = $3",
                &[&self.company.0, &posting, &part_number(part)],
            )?
            .map(|row| column(&row, 0))
            .transpose()
    }

    fn staged_bytes(&mut self) -> Result<u64, StorageError> {
        let bytes: i64 = column(
            &self.tx.query_one(
                "SELECT coalesce(sum(bytes), 0)::bigint FROM posting_parts WHERE company_id = $1",
                &[&self.company.0],
            )?,
            0,
        )?;
        Ok(count(bytes))
    }

    fn drop_parts(&mut self, which: StagedParts) -> Result<usize, StorageError> {
        let dropped = match which {
            StagedParts::Of(posting) => self.tx.execute(
                "DELETE FROM posting_parts WHERE company_id = $1 AND posting_id = $2",
                &[&self.company.0, &posting],
            )?,
            StagedParts::OtherPostingsOf { keep, from, to } => self.tx.execute(
                "DELETE FROM posting_parts WHERE company_id = $1 AND posting_id <> $2
                    AND period_from IS NOT DISTINCT FROM $3 AND period_to = $4",
                &[&self.company.0, &keep, &from, &to],
            )?,
            StagedParts::StagedBefore(before) => self.tx.execute(
                "DELETE FROM posting_parts WHERE company_id = $1 AND staged_at < $2",
                &[&self.company.0, &before],
            )?,
        };
        Ok(usize::try_from(dropped).unwrap_or(usize::MAX))
    }

    fn savepoint(
        &mut self,
        work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let state = self.state.clone();
        self.savepoints += 1;
        let name = format!("work_{}", self.savepoints);
        self.tx.batch_execute(&format!("SAVEPOINT {name}"))?;
        let outcome = work(self);
        self.savepoints -= 1;
        match outcome {
            Ok(()) => {
                self.tx.batch_execute(&format!("RELEASE SAVEPOINT {name}"))?;
                Ok(())
            }
            // A conflict aborted the whole transaction: it is run again from the start.
            Err(e @ StorageError::Conflict(_)) => Err(e),
            Err(e) => {
                self.tx.batch_execute(&format!("ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}"))?;
                self.state = state;
                Err(e)
            }
        }
    }
}

/// Reads `company` whole in the snapshot `tx`, for [`crate::storage::Storage::export_company`].
pub(super) fn export(
    tx: &Conn,
    company: CompanyId,
    sink: &mut dyn FnMut(ExportItem) -> Result<(), StorageError>,
) -> Result<(), StorageError> {
    let record = super::company(tx, company)?.ok_or(StorageError::NotFound("company"))?;
    let state = log_state(tx, company, false)?.ok_or(StorageError::NotFound("company"))?;
    sink(ExportItem::Company(record, state))?;
    for member in super::members(tx, company)? {
        sink(ExportItem::Member(member))?;
    }
    // Records a page at a time: a company's log may not fit in memory twice.
    let mut after = (-1_i64, String::new());
    loop {
        let rows = tx.query(
            "SELECT seq, kind, id, body FROM records WHERE company_id = $1 AND (seq, kind) > ($2, $3)
             ORDER BY seq, kind LIMIT 1000",
            &[&company.0, &after.0, &after.1],
        )?;
        for row in &rows {
            let seq: i64 = column(row, 0)?;
            let kind: String = column(row, 1)?;
            let change = StoredChange {
                seq: u64::try_from(seq).map_err(|e| StorageError::Corrupt(e.to_string()))?,
                kind: record_kind(&kind)?,
                id: column(row, 2)?,
                body: column(row, 3)?,
            };
            after = (seq, kind);
            sink(ExportItem::Record(change))?;
        }
        if rows.len() < 1000 {
            break;
        }
    }
    // Answers and keys a page at a time too: a busy company has as many answers as edits.
    let mut after = (Uuid::nil(), -1_i64);
    loop {
        let rows = tx.query(
            "SELECT client_id, mutation_id, digest, outcome FROM mutations
             WHERE company_id = $1 AND (client_id, mutation_id) > ($2, $3)
             ORDER BY client_id, mutation_id LIMIT 1000",
            &[&company.0, &after.0, &after.1],
        )?;
        for row in &rows {
            let (client, mutation_id): (Uuid, i64) = (column(row, 0)?, column(row, 1)?);
            let mutation = u64::try_from(mutation_id).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let stored = StoredOutcome { digest: column(row, 2)?, outcome: column(row, 3)? };
            after = (client, mutation_id);
            sink(ExportItem::Outcome { client, mutation, stored })?;
        }
        if rows.len() < 1000 {
            break;
        }
    }
    let mut after: Option<(String, String)> = None;
    loop {
        let (namespace, key) = after.clone().unwrap_or_default();
        let rows = tx.query(
            "SELECT namespace, key, owner FROM unique_keys
             WHERE company_id = $1 AND ($2 OR (namespace, key) > ($3, $4))
             ORDER BY namespace, key LIMIT 1000",
            &[&company.0, &after.is_none(), &namespace, &key],
        )?;
        for row in &rows {
            let (namespace, key): (String, String) = (column(row, 0)?, column(row, 1)?);
            after = Some((namespace.clone(), key.clone()));
            sink(ExportItem::Key { namespace, key, owner: column(row, 2)? })?;
        }
        if rows.len() < 1000 {
            break;
        }
    }
    Ok(())
}
