//! The change log of companies' business data: push (intents applied exactly once, in
//! order), pull (pages of changes after a cursor), status, and the audit trail appended
//! with every accepted change.

pub mod copies;
pub(crate) mod records;

use chrono::{DateTime, Utc};
use comptoir_core::audit::{AuditRecord, FieldChange, SignedAuditHead};
use comptoir_core::model::{Address, CompanyId, Country, Currency, DocumentKind, NumberingSeries, Role};
use comptoir_core::sync::rules::{self, Numbering, Records as _, RuleError};
use comptoir_core::sync::{
    Cursor, MemberInfo, Mutation, Outcome, PushResult, RawChange, RawPullPage, RawSnapshotPage, RecordBody, RecordKind,
    Settings, SnapshotPosition,
};
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use records::ServerRecords;

use crate::storage::{
    CompanyRecord, CompanyTx, PageLimit, Storage, StorageError, StorageTx, StoredChange, UserRecord, unit_of_work,
};

/// Who is acting, for permissions and the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<comptoir_core::model::UserId>,
    pub email: String,
    pub role: Role,
}

impl Actor {
    pub fn member(user: &UserRecord, role: Role) -> Self {
        Self { user_id: Some(user.id), email: user.email.clone(), role }
    }

    /// The server itself (admin commands).
    pub fn system() -> Self {
        Self { user_id: None, email: "system".into(), role: Role::Owner }
    }
}

/// Record bodies are `{"kind": …, "record": {…}}`: the record inside.
fn record_of(v: Option<&Value>) -> Option<&Value> {
    v.map(|v| v.get("record").unwrap_or(v))
}

/// What a JSON value is, for [`field_changes`].
enum Shape<'v> {
    Absent,
    Object(&'v serde_json::Map<String, Value>),
    Scalar,
}

impl<'v> Shape<'v> {
    fn of(value: Option<&'v Value>) -> Self {
        match value {
            None => Self::Absent,
            Some(Value::Object(fields)) => Self::Object(fields),
            Some(_) => Self::Scalar,
        }
    }

    fn fields(self) -> Option<&'v serde_json::Map<String, Value>> {
        match self {
            Self::Object(fields) => Some(fields),
            Self::Absent | Self::Scalar => None,
        }
    }
}

/// Field-level differences between two JSON documents, with dotted paths for nested
/// objects; arrays and scalars compare whole.
pub fn field_changes(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<FieldChange>) {
        // A null field reads as an absent one.
        let before = before.filter(|v| !v.is_null());
        let after = after.filter(|v| !v.is_null());
        match (Shape::of(before), Shape::of(after)) {
            (Shape::Absent, Shape::Absent) => {}
            (Shape::Scalar, _) | (_, Shape::Scalar) => {
                if before != after {
                    out.push(FieldChange {
                        field: path.to_owned(),
                        before: before.map(value_text),
                        after: after.map(value_text),
                    });
                }
            }
            // Objects, or an object created or removed whole: field by field, so that a
            // creation lists each field it set.
            (b, a) => {
                let (b, a) = (b.fields(), a.fields());
                let mut keys: Vec<&String> = b.into_iter().chain(a).flat_map(|m| m.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let sub = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    walk(&sub, b.and_then(|m| m.get(key)), a.and_then(|m| m.get(key)), out);
                }
            }
        }
    }
    fn value_text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    let mut out = Vec::new();
    walk("", record_of(before), record_of(after), &mut out);
    out
}

/// What an audit record says happened.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub changes: Vec<FieldChange>,
}

/// Appends an audit record to the company's chain, in the current transaction.
pub fn append_audit(
    tx: &mut dyn CompanyTx,
    company: CompanyId,
    actor: &Actor,
    now: DateTime<Utc>,
    entry: AuditEntry<'_>,
) -> Result<u64, StorageError> {
    let state = tx.state().clone();
    let record = AuditRecord {
        seq: 0,
        company_id: company,
        at: now,
        user_id: actor.user_id,
        user_email: actor.email.clone(),
        action: entry.action.to_owned(),
        entity: entry.entity.to_owned(),
        entity_id: entry.entity_id,
        changes: entry.changes,
        prev_hash: String::new(),
        hash: String::new(),
    }
    .seal(state.audit_seq + 1, &state.audit_hash);
    let body =
        serde_json::to_string(&RecordBody::Audit(record.clone())).map_err(|e| StorageError::Backend(e.to_string()))?;
    let seq = tx.put(RecordKind::Audit, Uuid::now_v7(), Some(&body))?;
    tx.set_audit_head(record.seq, &record.hash)?;
    Ok(seq)
}

/// Creates company `id` with its change log and its first settings record (default
/// numbering series; the address is filled in later by its owner), and the audit record
/// that says so: all of it or, after a failure or a crash, none.
pub fn create_company(
    storage: &dyn Storage,
    id: CompanyId,
    name: &str,
    country: &Country,
    now: DateTime<Utc>,
) -> Result<CompanyId, StorageError> {
    let company = CompanyRecord { id, name: name.to_owned(), country: country.code().to_owned(), created_at: now };
    let settings = Settings {
        company: comptoir_core::model::Company {
            id: company.id,
            legal_name: name.to_owned(),
            address: Address {
                street: String::new(),
                street2: String::new(),
                postcode: String::new(),
                city: String::new(),
                country: country.clone(),
            },
            vat_number: None,
            national_id: None,
            iban: None,
            bic: None,
            currency: if *country == Country::Switzerland { Currency::CHF } else { Currency::EUR },
            payment_terms_days: 30,
            legal_form: String::new(),
            share_capital: None,
            register_city: String::new(),
            late_penalty_rate: None,
            vat_exempt: false,
            early_payment_discount: String::new(),
        },
        series: DocumentKind::ALL.into_iter().map(NumberingSeries::default_for).collect(),
        accounts: None,
        logo: None,
    };
    unit_of_work(storage, |tx| {
        tx.create_company(&company, Uuid::now_v7())?;
        tx.in_company(company.id, &mut |log| {
            ServerRecords(log).put(
                RecordKind::Settings,
                company.id.0,
                Some(&RecordBody::Settings(Box::new(settings.clone()))),
            )?;
            let entry =
                AuditEntry { action: "create", entity: "company", entity_id: Some(company.id.0), changes: Vec::new() };
            append_audit(log, company.id, &Actor::system(), now, entry)?;
            Ok(())
        })
    })?;
    Ok(company.id)
}

/// Records a membership change in the company's log and audit trail (`role` `None`:
/// removed), in the transaction `tx` that made the change.
pub fn log_member(
    tx: &mut dyn StorageTx,
    company: CompanyId,
    member: &UserRecord,
    role: Option<Role>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    tx.in_company(company, &mut |tx| {
        let before = tx
            .get(RecordKind::Member, member.id.0)?
            .and_then(|r| r.body)
            .and_then(|b| serde_json::from_str::<Value>(&b).ok());
        let body = role.map(|role| {
            RecordBody::Member(MemberInfo {
                user_id: member.id,
                email: member.email.clone(),
                display_name: member.display_name.clone(),
                role,
            })
        });
        let json =
            body.as_ref().map(serde_json::to_string).transpose().map_err(|e| StorageError::Backend(e.to_string()))?;
        tx.put(RecordKind::Member, member.id.0, json.as_deref())?;
        crate::pause::point("member:log_record");
        let after = json.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok());
        let action = if role.is_none() {
            "remove_member"
        } else if before.is_none() {
            "add_member"
        } else {
            "role_change"
        };
        let changes = field_changes(before.as_ref(), after.as_ref());
        append_audit(
            tx,
            company,
            actor,
            now,
            AuditEntry { action, entity: "member", entity_id: Some(member.id.0), changes },
        )?;
        crate::pause::point("member:audit_record");
        Ok(())
    })
}

/// Applies a batch of mutations in order, in one transaction (one write to disk), each
/// mutation on a savepoint of its own: a refused one leaves no trace but its stored
/// answer. A mutation seen before gets the answer it got then, whatever the batch.
///
/// A client id that turns out to be shared by two copies (see
/// [`Outcome::ClientIdTaken`]) stops the batch for that client id: its later mutations
/// get the same answer, unapplied, so that the copy sends them again, in order, under a
/// new id.
pub fn push(
    storage: &dyn Storage,
    company: CompanyId,
    actor: &Actor,
    mutations: &[Mutation],
    now: DateTime<Utc>,
) -> Result<Vec<PushResult>, StorageError> {
    let mut results = Vec::with_capacity(mutations.len());
    storage.in_company(company, &mut |tx| {
        results.clear();
        let mut taken: Vec<uuid::Uuid> = Vec::new();
        for mutation in mutations {
            let outcome = if taken.contains(&mutation.client_id) {
                client_id_taken()
            } else {
                push_one(tx, company, actor, mutation, now)?
            };
            if matches!(outcome, Outcome::ClientIdTaken { .. }) {
                taken.push(mutation.client_id);
            }
            results.push(PushResult { client_id: mutation.client_id, mutation_id: mutation.mutation_id, outcome });
        }
        Ok(())
    })?;
    Ok(results)
}

fn outcome_json(outcome: &Outcome) -> Result<String, StorageError> {
    serde_json::to_string(outcome).map_err(|e| StorageError::Backend(e.to_string()))
}

fn client_id_taken() -> Outcome {
    Outcome::ClientIdTaken {
        message: "Another copy of this company's file already sent changes under this device id: \
                  send them again under a new one."
            .into(),
    }
}

fn push_one(
    tx: &mut dyn CompanyTx,
    company: CompanyId,
    actor: &Actor,
    mutation: &Mutation,
    now: DateTime<Utc>,
) -> Result<Outcome, StorageError> {
    let (client, id) = (mutation.client_id, mutation.mutation_id);
    let digest = mutation.digest().map_err(|e| StorageError::Backend(e.to_string()))?;
    if let Some(stored) = tx.outcome(client, id)? {
        // The same edit sent again gets its answer; another edit under the same key comes
        // from another copy that shares the client id.
        if stored.digest.as_ref().is_some_and(|d| *d != digest) {
            return Ok(client_id_taken());
        }
        return serde_json::from_str(&stored.outcome).map_err(|e| StorageError::Corrupt(e.to_string()));
    }
    // A copy's mutation ids only grow: one below the last seen comes from another copy
    // of the file, which took the same numbers.
    if tx.last_mutation(client)?.is_some_and(|last| id < last) {
        return Ok(client_id_taken());
    }
    let outcome = if let Err(e) = actor.role.authorize(mutation.intent.permission()) {
        Outcome::Rejected { code: e.code().into(), message: e.to_string() }
    } else {
        let mut outcome = None;
        let applied = tx.savepoint(&mut |tx| {
            match rules::apply(&mut ServerRecords(tx), company, &mutation.intent, Numbering::Allocate) {
                Ok(applied) => {
                    let (_, target) = mutation.intent.target();
                    let changes = field_changes(applied.before.as_ref(), applied.after.as_ref());
                    let entry = AuditEntry {
                        action: mutation.intent.action(),
                        entity: applied.entity,
                        entity_id: Some(target),
                        changes,
                    };
                    let seq = append_audit(tx, company, actor, now, entry)?;
                    outcome = Some(Outcome::Applied { seq, number: applied.number });
                    Ok(())
                }
                Err(RuleError::Rejected { code, message }) => {
                    outcome = Some(Outcome::Rejected { code: code.to_owned(), message });
                    // Undo whatever the intent wrote before it was refused.
                    Err(StorageError::Abort)
                }
                Err(RuleError::Corrupt(e)) => Err(StorageError::Corrupt(e)),
                Err(RuleError::Store(e)) => Err(e),
            }
        });
        match (applied, outcome) {
            (Ok(()) | Err(StorageError::Abort), Some(outcome)) => outcome,
            // Refused by the database (PostgreSQL holds no NUL in a text column): the
            // savepoint undid it; the copy moves on with a reason, as for a rule.
            (Err(e @ StorageError::UnstorableText), _) => {
                Outcome::Rejected { code: "invalid_text".into(), message: e.to_string() }
            }
            (Err(e), _) => return Err(e),
            (Ok(()), None) => return Err(StorageError::Backend("no outcome".into())),
        }
    };
    // Remembered, so that the same mutation sent again gets the same answer.
    tx.save_outcome(client, id, &digest, &outcome_json(&outcome)?)?;
    Ok(outcome)
}

/// Why a pull cannot be served.
#[derive(Debug)]
pub enum PullError {
    /// The cursor belongs to an older epoch: download again from the start.
    StaleEpoch,
    Storage(StorageError),
}

impl From<StorageError> for PullError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

/// The most bytes of record bodies one pull page holds (a page holds at least one record,
/// however large): a page's memory, on the server and in the client that parses it, stays
/// bounded whatever the records weigh.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// A page of changes after `after` (in `epoch`, when given), as many as `limit` allows.
/// The last page of a pull carries the head of the company's audit chain, signed by
/// `sign_head` (seq and hash of the chain's last record).
pub fn pull(
    storage: &dyn Storage,
    company: CompanyId,
    epoch: Option<Uuid>,
    after: u64,
    limit: PageLimit,
    counts: bool,
    sign_head: &dyn Fn(u64, &str) -> SignedAuditHead,
) -> Result<RawPullPage, PullError> {
    let state = storage.log_state(company)?.ok_or(StorageError::NotFound("company"))?;
    if epoch.is_some_and(|e| e != state.epoch) {
        return Err(PullError::StaleEpoch);
    }
    let remaining_before = if counts { Some(storage.count_changes_after(company, after)?) } else { None };
    let stored = storage.changes_after(company, after, limit)?;
    let changes = stored.changes.into_iter().map(raw_change).collect::<Result<Vec<_>, _>>()?;
    let cursor = Cursor { epoch: state.epoch, seq: changes.last().map_or(after, |c| c.seq) };
    let remaining = remaining_before.map(|mut counts| {
        for change in &changes {
            if let Some(count) = counts.get_mut(&change.kind) {
                *count = count.saturating_sub(1);
            }
        }
        counts
    });
    // The head as of the log state read before the page: on the last page, every audit
    // record up to it is in the page or before it.
    let audit_head = (!stored.has_more).then(|| sign_head(state.audit_seq, &state.audit_hash));
    Ok(RawPullPage { epoch: state.epoch, changes, cursor, has_more: stored.has_more, remaining, audit_head })
}

/// A stored change as a page carries it: its body, JSON the server wrote, checked to be
/// JSON still (a damaged storage says so, rather than sending what no client reads).
pub(crate) fn raw_change(change: StoredChange) -> Result<RawChange, StorageError> {
    let body = change
        .body
        .map(RawValue::from_string)
        .transpose()
        .map_err(|e| StorageError::Corrupt(format!("record {}: {e}", change.id)))?;
    Ok(RawChange { seq: change.seq, kind: change.kind, id: change.id, body })
}

/// A page of the company as it stood at seq `upto` of its log, from `from` on (`None`:
/// a new snapshot, which stands at the log's seq now), as much as `limit` allows: see
/// [`comptoir_core::sync::SnapshotPage`]. A page holds at least one record when any is
/// left, and reads at most `limit.count` records from the storage.
pub fn snapshot(
    storage: &dyn Storage,
    company: CompanyId,
    epoch: Option<Uuid>,
    from: Option<(u64, SnapshotPosition)>,
    limit: PageLimit,
    counts: bool,
) -> Result<RawSnapshotPage, PullError> {
    let state = storage.log_state(company)?.ok_or(StorageError::NotFound("company"))?;
    if epoch.is_some_and(|e| e != state.epoch) {
        return Err(PullError::StaleEpoch);
    }
    let (upto, mut at) =
        from.unwrap_or((state.seq, SnapshotPosition { kind: RecordKind::DOWNLOAD_ORDER[0], before: None }));
    let records = if counts { Some(storage.count_changes_after(company, 0)?) } else { None };
    let wanted = usize::try_from(limit.count).unwrap_or(usize::MAX);
    let start = at.kind;
    let mut kinds = RecordKind::DOWNLOAD_ORDER.iter().copied().skip_while(move |k| *k != start);
    let mut changes: Vec<RawChange> = Vec::new();
    let (mut bytes, mut next) = (0_usize, None);
    'kinds: while let Some(kind) = kinds.next() {
        let before = if kind == at.kind { at.before } else { None };
        let left = u32::try_from(wanted - changes.len()).unwrap_or(u32::MAX);
        let stretch = storage.live_records_before(company, kind, upto, before, left)?;
        let exhausted = stretch.len() < usize::try_from(left).unwrap_or(usize::MAX);
        for change in stretch {
            let weight = PageLimit::weight(&change);
            if !changes.is_empty() && bytes.saturating_add(weight) > limit.bytes {
                next = Some(at);
                break 'kinds;
            }
            bytes = bytes.saturating_add(weight);
            at = SnapshotPosition { kind, before: Some(change.seq) };
            changes.push(raw_change(change)?);
        }
        if !exhausted {
            // The page is full: the next one goes on in this kind (or finds it ended).
            next = Some(at);
            break;
        }
        if let Some(following) = kinds.clone().next() {
            at = SnapshotPosition { kind: following, before: None };
        }
    }
    Ok(RawSnapshotPage { epoch: state.epoch, upto, changes, next, records })
}
