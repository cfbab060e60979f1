-- Version 7: a paired device's own secret (its SHA-256 here), given once at pairing. A
-- host restored from a backup knows none of the refresh tokens its devices rotated since:
-- a device signs in again with this secret (`POST /v1/pair/resume`) instead of pairing
-- again. Devices paired before this version have none, and pair again after a restore.
ALTER TABLE devices ADD COLUMN secret_hash TEXT;
