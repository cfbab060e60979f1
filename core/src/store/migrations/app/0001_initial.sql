-- Comptoir's app-level file: accounts, the server URL and the companies on this machine.
-- Business data never lives here: each company has its own file.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE accounts (
    user_id      BLOB PRIMARY KEY,
    email        TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    server_url   TEXT NOT NULL,
    last_sign_in TEXT
) STRICT;

CREATE TABLE local_companies (
    company_id      BLOB    PRIMARY KEY,
    account_user_id BLOB    REFERENCES accounts (user_id) ON DELETE SET NULL,
    name            TEXT    NOT NULL,
    file_path       TEXT    NOT NULL,
    last_opened     TEXT,
    active          INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
) STRICT;
-- One company is active at a time.
CREATE UNIQUE INDEX local_companies_one_active ON local_companies (active) WHERE active = 1;
