-- Version 4: the parts of a posting sent in several requests, staged outside the
-- company's log until the posting is committed whole — or dropped, when abandoned (after
-- a day, or when another posting of the same period starts). Nothing here is part of the
-- company's data: a backup may carry staged parts, a restore keeps them for their
-- poster to commit or to let expire. IF NOT EXISTS: a file made to look older by a test
-- (its user_version lowered) keeps the table.
CREATE TABLE IF NOT EXISTS posting_parts (
    company_id  BLOB    NOT NULL REFERENCES companies (id),
    posting_id  BLOB    NOT NULL,
    part        INTEGER NOT NULL,
    period_from TEXT,
    period_to   TEXT    NOT NULL,
    staged_at   TEXT    NOT NULL,
    entries     INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    UNIQUE (company_id, posting_id, part)
) STRICT;
CREATE INDEX IF NOT EXISTS posting_parts_by_time ON posting_parts (company_id, staged_at);
