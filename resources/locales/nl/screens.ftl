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
nav-audit = Auditspoor
audit-filter-action = Filteren op handeling
audit-all-actions = Alle handelingen
audit-filter-user = Gebruiker (e-mail)
audit-count = { $count ->
    [one] { $count } handeling
   *[other] { $count } handelingen
}
audit-verify = Integriteit controleren
audit-verifying = De keten wordt gecontroleerd…
audit-integrity-ok = Keten intact: { $count } records gecontroleerd.
audit-integrity-broken = Keten verbroken: record nr. { $seq } werd gewijzigd, verwijderd of ingevoegd.
audit-export = Exporteren naar XLSX…
audit-export-file = auditspoor
audit-export-progress = { $written } / { $total }
audit-export-cancel = Export annuleren
audit-export-done = Export klaar: { $rows } rijen op { $sheets } blad(en), in { $path }.
audit-export-cancelled = Export geannuleerd: er werd geen bestand geschreven.
action-save-draft = ontwerp bewaard
action-delete-draft = ontwerp verwijderd
action-answer-quote = offerte beantwoord
action-convert-quote = offerte omgezet
action-set-numbering = nummering
action-import = import
action-add-member = gebruiker toegevoegd
action-remove-member = gebruiker verwijderd
action-post = boeking

nav-users = Gebruikers
users-refused-role = Uw rol ({ $role }) staat niet toe de gebruikers van de onderneming te beheren: alleen eigenaars en beheerders kunnen dat.
users-name = Naam
users-email = E-mail
users-role = Rol
users-last-activity = Laatste activiteit
users-never = nooit
users-edit = { $email } wijzigen
users-add-title = Een gebruiker toevoegen
users-new-email = E-mail van de nieuwe gebruiker
users-new-role = Rol:
users-add-missing = Vul het e-mailadres in en kies een rol.
users-add = Gebruiker toevoegen
users-waiting = Verzenden naar de server…
users-added = { $email } is aan de onderneming toegevoegd.
users-added-new-account = Er is een account aangemaakt voor { $email }. Eenmalig wachtwoord om door te geven: { $password }
users-role-changed = { $email } is nu { $role }.
users-removed = { $email } is uit de onderneming verwijderd.
users-edit-title = Rol van { $email }
users-save-role = Rol opslaan
users-remove = { $email } verwijderen
users-remove-confirm = { $email } uit de onderneming verwijderen?
users-remove-yes = Verwijdering bevestigen
users-remove-no = Annuleren
users-close = Sluiten

audit-filter-document = Document (nummer)
audit-no-such-document = Geen enkel document heeft dit nummer.

posting-banner = { $count ->
    [one] 1 boeking te verwerken
   *[other] { $count } boekingen te verwerken
}
posting-open = Boeken
posting-title = De boekingen verwerken
posting-period = Periode
posting-up-to-today = Tot vandaag
posting-reading = De openstaande boekingen lezen…
posting-batch = { $count } boeking(en) te verwerken: debet { $debit }, credit { $credit }.
posting-format = Exportformaat
posting-format-fec = FEC (Frans auditbestand)
posting-format-csv = CSV
posting-export = 1. De reeks exporteren…
posting-nothing = Geen openstaande boeking in deze periode.
posting-choose-format = Kies het exportformaat.
posting-file = boekingen
posting-exported = Reeks geëxporteerd: { $count } boeking(en), debet { $debit }, credit { $credit }.
posting-post = 2. Als geboekt markeren
posting-export-first = Exporteer eerst de reeks van deze periode.
posting-posting = Boeken…
posting-done = { $count } boeking(en) verwerkt.
posting-partly = { $count } boeking(en) verwerkt, daarna: { $reason }

audit-draft = (concept)
entity-company = onderneming
entity-user = gebruiker
entity-member = lid
entity-export = export
entity-posting = boeking
entity-payment = betaling
entity-article = artikel
entity-settings = instellingen

settings-account-customers = Klanten
settings-account-sales = Verkopen
settings-account-vat = Verschuldigde btw
settings-account-bank = Bank
settings-journal-sales = Verkoopdagboek
settings-journal-bank = Financieel dagboek
posting-history = Geboekte reeksen ({ $count })
posting-history-at = Op
posting-history-by = Door
posting-history-to = Tot
posting-history-entries = Boekingen
settings-accounts = Rekeningstelsel
settings-account-label = Benaming: { $account }
settings-accounts-edit = Het rekeningstelsel wijzigen
settings-accounts-save = Het rekeningstelsel opslaan
settings-accounts-unchanged = Wijzig eerst een rekening.
settings-accounts-saved = Rekeningstelsel opgeslagen: de boekingen worden herberekend; geboekte die wijzigen komen terug als tegenboeking en nieuwe boeking.
action-set-account-plan = rekeningstelsel
posting-deriving = (boekingen worden nog berekend…)
posting-export-again = De reeks tot { $to } opnieuw exporteren…
