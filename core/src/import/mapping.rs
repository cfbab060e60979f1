//! Which field each column of the file fills, guessed from the headers in French,
//! Dutch or English, accents and case aside; the user may change it before importing.

use crate::store::fold_for_sort;

use super::ImportKind;

/// A field a column may fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    // Contacts.
    Name,
    Kind,
    Email,
    Phone,
    VatNumber,
    Street,
    Street2,
    Postcode,
    City,
    Country,
    PaymentTerms,
    // Articles.
    Code,
    ArticleName,
    Unit,
    UnitPrice,
    VatRate,
}

impl Field {
    pub const CONTACT: [Self; 11] = [
        Self::Name,
        Self::Kind,
        Self::Email,
        Self::Phone,
        Self::VatNumber,
        Self::Street,
        Self::Street2,
        Self::Postcode,
        Self::City,
        Self::Country,
        Self::PaymentTerms,
    ];
    pub const ARTICLE: [Self; 5] = [Self::Code, Self::ArticleName, Self::Unit, Self::UnitPrice, Self::VatRate];

    /// The fields of `kind`, in the order a form shows them.
    pub fn of(kind: ImportKind) -> &'static [Self] {
        match kind {
            ImportKind::Contacts => &Self::CONTACT,
            ImportKind::Articles => &Self::ARTICLE,
        }
    }

    /// A stable name (locale ids are `import-field-<id>`).
    pub fn id(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Kind => "kind",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::VatNumber => "vat-number",
            Self::Street => "street",
            Self::Street2 => "street2",
            Self::Postcode => "postcode",
            Self::City => "city",
            Self::Country => "country",
            Self::PaymentTerms => "payment-terms",
            Self::Code => "code",
            Self::ArticleName => "article-name",
            Self::Unit => "unit",
            Self::UnitPrice => "unit-price",
            Self::VatRate => "vat-rate",
        }
    }

    /// Whether a row cannot be imported without it (the model requires it, or it is the
    /// article's natural key).
    pub fn required(self) -> bool {
        matches!(
            self,
            Self::Name | Self::Street | Self::Postcode | Self::City | Self::Code | Self::ArticleName | Self::UnitPrice
        )
    }

    /// Headers that name this field, folded (lower case, no accents) and squashed (no
    /// spaces or punctuation): "N° TVA" is `ntva`, "E-mail" is `email`.
    #[allow(clippy::too_many_lines, reason = "one list of names per field reads best in one place")]
    fn names(self) -> &'static [&'static str] {
        match self {
            Self::Name => &[
                "nom",
                "naam",
                "name",
                "raisonsociale",
                "societe",
                "entreprise",
                "denomination",
                "client",
                "nomduclient",
                "nomcomplet",
                "company",
                "companyname",
                "customer",
                "fullname",
                "bedrijf",
                "bedrijfsnaam",
                "klant",
                "firma",
                "firmanaam",
            ],
            Self::Kind => &["type", "genre", "soort", "kind", "typedecontact", "contacttype"],
            Self::Email => &[
                "email",
                "courriel",
                "mail",
                "adresseemail",
                "adressemail",
                "emailadres",
                "emailaddress",
                "adressecourriel",
            ],
            Self::Phone => {
                &["telephone", "tel", "phone", "telefoon", "telefoonnummer", "gsm", "mobile", "portable", "phonenumber"]
            }
            Self::VatNumber => &[
                "tva",
                "ntva",
                "notva",
                "numtva",
                "numerotva",
                "numerodetva",
                "tvaintracommunautaire",
                "ntvaintracommunautaire",
                "numerotvaintracommunautaire",
                "btw",
                "btwnummer",
                "btwnr",
                "btwno",
                "vat",
                "vatnumber",
                "vatno",
                "vatid",
                "ondernemingsnummer",
            ],
            Self::Street => &[
                "adresse",
                "rue",
                "straat",
                "adres",
                "address",
                "street",
                "adresse1",
                "adresseligne1",
                "addressline1",
                "straatennummer",
                "rueetnumero",
                "streetaddress",
            ],
            Self::Street2 => {
                &["adresse2", "complement", "complementdadresse", "adresseligne2", "addressline2", "street2", "adres2"]
            }
            Self::Postcode => &["codepostal", "cp", "postcode", "postalcode", "zip", "zipcode", "npa", "postnummer"],
            Self::City => &["ville", "gemeente", "city", "localite", "commune", "stad", "plaats", "town", "woonplaats"],
            Self::Country => &["pays", "land", "country", "codepays", "countrycode", "landcode"],
            Self::PaymentTerms => &[
                "delaidepaiement",
                "delaipaiement",
                "delaidepaiementjours",
                "echeance",
                "echeancejours",
                "betalingstermijn",
                "paymentterms",
                "paymenttermsdays",
            ],
            Self::Code => &[
                "code",
                "reference",
                "ref",
                "codearticle",
                "referencearticle",
                "sku",
                "artikelcode",
                "artikelnummer",
                "itemcode",
                "productcode",
            ],
            Self::ArticleName => &[
                "designation",
                "libelle",
                "omschrijving",
                "description",
                "nom",
                "naam",
                "name",
                "article",
                "produit",
                "artikel",
                "product",
                "intitule",
                "benaming",
            ],
            Self::Unit => &["unite", "eenheid", "unit", "unitedemesure"],
            Self::UnitPrice => &[
                "prixht",
                "prix",
                "prijs",
                "price",
                "prixunitaire",
                "prixunitaireht",
                "pu",
                "puht",
                "unitprice",
                "eenheidsprijs",
                "prijsexclbtw",
                "prijsexcl",
                "tarif",
                "tarifht",
                "pricenet",
                "netprice",
            ],
            Self::VatRate => &[
                "tauxtva",
                "tauxdetva",
                "tva",
                "btwtarief",
                "btwpercentage",
                "btw",
                "vatrate",
                "vat",
                "taux",
                "tvapercent",
                "btwvoet",
            ],
        }
    }
}

/// A header folded and squashed for comparison.
pub fn squash(header: &str) -> String {
    fold_for_sort(header).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The field of each column (`None`: the column is ignored).
pub type Mapping = Vec<Option<Field>>;

/// Guesses the mapping of `headers` for `kind`: each field goes to the first column
/// whose header names it; unknown headers are ignored.
pub fn guess_mapping(kind: ImportKind, headers: &[String]) -> Mapping {
    let mut mapping: Mapping = vec![None; headers.len()];
    let squashed: Vec<String> = headers.iter().map(|h| squash(h)).collect();
    for field in Field::of(kind) {
        let found =
            squashed.iter().enumerate().find(|(i, h)| mapping[*i].is_none() && field.names().contains(&h.as_str()));
        if let Some((i, _)) = found {
            mapping[i] = Some(*field);
        }
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(kind: ImportKind, headers: &[&str]) -> Mapping {
        guess_mapping(kind, &headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn contact_headers_in_three_languages() {
        use Field::*;
        assert_eq!(
            guess(
                ImportKind::Contacts,
                &["Raison sociale", "Courriel", "N° TVA", "Rue", "Code postal", "Ville", "Pays", "Remarque"]
            ),
            [Some(Name), Some(Email), Some(VatNumber), Some(Street), Some(Postcode), Some(City), Some(Country), None]
        );
        assert_eq!(
            guess(ImportKind::Contacts, &["NAAM", "E-mail", "BTW-nummer", "Straat", "Postcode", "Gemeente", "Land"]),
            [Some(Name), Some(Email), Some(VatNumber), Some(Street), Some(Postcode), Some(City), Some(Country)]
        );
        assert_eq!(
            guess(ImportKind::Contacts, &["Name", "E-mail", "VAT number", "Address", "Postcode", "City", "Country"]),
            [Some(Name), Some(Email), Some(VatNumber), Some(Street), Some(Postcode), Some(City), Some(Country)]
        );
        // The first "Nom" column wins; the second is left for the user to choose.
        assert_eq!(guess(ImportKind::Contacts, &["Nom", "nom"]), [Some(Name), None]);
        assert_eq!(
            guess(ImportKind::Contacts, &["  TÉLÉPHONE  ", "Adresse e-mail", "Adresse"]),
            [Some(Phone), Some(Email), Some(Street)]
        );
    }

    #[test]
    fn article_headers_in_three_languages() {
        use Field::*;
        assert_eq!(
            guess(ImportKind::Articles, &["Référence", "Désignation", "Unité", "Prix HT", "Taux TVA"]),
            [Some(Code), Some(ArticleName), Some(Unit), Some(UnitPrice), Some(VatRate)]
        );
        assert_eq!(
            guess(ImportKind::Articles, &["Code", "Omschrijving", "Eenheid", "Prijs", "BTW-tarief"]),
            [Some(Code), Some(ArticleName), Some(Unit), Some(UnitPrice), Some(VatRate)]
        );
        assert_eq!(
            guess(ImportKind::Articles, &["code", "libellé", "unit", "price", "VAT rate"]),
            [Some(Code), Some(ArticleName), Some(Unit), Some(UnitPrice), Some(VatRate)]
        );
        // "TVA" is a rate among articles, a number among contacts.
        assert_eq!(guess(ImportKind::Articles, &["TVA"]), [Some(VatRate)]);
        assert_eq!(guess(ImportKind::Contacts, &["TVA"]), [Some(VatNumber)]);
    }
}
