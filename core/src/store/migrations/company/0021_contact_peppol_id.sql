-- Version 21: a contact's own Peppol participant id (`scheme:id`, e.g. "0208:0403170701"),
-- what its access point registered; NULL: derived from its VAT number when an e-invoice
-- is written (see `model::ElectronicAddress`).
ALTER TABLE contacts ADD COLUMN peppol_id TEXT;
