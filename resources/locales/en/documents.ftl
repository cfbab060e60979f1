# Texts of printed documents (PDF), in the customer's language.
# Read by comptoir-core (core/src/export/pdf/labels.rs), not by the app.

doc-quote = Quote
doc-invoice = Invoice
doc-credit-note = Credit note
doc-delivery-note = Delivery note
doc-draft = DRAFT
doc-draft-notice = Draft: this document has not been issued yet and has no number.
doc-number = Number
doc-issue-date = Date
doc-due-date = Due date
doc-valid-until = Valid until
doc-delivery-date = Delivery date
doc-customer-reference = Your reference
doc-corrects = Credit note for invoice { $number } of { $date }
doc-seller = From
doc-buyer = Bill to
doc-page = Page

col-description = Description
col-quantity = Qty
col-unit = Unit
col-unit-price = Unit price excl. VAT
col-discount = Discount
col-vat = VAT
col-total = Total excl. VAT

total-net = Total excl. VAT
total-vat = VAT { $rate }
total-vat-base = on { $base }
total-gross = Total incl. VAT
total-paid = Already paid
total-due = Amount due
total-refund = Credit amount

party-vat = VAT no.
party-siren = SIREN
party-siret = SIRET
party-enterprise = Enterprise no. (BCE/KBO)
party-national-id = Company no.
party-capital = { $form } with a share capital of { $amount }
party-register-fr = RCS { $city }
party-register-be = RLE { $city }
party-register = Trade register: { $city }

payment-title = Payment
payment-iban = IBAN
payment-bic = BIC
payment-reference = Payment reference
payment-structured = Structured communication
payment-due = Payment due by { $date }
payment-on-receipt = Payment on receipt of the invoice
payment-qr = Scan this code with your banking app to pay.

mention-penalty-rate = Late-payment penalties: yearly rate of { $rate }
mention-penalty-legal = Late-payment penalties: three times the legal interest rate
mention-recovery = Fixed compensation for recovery costs in case of late payment: €40
mention-no-discount = No discount for early payment
mention-discount = Early-payment discount: { $terms }
mention-vat-numbers = Seller's VAT no.: { $seller } — Customer's VAT no.: { $buyer }

# Country names on addresses abroad (capitals, as the postal services ask); a
# country not listed prints its ISO code.
country-AT = AUSTRIA
country-BE = BELGIUM
country-BG = BULGARIA
country-CY = CYPRUS
country-CZ = CZECHIA
country-DE = GERMANY
country-DK = DENMARK
country-EE = ESTONIA
country-ES = SPAIN
country-FI = FINLAND
country-FR = FRANCE
country-GR = GREECE
country-HR = CROATIA
country-HU = HUNGARY
country-IE = IRELAND
country-IT = ITALY
country-LT = LITHUANIA
country-LU = LUXEMBOURG
country-LV = LATVIA
country-MT = MALTA
country-NL = NETHERLANDS
country-PL = POLAND
country-PT = PORTUGAL
country-RO = ROMANIA
country-SE = SWEDEN
country-SI = SLOVENIA
country-SK = SLOVAKIA
country-CH = SWITZERLAND
country-GB = UNITED KINGDOM
country-NO = NORWAY
country-IS = ICELAND
country-LI = LIECHTENSTEIN
country-MC = MONACO
country-AD = ANDORRA
country-US = UNITED STATES
country-CA = CANADA
country-MA = MOROCCO
country-TN = TUNISIA
country-DZ = ALGERIA
country-SN = SENEGAL
country-CI = CÔTE D'IVOIRE
country-CN = CHINA
country-JP = JAPAN
