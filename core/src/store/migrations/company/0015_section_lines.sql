-- Version 15: section titles among a document's lines.
ALTER TABLE document_lines ADD COLUMN section INTEGER NOT NULL DEFAULT 0 CHECK (section IN (0, 1));
