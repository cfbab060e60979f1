-- Version 9: accounting entries and their postings.
--
-- Entries are derived from their sources (issued invoices and credit notes, payments),
-- never typed. Triggers list every source that changed in `ledger_dirty`; the engine
-- derives those again (`CompanyStore::refresh_ledger`) and keeps, per source, the
-- fingerprint of the entry it stands for now and of the entry standing posted. Where the
-- two differ the source has pending entries: the new one, and the reversal of the posted
-- one. Postings are records of the server's log (kind `posting`), kept whole in
-- `postings` so that a posted batch can be exported again exactly.

-- The server's log now also carries postings: the replica's kinds grow (a CHECK
-- constraint cannot be altered in SQLite, so the table is rebuilt).
CREATE TABLE replica_new (
    kind   TEXT    NOT NULL CHECK (kind IN ('contact', 'article', 'document', 'payment', 'settings', 'member', 'audit', 'posting')),
    id     BLOB    NOT NULL,
    seq    INTEGER NOT NULL,
    digest INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;
INSERT INTO replica_new (kind, id, seq, digest) SELECT kind, id, seq, digest FROM replica;
DROP TABLE replica;
ALTER TABLE replica_new RENAME TO replica;

CREATE TABLE ledger (
    source_id          BLOB    PRIMARY KEY,
    -- The entry's date when it is new: the document's or the payment's.
    date               TEXT,
    -- The entry the source stands for now; NULL when it stands for none.
    fingerprint        TEXT,
    -- The day the source was last seen to stand for a different entry: the date of a
    -- reversal and of its replacement.
    changed_on         TEXT    NOT NULL,
    -- The entry standing posted (its JSON, for its reversal, and its date); NULL when none.
    posted_fingerprint TEXT,
    posted_entry       TEXT,
    posted_date        TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_pending ON ledger (date) WHERE fingerprint IS NOT posted_fingerprint;

-- (No OR IGNORE in the triggers: the conflict policy of the statement that fires a
-- trigger overrides its own, so they look before they insert.)
CREATE TABLE ledger_dirty (
    source_id BLOB PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('document', 'payment'))
) STRICT, WITHOUT ROWID;

CREATE TRIGGER ledger_document_insert AFTER INSERT ON documents
WHEN NEW.kind IN ('invoice', 'credit_note') AND NEW.status <> 'draft'
BEGIN
    INSERT INTO ledger_dirty (source_id, kind) SELECT NEW.id, 'document'
    WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE source_id = NEW.id);
END;
CREATE TRIGGER ledger_document_update AFTER UPDATE ON documents
WHEN NEW.kind IN ('invoice', 'credit_note') AND (NEW.status <> 'draft' OR OLD.status <> 'draft')
BEGIN
    INSERT INTO ledger_dirty (source_id, kind) SELECT NEW.id, 'document'
    WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE source_id = NEW.id);
END;
CREATE TRIGGER ledger_document_delete AFTER DELETE ON documents
WHEN OLD.kind IN ('invoice', 'credit_note') AND OLD.status <> 'draft'
BEGIN
    INSERT INTO ledger_dirty (source_id, kind) SELECT OLD.id, 'document'
    WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE source_id = OLD.id);
END;
CREATE TRIGGER ledger_payment_insert AFTER INSERT ON payments
BEGIN
    INSERT INTO ledger_dirty (source_id, kind) SELECT NEW.id, 'payment'
    WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE source_id = NEW.id);
END;
CREATE TRIGGER ledger_payment_update AFTER UPDATE ON payments
BEGIN
    INSERT INTO ledger_dirty (source_id, kind) SELECT NEW.id, 'payment'
    WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE source_id = NEW.id);
END;
CREATE TRIGGER ledger_payment_delete AFTER DELETE ON payments
BEGIN
    INSERT INTO ledger_dirty (source_id, kind) SELECT OLD.id, 'payment'
    WHERE NOT EXISTS (SELECT 1 FROM ledger_dirty WHERE source_id = OLD.id);
END;

-- The last number posted in each journal: the next posting goes on from there.
CREATE TABLE ledger_numbers (
    journal TEXT    PRIMARY KEY CHECK (journal IN ('sales', 'bank')),
    last    INTEGER NOT NULL
) STRICT;

CREATE TABLE postings (
    id        BLOB PRIMARY KEY,
    period_to TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    posted_by TEXT NOT NULL,
    entries   INTEGER NOT NULL,
    body      TEXT NOT NULL
) STRICT;

-- A copy made before this version derives its entries once.
INSERT INTO ledger_dirty (source_id, kind)
    SELECT id, 'document' FROM documents WHERE kind IN ('invoice', 'credit_note') AND status <> 'draft';
INSERT INTO ledger_dirty (source_id, kind) SELECT id, 'payment' FROM payments;

-- The company's own chart of accounts (from its settings record), when it set one.
CREATE TABLE account_plan (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    body      TEXT    NOT NULL
) STRICT;
