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
