-- Version 25: a first download takes the company as a snapshot (`GET …/sync/snapshot`),
-- kind by kind in the order a user needs them, before it pulls the log after the
-- snapshot's seq. Where the snapshot stands, so that a download stopped midway goes on
-- from there; the row goes once the snapshot is complete, and the sync cursor then stands
-- at `upto`.
CREATE TABLE snapshot_progress (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch     BLOB    NOT NULL,
    upto      INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    before    INTEGER
) STRICT;
