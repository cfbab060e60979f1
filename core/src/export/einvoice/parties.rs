//! The seller and the buyer as e-invoices identify them: legal registration numbers
//! with their ISO 6523 scheme, VAT numbers, and electronic addresses (Peppol
//! participant ids: scheme 0208 with the enterprise number in Belgium, 0009 with the
//! SIRET in France — or 0225 with the SIREN, the French directory's address, when only
//! the SIREN is known — and the VAT-based schemes elsewhere).

use crate::model::{Address, Company, Country, ElectronicAddress, PartySnapshot};

/// An identifier with its ISO 6523 scheme, when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SchemeId {
    pub id: String,
    pub scheme: Option<&'static str>,
}

/// A party of the invoice, with everything both syntaxes may state about it.
#[derive(Clone, Debug)]
pub(super) struct Party {
    pub name: String,
    pub address: Address,
    /// BT-31 / BT-48.
    pub vat: Option<String>,
    /// The legal registration number (BT-30 / BT-47): SIREN (0002), enterprise number
    /// (0208) …
    pub legal_id: Option<SchemeId>,
    /// The party identifier (BT-29 / BT-46): the SIRET (0009) when known.
    pub identifier: Option<SchemeId>,
    /// BT-34 / BT-49.
    pub endpoint: Option<ElectronicAddress>,
    /// A tax registration other than VAT (BT-32), for a seller without a VAT number.
    pub tax_registration: Option<String>,
    /// Additional legal information (BT-33): the legal form, the share capital and the
    /// trade register, as printed ("SARL au capital de 10 000 € — RCS Lyon").
    pub legal_info: Option<String>,
}

/// The French SIREN (9 digits) and SIRET (14 digits) of a national id, when French.
fn siren_siret(national_id: &str) -> (Option<String>, Option<String>) {
    match national_id.len() {
        9 => (Some(national_id.to_owned()), None),
        14 => (Some(national_id[..9].to_owned()), Some(national_id.to_owned())),
        _ => (None, None),
    }
}

/// The seller's legal mentions as one line (BT-33).
fn legal_info(company: &Company) -> Option<String> {
    let mut parts = Vec::new();
    let form = company.legal_form.trim();
    match (form.is_empty(), company.share_capital) {
        (false, Some(capital)) => {
            parts.push(format!("{form} au capital de {} {}", group_thousands(capital), company.currency));
        }
        (false, None) => parts.push(form.to_owned()),
        (true, _) => {}
    }
    let city = company.register_city.trim();
    if !city.is_empty() {
        let register = match company.address.country {
            Country::France => "RCS",
            Country::Belgium => "RPM",
            _ => "Registre du commerce de",
        };
        parts.push(format!("{register} {city}"));
    }
    (!parts.is_empty()).then(|| parts.join(" — "))
}

/// `10000` → `10 000`, `2500.5` → `2 500.50`: an amount as French text writes it, with
/// spaces between thousands (and a point, which both syntaxes' readers expect).
fn group_thousands(amount: rust_decimal::Decimal) -> String {
    let text = if amount.fract().is_zero() { amount.trunc().to_string() } else { format!("{amount:.2}") };
    let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{grouped}.{fraction}"),
        None => grouped,
    }
}

impl Party {
    pub(super) fn seller(company: &Company) -> Self {
        let vat = company.vat_number.as_ref();
        let national = company.national_id.as_ref().map(|id| id.as_str().to_owned());
        let vat_digits = |country: &str, skip: usize| {
            vat.filter(|v| v.country_code() == country).map(|v| v.as_str()[skip..].to_owned())
        };
        let (legal_id, identifier, endpoint, tax_registration) = match &company.address.country {
            Country::France => {
                let (siren, establishment) = national.as_deref().map_or((None, None), siren_siret);
                let siren = siren.or_else(|| vat_digits("FR", 4));
                let endpoint = match (&establishment, &siren) {
                    (Some(number), _) => ElectronicAddress::new("0009", number).ok(),
                    (None, Some(number)) => ElectronicAddress::new("0225", number).ok(),
                    (None, None) => None,
                };
                // Without a VAT number (franchise en base), the SIREN is the seller's
                // tax registration (BT-32), which EN 16931 wants for exempt lines.
                let tax_registration = if vat.is_none() { siren.clone() } else { None };
                (
                    siren.map(|id| SchemeId { id, scheme: Some("0002") }),
                    establishment.map(|id| SchemeId { id, scheme: Some("0009") }),
                    endpoint,
                    tax_registration,
                )
            }
            Country::Belgium => {
                let number = national.or_else(|| vat_digits("BE", 2));
                let endpoint = number.as_deref().and_then(|n| ElectronicAddress::new("0208", n).ok());
                (number.map(|id| SchemeId { id, scheme: Some("0208") }), None, endpoint, None)
            }
            _ => (national.map(|id| SchemeId { id, scheme: None }), None, None, None),
        };
        Self {
            name: company.legal_name.clone(),
            address: company.address.clone(),
            vat: vat.map(|v| v.as_str().to_owned()),
            legal_id,
            identifier,
            endpoint: endpoint.or_else(|| vat.and_then(ElectronicAddress::of_vat_number)),
            tax_registration,
            legal_info: legal_info(company),
        }
    }

    pub(super) fn buyer(customer: &PartySnapshot, endpoint: Option<&ElectronicAddress>) -> Self {
        let vat = customer.vat_number.as_ref();
        let legal_id = vat.and_then(|v| match v.country_code() {
            "FR" => Some(SchemeId { id: v.as_str()[4..].to_owned(), scheme: Some("0002") }),
            "BE" => Some(SchemeId { id: v.as_str()[2..].to_owned(), scheme: Some("0208") }),
            _ => None,
        });
        Self {
            name: customer.name.clone(),
            address: customer.address.clone(),
            vat: vat.map(|v| v.as_str().to_owned()),
            legal_id,
            identifier: None,
            endpoint: endpoint.cloned().or_else(|| vat.and_then(ElectronicAddress::of_vat_number)),
            tax_registration: None,
            legal_info: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_from_vat_numbers() {
        use crate::model::VatNumber;
        let be = VatNumber::parse("BE0403170701").unwrap();
        assert_eq!(ElectronicAddress::of_vat_number(&be).unwrap().to_string(), "0208:0403170701");
        let fr = VatNumber::parse("FR40303265045").unwrap();
        assert_eq!(ElectronicAddress::of_vat_number(&fr).unwrap().to_string(), "0225:303265045");
        let de = VatNumber::parse("DE123456789").unwrap();
        assert_eq!(ElectronicAddress::of_vat_number(&de).unwrap().to_string(), "9930:DE123456789");
        let us = VatNumber::parse("US123456789").unwrap();
        assert_eq!(ElectronicAddress::of_vat_number(&us), None);
    }

    #[test]
    fn thousands_are_grouped() {
        use rust_decimal::Decimal;
        assert_eq!(group_thousands(Decimal::new(10_000, 0)), "10 000");
        assert_eq!(group_thousands(Decimal::new(1_000_000, 0)), "1 000 000");
        assert_eq!(group_thousands(Decimal::new(25_005, 1)), "2 500.50");
        assert_eq!(group_thousands(Decimal::new(500, 0)), "500");
    }

    #[test]
    fn an_electronic_address_is_checked() {
        assert!(ElectronicAddress::new("0208", "0403170701").is_ok());
        assert!(ElectronicAddress::new("0208", "0403170702").is_err(), "check digits");
        assert!(ElectronicAddress::new("0208", "403170701").is_err(), "ten digits");
        assert!(ElectronicAddress::new("0009", "30326504500013").is_err(), "SIRET check digit");
        assert!(ElectronicAddress::new("9957", "FR40303265045").is_ok());
        assert!(ElectronicAddress::new("9930", "DE136695976").is_ok());
        assert!(ElectronicAddress::new("208", "0403170701").is_err());
        assert!(ElectronicAddress::new("0208", "").is_err());
        assert!(ElectronicAddress::new("0208", "a b").is_err());
        assert!(ElectronicAddress::new("0208", &"1".repeat(126)).is_err());
    }
}
