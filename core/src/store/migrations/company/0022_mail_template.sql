-- Version 22: the company's own e-mail texts, one per customer language, and the lookup
-- of a document's messages (its "sent on … to …" lines).
--
-- A language without a row uses the built-in text (`core/src/mail/templates`); "Rétablir
-- le texte d'origine" deletes the row. Local to this computer, like the SMTP settings.
CREATE TABLE mail_template (
    language TEXT PRIMARY KEY CHECK (language IN ('fr', 'nl', 'en')),
    subject  TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 250),
    body     TEXT NOT NULL CHECK (length(body) <= 20000)
) STRICT;

CREATE INDEX mail_outbox_document ON mail_outbox (document_id, queued_at) WHERE document_id IS NOT NULL;
