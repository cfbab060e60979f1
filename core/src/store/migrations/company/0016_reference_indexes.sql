-- Version 16: indexes that answer "does anything refer to this?" and "which invoice has
-- this structured communication?" without reading every row.
--
-- A contact or an article can be deleted only when nothing refers to it (the rules ask
-- the copy before a delete); a payment's Belgian structured communication is matched to
-- its invoice across the whole company. Both are set aside during a first download like
-- the screens' indexes (see migration 0006).
CREATE INDEX lines_by_article ON document_lines (article_id) WHERE article_id IS NOT NULL;
CREATE INDEX payments_by_contact ON payments (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX documents_by_communication ON documents (structured_communication)
    WHERE structured_communication IS NOT NULL;
-- The article list's order, read a page after another from where the last one ended.
CREATE INDEX articles_by_code ON articles (archived, code);
