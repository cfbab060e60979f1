-- Version 7: the company's audit trail, as the server sends it.
--
-- Each record is kept whole (its changed fields as JSON, its hashes), so that the copy
-- can show a document's history, filter the trail and check its hash chain offline.
-- `seq` is the record's place in the company's chain (1, 2, 3 …).
CREATE TABLE audit_trail (
    seq        INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    user_id    BLOB,
    user_email TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    entity_id  BLOB,
    changes    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
) STRICT;
-- A record's history (its detail panel).
CREATE INDEX audit_by_entity ON audit_trail (entity_id, seq) WHERE entity_id IS NOT NULL;
-- Status filters of the document lists, and the dashboard's open invoices.
CREATE INDEX documents_by_status ON documents (kind, status, issue_date);
