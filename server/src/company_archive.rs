//! A company's archive: the whole of one company, to move it from one host to another —
//! from a Comptoir server to one computer of a local network, and back (issue 15).
//!
//! A company is hosted by one place at a time. Moving it is two explicit steps:
//!
//! 1. [`move_out`] on the host it leaves: an audit record `move_out` closes its chain
//!    there, and the company is frozen (its members may read it; every write is refused
//!    with `company_moved`, which tells their copies where it went). [`write`] then
//!    writes the archive, as often as asked: nothing changes it any more.
//! 2. [`import`] on the host it goes to: the archive is checked whole first ([`check`]),
//!    then written in one transaction with a **new epoch**, so that every copy downloads
//!    it again, and an audit record `move_in` continues the same chain. That record
//!    carries the head the old host signed, so the new host's chain vouches for the old
//!    one's: the old host's signature over seq N and its hash, then every record after N
//!    chained to it. A company that moved away from here and comes back replaces its
//!    frozen copy.
//!
//! The archive is JSON lines (one object per line, `"t"` naming its type), in this
//! order: a header (the format, the company, its log's state and the signed head), its
//! members, its records in seq order (deleted ones too, so that seqs and checksums stay
//! as they were), the answers its clients' mutations got (so that an edit sent again to
//! the new host is not applied twice), the unique keys its records hold (article codes,
//! document numbers), and an end line with the counts (a cut file is refused). Record
//! bodies are kept as the exact text the old host stored. Staged parts of a posting
//! still being sent are not moved: such a posting is sent again.
//!
//! An archive is hostile input like any request: [`check`] refuses, naming the line, a
//! line too long, a record of the wrong kind or whose content breaks the model's rules,
//! seqs out of order, a broken audit chain, a head not signed by its key, keys held by
//! no record, counts that do not match, and nothing is written.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use comptoir_core::audit::{AuditSigner, FieldChange, SignedAuditHead, TrailCheck};
use comptoir_core::model::{CompanyId, Role, UserId};
use comptoir_core::sync::{MAX_SEQ, Outcome, RecordBody, RecordKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::storage::{
    CompanyRecord, ExportItem, LogState, MoveRecord, Storage, StorageError, StoredOutcome, UserRecord, unit_of_work,
};
use crate::sync::{Actor, AuditEntry, append_audit};

/// The header's `format`.
pub const FORMAT: &str = "comptoir-company";
/// The version of the format this server writes and reads.
pub const VERSION: u32 = 1;
/// The longest line read: a record's body is at most what a request may carry, escaped.
pub const MAX_LINE: usize = 4 * 1024 * 1024;
/// The most members an archive may list.
pub const MAX_MEMBERS: usize = 10_000;

/// Why an archive cannot be written, checked or imported.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("line {line} of the archive: {reason}")]
    Invalid { line: u64, reason: String },
    #[error("this company moved to {to} on {at}: it cannot be changed here")]
    Moved { to: String, at: DateTime<Utc> },
    #[error("a company with this id is hosted here already; only a company that moved away can be replaced")]
    Exists,
    #[error("only an owner of the company in the archive can import it here")]
    NotAnOwner,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("cannot read or write the archive: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for ArchiveError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(what) => Self::NotFound(what),
            other => Self::Storage(other),
        }
    }
}

impl ArchiveError {
    /// A stable code, like the API's.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "archive_invalid",
            Self::Moved { .. } => "company_moved",
            Self::Exists => "company_exists",
            Self::NotAnOwner => "not_an_owner",
            Self::NotFound(_) => "not_found",
            Self::Io(_) => "archive_io",
            Self::Storage(_) => "storage",
        }
    }
}

/// The company as the header names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedCompany {
    pub id: CompanyId,
    pub name: String,
    pub country: String,
    pub created_at: DateTime<Utc>,
}

/// The archive's first line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub company: ArchivedCompany,
    /// The log's last seq, and its audit chain's last record.
    pub seq: u64,
    pub audit_seq: u64,
    pub audit_hash: String,
    /// The head of the audit chain as the old host signed it, at `audit_seq`.
    pub head: SignedAuditHead,
    pub exported_at: DateTime<Utc>,
    /// Where it comes from, in words.
    pub exported_from: String,
}

/// One line of an archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Header(Box<Header>),
    Member { user_id: UserId, email: String, display_name: String, role: Role },
    Record { seq: u64, kind: RecordKind, id: Uuid, body: Option<String> },
    Outcome { client: Uuid, mutation: u64, digest: Option<String>, outcome: String },
    Key { namespace: String, key: String, owner: Uuid },
    End { members: u64, records: u64, outcomes: u64, keys: u64 },
}

/// What an archive holds, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub header: Header,
    /// Its members: (user id in the archive, email, name, role).
    pub members: Vec<(UserId, String, String, Role)>,
    pub records: u64,
    pub outcomes: u64,
    pub keys: u64,
}

/// What [`write`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub records: u64,
    pub bytes: u64,
}

/// Freezes `company` here: the audit record `move_out` (by `actor`, naming `to`) and the
/// mark that refuses every change from now on, in one transaction.
///
/// # Errors
///
/// [`ArchiveError::Moved`] when it moved already; [`ArchiveError::NotFound`].
pub fn move_out(
    storage: &dyn Storage,
    company: CompanyId,
    actor: &Actor,
    to: &str,
    now: DateTime<Utc>,
) -> Result<(), ArchiveError> {
    unit_of_work(storage, |tx| {
        if let Some(moved) = tx.moved(company)? {
            return Err(ArchiveError::Moved { to: moved.moved_to, at: moved.moved_at });
        }
        tx.in_company(company, &mut |log| {
            let changes = vec![FieldChange { field: "moved_to".into(), before: None, after: Some(to.to_owned()) }];
            let entry = AuditEntry { action: "move_out", entity: "company", entity_id: Some(company.0), changes };
            append_audit(log, company, actor, now, entry)?;
            Ok(())
        })?;
        tx.set_moved(company, Some(&MoveRecord { moved_at: now, moved_to: to.to_owned() }))?;
        Ok(())
    })?;
    tracing::info!(%company, to, "company moved out: frozen here");
    Ok(())
}

/// Writes `company`'s archive to `out`, its head signed by `signer` at `now`.
///
/// # Errors
///
/// When the company is unknown, or `out` fails.
pub fn write(
    storage: &dyn Storage,
    company: CompanyId,
    signer: &AuditSigner,
    from: &str,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<Written, ArchiveError> {
    let mut written = Written { records: 0, bytes: 0 };
    let (mut members, mut outcomes, mut keys) = (0_u64, 0_u64, 0_u64);
    let mut failure: Option<std::io::Error> = None;
    let result = storage.export_company(company, &mut |item| {
        let line = match item {
            ExportItem::Company(record, state) => Line::Header(Box::new(Header {
                format: FORMAT.into(),
                version: VERSION,
                head: signer.sign(company, state.audit_seq, &state.audit_hash, now),
                company: ArchivedCompany {
                    id: record.id,
                    name: record.name,
                    country: record.country,
                    created_at: record.created_at,
                },
                seq: state.seq,
                audit_seq: state.audit_seq,
                audit_hash: state.audit_hash,
                exported_at: now,
                exported_from: from.to_owned(),
            })),
            ExportItem::Member(member) => {
                members += 1;
                Line::Member {
                    user_id: member.user_id,
                    email: member.email,
                    display_name: member.display_name,
                    role: member.role,
                }
            }
            ExportItem::Record(change) => {
                written.records += 1;
                Line::Record { seq: change.seq, kind: change.kind, id: change.id, body: change.body }
            }
            ExportItem::Outcome { client, mutation, stored } => {
                outcomes += 1;
                Line::Outcome { client, mutation, digest: stored.digest, outcome: stored.outcome }
            }
            ExportItem::Key { namespace, key, owner } => {
                keys += 1;
                Line::Key { namespace, key, owner }
            }
        };
        put_line(out, &line, &mut written.bytes).map_err(|e| {
            failure = Some(e);
            StorageError::Abort
        })
    });
    if let Some(e) = failure {
        return Err(ArchiveError::Io(e));
    }
    result?;
    put_line(out, &Line::End { members, records: written.records, outcomes, keys }, &mut written.bytes)?;
    out.flush()?;
    Ok(written)
}

/// Writes `line` and its newline to `out`, counting its bytes.
fn put_line(out: &mut dyn Write, line: &Line, bytes: &mut u64) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(line).map_err(std::io::Error::other)?;
    text.push(b'\n');
    out.write_all(&text)?;
    *bytes += text.len() as u64;
    Ok(())
}

/// Reads an archive's lines, numbering them, refusing one longer than [`MAX_LINE`].
struct Lines<R> {
    input: R,
    number: u64,
    buffer: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn new(input: R) -> Self {
        Self { input, number: 0, buffer: Vec::new() }
    }

    fn invalid(&self, reason: impl Into<String>) -> ArchiveError {
        ArchiveError::Invalid { line: self.number, reason: reason.into() }
    }

    /// The next line, parsed; `None` at the end of the file.
    fn next(&mut self) -> Result<Option<Line>, ArchiveError> {
        self.buffer.clear();
        let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
        let read = std::io::Read::take(&mut self.input, limit).read_until(b'\n', &mut self.buffer)?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.buffer.len() > MAX_LINE {
            return Err(self.invalid(format!("longer than {MAX_LINE} bytes")));
        }
        serde_json::from_slice(&self.buffer).map(Some).map_err(|e| self.invalid(e.to_string()))
    }
}

/// The id a record's body carries for itself, where it has one.
fn own_id(body: &RecordBody) -> Option<Uuid> {
    match body {
        RecordBody::Contact(c) => Some(c.id.0),
        RecordBody::Article(a) => Some(a.id.0),
        RecordBody::Document(d) => Some(d.document.id.0),
        RecordBody::Payment(p) => Some(p.id.0),
        RecordBody::Settings(s) => Some(s.company.id.0),
        RecordBody::Member(m) => Some(m.user_id.0),
        RecordBody::Posting(p) => Some(p.id),
        RecordBody::Audit(_) => None,
    }
}

/// The model's rules for a record's content, as a request's would be checked.
fn check_content(body: &RecordBody) -> Result<(), String> {
    let model = |r: Result<(), comptoir_core::model::ModelError>| r.map_err(|e| e.to_string());
    match body {
        RecordBody::Contact(c) => model(c.validate()),
        RecordBody::Article(a) => model(a.validate()),
        RecordBody::Document(d) => model(d.document.validate()),
        RecordBody::Payment(p) => model(p.validate()),
        RecordBody::Settings(s) => {
            model(s.company.validate())?;
            s.series.iter().try_for_each(|series| model(series.validate()))
        }
        RecordBody::Member(m) => model(comptoir_core::model::validate_email(&m.email)),
        RecordBody::Audit(_) | RecordBody::Posting(_) => Ok(()),
    }
}

/// Checks an archive whole, without writing anything.
///
/// # Errors
///
/// [`ArchiveError::Invalid`] naming the first line that fails.
pub fn check(input: impl BufRead) -> Result<Checked, ArchiveError> {
    let mut lines = Lines::new(input);
    let header = match lines.next()? {
        Some(Line::Header(header)) => *header,
        Some(_) => return Err(lines.invalid("the first line must be the header")),
        None => return Err(lines.invalid("the archive is empty")),
    };
    let mut checker = Checker::new(header).map_err(|reason| lines.invalid(reason))?;
    // The sections come in order: members, records, outcomes, keys, end.
    let mut section = 0_u8;
    let end = loop {
        let Some(line) = lines.next()? else { return Err(lines.invalid("the archive ends before its end line")) };
        let order = match &line {
            Line::Header(_) => return Err(lines.invalid("a second header")),
            Line::Member { .. } => 1,
            Line::Record { .. } => 2,
            Line::Outcome { .. } => 3,
            Line::Key { .. } => 4,
            Line::End { .. } => 5,
        };
        if order < section {
            return Err(lines.invalid("out of order: members, records, outcomes, keys, end"));
        }
        section = order;
        let verdict = match line {
            Line::End { members, records, outcomes, keys } => break (members, records, outcomes, keys),
            Line::Member { user_id, email, display_name, role } => checker.member(user_id, email, display_name, role),
            Line::Record { seq, kind, id, body } => checker.record(seq, kind, id, body.as_deref()),
            Line::Outcome { mutation, digest, outcome, .. } => checker.outcome(mutation, digest.as_deref(), &outcome),
            Line::Key { namespace, key, owner } => checker.key(&namespace, &key, owner),
            Line::Header(_) => Ok(()),
        };
        verdict.map_err(|reason| lines.invalid(reason))?;
    };
    if lines.next()?.is_some() {
        return Err(lines.invalid("something follows the end line"));
    }
    checker.finish(end).map_err(|reason| lines.invalid(reason))
}

/// What [`check`] has seen so far.
struct Checker {
    header: Header,
    trail: TrailCheck,
    members: Vec<(UserId, String, String, Role)>,
    ids: HashSet<Uuid>,
    counts: (u64, u64, u64),
    last_seq: u64,
    last_audit: Option<(u64, String)>,
}

impl Checker {
    fn new(header: Header) -> Result<Self, String> {
        if header.format != FORMAT || header.version != VERSION {
            return Err(format!(
                "not a company archive of version {VERSION} (format “{}”, version {})",
                header.format, header.version
            ));
        }
        if header.seq > MAX_SEQ || header.audit_seq > header.seq {
            return Err("the log's seqs are out of range".into());
        }
        comptoir_core::model::Country::from_code(&header.company.country).map_err(|e| e.to_string())?;
        if header.company.name.trim().is_empty() || header.company.name.chars().count() > 200 {
            return Err("the company's name is empty or too long".into());
        }
        let head = &header.head;
        if head.company_id != header.company.id || head.seq != header.audit_seq || head.hash != header.audit_hash {
            return Err("the signed head is not the head of this company's chain".into());
        }
        let trail = TrailCheck::new(Some(head), Some(&head.key), header.company.id).map_err(|e| e.to_string())?;
        Ok(Self {
            header,
            trail,
            members: Vec::new(),
            ids: HashSet::new(),
            counts: (0, 0, 0),
            last_seq: 0,
            last_audit: None,
        })
    }

    fn member(&mut self, id: UserId, email: String, name: String, role: Role) -> Result<(), String> {
        comptoir_core::model::validate_email(&email).map_err(|e| e.to_string())?;
        if name.chars().count() > 200 || self.members.len() >= MAX_MEMBERS {
            return Err("a member's name is too long, or too many members".into());
        }
        if self.members.iter().any(|(other, e, _, _)| *other == id || *e == email) {
            return Err(format!("{email} is listed twice"));
        }
        self.members.push((id, email, name, role));
        Ok(())
    }

    fn record(&mut self, seq: u64, kind: RecordKind, id: Uuid, body: Option<&str>) -> Result<(), String> {
        if seq <= self.last_seq || seq > self.header.seq {
            return Err(format!("seq {seq} is not after {} and within the log", self.last_seq));
        }
        self.last_seq = seq;
        self.counts.0 += 1;
        let Some(body) = body else { return Ok(()) };
        let company = self.header.company.id;
        let parsed: RecordBody = serde_json::from_str(body).map_err(|e| e.to_string())?;
        if parsed.kind() != kind {
            return Err(format!("a {} record holds a {}", kind.as_str(), parsed.kind().as_str()));
        }
        if own_id(&parsed).is_some_and(|own| own != id) {
            return Err(format!("record {id} carries another id"));
        }
        if kind == RecordKind::Settings && id != company.0 {
            return Err("the settings of another company".into());
        }
        check_content(&parsed)?;
        if let RecordBody::Audit(record) = &parsed {
            if record.company_id != company {
                return Err("an audit record of another company".into());
            }
            self.trail.next(record).map_err(|e| e.to_string())?;
            self.last_audit = Some((record.seq, record.hash.clone()));
        }
        self.ids.insert(id);
        Ok(())
    }

    fn outcome(&mut self, mutation: u64, digest: Option<&str>, outcome: &str) -> Result<(), String> {
        if !(1..=MAX_SEQ).contains(&mutation) {
            return Err(format!("mutation id {mutation} out of range"));
        }
        if digest.is_some_and(|d| d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err("a digest is 64 hex digits".into());
        }
        serde_json::from_str::<Outcome>(outcome).map_err(|e| e.to_string())?;
        self.counts.1 += 1;
        Ok(())
    }

    fn key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<(), String> {
        if namespace.is_empty() || namespace.len() > 64 || key.is_empty() || key.len() > 256 {
            return Err("a key or its namespace is empty or too long".into());
        }
        if !self.ids.contains(&owner) {
            return Err(format!("key “{key}” is held by no record of the archive"));
        }
        self.counts.2 += 1;
        Ok(())
    }

    /// The end line said `end`: it must match what came, and the chain end at the head.
    fn finish(self, end: (u64, u64, u64, u64)) -> Result<Checked, String> {
        let (records, outcomes, keys) = self.counts;
        if end != (self.members.len() as u64, records, outcomes, keys) {
            return Err("the counts of the end line do not match the archive".into());
        }
        if !self.members.iter().any(|(_, _, _, role)| *role == Role::Owner) {
            return Err("the company has no owner".into());
        }
        let report = self.trail.finish().map_err(|e| e.to_string())?;
        let chain_end = self.last_audit.unwrap_or((0, comptoir_core::audit::GENESIS_HASH.to_owned()));
        if report.records != self.header.audit_seq
            || chain_end != (self.header.audit_seq, self.header.audit_hash.clone())
        {
            return Err("the audit chain does not end at the header's head".into());
        }
        Ok(Checked { header: self.header, members: self.members, records, outcomes, keys })
    }
}

/// How an archive becomes a company here.
#[derive(Debug)]
pub struct ImportPlan<'a> {
    /// Who imports it: an owner in the archive (by email) and, when the company is here
    /// already (it moved away and comes back), an owner of that frozen copy too.
    pub actor_email: &'a str,
    /// Whether a company this host never had may be created (an administrator's import,
    /// or a computer taking a company from a server); through the API a company can only
    /// come back where it left.
    pub allow_new: bool,
    /// Accounts to create for members without one here (see [`accounts_for`]).
    pub new_accounts: Vec<UserRecord>,
    pub now: DateTime<Utc>,
}

/// Accounts for the archive's members who have none here (with the ids they had, when
/// free here), each with a password nobody knows (they sign in by pairing a device, or are given a password by an owner): hashed
/// here, out of any transaction.
///
/// # Errors
///
/// When the storage or the password hashing fails.
pub fn accounts_for(storage: &dyn Storage, checked: &Checked) -> Result<Vec<UserRecord>, ArchiveError> {
    let mut accounts = Vec::new();
    for (id, email, name, _) in &checked.members {
        if storage.user_by_email(email)?.is_none() {
            let password = crate::auth::new_token().map_err(|e| StorageError::Backend(e.to_string()))?;
            let hash = crate::auth::hash_password(&password).map_err(|e| StorageError::Backend(e.to_string()))?;
            let mut account = UserRecord::new(email, Some(name), hash);
            // The id it had where it comes from, when free here: its member record
            // stays as it was.
            if storage.user(*id)?.is_none() {
                account.id = *id;
            }
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// [`import`] of the checked archive at `path` by `actor_email`, the accounts its
/// members lack made first ([`accounts_for`]): what every caller of an import does.
///
/// # Errors
///
/// As [`accounts_for`] and [`import`].
pub fn import_checked(
    storage: &dyn Storage,
    checked: &Checked,
    path: &Path,
    actor_email: &str,
    allow_new: bool,
    now: DateTime<Utc>,
) -> Result<LogState, ArchiveError> {
    let plan = ImportPlan { actor_email, allow_new, new_accounts: accounts_for(storage, checked)?, now };
    import(storage, checked, path, &plan)
}

/// Opens the archive at `path` for reading.
///
/// # Errors
///
/// When the file cannot be opened.
pub fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, ArchiveError> {
    Ok(std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?))
}

/// Writes the archive at `path`, checked by [`check`] into `checked`, as a company here
/// with a new epoch, in one transaction: its members (by email, with the accounts of
/// `plan`), its records, answers and keys, then the audit record `move_in`. A company of
/// that id that moved away from here is replaced; any other is refused. Returns the new
/// log's state.
///
/// # Errors
///
/// [`ArchiveError::NotAnOwner`], [`ArchiveError::Exists`], [`ArchiveError::NotFound`]
/// (a new company where `plan` allows none), or what reading the file again finds.
pub fn import(
    storage: &dyn Storage,
    checked: &Checked,
    path: &Path,
    plan: &ImportPlan<'_>,
) -> Result<LogState, ArchiveError> {
    let header = &checked.header;
    let company = header.company.id;
    let actor_email = plan.actor_email.trim().to_lowercase();
    let Some((_, _, _, Role::Owner)) = checked.members.iter().find(|(_, email, _, _)| *email == actor_email) else {
        return Err(ArchiveError::NotAnOwner);
    };
    let epoch = Uuid::now_v7();
    unit_of_work(storage, |tx| {
        if tx.company(company)?.is_some() {
            if tx.moved(company)?.is_none() {
                return Err(ArchiveError::Exists);
            }
            let owner_here = tx.members(company)?.iter().any(|m| m.email == actor_email && m.role == Role::Owner);
            if !owner_here {
                return Err(ArchiveError::NotAnOwner);
            }
            tx.delete_company(company)?;
        } else if !plan.allow_new {
            return Err(ArchiveError::NotFound("company"));
        }
        // Members by email: an account here may have another id than in the archive,
        // and the member records follow the account here.
        let mut renamed = HashMap::new();
        let mut memberships = Vec::new();
        let mut actor = None;
        for (archived_id, email, _, role) in &checked.members {
            let user = if let Some(user) = tx.user_by_email(email)? {
                user
            } else {
                let user =
                    plan.new_accounts.iter().find(|a| a.email == *email).ok_or(ArchiveError::NotFound("account"))?;
                tx.create_user(user)?;
                user.clone()
            };
            if user.id != *archived_id {
                renamed.insert(archived_id.0, user.clone());
            }
            if *email == actor_email {
                actor = Some(Actor::member(&user, *role));
            }
            memberships.push((user.id, *role));
        }
        let actor = actor.ok_or(ArchiveError::NotAnOwner)?;
        let record = CompanyRecord {
            id: company,
            name: header.company.name.clone(),
            country: header.company.country.clone(),
            created_at: header.company.created_at,
        };
        let state =
            LogState { epoch, seq: header.seq, audit_seq: header.audit_seq, audit_hash: header.audit_hash.clone() };
        tx.import_company(&record, &state)?;
        for (user, role) in &memberships {
            tx.set_member(company, *user, *role)?;
        }
        let mut lines = Lines::new(open(path)?);
        let mut failure = None;
        let result = tx.in_company(company, &mut |log| {
            if let Err(e) = copy_lines(log, &mut lines, &renamed) {
                failure = Some(e);
                return Err(StorageError::Abort);
            }
            append_audit(log, company, &actor, plan.now, move_in_entry(header))?;
            Ok(())
        });
        match (result, failure) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(e.into()),
            (Ok(()), None) => Ok(()),
        }
    })?;
    let state = storage.log_state(company)?.ok_or(ArchiveError::NotFound("company"))?;
    tracing::info!(%company, records = checked.records, from = %header.exported_from, "company imported with a new epoch");
    Ok(state)
}

/// The audit record that continues the chain here: where the company came from, and the
/// head the old host signed (its key, seq, hash, time and signature), so that this
/// chain vouches for the old one's.
fn move_in_entry(header: &Header) -> AuditEntry<'static> {
    let head = &header.head;
    let changes = [
        ("moved_from", header.exported_from.clone()),
        ("previous_key", head.key.clone()),
        ("previous_head_seq", head.seq.to_string()),
        ("previous_head_hash", head.hash.clone()),
        ("previous_head_signed_at", head.signed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        ("previous_head_signature", head.signature.clone()),
    ]
    .into_iter()
    .map(|(field, value)| FieldChange { field: field.into(), before: None, after: Some(value) })
    .collect();
    AuditEntry { action: "move_in", entity: "company", entity_id: Some(header.company.id.0), changes }
}

/// Copies the records, answers and keys of an archive (read again after [`check`]) into
/// the company's log; member records follow the accounts in `renamed`.
fn copy_lines(
    log: &mut dyn crate::storage::CompanyTx,
    lines: &mut Lines<impl BufRead>,
    renamed: &HashMap<Uuid, UserRecord>,
) -> Result<(), ArchiveError> {
    while let Some(line) = lines.next()? {
        match line {
            Line::Header(_) | Line::Member { .. } => {}
            Line::Record { seq, kind, id, body } => match (kind, renamed.get(&id), &body) {
                (RecordKind::Member, Some(user), Some(text)) => {
                    let Ok(RecordBody::Member(mut info)) = serde_json::from_str::<RecordBody>(text) else {
                        return Err(lines.invalid("a member record changed since it was checked"));
                    };
                    info.user_id = user.id;
                    let text =
                        serde_json::to_string(&RecordBody::Member(info)).map_err(|e| lines.invalid(e.to_string()))?;
                    log.restore_record(kind, user.id.0, seq, Some(&text))?;
                }
                _ => log.restore_record(kind, id, seq, body.as_deref())?,
            },
            Line::Outcome { client, mutation, digest, outcome } => {
                log.restore_outcome(client, mutation, &StoredOutcome { digest, outcome })?;
            }
            Line::Key { namespace, key, owner } => {
                let owner = renamed.get(&owner).map_or(owner, |user| user.id.0);
                if !log.claim_key(&namespace, &key, owner)? {
                    return Err(lines.invalid(format!("key “{key}” is listed twice")));
                }
            }
            Line::End { .. } => return Ok(()),
        }
    }
    Err(lines.invalid("the archive ends before its end line"))
}
