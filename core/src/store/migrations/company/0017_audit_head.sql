-- Version 17: the head of the company's audit chain as the server signed it, and the
-- server's public key.
--
-- The server signs the last record of the chain (its seq and hash, the company, the
-- time) with an ed25519 key kept outside its database, and sends the signed head with
-- the last page of every pull; the copy keeps the latest one (`audit_head`). The key is
-- the one the server published in its sync status when this copy was first downloaded
-- (`server_key`, pinned then and never replaced). The integrity check compares the
-- copy's chain with the signed head: a trail cut short or rebuilt from its first record
-- no longer passes, and a head signed with another key is named as such.
CREATE TABLE server_key (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    audit_key TEXT    NOT NULL
) STRICT;

CREATE TABLE audit_head (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    hash      TEXT    NOT NULL,
    signed_at TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    signature TEXT    NOT NULL
) STRICT;
