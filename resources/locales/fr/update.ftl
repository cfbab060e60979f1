# Préférences → Mises à jour, and the banner of a version found (app/src/screens/updates.rs).
preferences-updates = Mises à jour
update-installed-version = Version installée : { $version }
update-install-portable = Installée dans votre dossier personnel : Comptoir se met à jour lui-même, quand vous le décidez.
update-install-windows = Installée par l'installateur Windows : Comptoir se met à jour lui-même, quand vous le décidez.
update-install-deb = Installée par les paquets du système : mettez-la à jour avec « sudo apt update && sudo apt install --only-upgrade comptoir » ou votre gestionnaire de mises à jour.
update-install-rpm = Installée par les paquets du système : mettez-la à jour avec « sudo dnf upgrade comptoir » ou votre gestionnaire de mises à jour.
update-install-system = Installée par les paquets du système : mettez-la à jour avec votre gestionnaire de paquets.
update-install-managed = Installée par votre administrateur ou votre système : installez la nouvelle version comme celle-ci.
update-not-configured = Cette version de Comptoir ne recherche pas de mises à jour.
update-never-checked = jamais
update-last-check = Dernière recherche : { $at }
update-check = Rechercher une mise à jour
update-checking = Recherche d'une mise à jour…
update-up-to-date = Comptoir est à jour.
update-available = Comptoir { $version } est disponible (publiée le { $date }).
update-no-package = Cette version n'est pas encore publiée pour votre installation.
update-install = Installer et redémarrer
update-downloading = Téléchargement de Comptoir { $version }…
update-ready = Comptoir { $version } est installée : elle démarre quand Comptoir redémarre.
update-restart = Redémarrer maintenant
update-blocked-edits = { $count ->
    [one] Une modification n'est pas encore envoyée : la mise à jour attend qu'elle le soit.
   *[other] { $count } modifications ne sont pas encore envoyées : la mise à jour attend qu'elles le soient.
}
update-blocked-syncing = Une synchronisation est en cours : réessayez quand elle est terminée.
update-blocked-draft = Un document a des changements non enregistrés : enregistrez-le ou fermez-le d'abord.
update-banner = Comptoir { $version } est disponible.
update-banner-see = Voir
update-banner-later = Plus tard
