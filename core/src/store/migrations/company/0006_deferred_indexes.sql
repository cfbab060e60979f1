-- Version 6: indexes set aside while a first download writes the company's records.
--
-- The indexes that only serve the screens (sort orders, a contact's documents) are
-- dropped before a first download and built once at its end, which costs far less than
-- keeping them up to date row by row. Their definitions wait here meanwhile, so that a
-- download killed midway builds them when it resumes.
CREATE TABLE deferred_index (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
) STRICT;
