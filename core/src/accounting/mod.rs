//! Accounting entries: what issued invoices, credit notes and payments stand for in the
//! company's books, with its country's account plan.
//!
//! An entry is derived from its source, never typed: [`entry_of_document`] and
//! [`entry_of_payment`]. Its [`fingerprint`](Entry::fingerprint) is a digest of what the
//! books would record (journal, piece, accounts and amounts). Posting a batch records
//! the entries as they stood; when a posted source later derives a different entry, the
//! posted one is never rewritten: it comes back as a reversal ([`Entry::reversal_of`])
//! plus the new entry, both pending until the next posting.
//!
//! The local copy tracks this in its `ledger` table (`store::ledger`); postings are
//! records of the server's log, made by `POST /v1/companies/{company}/accounting/postings`.

pub mod export;

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::{Country, Document, DocumentKind, Payment};

/// Where an entry is booked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Journal {
    Sales,
    Bank,
}

impl Journal {
    pub const ALL: [Self; 2] = [Self::Sales, Self::Bank];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sales => "sales",
            Self::Bank => "bank",
        }
    }
}

/// What an entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Invoice,
    CreditNote,
    Payment,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
            Self::Payment => "payment",
        }
    }
}

/// The accounts and journals entries are booked on. By default the general chart of the
/// company's country (France: plan comptable général; Belgium: plan comptable minimum
/// normalisé); a company may set its own numbers (Paramètres, kept in its settings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountPlan {
    pub customers: Account,
    pub sales: Account,
    pub vat_collected: Account,
    pub bank: Account,
    /// A journal's code and name.
    pub sales_journal: Account,
    pub bank_journal: Account,
}

/// An account of the plan (or a journal): its number (code) and its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub number: String,
    pub label: String,
}

fn account(number: &str, label: &str) -> Account {
    Account { number: number.to_owned(), label: label.to_owned() }
}

impl AccountPlan {
    pub fn for_country(country: &Country) -> Self {
        if *country == Country::Belgium {
            Self {
                customers: account("400000", "Clients"),
                sales: account("700000", "Ventes et prestations de services"),
                vat_collected: account("451000", "TVA à payer"),
                bank: account("550000", "Établissements de crédit"),
                sales_journal: account("VEN", "Journal des ventes"),
                bank_journal: account("BAN", "Journal financier"),
            }
        } else {
            Self {
                customers: account("411000", "Clients"),
                sales: account("706000", "Prestations de services"),
                vat_collected: account("445710", "TVA collectée"),
                bank: account("512000", "Banque"),
                sales_journal: account("VE", "Journal des ventes"),
                bank_journal: account("BQ", "Journal de banque"),
            }
        }
    }

    /// The journal's code and name.
    pub fn journal(&self, journal: Journal) -> (&str, &str) {
        let account = match journal {
            Journal::Sales => &self.sales_journal,
            Journal::Bank => &self.bank_journal,
        };
        (&account.number, &account.label)
    }

    /// Account numbers of 3 to 20 letters and digits, journal codes of 1 to 6, names of
    /// at most 100 characters, none empty.
    pub fn validate(&self) -> Result<(), crate::model::ModelError> {
        use crate::model::ModelError;
        let accounts = [
            ("customers", &self.customers, 3..=20),
            ("sales", &self.sales, 3..=20),
            ("vat_collected", &self.vat_collected, 3..=20),
            ("bank", &self.bank, 3..=20),
            ("sales_journal", &self.sales_journal, 1..=6),
            ("bank_journal", &self.bank_journal, 1..=6),
        ];
        for (field, account, length) in accounts {
            let number = account.number.trim();
            if !length.contains(&number.chars().count()) || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ModelError::InvalidAccount { field, value: account.number.clone() });
            }
            if account.label.trim().is_empty() {
                return Err(ModelError::Required { field });
            }
            if account.label.chars().count() > 100 {
                return Err(ModelError::TooLong { field, max: 100 });
            }
        }
        Ok(())
    }
}

/// One line of an entry: an amount on the debit or the credit side of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryLine {
    pub account: String,
    pub account_label: String,
    /// The customer's sub-account, on customer account lines.
    pub aux_account: Option<String>,
    pub aux_label: Option<String>,
    pub label: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// A balanced accounting entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    pub source: Uuid,
    pub source_kind: SourceKind,
    /// The digest of the entry its source derived ([`Entry::compute_fingerprint`]); a
    /// reversal carries the fingerprint of the entry it cancels.
    pub fingerprint: String,
    pub reversal: bool,
    pub journal: Journal,
    pub date: NaiveDate,
    /// The document's number, or the payment's reference.
    pub piece_ref: String,
    pub piece_date: NaiveDate,
    pub label: String,
    /// Given when the entry is posted: continuous within its journal.
    pub number: Option<u64>,
    pub lines: Vec<EntryLine>,
}

impl Entry {
    fn new(
        source: Uuid,
        source_kind: SourceKind,
        journal: Journal,
        piece: (&str, NaiveDate),
        label: String,
        lines: Vec<EntryLine>,
    ) -> Self {
        let mut entry = Self {
            source,
            source_kind,
            fingerprint: String::new(),
            reversal: false,
            journal,
            date: piece.1,
            piece_ref: piece.0.to_owned(),
            piece_date: piece.1,
            label,
            number: None,
            lines: lines.into_iter().filter(|l| !l.debit.is_zero() || !l.credit.is_zero()).collect(),
        };
        entry.fingerprint = entry.compute_fingerprint();
        entry
    }

    /// A digest of what the books record: journal, piece, label and every line. The
    /// entry's own date, number and reversal flag are not part of it.
    pub fn compute_fingerprint(&self) -> String {
        let mut text =
            format!("{}\u{1f}{}\u{1f}{}\u{1f}{}", self.journal.as_str(), self.piece_ref, self.piece_date, self.label);
        for line in &self.lines {
            let _ = write!(
                text,
                "\u{1e}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
                line.account,
                line.aux_account.as_deref().unwrap_or_default(),
                line.label,
                line.debit.normalize(),
                line.credit.normalize()
            );
        }
        crate::audit::sha256_hex(text.as_bytes())[..32].to_owned()
    }

    /// The entry's debits added up: an error past ±[`MAX_AMOUNT`](crate::model::MAX_AMOUNT)
    /// (an entry derived from a document or a payment never gets there).
    pub fn total_debit(&self) -> Result<Decimal, crate::model::ModelError> {
        crate::model::sum_amounts(self.lines.iter().map(|l| l.debit))
    }

    pub fn total_credit(&self) -> Result<Decimal, crate::model::ModelError> {
        crate::model::sum_amounts(self.lines.iter().map(|l| l.credit))
    }

    /// Whether the entry can be booked: at most [`MAX_ENTRY_LINES`] lines with one
    /// positive side each, within [`MAX_AMOUNT`](crate::model::MAX_AMOUNT), debits equal
    /// to credits.
    pub fn is_balanced(&self) -> bool {
        let max = crate::model::MAX_AMOUNT;
        !self.lines.is_empty()
            && self.lines.len() <= MAX_ENTRY_LINES
            && self.lines.iter().all(|l| {
                (Decimal::ZERO..=max).contains(&l.debit)
                    && (Decimal::ZERO..=max).contains(&l.credit)
                    && (l.debit.is_zero() != l.credit.is_zero())
            })
            && matches!((self.total_debit(), self.total_credit()), (Ok(debit), Ok(credit)) if debit == credit)
    }

    /// The entry that cancels this posted one, dated `date`: every line on the other side.
    #[must_use]
    pub fn reversal_of(&self, date: NaiveDate) -> Self {
        let mut reversal = self.clone();
        reversal.reversal = true;
        reversal.date = date;
        reversal.number = None;
        reversal.label = format!("Extourne {}", self.label);
        for line in &mut reversal.lines {
            std::mem::swap(&mut line.debit, &mut line.credit);
        }
        reversal
    }
}

/// The most lines one entry may have: a customer line and two per VAT rate, with room.
pub const MAX_ENTRY_LINES: usize = 200;

/// A customer's sub-account: stable, short, and the same on every copy.
pub fn customer_account(contact: Uuid) -> String {
    let hex = contact.simple().to_string().to_uppercase();
    format!("C{}", &hex[hex.len() - 10..])
}

/// An amount on its natural side, or on the other side when it is negative.
fn sided(amount: Decimal, natural_debit: bool) -> (Decimal, Decimal) {
    match (amount >= Decimal::ZERO, natural_debit) {
        (true, true) => (amount, Decimal::ZERO),
        (true, false) => (Decimal::ZERO, amount),
        (false, true) => (Decimal::ZERO, -amount),
        (false, false) => (-amount, Decimal::ZERO),
    }
}

/// The sales-journal entry of an issued invoice or credit note; `None` for other kinds,
/// drafts, and documents still waiting for their number. An error when the document's
/// totals cannot be computed (out of range).
pub fn entry_of_document(document: &Document, plan: &AccountPlan) -> Result<Option<Entry>, crate::model::ModelError> {
    let source_kind = match document.kind {
        DocumentKind::Invoice => SourceKind::Invoice,
        DocumentKind::CreditNote => SourceKind::CreditNote,
        DocumentKind::Quote | DocumentKind::DeliveryNote => return Ok(None),
    };
    let Some(number) = document.number.as_deref().filter(|_| document.status.is_issued()) else { return Ok(None) };
    // An invoice debits the customer and credits sales and VAT; a credit note the reverse.
    let invoice = source_kind == SourceKind::Invoice;
    let totals = document.totals()?;
    let customer = &document.customer.name;
    let label = format!("{} {number} {customer}", if invoice { "Facture" } else { "Avoir" });
    let mut lines = Vec::with_capacity(1 + 2 * totals.breakdown.len());
    let (debit, credit) = sided(totals.gross, invoice);
    lines.push(EntryLine {
        account: plan.customers.number.clone(),
        account_label: plan.customers.label.clone(),
        aux_account: Some(customer_account(document.contact_id.0)),
        aux_label: Some(customer.clone()),
        label: label.clone(),
        debit,
        credit,
    });
    for rate in &totals.breakdown {
        let (debit, credit) = sided(rate.taxable, !invoice);
        lines.push(EntryLine {
            account: plan.sales.number.clone(),
            account_label: plan.sales.label.clone(),
            aux_account: None,
            aux_label: None,
            label: format!("{label} HT {} %", rate.rate.percent().normalize()),
            debit,
            credit,
        });
        let (debit, credit) = sided(rate.vat, !invoice);
        lines.push(EntryLine {
            account: plan.vat_collected.number.clone(),
            account_label: plan.vat_collected.label.clone(),
            aux_account: None,
            aux_label: None,
            label: format!("{label} TVA {} %", rate.rate.percent().normalize()),
            debit,
            credit,
        });
    }
    Ok(Some(Entry::new(document.id.0, source_kind, Journal::Sales, (number, document.issue_date), label, lines)))
}

/// The bank-journal entry of a payment received from `customer` (its contact id and name).
pub fn entry_of_payment(payment: &Payment, customer: Option<(Uuid, &str)>, plan: &AccountPlan) -> Entry {
    let name = customer.map_or("", |(_, name)| name);
    let piece =
        if payment.reference.trim().is_empty() { "REG".to_owned() } else { payment.reference.trim().to_owned() };
    let label = format!("Règlement {name}").trim().to_owned();
    let lines = vec![
        EntryLine {
            account: plan.bank.number.clone(),
            account_label: plan.bank.label.clone(),
            aux_account: None,
            aux_label: None,
            label: label.clone(),
            debit: payment.amount,
            credit: Decimal::ZERO,
        },
        EntryLine {
            account: plan.customers.number.clone(),
            account_label: plan.customers.label.clone(),
            aux_account: customer.map(|(id, _)| customer_account(id)),
            aux_label: customer.map(|(_, name)| name.to_owned()),
            label: label.clone(),
            debit: Decimal::ZERO,
            credit: payment.amount,
        },
    ];
    Entry::new(payment.id.0, SourceKind::Payment, Journal::Bank, (&piece, payment.date), label, lines)
}

/// A batch's totals and digest (which entries, as what, numbered how), taken one entry at
/// a time: what the posting dialog exported must be what gets posted.
#[derive(Clone, Debug, Default)]
pub struct BatchDigest {
    hasher: sha2::Sha256,
    pub entries: usize,
    pub debit: Decimal,
    pub credit: Decimal,
}

impl BatchDigest {
    /// Adds `entry`. Its totals are checked; the batch's own sums only need the decimal
    /// type not to overflow, far beyond any real batch.
    pub fn add(&mut self, entry: &Entry) -> Result<(), crate::model::ModelError> {
        use crate::model::ModelError;
        use sha2::Digest as _;
        let line = format!(
            "{}:{}:{}:{}:{}\n",
            entry.source,
            entry.fingerprint,
            entry.reversal,
            entry.date,
            entry.number.unwrap_or(0)
        );
        self.hasher.update(line.as_bytes());
        self.entries += 1;
        self.debit = self.debit.checked_add(entry.total_debit()?).ok_or(ModelError::AmountOverflow)?;
        self.credit = self.credit.checked_add(entry.total_credit()?).ok_or(ModelError::AmountOverflow)?;
        Ok(())
    }

    /// The digest, as hex.
    pub fn finish(self) -> String {
        use sha2::Digest as _;
        let mut hex = String::with_capacity(64);
        for byte in self.hasher.finalize() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

/// The digest of `entries`, as [`BatchDigest`] takes it.
pub fn batch_digest(entries: &[Entry]) -> Result<String, crate::model::ModelError> {
    let mut digest = BatchDigest::default();
    for entry in entries {
        digest.add(entry)?;
    }
    Ok(digest.finish())
}

/// The next number of each journal, handed out in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextNumbers {
    sales: u64,
    bank: u64,
}

impl NextNumbers {
    /// After `sales` and `bank`, the last numbers posted.
    pub fn after(sales: u64, bank: u64) -> Self {
        Self { sales: sales.saturating_add(1), bank: bank.saturating_add(1) }
    }

    /// Numbers `entry` with its journal's next number.
    pub fn number(&mut self, entry: &mut Entry) {
        let next = match entry.journal {
            Journal::Sales => &mut self.sales,
            Journal::Bank => &mut self.bank,
        };
        entry.number = Some(*next);
        *next = next.saturating_add(1);
    }
}

/// A posted batch of entries, as the server keeps it (a record of kind `posting`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Posting {
    pub id: Uuid,
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub posted_at: DateTime<Utc>,
    pub posted_by: String,
    pub entries: Vec<Entry>,
    /// Set when a posting is kept as several records (one would be too large for a pull
    /// page): which of them this one is. Each record is applied on its own; the server
    /// wrote them all in one transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<PostingGroup>,
}

/// One record of a posting kept as several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostingGroup {
    /// The posting's id, which is also its first record's.
    pub posting: Uuid,
    /// This record's place in the posting, from 1.
    pub record: u32,
    pub records: u32,
    /// The entries of the whole posting.
    pub entries: usize,
}

/// `POST /v1/companies/{company}/accounting/postings`: marks these entries posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostBatch {
    /// Chosen by the client: sending the same batch again is answered with the posting
    /// already made.
    pub id: Uuid,
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub entries: Vec<Entry>,
}

/// `PUT /v1/companies/{company}/accounting/postings/{posting}/parts/{part}`: one part of
/// a posting too large for one request. Parts are staged on the server, outside the
/// company's log, and posted together by [`PostingCommit`]: the whole period or none of
/// it. Each journal's numbers go on from one part to the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostingPart {
    /// The posting's period: the same in every part.
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub entries: Vec<Entry>,
}

impl PostingPart {
    /// The part as a batch of the posting `id`, to check as one ([`PostBatch::validate`]).
    pub fn batch(self, id: Uuid) -> PostBatch {
        PostBatch { id, from: self.from, to: self.to, entries: self.entries }
    }
}

/// What staging a part made.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartReceipt {
    pub posting: Uuid,
    pub part: u32,
    pub entries: usize,
    /// The posting was committed already (the part came again): nothing was staged.
    pub posted: bool,
}

/// `POST /v1/companies/{company}/accounting/postings/{posting}/commit`: posts the parts
/// staged, `1..=parts`, in one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostingCommit {
    pub parts: u32,
}

/// The most parts one posting may be sent in.
pub const MAX_POSTING_PARTS: u32 = 10_000;

/// What a posting made.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostingReceipt {
    pub id: Uuid,
    pub entries: usize,
    pub posted_at: DateTime<Utc>,
}

/// The highest number an entry may have in its journal (they fit SQLite's integers).
pub const MAX_ENTRY_NUMBER: u64 = i64::MAX.unsigned_abs();

/// The most entries one batch may post.
pub const MAX_BATCH: usize = 5_000;

/// Why a batch cannot be posted as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("There is nothing to post in this period.")]
    Empty,
    #[error("A batch posts at most {MAX_BATCH} entries ({0} here): choose a shorter period.")]
    TooLarge(usize),
    #[error("The entry {0} is not balanced: its debits must equal its credits.")]
    Unbalanced(String),
    #[error("The entries of a batch must be numbered in order within each journal.")]
    Numbering,
    #[error("The period ends before it starts.")]
    Period,
}

impl BatchError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "batch_empty",
            Self::TooLarge(_) => "batch_too_large",
            Self::Unbalanced(_) => "entry_unbalanced",
            Self::Numbering => "entry_numbering",
            Self::Period => "period_reversed",
        }
    }
}

impl PostBatch {
    /// The batch as the server keeps it once posted: one record.
    pub fn posting(&self, posted_at: DateTime<Utc>, posted_by: &str) -> Posting {
        Posting {
            id: self.id,
            from: self.from,
            to: self.to,
            posted_at,
            posted_by: posted_by.to_owned(),
            entries: self.entries.clone(),
            group: None,
        }
    }

    /// The checks the server makes before posting (the app makes them first).
    pub fn validate(&self) -> Result<(), BatchError> {
        if self.entries.is_empty() {
            return Err(BatchError::Empty);
        }
        if self.entries.len() > MAX_BATCH {
            return Err(BatchError::TooLarge(self.entries.len()));
        }
        if self.from.is_some_and(|from| from > self.to) {
            return Err(BatchError::Period);
        }
        let mut last = std::collections::BTreeMap::new();
        for entry in &self.entries {
            if !entry.is_balanced() {
                return Err(BatchError::Unbalanced(entry.piece_ref.clone()));
            }
            let number = entry.number.filter(|n| (1..=MAX_ENTRY_NUMBER).contains(n)).ok_or(BatchError::Numbering)?;
            if last.insert(entry.journal, number).is_some_and(|previous| previous.checked_add(1) != Some(number)) {
                return Err(BatchError::Numbering);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
