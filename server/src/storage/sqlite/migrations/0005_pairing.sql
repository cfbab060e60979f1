-- Version 5: a company hosted by one computer of the local network (issue 15): the
-- invitations its devices pair with, and the devices paired. IF NOT EXISTS: a file made
-- to look older by a test (its user_version lowered) keeps the tables.
--
-- An invitation is single use: `spent_at` is set by the first claim (by its link's
-- secret, or by the first key exchange of its typed code, right or wrong) and its code
-- is then forgotten. Only the secret's hash is kept; the code is sealed with the
-- server's key, as two-factor secrets are.
CREATE TABLE IF NOT EXISTS invitations (
    id          BLOB PRIMARY KEY,
    company_id  BLOB NOT NULL REFERENCES companies (id),
    user_id     BLOB NOT NULL REFERENCES users (id),
    secret_hash TEXT NOT NULL UNIQUE,
    code_handle TEXT NOT NULL,
    code        TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    spent_at    TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS invitations_by_handle ON invitations (code_handle) WHERE spent_at IS NULL;

-- A device paired with the host: its session (revoking the device revokes it), and who
-- it signs in as.
CREATE TABLE IF NOT EXISTS devices (
    id           BLOB PRIMARY KEY,
    company_id   BLOB NOT NULL REFERENCES companies (id),
    user_id      BLOB NOT NULL REFERENCES users (id),
    session_id   BLOB NOT NULL UNIQUE REFERENCES sessions (id),
    name         TEXT NOT NULL,
    paired_at    TEXT NOT NULL,
    last_seen_at TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS devices_by_company ON devices (company_id);
