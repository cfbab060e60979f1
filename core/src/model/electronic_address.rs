//! Electronic addresses (EN 16931 BT-34/BT-49): Peppol participant identifiers, an ISO
//! 6523 / EAS scheme code and the identifier within it — scheme 0208 with the enterprise
//! number in Belgium, 0009 with the SIRET in France (or 0225 with the SIREN, the French
//! directory's address, when only the SIREN is known), the VAT-based schemes elsewhere.
//! A contact may record its own (what its access point registered); else one is derived
//! from its VAT number.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ModelError, NationalId, VatNumber};

/// An electronic address (EN 16931 BT-34/BT-49): a Peppol participant identifier, an
/// ISO 6523 / EAS scheme code and the identifier within it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct ElectronicAddress(
    /// `scheme:id`, as Peppol writes participant ids ("0208:0403170701").
    String,
);

impl ElectronicAddress {
    /// `scheme` is a 4-digit EAS code (`0208`, `0009`, `9957` …); `id` 1 to 125 letters,
    /// digits, `-`, `_` or `.` (what the French rules allow, a subset of Peppol's). The
    /// schemes whose numbers have check digits are checked: 0208 (Belgian enterprise
    /// number), 0009 (SIRET), 0002 (SIREN) and the VAT schemes of France (9957) and
    /// Belgium (9925).
    pub fn new(scheme: &str, id: &str) -> Result<Self, ModelError> {
        let (scheme, id) = (scheme.trim(), id.trim());
        if scheme.len() != 4 || !scheme.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ModelError::UnknownValue { field: "electronic address scheme", value: scheme.to_owned() });
        }
        if id.is_empty()
            || id.len() > 125
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ModelError::UnknownValue { field: "electronic address", value: id.to_owned() });
        }
        let checked = match scheme {
            "0208" if id.len() == 10 => NationalId::parse("BE", id).map(drop),
            "0009" if id.len() == 14 => NationalId::parse("FR", id).map(drop),
            "0002" if id.len() == 9 => NationalId::parse("FR", id).map(drop),
            "0208" | "0009" | "0002" => {
                Err(ModelError::UnknownValue { field: "electronic address", value: id.to_owned() })
            }
            "9957" | "9925" => VatNumber::parse(id).map(drop),
            _ => Ok(()),
        };
        checked.map_err(|_| ModelError::UnknownValue { field: "electronic address", value: id.to_owned() })?;
        Ok(Self(format!("{scheme}:{id}")))
    }

    /// The Peppol id a VAT number gives: the enterprise number (0208) for a Belgian
    /// number, the SIREN in the French directory (0225) for a French one, the country's
    /// VAT scheme elsewhere; `None` for a country Peppol has no VAT scheme for.
    pub fn of_vat_number(vat: &VatNumber) -> Option<Self> {
        let country = vat.country_code();
        let number = vat.as_str();
        match country {
            "BE" => Self::new("0208", &number[2..]).ok(),
            "FR" => Self::new("0225", &number[4..]).ok(),
            _ => vat_scheme(country).and_then(|scheme| Self::new(scheme, number).ok()),
        }
    }

    /// The EAS scheme code ("0208").
    pub fn scheme(&self) -> &str {
        self.0.split_once(':').map_or("", |(scheme, _)| scheme)
    }

    /// The identifier within the scheme ("0403170701").
    pub fn id(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, id)| id)
    }
}

impl std::str::FromStr for ElectronicAddress {
    type Err = ModelError;

    /// `scheme:id`, as Peppol writes participant ids ("0208:0403170701").
    fn from_str(text: &str) -> Result<Self, ModelError> {
        let (scheme, id) = text
            .split_once(':')
            .ok_or_else(|| ModelError::UnknownValue { field: "electronic address", value: text.to_owned() })?;
        Self::new(scheme, id)
    }
}

impl TryFrom<String> for ElectronicAddress {
    type Error = ModelError;

    fn try_from(text: String) -> Result<Self, ModelError> {
        text.parse()
    }
}

impl From<ElectronicAddress> for String {
    fn from(address: ElectronicAddress) -> Self {
        address.0
    }
}

impl fmt::Display for ElectronicAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Peppol EAS code of a country's VAT numbers (from the 2026 EAS code list).
fn vat_scheme(country: &str) -> Option<&'static str> {
    Some(match country {
        "AD" => "9922",
        "AL" => "9923",
        "AT" => "9914",
        "BA" => "9924",
        "BE" => "9925",
        "BG" => "9926",
        "CH" => "9927",
        "CY" => "9928",
        "CZ" => "9929",
        "DE" => "9930",
        "EE" => "9931",
        "ES" => "9920",
        "FR" => "9957",
        "GB" => "9932",
        "EL" | "GR" => "9933",
        "HR" => "9934",
        "HU" => "9910",
        "IE" => "9935",
        "IT" => "0211",
        "LI" => "9936",
        "LT" => "9937",
        "LU" => "9938",
        "LV" => "9939",
        "MC" => "9940",
        "ME" => "9941",
        "MK" => "9942",
        "MT" => "9943",
        "NL" => "9944",
        "PL" => "9945",
        "PT" => "9946",
        "RO" => "9947",
        "RS" => "9948",
        "SI" => "9949",
        "SK" => "9950",
        "SM" => "9951",
        "TR" => "9952",
        "VA" => "9953",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_and_writes_as_peppol_writes_it() {
        let address: ElectronicAddress = "0208:0403170701".parse().unwrap();
        assert_eq!((address.scheme(), address.id()), ("0208", "0403170701"));
        let json = serde_json::to_string(&address).unwrap();
        assert_eq!(json, "\"0208:0403170701\"");
        assert_eq!(serde_json::from_str::<ElectronicAddress>(&json).unwrap(), address);
        for bad in ["0208:0403170702", "0208", "208:0403170701", ":0403170701", "0009:123", "9930:DE 1"] {
            assert!(bad.parse::<ElectronicAddress>().is_err(), "{bad}");
            assert!(serde_json::from_str::<ElectronicAddress>(&format!("\"{bad}\"")).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_contact_without_one_keeps_its_json() {
        // Records written before the field existed read the same and write the same bytes
        // (the sync checksums the JSON).
        let json = r#"{"id":"0193a3c4-0000-7000-8000-000000000001","kind":"company","name":"Atelier","is_customer":true,"is_supplier":false,"email":null,"phone":null,"vat_number":null,"billing_address":{"street":"1 rue","street2":"","postcode":"75001","city":"Paris","country":"FR"},"delivery_address":null,"payment_terms_days":null,"archived":false}"#;
        let contact: crate::model::Contact = serde_json::from_str(json).unwrap();
        assert_eq!(contact.peppol_id, None);
        assert_eq!(serde_json::to_string(&contact).unwrap(), json);
        let with = json.replace(r#""archived":false"#, r#""archived":false,"peppol_id":"0009:30326504500003""#);
        let contact: crate::model::Contact = serde_json::from_str(&with).unwrap();
        assert_eq!(contact.peppol_id.unwrap().to_string(), "0009:30326504500003");
        let bad = json.replace(r#""archived":false"#, r#""archived":false,"peppol_id":"0009:1""#);
        assert!(serde_json::from_str::<crate::model::Contact>(&bad).is_err(), "a malformed id refuses the record");
    }
}
