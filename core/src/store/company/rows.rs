//! Rows of a company file to model types: the columns each record is read with, the
//! functions that map them, and the parsing of stored text that reports a corrupt value.

use std::str::FromStr;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::{
    Address, Allocation, Article, ArticleId, Bic, Company, CompanyId, Contact, ContactId, ContactKind, Country,
    Currency, Document, DocumentId, DocumentKind, DocumentLanguage, DocumentLine, DocumentStatus, Iban, Logo,
    ModelError, NationalId, NumberingSeries, PartySnapshot, Payment, PaymentId, PaymentMethod, StructuredCommunication,
    VatCategory, VatNumber, VatRate, YearInNumber, from_cents,
};
use crate::store::StoreError;

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

/// The columns [`company_from_row`] reads, in its order.
pub(in crate::store) const COMPANY_COLUMNS: &str = "id, legal_name, street, street2, postcode, city, country, vat_number, \
    national_id, iban, bic, currency, payment_terms_days, legal_form, share_capital, register_city, \
    late_penalty_rate, vat_exempt, early_payment_discount";

pub(in crate::store) fn company_from_row(row: &Row<'_>) -> Result<Company, StoreError> {
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
        early_payment_discount: row.get(18)?,
    })
}

pub(in crate::store) fn read_logo(conn: &Connection) -> Result<Option<Logo>, StoreError> {
    let bytes: Option<Vec<u8>> = conn.query_row("SELECT logo FROM company WHERE singleton = 1", [], |r| r.get(0))?;
    bytes.map(|bytes| Logo::from_png(bytes).map_err(|e| corrupt("company.logo", "(picture)", &e))).transpose()
}

pub(in crate::store) fn read_series(conn: &Connection, kind: DocumentKind) -> Result<NumberingSeries, StoreError> {
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

pub(in crate::store) const CONTACT_COLUMNS: &str = "id, kind, name, is_customer, is_supplier, email, phone, vat_number,
    billing_street, billing_street2, billing_postcode, billing_city, billing_country,
    delivery_street, delivery_street2, delivery_postcode, delivery_city, delivery_country,
    payment_terms_days, archived, language, peppol_id";

pub(in crate::store) fn contact_from_row(row: &Row<'_>) -> Result<Contact, StoreError> {
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
        peppol_id: parse_opt("contacts.peppol_id", row.get(21)?, str::parse)?,
    })
}

pub(in crate::store) const ARTICLE_COLUMNS: &str = "id, code, name, unit, unit_price, vat_rate, archived";

pub(in crate::store) fn article_from_row(row: &Row<'_>) -> Result<Article, StoreError> {
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

pub(in crate::store) fn read_document(conn: &Connection, id: DocumentId) -> Result<Document, StoreError> {
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

pub(in crate::store) fn read_payment(conn: &Connection, id: PaymentId) -> Result<Option<Payment>, StoreError> {
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
