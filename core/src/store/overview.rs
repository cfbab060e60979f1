//! What the screens read besides the document lists: the dashboard's figures, the
//! contact, article and payment lists, a record's history from the audit trail.

use chrono::{Datelike as _, Days, Months, NaiveDate};
use rusqlite::{Connection, OptionalExtension as _, params};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::company::{ARTICLE_COLUMNS, article_from_row, corrupt, parse_date};
use super::{CompanyStore, StoreError};
use crate::audit::{AuditRecord, FieldChange};
use crate::model::{Article, ArticleId, CompanyId, ContactId, PaymentId, PaymentMethod, UserId, from_cents};

/// The figures a business owner looks at first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// Issued invoices not fully paid: how many, and what remains due (gross − paid).
    pub unpaid_count: u64,
    pub unpaid_total: Decimal,
    /// Of those, the ones past their due date.
    pub overdue_count: u64,
    pub overdue_total: Decimal,
    /// Invoices issued this calendar month, without VAT.
    pub month_count: u64,
    pub month_sales: Decimal,
    /// Drafts waiting to be issued, of every kind.
    pub drafts: u64,
    /// Edits made here that the server has not confirmed yet.
    pub pending_edits: u64,
}

/// How late the amount still due on an issued invoice is, by days past its due date.
/// An invoice without a due date is never due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgeBucket {
    NotDue,
    Days1To30,
    Days31To60,
    Days61To90,
    Over90,
}

impl AgeBucket {
    pub const ALL: [Self; 5] = [Self::NotDue, Self::Days1To30, Self::Days31To60, Self::Days61To90, Self::Over90];

    /// The due dates of this bucket on `today`, both ends included (`None`: open). A
    /// document without a due date falls in the bucket whose range is open after.
    pub fn due_range(self, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let ago = |days: u64| today.checked_sub_days(Days::new(days));
        match self {
            Self::NotDue => (Some(today), None),
            Self::Days1To30 => (ago(30), ago(1)),
            Self::Days31To60 => (ago(60), ago(31)),
            Self::Days61To90 => (ago(90), ago(61)),
            Self::Over90 => (None, ago(91)),
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|b| *b == self).unwrap_or(0)
    }
}

/// Sales of one calendar month: issued invoices minus credit notes, without VAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthSales {
    /// The month's first day.
    pub month: NaiveDate,
    pub net: Decimal,
    /// Invoices issued that month (credit notes not counted).
    pub invoices: u64,
}

/// What remains due on issued invoices of one age.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgedReceivables {
    pub bucket: AgeBucket,
    pub invoices: u64,
    pub due: Decimal,
}

/// A customer and what it still owes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerDue {
    pub contact_id: ContactId,
    pub name: String,
    pub invoices: u64,
    pub due: Decimal,
}

/// The dashboard's charts: the last twelve months of sales, receivables by age, and
/// the customers who owe the most.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DashboardCharts {
    /// Twelve months, oldest first, the current month last; months without sales at 0.
    pub months: Vec<MonthSales>,
    /// One per [`AgeBucket`], in [`AgeBucket::ALL`]'s order.
    pub ages: Vec<AgedReceivables>,
    /// At most [`TOP_CUSTOMERS`], the largest amount due first.
    pub top_customers: Vec<CustomerDue>,
}

/// How many customers the dashboard lists by amount due.
pub const TOP_CUSTOMERS: u32 = 5;

/// One line of the payment list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: PaymentId,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub method: PaymentMethod,
    pub reference: String,
    pub contact_id: Option<ContactId>,
    /// The payer's name, when the payment names a contact.
    pub contact_name: Option<String>,
    /// The numbers of the documents it pays, comma-separated.
    pub documents: String,
}

impl super::WriteTx<'_> {
    /// Keeps an audit record as the server sent it (imports and benchmarks; a pull
    /// writes them as it goes).
    pub fn insert_audit_record(&self, record: &AuditRecord) -> Result<(), StoreError> {
        write_audit_record(self.connection(), record)
    }
}

/// The amounts still due on issued invoices on `today`, by age, and the
/// [`TOP_CUSTOMERS`] customers who owe the most, from one walk of the unpaid invoices,
/// summed here. Grouped by SQLite (a query each), the ages sorted every unpaid invoice
/// through its sorter, and the customers walked them in the contacts' index, each row
/// read from the table at random: 7 s and 16 MiB of sorter and cache on the `ui`
/// benchmark's company (a million invoices, nine in ten unpaid). Here: one pass, and a
/// map of the customers who owe something.
fn receivables(conn: &Connection, today: NaiveDate) -> Result<(Vec<AgedReceivables>, Vec<CustomerDue>), StoreError> {
    // Each bucket's lower bound, as in `AgeBucket::due_range`, in the column's ISO form
    // (compared as text, as SQLite compares them): the first bound a due date reaches
    // is its bucket; past the last, it is over 90 days late.
    let bounds: Vec<(AgeBucket, String)> = AgeBucket::ALL
        .iter()
        .filter_map(|&bucket| bucket.due_range(today).0.map(|from| (bucket, from.to_string())))
        .collect();
    // Counts and sums in i128: no sum of i64 amounts over any number of rows overflows it.
    let mut by_age = [(0_u64, 0_i128); AgeBucket::ALL.len()];
    let mut by_customer: std::collections::HashMap<Uuid, (u64, i128)> = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT due_date, gross_cents, paid_cents, contact_id FROM documents
         WHERE kind = 'invoice' AND status IN ('issued', 'partially_paid')",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let due_date = row.get_ref(0)?.as_str_or_null().map_err(|e| corrupt("documents.due_date", "", &e))?;
        let due = i128::from(row.get::<_, i64>(1)?) - i128::from(row.get::<_, i64>(2)?);
        let bucket = match due_date {
            None => AgeBucket::NotDue,
            Some(date) => bounds.iter().find(|(_, from)| date >= from.as_str()).map_or(AgeBucket::Over90, |b| b.0),
        };
        let aged = &mut by_age[bucket.index()];
        *aged = (aged.0 + 1, aged.1 + due);
        if let Some(contact) = row.get::<_, Option<Uuid>>(3)? {
            let owed = by_customer.entry(contact).or_default();
            *owed = (owed.0 + 1, owed.1 + due);
        }
    }
    let ages = AgeBucket::ALL
        .iter()
        .zip(by_age)
        .map(|(&bucket, (invoices, due))| Ok(AgedReceivables { bucket, invoices, due: cents_sum(due)? }))
        .collect::<Result<_, StoreError>>()?;

    // The most owed first; among equal amounts, by name. Names are read for the
    // customers down to the last amount that can still place.
    let mut owing: Vec<(Uuid, u64, i128)> = by_customer.into_iter().map(|(id, (n, due))| (id, n, due)).collect();
    owing.sort_unstable_by_key(|&(_, _, due)| std::cmp::Reverse(due));
    let mut name_of = conn.prepare_cached("SELECT name, name_key FROM contacts WHERE id = ?1")?;
    let top = usize::try_from(TOP_CUSTOMERS).unwrap_or(usize::MAX);
    let mut placed: Vec<(i128, String, Uuid, String, u64)> = Vec::new();
    for (id, invoices, due) in owing {
        if placed.get(top.saturating_sub(1)).is_some_and(|last| due < last.0) {
            break;
        }
        // An invoice whose customer is not in the copy counts in its age, not here.
        if let Some((name, key)) =
            name_of.query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).optional()?
        {
            placed.push((due, key, id, name, invoices));
        }
    }
    placed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.cmp(&b.2)));
    placed.truncate(top);
    let customers = placed
        .into_iter()
        .map(|(due, _, id, name, invoices)| {
            Ok(CustomerDue { contact_id: ContactId(id), name, invoices, due: cents_sum(due)? })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((ages, customers))
}

/// A sum of cents as an amount, or why it cannot be one.
fn cents_sum(cents: i128) -> Result<Decimal, StoreError> {
    Decimal::try_from_i128_with_scale(cents, 2).map_err(|e| corrupt("documents.gross_cents", &cents.to_string(), &e))
}

impl CompanyStore {
    /// The dashboard's figures on `today`.
    pub fn dashboard(&self, today: NaiveDate) -> Result<Dashboard, StoreError> {
        let conn = self.connection();
        let (unpaid_count, unpaid_cents, overdue_count, overdue_cents): (i64, i64, i64, i64) = conn
            .prepare_cached(
                "SELECT count(*), ifnull(sum(gross_cents - paid_cents), 0),
                        ifnull(sum(due_date < ?1), 0),
                        ifnull(sum(CASE WHEN due_date < ?1 THEN gross_cents - paid_cents ELSE 0 END), 0)
                 FROM documents WHERE kind = 'invoice' AND status IN ('issued', 'partially_paid')",
            )?
            .query_row([today.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let first = today.with_day(1).unwrap_or(today);
        let (month_count, month_cents): (i64, i64) = conn
            .prepare_cached(
                "SELECT count(*), ifnull(sum(net_cents), 0) FROM documents
                 WHERE kind = 'invoice' AND issue_date BETWEEN ?1 AND ?2 AND status <> 'draft'",
            )?
            .query_row([first.to_string(), today.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let drafts: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM documents WHERE kind IN ('quote', 'invoice', 'credit_note', 'delivery_note')
                 AND status = 'draft'",
            )?
            .query_row([], |r| r.get(0))?;
        let pending_edits: i64 =
            conn.prepare_cached("SELECT count(*) FROM outbox WHERE state = 'pending'")?.query_row([], |r| r.get(0))?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(Dashboard {
            unpaid_count: count(unpaid_count),
            unpaid_total: from_cents(unpaid_cents),
            overdue_count: count(overdue_count),
            overdue_total: from_cents(overdue_cents),
            month_count: count(month_count),
            month_sales: from_cents(month_cents),
            drafts: count(drafts),
            pending_edits: count(pending_edits),
        })
    }

    /// The dashboard's charts on `today` (see [`DashboardCharts`]): the months from a
    /// grouped query over twelve months of invoices and credit notes (`documents_by_date`),
    /// the ages and the customers from one walk of the unpaid invoices ([`receivables`]).
    pub fn dashboard_charts(&self, today: NaiveDate) -> Result<DashboardCharts, StoreError> {
        let conn = self.connection();
        let this_month = today.with_day(1).unwrap_or(today);
        let first = this_month.checked_sub_months(Months::new(11)).unwrap_or(this_month);
        let last = this_month.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(today);
        let mut months: Vec<MonthSales> = (0..12)
            .filter_map(|i| first.checked_add_months(Months::new(i)))
            .map(|month| MonthSales { month, net: Decimal::ZERO, invoices: 0 })
            .collect();
        let mut stmt = conn.prepare_cached(
            "SELECT substr(issue_date, 1, 7) || '-01',
                    sum(CASE kind WHEN 'invoice' THEN net_cents ELSE -net_cents END), sum(kind = 'invoice')
             FROM documents
             WHERE kind IN ('invoice', 'credit_note') AND issue_date BETWEEN ?1 AND ?2 AND status <> 'draft'
             GROUP BY 1",
        )?;
        let rows = stmt.query_map([first.to_string(), last.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (month, cents, invoices) = row?;
            let month = parse_date("documents.issue_date", &month)?;
            if let Some(sales) = months.iter_mut().find(|m| m.month == month) {
                sales.net = from_cents(cents);
                sales.invoices = u64::try_from(invoices).unwrap_or(0);
            }
        }

        let (ages, top_customers) = receivables(conn, today)?;
        Ok(DashboardCharts { months, ages, top_customers })
    }

    pub fn count_contacts(&self, include_archived: bool) -> Result<u64, StoreError> {
        count(self.connection(), "SELECT count(*) FROM contacts WHERE archived IN (0, ?1)", include_archived)
    }

    /// Articles by code, a page at a time.
    pub fn list_articles(&self, include_archived: bool, offset: u64, limit: u32) -> Result<Vec<Article>, StoreError> {
        let sql = format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles WHERE archived IN (0, ?1) ORDER BY archived, code, rid
             LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.connection().prepare_cached(&sql)?;
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![include_archived, limit, offset], |row| Ok(article_from_row(row)))?;
        rows.map(|r| r?).collect()
    }

    /// The page of articles that follows article `after` in [`Self::list_articles`]'s
    /// order, read from the sort index (migration 0016) where `after` is.
    pub fn list_articles_after(
        &self,
        include_archived: bool,
        after: ArticleId,
        limit: u32,
    ) -> Result<Vec<Article>, StoreError> {
        let sql = format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles WHERE archived IN (0, ?1)
               AND (archived, code, rid) > (SELECT archived, code, rid FROM articles WHERE id = ?2)
             ORDER BY archived, code, rid LIMIT ?3"
        );
        let mut stmt = self.connection().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![include_archived, after.0, limit], |row| Ok(article_from_row(row)))?;
        rows.map(|r| r?).collect()
    }

    pub fn count_articles(&self, include_archived: bool) -> Result<u64, StoreError> {
        count(self.connection(), "SELECT count(*) FROM articles WHERE archived IN (0, ?1)", include_archived)
    }

    /// Payments, newest first, a page at a time: from row `offset`, or (faster, from the
    /// sort index) after payment `after`.
    pub fn list_payments(&self, offset: u64, limit: u32) -> Result<Vec<PaymentRow>, StoreError> {
        self.payments_page(None, offset, limit)
    }

    /// The page of payments that follows payment `after` in [`Self::list_payments`]'s order.
    pub fn list_payments_after(&self, after: PaymentId, limit: u32) -> Result<Vec<PaymentRow>, StoreError> {
        self.payments_page(Some(after), 0, limit)
    }

    fn payments_page(&self, after: Option<PaymentId>, offset: u64, limit: u32) -> Result<Vec<PaymentRow>, StoreError> {
        // Two statements rather than one with "?3 IS NULL OR …", which the planner could
        // not serve from the index.
        let after_clause =
            if after.is_some() { "WHERE (p.date, p.rid) < (SELECT date, rid FROM payments WHERE id = ?3)" } else { "" };
        let mut stmt = self.connection().prepare_cached(&format!(
            "SELECT p.id, p.date, p.amount_cents, p.method, p.reference, p.contact_id, c.name,
                    (SELECT group_concat(ifnull(d.number, '…'), ', ') FROM payment_allocations a
                     JOIN documents d ON d.id = a.document_id WHERE a.payment_id = p.id)
             FROM payments p LEFT JOIN contacts c ON c.id = p.contact_id {after_clause}
             ORDER BY p.date DESC, p.rid DESC LIMIT ?1 OFFSET ?2"
        ))?;
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let after = after.map(|a| a.0);
        let params: Vec<&dyn rusqlite::ToSql> = match &after {
            Some(id) => vec![&limit, &offset, id],
            None => vec![&limit, &offset],
        };
        let rows = stmt.query_map(params.as_slice(), |r| {
            let date: String = r.get(1)?;
            let method: String = r.get(3)?;
            Ok((|| {
                Ok(PaymentRow {
                    id: PaymentId(r.get(0)?),
                    date: parse_date("payments.date", &date)?,
                    amount: from_cents(r.get(2)?),
                    method: PaymentMethod::parse(&method).map_err(|e| corrupt("payments.method", &method, &e))?,
                    reference: r.get(4)?,
                    contact_id: r.get::<_, Option<Uuid>>(5)?.map(ContactId),
                    contact_name: r.get(6)?,
                    documents: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
                })
            })())
        })?;
        rows.map(|r| r?).collect()
    }

    pub fn count_payments(&self) -> Result<u64, StoreError> {
        let n: i64 = self.connection().prepare_cached("SELECT count(*) FROM payments")?.query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A record's history, oldest first: every audit record about `entity_id`.
    pub fn history(&self, entity_id: Uuid) -> Result<Vec<AuditRecord>, StoreError> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT seq, at, user_id, user_email, action, entity, entity_id, changes, prev_hash, hash
             FROM audit_trail WHERE entity_id = ?1 ORDER BY seq",
        )?;
        let company = self.company_id();
        let rows = stmt.query_map([entity_id], |r| Ok(audit_from_row(r, company)))?;
        rows.map(|r| r?).collect()
    }

    /// How many audit records this copy holds.
    pub fn audit_len(&self) -> Result<u64, StoreError> {
        let n: i64 = self.connection().query_row("SELECT count(*) FROM audit_trail", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn count(conn: &Connection, sql: &str, include_archived: bool) -> Result<u64, StoreError> {
    let n: i64 = conn.prepare_cached(sql)?.query_row([include_archived], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Keeps one of the server's audit records (a record already here is left as it is:
/// the trail only grows).
pub(crate) fn write_audit_record(conn: &Connection, record: &AuditRecord) -> Result<(), StoreError> {
    let seq =
        i64::try_from(record.seq).map_err(|_| corrupt("audit_trail.seq", &record.seq.to_string(), &"too large"))?;
    let changes = serde_json::to_string(&record.changes)
        .map_err(|e| corrupt("audit_trail.changes", &record.seq.to_string(), &e))?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO audit_trail
           (seq, at, user_id, user_email, action, entity, entity_id, changes, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        seq,
        record.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        record.user_id.map(|u| u.0),
        record.user_email,
        record.action,
        record.entity,
        record.entity_id,
        changes,
        record.prev_hash,
        record.hash,
    ])?;
    Ok(())
}

pub(super) fn audit_from_row(r: &rusqlite::Row<'_>, company_id: CompanyId) -> Result<AuditRecord, StoreError> {
    let at: String = r.get(1)?;
    let changes: String = r.get(7)?;
    Ok(AuditRecord {
        seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        company_id,
        at: chrono::DateTime::parse_from_rfc3339(&at)
            .map_err(|e| corrupt("audit_trail.at", &at, &e))?
            .with_timezone(&chrono::Utc),
        user_id: r.get::<_, Option<Uuid>>(2)?.map(UserId),
        user_email: r.get(3)?,
        action: r.get(4)?,
        entity: r.get(5)?,
        entity_id: r.get(6)?,
        changes: serde_json::from_str::<Vec<FieldChange>>(&changes)
            .map_err(|e| corrupt("audit_trail.changes", &changes, &e))?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}
