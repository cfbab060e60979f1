-- Version 4: local edits waiting for the server.
--
-- Every local edit writes its business rows and its outbox entry in one transaction. An
-- entry leaves the outbox only when the server has applied it and this copy has pulled
-- past the change that applied it; a refused entry stays, with the server's reason, for
-- the user to see. `mutation_id` only grows (AUTOINCREMENT never reuses a number): with
-- `device.client_id` it is the server's exactly-once key.

CREATE TABLE device (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    client_id BLOB    NOT NULL
) STRICT;

CREATE TABLE outbox (
    mutation_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    intent         TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'rejected')),
    applied_seq    INTEGER,
    reject_code    TEXT,
    reject_message TEXT,
    CHECK ((state = 'applied') = (applied_seq IS NOT NULL)),
    CHECK ((state = 'rejected') = (reject_code IS NOT NULL))
) STRICT;
CREATE INDEX outbox_by_state ON outbox (state, mutation_id);
