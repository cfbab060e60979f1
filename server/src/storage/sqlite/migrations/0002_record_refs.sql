-- Version 2: which records refer to which contact or article — a document to its
-- customer and to the articles of its lines, a payment to its payer — so that "may this
-- contact be deleted?" is answered from a primary key, never by reading a company's every
-- document. Kept by triggers from the records' JSON, so that every way a record is
-- written (the rules, the demo's bulk load) keeps it right; filled in below for the
-- records written before.
--
-- The triggers' inserts list each target once (UNION, not UNION ALL: two lines of one
-- article): their OR IGNORE does not hold inside a trigger fired by an upsert, whose own
-- conflict clause SQLite applies instead.
CREATE TABLE record_refs (
    company_id  BLOB NOT NULL,
    target      TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source      BLOB NOT NULL,
    PRIMARY KEY (company_id, target, source_kind, source)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_refs_by_source ON record_refs (company_id, source_kind, source);
CREATE TRIGGER record_refs_insert AFTER INSERT ON records
WHEN new.kind IN ('document', 'payment') AND new.body IS NOT NULL BEGIN
    INSERT OR IGNORE INTO record_refs (company_id, target, source_kind, source)
    SELECT new.company_id, target, new.kind, new.id FROM (
        SELECT json_extract(new.body, '$.record.document.contact_id') AS target
        UNION SELECT json_extract(value, '$.article_id') FROM json_each(new.body, '$.record.document.lines')
        UNION SELECT json_extract(new.body, '$.record.contact_id')
    ) WHERE target IS NOT NULL;
END;
CREATE TRIGGER record_refs_update AFTER UPDATE OF body ON records
WHEN new.kind IN ('document', 'payment') BEGIN
    DELETE FROM record_refs WHERE company_id = new.company_id AND source_kind = new.kind AND source = new.id;
    INSERT OR IGNORE INTO record_refs (company_id, target, source_kind, source)
    SELECT new.company_id, target, new.kind, new.id FROM (
        SELECT json_extract(new.body, '$.record.document.contact_id') AS target
        UNION SELECT json_extract(value, '$.article_id') FROM json_each(new.body, '$.record.document.lines')
        UNION SELECT json_extract(new.body, '$.record.contact_id')
    ) WHERE target IS NOT NULL AND new.body IS NOT NULL;
END;
-- The records written before this table existed.
INSERT OR IGNORE INTO record_refs (company_id, target, source_kind, source)
SELECT company_id, json_extract(body, '$.record.document.contact_id'), kind, id
  FROM records WHERE kind = 'document' AND body IS NOT NULL;
INSERT OR IGNORE INTO record_refs (company_id, target, source_kind, source)
SELECT r.company_id, json_extract(l.value, '$.article_id'), r.kind, r.id
  FROM records r, json_each(r.body, '$.record.document.lines') l
 WHERE r.kind = 'document' AND r.body IS NOT NULL AND json_extract(l.value, '$.article_id') IS NOT NULL;
INSERT OR IGNORE INTO record_refs (company_id, target, source_kind, source)
SELECT company_id, json_extract(body, '$.record.contact_id'), kind, id
  FROM records WHERE kind = 'payment' AND body IS NOT NULL AND json_extract(body, '$.record.contact_id') IS NOT NULL;
