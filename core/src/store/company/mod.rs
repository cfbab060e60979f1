//! A company's own file: the company, its numbering series, members, contacts, articles,
//! documents and payments.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::list::{self, DocumentFilter, DocumentRow, DocumentSort, Page, PageRequest, SortDirection};
use super::migrate::{self, COMPANY_MIGRATIONS, MigrationReport};
use super::search::{self, SearchHit};
use super::text::fold_for_sort;
use super::{Access, COMPANY_APPLICATION_ID, StoreError, open_connection};
use crate::model::{
    Address, Allocation, Article, ArticleId, Bic, Company, CompanyId, Contact, ContactId, ContactKind, Country,
    Currency, Document, DocumentId, DocumentKind, DocumentLanguage, DocumentLine, DocumentStatus, Iban, Logo,
    ModelError, NationalId, NumberingSeries, PartySnapshot, Payment, PaymentAssessment, PaymentId, PaymentMethod,
    PaymentState, Role, StructuredCommunication, UserId, VatCategory, VatNumber, VatRate, YearInNumber, add_amounts,
    assess_payment, ensure_credit_within, from_cents, to_cents,
};

/// What a company file says about itself, read without migrating or locking it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyFileInfo {
    pub company_id: CompanyId,
    pub legal_name: String,
    pub schema_version: u32,
}

/// Row count of a table, for support and comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableStats {
    pub count: u64,
}

/// An open company file.
#[derive(Debug)]
pub struct CompanyStore {
    conn: Connection,
    path: PathBuf,
    company_id: CompanyId,
    access: Access,
    migration: Option<MigrationReport>,
    /// Rows wait in `search_pending` instead of being indexed at each commit (see
    /// [`Self::defer_search_indexing`]).
    search_deferred: bool,
}

impl CompanyStore {
    /// Creates the file for `company` with the default numbering series. Refuses to
    /// overwrite an existing file.
    pub fn create(path: &Path, company: &Company) -> Result<Self, StoreError> {
        company.validate()?;
        Self::create_at_schema(path, company, None)
    }

    /// Creates the file of a company being downloaded from the server, from its settings
    /// as the server holds them (the server is the authority; an owner may not have filled
    /// in the address yet).
    pub fn create_for_download(path: &Path, company: &Company) -> Result<Self, StoreError> {
        Self::create_at_schema(path, company, None)
    }

    /// [`Self::create`] at an older schema version: how tests make the files an older
    /// Comptoir wrote.
    pub(crate) fn create_at_schema(path: &Path, company: &Company, version: Option<u32>) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::FileExists { path: path.to_path_buf() });
        }
        // Made whole under another name, then renamed into place: a process killed while
        // it creates the file leaves nothing that looks like a company file and is not.
        let creating = PathBuf::from(format!("{}.creating", path.display()));
        for side in ["", "-wal", "-shm"] {
            // What a killed attempt left.
            let _ = std::fs::remove_file(format!("{}{side}", creating.display()));
        }
        let mut conn = open_connection(&creating, Access::ReadWrite, true)?;
        migrate::migrate(&mut conn, &creating, COMPANY_MIGRATIONS, COMPANY_APPLICATION_ID, version)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if version.is_some_and(|v| v < 11) {
            write_company_columns(&tx, company, Write::Insert)?;
        } else {
            write_company(&tx, company, Write::Insert)?;
        }
        for kind in DocumentKind::ALL {
            save_series(&tx, &NumberingSeries::default_for(kind))?;
        }
        tx.commit()?;
        // One file, without a WAL beside it, is what moves.
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.close().map_err(|(_, e)| e)?;
        std::fs::rename(&creating, path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
        let conn = open_connection(path, Access::ReadWrite, false)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            company_id: company.id,
            access: Access::ReadWrite,
            migration: None,
            search_deferred: false,
        })
    }

    /// Opens an existing company file for writing, upgrading its schema if needed (after
    /// taking a backup copy).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotACompanyFile { path: path.to_path_buf() });
        }
        let mut conn = open_connection(path, Access::ReadWrite, false)?;
        check_application_id(&conn, path)?;
        let report = migrate::migrate(&mut conn, path, COMPANY_MIGRATIONS, COMPANY_APPLICATION_ID, None)?;
        let company_id = read_company_id(&conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            company_id,
            access: Access::ReadWrite,
            migration: Some(report),
            search_deferred: false,
        })
    }

    /// Opens a file and checks it belongs to `expected`.
    pub fn open_expecting(path: &Path, expected: CompanyId) -> Result<Self, StoreError> {
        let found = Self::identify(path)?.company_id;
        if found != expected {
            return Err(StoreError::WrongCompanyFile { path: path.to_path_buf(), expected, found });
        }
        Self::open(path)
    }

    /// Opens the file for reading only: the UI's connection.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = open_connection(path, Access::ReadOnly, false)?;
        check_application_id(&conn, path)?;
        let company_id = read_company_id(&conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            company_id,
            access: Access::ReadOnly,
            migration: None,
            search_deferred: false,
        })
    }

    /// Reads which company a file belongs to, without changing it.
    pub fn identify(path: &Path) -> Result<CompanyFileInfo, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotACompanyFile { path: path.to_path_buf() });
        }
        let conn = open_connection(path, Access::ReadOnly, false)?;
        check_application_id(&conn, path)?;
        let (id, legal_name): (Uuid, String) = conn
            .query_row("SELECT id, legal_name FROM company WHERE singleton = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|_| StoreError::NotACompanyFile { path: path.to_path_buf() })?
            .ok_or_else(|| StoreError::NotACompanyFile { path: path.to_path_buf() })?;
        Ok(CompanyFileInfo { company_id: CompanyId(id), legal_name, schema_version: migrate::schema_version(&conn)? })
    }

    pub fn company_id(&self) -> CompanyId {
        self.company_id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening the file did to its schema (`None` for new or read-only files).
    pub fn migration(&self) -> Option<&MigrationReport> {
        self.migration.as_ref()
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::schema_version(&self.conn)
    }

    /// The underlying connection, for queries this type does not offer yet.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, to install a hook on it (the simulation's crash in the middle of
    /// a write stops a statement from a progress handler).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs `f` in one write transaction: everything it does commits together, or
    /// nothing does.
    pub fn write<T>(&mut self, f: impl FnOnce(&WriteTx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.access == Access::ReadOnly {
            return Err(StoreError::ReadOnly);
        }
        let tx = WriteTx { tx: self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?, now: now_text() };
        let value = f(&tx)?;
        if !self.search_deferred && tx.schema_has_search()? {
            search::index_pending(&tx.tx)?;
        }
        tx.tx.commit()?;
        Ok(value)
    }

    /// Runs `f` in a write transaction that is always rolled back: to see what a write
    /// would do without doing it.
    pub(crate) fn probe<T>(&mut self, f: impl FnOnce(&WriteTx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let tx = WriteTx { tx: self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?, now: now_text() };
        f(&tx)
    }

    /// While on, the rows a write adds or changes wait in the search queue instead of
    /// being indexed at each commit; turning it off indexes them all at once. A first
    /// download turns it on: one bulk insert into the full-text index costs far less than
    /// one per page. Rows still queued are indexed by the next write that is not
    /// deferred, so a download killed midway loses nothing.
    pub fn defer_search_indexing(&mut self, deferred: bool) -> Result<(), StoreError> {
        self.search_deferred = deferred;
        if deferred { Ok(()) } else { self.write(|_| Ok(())) }
    }

    /// Sets the page cache of this connection (64 MiB when opened).
    pub fn set_cache_mib(&self, mib: u32) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -i64::from(mib) * 1024)?;
        Ok(())
    }

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
        let Some(query) = super::search::fts_query(typed) else { return Ok(Vec::new()) };
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
        let Some(query) = super::search::fts_query(typed) else { return Ok(Vec::new()) };
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

/// A write transaction on a company file. Every write checks the model's rules first;
/// a refused write returns the rule's error and the whole transaction is rolled back.
#[derive(Debug)]
pub struct WriteTx<'c> {
    tx: Transaction<'c>,
    now: String,
}

impl WriteTx<'_> {
    /// Whether the file has the search tables (schema 2 and later).
    fn schema_has_search(&self) -> Result<bool, StoreError> {
        Ok(migrate::schema_version(&self.tx)? >= 2)
    }

    /// The transaction's connection, for reads inside it.
    pub fn connection(&self) -> &Connection {
        &self.tx
    }

    pub fn update_company(&self, company: &Company) -> Result<(), StoreError> {
        company.validate()?;
        write_company(&self.tx, company, Write::Update)
    }

    pub fn numbering_series(&self, kind: DocumentKind) -> Result<NumberingSeries, StoreError> {
        read_series(&self.tx, kind)
    }

    pub fn save_series(&self, series: &NumberingSeries) -> Result<(), StoreError> {
        series.validate()?;
        save_series(&self.tx, series)
    }

    pub fn upsert_member(&self, user: UserId, email: &str, display_name: &str, role: Role) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO members (user_id, email, display_name, role) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name,
                role = excluded.role",
            params![user.0, email, display_name, role.as_str()],
        )?;
        Ok(())
    }

    pub fn insert_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        contact.validate()?;
        self.write_contact(contact, Write::Insert)
    }

    pub fn update_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        contact.validate()?;
        self.write_contact(contact, Write::Update)
    }

    /// Writes a contact's row; the caller has checked what it must.
    pub(crate) fn write_contact(&self, contact: &Contact, mode: Write) -> Result<(), StoreError> {
        let d = contact.delivery_address.as_ref();
        let changed = self
            .tx
            .prepare_cached(CONTACT_WRITE.sql(mode))?
            .execute(params![
                contact.id.0,
                contact.kind.as_str(),
                contact.name,
                fold_for_sort(&contact.name),
                contact.is_customer,
                contact.is_supplier,
                contact.email,
                contact.phone,
                contact.vat_number.as_ref().map(VatNumber::as_str),
                contact.billing_address.street,
                contact.billing_address.street2,
                contact.billing_address.postcode,
                contact.billing_address.city,
                contact.billing_address.country.code(),
                d.map(|a| &a.street),
                d.map(|a| &a.street2),
                d.map(|a| &a.postcode),
                d.map(|a| &a.city),
                d.map(|a| a.country.code()),
                contact.payment_terms_days,
                contact.archived,
                self.now,
            ])
            .map_err(map_constraint)?;
        ensure_written(changed, "contact")?;
        // The language (migration 11) apart: a new contact without one leaves the column
        // alone, so that files made at an older schema (tests) take contacts too.
        if mode != Write::Insert || contact.language.is_some() {
            self.tx
                .prepare_cached("UPDATE contacts SET language = ?2 WHERE id = ?1")?
                .execute(params![contact.id.0, contact.language.map(DocumentLanguage::code)])?;
        }
        Ok(())
    }

    pub fn insert_article(&self, article: &Article) -> Result<(), StoreError> {
        article.validate()?;
        self.write_article(article, Write::Insert)
    }

    pub fn update_article(&self, article: &Article) -> Result<(), StoreError> {
        article.validate()?;
        self.write_article(article, Write::Update)
    }

    /// Writes an article's row; the caller has checked what it must.
    pub(crate) fn write_article(&self, article: &Article, mode: Write) -> Result<(), StoreError> {
        let changed = self
            .tx
            .prepare_cached(ARTICLE_WRITE.sql(mode))?
            .execute(params![
                article.id.0,
                article.code,
                article.name,
                article.unit,
                article.unit_price.normalize().to_string(),
                article.vat_rate.percent().to_string(),
                article.archived,
                self.now,
            ])
            .map_err(map_constraint)?;
        ensure_written(changed, "article")
    }

    /// Stores a new document with its lines. A document arriving already issued (from
    /// sync, or a demo) is accepted as it is; its totals are computed here.
    pub fn insert_document(&self, document: &Document) -> Result<(), StoreError> {
        self.check_document(document)?;
        self.write_document(document, Write::Insert)
    }

    /// The rules a local write of a document obeys.
    fn check_document(&self, document: &Document) -> Result<(), StoreError> {
        document.validate()?;
        if document.number.is_some() && document.status == DocumentStatus::Draft {
            return Err(ModelError::DocumentNotEditable { kind: document.kind, status: document.status }.into());
        }
        if document.kind == DocumentKind::CreditNote && document.status.is_issued() {
            self.check_credit_note(document, document.totals()?.gross)?;
        }
        Ok(())
    }

    /// Writes the document row (inserted, or updated in place: same `rid`, so lists and
    /// search keep their place) and its lines; the caller has checked what it must.
    pub(crate) fn write_document(&self, document: &Document, mode: Write) -> Result<(), StoreError> {
        let totals = document.totals()?;
        let c = &document.customer;
        let changed = self
            .tx
            .prepare_cached(DOCUMENT_WRITE.sql(mode))?
            .execute(params![
                document.id.0,
                document.kind.as_str(),
                document.status.as_str(),
                document.number,
                document.contact_id.0,
                c.name,
                fold_for_sort(&c.name),
                c.address.street,
                c.address.street2,
                c.address.postcode,
                c.address.city,
                c.address.country.code(),
                c.vat_number.as_ref().map(VatNumber::as_str),
                document.issue_date.to_string(),
                document.due_date.map(|d| d.to_string()),
                document.corrects.map(|d| d.0),
                document.source.map(|d| d.0),
                document.currency.as_str(),
                to_cents(totals.net)?,
                to_cents(totals.vat)?,
                to_cents(totals.gross)?,
                document.notes,
                document.structured_communication.map(|s| s.to_string()),
                self.now,
                document.vat_exemption_reason,
                document.delivery_date.map(|d| d.to_string()),
                document.customer_reference,
            ])
            .map_err(|e| map_number_constraint(e, document.number.as_deref()))?;
        ensure_written(changed, "document")?;
        if mode != Write::Insert {
            self.tx.prepare_cached("DELETE FROM document_lines WHERE document_id = ?1")?.execute([document.id.0])?;
        }
        self.insert_lines(document)
    }

    /// A credit note corrects an issued invoice, and all its credit notes together never
    /// exceed it.
    fn check_credit_note(&self, credit_note: &Document, total: Decimal) -> Result<(), StoreError> {
        let invoice_id = credit_note.corrects.ok_or(ModelError::CreditNoteWithoutInvoice)?;
        let (kind, status) = stored_kind_and_status(&self.tx, invoice_id).map_err(|e| match e {
            StoreError::NotFound { .. } => ModelError::CreditNoteTargetInvalid.into(),
            other => other,
        })?;
        if kind != DocumentKind::Invoice || !status.is_issued() {
            return Err(ModelError::CreditNoteTargetInvalid.into());
        }
        let (invoice_total, credited): (i64, i64) = self
            .tx
            .prepare_cached(
                "SELECT (SELECT gross_cents FROM documents WHERE id = ?1),
                    (SELECT ifnull(sum(gross_cents), 0) FROM documents
                     WHERE corrects_id = ?1 AND kind = 'credit_note' AND status <> 'draft' AND id <> ?2)",
            )?
            .query_row(params![invoice_id.0, credit_note.id.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        ensure_credit_within(from_cents(invoice_total), from_cents(credited), total)?;
        Ok(())
    }

    fn insert_lines(&self, document: &Document) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO document_lines (document_id, position, article_id, description, quantity, unit, unit_price,
                discount_percent, vat_rate, net_cents, vat_category, section)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for (position, line) in (0_i64..).zip(&document.lines) {
            stmt.execute(params![
                document.id.0,
                position,
                line.article_id.map(|a| a.0),
                line.description,
                line.quantity.normalize().to_string(),
                line.unit,
                line.unit_price.normalize().to_string(),
                line.discount_percent.normalize().to_string(),
                line.vat_rate.percent().to_string(),
                to_cents(line.net_amount()?)?,
                line.vat_category.map(VatCategory::code),
                line.section,
            ])?;
        }
        Ok(())
    }

    /// Replaces a draft with `document` (which may now be issued). Refused when the
    /// stored document is no longer a draft: issued documents are immutable.
    pub fn update_draft(&self, document: &Document) -> Result<(), StoreError> {
        document.validate()?;
        let (kind, status) = stored_kind_and_status(&self.tx, document.id)?;
        if status != DocumentStatus::Draft {
            return Err(ModelError::DocumentNotEditable { kind, status }.into());
        }
        if document.status != DocumentStatus::Draft && !DocumentStatus::Draft.can_become(kind, document.status) {
            return Err(ModelError::TransitionRefused { kind, from: status, to: document.status }.into());
        }
        self.check_document(document)?;
        self.write_document(document, Write::Update)
    }

    /// Moves a document to another status (quote accepted, declined, converted …).
    pub fn set_document_status(&self, id: DocumentId, to: DocumentStatus) -> Result<(), StoreError> {
        let (kind, from) = stored_kind_and_status(&self.tx, id)?;
        if !from.can_become(kind, to) {
            return Err(ModelError::TransitionRefused { kind, from, to }.into());
        }
        self.tx.execute(
            "UPDATE documents SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id.0, to.as_str(), self.now],
        )?;
        Ok(())
    }

    /// Gives an issued document the number the server allocated to it.
    pub fn assign_number(&self, id: DocumentId, number: &str) -> Result<(), StoreError> {
        let mut document = read_document(&self.tx, id)?;
        document.assign_number(number.to_owned())?;
        self.tx
            .execute("UPDATE documents SET number = ?2, updated_at = ?3 WHERE id = ?1", params![id.0, number, self.now])
            .map_err(|e| map_number_constraint(e, Some(number)))?;
        Ok(())
    }

    /// Deletes a draft (issued documents are never deleted).
    pub fn delete_draft(&self, id: DocumentId) -> Result<(), StoreError> {
        let (kind, status) = stored_kind_and_status(&self.tx, id)?;
        if status != DocumentStatus::Draft {
            return Err(ModelError::DocumentNotEditable { kind, status }.into());
        }
        self.tx.execute("DELETE FROM documents WHERE id = ?1", [id.0])?;
        Ok(())
    }

    /// Records a payment and settles the documents it is allocated to. Returns, for each
    /// allocation, how the document's payment state changed and any anomaly (a double
    /// payment, an overpayment) the user must be told about.
    pub fn record_payment(&self, payment: &Payment) -> Result<Vec<(DocumentId, PaymentAssessment)>, StoreError> {
        payment.validate()?;
        self.write_payment(payment, Write::Insert)?;
        let mut assessments = Vec::with_capacity(payment.allocations.len());
        for allocation in &payment.allocations {
            let (kind, status, gross, paid): (String, String, i64, i64) = self
                .tx
                .prepare_cached("SELECT kind, status, gross_cents, paid_cents FROM documents WHERE id = ?1")?
                .query_row([allocation.document_id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?
                .ok_or(StoreError::NotFound { entity: "document" })?;
            let kind = DocumentKind::parse(&kind).map_err(|e| corrupt("documents.kind", &kind, &e))?;
            let status = DocumentStatus::parse(&status).map_err(|e| corrupt("documents.status", &status, &e))?;
            if !kind.is_payable() || !status.is_issued() {
                return Err(ModelError::PaymentOnUnissuedDocument.into());
            }
            let previous = self.allocations_of(allocation.document_id)?;
            let assessment = assess_payment(from_cents(gross), &previous, allocation.amount)?;
            let paid = add_amounts(from_cents(paid), allocation.amount)?;
            self.insert_allocation(payment, allocation)?;
            let new_status = PaymentState::of(from_cents(gross), paid).document_status();
            self.tx
                .prepare_cached("UPDATE documents SET paid_cents = ?2, status = ?3, updated_at = ?4 WHERE id = ?1")?
                .execute(params![allocation.document_id.0, to_cents(paid)?, new_status.as_str(), self.now])?;
            assessments.push((allocation.document_id, assessment));
        }
        Ok(assessments)
    }

    /// Writes a payment's row (not its allocations); the caller has checked what it must.
    pub(crate) fn write_payment(&self, payment: &Payment, mode: Write) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(PAYMENT_WRITE.sql(mode))?
            .execute(params![
                payment.id.0,
                payment.contact_id.map(|c| c.0),
                payment.date.to_string(),
                to_cents(payment.amount)?,
                payment.method.as_str(),
                payment.reference,
                self.now,
            ])
            .map_err(map_constraint)?;
        Ok(())
    }

    pub(crate) fn insert_allocation(&self, payment: &Payment, allocation: &Allocation) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO payment_allocations (payment_id, document_id, amount_cents) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![payment.id.0, allocation.document_id.0, to_cents(allocation.amount)?])?;
        Ok(())
    }

    fn allocations_of(&self, document: DocumentId) -> Result<Vec<(PaymentId, Decimal)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT payment_id, amount_cents FROM payment_allocations WHERE document_id = ?1")?;
        let rows = stmt.query_map([document.0], |r| Ok((PaymentId(r.get(0)?), from_cents(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

pub(super) const CONTACT_COLUMNS: &str = "id, kind, name, is_customer, is_supplier, email, phone, vat_number,
    billing_street, billing_street2, billing_postcode, billing_city, billing_country,
    delivery_street, delivery_street2, delivery_postcode, delivery_city, delivery_country,
    payment_terms_days, archived, language";

/// The columns a document write sets, in the order of its parameters.
const DOCUMENT_WRITE_COLUMNS: [&str; 27] = [
    "id",
    "kind",
    "status",
    "number",
    "contact_id",
    "customer_name",
    "customer_key",
    "customer_street",
    "customer_street2",
    "customer_postcode",
    "customer_city",
    "customer_country",
    "customer_vat_number",
    "issue_date",
    "due_date",
    "corrects_id",
    "source_id",
    "currency",
    "net_cents",
    "vat_cents",
    "gross_cents",
    "notes",
    "structured_communication",
    "updated_at",
    "vat_exemption_reason",
    "delivery_date",
    "customer_reference",
];

static DOCUMENT_WRITE: LazyLock<TableWrite> = LazyLock::new(|| TableWrite::new("documents", &DOCUMENT_WRITE_COLUMNS));

static CONTACT_WRITE: LazyLock<TableWrite> = LazyLock::new(|| {
    TableWrite::new(
        "contacts",
        &[
            "id",
            "kind",
            "name",
            "name_key",
            "is_customer",
            "is_supplier",
            "email",
            "phone",
            "vat_number",
            "billing_street",
            "billing_street2",
            "billing_postcode",
            "billing_city",
            "billing_country",
            "delivery_street",
            "delivery_street2",
            "delivery_postcode",
            "delivery_city",
            "delivery_country",
            "payment_terms_days",
            "archived",
            "updated_at",
        ],
    )
});

static PAYMENT_WRITE: LazyLock<TableWrite> = LazyLock::new(|| {
    TableWrite::new("payments", &["id", "contact_id", "date", "amount_cents", "method", "reference", "updated_at"])
});

static ARTICLE_WRITE: LazyLock<TableWrite> = LazyLock::new(|| {
    TableWrite::new("articles", &["id", "code", "name", "unit", "unit_price", "vat_rate", "archived", "updated_at"])
});

static COMPANY_WRITE: LazyLock<TableWrite> = LazyLock::new(|| {
    TableWrite::new(
        "company",
        &[
            "id",
            "legal_name",
            "street",
            "street2",
            "postcode",
            "city",
            "country",
            "vat_number",
            "national_id",
            "iban",
            "bic",
            "currency",
            "payment_terms_days",
        ],
    )
});

/// Whether a write adds a record or changes an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    Insert,
    Update,
    /// Insert or replace in place: how the server's records are applied.
    Upsert,
}

/// The INSERT and the UPDATE of a table over the same numbered parameters (`?1` is the
/// id), so that each record type lists its values once for both.
struct TableWrite {
    insert: String,
    update: String,
    upsert: String,
}

impl TableWrite {
    fn new(table: &str, columns: &[&str]) -> Self {
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = columns.iter().enumerate().skip(1).map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
        let insert = format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), placeholders.join(", "));
        let replacements: Vec<String> = columns.iter().skip(1).map(|c| format!("{c} = excluded.{c}")).collect();
        Self {
            upsert: format!("{insert} ON CONFLICT ({}) DO UPDATE SET {}", columns[0], replacements.join(", ")),
            update: format!("UPDATE {table} SET {} WHERE {} = ?1", sets.join(", "), columns[0]),
            insert,
        }
    }

    fn sql(&self, mode: Write) -> &str {
        match mode {
            Write::Insert => &self.insert,
            Write::Update => &self.update,
            Write::Upsert => &self.upsert,
        }
    }
}

/// An UPDATE that changed no row means the record does not exist.
fn ensure_written(changed: usize, entity: &'static str) -> Result<(), StoreError> {
    if changed == 0 { Err(StoreError::NotFound { entity }) } else { Ok(()) }
}

/// The columns [`company_from_row`] reads, in its order.
pub(super) const COMPANY_COLUMNS: &str = "id, legal_name, street, street2, postcode, city, country, vat_number, \
    national_id, iban, bic, currency, payment_terms_days, legal_form, share_capital, register_city, \
    late_penalty_rate, vat_exempt";

/// Writes the company (not its logo: see [`write_logo`]).
pub(crate) fn write_company(conn: &Connection, company: &Company, mode: Write) -> Result<(), StoreError> {
    write_company_columns(conn, company, mode)?;
    conn.prepare_cached(
        "UPDATE company SET legal_form = ?1, share_capital = ?2, register_city = ?3, late_penalty_rate = ?4,
            vat_exempt = ?5 WHERE singleton = 1",
    )?
    .execute(params![
        company.legal_form,
        company.share_capital.map(|d| d.to_string()),
        company.register_city,
        company.late_penalty_rate.map(|d| d.to_string()),
        company.vat_exempt,
    ])?;
    Ok(())
}

/// Keeps the company's logo (`None`: removes it).
pub(crate) fn write_logo(conn: &Connection, logo: Option<&Logo>) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE company SET logo = ?1 WHERE singleton = 1")?.execute([logo.map(Logo::png)])?;
    Ok(())
}

pub(super) fn read_logo(conn: &Connection) -> Result<Option<Logo>, StoreError> {
    let bytes: Option<Vec<u8>> = conn.query_row("SELECT logo FROM company WHERE singleton = 1", [], |r| r.get(0))?;
    bytes.map(|bytes| Logo::from_png(bytes).map_err(|e| corrupt("company.logo", "(picture)", &e))).transpose()
}

/// The columns of the first schema (files older than version 11 have no others).
fn write_company_columns(conn: &Connection, company: &Company, mode: Write) -> Result<(), StoreError> {
    let changed = conn.prepare_cached(COMPANY_WRITE.sql(mode))?.execute(params![
        company.id.0,
        company.legal_name,
        company.address.street,
        company.address.street2,
        company.address.postcode,
        company.address.city,
        company.address.country.code(),
        company.vat_number.as_ref().map(VatNumber::as_str),
        company.national_id.as_ref().map(NationalId::as_str),
        company.iban.as_ref().map(Iban::as_str),
        company.bic.as_ref().map(Bic::as_str),
        company.currency.as_str(),
        company.payment_terms_days,
    ])?;
    ensure_written(changed, "company")
}

pub(super) const ARTICLE_COLUMNS: &str = "id, code, name, unit, unit_price, vat_rate, archived";

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn corrupt(column: &'static str, value: &str, reason: &dyn std::fmt::Display) -> StoreError {
    StoreError::Corrupt { column, value: value.to_owned(), reason: reason.to_string() }
}

pub(crate) fn parse_date(column: &'static str, value: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_str(value).map_err(|e| corrupt(column, value, &e))
}

pub(crate) fn parse_decimal(column: &'static str, value: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(value).map_err(|e| corrupt(column, value, &e))
}

fn parse_opt<T>(
    column: &'static str,
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, ModelError>,
) -> Result<Option<T>, StoreError> {
    value.map(|v| parse(&v).map_err(|e| corrupt(column, &v, &e))).transpose()
}

fn country(column: &'static str, value: &str) -> Result<Country, StoreError> {
    Country::from_code(value).map_err(|e| corrupt(column, value, &e))
}

/// Maps unique-constraint failures to errors a user understands.
fn map_constraint(error: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, Some(message)) = &error
        && code.code == rusqlite::ErrorCode::ConstraintViolation
    {
        if message.contains("articles.code") {
            return StoreError::DuplicateArticleCode { code: String::new() };
        }
        if message.contains(".id") {
            return StoreError::AlreadyExists;
        }
    }
    StoreError::Sqlite(error)
}

fn map_number_constraint(error: rusqlite::Error, number: Option<&str>) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, Some(message)) = &error
        && code.code == rusqlite::ErrorCode::ConstraintViolation
        && message.contains("documents.number")
    {
        return StoreError::DuplicateNumber { number: number.unwrap_or_default().to_owned() };
    }
    map_constraint(error)
}

fn check_application_id(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|_| StoreError::NotACompanyFile { path: path.to_path_buf() })?;
    if id == COMPANY_APPLICATION_ID { Ok(()) } else { Err(StoreError::NotACompanyFile { path: path.to_path_buf() }) }
}

fn read_company_id(conn: &Connection, path: &Path) -> Result<CompanyId, StoreError> {
    conn.query_row("SELECT id FROM company WHERE singleton = 1", [], |r| r.get::<_, Uuid>(0))
        .optional()?
        .map(CompanyId)
        .ok_or_else(|| StoreError::NotACompanyFile { path: path.to_path_buf() })
}

pub(super) fn company_from_row(row: &Row<'_>) -> Result<Company, StoreError> {
    let country_code: String = row.get(6)?;
    let currency: String = row.get(11)?;
    Ok(Company {
        id: CompanyId(row.get(0)?),
        legal_name: row.get(1)?,
        address: Address {
            street: row.get(2)?,
            street2: row.get(3)?,
            postcode: row.get(4)?,
            city: row.get(5)?,
            country: country("company.country", &country_code)?,
        },
        vat_number: parse_opt("company.vat_number", row.get(7)?, VatNumber::parse)?,
        national_id: parse_opt("company.national_id", row.get(8)?, |v| NationalId::parse(&country_code, v))?,
        iban: parse_opt("company.iban", row.get(9)?, Iban::parse)?,
        bic: parse_opt("company.bic", row.get(10)?, Bic::parse)?,
        currency: Currency::parse(&currency).map_err(|e| corrupt("company.currency", &currency, &e))?,
        payment_terms_days: row.get(12)?,
        legal_form: row.get(13)?,
        share_capital: row
            .get::<_, Option<String>>(14)?
            .map(|v| parse_decimal("company.share_capital", &v))
            .transpose()?,
        register_city: row.get(15)?,
        late_penalty_rate: row
            .get::<_, Option<String>>(16)?
            .map(|v| parse_decimal("company.late_penalty_rate", &v))
            .transpose()?,
        vat_exempt: row.get(17)?,
    })
}

pub(crate) fn save_series(conn: &Connection, series: &NumberingSeries) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO numbering_series (kind, prefix, year_format, separator, width, next_number, last_issued)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (kind) DO UPDATE SET prefix = excluded.prefix, year_format = excluded.year_format,
            separator = excluded.separator, width = excluded.width, next_number = excluded.next_number,
            last_issued = excluded.last_issued",
        params![
            series.kind.as_str(),
            series.prefix,
            series.year.as_str(),
            series.separator,
            series.width,
            i64::try_from(series.next_number).map_err(|_| ModelError::NextNumberZero)?,
            series.last_issued.and_then(|n| i64::try_from(n).ok()),
        ],
    )?;
    Ok(())
}

pub(super) fn read_series(conn: &Connection, kind: DocumentKind) -> Result<NumberingSeries, StoreError> {
    let (prefix, year, separator, width, next, last): (String, String, String, u8, i64, Option<i64>) = conn
        .query_row(
            "SELECT prefix, year_format, separator, width, next_number, last_issued FROM numbering_series
             WHERE kind = ?1",
            [kind.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound { entity: "numbering series" })?;
    Ok(NumberingSeries {
        kind,
        prefix,
        year: YearInNumber::parse(&year).map_err(|e| corrupt("numbering_series.year_format", &year, &e))?,
        separator,
        width,
        next_number: u64::try_from(next).map_err(|e| corrupt("numbering_series.next_number", &next.to_string(), &e))?,
        last_issued: last.and_then(|n| u64::try_from(n).ok()),
    })
}

pub(super) fn contact_from_row(row: &Row<'_>) -> Result<Contact, StoreError> {
    let kind: String = row.get(1)?;
    let billing_country: String = row.get(12)?;
    let delivery_street: Option<String> = row.get(13)?;
    let delivery_address = match delivery_street {
        Some(street) => {
            let code: String = row.get::<_, Option<String>>(17)?.unwrap_or_default();
            Some(Address {
                street,
                street2: row.get::<_, Option<String>>(14)?.unwrap_or_default(),
                postcode: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
                city: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
                country: country("contacts.delivery_country", &code)?,
            })
        }
        None => None,
    };
    Ok(Contact {
        id: ContactId(row.get(0)?),
        kind: ContactKind::parse(&kind).map_err(|e| corrupt("contacts.kind", &kind, &e))?,
        name: row.get(2)?,
        is_customer: row.get(3)?,
        is_supplier: row.get(4)?,
        email: row.get(5)?,
        phone: row.get(6)?,
        vat_number: parse_opt("contacts.vat_number", row.get(7)?, VatNumber::parse)?,
        billing_address: Address {
            street: row.get(8)?,
            street2: row.get(9)?,
            postcode: row.get(10)?,
            city: row.get(11)?,
            country: country("contacts.billing_country", &billing_country)?,
        },
        delivery_address,
        payment_terms_days: row.get(18)?,
        archived: row.get(19)?,
        language: row
            .get::<_, Option<String>>(20)?
            .map(|code| DocumentLanguage::parse(&code).map_err(|e| corrupt("contacts.language", &code, &e)))
            .transpose()?,
    })
}

pub(super) fn article_from_row(row: &Row<'_>) -> Result<Article, StoreError> {
    let price: String = row.get(4)?;
    let rate: String = row.get(5)?;
    Ok(Article {
        id: ArticleId(row.get(0)?),
        code: row.get(1)?,
        name: row.get(2)?,
        unit: row.get(3)?,
        unit_price: parse_decimal("articles.unit_price", &price)?,
        vat_rate: VatRate::new(parse_decimal("articles.vat_rate", &rate)?)
            .map_err(|e| corrupt("articles.vat_rate", &rate, &e))?,
        archived: row.get(6)?,
    })
}

fn stored_kind_and_status(conn: &Connection, id: DocumentId) -> Result<(DocumentKind, DocumentStatus), StoreError> {
    let (kind, status): (String, String) = conn
        .prepare_cached("SELECT kind, status FROM documents WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound { entity: "document" })?;
    Ok((
        DocumentKind::parse(&kind).map_err(|e| corrupt("documents.kind", &kind, &e))?,
        DocumentStatus::parse(&status).map_err(|e| corrupt("documents.status", &status, &e))?,
    ))
}

pub(super) fn read_document(conn: &Connection, id: DocumentId) -> Result<Document, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, status, number, contact_id, customer_name, customer_street, customer_street2, customer_postcode,
            customer_city, customer_country, customer_vat_number, issue_date, due_date, corrects_id, source_id,
            currency, notes, structured_communication, vat_exemption_reason, delivery_date, customer_reference
         FROM documents WHERE id = ?1",
    )?;
    let document = stmt
        .query_row([id.0], |row| Ok(document_from_row(id, row)))
        .optional()?
        .ok_or(StoreError::NotFound { entity: "document" })??;
    let mut document = document;
    let mut stmt = conn.prepare_cached(
        "SELECT article_id, description, quantity, unit, unit_price, discount_percent, vat_rate, vat_category, section
         FROM document_lines WHERE document_id = ?1 ORDER BY position",
    )?;
    let lines = stmt.query_map([id.0], |row| Ok(line_from_row(row)))?;
    for line in lines {
        document.lines.push(line??);
    }
    Ok(document)
}

fn document_from_row(id: DocumentId, row: &Row<'_>) -> Result<Document, StoreError> {
    let kind: String = row.get(0)?;
    let status: String = row.get(1)?;
    let customer_country: String = row.get(9)?;
    let issue_date: String = row.get(11)?;
    let currency: String = row.get(15)?;
    Ok(Document {
        id,
        kind: DocumentKind::parse(&kind).map_err(|e| corrupt("documents.kind", &kind, &e))?,
        status: DocumentStatus::parse(&status).map_err(|e| corrupt("documents.status", &status, &e))?,
        number: row.get(2)?,
        contact_id: ContactId(row.get(3)?),
        customer: PartySnapshot {
            name: row.get(4)?,
            address: Address {
                street: row.get(5)?,
                street2: row.get(6)?,
                postcode: row.get(7)?,
                city: row.get(8)?,
                country: country("documents.customer_country", &customer_country)?,
            },
            vat_number: parse_opt("documents.customer_vat_number", row.get(10)?, VatNumber::parse)?,
        },
        issue_date: parse_date("documents.issue_date", &issue_date)?,
        due_date: row.get::<_, Option<String>>(12)?.map(|d| parse_date("documents.due_date", &d)).transpose()?,
        corrects: row.get::<_, Option<Uuid>>(13)?.map(DocumentId),
        source: row.get::<_, Option<Uuid>>(14)?.map(DocumentId),
        currency: Currency::parse(&currency).map_err(|e| corrupt("documents.currency", &currency, &e))?,
        lines: Vec::new(),
        notes: row.get(16)?,
        structured_communication: parse_opt(
            "documents.structured_communication",
            row.get(17)?,
            StructuredCommunication::parse,
        )?,
        vat_exemption_reason: row.get(18)?,
        delivery_date: row
            .get::<_, Option<String>>(19)?
            .map(|d| parse_date("documents.delivery_date", &d))
            .transpose()?,
        customer_reference: row.get(20)?,
    })
}

fn line_from_row(row: &Row<'_>) -> Result<DocumentLine, StoreError> {
    let quantity: String = row.get(2)?;
    let price: String = row.get(4)?;
    let discount: String = row.get(5)?;
    let rate: String = row.get(6)?;
    Ok(DocumentLine {
        article_id: row.get::<_, Option<Uuid>>(0)?.map(ArticleId),
        description: row.get(1)?,
        quantity: parse_decimal("document_lines.quantity", &quantity)?,
        unit: row.get(3)?,
        unit_price: parse_decimal("document_lines.unit_price", &price)?,
        discount_percent: parse_decimal("document_lines.discount_percent", &discount)?,
        vat_rate: VatRate::new(parse_decimal("document_lines.vat_rate", &rate)?)
            .map_err(|e| corrupt("document_lines.vat_rate", &rate, &e))?,
        vat_category: row
            .get::<_, Option<String>>(7)?
            .map(|code| {
                VatCategory::ALL.into_iter().find(|c| c.code() == code).ok_or_else(|| StoreError::Corrupt {
                    column: "document_lines.vat_category",
                    value: code.clone(),
                    reason: "not a VAT category".into(),
                })
            })
            .transpose()?,
        section: row.get(8)?,
    })
}

pub(super) fn read_payment(conn: &Connection, id: PaymentId) -> Result<Option<Payment>, StoreError> {
    let Some((contact, date, amount, method, reference)): Option<(Option<Uuid>, String, i64, String, String)> = conn
        .query_row(
            "SELECT contact_id, date, amount_cents, method, reference FROM payments WHERE id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT document_id, amount_cents FROM payment_allocations WHERE payment_id = ?1 ORDER BY document_id",
    )?;
    let allocations = stmt
        .query_map([id.0], |r| Ok(Allocation { document_id: DocumentId(r.get(0)?), amount: from_cents(r.get(1)?) }))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Payment {
        id,
        contact_id: contact.map(ContactId),
        date: parse_date("payments.date", &date)?,
        amount: from_cents(amount),
        method: PaymentMethod::parse(&method).map_err(|e| corrupt("payments.method", &method, &e))?,
        reference,
        allocations,
    }))
}
