-- Version 3: an old copy kept aside may have sent its acknowledged edits again to a
-- server restored from a backup (issue 15). Kept with the copy, for the user: the issued
-- documents that server numbered otherwise than before (a JSON array of
-- `{document, before, after}`), and how many of those edits it refused.
ALTER TABLE kept_copies ADD COLUMN renumbered TEXT NOT NULL DEFAULT '[]';
ALTER TABLE kept_copies ADD COLUMN refused INTEGER NOT NULL DEFAULT 0 CHECK (refused >= 0);
