-- Version 2: the old files kept aside when a company was downloaded again (the server's
-- data was restored or rebuilt). Each one may hold edits that never reached the server:
-- the app keeps its path here and shows it, with the edits it holds, until the user has
-- seen it. The file itself is never deleted by the app.
CREATE TABLE kept_copies (
    path       TEXT    PRIMARY KEY,
    company_id BLOB    NOT NULL,
    kept_at    TEXT    NOT NULL,
    -- Edits of the old file that had not reached the server when it was kept.
    pending    INTEGER NOT NULL CHECK (pending >= 0)
) STRICT;
CREATE INDEX kept_copies_by_company ON kept_copies (company_id);
