-- Version 3: the client's copy of the server's change log.
--
-- `replica` holds the latest state of every record as the server sent it (JSON text,
-- byte for byte), so that the client's counts and checksums can be compared with the
-- server's (`comptoir-server admin stats`). `sync_cursor` is where the client stands in
-- the server's log; a page of changes and the cursor move in the same transaction.

CREATE TABLE replica (
    kind TEXT    NOT NULL CHECK (kind IN ('contact', 'article', 'document', 'payment', 'settings', 'member', 'audit')),
    id   BLOB    NOT NULL,
    seq  INTEGER NOT NULL,
    body TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_cursor (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch     BLOB    NOT NULL,
    seq       INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;
