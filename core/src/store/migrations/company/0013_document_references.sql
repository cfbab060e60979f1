-- Version 13: a document's delivery date and the customer's own reference (their order
-- number), both printed on it.
ALTER TABLE documents ADD COLUMN delivery_date TEXT;
ALTER TABLE documents ADD COLUMN customer_reference TEXT;
