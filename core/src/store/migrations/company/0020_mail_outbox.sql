-- Version 20: the e-mail outbox, and the company's SMTP settings.
--
-- A message queued to be sent by e-mail waits here until the SMTP server takes it: while
-- offline, it stays `waiting` and leaves at the next sending pass. Each attempt is
-- counted before the message is handed to the server (`sending`), then the message is
-- marked `sent` with the time, or back to `waiting` with the error and the time of its
-- next try, or `failed` for good (refused by the server, or too many attempts).
-- `message_id` is chosen when the message is queued and sent with it every time: a
-- message found `sending` (the app stopped between sending and marking it) is sent again
-- with the same Message-ID, so that a copy is recognisable. Local to this computer: the
-- outbox is not synced.
CREATE TABLE mail_outbox (
    id              BLOB    PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    -- The document sent, when the message carries one (for its "sent on" line).
    document_id     BLOB,
    recipients      TEXT    NOT NULL,  -- JSON array of addresses
    cc              TEXT    NOT NULL,  -- JSON array of addresses
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    size            INTEGER NOT NULL CHECK (size >= 0),
    queued_at       TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT    NOT NULL,
    last_error_code TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
) STRICT;

CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at) WHERE state IN ('waiting', 'sending');

CREATE TABLE mail_attachment (
    message  BLOB    NOT NULL REFERENCES mail_outbox (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    mime     TEXT    NOT NULL,
    bytes    BLOB    NOT NULL,
    PRIMARY KEY (message, position)
) STRICT, WITHOUT ROWID;

-- One row: where this company's e-mails leave from. The password is in the OS keychain.
CREATE TABLE mail_settings (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    host           TEXT    NOT NULL,
    port           INTEGER NOT NULL,
    security       TEXT    NOT NULL CHECK (security IN ('starttls', 'tls', 'none')),
    username       TEXT,
    sender_address TEXT    NOT NULL,
    sender_name    TEXT    NOT NULL,
    reply_to       TEXT
) STRICT;
