//! The read queries of an open company file.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::rows::{
    ARTICLE_COLUMNS, COMPANY_COLUMNS, CONTACT_COLUMNS, article_from_row, company_from_row, contact_from_row, corrupt,
    parse_date, read_document, read_logo, read_payment, read_series,
};
use super::{CompanyStore, TableStats};
use crate::model::{
    Article, ArticleId, Company, Contact, ContactId, Document, DocumentId, DocumentKind, Logo, NumberingSeries,
    Payment, PaymentId, Role, UserId, from_cents,
};
use crate::store::StoreError;
use crate::store::list::{self, DocumentFilter, DocumentRow, DocumentSort, Page, PageRequest, SortDirection};
use crate::store::search::{self, SearchHit};

impl CompanyStore {
    pub fn company(&self) -> Result<Company, StoreError> {
        self.conn.query_row(&format!("SELECT {COMPANY_COLUMNS} FROM company WHERE singleton = 1"), [], |row| {
            Ok(company_from_row(row))
        })?
    }

    /// The company's logo (PNG bytes), if it has one.
    pub fn company_logo(&self) -> Result<Option<Logo>, StoreError> {
        read_logo(&self.conn)
    }

    pub fn numbering_series(&self, kind: DocumentKind) -> Result<NumberingSeries, StoreError> {
        read_series(&self.conn, kind)
    }

    pub fn members(&self) -> Result<Vec<(UserId, String, String, Role)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT user_id, email, display_name, role FROM members ORDER BY email")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Uuid>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        rows.map(|row| {
            let (id, email, name, role) = row?;
            Ok((UserId(id), email, name, Role::parse(&role).map_err(|e| corrupt("members.role", &role, &e))?))
        })
        .collect()
    }

    pub fn contact(&self, id: ContactId) -> Result<Contact, StoreError> {
        self.conn
            .query_row(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"), [id.0], |row| {
                Ok(contact_from_row(row))
            })
            .optional()?
            .ok_or(StoreError::NotFound { entity: "contact" })?
    }

    /// Contacts by name, a page at a time.
    pub fn list_contacts(&self, include_archived: bool, offset: u64, limit: u32) -> Result<Vec<Contact>, StoreError> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE archived IN (0, ?1) ORDER BY archived, name_key, rid
             LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![include_archived, limit, offset], |row| Ok(contact_from_row(row)))?;
        rows.map(|r| r?).collect()
    }

    /// The page of contacts that follows contact `after` in [`Self::list_contacts`]'s
    /// order: read from the sort index where `after` is, not by skipping rows.
    pub fn list_contacts_after(
        &self,
        include_archived: bool,
        after: ContactId,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE archived IN (0, ?1)
               AND (archived, name_key, rid) > (SELECT archived, name_key, rid FROM contacts WHERE id = ?2)
             ORDER BY archived, name_key, rid LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![include_archived, after.0, limit], |row| Ok(contact_from_row(row)))?;
        rows.map(|r| r?).collect()
    }

    /// The customers (not archived) whose name, email, VAT number or city has words
    /// starting with what was typed, for a picker that searches as the user types: the
    /// full-text index in its own order, so a short prefix over 100,000 contacts stops
    /// at `limit` matches instead of ranking them all.
    pub fn search_customers(&self, typed: &str, limit: u32) -> Result<Vec<Contact>, StoreError> {
        let Some(query) = search::fts_query(typed) else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE rid IN (
                SELECT c.rid FROM contacts_fts f JOIN contacts c ON c.rid = f.rowid
                WHERE contacts_fts MATCH ?1 AND c.is_customer AND NOT c.archived LIMIT ?2)
             ORDER BY name_key"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![query, limit], |row| Ok(contact_from_row(row)))?;
        rows.map(|r| r?).collect()
    }

    /// What the issued credit notes of `invoice` add up to (their totals including VAT).
    pub fn credited(&self, invoice: DocumentId) -> Result<Decimal, StoreError> {
        let cents: i64 = self
            .conn
            .prepare_cached(
                "SELECT ifnull(sum(gross_cents), 0) FROM documents
                 WHERE corrects_id = ?1 AND kind = 'credit_note' AND status <> 'draft'",
            )?
            .query_row([invoice.0], |r| r.get(0))?;
        Ok(from_cents(cents))
    }

    /// The issued invoices of `contact` not fully paid, oldest first: id, number (none
    /// while it waits for one), total and what was paid.
    pub fn open_invoices_of(&self, contact: ContactId) -> Result<Vec<OpenInvoice>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, issue_date, gross_cents, paid_cents, structured_communication FROM documents
             WHERE contact_id = ?1 AND kind = 'invoice' AND status IN ('issued', 'partially_paid')
             ORDER BY issue_date, rid LIMIT 200",
        )?;
        let rows = stmt.query_map([contact.0], |r| {
            Ok((r.get::<_, Uuid>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        rows.map(|row| {
            let (id, number, date, gross, paid, communication): (_, _, _, i64, i64, Option<String>) = row?;
            Ok(OpenInvoice {
                id: DocumentId(id),
                number,
                issue_date: parse_date("documents.issue_date", &date)?,
                gross: from_cents(gross),
                paid: from_cents(paid),
                structured_communication: communication,
            })
        })
        .collect()
    }

    /// The invoice, of any customer, that asked to be paid with this structured
    /// communication, and its customer; read through an index (migration 0016), so a
    /// bank statement's reference finds its invoice among a million.
    pub fn invoice_with_communication(
        &self,
        communication: &crate::model::StructuredCommunication,
    ) -> Result<Option<(ContactId, DocumentId)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT contact_id, id FROM documents
                 WHERE structured_communication = ?1 AND kind = 'invoice' AND status <> 'draft'
                 ORDER BY rid DESC LIMIT 1",
            )?
            .query_row([communication.to_string()], |r| Ok((ContactId(r.get(0)?), DocumentId(r.get(1)?))))
            .optional()?)
    }

    /// The articles (not archived) whose code or name has words starting with what was
    /// typed, by code, for the line editor's picker.
    pub fn search_articles(&self, typed: &str, limit: u32) -> Result<Vec<Article>, StoreError> {
        let Some(query) = search::fts_query(typed) else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT {ARTICLE_COLUMNS} FROM articles WHERE rid IN (
                SELECT a.rid FROM articles_fts f JOIN articles a ON a.rid = f.rowid
                WHERE articles_fts MATCH ?1 AND NOT a.archived LIMIT ?2)
             ORDER BY code"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![query, limit], |row| Ok(article_from_row(row)))?;
        rows.map(|r| r?).collect()
    }

    pub fn article(&self, id: ArticleId) -> Result<Article, StoreError> {
        self.conn
            .query_row(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?1"), [id.0], |row| {
                Ok(article_from_row(row))
            })
            .optional()?
            .ok_or(StoreError::NotFound { entity: "article" })?
    }

    pub fn article_by_code(&self, code: &str) -> Result<Option<Article>, StoreError> {
        self.conn
            .query_row(&format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE code = ?1"), [code], |row| {
                Ok(article_from_row(row))
            })
            .optional()?
            .transpose()
    }

    pub fn document(&self, id: DocumentId) -> Result<Document, StoreError> {
        read_document(&self.conn, id)
    }

    /// One page of a document list; see [`PageRequest`] for how to move through it.
    pub fn list_documents(
        &self,
        filter: &DocumentFilter,
        sort: DocumentSort,
        direction: SortDirection,
        request: &PageRequest,
        limit: u32,
    ) -> Result<Page<DocumentRow>, StoreError> {
        list::list_documents(&self.conn, filter, sort, direction, request, limit)
    }

    /// The `EXPLAIN QUERY PLAN` lines of the query [`Self::list_documents`] runs for
    /// these arguments: how tests and benchmarks check that a page never scans the table.
    pub fn list_documents_plan(
        &self,
        filter: &DocumentFilter,
        sort: DocumentSort,
        direction: SortDirection,
        request: &PageRequest,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        list::explain(&self.conn, filter, sort, direction, request, limit)
    }

    /// Bookmarks every `every` rows of a document list (see [`PageRequest::AfterSkipping`]).
    pub fn list_bookmarks(
        &self,
        filter: &DocumentFilter,
        sort: DocumentSort,
        direction: SortDirection,
        every: u64,
    ) -> Result<Vec<list::Cursor>, StoreError> {
        list::list_bookmarks(&self.conn, filter, sort, direction, every)
    }

    pub fn count_documents(&self, filter: &DocumentFilter) -> Result<u64, StoreError> {
        list::count_documents(&self.conn, filter)
    }

    /// The documents of a list that match a full-text search, newest first.
    pub fn search_documents(
        &self,
        filter: &DocumentFilter,
        input: &str,
        limit: u32,
    ) -> Result<Vec<DocumentRow>, StoreError> {
        list::search_documents(&self.conn, filter, input, limit)
    }

    /// Full-text search over contacts, articles and documents (see [`search`]).
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        search::search(&self.conn, query, limit)
    }

    pub fn payment(&self, id: PaymentId) -> Result<Payment, StoreError> {
        read_payment(&self.conn, id)?.ok_or(StoreError::NotFound { entity: "payment" })
    }

    /// The payments allocated to a document: payment and amount, in the order recorded.
    pub fn payments_of(&self, document: DocumentId) -> Result<Vec<(PaymentId, Decimal)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.payment_id, a.amount_cents FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
             WHERE a.document_id = ?1 ORDER BY p.rid",
        )?;
        let rows = stmt.query_map([document.0], |r| Ok((PaymentId(r.get(0)?), from_cents(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Row counts of the business tables.
    pub fn table_counts(&self) -> Result<Vec<(&'static str, TableStats)>, StoreError> {
        ["contacts", "articles", "documents", "document_lines", "payments", "payment_allocations"]
            .into_iter()
            .map(|table| {
                let count: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok((table, TableStats { count: u64::try_from(count).unwrap_or(0) }))
            })
            .collect()
    }
}

/// An issued invoice that still waits for (part of) its payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: DocumentId,
    pub number: Option<String>,
    pub issue_date: NaiveDate,
    pub gross: Decimal,
    pub paid: Decimal,
    /// The Belgian structured communication the customer was asked to quote.
    pub structured_communication: Option<String>,
}

impl OpenInvoice {
    /// What remains due (never below zero).
    pub fn due(&self) -> Decimal {
        self.gross.saturating_sub(self.paid).max(Decimal::ZERO)
    }
}
