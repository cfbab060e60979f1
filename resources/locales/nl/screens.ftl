# Teksten van de schermen van het hoofdvenster.

## Navigatie
nav-dashboard = Dashboard
nav-contacts = Contacten
nav-articles = Artikelen
nav-quotes = Offertes
nav-invoices = Facturen
nav-credit-notes = Creditnota's
nav-delivery-notes = Leveringsbonnen
nav-payments = Betalingen
nav-settings = Instellingen

## Lijsten
list-search = Zoeken
list-search-hint = nummer, klant, notities…
list-status = Filteren op status
list-period = Filteren op periode
list-count = { $count } documenten
list-counting = Tellen…
list-searching = Zoeken…
list-search-count = { $count } resultaten
list-search-first = De { $count } meest recente resultaten
period-all = Alle datums
period-this-month = Deze maand
period-last-month = Vorige maand
period-this-year = Dit jaar
period-last-year = Vorig jaar
column-number = Nummer
column-customer = Klant
column-date = Datum
column-due = Vervaldatum
column-total = Totaal incl. btw
column-paid = Betaald
column-status = Status
column-name = Naam
column-city = Gemeente
column-email = E-mail
column-phone = Telefoon
column-vat = Btw-nummer
column-code = Code
column-designation = Omschrijving
column-unit = Eenheid
column-unit-price = Eenheidsprijs excl. btw
column-vat-rate = Btw
column-quantity = Aantal
column-net = Bedrag excl. btw
column-amount = Bedrag
column-method = Wijze
column-reference = Referentie
column-payer = Betaler
column-documents = Documenten

## Statussen en soorten documenten
status-all = Alle statussen
status-unpaid = Onbetaald
status-draft = Ontwerp
status-issued = Uitgegeven
status-accepted = Aanvaard
status-declined = Geweigerd
status-converted = Omgezet in factuur
status-partially-paid = Deels betaald
status-paid = Betaald
kind-quote = Offerte
kind-invoice = Factuur
kind-credit-note = Creditnota
kind-delivery-note = Leveringsbon
document-draft = Ontwerp
document-number-pending = Nummer volgt
document-issue = Uitgeven
method-bank-transfer = Overschrijving
method-card = Kaart
method-cash = Contant
method-cheque = Cheque
method-direct-debit = Domiciliëring
method-other = Andere

## Dashboard
dashboard-unpaid = Onbetaalde facturen
dashboard-overdue = Vervallen
dashboard-month-sales = Verkoop deze maand (excl. btw)
dashboard-invoices = { $count } facturen
dashboard-drafts = Wachtende ontwerpen: { $count }
dashboard-pending = Wijzigingen die nog verstuurd moeten worden: { $count }
dashboard-see-unpaid = Onbetaalde facturen bekijken

## Detail en geschiedenis
detail-close = Detail sluiten
total-net = Totaal excl. btw
total-vat = Btw
total-gross = Totaal incl. btw
total-paid = Al betaald
total-due = Nog te betalen
history-title = Geschiedenis
history-none = Nog geen handelingen geregistreerd.
history-system = Comptoir
history-line = { $date } — { $user } — { $action }
history-change = { $field }: { $before } → { $after }
action-create = aangemaakt
action-update = gewijzigd
action-issue = uitgegeven
action-payment = betaling
action-archive = gearchiveerd
action-delete = verwijderd
action-sign-in = aanmelding
action-sign-in-failed = mislukte aanmelding
action-role-change = rolwijziging
action-export = export

## Contacten
contact-new = Nieuw contact
contact-kind-company = Onderneming
contact-kind-person = Particulier
contact-name = Naam
contact-email = E-mail
contact-phone = Telefoon
contact-vat = Btw-nummer
contact-street = Adres
contact-postcode = Postcode
contact-city = Gemeente
contact-country = Land
contact-archived = { $name } (gearchiveerd)
contact-vat-value = Btw: { $vat }
country-fr = Frankrijk
country-be = België
form-save = Opslaan
form-cancel = Annuleren

## Instellingen van de onderneming
settings-legal-name = Officiële naam
settings-address = Adres
settings-vat = Btw-nummer
settings-iban = IBAN
settings-currency = Munt
settings-terms = Betalingstermijn
settings-terms-days = { $days } dagen
settings-numbering = Nummering
settings-next-number = voorvoegsel { $prefix }, volgend nummer { $next }

## Rechten
edit-refused-role = Uw rol ({ $role }) laat dit niet toe.
role-owner = Eigenaar
role-admin = Beheerder
role-sales = Verkoop
role-accountant = Boekhouder
role-read_only = Alleen lezen

## Voorkeuren
preferences-account = Account
preferences-server = Server
preferences-notifications = Meldingen
preferences-server-address = Adres van de synchronisatieserver
preferences-server-help = Om van server te veranderen: meld u af en geef het nieuwe adres in bij het aanmelden.
account-signed-in-as = Aangemeld als { $email }
account-role = Rol in deze onderneming: { $role }
account-companies = Ondernemingen van de account
account-current = nu geopend
account-switch = { $company } openen
account-companies-offline = De lijst van ondernemingen is beschikbaar bij de volgende verbinding met de server.
notify-payments = Ontvangen betalingen, gedeeltelijk of dubbel
notify-refusals = Door de server geweigerde wijzigingen
notify-sync = Synchronisatiefouten en het einde van de offlineperiode
server-test = Verbinding testen
server-testing = Bezig met testen…
server-test-ok = De server { $url } antwoordt: verbinding geslaagd.
password-title = Wachtwoord
password-current = Huidig wachtwoord
password-new = Nieuw wachtwoord
password-confirm = Bevestig het nieuwe wachtwoord
password-change = Wachtwoord wijzigen
password-changed = Wachtwoord gewijzigd. Uw andere toestellen moeten opnieuw aanmelden.
password-mismatch = De twee nieuwe wachtwoorden zijn niet gelijk.
password-too-short = Het nieuwe wachtwoord moet minstens { $min } tekens tellen.
two-factor-title = Tweestapsverificatie
two-factor-unknown = Of tweestapsverificatie aan staat, is bekend bij de volgende verbinding met de server.
two-factor-on = Tweestapsverificatie staat aan.
two-factor-off = Tweestapsverificatie staat uit.
two-factor-enable = Tweestapsverificatie inschakelen
two-factor-scan = Scan deze code met uw authenticatie-app, of typ de sleutel hieronder, en bevestig met de code die de app toont.
two-factor-qr = QR-code voor tweestapsverificatie
two-factor-secret = Geheime sleutel: { $secret }
two-factor-code = Code van de app
two-factor-confirm = Bevestigen en inschakelen
two-factor-disable = Tweestapsverificatie uitschakelen
two-factor-turned-on = Tweestapsverificatie ingeschakeld: bij elke aanmelding wordt een code gevraagd.
two-factor-turned-off = Tweestapsverificatie uitgeschakeld.
export-audit-sheet = Auditspoor
export-audit-seq = Nr.
export-audit-at = Datum en tijd
export-audit-user = Gebruiker
export-audit-action = Handeling
export-audit-entity = Object
export-audit-entity-id = Id
export-audit-changes = Wijzigingen
export-audit-hash = Hash
