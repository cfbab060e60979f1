-- Version 11: the language a contact's documents are written in (NULL: the company's).
ALTER TABLE contacts ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('fr', 'nl', 'en'));
