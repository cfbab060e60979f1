# Teksten van afgedrukte documenten (PDF), in de taal van de klant.
# Gelezen door comptoir-core (core/src/export/pdf/labels.rs), niet door de app.

doc-quote = Offerte
doc-invoice = Factuur
doc-credit-note = Creditnota
doc-delivery-note = Leveringsbon
doc-draft = ONTWERP
doc-draft-notice = Ontwerp: dit document is nog niet uitgegeven en heeft geen nummer.
doc-number = Nummer
doc-issue-date = Datum
doc-due-date = Vervaldatum
doc-valid-until = Geldig tot
doc-delivery-date = Leveringsdatum
doc-customer-reference = Uw referentie
doc-corrects = Creditnota bij factuur { $number } van { $date }
doc-seller = Van
doc-buyer = Klant
doc-page = Pagina

col-description = Omschrijving
col-quantity = Aantal
col-unit = Eenheid
col-unit-price = Eenheidsprijs excl. btw
col-discount = Korting
col-vat = Btw
col-total = Totaal excl. btw

total-net = Totaal excl. btw
total-vat = Btw { $rate }
total-vat-base = op { $base }
total-gross = Totaal incl. btw
total-paid = Reeds betaald
total-due = Te betalen
total-refund = Bedrag van de creditnota

party-vat = Btw-nr.
party-siren = SIREN
party-siret = SIRET
party-enterprise = Ondernemingsnummer (KBO)
party-national-id = Ondernemingsnummer
party-capital = { $form } met een kapitaal van { $amount }
party-register-fr = RCS { $city }
party-register-be = RPR { $city }
party-register = Handelsregister: { $city }

payment-title = Betaling
payment-iban = IBAN
payment-bic = BIC
payment-reference = Te vermelden referentie
payment-structured = Gestructureerde mededeling
payment-due = Te betalen uiterlijk op { $date }
payment-on-receipt = Betaling bij ontvangst van de factuur
payment-qr = Scan deze code met uw bankapp om te betalen.

mention-penalty-rate = Verwijlintresten: jaarlijkse rentevoet van { $rate }
mention-penalty-legal = Verwijlintresten: driemaal de wettelijke rentevoet
mention-recovery = Forfaitaire vergoeding voor invorderingskosten bij laattijdige betaling: € 40
mention-no-discount = Geen korting voor vervroegde betaling
mention-discount = Korting voor vervroegde betaling: { $terms }
mention-vat-numbers = Btw-nr. verkoper: { $seller } — Btw-nr. klant: { $buyer }

# Country names on addresses abroad (capitals, as the postal services ask); a
# country not listed prints its ISO code.
country-AT = OOSTENRIJK
country-BE = BELGIË
country-BG = BULGARIJE
country-CY = CYPRUS
country-CZ = TSJECHIË
country-DE = DUITSLAND
country-DK = DENEMARKEN
country-EE = ESTLAND
country-ES = SPANJE
country-FI = FINLAND
country-FR = FRANKRIJK
country-GR = GRIEKENLAND
country-HR = KROATIË
country-HU = HONGARIJE
country-IE = IERLAND
country-IT = ITALIË
country-LT = LITOUWEN
country-LU = LUXEMBURG
country-LV = LETLAND
country-MT = MALTA
country-NL = NEDERLAND
country-PL = POLEN
country-PT = PORTUGAL
country-RO = ROEMENIË
country-SE = ZWEDEN
country-SI = SLOVENIË
country-SK = SLOWAKIJE
country-CH = ZWITSERLAND
country-GB = VERENIGD KONINKRIJK
country-NO = NOORWEGEN
country-IS = IJSLAND
country-LI = LIECHTENSTEIN
country-MC = MONACO
country-AD = ANDORRA
country-US = VERENIGDE STATEN
country-CA = CANADA
country-MA = MAROKKO
country-TN = TUNESIË
country-DZ = ALGERIJE
country-SN = SENEGAL
country-CI = IVOORKUST
country-CN = CHINA
country-JP = JAPAN
