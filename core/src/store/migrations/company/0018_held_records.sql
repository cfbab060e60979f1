-- Version 18: the server's records this copy could not apply.
--
-- A page of the server's log is applied in one transaction. When one of its records
-- cannot be written here (it does not parse, or breaks a rule of this copy's tables),
-- the record is kept aside in `held_record` with the reason, the rest of the page is
-- applied and the cursor moves on: the copy says so once and never asks for the same
-- page again. A later change of the record replaces it; every later page tries the
-- records kept here again (a newer Comptoir may read them), and those that apply leave.
-- The replica lists the record as received, so the copy's figures still match the
-- server's; `held_record` is what the screens do not show.
CREATE TABLE held_record (
    kind    TEXT    NOT NULL,
    id      BLOB    NOT NULL,
    seq     INTEGER NOT NULL,
    body    TEXT,
    code    TEXT    NOT NULL,
    message TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;
