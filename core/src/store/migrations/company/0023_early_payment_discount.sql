-- Version 23: the early-payment discount terms the company grants, printed on its
-- invoices (empty: none, and the invoices say so).
ALTER TABLE company ADD COLUMN early_payment_discount TEXT NOT NULL DEFAULT '';
