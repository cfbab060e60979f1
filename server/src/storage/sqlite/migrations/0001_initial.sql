-- Version 1: the schema the server had before its database was versioned. Every
-- statement is IF NOT EXISTS, so that a database created then (user_version 0, with
-- these tables) is recognised and brought to version 1 unchanged.
CREATE TABLE IF NOT EXISTS users (
    id              BLOB    PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    totp_secret     TEXT,
    totp_enabled    INTEGER NOT NULL DEFAULT 0,
    totp_last_step  INTEGER,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS sessions (
    id                    BLOB    PRIMARY KEY,
    user_id               BLOB    NOT NULL REFERENCES users (id),
    refresh_hash          TEXT    NOT NULL UNIQUE,
    previous_refresh_hash TEXT,
    refresh_expires_at    TEXT    NOT NULL,
    revoked               INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_by_previous ON sessions (previous_refresh_hash);
CREATE TABLE IF NOT EXISTS access_tokens (
    hash       TEXT PRIMARY KEY,
    session_id BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS access_tokens_by_session ON access_tokens (session_id);
CREATE TABLE IF NOT EXISTS challenges (
    hash       TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS companies (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS members (
    company_id BLOB NOT NULL REFERENCES companies (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'sales', 'accountant', 'read_only')),
    PRIMARY KEY (company_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id);

-- A company's change log: the latest state of each record and the seq of its last
-- change. Pulling is reading rows by seq.
CREATE TABLE IF NOT EXISTS logs (
    company_id BLOB    PRIMARY KEY REFERENCES companies (id),
    epoch      BLOB    NOT NULL,
    seq        INTEGER NOT NULL DEFAULT 0,
    audit_seq  INTEGER NOT NULL DEFAULT 0,
    audit_hash TEXT    NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS records (
    company_id BLOB    NOT NULL,
    kind       TEXT    NOT NULL,
    id         BLOB    NOT NULL,
    seq        INTEGER NOT NULL,
    body       TEXT,
    PRIMARY KEY (company_id, kind, id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS records_by_seq ON records (company_id, seq, kind);
CREATE TABLE IF NOT EXISTS unique_keys (
    company_id BLOB NOT NULL,
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    owner      BLOB NOT NULL,
    PRIMARY KEY (company_id, namespace, key)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mutations (
    company_id  BLOB    NOT NULL,
    client_id   BLOB    NOT NULL,
    mutation_id INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    PRIMARY KEY (company_id, client_id, mutation_id)
) STRICT, WITHOUT ROWID;
