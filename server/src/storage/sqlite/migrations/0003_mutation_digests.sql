-- Version 3: each answered mutation keeps the digest of its intent (SHA-256 of the
-- intent's JSON, hex). The exactly-once key (client id, mutation id) is only as good as
-- the client's promise that it never sends two different edits under one key; two copies
-- of one company file (a restored backup, a copied file) share a client id and break
-- that promise. With the digest, the server tells "the same edit sent again" (the stored
-- answer) from "another edit under a used key" (the client takes a new id and sends it
-- again), instead of answering the second copy's edit with the first one's outcome and
-- losing it. Mutations answered before this version have no digest: they keep the old
-- behaviour.
ALTER TABLE mutations ADD COLUMN digest TEXT;
