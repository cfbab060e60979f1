-- A first download takes the company as a snapshot, kind by kind in the order a user
-- needs them and each kind's newest first (`GET …/sync/snapshot`): this index serves it,
-- one range of each kind read backwards.
CREATE INDEX records_by_kind_seq ON records (company_id, kind, seq);
