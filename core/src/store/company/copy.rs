//! A company file sent whole: written by whoever holds an up-to-date copy of the company
//! (the server keeps one per large company), checked and taken into place by a device
//! that downloads the company for the first time.
//!
//! A copy is the file itself, not records to write again: taking it costs reading it
//! once to check it, where a download page by page writes every record, its indexes,
//! its search entries and its ledger rows. It is the company as the server's log stood at
//! the copy's cursor; the device pulls the log after it as after any download.
//!
//! A received copy is hostile input until checked ([`adopt_copy`]): it is opened with
//! SQLite's defensive settings, its schema must be exactly the one this version creates
//! (no trigger, view or index of its own), SQLite's `integrity_check` (every page, every
//! index against its table, every `CHECK`, `NOT NULL`, `UNIQUE` and column type) and
//! `foreign_key_check` must find nothing, and neither must the search indexes' own
//! checks. What belongs to one device (its client id, its edits, its e-mails and their
//! settings, the key it pinned, when it last synced) never travels in a copy.

use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior};
use uuid::Uuid;

use super::CompanyStore;
use crate::model::CompanyId;
use crate::store::local::has_local_edits;
use crate::store::migrate::{self, COMPANY_MIGRATIONS, COMPANY_SCHEMA_VERSION};
use crate::store::{COMPANY_APPLICATION_ID, StoreError};

/// What a copy holds: whose it is, where in the server's log it stands, and which
/// schema it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyInfo {
    pub company: CompanyId,
    /// The epoch and seq of the server's log the copy has every change of.
    pub epoch: Uuid,
    pub upto: u64,
    pub schema_version: u32,
}

/// The tables of one device, emptied in a copy: the client id it sends edits under, its
/// edits and their shadows, its e-mails and their server settings, the server key it
/// pinned (the receiving device pins its own) and when it last synced.
const DEVICE_TABLES: &[&str] = &[
    "device",
    "outbox",
    "shadow",
    "mail_attachment",
    "mail_outbox",
    "mail_settings",
    "mail_template",
    "server_key",
    "sync_state",
];

impl CompanyStore {
    /// Writes a copy of this file at `dest` (which must not exist), for a device to take
    /// with [`adopt_copy`]: a compact, consistent copy (`VACUUM INTO`), without this
    /// device's own tables ([`DEVICE_TABLES`]).
    ///
    /// Only a copy that stands at a cursor of the server's log, with nothing of its own
    /// waiting (edits, a download under way with indexes set aside), is what the server
    /// has: any other is refused (`copy_not_ready`) and nothing is written.
    pub fn write_copy(&self, dest: &Path) -> Result<CopyInfo, StoreError> {
        let conn = self.connection();
        let cursor = self.sync_cursor()?;
        let under_way: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM snapshot_progress) OR EXISTS (SELECT 1 FROM deferred_index)
                 OR EXISTS (SELECT 1 FROM search_pending)",
            [],
            |r| r.get(0),
        )?;
        let not_ready = |message: &str| StoreError::Refused { code: "copy_not_ready", message: message.to_owned() };
        let Some(cursor) = cursor else {
            return Err(not_ready("This copy has not downloaded the company yet."));
        };
        if under_way {
            return Err(not_ready("This copy's first download, or its search index, has not ended."));
        }
        if has_local_edits(conn)? {
            return Err(not_ready("This copy has edits the server has not acknowledged yet."));
        }
        if dest.exists() {
            return Err(StoreError::FileExists { path: dest.to_path_buf() });
        }
        conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()])?;
        let io = |source| StoreError::Io { path: dest.to_path_buf(), source };
        let mut copy =
            Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|source| StoreError::Open { path: dest.to_path_buf(), source })?;
        forget_device(&mut copy)?;
        // One file, without a WAL beside it, is what travels.
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        copy.close().map_err(|(_, e)| e)?;
        std::fs::File::open(dest).and_then(|f| f.sync_all()).map_err(io)?;
        Ok(CopyInfo {
            company: self.company_id(),
            epoch: cursor.epoch,
            upto: cursor.seq,
            schema_version: migrate::schema_version(conn)?,
        })
    }
}

impl CompanyStore {
    /// Whether this copy, not synced to the end yet, holds the whole company as of its
    /// cursor, with its indexes and search: a copy taken whole ([`adopt_copy`]), whose
    /// first sync only pulls the log after it. A download page by page under way has no
    /// cursor yet, or its snapshot or indexes still aside.
    pub fn is_whole_copy(&self) -> Result<bool, StoreError> {
        Ok(self.connection().query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_cursor) AND NOT EXISTS (SELECT 1 FROM snapshot_progress)
                 AND NOT EXISTS (SELECT 1 FROM deferred_index)",
            [],
            |r| r.get(0),
        )?)
    }
}

/// Empties the tables of one device ([`DEVICE_TABLES`]), and the outbox's numbering with
/// them, in one transaction.
fn forget_device(conn: &mut Connection) -> Result<(), StoreError> {
    // What is deleted leaves nothing in the file's free space (e-mails, their attachments).
    conn.pragma_update(None, "secure_delete", true)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for table in DEVICE_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    tx.execute("DELETE FROM sqlite_sequence WHERE name = 'outbox'", [])?;
    tx.commit()?;
    Ok(())
}

/// Checks the copy `received` (a file this device wrote from what the server sent) and
/// moves it to `path` as `expected`'s copy on this device, then opens it; the device's
/// own tables are emptied first (a fresh client id is made at its first edit). For a
/// device with no file of the company yet; one whose download has begun page by page
/// takes the copy with [`CompanyStore::take_over`].
///
/// A copy that fails a check is refused with `copy_refused` (the check named), and
/// left where it was for the caller to delete; `path` is not touched. A copy of another
/// schema version than this one's is refused as well: the device downloads page by page
/// instead. Refuses to overwrite a file at `path`.
pub fn adopt_copy(received: &Path, path: &Path, expected: CompanyId) -> Result<(CompanyStore, CopyInfo), StoreError> {
    if path.exists() {
        return Err(StoreError::FileExists { path: path.to_path_buf() });
    }
    let info = check_copy(received, expected)?;
    remove_sides(path)?;
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    std::fs::rename(received, path).map_err(io)?;
    sync_folder(path)?;
    Ok((CompanyStore::open_expecting(path, expected)?, info))
}

/// Checks the copy `received` (a file this device wrote from what the server sent) as
/// `expected`'s, then empties the sender's device tables and flushes it, where it is:
/// the file is then a company file this device may take (see [`adopt_copy`] and
/// [`CompanyStore::take_over`]). A copy that fails a check is refused with
/// `copy_refused`, the check named; the caller deletes it.
pub fn check_copy(received: &Path, expected: CompanyId) -> Result<CopyInfo, StoreError> {
    for side in SIDES {
        // A journal beside a received file is not the server's: SQLite would apply it.
        let side = PathBuf::from(format!("{}{side}", received.display()));
        if side.exists() {
            return Err(refused("file", format!("{} lies beside the copy", side.display())));
        }
    }
    let mut conn =
        Connection::open_with_flags(received, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|source| StoreError::Open { path: received.to_path_buf(), source })?;
    harden(&conn)?;
    let info = check(&conn, received, expected)?;
    forget_device(&mut conn).map_err(|e| refused("device_tables", e.to_string()))?;
    conn.pragma_update(None, "journal_mode", "DELETE").map_err(|e| refused("file", e.to_string()))?;
    conn.close().map_err(|(_, e)| e)?;
    let io = |source| StoreError::Io { path: received.to_path_buf(), source };
    std::fs::File::open(received).and_then(|f| f.sync_all()).map_err(io)?;
    Ok(info)
}

/// Where a copy of the company file at `path` is received and checked, beside it.
pub fn received_path(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.received", path.display()))
}

/// The mark that a checked copy at [`received_path`] has taken over the file at `path`
/// ([`CompanyStore::take_over`]): while it is there, the copy is the company's file,
/// and the next opening ends the move if a crash stopped it.
fn takeover_mark(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.takeover", path.display()))
}

/// Whether a checked copy has taken over the file at `path` and its move is not over:
/// then the copy beside it is the company's file, never to be deleted.
pub(crate) fn take_over_pending(path: &Path) -> bool {
    takeover_mark(path).exists()
}

/// Removes what a former file left beside `path` (its write-ahead log, its shared
/// memory, its journal): SQLite would apply it to the file that comes there.
fn remove_sides(path: &Path) -> Result<(), StoreError> {
    for side in SIDES {
        let side = PathBuf::from(format!("{}{side}", path.display()));
        match std::fs::remove_file(&side) {
            Ok(()) => tracing::info!(path = %side.display(), "removed what a former file left"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Io { path: side, source }),
        }
    }
    Ok(())
}

/// Flushes the folder of `path`: a rename or a new file in it is on the disk.
fn sync_folder(path: &Path) -> Result<(), StoreError> {
    if let Some(folder) = path.parent() {
        std::fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Io { path: folder.to_path_buf(), source })?;
    }
    Ok(())
}

/// Where the file a copy replaces is moved first, to be deleted once the copy is in
/// its place.
fn replaced_path(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.replaced", path.display()))
}

/// The files SQLite keeps beside a database: its write-ahead log, its shared memory,
/// its rollback journal.
const SIDES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Renames the file at `from` to `to` with what lies beside it ([`SIDES`]). On a failure,
/// what was renamed is put back, and nothing has changed.
fn rename_with_sides(from: &Path, to: &Path) -> Result<(), StoreError> {
    let with_side = |path: &Path, side: &str| PathBuf::from(format!("{}{side}", path.display()));
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut result = std::fs::rename(from, to).map_err(|source| StoreError::Io { path: from.to_path_buf(), source });
    if result.is_ok() {
        moved.push((from.to_path_buf(), to.to_path_buf()));
        for side in SIDES {
            let (side_from, side_to) = (with_side(from, side), with_side(to, side));
            match std::fs::rename(&side_from, &side_to) {
                Ok(()) => moved.push((side_from, side_to)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    result = Err(StoreError::Io { path: side_from, source });
                    break;
                }
            }
        }
    }
    if result.is_err() {
        for (back, there) in moved.into_iter().rev() {
            if let Err(e) = std::fs::rename(&there, &back) {
                tracing::error!(file = %there.display(), error = %e, "a file moved aside could not be put back");
            }
        }
    }
    result
}

/// Deletes the file at `path` and what SQLite keeps beside it ([`SIDES`]), warning of
/// what could not be.
pub fn remove_with_sides(path: &Path) {
    for side in std::iter::once("").chain(SIDES) {
        let file = PathBuf::from(format!("{}{side}", path.display()));
        if let Err(e) = std::fs::remove_file(&file)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %file.display(), error = %e, "a file could not be deleted");
        }
    }
}

/// Deletes a company's file at `path`, what SQLite keeps beside it, and what a copy's
/// take-over left there (the copy, the former file, the mark): the user removes the
/// company's data from this computer.
pub fn remove_company_file(path: &Path) {
    for file in [path.to_path_buf(), received_path(path), replaced_path(path)] {
        remove_with_sides(&file);
    }
    remove_with_sides(&takeover_mark(path));
}

/// Moves the checked copy at [`received_path`] to `path`, once marked as the company's
/// file (see [`CompanyStore::take_over`]); also ends a move a crash stopped, at the next
/// opening. Nothing to do without the mark (but deleting a former file a crash left
/// aside). Returns whether there was a mark.
///
/// The former file goes aside first, with its log beside it: where it is still open
/// elsewhere (Windows), that fails. The copy then comes to `path`; if that fails, the
/// former file comes back. Either way a failure leaves the files as they were, the mark
/// with them. Once the copy is at `path`, the former file is deleted, then the mark.
pub fn finish_take_over(path: &Path) -> Result<bool, StoreError> {
    let (mark, received, replaced) = (takeover_mark(path), received_path(path), replaced_path(path));
    if !mark.exists() {
        if replaced.exists() {
            // The move had ended; its former file had not been deleted.
            remove_with_sides(&replaced);
        }
        return Ok(false);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    if received.exists() {
        if path.exists() {
            rename_with_sides(path, &replaced)?;
        }
        // Nothing of the former file beside `path` any more: the copy comes alone.
        if let Err(e) = remove_sides(path).and_then(|()| std::fs::rename(&received, path).map_err(io(path))) {
            if replaced.exists() && !path.exists() {
                rename_with_sides(&replaced, path)?;
            }
            return Err(e);
        }
        sync_folder(path)?;
    } else if !path.exists() && replaced.exists() {
        // No copy to take (it cannot be: the mark is written after it is complete): the
        // former file stays the company's.
        tracing::error!(path = %path.display(), "a take-over's copy is gone: the former file is put back");
        rename_with_sides(&replaced, path)?;
    }
    remove_with_sides(&replaced);
    std::fs::remove_file(&mark).map_err(io(&mark))?;
    sync_folder(path)?;
    Ok(true)
}

/// This device's own tables, carried from a file into the copy that replaces it: its
/// client id, its edits (waiting, refused, or applied and kept), its e-mails and their
/// settings, the server key it pinned. Not `shadow`: the edits are applied again on the
/// copy's records ([`crate::store::local::rebase`]), which keeps its own; nor when it
/// last synced (a first download has not).
const CARRIED_TABLES: &[&str] =
    &["device", "outbox", "mail_settings", "mail_template", "mail_outbox", "mail_attachment", "server_key"];

impl CompanyStore {
    /// Replaces this file, whose first download goes on page by page, with the checked
    /// copy at [`received_path`] (see [`check_copy`]): the same company, whole, at a
    /// cursor of the server's log. What belongs to this device comes along
    /// ([`CARRIED_TABLES`]), and its edits that the server has not sent back are applied
    /// again on the copy's records, as after any pull. This store then reads and writes
    /// the copy, at the same path.
    ///
    /// Crash-safe: until the copy holds this device's rows (one transaction, flushed),
    /// this file is the company's and the copy is dropped at the next download; from the
    /// mark on, the copy is, and the next opening ends the move ([`finish_take_over`]).
    /// Whoever else reads the file (the window) lets go of it first: where an open file
    /// cannot be replaced (Windows), this fails, and this file stays the company's; the
    /// caller deletes the copy.
    pub fn take_over(&mut self) -> Result<CopyInfo, StoreError> {
        let path = self.path.clone();
        let received = received_path(&path);
        let info = self.carry_into(&received)?;
        let mark = takeover_mark(&path);
        std::fs::File::create(&mark)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Io { path: mark.clone(), source })?;
        sync_folder(&path)?;
        // This connection closes before the file under it is replaced.
        let closed = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        if let Err((_, e)) = closed.close() {
            tracing::warn!(error = %e, "the file replaced by the copy did not close cleanly");
        }
        let finished = finish_take_over(&path);
        if finished.is_err() && path.exists() && received.exists() {
            // Nothing moved (the former file is still open elsewhere, say): it stays the
            // company's, and the copy is not taken.
            if let Err(e) = std::fs::remove_file(&mark) {
                tracing::warn!(error = %e, "a take-over's mark could not be removed");
            }
        }
        // The file at `path`: the copy, or the former file as it was. Without one (a move
        // failed halfway, which the next opening ends), this store reads nothing.
        if path.exists() {
            self.conn = crate::store::open_connection(&path, crate::store::Access::ReadWrite, false)?;
            self.search_deferred = false;
            self.migration = None;
        }
        finished.map(|_| info)
    }

    /// Copies this device's rows into the checked copy at `received` and applies its
    /// edits again there, in one transaction; the copy is closed and flushed after.
    fn carry_into(&self, received: &Path) -> Result<CopyInfo, StoreError> {
        let company = self.company_id();
        let mut copy = CompanyStore::open_expecting(received, company)?;
        copy.set_author(self.author());
        let cursor = copy.sync_cursor()?.ok_or_else(|| refused("cursor", "the copy stands at no cursor".into()))?;
        let schema_version = copy.schema_version()?;
        copy.conn.execute("ATTACH DATABASE ?1 AS former", [self.path.to_string_lossy()])?;
        let carried = copy.write(|tx| {
            let conn = tx.connection();
            for table in CARRIED_TABLES {
                // Taken again after a failed move: carried afresh.
                conn.execute(&format!("DELETE FROM main.{table}"), [])?;
                conn.execute(&format!("INSERT INTO main.{table} SELECT * FROM former.{table}"), [])?;
            }
            // A mutation id is never given twice, even of an edit gone from the outbox.
            conn.execute("DELETE FROM main.sqlite_sequence WHERE name = 'outbox'", [])?;
            conn.execute(
                "INSERT INTO main.sqlite_sequence (name, seq)
                 SELECT name, seq FROM former.sqlite_sequence WHERE name = 'outbox'",
                [],
            )?;
            // Edits the server applied at or before the copy's cursor are in it.
            crate::store::outbox::acknowledge_applied(conn, cursor)?;
            let mut held = Vec::new();
            let rebased = crate::store::local::rebase(tx, company, &mut held)?;
            Ok((rebased, held.len()))
        });
        let detached = copy.conn.execute("DETACH DATABASE former", []);
        let (rebased, held) = carried?;
        detached?;
        tracing::info!(?rebased, held, "this device's edits carried into the server's copy");
        let conn = std::mem::replace(&mut copy.conn, Connection::open_in_memory()?);
        conn.close().map_err(|(_, e)| e)?;
        std::fs::File::open(received)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Io { path: received.to_path_buf(), source })?;
        Ok(CopyInfo { company, epoch: cursor.epoch, upto: cursor.seq, schema_version })
    }
}

fn refused(check: &'static str, detail: String) -> StoreError {
    StoreError::CopyRefused { check, detail }
}

/// SQLite's settings for a file it cannot trust: no writes to its schema or its pages
/// behind SQLite's back, no function of the schema run outside the schema's own
/// statements, every cell's size checked as it is read.
fn harden(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.pragma_update(None, "cell_size_check", true)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    // Not the cache size the file's header suggests: 8 MiB a connection.
    conn.pragma_update(None, "cache_size", -8_192)?;
    Ok(())
}

/// [`harden`], and for a connection that only checks: no trigger and no view run at all.
fn harden_checker(conn: &Connection) -> Result<(), StoreError> {
    harden(conn)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    Ok(())
}

/// The checks of a received copy, cheapest first.
fn check(conn: &Connection, path: &Path, expected: CompanyId) -> Result<CopyInfo, StoreError> {
    let application: i32 =
        conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(|e| refused("file", e.to_string()))?;
    if application != COMPANY_APPLICATION_ID {
        return Err(refused("file", format!("application id {application:#x}, not a company file")));
    }
    let version = migrate::schema_version(conn).map_err(|e| refused("file", e.to_string()))?;
    let latest = COMPANY_SCHEMA_VERSION;
    if version != latest {
        return Err(refused("schema_version", format!("schema {version}, this version writes {latest}")));
    }
    let schema = schema_of(conn).map_err(|e| refused("schema", e.to_string()))?;
    let (reference, reference_config) = reference_schema()?;
    if schema != reference {
        let difference = first_difference(&schema, &reference).unwrap_or_else(|| "an object is there twice".into());
        return Err(refused("schema", difference));
    }
    // The search indexes' settings (their ranking function, say) are this version's.
    if fts_config(conn).map_err(|e| refused("search_index", e.to_string()))? != reference_config {
        return Err(refused("search_index", "a search index's settings are not this version's".into()));
    }
    let company: Option<Uuid> = conn
        .query_row("SELECT id FROM company WHERE singleton = 1", [], |r| r.get(0))
        .optional()
        .map_err(|e| refused("company", e.to_string()))?;
    if company != Some(expected.0) {
        return Err(refused("company", format!("the copy is of {company:?}, not of {}", expected.0)));
    }
    let cursor: Option<(Uuid, i64)> = conn
        .query_row("SELECT epoch, seq FROM sync_cursor WHERE singleton = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(|e| refused("cursor", e.to_string()))?;
    let Some((epoch, seq)) = cursor else { return Err(refused("cursor", "the copy stands at no cursor".into())) };
    let under_way: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM snapshot_progress) OR EXISTS (SELECT 1 FROM deferred_index)
                 OR EXISTS (SELECT 1 FROM search_pending)",
            [],
            |r| r.get(0),
        )
        .map_err(|e| refused("cursor", e.to_string()))?;
    if under_way {
        return Err(refused("cursor", "the copy's download, or its search index, had not ended".into()));
    }
    let tables: Vec<String> = reference
        .iter()
        .filter(|(kind, _, _, sql)| {
            kind == "table" && !sql.as_deref().is_some_and(|sql| sql.starts_with("CREATE VIRTUAL"))
        })
        .map(|(_, name, _, _)| name.clone())
        .collect();
    check_whole(path, &tables)?;
    Ok(CopyInfo {
        company: expected,
        epoch,
        // The CHECK of sync_cursor.seq (>= 0) has held: integrity_check saw to it.
        upto: u64::try_from(seq).map_err(|e| refused("cursor", e.to_string()))?,
        schema_version: version,
    })
}

/// One of the checks that read a whole part of the file.
#[derive(Clone, Debug)]
enum Whole {
    /// Every page of the file once, in one b-tree or the free list (`quick_check`), and
    /// every row's `CHECK`, `NOT NULL` and column types.
    Pages,
    /// A table's rows against its indexes, and its `UNIQUE` constraints
    /// (`integrity_check` of the table).
    Table(String),
    /// Every reference has its row (`foreign_key_check`).
    ForeignKeys,
    /// The search indexes against their tables (FTS5's `integrity-check`, against the
    /// content tables: nothing waits to be indexed, checked before). One item, on one
    /// connection: FTS5 runs its check as an insert, which takes the file's write lock.
    Search,
}

/// The tables that weigh most in a company file, checked first so that the two
/// connections end together.
const HEAVY_TABLES: &[&str] =
    &["document_lines", "documents", "replica", "ledger", "payments", "payment_allocations", "audit_trail"];

/// Runs the checks that read the whole file, shared out between two connections of
/// their own (a copy of a million records: 13.2 s on one, see issue 18's note): the
/// first failure stops both and is the answer.
fn check_whole(path: &Path, tables: &[String]) -> Result<(), StoreError> {
    let mut work = vec![Whole::Pages];
    let heavy = |name: &String| HEAVY_TABLES.iter().position(|t| t == name).unwrap_or(HEAVY_TABLES.len());
    let mut ordered: Vec<&String> = tables.iter().collect();
    ordered.sort_by_key(|name| heavy(name));
    work.extend(ordered.into_iter().map(|name| Whole::Table(name.clone())));
    work.push(Whole::ForeignKeys);
    work.push(Whole::Search);
    // Taken in order, one at a time, by whichever connection is free; each failure kept
    // with its place in the order.
    let mut queue: Vec<(usize, Whole)> = work.into_iter().enumerate().collect();
    queue.reverse();
    let queue = std::sync::Mutex::new(queue);
    let failures: std::sync::Mutex<Vec<(usize, StoreError)>> = std::sync::Mutex::new(Vec::new());
    let fail = |at: usize, e: StoreError| {
        if let Ok(mut failures) = failures.lock() {
            failures.push((at, e));
        }
    };
    let worker = || {
        // Read-write, as FTS5 runs its check as an insert (it writes nothing).
        let opened =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| refused("file", e.to_string()))
                .and_then(|conn| {
                    harden_checker(&conn)?;
                    conn.busy_timeout(std::time::Duration::from_secs(30))?;
                    Ok(conn)
                });
        let conn = match opened {
            Ok(conn) => conn,
            Err(e) => return fail(0, e),
        };
        loop {
            // After a failure, no check is started: those running end, and the first
            // failure in the order is the answer, as if they had run one after another.
            if failures.lock().map_or(true, |f| !f.is_empty()) {
                return;
            }
            let Some((at, next)) = queue.lock().ok().and_then(|mut q| q.pop()) else { return };
            if let Err(e) = run_whole(&conn, &next) {
                return fail(at, e);
            }
        }
    };
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new().name("copy-check".into()).spawn_scoped(scope, worker);
        worker();
        // A check that panicked did not pass: the copy is refused.
        if let Ok(other) = other
            && other.join().is_err()
        {
            fail(0, refused("integrity", "a check stopped midway".into()));
        }
    });
    let failures = failures.into_inner().map_err(|_| refused("integrity", "a check stopped midway".into()))?;
    match failures.into_iter().min_by_key(|(at, _)| *at) {
        None => Ok(()),
        Some((_, e)) => Err(e),
    }
}

fn run_whole(conn: &Connection, check: &Whole) -> Result<(), StoreError> {
    let problems = |sql: &str| -> Result<Vec<String>, rusqlite::Error> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.take(3).collect()
    };
    let expect_ok = |sql: &str| {
        let found = problems(sql).map_err(|e| refused("integrity", e.to_string()))?;
        if found == ["ok"] { Ok(()) } else { Err(refused("integrity", found.join("; "))) }
    };
    match check {
        Whole::Pages => expect_ok("PRAGMA quick_check(3)"),
        Whole::Table(name) => expect_ok(&format!("PRAGMA integrity_check(\"{name}\")")),
        Whole::ForeignKeys => {
            let orphans = problems("PRAGMA foreign_key_check").map_err(|e| refused("foreign_keys", e.to_string()))?;
            if orphans.is_empty() {
                Ok(())
            } else {
                Err(refused("foreign_keys", format!("rows of {} refer to no row", orphans.join(", "))))
            }
        }
        Whole::Search => {
            for index in ["documents_fts", "contacts_fts", "articles_fts"] {
                conn.execute(&format!("INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"), [])
                    .map_err(|e| refused("search_index", format!("{index}: {e}")))?;
            }
            Ok(())
        }
    }
}

/// A schema's objects: type, name, table and SQL text, sorted.
type Schema = Vec<(String, String, String, Option<String>)>;

fn schema_of(conn: &Connection) -> Result<Schema, rusqlite::Error> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// The schema this version gives a company file, made in memory.
fn reference_schema() -> Result<(Schema, FtsConfig), StoreError> {
    let mut conn = Connection::open_in_memory()?;
    migrate::migrate(&mut conn, Path::new(":memory:"), COMPANY_MIGRATIONS, COMPANY_APPLICATION_ID, None)?;
    Ok((schema_of(&conn)?, fts_config(&conn)?))
}

/// The rows of the search indexes' `_config` tables, as text.
type FtsConfig = Vec<(&'static str, String, String)>;

fn fts_config(conn: &Connection) -> Result<FtsConfig, rusqlite::Error> {
    let mut rows = Vec::new();
    for table in ["articles_fts_config", "contacts_fts_config", "documents_fts_config"] {
        let mut stmt = conn.prepare(&format!("SELECT k, v FROM {table} ORDER BY k"))?;
        let found = stmt.query_map([], |r| {
            Ok((
                format!("{:?}", r.get::<_, rusqlite::types::Value>(0)?),
                format!("{:?}", r.get::<_, rusqlite::types::Value>(1)?),
            ))
        })?;
        for row in found {
            let (k, v) = row?;
            rows.push((table, k, v));
        }
    }
    Ok(rows)
}

/// The first object that is in one schema and not the other, or not the same.
fn first_difference(found: &Schema, reference: &Schema) -> Option<String> {
    if let Some(extra) = found.iter().find(|o| !reference.contains(o)) {
        return Some(format!("{} {} is not this version's", extra.0, extra.1));
    }
    reference.iter().find(|o| !found.contains(o)).map(|missing| format!("{} {} is missing", missing.0, missing.1))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tempfile::TempDir;

    use super::*;
    use crate::demo::{DemoSize, create_demo_file};
    use crate::model::Country;
    use crate::sync::{Cursor, RawPullPage};

    const EPOCH: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0042);

    /// A demo company's file, standing at seq 4,242 of a server's log, and its copy.
    fn copy_of_a_downloaded_company(dir: &TempDir) -> (CompanyStore, PathBuf, CopyInfo) {
        let size = DemoSize { quotes: 6, invoices: 40, credit_notes: 2, delivery_notes: 3, ..DemoSize::SMALL };
        let (mut store, _) = create_demo_file(&dir.path().join("held.comptoir"), 7, &Country::France, &size).unwrap();
        let page = RawPullPage {
            epoch: EPOCH,
            changes: Vec::new(),
            cursor: Cursor { epoch: EPOCH, seq: 4_242 },
            has_more: false,
            remaining: None,
            audit_head: None,
        };
        store.apply_pull_page(0, &page).unwrap();
        store.client_id().unwrap();
        let sent = dir.path().join("sent.comptoir");
        let info = store.write_copy(&sent).unwrap();
        (store, sent, info)
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }

    /// Changes a copy with SQL of its own, as a hostile server could, through a plain
    /// connection.
    fn tamper(copy: &Path, sql: &str) {
        let conn = Connection::open(copy).unwrap();
        conn.execute_batch(sql).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }

    /// A copy is the company as the sender has it (its records, search, cursor), without
    /// the sender's device: the receiving copy makes its own client id.
    #[test]
    fn a_copy_is_taken_whole_at_its_cursor_without_the_senders_device() {
        let dir = TempDir::new().unwrap();
        let (mut sender, sent, info) = copy_of_a_downloaded_company(&dir);
        let company = sender.company_id();
        assert_eq!(info, CopyInfo { company, epoch: EPOCH, upto: 4_242, schema_version: 26 });
        let path = dir.path().join("received.comptoir");
        let (mut received, adopted) = adopt_copy(&sent, &path, company).unwrap();
        assert_eq!(adopted, info);
        assert!(!sent.exists(), "moved into place");
        assert_eq!(received.sync_cursor().unwrap(), Some(Cursor { epoch: EPOCH, seq: 4_242 }));
        for table in ["contacts", "articles", "documents", "document_lines", "payments", "payment_allocations"] {
            let (was, is) = (count(sender.connection(), table), count(received.connection(), table));
            assert!(was > 0, "{table}: the demo fills it");
            assert_eq!(was, is, "{table}");
        }
        let find = |store: &CompanyStore| {
            let name: String = store
                .connection()
                .query_row("SELECT name FROM contacts ORDER BY rid LIMIT 1", [], |r| r.get(0))
                .unwrap();
            store.search(&name, 20).unwrap().len()
        };
        assert!(find(&received) > 0);
        assert_eq!(find(&sender), find(&received), "the search index came along");
        assert_eq!(count(received.connection(), "device"), 0);
        assert_ne!(received.client_id().unwrap(), sender.client_id().unwrap());
        assert_eq!(received.last_sync().unwrap(), None, "synced once its log is pulled after the copy");
        let journal: String = received.connection().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(journal, "wal", "opened as any company file");
    }

    /// A copy of the sender's, taken by a device as its file, with two edits of its own
    /// waiting: one renames a contact the copy has, one adds a contact.
    fn a_device_with_edits(
        dir: &TempDir,
    ) -> (CompanyStore, CompanyStore, crate::model::Contact, crate::model::Contact) {
        let (sender, sent, _) = copy_of_a_downloaded_company(dir);
        let path = dir.path().join("device.comptoir");
        let (mut device, _) = adopt_copy(&sent, &path, sender.company_id()).unwrap();
        let id: Uuid =
            device.connection().query_row("SELECT id FROM contacts ORDER BY rid LIMIT 1", [], |r| r.get(0)).unwrap();
        let mut renamed = device.contact(crate::model::ContactId(id)).unwrap();
        renamed.name = "Renommé ici pendant le téléchargement".into();
        device.submit(&crate::sync::Intent::UpdateContact { contact: renamed.clone() }).unwrap();
        let mut added = renamed.clone();
        added.id = crate::model::ContactId::new();
        added.name = "Ajouté ici pendant le téléchargement".into();
        device.submit(&crate::sync::Intent::CreateContact { contact: added.clone() }).unwrap();
        device.client_id().unwrap();
        (sender, device, renamed, added)
    }

    /// The sender's copy takes the place of a device's file: the device's client id and
    /// edits come along, the edits shown again on the copy's records (the server's
    /// version kept aside, as after a pull), nothing is left beside the file, and the
    /// store goes on at the same path.
    #[test]
    fn a_copy_takes_the_place_of_a_file_with_its_device_and_its_edits() {
        let dir = TempDir::new().unwrap();
        let (sender, mut device, renamed, added) = a_device_with_edits(&dir);
        let client = device.client_id().unwrap();
        let mutations = device.pending_mutations(10).unwrap();
        assert_eq!(mutations.len(), 2);
        let server_name = sender.contact(renamed.id).unwrap().name;

        let received = received_path(device.path());
        sender.write_copy(&received).unwrap();
        let company = device.company_id();
        check_copy(&received, company).unwrap();
        let info = device.take_over().unwrap();
        assert_eq!((info.epoch, info.upto), (EPOCH, 4_242));

        assert!(device.is_whole_copy().unwrap(), "the copy's file, at its cursor");
        assert_eq!(device.client_id().unwrap(), client, "the same device towards the server");
        assert_eq!(device.pending_mutations(10).unwrap(), mutations, "the same edits, the same ids");
        assert_eq!(device.contact(renamed.id).unwrap().name, renamed.name, "the edit shows on the copy");
        assert_eq!(device.contact(added.id).unwrap().name, added.name);
        assert!(!device.search("Ajouté", 10).unwrap().is_empty(), "and is searchable");
        let shadowed: String = device
            .connection()
            .query_row("SELECT body FROM shadow WHERE id = ?1", [renamed.id.0], |r| r.get(0))
            .unwrap();
        assert!(shadowed.contains(&server_name), "the server's version is kept aside");
        assert_eq!(count(device.connection(), "contacts"), count(sender.connection(), "contacts") + 1);
        for side in [".received", ".takeover", ".replaced", "-journal"] {
            assert!(!PathBuf::from(format!("{}{side}", device.path().display())).exists(), "{side} left");
        }
        // The store goes on: a new edit takes the next id.
        let mut again = added.clone();
        again.name = "Encore".into();
        let id = device.submit(&crate::sync::Intent::UpdateContact { contact: again }).unwrap();
        assert_eq!(id, mutations[1].mutation_id + 1);
        drop(device);
        let reopened = CompanyStore::open_expecting(&dir.path().join("device.comptoir"), company).unwrap();
        assert_eq!(reopened.contact(added.id).unwrap().name, "Encore");
    }

    /// A copy that cannot take the file's place (the former file cannot be moved aside;
    /// here a folder is in the way) changes nothing: the device's file stays the
    /// company's, open in the same store, its edits waiting, and no mark is left.
    #[test]
    fn a_copy_that_cannot_take_the_files_place_leaves_it_as_it_was() {
        let dir = TempDir::new().unwrap();
        let (sender, mut device, renamed, added) = a_device_with_edits(&dir);
        let path = device.path().to_path_buf();
        let received = received_path(&path);
        sender.write_copy(&received).unwrap();
        check_copy(&received, device.company_id()).unwrap();
        let blocker = replaced_path(&path);
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(blocker.join("in the way"), b"").unwrap();
        #[cfg(unix)]
        let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());
        #[cfg(unix)]
        let before = inode();
        assert!(device.take_over().is_err());
        assert!(!takeover_mark(&path).exists(), "no mark: the copy is not the company's file");
        assert!(received.exists(), "the copy is left for the caller to delete");
        #[cfg(unix)]
        assert_eq!(inode(), before, "the same file at the path");
        assert_eq!(device.contact(renamed.id).unwrap().name, renamed.name);
        assert_eq!(device.contact(added.id).unwrap().name, added.name);
        assert_eq!(device.pending_count().unwrap(), 2, "the edits still wait, once");
        device.submit(&crate::sync::Intent::UpdateContact { contact: added }).unwrap();
    }

    /// A crash once the copy holds the device's rows and is marked: the next opening
    /// (or the look at which company a file is) ends the move, whichever step it stopped
    /// at; before the mark, the device's file stays the company's.
    #[test]
    fn a_take_over_stopped_by_a_crash_is_ended_at_the_next_opening() {
        for stopped_at in ["before_the_mark", "marked", "moved_aside", "moved"] {
            let dir = TempDir::new().unwrap();
            let (sender, device, _, added) = a_device_with_edits(&dir);
            let (path, company) = (device.path().to_path_buf(), device.company_id());
            let received = received_path(&path);
            sender.write_copy(&received).unwrap();
            check_copy(&received, company).unwrap();
            device.carry_into(&received).unwrap();
            drop(device);
            let devices = |path: &Path| -> i64 {
                let conn = Connection::open(path).unwrap();
                conn.query_row("SELECT count(*) FROM device", [], |r| r.get(0)).unwrap()
            };
            assert_eq!(devices(&received), 1, "the device's id is in the copy");
            if stopped_at != "before_the_mark" {
                std::fs::File::create(takeover_mark(&path)).unwrap();
            }
            if stopped_at == "moved_aside" || stopped_at == "moved" {
                std::fs::rename(&path, replaced_path(&path)).unwrap();
            }
            if stopped_at == "moved" {
                std::fs::rename(&received, &path).unwrap();
            }
            assert_eq!(CompanyStore::identify(&path).unwrap().company_id, company, "{stopped_at}");
            let store = CompanyStore::open_expecting(&path, company).unwrap();
            assert_eq!(store.contact(added.id).unwrap().name, added.name, "{stopped_at}");
            assert!(!takeover_mark(&path).exists() && !replaced_path(&path).exists(), "{stopped_at}");
            assert_eq!(
                received.exists(),
                stopped_at == "before_the_mark",
                "{stopped_at}: dropped at the next download"
            );
        }
    }

    #[test]
    fn only_a_copy_at_a_cursor_and_without_edits_of_its_own_is_written() {
        let dir = TempDir::new().unwrap();
        let size = DemoSize { quotes: 2, invoices: 5, credit_notes: 0, delivery_notes: 0, ..DemoSize::SMALL };
        let (mut store, _) = create_demo_file(&dir.path().join("a.comptoir"), 3, &Country::Belgium, &size).unwrap();
        let dest = dir.path().join("copy.comptoir");
        assert_eq!(store.write_copy(&dest).unwrap_err().code(), "copy_not_ready", "no cursor yet");
        let page = RawPullPage {
            epoch: EPOCH,
            changes: Vec::new(),
            cursor: Cursor { epoch: EPOCH, seq: 9 },
            has_more: false,
            remaining: None,
            audit_head: None,
        };
        store.apply_pull_page(0, &page).unwrap();
        let company = store.company().unwrap();
        store.submit(&crate::sync::Intent::UpdateCompany { company }).unwrap();
        assert_eq!(store.write_copy(&dest).unwrap_err().code(), "copy_not_ready", "an edit waits");
        assert!(!dest.exists());
    }

    /// What a hostile sender can do to a copy, and the check that refuses it.
    fn tampered(case: usize) -> (&'static str, &'static str) {
        const CASES: &[(&str, &str)] = &[
            ("schema", "CREATE TRIGGER evil AFTER INSERT ON contacts BEGIN DELETE FROM documents; END;"),
            ("schema", "DROP INDEX documents_by_number;"),
            ("schema_version", "PRAGMA user_version = 25;"),
            ("file", "PRAGMA application_id = 7;"),
            (
                "integrity",
                "PRAGMA ignore_check_constraints = ON;
                 UPDATE documents SET status = 'stolen' WHERE rid = (SELECT min(rid) FROM documents);",
            ),
            ("integrity", "PRAGMA ignore_check_constraints = ON; UPDATE payments SET amount_cents = -5;"),
            ("foreign_keys", "PRAGMA foreign_keys = OFF; DELETE FROM contacts;"),
            ("cursor", "DELETE FROM sync_cursor;"),
            ("cursor", "INSERT INTO search_pending (tbl, rid) VALUES ('contacts', 1);"),
            ("company", "UPDATE company SET id = randomblob(16);"),
            ("search_index", "INSERT OR REPLACE INTO documents_fts_config (k, v) VALUES ('rank', 'nosuchfn()');"),
        ];
        CASES[case % CASES.len()]
    }

    #[test]
    fn a_tampered_copy_is_refused_by_the_check_it_fails_and_nothing_is_taken() {
        for case in 0..11 {
            let dir = TempDir::new().unwrap();
            let (sender, sent, _) = copy_of_a_downloaded_company(&dir);
            let (check, sql) = tampered(case);
            tamper(&sent, sql);
            let path = dir.path().join("received.comptoir");
            let err = adopt_copy(&sent, &path, sender.company_id()).unwrap_err();
            assert_eq!(err.code(), "copy_refused", "{sql}");
            let StoreError::CopyRefused { check: failed, .. } = &err else { unreachable!() };
            assert_eq!(*failed, check, "{sql}: {err}");
            assert!(!path.exists(), "{sql}");
        }
    }

    /// A search index that does not match its table (a document changed while the
    /// index's trigger was away, then put back) is refused.
    #[test]
    fn a_copy_whose_search_index_lies_is_refused() {
        let dir = TempDir::new().unwrap();
        let (sender, sent, _) = copy_of_a_downloaded_company(&dir);
        let trigger: String = Connection::open(&sent)
            .unwrap()
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 'documents_search_update'", [], |r| r.get(0))
            .unwrap();
        tamper(
            &sent,
            &format!(
                "DROP TRIGGER documents_search_update;
                 UPDATE documents SET notes = 'zzqq hidden words' WHERE rid = (SELECT min(rid) FROM documents);
                 {trigger};"
            ),
        );
        let err = adopt_copy(&sent, &dir.path().join("received.comptoir"), sender.company_id()).unwrap_err();
        assert!(matches!(err, StoreError::CopyRefused { check: "search_index", .. }), "{err}");
    }

    #[test]
    fn a_copy_of_another_company_or_with_a_journal_beside_it_is_refused() {
        let dir = TempDir::new().unwrap();
        let (_, sent, _) = copy_of_a_downloaded_company(&dir);
        let path = dir.path().join("received.comptoir");
        let err = adopt_copy(&sent, &path, CompanyId(Uuid::nil())).unwrap_err();
        assert!(matches!(err, StoreError::CopyRefused { check: "company", .. }), "{err}");
        std::fs::write(format!("{}-journal", sent.display()), b"not the server's").unwrap();
        let err = adopt_copy(&sent, &path, CompanyId(Uuid::nil())).unwrap_err();
        assert!(matches!(err, StoreError::CopyRefused { check: "file", .. }), "{err}");
        assert!(!path.exists());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Bytes overwritten anywhere in a copy: it is refused, or it was harmless (the
        /// bytes were in free space) and the copy taken holds the sender's records.
        /// Never a panic, never a file in place that fails its own check.
        #[test]
        fn a_copy_with_damaged_bytes_is_refused_or_harmless(
            spots in proptest::collection::vec((0.0_f64..1.0, any::<[u8; 4]>()), 1..6),
        ) {
            let dir = TempDir::new().unwrap();
            let (sender, sent, _) = copy_of_a_downloaded_company(&dir);
            let mut bytes = std::fs::read(&sent).unwrap();
            for (at, with) in &spots {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
                let at = ((bytes.len() - 4) as f64 * at) as usize;
                bytes[at..at + 4].copy_from_slice(with);
            }
            std::fs::write(&sent, &bytes).unwrap();
            let path = dir.path().join("received.comptoir");
            match adopt_copy(&sent, &path, sender.company_id()) {
                Ok((received, _)) => {
                    let ok: String =
                        received.connection().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
                    prop_assert_eq!(ok, "ok");
                    for table in ["contacts", "documents", "document_lines", "payments"] {
                        prop_assert_eq!(count(sender.connection(), table), count(received.connection(), table));
                    }
                }
                Err(e) => {
                    prop_assert!(matches!(e.code(), "copy_refused" | "file_open_failed" | "database_error"), "{}", e);
                    prop_assert!(!path.exists());
                }
            }
        }
    }
}
