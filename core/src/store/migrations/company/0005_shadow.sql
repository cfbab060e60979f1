-- Version 5: what a copy needs to rebase its own edits on the server's.
--
-- The business tables show the server's records with this copy's pending edits applied
-- on top. Before a pending edit first changes a record, the record as the server last
-- sent it is kept in `shadow` (`body` NULL: the server has no such record). Changes the
-- server sends for a shadowed record update the shadow; then, and whenever the server
-- refuses an edit, the copy rebases: every shadowed record is put back as the server has
-- it and the edits still waiting are applied again, in order. A record without a shadow
-- is exactly as the server has it.
CREATE TABLE shadow (
    kind TEXT NOT NULL CHECK (kind IN ('contact', 'article', 'document', 'payment', 'settings')),
    id   BLOB NOT NULL,
    body TEXT,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- When this copy last completed a sync with the server, and the offline grace the server
-- grants: enough to know, offline and after a restart, whether edits are still allowed.
CREATE TABLE sync_state (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_sync_at TEXT    NOT NULL,
    grace_hours  INTEGER NOT NULL CHECK (grace_hours >= 0)
) STRICT;
