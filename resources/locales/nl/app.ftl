# De teksten van de app (startassistent, statusbalk, banners).
# De foutmeldingen van de bedrijfsregels staan in errors.ftl.

app-name = Comptoir

## Startassistent
wizard-title = Welkom bij Comptoir
wizard-step-connection = Aanmelden
wizard-step-company = Bedrijf kiezen
wizard-step-sync = Eerste synchronisatie
wizard-step-ready = Klaar
wizard-server = Serveradres
wizard-email = E-mailadres
wizard-password = Wachtwoord
wizard-sign-in = Aanmelden
wizard-retry = Opnieuw aanmelden
wizard-code-title = Tweestapsverificatie
wizard-code-help = Voer de zescijferige code in die uw authenticatie-app toont.
wizard-code = Code
wizard-code-submit = Code bevestigen
wizard-demo-title = Demomodus
wizard-demo-credentials = Demo-account: { $email } — wachtwoord: { $password }
wizard-company-help = Uw account heeft toegang tot meerdere bedrijven. Welk bedrijf openen?
wizard-company-open = Openen
wizard-company-local = al op deze computer
wizard-sync-warning = Sluit de app niet tijdens de synchronisatie. Wordt ze toch gesloten, dan gaat ze verder bij de volgende start.
wizard-sync-overall = Totale voortgang: { $percent } %
wizard-ready-text = { $company } is klaar.
wizard-offline-text = U kunt erin werken, ook zonder netwerk.
wizard-usable-text = De rest van de gegevens wordt gedownload terwijl u werkt: de lijsten vullen zich aan naarmate ze binnenkomen.
wizard-start = Beginnen

## Categorieën van de synchronisatie
category-contact = Klanten en leveranciers
category-article = Artikelen
category-document = Facturen, creditnota's en leveringsbonnen
category-payment = Betalingen
category-settings = Instellingen
category-member = Gebruikers
category-audit = Auditlogboek
category-count = { $done } van { $total }

## Aanmeldfouten
setup-error-server_unreachable = De server { $url } antwoordt niet. Controleer het netwerk en het serveradres in dit veld of in Voorkeuren → Server.
setup-error-host_unreachable = De hostcomputer ({ $address }) antwoordt niet. Controleer of hij aanstaat en op hetzelfde netwerk zit, en of zijn firewall Comptoir doorlaat (Windows Defender Firewall: "Een app toestaan").
setup-error-bad_server_url = „{ $url }” is geen serveradres (het begint met https://).
setup-error-incompatible_server = Dit adres antwoordt, maar niet als een Comptoir-server van een compatibele versie.
setup-error-invalid_credentials = Het e-mailadres of het wachtwoord is onjuist.
setup-error-invalid_code = Deze code is onjuist of werd al gebruikt.
setup-error-account_locked = Het account is vergrendeld na te veel mislukte aanmeldingen; probeer het later opnieuw.
setup-error-no_company = Dit account hoort nog bij geen enkel bedrijf.
setup-error-local_file_error = De bestanden op deze computer geven een fout: { $message }
setup-error-other = De server weigerde: { $message }

## Synchronisatiestatus
status-synced = Gesynchroniseerd
status-syncing = Bezig met synchroniseren
status-syncing-percent = Bezig met synchroniseren ({ $percent } %)
status-downloading = Bezig met downloaden ({ $percent } %)
status-offline = Offline
status-busy = Server bezet: nieuwe poging om { $at }
status-error = Synchronisatiefout
status-stopped = Gestopt
status-signed-out = Niemand aangemeld
grace-left = Alleen-lezen over { $days } d { $hours } u
grace-read-only = Alleen-lezen: synchroniseer om opnieuw te bewerken.
edit-refused-read-only = Dit bedrijf is alleen-lezen: het werd te lang niet gesynchroniseerd. Maak verbinding met het netwerk en synchroniseer om het opnieuw te bewerken.
edit-refused-no-company = Er is geen bedrijf geopend.

## Banners en meldingen
banner-offline = Offline sinds { $since }.
banner-host-unreachable = De hostcomputer is onbereikbaar sinds { $since }: controleer of hij aanstaat, op hetzelfde netwerk zit en of zijn firewall Comptoir doorlaat (Windows Defender: „Een app toestaan”). U werkt offline.
banner-hosting-stopped = Deze computer host de onderneming op dit moment niet: de apparaten kunnen er niet mee synchroniseren. Technisch detail: { $reason }
banner-sync-error = De synchronisatie is mislukt: { $message }
banner-retry = Opnieuw proberen
banner-not-signed-in = Niemand aangemeld
banner-sign-in = Aanmelden
banner-file-moved = Dit bestand is niet correct gekoppeld
banner-relink = Opnieuw koppelen
kept-copy = Een kopie van het oude bestand is bewaard: { $path }
kept-copy-pending = { $count ->
    [one] Ze bevat één wijziging die de server nooit bereikte.
   *[other] Ze bevat { $count } wijzigingen die de server nooit bereikten.
}
kept-copy-pending-named = { $count ->
    [one] Ze bevat één wijziging die de server nooit bereikte: { $edits }.
   *[other] Ze bevat { $count } wijzigingen die de server nooit bereikten: { $edits }.
}
kept-copy-more = en { $count } andere
kept-copy-renumbered = { $count ->
    [one] De reeds aanvaarde wijzigingen werden opnieuw naar de herstelde server gestuurd, die een document een ander nummer gaf (de inhoud is ongewijzigd): { $numbers }.
   *[other] De reeds aanvaarde wijzigingen werden opnieuw naar de herstelde server gestuurd, die { $count } documenten een ander nummer gaf (de inhoud is ongewijzigd): { $numbers }.
}
kept-copy-renumbering = { $before } werd { $after }
kept-copy-refused = { $count ->
    [one] De herstelde server weigerde een wijziging die vóór het herstel aanvaard was; ze blijft in deze kopie.
   *[other] De herstelde server weigerde { $count } wijzigingen die vóór het herstel aanvaard waren; ze blijven in deze kopie.
}
kept-copy-refused-named = { $count ->
    [one] De herstelde server weigerde een wijziging die vóór het herstel aanvaard was; ze blijft in deze kopie: { $edits }.
   *[other] De herstelde server weigerde { $count } wijzigingen die vóór het herstel aanvaard waren; ze blijven in deze kopie: { $edits }.
}
kept-copy-seen = Begrepen
banner-waiting-edits = { $count ->
    [one] Eén wijziging van { $author } wacht hier tot die persoon opnieuw aanmeldt: ze wordt alleen in diens naam verzonden, en de uwe volgen erna.
   *[other] { $count } wijzigingen van { $author } wachten hier tot die persoon opnieuw aanmeldt: ze worden alleen in diens naam verzonden, en de uwe volgen erna.
}
banner-waiting-keep = Bewaren voor deze persoon
banner-waiting-discard = Verwerpen…
banner-waiting-discard-yes = Deze wijzigingen verwerpen
confirm-discard-waiting-title = Wijzigingen van een andere account verwerpen?
confirm-discard-waiting = { $count ->
    [one] De nog niet verzonden wijziging van { $author } gaat verloren, en deze kopie keert terug naar wat de server heeft. Dit kan niet ongedaan worden gemaakt.
   *[other] De { $count } nog niet verzonden wijzigingen van { $author } gaan verloren, en deze kopie keert terug naar wat de server heeft. Dit kan niet ongedaan worden gemaakt.
}
banner-engine-stopped = De synchronisatie is gestopt door een interne fout ({ $reason }). Wat bewaard was, staat op de schijf; start Comptoir opnieuw om verder te gaan.
notice-rejected = Wijziging geweigerd door de server: { $message }
notice-payment-received = Betaling ontvangen: { $amount } op { $document }
notice-payment-partial = Gedeeltelijke betaling ontvangen: { $amount } op { $document }
notice-payment-double = Dubbele betaling: { $amount } op { $document }
notice-grace-ending = Alleen-lezen over { $days } d { $hours } u als geen synchronisatie slaagt.
notice-downloaded-again = De gegevens van de server werden opnieuw opgebouwd: het bedrijf werd opnieuw gedownload, het oude bestand blijft bewaard.
notice-record-held = Een record van de server wordt opzijgezet ({ $record }): { $message }
notice-mail-failed = Een e-mail kon niet worden verzonden: { $message }

## Menu
menu-preferences = Voorkeuren…
menu-file = Bestand
menu-sync-now = Nu synchroniseren
menu-sign-out = Afmelden
menu-quit = Afsluiten
tray-open = Openen

## Preferences
preferences-title = Voorkeuren
preferences-personal = Persoonlijk
preferences-language = Weergavetaal

## Notifications
bell = { $count ->
    [0] Meldingen
   *[other] Meldingen ({ $count })
}
notices-title = Meldingen
notices-none = Geen meldingen.
