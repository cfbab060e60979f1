# Textes des documents imprimés (PDF), dans la langue du client.
# Lus par comptoir-core (core/src/export/pdf/labels.rs), pas par l'application.

doc-quote = Devis
doc-invoice = Facture
doc-credit-note = Avoir
doc-delivery-note = Bon de livraison
doc-draft = BROUILLON
doc-draft-notice = Brouillon : ce document n'a pas encore été émis et n'a pas de numéro.
doc-number = Numéro
doc-issue-date = Date
doc-due-date = Échéance
doc-valid-until = Valable jusqu'au
doc-delivery-date = Date de livraison
doc-customer-reference = Votre référence
doc-corrects = Avoir sur la facture { $number } du { $date }
doc-seller = Émetteur
doc-buyer = Client
doc-page = Page

col-description = Désignation
col-quantity = Qté
col-unit = Unité
col-unit-price = P.U. HT
col-discount = Remise
col-vat = TVA
col-total = Total HT

total-net = Total HT
total-vat = TVA { $rate }
total-vat-base = base { $base }
total-gross = Total TTC
total-paid = Déjà réglé
total-due = Net à payer
total-refund = Montant de l'avoir

party-vat = N° TVA
party-siren = SIREN
party-siret = SIRET
party-enterprise = N° d'entreprise (BCE)
party-national-id = N° d'entreprise
party-capital = { $form } au capital de { $amount }
party-register-fr = RCS { $city }
party-register-be = RPM { $city }
party-register = Registre du commerce : { $city }

payment-title = Paiement
payment-iban = IBAN
payment-bic = BIC
payment-reference = Référence à indiquer
payment-structured = Communication structurée
payment-due = Paiement au plus tard le { $date }
payment-on-receipt = Paiement à réception de la facture
payment-qr = Scannez ce code avec votre application bancaire pour payer.

mention-penalty-rate = Pénalités de retard : taux annuel de { $rate }
mention-penalty-legal = Pénalités de retard : trois fois le taux d'intérêt légal
mention-recovery = Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €
mention-no-discount = Pas d'escompte pour paiement anticipé
mention-discount = Escompte pour paiement anticipé : { $terms }
mention-vat-numbers = N° TVA du vendeur : { $seller } — N° TVA du client : { $buyer }

# Country names on addresses abroad (capitals, as the postal services ask); a
# country not listed prints its ISO code.
country-AT = AUTRICHE
country-BE = BELGIQUE
country-BG = BULGARIE
country-CY = CHYPRE
country-CZ = TCHÉQUIE
country-DE = ALLEMAGNE
country-DK = DANEMARK
country-EE = ESTONIE
country-ES = ESPAGNE
country-FI = FINLANDE
country-FR = FRANCE
country-GR = GRÈCE
country-HR = CROATIE
country-HU = HONGRIE
country-IE = IRLANDE
country-IT = ITALIE
country-LT = LITUANIE
country-LU = LUXEMBOURG
country-LV = LETTONIE
country-MT = MALTE
country-NL = PAYS-BAS
country-PL = POLOGNE
country-PT = PORTUGAL
country-RO = ROUMANIE
country-SE = SUÈDE
country-SI = SLOVÉNIE
country-SK = SLOVAQUIE
country-CH = SUISSE
country-GB = ROYAUME-UNI
country-NO = NORVÈGE
country-IS = ISLANDE
country-LI = LIECHTENSTEIN
country-MC = MONACO
country-AD = ANDORRE
country-US = ÉTATS-UNIS
country-CA = CANADA
country-MA = MAROC
country-TN = TUNISIE
country-DZ = ALGÉRIE
country-SN = SÉNÉGAL
country-CI = CÔTE D'IVOIRE
country-CN = CHINE
country-JP = JAPON
