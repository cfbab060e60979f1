-- Version 10: the EN 16931 VAT category of each line (NULL: the one its rate implies)
-- and the document's exemption reason (BT-120).
ALTER TABLE documents ADD COLUMN vat_exemption_reason TEXT;
ALTER TABLE document_lines ADD COLUMN vat_category TEXT
    CHECK (vat_category IS NULL OR vat_category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O'));
