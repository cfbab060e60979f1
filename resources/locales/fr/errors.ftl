# Messages des erreurs, une par code stable (voir ModelError::code et StoreError::code).
# L'application les affiche à la place du texte anglais des erreurs.

error-field_required = Ce champ est obligatoire.
error-field_too_long = Ce texte est trop long.
error-email_invalid = Cette adresse e-mail n'est pas valide.
error-vat_number_invalid = Ce numéro de TVA n'est pas valide : vérifiez le code pays et les chiffres de contrôle.
error-national_id_invalid = Ce numéro d'entreprise (SIREN, BCE…) n'est pas valide.
error-iban_invalid = Cet IBAN n'est pas valide : vérifiez sa longueur et ses chiffres de contrôle.
error-bic_invalid = Ce BIC n'est pas valide (8 ou 11 lettres et chiffres).
error-currency_invalid = Ce code de devise n'est pas valide (trois lettres, comme EUR).
error-country_invalid = Ce code pays n'est pas valide (deux lettres, comme FR).
error-vat_rate_invalid = Un taux de TVA est compris entre 0 et 100 %, avec au plus deux décimales.
error-amount_too_precise = Ce montant a plus de deux décimales.
error-amount_out_of_range = Ce montant est trop élevé.
error-discount_invalid = Une remise est comprise entre 0 et 100 %.
error-quantity_zero = La quantité d'une ligne ne peut pas être nulle.
error-unit_price_negative = Le prix unitaire d'un article ne peut pas être négatif.
error-article_code_invalid = Le code article doit compter de 1 à 30 lettres, chiffres, « - », « _ » ou « . ».
error-contact_without_role = Un contact doit être client, fournisseur, ou les deux.
error-document_without_lines = Ajoutez au moins une ligne avant d'émettre ce document.
error-document_not_editable = Ce document est émis : seul un brouillon peut être modifié. Pour corriger une facture, émettez un avoir.
error-document_transition_refused = Ce changement d'état n'est pas possible pour ce document.
error-invoice_total_negative = Le total d'une facture ne peut pas être négatif : émettez plutôt un avoir.
error-credit_note_without_invoice = Un avoir doit indiquer la facture qu'il corrige.
error-credit_note_target_invalid = Un avoir ne peut corriger qu'une facture émise.
error-credit_note_exceeds_invoice = Les avoirs dépasseraient le montant de la facture qu'ils corrigent.
error-due_date_before_issue = L'échéance ne peut pas précéder la date du document.
error-payment_not_positive = Le montant d'un paiement doit être supérieur à zéro.
error-allocation_not_positive = Le montant affecté à une facture doit être supérieur à zéro.
error-allocations_exceed_payment = Les montants affectés dépassent le montant du paiement.
error-allocation_duplicate = La même facture apparaît deux fois dans ce paiement.
error-payment_on_unissued_document = Un paiement ne peut être affecté qu'à une facture ou un avoir émis.
error-number_too_long = Un numéro compte au plus 35 caractères.
error-number_invalid_characters = Un numéro ne peut contenir que des lettres A à Z, des chiffres et + - _ /.
error-next_number_zero = Le prochain numéro doit être au moins 1.
error-next_number_not_after_last_issued = Le prochain numéro doit suivre le dernier numéro émis, sinon il y aurait un doublon.
error-structured_communication_invalid = Cette communication structurée n'est pas valide (12 chiffres, les deux derniers modulo 97).
error-permission_denied = Votre rôle dans cette entreprise ne permet pas cette action.
error-unknown_value = Cette valeur n'est pas reconnue.
error-article_code_taken = Ce code article est déjà utilisé par un autre article.
error-number_taken = Ce numéro est déjà utilisé par un autre document.
error-already_exists = Cet enregistrement existe déjà.
error-not_found = Cet enregistrement est introuvable.
error-file_exists = Un fichier porte déjà ce nom ; il n'a pas été écrasé.
error-file_open_failed = Le fichier n'a pas pu être ouvert.
error-not_a_company_file = Ce fichier n'est pas un fichier d'entreprise Comptoir.
error-wrong_company_file = Ce fichier appartient à une autre entreprise.
error-file_from_newer_version = Ce fichier a été créé par une version plus récente de Comptoir : mettez l'application à jour.
error-backup_failed = La copie de sauvegarde n'a pas pu être faite ; le fichier n'a pas été modifié.
error-migration_failed = La mise à jour du fichier a échoué ; il n'a pas été modifié.
error-file_corrupt = Le fichier contient une valeur illisible.
error-read_only = Ce fichier est ouvert en lecture seule.
error-io_error = Erreur de lecture ou d'écriture sur le disque.
error-database_error = Erreur de la base de données locale.
error-epoch_changed = Les données du serveur ont été reconstruites depuis la dernière synchronisation : l'entreprise doit être téléchargée à nouveau.
error-page_out_of_order = Une page de synchronisation est arrivée dans le désordre ; elle n'a pas été appliquée.

# Refusals of the shared intent rules (core/src/sync/rules.rs).
error-contact_not_found = Le client de ce document n'existe pas.
error-document_not_found = Ce document n'existe pas (ou a été supprimé).
error-kind_changed = Un brouillon garde son type de document.
error-not_a_draft = Seul un brouillon peut être enregistré ; un document s'émet avec l'action Émettre.
error-not_a_quote_answer = Seul un devis peut être accepté ou refusé.
error-unknown_series = Cette série de numérotation n'existe pas.
error-wrong_company = Ces paramètres appartiennent à une autre entreprise.

## Compte : mot de passe et double authentification
error-wrong_password = Le mot de passe actuel est incorrect.
error-password_too_short = Ce mot de passe est trop court.
error-totp_already_enabled = La double authentification est déjà activée ; désactivez-la d'abord pour changer d'appareil.
error-totp_not_set_up = Commencez d'abord l'activation de la double authentification.
error-totp_not_enabled = La double authentification n'est pas activée.
error-invalid_code = Ce code est incorrect ou a déjà été utilisé : vérifiez l'heure de votre téléphone.
error-unauthenticated = Reconnectez-vous : la session a pris fin.
error-server_unreachable = Le serveur ne répond pas : vérifiez la connexion au réseau.
