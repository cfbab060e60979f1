-- Version 2: full-text search over contacts, articles and documents (FTS5).
--
-- External-content tables index the business tables' columns without copying them. The
-- unicode61 tokenizer with remove_diacritics folds accents: "societe" finds "Société".
--
-- New rows are not indexed by their INSERT: FTS5 flushes its pending terms to disk at
-- every statement savepoint, so indexing row by row writes one tiny segment per row (a
-- bulk download of a million invoices spent a quarter of its time there). Instead an
-- insert queues the row in `search_pending`, and the write transaction indexes the whole
-- queue in one statement before it commits (`CompanyStore::write`). Updates and deletes
-- are rare and stay immediate — except for a row still in the queue, which is not in the
-- index yet and must not be "deleted" from it.

CREATE TABLE search_pending (
    tbl TEXT    NOT NULL CHECK (tbl IN ('contacts', 'articles', 'documents')),
    rid INTEGER NOT NULL,
    PRIMARY KEY (tbl, rid)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    name, email, vat_number, billing_city,
    content = 'contacts', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO search_pending (tbl, rid) VALUES ('contacts', new.rid);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, email, vat_number, billing_city ON contacts
WHEN NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'contacts' AND rid = old.rid) BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email, vat_number, billing_city)
    VALUES ('delete', old.rid, old.name, old.email, old.vat_number, old.billing_city);
    INSERT INTO contacts_fts (rowid, name, email, vat_number, billing_city)
    VALUES (new.rid, new.name, new.email, new.vat_number, new.billing_city);
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email, vat_number, billing_city)
    SELECT 'delete', old.rid, old.name, old.email, old.vat_number, old.billing_city
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'contacts' AND rid = old.rid);
    DELETE FROM search_pending WHERE tbl = 'contacts' AND rid = old.rid;
END;

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    code, name,
    content = 'articles', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO search_pending (tbl, rid) VALUES ('articles', new.rid);
END;
CREATE TRIGGER articles_search_update AFTER UPDATE OF code, name ON articles
WHEN NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'articles' AND rid = old.rid) BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, code, name) VALUES ('delete', old.rid, old.code, old.name);
    INSERT INTO articles_fts (rowid, code, name) VALUES (new.rid, new.code, new.name);
END;
CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, code, name)
    SELECT 'delete', old.rid, old.code, old.name
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'articles' AND rid = old.rid);
    DELETE FROM search_pending WHERE tbl = 'articles' AND rid = old.rid;
END;

CREATE VIRTUAL TABLE documents_fts USING fts5 (
    number, customer_name, notes,
    content = 'documents', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_search_insert AFTER INSERT ON documents BEGIN
    INSERT INTO search_pending (tbl, rid) VALUES ('documents', new.rid);
END;
CREATE TRIGGER documents_search_update AFTER UPDATE OF number, customer_name, notes ON documents
WHEN NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'documents' AND rid = old.rid) BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, number, customer_name, notes)
    VALUES ('delete', old.rid, old.number, old.customer_name, old.notes);
    INSERT INTO documents_fts (rowid, number, customer_name, notes)
    VALUES (new.rid, new.number, new.customer_name, new.notes);
END;
CREATE TRIGGER documents_search_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts (documents_fts, rowid, number, customer_name, notes)
    SELECT 'delete', old.rid, old.number, old.customer_name, old.notes
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE tbl = 'documents' AND rid = old.rid);
    DELETE FROM search_pending WHERE tbl = 'documents' AND rid = old.rid;
END;

-- Index what a version-1 file already holds.
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');
