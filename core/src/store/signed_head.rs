//! The copy's signed head of the audit chain and the server's pinned key (migration
//! 0017): what the integrity check compares the trail with (see [`crate::audit::check`]).

use chrono::DateTime;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::company::corrupt;
use super::{CompanyStore, StoreError};
use crate::audit::SignedAuditHead;

/// How the key a server publishes compares with the one this copy pinned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPin {
    /// No key pinned yet: the first signed head pins its key.
    NotPinned,
    /// The key is the one pinned.
    Same,
    /// The server now publishes another key than the one pinned, which stays.
    Changed { pinned: String },
}

impl CompanyStore {
    /// How `key`, the server's audit key from its sync status, compares with the key
    /// pinned at the first download (which is never replaced).
    pub fn compare_server_key(&self, key: &str) -> Result<KeyPin, StoreError> {
        Ok(match server_key(self.connection())? {
            None => KeyPin::NotPinned,
            Some(pinned) if pinned == key => KeyPin::Same,
            Some(pinned) => KeyPin::Changed { pinned },
        })
    }

    /// The server's audit key pinned at the first download, if any.
    pub fn server_key(&self) -> Result<Option<String>, StoreError> {
        server_key(self.connection())
    }

    /// The latest signed head this copy received, if any.
    pub fn audit_head(&self) -> Result<Option<SignedAuditHead>, StoreError> {
        let row: Option<(i64, String, String, String, String)> = self
            .connection()
            .query_row("SELECT seq, hash, signed_at, key, signature FROM audit_head WHERE singleton = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((seq, hash, signed_at, key, signature)) = row else { return Ok(None) };
        Ok(Some(SignedAuditHead {
            company_id: self.company_id(),
            seq: u64::try_from(seq).map_err(|e| corrupt("audit_head.seq", &seq.to_string(), &e))?,
            hash,
            signed_at: DateTime::parse_from_rfc3339(&signed_at)
                .map_err(|e| corrupt("audit_head.signed_at", &signed_at, &e))?
                .to_utc(),
            key,
            signature,
        }))
    }
}

fn server_key(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT audit_key FROM server_key WHERE singleton = 1", [], |r| r.get(0)).optional()?)
}

/// Keeps `head` if it is at least as far along the chain as the one kept (a pull's page
/// and its head commit together). The first head a copy receives, during its first
/// download, pins its key: a copy has both or neither, so a pinned key without a head
/// means the head was removed. A head of another company is not kept.
pub(crate) fn save_audit_head(
    conn: &Connection,
    company: crate::model::CompanyId,
    head: &SignedAuditHead,
) -> Result<(), StoreError> {
    if head.company_id != company {
        tracing::warn!(company = %head.company_id, "the server sent the audit head of another company: not kept");
        return Ok(());
    }
    let seq = i64::try_from(head.seq).map_err(|e| corrupt("audit_head.seq", &head.seq.to_string(), &e))?;
    conn.prepare_cached("INSERT OR IGNORE INTO server_key (singleton, audit_key) VALUES (1, ?1)")?
        .execute([&head.key])?;
    conn.prepare_cached(
        "INSERT INTO audit_head (singleton, seq, hash, signed_at, key, signature) VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
             signed_at = excluded.signed_at, key = excluded.key, signature = excluded.signature
         WHERE excluded.seq >= audit_head.seq",
    )?
    .execute(params![
        seq,
        head.hash,
        head.signed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        head.key,
        head.signature
    ])?;
    Ok(())
}
