-- Version 12: the company's legal mentions (legal form, share capital, register city,
-- late-payment penalty rate, VAT exemption) and its logo (PNG bytes, 256 KiB at most).
ALTER TABLE company ADD COLUMN legal_form TEXT NOT NULL DEFAULT '';
ALTER TABLE company ADD COLUMN share_capital TEXT;
ALTER TABLE company ADD COLUMN register_city TEXT NOT NULL DEFAULT '';
ALTER TABLE company ADD COLUMN late_penalty_rate TEXT;
ALTER TABLE company ADD COLUMN vat_exempt INTEGER NOT NULL DEFAULT 0 CHECK (vat_exempt IN (0, 1));
ALTER TABLE company ADD COLUMN logo BLOB CHECK (logo IS NULL OR length(logo) <= 262144);
