# Textes des écrans de la fenêtre principale.

## Navigation
nav-dashboard = Tableau de bord
nav-contacts = Contacts
nav-articles = Articles
nav-quotes = Devis
nav-invoices = Factures
nav-credit-notes = Avoirs
nav-delivery-notes = Bons de livraison
nav-payments = Paiements
nav-settings = Paramètres

## Listes
list-search = Rechercher
list-search-hint = numéro, client, notes…
list-status = Filtrer par statut
list-period = Filtrer par période
list-count = { $count } documents
list-counting = Comptage…
list-searching = Recherche…
list-search-count = { $count } résultats
list-search-first = Les { $count } résultats les plus récents
period-all = Toutes les dates
period-this-month = Ce mois-ci
period-last-month = Le mois dernier
period-this-year = Cette année
period-last-year = L'année dernière
column-number = Numéro
column-customer = Client
column-date = Date
column-due = Échéance
column-total = Total TTC
column-paid = Payé
column-status = Statut
column-name = Nom
column-city = Ville
column-email = E-mail
column-phone = Téléphone
column-vat = N° de TVA
column-code = Code
column-designation = Désignation
column-unit = Unité
column-unit-price = Prix unitaire HT
column-vat-rate = TVA
column-quantity = Quantité
column-net = Montant HT
column-amount = Montant
column-method = Mode
column-reference = Référence
column-payer = Payeur
column-documents = Documents

## Statuts et types de documents
status-all = Tous les statuts
status-unpaid = Impayées
status-draft = Brouillon
status-issued = Émis
status-accepted = Accepté
status-declined = Refusé
status-converted = Transformé en facture
status-partially-paid = Payé en partie
status-paid = Payé
kind-quote = Devis
kind-invoice = Facture
kind-credit-note = Avoir
kind-delivery-note = Bon de livraison
document-draft = Brouillon
document-number-pending = Numéro en attente
document-issue = Émettre
method-bank-transfer = Virement
method-card = Carte
method-cash = Espèces
method-cheque = Chèque
method-direct-debit = Prélèvement
method-other = Autre

## Tableau de bord
dashboard-unpaid = Factures impayées
dashboard-overdue = En retard
dashboard-month-sales = Ventes du mois (HT)
dashboard-invoices = { $count } factures
dashboard-drafts = Brouillons en attente : { $count }
dashboard-pending = Modifications en attente d'envoi : { $count }
dashboard-see-unpaid = Voir les factures impayées

## Détail et historique
detail-close = Fermer le détail
total-net = Total HT
total-vat = TVA
total-gross = Total TTC
total-paid = Déjà payé
total-due = Reste à payer
history-title = Historique
history-none = Aucune action enregistrée pour l'instant.
history-system = Comptoir
history-line = { $date } — { $user } — { $action }
history-change = { $field } : { $before } → { $after }
action-create = création
action-update = modification
action-issue = émission
action-payment = paiement
action-archive = archivage
action-delete = suppression
action-sign-in = connexion
action-sign-in-failed = échec de connexion
action-role-change = changement de rôle
action-export = export

## Contacts
contact-new = Nouveau contact
contact-kind-company = Entreprise
contact-kind-person = Particulier
contact-name = Nom
contact-email = E-mail
contact-phone = Téléphone
contact-vat = N° de TVA
contact-street = Adresse
contact-postcode = Code postal
contact-city = Ville
contact-country = Pays
contact-archived = { $name } (archivé)
contact-vat-value = TVA : { $vat }
country-fr = France
country-be = Belgique
form-save = Enregistrer
form-cancel = Annuler

## Paramètres de l'entreprise
settings-legal-name = Raison sociale
settings-address = Adresse
settings-vat = N° de TVA
settings-iban = IBAN
settings-currency = Devise
settings-terms = Délai de paiement
settings-terms-days = { $days } jours
settings-numbering = Numérotation
settings-next-number = préfixe { $prefix }, prochain numéro { $next }

## Droits
edit-refused-role = Votre rôle ({ $role }) ne permet pas cette action.
role-owner = Propriétaire
role-admin = Administrateur
role-sales = Commercial
role-accountant = Comptable
role-read_only = Lecture seule

## Préférences
preferences-account = Compte
preferences-server = Serveur
preferences-notifications = Notifications
preferences-server-address = Adresse du serveur de synchronisation
preferences-server-help = Pour changer de serveur, déconnectez-vous puis saisissez la nouvelle adresse à la connexion.
account-signed-in-as = Connecté en tant que { $email }
account-role = Rôle dans cette entreprise : { $role }
account-companies = Entreprises du compte
account-current = entreprise ouverte
account-switch = Ouvrir { $company }
account-companies-offline = La liste des entreprises sera disponible à la prochaine connexion au serveur.
notify-payments = Paiements reçus, partiels ou en double
notify-refusals = Modifications refusées par le serveur
notify-sync = Erreurs de synchronisation et fin du délai hors ligne
server-test = Tester la connexion
server-testing = Test en cours…
server-test-ok = Le serveur { $url } répond : connexion réussie.
password-title = Mot de passe
password-current = Mot de passe actuel
password-new = Nouveau mot de passe
password-confirm = Confirmer le nouveau mot de passe
password-change = Changer le mot de passe
password-changed = Mot de passe changé. Vos autres appareils devront se reconnecter.
password-mismatch = Les deux nouveaux mots de passe ne sont pas identiques.
password-too-short = Le nouveau mot de passe doit compter au moins { $min } caractères.
two-factor-title = Double authentification
two-factor-unknown = L'état de la double authentification sera connu à la prochaine connexion au serveur.
two-factor-on = La double authentification est activée.
two-factor-off = La double authentification est désactivée.
two-factor-enable = Activer la double authentification
two-factor-scan = Scannez ce code avec votre application d'authentification, ou saisissez la clé ci-dessous, puis confirmez avec le code affiché.
two-factor-qr = Code QR de la double authentification
two-factor-secret = Clé secrète : { $secret }
two-factor-code = Code de l'application
two-factor-confirm = Confirmer et activer
two-factor-disable = Désactiver la double authentification
two-factor-turned-on = Double authentification activée : un code sera demandé à chaque connexion.
two-factor-turned-off = Double authentification désactivée.
export-audit-sheet = Journal d'audit
export-audit-seq = N°
export-audit-at = Date et heure
export-audit-user = Utilisateur
export-audit-action = Action
export-audit-entity = Objet
export-audit-entity-id = Identifiant
export-audit-changes = Modifications
export-audit-hash = Empreinte
nav-audit = Journal d'audit
audit-filter-action = Filtrer par action
audit-all-actions = Toutes les actions
audit-filter-user = Utilisateur (e-mail)
audit-count = { $count ->
    [one] { $count } action
   *[other] { $count } actions
}
audit-verify = Vérifier l'intégrité
audit-verifying = Vérification de la chaîne en cours…
audit-integrity-ok = Chaîne intacte : { $count } enregistrements vérifiés.
audit-integrity-broken = Chaîne rompue : l'enregistrement n° { $seq } a été modifié, supprimé ou inséré.
audit-export = Exporter en XLSX…
audit-export-file = journal-audit
audit-export-progress = { $written } / { $total }
audit-export-cancel = Annuler l'export
audit-export-done = Export terminé : { $rows } lignes sur { $sheets } feuille(s), dans { $path }.
audit-export-cancelled = Export annulé : aucun fichier n'a été écrit.
action-save-draft = enregistrement du brouillon
action-delete-draft = suppression du brouillon
action-answer-quote = réponse au devis
action-convert-quote = devis transformé
action-set-numbering = numérotation
action-import = import
action-add-member = utilisateur ajouté
action-remove-member = utilisateur retiré
action-post = comptabilisation

nav-users = Utilisateurs
users-refused-role = Votre rôle ({ $role }) ne permet pas de gérer les utilisateurs de l'entreprise : seuls les propriétaires et les administrateurs le peuvent.
users-name = Nom
users-email = E-mail
users-role = Rôle
users-last-activity = Dernière activité
users-never = jamais
users-edit = Modifier { $email }
users-add-title = Ajouter un utilisateur
users-new-email = E-mail du nouvel utilisateur
users-new-role = Rôle :
users-add-missing = Saisissez l'e-mail et choisissez un rôle.
users-add = Ajouter l'utilisateur
users-waiting = Envoi au serveur…
users-added = { $email } a été ajouté à l'entreprise.
users-added-new-account = Un compte a été créé pour { $email }. Mot de passe provisoire à lui transmettre : { $password }
users-role-changed = { $email } est maintenant { $role }.
users-removed = { $email } a été retiré de l'entreprise.
users-edit-title = Rôle de { $email }
users-save-role = Enregistrer le rôle
users-remove = Retirer { $email }
users-remove-confirm = Retirer { $email } de l'entreprise ?
users-remove-yes = Confirmer le retrait
users-remove-no = Annuler
users-close = Fermer

audit-filter-document = Document (numéro)
audit-no-such-document = Aucun document ne porte ce numéro.

posting-banner = { $count ->
    [one] 1 écriture en attente
   *[other] { $count } écritures en attente
}
posting-open = Comptabiliser
posting-title = Comptabiliser les écritures
posting-period = Période
posting-up-to-today = Jusqu'à aujourd'hui
posting-reading = Lecture des écritures en attente…
posting-batch = { $count } écriture(s) à comptabiliser : débit { $debit }, crédit { $credit }.
posting-format = Format de l'export
posting-format-fec = FEC (fichier des écritures comptables)
posting-format-csv = CSV
posting-export = 1. Exporter le lot…
posting-nothing = Aucune écriture en attente sur cette période.
posting-choose-format = Choisissez le format de l'export.
posting-file = ecritures
posting-exported = Lot exporté : { $count } écriture(s), débit { $debit }, crédit { $credit }.
posting-post = 2. Marquer comme comptabilisé
posting-export-first = Exportez d'abord le lot de cette période.
posting-posting = Comptabilisation…
posting-done = { $count } écriture(s) comptabilisée(s).
posting-partly = { $count } écriture(s) comptabilisée(s), puis : { $reason }

audit-draft = (brouillon)
entity-company = entreprise
entity-user = utilisateur
entity-member = membre
entity-export = export
entity-posting = comptabilisation
entity-payment = paiement
entity-article = article
entity-settings = paramètres

settings-account-customers = Clients
settings-account-sales = Ventes
settings-account-vat = TVA collectée
settings-account-bank = Banque
settings-journal-sales = Journal des ventes
settings-journal-bank = Journal de banque
posting-history = Lots comptabilisés ({ $count })
posting-history-at = Le
posting-history-by = Par
posting-history-to = Jusqu'au
posting-history-entries = Écritures
settings-accounts = Plan comptable
settings-account-label = Intitulé : { $account }
settings-accounts-edit = Modifier le plan comptable
settings-accounts-save = Enregistrer le plan comptable
settings-accounts-unchanged = Modifiez un compte d'abord.
settings-accounts-saved = Plan comptable enregistré : les écritures sont recalculées ; celles déjà comptabilisées qui changent reviennent en extourne et nouvelle écriture.
action-set-account-plan = plan comptable
posting-deriving = (calcul des écritures en cours…)
posting-export-again = Exporter à nouveau le lot du { $to }…
