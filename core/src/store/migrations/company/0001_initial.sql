-- Comptoir company file, version 1: the company and its business records.
--
-- Conventions: every record has `id`, its UUIDv7 as a 16-byte BLOB (made by whoever
-- created the record, the same on every replica), and `rid`, a local INTEGER PRIMARY
-- KEY that keeps B-trees compact and gives full-text search a stable rowid. Amounts
-- rounded to the cent are INTEGER cents; inputs that may carry more precision (unit
-- prices, quantities, rates) are canonical decimal TEXT. Dates are ISO 8601 TEXT.
-- `*_key` columns are folded (lower case, no accents) copies used for sorting.

-- The company this file belongs to: exactly one row. Its id identifies the file even
-- after it has been moved or renamed.
CREATE TABLE company (
    singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
    id                 BLOB    NOT NULL,
    legal_name         TEXT    NOT NULL,
    street             TEXT    NOT NULL,
    street2            TEXT    NOT NULL,
    postcode           TEXT    NOT NULL,
    city               TEXT    NOT NULL,
    country            TEXT    NOT NULL,
    vat_number         TEXT,
    national_id        TEXT,
    iban               TEXT,
    bic                TEXT,
    currency           TEXT    NOT NULL,
    payment_terms_days INTEGER NOT NULL,
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE numbering_series (
    kind        TEXT    PRIMARY KEY CHECK (kind IN ('quote', 'invoice', 'credit_note', 'delivery_note')),
    prefix      TEXT    NOT NULL,
    year_format TEXT    NOT NULL CHECK (year_format IN ('none', 'full', 'short')),
    separator   TEXT    NOT NULL,
    width       INTEGER NOT NULL CHECK (width BETWEEN 1 AND 12),
    next_number INTEGER NOT NULL CHECK (next_number >= 1),
    last_issued INTEGER CHECK (last_issued IS NULL OR last_issued < next_number)
) STRICT;

CREATE TABLE members (
    user_id      BLOB PRIMARY KEY,
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'sales', 'accountant', 'read_only'))
) STRICT;

CREATE TABLE contacts (
    rid                INTEGER PRIMARY KEY,
    id                 BLOB    NOT NULL UNIQUE,
    kind               TEXT    NOT NULL CHECK (kind IN ('person', 'company')),
    name               TEXT    NOT NULL,
    name_key           TEXT    NOT NULL,
    is_customer        INTEGER NOT NULL CHECK (is_customer IN (0, 1)),
    is_supplier        INTEGER NOT NULL CHECK (is_supplier IN (0, 1)),
    email              TEXT,
    phone              TEXT,
    vat_number         TEXT,
    billing_street     TEXT    NOT NULL,
    billing_street2    TEXT    NOT NULL,
    billing_postcode   TEXT    NOT NULL,
    billing_city       TEXT    NOT NULL,
    billing_country    TEXT    NOT NULL,
    delivery_street    TEXT,
    delivery_street2   TEXT,
    delivery_postcode  TEXT,
    delivery_city      TEXT,
    delivery_country   TEXT,
    payment_terms_days INTEGER,
    archived           INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    updated_at         TEXT    NOT NULL,
    CHECK (is_customer OR is_supplier)
) STRICT;
CREATE INDEX contacts_by_name ON contacts (archived, name_key);

CREATE TABLE articles (
    rid        INTEGER PRIMARY KEY,
    id         BLOB    NOT NULL UNIQUE,
    code       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name       TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    unit_price TEXT    NOT NULL,
    vat_rate   TEXT    NOT NULL,
    archived   INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    updated_at TEXT    NOT NULL
) STRICT;

CREATE TABLE documents (
    rid                      INTEGER PRIMARY KEY,
    id                       BLOB    NOT NULL UNIQUE,
    kind                     TEXT    NOT NULL CHECK (kind IN ('quote', 'invoice', 'credit_note', 'delivery_note')),
    status                   TEXT    NOT NULL CHECK (status IN ('draft', 'issued', 'accepted', 'declined', 'converted', 'partially_paid', 'paid')),
    number                   TEXT,
    number_key               TEXT    GENERATED ALWAYS AS (ifnull(number, '')) VIRTUAL,
    contact_id               BLOB    NOT NULL REFERENCES contacts (id),
    customer_name            TEXT    NOT NULL,
    customer_key             TEXT    NOT NULL,
    customer_street          TEXT    NOT NULL,
    customer_street2         TEXT    NOT NULL,
    customer_postcode        TEXT    NOT NULL,
    customer_city            TEXT    NOT NULL,
    customer_country         TEXT    NOT NULL,
    customer_vat_number      TEXT,
    issue_date               TEXT    NOT NULL,
    due_date                 TEXT,
    corrects_id              BLOB    REFERENCES documents (id),
    source_id                BLOB    REFERENCES documents (id),
    currency                 TEXT    NOT NULL,
    net_cents                INTEGER NOT NULL,
    vat_cents                INTEGER NOT NULL,
    gross_cents              INTEGER NOT NULL,
    paid_cents               INTEGER NOT NULL DEFAULT 0,
    notes                    TEXT    NOT NULL DEFAULT '',
    structured_communication TEXT,
    updated_at               TEXT    NOT NULL,
    CHECK (number IS NULL OR status <> 'draft'),
    CHECK (kind <> 'credit_note' OR corrects_id IS NOT NULL)
) STRICT;
-- No two documents of a kind share a number.
CREATE UNIQUE INDEX documents_number_unique ON documents (kind, number) WHERE number IS NOT NULL;
-- The list screens' three sort orders; the implicit rowid (rid) ends each key.
CREATE INDEX documents_by_date     ON documents (kind, issue_date);
CREATE INDEX documents_by_number   ON documents (kind, number_key);
CREATE INDEX documents_by_customer ON documents (kind, customer_key, issue_date);
-- A contact's documents, and the credit notes of an invoice.
CREATE INDEX documents_by_contact  ON documents (contact_id, issue_date);
CREATE INDEX documents_by_corrects ON documents (corrects_id) WHERE corrects_id IS NOT NULL;

CREATE TABLE document_lines (
    document_id      BLOB    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    article_id       BLOB    REFERENCES articles (id),
    description      TEXT    NOT NULL,
    quantity         TEXT    NOT NULL,
    unit             TEXT    NOT NULL,
    unit_price       TEXT    NOT NULL,
    discount_percent TEXT    NOT NULL,
    vat_rate         TEXT    NOT NULL,
    net_cents        INTEGER NOT NULL,
    PRIMARY KEY (document_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
    rid          INTEGER PRIMARY KEY,
    id           BLOB    NOT NULL UNIQUE,
    contact_id   BLOB    REFERENCES contacts (id),
    date         TEXT    NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    method       TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
) STRICT;
CREATE INDEX payments_by_date ON payments (date);

CREATE TABLE payment_allocations (
    payment_id   BLOB    NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    document_id  BLOB    NOT NULL REFERENCES documents (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (payment_id, document_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX allocations_by_document ON payment_allocations (document_id);
