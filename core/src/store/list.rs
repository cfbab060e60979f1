//! Paged document lists for the list screens.
//!
//! A screen shows one page at a time and asks for exactly those rows. Each sort order
//! has an index that ends with the row id, so that:
//!
//! - [`PageRequest::First`], [`PageRequest::Last`], [`PageRequest::After`] and
//!   [`PageRequest::Before`] (keyset paging) cost a B-tree descent and the page, whatever
//!   the size of the table;
//! - [`PageRequest::Offset`] (a jump to row N, for a scroll bar) walks N index entries
//!   but never the table, and never sorts.

#![allow(clippy::format_push_string, reason = "a query's SQL is built once per page; plain format! reads best")]

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use uuid::Uuid;

use super::StoreError;
use super::company::{corrupt, parse_date};
use crate::model::{ContactId, Currency, DocumentId, DocumentKind, DocumentStatus, from_cents};

/// The sort orders of document lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentSort {
    /// By issue date (then creation order).
    Date,
    /// By number; drafts, which have none yet, come first.
    Number,
    /// By customer name (case and accents folded), then date.
    Customer,
}

impl DocumentSort {
    fn key_columns(self) -> &'static [&'static str] {
        match self {
            Self::Date => &["issue_date"],
            Self::Number => &["number_key"],
            Self::Customer => &["customer_key", "issue_date"],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl SortDirection {
    fn reversed(self) -> Self {
        match self {
            Self::Ascending => Self::Descending,
            Self::Descending => Self::Ascending,
        }
    }

    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Ascending => ("ASC", ">"),
            Self::Descending => ("DESC", "<"),
        }
    }
}

/// Which documents a list shows. The kind is required: every list is of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentFilter {
    pub kind: DocumentKind,
    /// Empty: every status.
    pub statuses: Vec<DocumentStatus>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub contact: Option<ContactId>,
    /// Due on or after this day. A document without a due date is never due: it passes
    /// this bound and fails [`Self::due_to`] (as in the dashboard's receivables by age).
    pub due_from: Option<NaiveDate>,
    /// Due on or before this day.
    pub due_to: Option<NaiveDate>,
}

impl DocumentFilter {
    pub fn kind(kind: DocumentKind) -> Self {
        Self { kind, statuses: Vec::new(), from: None, to: None, contact: None, due_from: None, due_to: None }
    }
}

/// A position in a sorted list: the sort key of a row and its id.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    keys: Vec<Value>,
    rid: i64,
}

/// Which page to read.
#[derive(Clone, Debug, PartialEq)]
pub enum PageRequest {
    First,
    Last,
    /// The page that follows this row.
    After(Cursor),
    /// The page that precedes this row.
    Before(Cursor),
    /// The page starting at row N (0-based).
    Offset(u64),
    /// The page starting N rows after this row: with [`bookmarks`](super::CompanyStore::list_bookmarks)
    /// every few thousand rows, a jump anywhere walks at most that many index entries.
    AfterSkipping(Cursor, u64),
}

/// A page of rows, in the list's order.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Whether rows remain beyond this page in the direction it was read
    /// (after it for `First`, `After` and `Offset`; before it for `Last` and `Before`).
    pub more: bool,
}

/// One line of a document list.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub status: DocumentStatus,
    pub number: Option<String>,
    pub customer_name: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub gross: rust_decimal::Decimal,
    pub paid: rust_decimal::Decimal,
    pub currency: Currency,
    /// Where this row stands, to ask for the page after or before it.
    pub cursor: Cursor,
}

const ROW_COLUMNS: &str =
    "rid, id, kind, status, number, customer_name, issue_date, due_date, gross_cents, paid_cents, currency";

/// The SQL and parameters of a list query (shared with [`explain`] so the test of the
/// query plan checks the very query the screens run).
fn build_query(
    filter: &DocumentFilter,
    sort: DocumentSort,
    direction: SortDirection,
    request: &PageRequest,
    limit: u32,
) -> (String, Vec<Value>, bool) {
    let keys = sort.key_columns();
    let reverse = matches!(request, PageRequest::Last | PageRequest::Before(_));
    let direction = if reverse { direction.reversed() } else { direction };
    let (order, compare) = direction.sql();

    let mut sql = format!("SELECT {ROW_COLUMNS}, {} FROM documents WHERE kind = ?", keys.join(", "));
    let mut values = vec![Value::Text(filter.kind.as_str().to_owned())];
    append_filters(filter, "", &mut sql, &mut values);
    if let PageRequest::After(cursor) | PageRequest::Before(cursor) | PageRequest::AfterSkipping(cursor, _) = request {
        let placeholders = vec!["?"; keys.len() + 1].join(", ");
        sql.push_str(&format!(" AND ({}, rid) {compare} ({placeholders})", keys.join(", ")));
        values.extend(cursor.keys.iter().cloned());
        values.push(Value::Integer(cursor.rid));
    }
    let order_by: Vec<String> = keys.iter().chain(&["rid"]).map(|k| format!("{k} {order}")).collect();
    sql.push_str(&format!(" ORDER BY {} LIMIT ?", order_by.join(", ")));
    values.push(Value::Integer(i64::from(limit) + 1));
    if let PageRequest::Offset(offset) | PageRequest::AfterSkipping(_, offset) = request {
        sql.push_str(" OFFSET ?");
        values.push(Value::Integer(i64::try_from(*offset).unwrap_or(i64::MAX)));
    }
    (sql, values, reverse)
}

/// Appends the filter's conditions past the kind; `table` prefixes the columns (`d.` in a
/// join, empty otherwise).
fn append_filters(filter: &DocumentFilter, table: &str, sql: &mut String, values: &mut Vec<Value>) {
    if !filter.statuses.is_empty() {
        let placeholders = vec!["?"; filter.statuses.len()].join(", ");
        sql.push_str(&format!(" AND {table}status IN ({placeholders})"));
        values.extend(filter.statuses.iter().map(|s| Value::Text(s.as_str().to_owned())));
    }
    if let Some(from) = filter.from {
        sql.push_str(&format!(" AND {table}issue_date >= ?"));
        values.push(Value::Text(from.to_string()));
    }
    if let Some(to) = filter.to {
        sql.push_str(&format!(" AND {table}issue_date <= ?"));
        values.push(Value::Text(to.to_string()));
    }
    if let Some(contact) = filter.contact {
        sql.push_str(&format!(" AND {table}contact_id = ?"));
        values.push(Value::Blob(contact.0.as_bytes().to_vec()));
    }
    if let Some(from) = filter.due_from {
        sql.push_str(&format!(" AND ({table}due_date >= ? OR {table}due_date IS NULL)"));
        values.push(Value::Text(from.to_string()));
    }
    if let Some(to) = filter.due_to {
        sql.push_str(&format!(" AND {table}due_date <= ?"));
        values.push(Value::Text(to.to_string()));
    }
}

pub(crate) fn list_documents(
    conn: &Connection,
    filter: &DocumentFilter,
    sort: DocumentSort,
    direction: SortDirection,
    request: &PageRequest,
    limit: u32,
) -> Result<Page<DocumentRow>, StoreError> {
    let (sql, values, reverse) = build_query(filter, sort, direction, request, limit);
    let key_count = sort.key_columns().len();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt
        .query_map(params_from_iter(values), |row| Ok(row_from_sql(row, key_count)))?
        .collect::<Result<Result<Vec<_>, _>, _>>()??;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if reverse {
        rows.reverse();
    }
    Ok(Page { rows, more })
}

/// `EXPLAIN QUERY PLAN` of the query [`list_documents`] would run, one line per step.
pub(crate) fn explain(
    conn: &Connection,
    filter: &DocumentFilter,
    sort: DocumentSort,
    direction: SortDirection,
    request: &PageRequest,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    let (sql, values, _) = build_query(filter, sort, direction, request, limit);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(params_from_iter(values), |row| row.get::<_, String>(3))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count_documents(conn: &Connection, filter: &DocumentFilter) -> Result<u64, StoreError> {
    let mut sql = String::from("SELECT count(*) FROM documents WHERE kind = ?");
    let mut values = vec![Value::Text(filter.kind.as_str().to_owned())];
    append_filters(filter, "", &mut sql, &mut values);
    let count: i64 = conn.prepare_cached(&sql)?.query_row(params_from_iter(values), |r| r.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

fn row_from_sql(row: &Row<'_>, key_count: usize) -> Result<DocumentRow, StoreError> {
    let kind: String = row.get(2)?;
    let status: String = row.get(3)?;
    let issue_date: String = row.get(6)?;
    let currency: String = row.get(10)?;
    let keys = (0..key_count).map(|i| row.get::<_, Value>(11 + i)).collect::<Result<Vec<_>, _>>()?;
    Ok(DocumentRow {
        cursor: Cursor { keys, rid: row.get(0)? },
        id: DocumentId(row.get::<_, Uuid>(1)?),
        kind: DocumentKind::parse(&kind).map_err(|e| corrupt("documents.kind", &kind, &e))?,
        status: DocumentStatus::parse(&status).map_err(|e| corrupt("documents.status", &status, &e))?,
        number: row.get(4)?,
        customer_name: row.get(5)?,
        issue_date: parse_date("documents.issue_date", &issue_date)?,
        due_date: row.get::<_, Option<String>>(7)?.map(|d| parse_date("documents.due_date", &d)).transpose()?,
        gross: from_cents(row.get(8)?),
        paid: from_cents(row.get(9)?),
        currency: Currency::parse(&currency).map_err(|e| corrupt("documents.currency", &currency, &e))?,
    })
}

/// Documents of the filter's kind (and statuses and period) whose number, customer or
/// notes match what the user typed (see [`super::search::fts_query`]), newest first, at
/// most `limit`.
pub(crate) fn search_documents(
    conn: &Connection,
    filter: &DocumentFilter,
    input: &str,
    limit: u32,
) -> Result<Vec<DocumentRow>, StoreError> {
    let Some(query) = super::search::fts_query(input) else {
        return Ok(Vec::new());
    };
    // A document number typed whole or in part (`FA-2026-0004`): its index answers in a
    // B-tree descent, where the full-text index would intersect every "FA" and "2026".
    let typed = input.trim();
    if !typed.contains(char::is_whitespace) && typed.contains(|c: char| c.is_ascii_digit()) {
        let rows = documents_numbered(conn, filter, typed, limit)?;
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    let columns: Vec<String> = ROW_COLUMNS.split(", ").map(|c| format!("d.{c}")).collect();
    let mut sql = format!(
        "SELECT {}, d.issue_date FROM documents_fts JOIN documents d ON d.rid = documents_fts.rowid
         WHERE documents_fts MATCH ? AND d.kind = ?",
        columns.join(", ")
    );
    let mut values = vec![Value::Text(query), Value::Text(filter.kind.as_str().to_owned())];
    append_filters(filter, "d.", &mut sql, &mut values);
    sql.push_str(" ORDER BY documents_fts.rowid DESC LIMIT ?");
    values.push(Value::Integer(i64::from(limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(params_from_iter(values), |row| Ok(row_from_sql(row, 1)))?.map(|r| r?).collect()
}

/// Documents of the filter whose number starts with `prefix` (case as stored), by number.
fn documents_numbered(
    conn: &Connection,
    filter: &DocumentFilter,
    prefix: &str,
    limit: u32,
) -> Result<Vec<DocumentRow>, StoreError> {
    let mut sql = format!(
        "SELECT {ROW_COLUMNS}, issue_date FROM documents
         WHERE kind = ? AND number >= ? AND number < ? || char(1114111)"
    );
    let mut values = vec![
        Value::Text(filter.kind.as_str().to_owned()),
        Value::Text(prefix.to_owned()),
        Value::Text(prefix.to_owned()),
    ];
    append_filters(filter, "", &mut sql, &mut values);
    sql.push_str(" ORDER BY number LIMIT ?");
    values.push(Value::Integer(i64::from(limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(params_from_iter(values), |row| Ok(row_from_sql(row, 1)))?.map(|r| r?).collect()
}

/// The cursor of every `every`-th row of a list (rows `every - 1`, `2 × every - 1` …), in
/// one walk of its index: row N is then `AfterSkipping(bookmarks[N / every - 1], N % every)`.
pub(crate) fn list_bookmarks(
    conn: &Connection,
    filter: &DocumentFilter,
    sort: DocumentSort,
    direction: SortDirection,
    every: u64,
) -> Result<Vec<Cursor>, StoreError> {
    let keys = sort.key_columns();
    let (order, _) = direction.sql();
    let mut sql = format!("SELECT rid, {} FROM documents WHERE kind = ?", keys.join(", "));
    let mut values = vec![Value::Text(filter.kind.as_str().to_owned())];
    append_filters(filter, "", &mut sql, &mut values);
    let order_by: Vec<String> = keys.iter().chain(&["rid"]).map(|k| format!("{k} {order}")).collect();
    sql.push_str(&format!(" ORDER BY {}", order_by.join(", ")));
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    let mut bookmarks = Vec::new();
    let mut index: u64 = 0;
    let every = every.max(1);
    while let Some(row) = rows.next()? {
        index += 1;
        if index.is_multiple_of(every) {
            let keys = (0..keys.len()).map(|i| row.get::<_, Value>(1 + i)).collect::<Result<Vec<_>, _>>()?;
            bookmarks.push(Cursor { keys, rid: row.get(0)? });
        }
    }
    Ok(bookmarks)
}
