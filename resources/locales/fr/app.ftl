# Textes de l'application (assistant de démarrage, barre d'état, bandeaux).
# Les messages des erreurs métier sont dans errors.ftl.

app-name = Comptoir

## Assistant de premier démarrage
wizard-title = Bienvenue dans Comptoir
wizard-step-connection = Connexion
wizard-step-company = Choix de l'entreprise
wizard-step-sync = Synchronisation initiale
wizard-step-ready = Prêt
wizard-server = Adresse du serveur
wizard-email = Adresse e-mail
wizard-password = Mot de passe
wizard-sign-in = Se connecter
wizard-retry = Réessayer la connexion
wizard-code-title = Double authentification
wizard-code-help = Saisissez le code à six chiffres affiché par votre application d'authentification.
wizard-code = Code
wizard-code-submit = Valider le code
wizard-demo-title = Mode démonstration
wizard-demo-credentials = Compte de démonstration : { $email } — mot de passe : { $password }
wizard-company-help = Votre compte a accès à plusieurs entreprises. Laquelle ouvrir ?
wizard-company-open = Ouvrir
wizard-company-local = déjà sur cet ordinateur
wizard-sync-warning = Ne fermez pas l'application pendant la synchronisation. Si elle est fermée quand même, elle reprendra au prochain démarrage.
wizard-sync-overall = Progression totale : { $percent } %
wizard-ready-text = L'entreprise { $company } est prête.
wizard-offline-text = Vous pouvez y travailler, même sans connexion.
wizard-usable-text = Le reste de ses données se télécharge pendant que vous travaillez : les listes se complètent au fur et à mesure.
wizard-start = Commencer

## Catégories de la synchronisation
category-contact = Contacts et fournisseurs
category-article = Articles
category-document = Factures, avoirs et bons de livraison
category-payment = Paiements
category-settings = Paramètres
category-member = Utilisateurs
category-audit = Journal d'audit
category-count = { $done } sur { $total }

## Échecs de connexion
setup-error-server_unreachable = Le serveur { $url } ne répond pas. Vérifiez la connexion au réseau, et l'adresse du serveur dans ce champ ou dans Préférences → Serveur.
setup-error-host_unreachable = L'ordinateur hôte ({ $address }) ne répond pas. Vérifiez qu'il est allumé et sur le même réseau, et que son pare-feu laisse entrer Comptoir (pare-feu Windows Defender : « Autoriser une application »).
setup-error-bad_server_url = « { $url } » n'est pas une adresse de serveur (elle commence par https://).
setup-error-incompatible_server = Cette adresse répond, mais pas comme un serveur Comptoir d'une version compatible.
setup-error-invalid_credentials = L'adresse e-mail ou le mot de passe est incorrect.
setup-error-invalid_code = Ce code est incorrect ou a déjà été utilisé.
setup-error-account_locked = Le compte est verrouillé après trop d'échecs de connexion ; réessayez plus tard.
setup-error-no_company = Ce compte n'appartient encore à aucune entreprise.
setup-error-local_file_error = Les fichiers de cet ordinateur sont en erreur : { $message }
setup-error-other = Le serveur a refusé : { $message }

## État de la synchronisation
status-synced = Synchronisé
status-syncing = Synchronisation en cours
status-syncing-percent = Synchronisation en cours ({ $percent } %)
status-downloading = Téléchargement en cours ({ $percent } %)
status-offline = Hors ligne
status-busy = Serveur occupé : nouvel essai à { $at }
status-error = Erreur de synchronisation
status-stopped = Arrêté
status-signed-out = Aucun utilisateur connecté
grace-left = Lecture seule dans { $days } j { $hours } h
grace-read-only = Lecture seule : synchronisez pour modifier à nouveau.
edit-refused-read-only = Cette entreprise est en lecture seule : elle n'a pas été synchronisée depuis trop longtemps. Connectez-vous au réseau et synchronisez pour la modifier à nouveau.
edit-refused-no-company = Aucune entreprise n'est ouverte.

## Bandeaux et notifications
banner-offline = Hors ligne depuis { $since }.
banner-host-unreachable = L'ordinateur hôte est injoignable depuis le { $since } : vérifiez qu'il est allumé, sur le même réseau, et que son pare-feu laisse passer Comptoir (Windows Defender : « Autoriser une application »). Vous travaillez hors ligne.
banner-hosting-stopped = Cet ordinateur n'héberge pas l'entreprise en ce moment : les appareils ne peuvent pas se synchroniser avec lui. Détail technique : { $reason }
banner-sync-error = La synchronisation a échoué : { $message }
banner-retry = Réessayer
banner-not-signed-in = Aucun utilisateur connecté
banner-sign-in = Se connecter
banner-file-moved = Ce fichier n'est pas correctement attaché
banner-relink = Rétablir le lien
kept-copy = Une copie de l'ancien fichier a été gardée : { $path }
kept-copy-pending = { $count ->
    [one] Elle contient une modification qui n'a pas atteint le serveur.
   *[other] Elle contient { $count } modifications qui n'ont pas atteint le serveur.
}
kept-copy-pending-named = { $count ->
    [one] Elle contient une modification qui n'a pas atteint le serveur : { $edits }.
   *[other] Elle contient { $count } modifications qui n'ont pas atteint le serveur : { $edits }.
}
kept-copy-more = et { $count } autre(s)
kept-copy-renumbered = { $count ->
    [one] Ses modifications déjà acceptées ont été renvoyées au serveur restauré, qui a donné un autre numéro à un document (son contenu est inchangé) : { $numbers }.
   *[other] Ses modifications déjà acceptées ont été renvoyées au serveur restauré, qui a donné un autre numéro à { $count } documents (leur contenu est inchangé) : { $numbers }.
}
kept-copy-renumbering = { $before } devient { $after }
kept-copy-refused = { $count ->
    [one] Le serveur restauré a refusé une modification pourtant acceptée avant la restauration ; elle reste dans cette copie.
   *[other] Le serveur restauré a refusé { $count } modifications pourtant acceptées avant la restauration ; elles restent dans cette copie.
}
kept-copy-refused-named = { $count ->
    [one] Le serveur restauré a refusé une modification pourtant acceptée avant la restauration ; elle reste dans cette copie : { $edits }.
   *[other] Le serveur restauré a refusé { $count } modifications pourtant acceptées avant la restauration ; elles restent dans cette copie : { $edits }.
}
kept-copy-seen = Compris
banner-waiting-edits = { $count ->
    [one] Une modification de { $author } attend ici sa prochaine connexion : elle n'est envoyée qu'en son nom, et les vôtres partent après elle.
   *[other] { $count } modifications de { $author } attendent ici sa prochaine connexion : elles ne sont envoyées qu'en son nom, et les vôtres partent après elles.
}
banner-waiting-keep = Les garder pour cette personne
banner-waiting-discard = Abandonner…
banner-waiting-discard-yes = Abandonner ces modifications
confirm-discard-waiting-title = Abandonner les modifications d'un autre compte ?
confirm-discard-waiting = { $count ->
    [one] La modification de { $author } qui n'a pas encore été envoyée sera perdue, et cette copie reviendra à ce que le serveur connaît. Cette action est définitive.
   *[other] Les { $count } modifications de { $author } qui n'ont pas encore été envoyées seront perdues, et cette copie reviendra à ce que le serveur connaît. Cette action est définitive.
}
banner-engine-stopped = La synchronisation s'est arrêtée sur une erreur interne ({ $reason }). Ce qui était enregistré est sur le disque ; redémarrez Comptoir pour reprendre.
notice-rejected = Modification refusée par le serveur : { $message }
notice-payment-received = Paiement reçu : { $amount } sur { $document }
notice-payment-partial = Paiement partiel reçu : { $amount } sur { $document }
notice-payment-double = Paiement en double : { $amount } sur { $document }
notice-grace-ending = Lecture seule dans { $days } j { $hours } h si aucune synchronisation ne réussit.
notice-downloaded-again = Les données du serveur ont été reconstruites : l'entreprise a été téléchargée à nouveau, l'ancien fichier est conservé.
notice-record-held = Un enregistrement reçu du serveur est mis de côté ({ $record }) : { $message }
notice-mail-failed = Un e-mail n'a pas pu être envoyé : { $message }

## Menu
menu-preferences = Préférences…
menu-file = Fichier
menu-sync-now = Synchroniser maintenant
menu-sign-out = Se déconnecter
menu-quit = Quitter
tray-open = Ouvrir

## Préférences
preferences-title = Préférences
preferences-personal = Personnel
preferences-language = Langue d'affichage

## Notifications
bell = { $count ->
    [0] Notifications
   *[other] Notifications ({ $count })
}
notices-title = Notifications
notices-none = Aucune notification.
