//! The outbox: local edits waiting for the server (see migration 0004), and the edits
//! the server applied, kept for a while after this copy pulled past them (migration
//! 0024): a server restored from a backup that lacks them gets them again
//! ([`CompanyStore::replay_kept`]).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use super::held::HeldRecord;
use super::local::rebase;
use super::{CompanyStore, StoreError, WriteTx};
use crate::model::UserId;
use crate::sync::{Cursor, Intent, Mutation, Outcome, PushResult};

/// A local edit the server refused, kept with its reason for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedMutation {
    pub mutation_id: u64,
    pub intent: Intent,
    pub code: String,
    pub message: String,
}

fn intent_json(intent: &Intent) -> Result<String, StoreError> {
    serde_json::to_string(intent).map_err(|e| StoreError::Corrupt {
        column: "outbox.intent",
        value: String::new(),
        reason: e.to_string(),
    })
}

fn parse_intent(json: &str) -> Result<Intent, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        column: "outbox.intent",
        value: json.chars().take(80).collect(),
        reason: e.to_string(),
    })
}

/// How long an acknowledged edit is kept after a sync first found it acknowledged: the
/// host keeps 30 daily backups, so a restore goes back at most about 30 days.
pub const KEPT_DAYS: i64 = 40;
/// The most acknowledged edits a copy keeps, the newest: a copy cannot grow without end.
/// The oldest go first; they are the likeliest to be in any backup.
pub const KEPT_MAX: u64 = 20_000;

/// An issued document that a restored server numbered again when this copy sent its
/// acknowledged edits again: its content is the same, its number changed (another
/// device issued first on the restored server).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Renumbering {
    pub document: crate::model::DocumentId,
    /// The number the document had before the restore.
    pub before: String,
    /// The number the restored server gave it.
    pub after: String,
}

fn id_value(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// Edits waiting in this copy for another account than the one signed in: they go to the
/// server only in their author's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingEdits {
    pub author: UserId,
    /// The author as the copy knows them (email, else display name; the id when they
    /// are no longer a member).
    pub name: String,
    pub count: u64,
}

/// An edit of this copy that has not reached the server (or that a restored server
/// refused), as the user is told of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEdit {
    pub mutation_id: u64,
    /// [`Intent::action`]: "create", "issue", …
    pub action: &'static str,
    /// The record it is about, as the copy names it (when it still does).
    pub record: Option<super::RecordLabel>,
}

impl WriteTx<'_> {
    /// Queues `intent` for the server, made by `author`, in this transaction: it commits
    /// with the edit it describes, or not at all. Returns its mutation id.
    pub fn enqueue(&self, intent: &Intent, author: Option<UserId>) -> Result<u64, StoreError> {
        self.connection()
            .prepare_cached(
                "INSERT INTO outbox (intent, created_at, author)
                 VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?2)",
            )?
            .execute(params![intent_json(intent)?, author.map(|a| a.0)])?;
        Ok(u64::try_from(self.connection().last_insert_rowid()).unwrap_or(0))
    }
}

impl CompanyStore {
    /// This copy's id towards the server, made on first use.
    pub fn client_id(&mut self) -> Result<Uuid, StoreError> {
        if let Some(id) = self
            .connection()
            .query_row("SELECT client_id FROM device WHERE singleton = 1", [], |r| r.get(0))
            .optional()?
        {
            return Ok(id);
        }
        let id = Uuid::now_v7();
        self.write(|tx| {
            tx.connection().execute("INSERT INTO device (singleton, client_id) VALUES (1, ?1)", [id])?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Gives this copy a new client id, after the server found its id shared with another
    /// copy of the file ([`Outcome::ClientIdTaken`]): the pending edits go again under it.
    /// Only the server's word may trigger this: an edit that reached the server under the
    /// old id, sent again under a new one, would be applied twice.
    pub fn renew_client_id(&mut self) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        self.write(|tx| {
            tx.connection().execute(
                "INSERT INTO device (singleton, client_id) VALUES (1, ?1)
                 ON CONFLICT (singleton) DO UPDATE SET client_id = excluded.client_id",
                [id],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The oldest pending edits of the signed-in author ([`Self::set_author`]), in order,
    /// ready to push (an edit sent again after a restore goes under the client id it was
    /// applied under, see [`Self::replay_kept`]). They stop at the first edit of another
    /// account: edits keep their order (a later one may need an earlier one), so the
    /// signed-in account's edits wait behind another's until that author sends them or
    /// they are discarded ([`Self::discard_edits_of`]).
    pub fn pending_mutations(&mut self, limit: u32) -> Result<Vec<Mutation>, StoreError> {
        let client_id = self.client_id()?;
        let author = self.author().map(|a| a.0);
        let mut stmt = self.connection().prepare_cached(
            "SELECT mutation_id, intent, applied_client FROM outbox WHERE state = 'pending'
               AND mutation_id < ifnull((SELECT min(mutation_id) FROM outbox WHERE state = 'pending'
                                         AND author IS NOT NULL AND author IS NOT ?2), 9223372036854775807)
             ORDER BY mutation_id LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit, author], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<Uuid>>(2)?))
        })?;
        rows.map(|row| {
            let (id, json, applied_client) = row?;
            // An edit sent again after a restore goes under the id it was applied under.
            Ok(Mutation {
                client_id: applied_client.unwrap_or(client_id),
                mutation_id: u64::try_from(id).unwrap_or(0),
                intent: parse_intent(&json)?,
            })
        })
        .collect()
    }

    /// The edits waiting for other accounts than the signed-in one, per author, the
    /// author who has waited longest first.
    pub fn waiting_for_others(&self) -> Result<Vec<WaitingEdits>, StoreError> {
        let author = self.author().map(|a| a.0);
        let mut stmt = self.connection().prepare_cached(
            "SELECT o.author, coalesce(nullif(m.email, ''), nullif(m.display_name, '')), count(*)
             FROM outbox AS o LEFT JOIN members AS m ON m.user_id = o.author
             WHERE o.state = 'pending' AND o.author IS NOT NULL AND o.author IS NOT ?1
             GROUP BY o.author ORDER BY min(o.mutation_id)",
        )?;
        let rows = stmt
            .query_map([author], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)))?;
        rows.map(|row| {
            let (author, name, count) = row?;
            Ok(WaitingEdits {
                author: UserId(author),
                name: name.unwrap_or_else(|| author.to_string()),
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
    }

    /// Discards the edits that wait for `author`, after the user confirmed: they leave
    /// the outbox and their effect on this copy is undone (the other waiting edits are
    /// replayed on the server's records). Returns how many went; the records the rebase
    /// could not put back are set aside, as after a refusal.
    pub fn discard_edits_of(&mut self, author: UserId) -> Result<(u64, Vec<HeldRecord>), StoreError> {
        let company = self.company_id();
        self.write(|tx| {
            let removed =
                tx.connection().execute("DELETE FROM outbox WHERE state = 'pending' AND author = ?1", [author.0])?;
            let mut held = Vec::new();
            if removed > 0 {
                rebase(tx, company, &mut held)?;
            }
            Ok((removed as u64, held))
        })
    }

    /// Every edit that waits for the server (whoever made it), oldest first, named.
    pub fn pending_edits(&self) -> Result<Vec<PendingEdit>, StoreError> {
        self.named_edits("state = 'pending'")
    }

    /// The outbox's entries that match `filter` (an SQL condition of this file's), oldest
    /// first, named.
    fn named_edits(&self, filter: &str) -> Result<Vec<PendingEdit>, StoreError> {
        let mut stmt = self
            .connection()
            .prepare(&format!("SELECT mutation_id, intent FROM outbox WHERE {filter} ORDER BY mutation_id"))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, json) = row?;
            let intent = parse_intent(&json)?;
            Ok(PendingEdit {
                mutation_id: u64::try_from(id).unwrap_or(0),
                action: intent.action(),
                record: self.record_label(intent.target().1)?,
            })
        })
        .collect()
    }

    /// How many edits wait for the server.
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        let count: i64 =
            self.connection().query_row("SELECT count(*) FROM outbox WHERE state = 'pending'", [], |r| r.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Records the server's answers to a push. Applied entries are local edits until the
    /// copy has pulled past them, then only kept a while ([`Self::acknowledge_applied`]);
    /// refused ones are kept with the reason, and their effect on this copy is undone
    /// (the waiting edits are rebased). Returns the server's records the rebase could not
    /// put back, set aside (see [`super::HeldRecord`]).
    ///
    /// Between two pages of a pull, a record the rebase puts back may refer to one the
    /// next page brings (the log orders records by their latest change): the copy's
    /// foreign keys then refuse the rebase. The answers are recorded all the same, and the
    /// rebase waits for the next page, which applies the server's records as they come
    /// and rebases. A copy that cannot apply an answer never asks for it again.
    pub fn record_outcomes(&mut self, results: &[PushResult]) -> Result<Vec<HeldRecord>, StoreError> {
        let company = self.company_id();
        let refused = results.iter().any(|r| matches!(r.outcome, Outcome::Rejected { .. }));
        let recorded = self.write(|tx| {
            record(tx.connection(), results)?;
            let mut held = Vec::new();
            if refused {
                rebase(tx, company, &mut held)?;
            }
            Ok(held)
        });
        match recorded {
            Err(e) if refused && e.concerns_a_record() => {
                match self.dangling_reference() {
                    Ok(Some(reference)) => {
                        tracing::info!(%reference, "the rebase after a refusal waits for the next page");
                    }
                    Ok(None) => tracing::warn!(error = %e, "the rebase after a refusal waits for the next page"),
                    Err(diagnosis) => tracing::warn!(error = %e, %diagnosis, "the rebase waits for the next page"),
                }
                self.write(|tx| record(tx.connection(), results))?;
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// The first reference the rebase would leave dangling, named ("document … refers to
    /// contacts …, not in this copy yet"): the rebase is run once more with foreign keys
    /// off, the copy's references checked, and everything rolled back. Only for the
    /// message of a refused rebase: it reads every table that has references.
    pub(crate) fn dangling_reference(&mut self) -> Result<Option<String>, StoreError> {
        let company = self.company_id();
        self.connection().pragma_update(None, "foreign_keys", "OFF")?;
        let found = self.probe(|tx| {
            rebase(tx, company, &mut Vec::new())?;
            first_dangling_reference(tx.connection())
        });
        self.connection().pragma_update(None, "foreign_keys", "ON")?;
        found
    }

    /// Marks acknowledged the applied entries the copy has pulled past (a pulled page
    /// does it too); returns how many it marked.
    pub fn acknowledge_applied(&mut self) -> Result<u64, StoreError> {
        let Some(cursor) = self.sync_cursor()? else { return Ok(0) };
        self.write(|tx| acknowledge_applied(tx.connection(), cursor))
    }

    /// How many acknowledged edits this copy keeps (see [`Self::replay_kept`]).
    pub fn kept_count(&self) -> Result<u64, StoreError> {
        let count: i64 =
            self.connection().query_row("SELECT count(*) FROM outbox WHERE acknowledged = 1", [], |r| r.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Dates the acknowledged entries a sync finds for the first time (`now`, by the
    /// engine's clock), then forgets those kept longer than [`KEPT_DAYS`] and all but the
    /// newest [`KEPT_MAX`]. Returns how many it forgot.
    pub fn expire_kept(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let stamp = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (now_text, limit) = (stamp(now), stamp(now - chrono::TimeDelta::days(KEPT_DAYS)));
        self.write(|tx| {
            let conn = tx.connection();
            conn.execute("UPDATE outbox SET kept_at = ?1 WHERE acknowledged = 1 AND kept_at IS NULL", [&now_text])?;
            let old = conn.execute("DELETE FROM outbox WHERE acknowledged = 1 AND kept_at < ?1", [&limit])?;
            let kept: i64 = conn.query_row("SELECT count(*) FROM outbox WHERE acknowledged = 1", [], |r| r.get(0))?;
            let over = if u64::try_from(kept).unwrap_or(0) > KEPT_MAX {
                conn.execute(
                    "DELETE FROM outbox WHERE acknowledged = 1 AND mutation_id <
                       (SELECT mutation_id FROM outbox WHERE acknowledged = 1 ORDER BY mutation_id DESC
                        LIMIT 1 OFFSET ?1)",
                    [id_value(KEPT_MAX.saturating_sub(1))],
                )?
            } else {
                0
            };
            Ok((old + over) as u64)
        })
    }

    /// The server's log is another one than this copy's (`epoch`: a server restored from
    /// a backup): the edits it had applied and this copy had pulled past, in the log of
    /// `epoch`, wait again for the server, in their order, each under the client id it
    /// was applied under. The restored server knows by that key those its backup holds
    /// and answers them as before; it applies the others. An issued document keeps the
    /// number it had, to tell the user when the server gives another
    /// ([`Self::renumbered`]). Returns how many wait again.
    ///
    /// They go before the edits still pending (smaller mutation ids, which the server
    /// wants growing), so this runs before the push that meets the new log.
    pub fn replay_kept(&mut self, epoch: Uuid) -> Result<u64, StoreError> {
        self.write(|tx| {
            let again = tx.connection().execute(
                "UPDATE outbox SET state = 'pending', acknowledged = 0, replayed = 1, number_before = applied_number,
                        applied_seq = NULL, applied_number = NULL, kept_at = NULL
                 WHERE acknowledged = 1 AND applied_epoch = ?1",
                [epoch],
            )?;
            Ok(again as u64)
        })
    }

    /// The edits a restored server refused when they were sent again, though the server
    /// before it had applied them (see [`Self::replay_kept`]), oldest first, named.
    pub fn refused_replays(&self) -> Result<Vec<PendingEdit>, StoreError> {
        self.named_edits("state = 'rejected' AND replayed = 1")
    }

    /// The issued documents a restored server numbered otherwise than before, oldest
    /// first (see [`Self::replay_kept`]).
    pub fn renumbered(&self) -> Result<Vec<Renumbering>, StoreError> {
        let mut stmt = self.connection().prepare(
            "SELECT intent, number_before, applied_number FROM outbox
             WHERE state = 'applied' AND number_before IS NOT NULL AND applied_number IS NOT NULL
               AND applied_number <> number_before
             ORDER BY mutation_id",
        )?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        rows.map(|row| {
            let (json, before, after) = row?;
            let document = crate::model::DocumentId(parse_intent(&json)?.target().1);
            Ok(Renumbering { document, before, after })
        })
        .collect()
    }

    /// The edits the server refused, oldest first.
    pub fn rejected_mutations(&self) -> Result<Vec<RejectedMutation>, StoreError> {
        let mut stmt = self.connection().prepare(
            "SELECT mutation_id, intent, reject_code, reject_message FROM outbox WHERE state = 'rejected'
             ORDER BY mutation_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
        })?;
        rows.map(|row| {
            let (id, json, code, message) = row?;
            Ok(RejectedMutation {
                mutation_id: u64::try_from(id).unwrap_or(0),
                intent: parse_intent(&json)?,
                code,
                message: message.unwrap_or_default(),
            })
        })
        .collect()
    }
}

/// Marks each answered entry applied (with the seq of its change, the client id it was
/// applied under and the number it was given) or refused (with the reason); entries
/// already answered are left as they are.
fn record(conn: &rusqlite::Connection, results: &[PushResult]) -> Result<(), StoreError> {
    for result in results {
        match &result.outcome {
            Outcome::Applied { seq, number } => conn.execute(
                "UPDATE outbox SET state = 'applied', applied_seq = ?2, applied_client = ?3, applied_number = ?4
                 WHERE mutation_id = ?1 AND state = 'pending'",
                params![id_value(result.mutation_id), id_value(*seq), result.client_id, number],
            )?,
            Outcome::Rejected { code, message } => conn.execute(
                "UPDATE outbox SET state = 'rejected', reject_code = ?2, reject_message = ?3
                 WHERE mutation_id = ?1 AND state = 'pending'",
                params![id_value(result.mutation_id), code, message],
            )?,
            // Not looked at: the entry waits, to be sent again under a new client id.
            Outcome::ClientIdTaken { .. } => 0,
        };
    }
    Ok(())
}

/// The first row whose reference points nowhere, as "documents 0193… refers to
/// contacts …". Lines and allocations are named by their document or payment.
pub(crate) fn first_dangling_reference(conn: &rusqlite::Connection) -> Result<Option<String>, StoreError> {
    let found: Option<(String, Option<i64>, String, i64)> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((table, rowid, parent, key)) = found else { return Ok(None) };
    let (from, to): (String, Option<String>) = conn
        .prepare(&format!("PRAGMA foreign_key_list({table})"))?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(3)?, r.get::<_, Option<String>>(4)?)))?
        .filter_map(Result::ok)
        .find(|(id, _, _)| *id == key)
        .map(|(_, from, to)| (from, to))
        .ok_or_else(|| StoreError::Corrupt {
            column: "foreign_key_list",
            value: table.clone(),
            reason: format!("no reference number {key}"),
        })?;
    let to = to.unwrap_or_else(|| "id".into());
    let owner = match table.as_str() {
        "document_lines" => "document_id",
        "payment_allocations" => "payment_id",
        _ => "id",
    };
    let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, Uuid>(0)?, r.get::<_, Uuid>(1)?));
    let row = match rowid {
        Some(rowid) => conn
            .query_row(&format!("SELECT {owner}, {from} FROM {table} WHERE rowid = ?1"), [rowid], pair)
            .optional()?,
        // Tables without rowid are searched by the reference itself.
        None => conn
            .query_row(
                &format!(
                    "SELECT {owner}, {from} FROM {table} AS c WHERE c.{from} IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{to} = c.{from}) LIMIT 1"
                ),
                [],
                pair,
            )
            .optional()?,
    };
    let owner_table = match table.as_str() {
        "document_lines" => "documents",
        "payment_allocations" => "payments",
        other => other,
    };
    Ok(Some(match row {
        Some((id, missing)) => format!("{owner_table} {id} refers to {parent} {missing}, not in this copy yet"),
        None => format!("{table} refers to {parent} missing from this copy"),
    }))
}

/// Marks acknowledged the applied entries whose change is at or before `cursor`, in its
/// epoch: they are no longer local edits, only kept (see [`KEPT_DAYS`]). Returns how many.
pub(crate) fn acknowledge_applied(conn: &rusqlite::Connection, cursor: Cursor) -> Result<u64, StoreError> {
    let marked = conn.execute(
        // Through the index of local edits (`+state`: not the index by state, whose
        // applied entries are mostly kept ones).
        "UPDATE outbox SET acknowledged = 1, applied_epoch = ?2
         WHERE state <> 'rejected' AND acknowledged = 0 AND +state = 'applied' AND applied_seq <= ?1",
        params![id_value(cursor.seq), cursor.epoch],
    )?;
    Ok(marked as u64)
}
