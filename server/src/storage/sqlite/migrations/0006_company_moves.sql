-- Version 6: a company moved to another host (issue 15: from a Comptoir server to one
-- computer of the local network, or back). The company's data stays here, frozen: its
-- members can still read it, nobody can change it, and its clients are told where it
-- went. Importing the company again here (it came back) removes the row.
CREATE TABLE IF NOT EXISTS company_moves (
    company_id BLOB PRIMARY KEY REFERENCES companies (id),
    moved_at   TEXT NOT NULL,
    moved_to   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
