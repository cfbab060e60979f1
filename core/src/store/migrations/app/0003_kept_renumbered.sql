-- Version 3: an old copy kept aside may have sent its acknowledged edits again to a
-- server restored from a backup (issue 15); the issued documents that server numbered
-- otherwise than before are kept with the copy, for the user (a JSON array of
-- `{document, before, after}`).
ALTER TABLE kept_copies ADD COLUMN renumbered TEXT NOT NULL DEFAULT '[]';
