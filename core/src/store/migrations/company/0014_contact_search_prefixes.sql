-- Version 14: the contacts' full-text index keeps prefix indexes of 1, 2 and 3 characters.
--
-- The customer picker searches as the user types, from the first letter. Without a prefix
-- index, FTS5 answers `"f"*` by merging the doclists of every term starting with "f"
-- before it returns a first row: over 100,000 contacts, tens of thousands of terms
-- (each VAT number "FR…" is a term of its own, every ".fr" address adds one), about
-- 180 ms, whatever the LIMIT. With the prefix indexes a short prefix is one term, read
-- lazily: the first 8 matches in a fraction of a millisecond. Longer prefixes match few
-- enough terms. The index grows (each term also writes its first 1–3 characters), and
-- indexing contacts costs about twice as much: contacts are few beside documents.
--
-- The table is made again with the option and filled from `contacts`; the contacts still
-- queued in `search_pending` are indexed by that rebuild, so they leave the queue.

DROP TABLE contacts_fts;
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    name, email, vat_number, billing_city,
    content = 'contacts', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
DELETE FROM search_pending WHERE tbl = 'contacts';
