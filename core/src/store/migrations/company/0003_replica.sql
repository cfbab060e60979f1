-- Version 3: the client's copy of the server's change log.
--
-- `replica` lists every record the server holds for this company, with the seq of its
-- last change and the digest of its JSON as the server sent it (the first 8 bytes of
-- SHA-256(id, body), see `sync::record_digest`): enough to compare the copy's counts and
-- checksums with the server's (`comptoir-server admin stats`) without storing every
-- record twice. The records themselves live in the business tables. `sync_cursor` is
-- where the client stands in the server's log; a page and the cursor move together.

CREATE TABLE replica (
    kind   TEXT    NOT NULL CHECK (kind IN ('contact', 'article', 'document', 'payment', 'settings', 'member', 'audit')),
    id     BLOB    NOT NULL,
    seq    INTEGER NOT NULL,
    digest INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_cursor (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch     BLOB    NOT NULL,
    seq       INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;
