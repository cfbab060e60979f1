-- The server's schema on PostgreSQL: the tables of server.sqlite at its version 7 (see
-- server/src/storage/sqlite/migrations), one shared schema keyed by company id. Times
-- are timestamptz; records' bodies are text, kept exactly as written (jsonb would
-- rewrite them and change their checksums). Text that lists are sorted by compares
-- byte by byte (COLLATE "C"), as SQLite does, whatever the database's locale.
CREATE TABLE users (
    id              uuid        PRIMARY KEY,
    email           text        COLLATE "C" NOT NULL UNIQUE,
    display_name    text        NOT NULL,
    password_hash   text        NOT NULL,
    totp_secret     text,
    totp_enabled    boolean     NOT NULL DEFAULT false,
    totp_last_step  bigint,
    failed_logins   integer     NOT NULL DEFAULT 0,
    locked_until    timestamptz
);
CREATE TABLE sessions (
    id                    uuid        PRIMARY KEY,
    user_id               uuid        NOT NULL REFERENCES users (id),
    refresh_hash          text        NOT NULL UNIQUE,
    previous_refresh_hash text,
    refresh_expires_at    timestamptz NOT NULL,
    revoked               boolean     NOT NULL DEFAULT false
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_previous ON sessions (previous_refresh_hash);
CREATE TABLE access_tokens (
    hash       text        PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX access_tokens_by_session ON access_tokens (session_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
CREATE TABLE challenges (
    hash       text        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id),
    expires_at timestamptz NOT NULL
);
CREATE TABLE companies (
    id         uuid        PRIMARY KEY,
    name       text        COLLATE "C" NOT NULL,
    country    text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE members (
    company_id uuid NOT NULL REFERENCES companies (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'sales', 'accountant', 'read_only')),
    PRIMARY KEY (company_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id);

-- A company's change log. Its row is the company's lock: every company transaction
-- starts by taking it (SELECT … FOR UPDATE), so seqs are allocated one transaction at a
-- time and commit in their order (never a sequence: aborted transactions would leave
-- gaps, and out-of-order commits would let a puller skip a change).
CREATE TABLE logs (
    company_id uuid   PRIMARY KEY REFERENCES companies (id),
    epoch      uuid   NOT NULL,
    seq        bigint NOT NULL DEFAULT 0,
    audit_seq  bigint NOT NULL DEFAULT 0,
    audit_hash text   NOT NULL
);
CREATE TABLE records (
    company_id uuid   NOT NULL,
    kind       text   COLLATE "C" NOT NULL,
    id         uuid   NOT NULL,
    seq        bigint NOT NULL,
    body       text,
    PRIMARY KEY (company_id, kind, id)
);
CREATE UNIQUE INDEX records_by_seq ON records (company_id, seq, kind);
CREATE TABLE unique_keys (
    company_id uuid NOT NULL,
    namespace  text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    owner      uuid NOT NULL,
    PRIMARY KEY (company_id, namespace, key)
);
CREATE TABLE mutations (
    company_id  uuid   NOT NULL,
    client_id   uuid   NOT NULL,
    mutation_id bigint NOT NULL,
    outcome     text   NOT NULL,
    digest      text,
    PRIMARY KEY (company_id, client_id, mutation_id)
);

-- Which records refer to which contact or article, kept by a trigger from the records'
-- JSON (as server.sqlite's version 2 does): "may this contact be deleted?" is answered
-- from a primary key.
CREATE TABLE record_refs (
    company_id  uuid NOT NULL,
    target      text NOT NULL,
    source_kind text NOT NULL,
    source      uuid NOT NULL,
    PRIMARY KEY (company_id, target, source_kind, source)
);
CREATE INDEX record_refs_by_source ON record_refs (company_id, source_kind, source);
CREATE FUNCTION record_refs_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body jsonb;
    lines jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM record_refs
         WHERE company_id = NEW.company_id AND source_kind = NEW.kind AND source = NEW.id;
    END IF;
    IF NEW.body IS NULL THEN
        RETURN NULL;
    END IF;
    body := NEW.body::jsonb;
    lines := body #> '{record,document,lines}';
    IF lines IS NULL OR jsonb_typeof(lines) <> 'array' THEN
        lines := '[]'::jsonb;
    END IF;
    INSERT INTO record_refs (company_id, target, source_kind, source)
    SELECT NEW.company_id, target, NEW.kind, NEW.id FROM (
        SELECT body #>> '{record,document,contact_id}' AS target
        UNION SELECT line ->> 'article_id' FROM jsonb_array_elements(lines) AS line
        UNION SELECT body #>> '{record,contact_id}'
    ) AS targets WHERE target IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER record_refs_insert AFTER INSERT ON records
    FOR EACH ROW WHEN (NEW.kind IN ('document', 'payment')) EXECUTE FUNCTION record_refs_keep();
CREATE TRIGGER record_refs_update AFTER UPDATE OF body ON records
    FOR EACH ROW WHEN (NEW.kind IN ('document', 'payment')) EXECUTE FUNCTION record_refs_keep();

CREATE TABLE posting_parts (
    company_id  uuid        NOT NULL REFERENCES companies (id),
    posting_id  uuid        NOT NULL,
    part        bigint      NOT NULL,
    period_from date,
    period_to   date        NOT NULL,
    staged_at   timestamptz NOT NULL,
    entries     bigint      NOT NULL,
    bytes       bigint      NOT NULL,
    body        text        NOT NULL,
    UNIQUE (company_id, posting_id, part)
);
CREATE INDEX posting_parts_by_time ON posting_parts (company_id, staged_at);

CREATE TABLE invitations (
    id          uuid        PRIMARY KEY,
    company_id  uuid        NOT NULL REFERENCES companies (id),
    user_id     uuid        NOT NULL REFERENCES users (id),
    secret_hash text        NOT NULL UNIQUE,
    code_handle text        NOT NULL,
    code        text,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    spent_at    timestamptz
);
CREATE INDEX invitations_by_handle ON invitations (code_handle) WHERE spent_at IS NULL;
CREATE TABLE devices (
    id           uuid        PRIMARY KEY,
    company_id   uuid        NOT NULL REFERENCES companies (id),
    user_id      uuid        NOT NULL REFERENCES users (id),
    session_id   uuid        NOT NULL UNIQUE REFERENCES sessions (id),
    name         text        NOT NULL,
    paired_at    timestamptz NOT NULL,
    last_seen_at timestamptz,
    revoked_at   timestamptz,
    secret_hash  text
);
CREATE INDEX devices_by_company ON devices (company_id);
CREATE TABLE company_moves (
    company_id uuid        PRIMARY KEY REFERENCES companies (id),
    moved_at   timestamptz NOT NULL,
    moved_to   text        NOT NULL
);
