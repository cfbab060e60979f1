# Voorkeuren → Updates, en de banner van een gevonden versie (app/src/screens/updates.rs).
preferences-updates = Updates
update-installed-version = Geïnstalleerde versie: { $version }
update-install-portable = Geïnstalleerd in uw persoonlijke map: Comptoir werkt zichzelf bij wanneer u dat beslist.
update-install-windows = Geïnstalleerd met het Windows-installatieprogramma: Comptoir werkt zichzelf bij wanneer u dat beslist.
update-install-deb = Geïnstalleerd met de pakketten van het systeem: werk bij met "sudo apt update && sudo apt install --only-upgrade comptoir" of uw updatebeheer.
update-install-rpm = Geïnstalleerd met de pakketten van het systeem: werk bij met "sudo dnf upgrade comptoir" of uw updatebeheer.
update-install-system = Geïnstalleerd met de pakketten van het systeem: werk bij met uw pakketbeheerder.
update-install-managed = Geïnstalleerd door uw beheerder of uw systeem: installeer de nieuwe versie zoals deze.
update-not-configured = Deze versie van Comptoir zoekt geen updates.
update-never-checked = nooit
update-last-check = Laatst gezocht: { $at }
update-check = Naar updates zoeken
update-checking = Zoeken naar een update…
update-up-to-date = Comptoir is bijgewerkt.
update-available = Comptoir { $version } is beschikbaar (gepubliceerd op { $date }).
update-no-package = Deze versie is nog niet gepubliceerd voor uw installatie.
update-install = Installeren en herstarten
update-downloading = Comptoir { $version } downloaden…
update-ready = Comptoir { $version } is geïnstalleerd: het start wanneer Comptoir herstart.
update-restart = Nu herstarten
update-blocked-edits = { $count ->
    [one] Eén wijziging is nog niet verzonden: de update wacht tot ze verzonden is.
   *[other] { $count } wijzigingen zijn nog niet verzonden: de update wacht tot ze verzonden zijn.
}
update-blocked-syncing = Er loopt een synchronisatie: probeer opnieuw wanneer ze klaar is.
update-blocked-draft = Een document heeft niet-opgeslagen wijzigingen: sla het eerst op of sluit het.
update-banner = Comptoir { $version } is beschikbaar.
update-banner-see = Bekijken
update-banner-later = Later
