//! Writing a company file: one transaction per call ([`WriteTx`]), each write checked
//! against the model's rules, and the SQL each record type is written with.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use rust_decimal::Decimal;

use super::CompanyStore;
use super::rows::{corrupt, read_document, read_series};
use crate::model::{
    Allocation, Article, Bic, Company, Contact, Document, DocumentId, DocumentKind, DocumentLanguage, DocumentStatus,
    Iban, Logo, ModelError, NationalId, NumberingSeries, Payment, PaymentAssessment, PaymentId, PaymentState, Role,
    UserId, VatCategory, VatNumber, add_amounts, assess_payment, ensure_credit_within, from_cents, to_cents,
};
use crate::store::text::fold_for_sort;
use crate::store::{Access, StoreError, migrate, search};

impl CompanyStore {
    /// Runs `f` in one write transaction: everything it does commits together, or
    /// nothing does.
    pub fn write<T>(&mut self, f: impl FnOnce(&WriteTx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.access == Access::ReadOnly {
            return Err(StoreError::ReadOnly);
        }
        let tx = WriteTx { tx: self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?, now: now_text() };
        let value = f(&tx)?;
        if tx.schema_has_search()? {
            search::index_pending(&tx.tx, !self.search_deferred)?;
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

    /// While on, the documents a write adds or changes wait in the search queue instead of
    /// being indexed at each commit (contacts and articles are indexed at once still);
    /// turning it off indexes them all at once. A first download turns it on: one bulk
    /// insert into the full-text index costs far less than one per page. Rows still
    /// queued are indexed by the next write that is not deferred, so a download killed
    /// midway loses nothing.
    pub fn defer_search_indexing(&mut self, deferred: bool) -> Result<(), StoreError> {
        self.search_deferred = deferred;
        if deferred { Ok(()) } else { self.write(|_| Ok(())) }
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
        // The Peppol id (migration 21) likewise.
        if mode != Write::Insert || contact.peppol_id.is_some() {
            self.tx
                .prepare_cached("UPDATE contacts SET peppol_id = ?2 WHERE id = ?1")?
                .execute(params![contact.id.0, contact.peppol_id.as_ref().map(ToString::to_string)])?;
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
        let columns = DocumentColumns::of(document)?;
        self.write_document_row(document, &columns, &DOCUMENT_WRITE, mode, None)
    }

    /// Writes a document as the server has it, with what its payments have paid, in one
    /// statement (a replica's write: the copy's own payments do not derive it).
    /// `columns`: its computed values, when worked out ahead ([`DocumentColumns::of`]).
    pub(crate) fn write_server_document(
        &self,
        document: &Document,
        paid_cents: i64,
        columns: Option<&DocumentColumns>,
    ) -> Result<(), StoreError> {
        let made;
        let columns = if let Some(columns) = columns {
            columns
        } else {
            made = DocumentColumns::of(document)?;
            &made
        };
        self.write_document_row(document, columns, &SERVER_DOCUMENT_WRITE, Write::Upsert, Some(paid_cents))
    }

    fn write_document_row(
        &self,
        document: &Document,
        columns: &DocumentColumns,
        table: &TableWrite,
        mode: Write,
        paid_cents: Option<i64>,
    ) -> Result<(), StoreError> {
        if columns.id != document.id || columns.lines.len() != document.lines.len() {
            return Err(StoreError::Corrupt {
                column: "documents",
                value: document.id.to_string(),
                reason: format!("values worked out for document {}", columns.id),
            });
        }
        let c = &document.customer;
        let values = params![
            document.id.0,
            document.kind.as_str(),
            document.status.as_str(),
            document.number,
            document.contact_id.0,
            c.name,
            columns.customer_key,
            c.address.street,
            c.address.street2,
            c.address.postcode,
            c.address.city,
            c.address.country.code(),
            c.vat_number.as_ref().map(VatNumber::as_str),
            columns.issue_date,
            columns.due_date,
            document.corrects.map(|d| d.0),
            document.source.map(|d| d.0),
            document.currency.as_str(),
            columns.net_cents,
            columns.vat_cents,
            columns.gross_cents,
            document.notes,
            columns.structured_communication,
            self.now,
            document.vat_exemption_reason,
            columns.delivery_date,
            document.customer_reference,
            paid_cents,
        ];
        // Without `paid_cents` the statement has one parameter fewer.
        let values: &[&dyn rusqlite::ToSql] = if paid_cents.is_some() { values } else { &values[..values.len() - 1] };
        let number_taken = |e| map_number_constraint(e, document.number.as_deref());
        // Whether the document was here, with lines to replace.
        let replaced = match mode {
            Write::Insert | Write::Update => {
                let changed = self.tx.prepare_cached(table.sql(mode))?.execute(values).map_err(number_taken)?;
                ensure_written(changed, "document")?;
                mode == Write::Update
            }
            Write::Upsert => !table.replace(&self.tx, values).map_err(number_taken)?,
        };
        if replaced {
            self.tx.prepare_cached("DELETE FROM document_lines WHERE document_id = ?1")?.execute([document.id.0])?;
        }
        self.insert_lines(document, columns)
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

    fn insert_lines(&self, document: &Document, columns: &DocumentColumns) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO document_lines (document_id, position, article_id, description, quantity, unit, unit_price,
                discount_percent, vat_rate, net_cents, vat_category, section)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for (position, (line, values)) in (0_i64..).zip(document.lines.iter().zip(&columns.lines)) {
            stmt.execute(params![
                document.id.0,
                position,
                line.article_id.map(|a| a.0),
                line.description,
                values.quantity,
                line.unit,
                values.unit_price,
                values.discount_percent,
                values.vat_rate,
                values.net_cents,
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
        self.with_payment_values(payment, |values| self.tx.prepare_cached(PAYMENT_WRITE.sql(mode))?.execute(values))?;
        Ok(())
    }

    /// Calls `write` with a payment's values in the order of [`PAYMENT_WRITE`].
    fn with_payment_values<T>(
        &self,
        payment: &Payment,
        write: impl FnOnce(&[&dyn rusqlite::ToSql]) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let (date, cents) = (payment.date.to_string(), to_cents(payment.amount)?);
        let values = params![
            payment.id.0,
            payment.contact_id.map(|c| c.0),
            date,
            cents,
            payment.method.as_str(),
            payment.reference,
            self.now,
        ];
        write(values).map_err(map_constraint)
    }

    /// Writes a payment as the server has it, with its allocations.
    pub(crate) fn write_server_payment(&self, payment: &Payment) -> Result<(), StoreError> {
        let new = self.with_payment_values(payment, |values| PAYMENT_WRITE.replace(&self.tx, values))?;
        if !new {
            self.tx.prepare_cached("DELETE FROM payment_allocations WHERE payment_id = ?1")?.execute([payment.id.0])?;
        }
        for allocation in &payment.allocations {
            self.insert_allocation(payment, allocation)?;
        }
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

/// The values of a document's row and lines that take work to make from the document:
/// its totals, its sort key, its dates, amounts and rates as text. Made apart from the
/// writing, so that a download makes them in the task that parses a page, on the other
/// core, while the writer writes the page before (see
/// [`PreparedSnapshot`](crate::store::PreparedSnapshot)); a local write makes
/// them as it writes. Either way through [`DocumentColumns::of`], so the two cannot differ.
#[derive(Debug)]
pub(crate) struct DocumentColumns {
    /// The document they were made from: written with no other.
    id: DocumentId,
    net_cents: i64,
    vat_cents: i64,
    gross_cents: i64,
    customer_key: String,
    issue_date: String,
    due_date: Option<String>,
    delivery_date: Option<String>,
    structured_communication: Option<String>,
    /// One per line, in the document's order.
    lines: Vec<LineColumns>,
}

#[derive(Debug)]
struct LineColumns {
    quantity: String,
    unit_price: String,
    discount_percent: String,
    vat_rate: String,
    net_cents: i64,
}

impl DocumentColumns {
    /// The values `document` is written with; an error when an amount leaves its range
    /// (which the model's validation refuses first for a local write).
    pub(crate) fn of(document: &Document) -> Result<Self, StoreError> {
        let totals = document.totals()?;
        let lines = document
            .lines
            .iter()
            .map(|line| {
                Ok(LineColumns {
                    quantity: line.quantity.normalize().to_string(),
                    unit_price: line.unit_price.normalize().to_string(),
                    discount_percent: line.discount_percent.normalize().to_string(),
                    vat_rate: line.vat_rate.percent().to_string(),
                    net_cents: to_cents(line.net_amount()?)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Self {
            id: document.id,
            net_cents: to_cents(totals.net)?,
            vat_cents: to_cents(totals.vat)?,
            gross_cents: to_cents(totals.gross)?,
            customer_key: fold_for_sort(&document.customer.name),
            issue_date: document.issue_date.to_string(),
            due_date: document.due_date.map(|d| d.to_string()),
            delivery_date: document.delivery_date.map(|d| d.to_string()),
            structured_communication: document.structured_communication.map(|s| s.to_string()),
            lines,
        })
    }
}

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

/// [`DOCUMENT_WRITE`] with `paid_cents` last, as the server's record carries it.
static SERVER_DOCUMENT_WRITE: LazyLock<TableWrite> = LazyLock::new(|| {
    let columns: Vec<&str> = DOCUMENT_WRITE_COLUMNS.iter().copied().chain(["paid_cents"]).collect();
    TableWrite::new("documents", &columns)
});

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
    /// The INSERT, doing nothing when the id is already there (see [`TableWrite::replace`]).
    insert_new: String,
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
            insert_new: format!("{insert} ON CONFLICT ({}) DO NOTHING", columns[0]),
            insert,
        }
    }

    /// Writes a server's record as [`Write::Upsert`] does, but in two steps, to tell the
    /// caller whether the record was new (`true`): inserted, or else updated in place.
    /// A record that was here has rows of its own to replace (a document's lines, a
    /// payment's allocations); a new one has none, and its caller skips deleting them.
    /// That is every record of a first download: one statement less per document and
    /// per payment (126k records: the writing thread's CPU 4.97 s -> 4.79 s, the means of
    /// three runs each).
    fn replace(&self, tx: &Connection, values: &[&dyn rusqlite::ToSql]) -> Result<bool, rusqlite::Error> {
        if tx.prepare_cached(&self.insert_new)?.execute(values)? == 1 {
            return Ok(true);
        }
        tx.prepare_cached(&self.update)?.execute(values)?;
        Ok(false)
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

/// Writes the company (not its logo: see [`write_logo`]).
pub(crate) fn write_company(conn: &Connection, company: &Company, mode: Write) -> Result<(), StoreError> {
    write_legal_mentions(conn, company, mode)?;
    conn.prepare_cached("UPDATE company SET early_payment_discount = ?1 WHERE singleton = 1")?
        .execute([&company.early_payment_discount])?;
    Ok(())
}

/// Writes the company as a file of versions 11 to 22 holds it: without the
/// early-payment discount terms (version 23).
pub(crate) fn write_legal_mentions(conn: &Connection, company: &Company, mode: Write) -> Result<(), StoreError> {
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

/// The columns of the first schema (files older than version 11 have no others).
pub(super) fn write_company_columns(conn: &Connection, company: &Company, mode: Write) -> Result<(), StoreError> {
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

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
