//! Random intents as a member with a script would send them: each starts from a
//! well-formed intent about the company's real records (so that the rules, not only the
//! JSON parser, see it), then a few of its values are replaced by hostile ones —
//! decimals at and beyond every limit, long and strange strings, unknown ids, ids of
//! another company's records, values of the wrong type, fields added or dropped, arrays
//! repeated past their limits.
//!
//! Seeded and repeatable: the same seed and the same pools give the same intents, so a
//! failing seed is kept (`tests/tests/fuzz_seeds.txt`) and replayed on every run.

use chrono::NaiveDate;
use comptoir_core::demo::Rng;
use comptoir_core::model::{
    Allocation, ArticleId, ContactId, DocumentId, DocumentKind, DocumentStatus, Payment, PaymentId, PaymentMethod,
};
use comptoir_core::sync::{Change, Intent, RecordBody, SendingNote, Settings};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{article, draft_invoice, new_contact};

/// What the intents may refer to: the target company's records as pulled, and the ids of
/// another company's records (which must never be reached from this one).
#[derive(Debug, Default)]
pub struct Pools {
    pub contacts: Vec<RecordBody>,
    pub articles: Vec<ArticleId>,
    /// Documents with their kind and status.
    pub documents: Vec<(DocumentId, DocumentKind, DocumentStatus)>,
    pub payments: Vec<PaymentId>,
    pub settings: Option<Settings>,
    /// Ids of records of another company.
    pub foreign: Vec<Uuid>,
}

impl Pools {
    /// Takes in what a pull of the target company returned (records created by earlier
    /// intents join the pools; deleted ones leave them).
    pub fn absorb(&mut self, changes: &[Change]) {
        for change in changes {
            self.contacts.retain(|c| !matches!(c, RecordBody::Contact(c) if c.id.0 == change.id));
            self.articles.retain(|a| a.0 != change.id);
            self.documents.retain(|d| d.0.0 != change.id);
            self.payments.retain(|p| p.0 != change.id);
            match &change.body {
                Some(body @ RecordBody::Contact(_)) => self.contacts.push(body.clone()),
                Some(RecordBody::Article(a)) => self.articles.push(a.id),
                Some(RecordBody::Document(r)) => {
                    self.documents.push((r.document.id, r.document.kind, r.document.status));
                }
                Some(RecordBody::Payment(p)) => self.payments.push(p.id),
                Some(RecordBody::Settings(s)) => self.settings = Some(s.as_ref().clone()),
                _ => {}
            }
        }
        // Only the latest of each: enough variety, bounded memory.
        trim(&mut self.contacts);
        trim(&mut self.articles);
        trim(&mut self.documents);
        trim(&mut self.payments);
    }

    fn contact_id(&self, rng: &mut Rng) -> Uuid {
        match self.contacts.get(index(rng, self.contacts.len())) {
            Some(RecordBody::Contact(c)) => c.id.0,
            _ => Uuid::now_v7(),
        }
    }

    fn document(&self, rng: &mut Rng) -> Option<(DocumentId, DocumentKind, DocumentStatus)> {
        self.documents.get(index(rng, self.documents.len())).copied()
    }

    /// An id of a record of this company, of another kind, of another company, or none.
    fn any_id(&self, rng: &mut Rng) -> Value {
        let id = match rng.below(6) {
            0 => self.contact_id(rng),
            1 => self.articles.get(index(rng, self.articles.len())).map_or_else(Uuid::now_v7, |a| a.0),
            2 => self.document(rng).map_or_else(Uuid::now_v7, |d| d.0.0),
            3 => self.foreign.get(index(rng, self.foreign.len())).copied().unwrap_or_else(Uuid::now_v7),
            4 => Uuid::nil(),
            _ => Uuid::now_v7(),
        };
        json!(id)
    }
}

/// How many records of each kind the pools keep.
const POOL: usize = 500;

fn trim<T>(pool: &mut Vec<T>) {
    if pool.len() > POOL {
        pool.drain(..pool.len() - POOL);
    }
}

fn index(rng: &mut Rng, len: usize) -> usize {
    usize::try_from(rng.below(len as u64)).unwrap_or(0)
}

/// Decimals where the rules and the arithmetic have their edges.
const DECIMALS: [&str; 22] = [
    "0",
    "-0",
    "0.01",
    "-0.01",
    "0.000001",
    "0.0000001",
    "1000000000",
    "1000000000.000001",
    "999999999999.99",
    "-999999999999.99",
    "1000000000000",
    "999999999999.999",
    "50000000000000000000000000000",
    "79000000000000000000000000000",
    "79228162514264337593543950335",
    "-79228162514264337593543950335",
    "0.0000000000000000000000000001",
    "100",
    "100.01",
    "-100",
    "33.333333",
    "1e5",
];

/// Strings that are too long, empty, invisible or meant to break something else.
fn hostile_string(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => String::new(),
        1 => "   ".into(),
        2 => "x".repeat(201),
        3 => "é".repeat(1_000),
        4 => "A".repeat(100_000),
        5 => "\u{0}\u{1}\u{7f}".into(),
        6 => "\u{202e}tcartnoc".into(),
        7 => "'; DROP TABLE records; --".into(),
        8 => "<script>alert(1)</script>".into(),
        9 => "💶🧾".repeat(50),
        10 => "FR00000000000".into(),
        _ => "\u{fffd}\n\t\r".into(),
    }
}

/// A value meant to replace `old` (usually of the same shape, sometimes not).
fn hostile_value(rng: &mut Rng, old: &Value, pools: &Pools) -> Value {
    let same_shape = rng.chance(85);
    match old {
        Value::String(s) if same_shape && Uuid::parse_str(s).is_ok() => pools.any_id(rng),
        Value::String(s) if same_shape && s.parse::<Decimal>().is_ok() => json!(*rng.pick(&DECIMALS)),
        Value::String(s) if same_shape && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
            json!(*rng.pick(&["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "", "26/11/2026"]))
        }
        Value::String(_) if same_shape => json!(hostile_string(rng)),
        Value::Number(_) if same_shape => {
            json!(*rng.pick(&[json!(0), json!(-1), json!(u64::MAX), json!(i64::MIN), json!(1e308), json!(2.5)]))
        }
        Value::Bool(b) if same_shape => json!(!b),
        _ => match rng.below(8) {
            0 => Value::Null,
            1 => json!(true),
            2 => json!([]),
            3 => json!({}),
            4 => json!(hostile_string(rng)),
            5 => json!(*rng.pick(&DECIMALS)),
            6 => pools.any_id(rng),
            _ => json!(-1),
        },
    }
}

/// Every path to a value inside `value` (object keys and array indexes).
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(value: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut here = value;
    for step in path {
        here = match step {
            PathStep::Key(k) => here.get_mut(k.as_str())?,
            PathStep::Index(i) => here.get_mut(*i)?,
        };
    }
    Some(here)
}

/// Changes one value of `intent` (never its `type`): replaced, removed, doubled or given a
/// field of its own.
pub fn mutate(rng: &mut Rng, intent: &mut Value, pools: &Pools) {
    let mut all = Vec::new();
    paths(intent, &mut Vec::new(), &mut all);
    all.retain(|p| !matches!(p.as_slice(), [PathStep::Key(k)] if k == "type"));
    let Some(path) = all.get(index(rng, all.len())).cloned() else { return };
    match rng.below(20) {
        // Drop the field (or the array item).
        0 => {
            let (last, parent) = path.split_last().map_or((None, &path[..0]), |(l, p)| (Some(l), p));
            if let Some(parent) = at_mut(intent, parent) {
                match (last, parent) {
                    (Some(PathStep::Key(k)), Value::Object(map)) => {
                        map.remove(k);
                    }
                    (Some(PathStep::Index(i)), Value::Array(items)) if *i < items.len() => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        // An unknown field beside it.
        1 => {
            if let Some(Value::Object(map)) = at_mut(intent, &path[..path.len().saturating_sub(1)]) {
                map.insert("unexpected".into(), json!(hostile_string(rng)));
            }
        }
        // An array repeated past the limits (lines, allocations, series).
        2 => {
            if let Some(Value::Array(items)) = at_mut(intent, &path)
                && let Some(first) = items.first().cloned()
            {
                let times = *rng.pick(&[2_usize, 200, 1_001, 5_001]);
                items.extend(std::iter::repeat_n(first, times));
            }
        }
        _ => {
            if let Some(slot) = at_mut(intent, &path) {
                *slot = hostile_value(rng, slot, pools);
            }
        }
    }
}

/// A well-formed intent about the pools' records, as JSON.
#[allow(clippy::too_many_lines, reason = "one arm per kind of intent reads best as one match")]
fn base_intent(rng: &mut Rng, pools: &Pools, today: NaiveDate) -> Value {
    let customer = match pools.contacts.get(index(rng, pools.contacts.len())) {
        Some(RecordBody::Contact(c)) => c.clone(),
        _ => new_contact("Client du fuzz"),
    };
    let intent = match rng.below(17) {
        0 => Intent::CreateContact { contact: new_contact("Nouveau client") },
        1 => Intent::UpdateContact { contact: customer },
        2 => Intent::CreateArticle { article: article(&format!("FZ-{}", rng.below(1_000_000))) },
        3 => {
            let mut a = article("FZ-UPDATE");
            a.id = pools.articles.get(index(rng, pools.articles.len())).copied().unwrap_or_else(ArticleId::new);
            Intent::UpdateArticle { article: a }
        }
        4 | 5 => {
            let mut document = draft_invoice(&customer, i64::try_from(rng.below(10_000)).unwrap_or(1));
            document.kind = *rng.pick(&DocumentKind::ALL);
            if document.kind == DocumentKind::CreditNote {
                document.corrects = pools.document(rng).map(|d| d.0);
            }
            if rng.chance(30) {
                document.id = pools.document(rng).map_or_else(DocumentId::new, |d| d.0);
            }
            if let Some(line) = document.lines.first().cloned() {
                for _ in 0..rng.below(4) {
                    document.lines.push(line.clone());
                }
            }
            Intent::SaveDraft { document }
        }
        6 => Intent::DeleteDraft { id: pools.document(rng).map_or_else(DocumentId::new, |d| d.0) },
        7 | 8 => Intent::IssueDocument { id: pools.document(rng).map_or_else(DocumentId::new, |d| d.0) },
        9 => Intent::AnswerQuote {
            id: pools.document(rng).map_or_else(DocumentId::new, |d| d.0),
            status: *rng.pick(&[DocumentStatus::Accepted, DocumentStatus::Declined, DocumentStatus::Paid]),
        },
        10 => Intent::ConvertQuote {
            quote: pools.document(rng).map_or_else(DocumentId::new, |d| d.0),
            invoice: DocumentId::new(),
            issue_date: today,
        },
        11 | 12 => {
            let mut allocations = Vec::new();
            for _ in 0..rng.below(3) {
                if let Some(d) = pools.document(rng) {
                    allocations.push(Allocation { document_id: d.0, amount: Decimal::from(rng.below(500) + 1) });
                }
            }
            let amount = allocations.iter().map(|a| a.amount).sum::<Decimal>() + Decimal::from(rng.below(3));
            Intent::RecordPayment {
                payment: Payment {
                    id: PaymentId::new(),
                    contact_id: Some(ContactId(pools.contact_id(rng))),
                    date: today,
                    amount: amount.max(Decimal::ONE),
                    method: *rng.pick(&PaymentMethod::ALL),
                    reference: "VIR".into(),
                    allocations,
                },
            }
        }
        13 => Intent::CancelPayment {
            id: pools.payments.get(index(rng, pools.payments.len())).copied().unwrap_or_else(PaymentId::new),
            reason: "Saisi deux fois".into(),
        },
        14 => match &pools.settings {
            Some(settings) => Intent::UpdateCompany { company: settings.company.clone() },
            None => Intent::DeleteContact { id: ContactId(pools.contact_id(rng)) },
        },
        15 => match pools.settings.as_ref().and_then(|s| s.series.get(index(rng, s.series.len()))) {
            Some(series) => Intent::SetNumbering { series: series.clone() },
            None => Intent::DeleteArticle { id: ArticleId::new() },
        },
        _ => match rng.below(3) {
            0 => Intent::DeleteContact { id: ContactId(pools.contact_id(rng)) },
            1 => Intent::DeleteArticle {
                id: pools.articles.get(index(rng, pools.articles.len())).copied().unwrap_or_else(ArticleId::new),
            },
            _ => Intent::RecordSending {
                sending: SendingNote {
                    document: pools.document(rng).map_or_else(DocumentId::new, |d| d.0),
                    to: vec!["client@exemple.fr".into()],
                    cc: Vec::new(),
                    at: today.and_time(chrono::NaiveTime::MIN).and_utc(),
                    message_id: "<fuzz@exemple.fr>".into(),
                    files: vec!["FA-1.pdf".into()],
                },
            },
        },
    };
    serde_json::to_value(intent).unwrap_or(Value::Null)
}

/// One random intent: well formed 2 times out of 5, else with one to three hostile changes.
pub fn intent(rng: &mut Rng, pools: &Pools, today: NaiveDate) -> Value {
    let mut intent = base_intent(rng, pools, today);
    if rng.chance(60) {
        for _ in 0..=rng.below(3) {
            mutate(rng, &mut intent, pools);
        }
    }
    intent
}

/// A pull query as a script might write it: cursors and limits at and past their edges,
/// or not numbers at all.
pub fn pull_query(rng: &mut Rng, last_seq: u64) -> String {
    let after = rng
        .pick(&[
            "0".to_owned(),
            last_seq.to_string(),
            (last_seq + 1).to_string(),
            i64::MAX.to_string(),
            u64::MAX.to_string(),
            "-1".to_owned(),
            "abc".to_owned(),
            String::new(),
        ])
        .clone();
    let limit = rng.pick(&["0", "1", "500", "1000", "1000000", "-5", "x"]);
    let epoch = if rng.chance(30) {
        format!("&epoch={}", rng.pick(&["not-a-uuid", "00000000-0000-0000-0000-000000000000"]))
    } else {
        String::new()
    };
    format!("after={after}&limit={limit}{epoch}")
}
