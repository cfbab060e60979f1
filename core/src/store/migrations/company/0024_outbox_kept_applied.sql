-- Version 24: edits the server applied stay in the outbox for a while after this copy
-- has pulled past them, so that they can be sent again to a server restored from a
-- backup that lacks them (issue 15). A backup goes back as far as the host keeps them
-- (30 daily backups): an acknowledged entry is kept 40 days, and a copy keeps at most
-- the newest 20,000 (see `store::outbox::KEPT_DAYS` and `KEPT_MAX`).
--
-- `acknowledged`: 1 once this copy has pulled past the entry's change; it is then no
-- longer a local edit (not rebased, not counted as waiting), only kept.
-- `applied_client`: the client id the server applied it under; sent again under it, the
-- server's exactly-once key finds it when the backup has it.
-- `applied_epoch`: the server's epoch in which this copy pulled past it.
-- `applied_number`: the number the server gave an issued document.
-- `kept_at`: when a sync first found it acknowledged (by the engine's clock).
-- `replayed`: 1 for an entry sent again after a restore; when the restored server
-- refuses it, the user is told (it had been accepted before).
-- `number_before`: for an entry sent again after a restore, the number it had before;
-- the user is told when the restored server gave another.
ALTER TABLE outbox ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1));
ALTER TABLE outbox ADD COLUMN applied_client BLOB;
ALTER TABLE outbox ADD COLUMN applied_epoch BLOB;
ALTER TABLE outbox ADD COLUMN applied_number TEXT;
ALTER TABLE outbox ADD COLUMN kept_at TEXT;
ALTER TABLE outbox ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0 CHECK (replayed IN (0, 1));
ALTER TABLE outbox ADD COLUMN number_before TEXT;
-- The kept entries (dating, expiry, count), and the local edits (rebase,
-- `has_local_edits`, acknowledgement), each read without going through the other.
CREATE INDEX outbox_kept ON outbox (kept_at) WHERE acknowledged = 1;
CREATE INDEX outbox_local ON outbox (mutation_id) WHERE state <> 'rejected' AND acknowledged = 0;
