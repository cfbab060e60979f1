//! Business identifiers with check digits: VAT numbers, national company numbers
//! (SIREN in France, enterprise number BCE/KBO in Belgium, UID in Switzerland), IBAN, BIC.
//!
//! Each type can only hold a valid value: parsing normalises the input (spaces, dots and
//! dashes removed, upper case) and checks its format and check digits where the country
//! defines them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ModelError;

/// Removes the separators people type (spaces, dots, dashes) and upper-cases.
fn compact(input: &str) -> String {
    input.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}')).flat_map(char::to_uppercase).collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The digit that, appended to `digits`, makes a number pass the Luhn check (used by the
/// French SIREN and SIRET). `digits` must be ASCII digits.
pub fn luhn_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            // From the right, every other digit starting with the first is doubled.
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

fn luhn_valid(digits: &str) -> bool {
    match digits.as_bytes().split_last() {
        Some((last, rest)) if last.is_ascii_digit() => {
            std::str::from_utf8(rest).is_ok_and(|rest| luhn_check_digit(rest) == last - b'0')
        }
        _ => false,
    }
}

/// La Poste's SIREN predates the Luhn rule and is the one known exception.
const LA_POSTE_SIREN: &str = "356000000";

fn siren_valid(siren: &str) -> bool {
    siren.len() == 9 && all_digits(siren) && (luhn_valid(siren) || siren == LA_POSTE_SIREN)
}

/// The French VAT key: `(12 + 3 × (SIREN mod 97)) mod 97`.
pub fn french_vat_key(siren: u64) -> u64 {
    (12 + 3 * (siren % 97)) % 97
}

/// The Belgian check: the last two digits are `97 − (first eight mod 97)`.
pub fn belgian_check_digits(first_eight: u64) -> u64 {
    97 - first_eight % 97
}

fn belgian_enterprise_number_valid(digits: &str) -> bool {
    if digits.len() != 10 || !all_digits(digits) || !matches!(&digits[..1], "0" | "1") {
        return false;
    }
    match (digits[..8].parse::<u64>(), digits[8..].parse::<u64>()) {
        (Ok(base), Ok(check)) => belgian_check_digits(base) == check,
        _ => false,
    }
}

/// Swiss UID (`CHE-123.456.789`): mod 11 with weights 5 4 3 2 7 6 5 4.
fn swiss_uid_valid(digits: &str) -> bool {
    if digits.len() != 9 || !all_digits(digits) {
        return false;
    }
    let weights = [5, 4, 3, 2, 7, 6, 5, 4];
    let sum: u32 = digits.bytes().take(8).zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let check = (11 - sum % 11) % 11;
    check != 10 && u32::from(digits.as_bytes()[8] - b'0') == check
}

/// An intra-community VAT number (`FR40303265045`, `BE0403170701`) or a Swiss VAT
/// number (`CHE-123.456.788 MWST`). FR, BE and CH numbers are checked to their check
/// digits; other countries by their general format.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let mut value = compact(input);
        for suffix in ["MWST", "TVA", "IVA"] {
            if value.starts_with("CHE")
                && let Some(stripped) = value.strip_suffix(suffix)
            {
                value = stripped.to_owned();
            }
        }
        let invalid = |reason| ModelError::InvalidVatNumber { value: input.trim().to_owned(), reason };
        if value.len() < 4 || !value.is_ascii() {
            return Err(invalid("too short"));
        }
        let (country, rest) = value.split_at(2);
        if !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("it must start with a two-letter country code"));
        }
        match country {
            "FR" => {
                if rest.len() != 11 {
                    return Err(invalid("a French number has FR, a 2-character key and the 9-digit SIREN"));
                }
                let (key, siren) = rest.split_at(2);
                if !siren_valid(siren) {
                    return Err(invalid("the SIREN part fails its check digit"));
                }
                // Numeric keys are computed from the SIREN; the rare alphanumeric keys of
                // the "new style" cannot be verified offline and are accepted by format.
                if all_digits(key) {
                    let siren_value: u64 = siren.parse().map_err(|_| invalid("the SIREN part is not a number"))?;
                    if key.parse::<u64>().ok() != Some(french_vat_key(siren_value)) {
                        return Err(invalid("the key does not match the SIREN"));
                    }
                } else if !key.bytes().all(|b| b.is_ascii_alphanumeric()) || key.contains(['I', 'O']) {
                    return Err(invalid("the key must be two letters or digits"));
                }
            }
            "BE" => {
                let digits = if rest.len() == 9 { format!("0{rest}") } else { rest.to_owned() };
                if !belgian_enterprise_number_valid(&digits) {
                    return Err(invalid("a Belgian number has BE and 10 digits, the last two being a mod 97 check"));
                }
                value = format!("BE{digits}");
            }
            "CH" => {
                let digits = rest.strip_prefix('E').unwrap_or("");
                if !swiss_uid_valid(digits) {
                    return Err(invalid("a Swiss number is CHE followed by 9 digits with a valid check digit"));
                }
            }
            _ => {
                if !(2..=13).contains(&rest.len()) || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid("after the country code come 2 to 13 letters or digits"));
                }
            }
        }
        Ok(Self(value))
    }

    /// The two-letter country prefix (`CH` for Swiss numbers).
    pub fn country_code(&self) -> &str {
        &self.0[..2]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for VatNumber {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<VatNumber> for String {
    fn from(value: VatNumber) -> Self {
        value.0
    }
}

/// A national company registration number, checked for the company's country:
/// SIREN (9 digits, Luhn) or SIRET (14 digits, Luhn) in France, enterprise number
/// BCE/KBO (10 digits, mod 97) in Belgium, UID (CHE + 9 digits, mod 11) in Switzerland.
/// Elsewhere any 1–30 letters and digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NationalId(String);

impl NationalId {
    pub fn parse(country_code: &str, input: &str) -> Result<Self, ModelError> {
        let value = compact(input);
        let invalid = |reason| ModelError::InvalidNationalId { value: input.trim().to_owned(), reason };
        match country_code {
            "FR" => {
                let ok = match value.len() {
                    9 => siren_valid(&value),
                    14 => all_digits(&value) && (luhn_valid(&value) || value.starts_with(LA_POSTE_SIREN)),
                    _ => false,
                };
                if !ok {
                    return Err(invalid("a SIREN has 9 digits (a SIRET 14) with a valid check digit"));
                }
            }
            "BE" => {
                let digits = if value.len() == 9 { format!("0{value}") } else { value.clone() };
                if !belgian_enterprise_number_valid(&digits) {
                    return Err(invalid("an enterprise number has 10 digits, the last two being a mod 97 check"));
                }
                return Ok(Self(digits));
            }
            "CH" => {
                if !swiss_uid_valid(value.strip_prefix("CHE").unwrap_or("")) {
                    return Err(invalid("a Swiss UID is CHE followed by 9 digits with a valid check digit"));
                }
            }
            _ => {
                if value.is_empty() || value.len() > 30 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid("1 to 30 letters and digits"));
                }
            }
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An International Bank Account Number, checked by length for FR, BE and CH and by
/// its mod 97 check digits everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let value = compact(input);
        let invalid = |reason| ModelError::InvalidIban { value: input.trim().to_owned(), reason };
        if !(15..=34).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid("15 to 34 letters and digits"));
        }
        let expected_len = match &value[..2] {
            "FR" => Some(27),
            "BE" => Some(16),
            "CH" => Some(21),
            _ => None,
        };
        if expected_len.is_some_and(|len| len != value.len()) {
            return Err(invalid("wrong length for its country"));
        }
        // Move the first four characters to the end, turn letters into 10..35, mod 97 = 1.
        let rearranged = value[4..].bytes().chain(value[..4].bytes());
        let mut remainder: u32 = 0;
        for b in rearranged {
            let digit_value = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
            remainder = if digit_value >= 10 {
                (remainder * 100 + digit_value) % 97
            } else {
                (remainder * 10 + digit_value) % 97
            };
        }
        if remainder != 1 {
            return Err(invalid("its check digits do not match"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Iban {
    /// Groups of four, as printed on invoices.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Iban {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Iban> for String {
    fn from(value: Iban) -> Self {
        value.0
    }
}

/// A bank identifier code (SWIFT): 4 letters (bank), 2 letters (country), 2 letters or
/// digits (location), optionally 3 more (branch).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Bic(String);

impl Bic {
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let value = compact(input);
        let b = value.as_bytes();
        let ok = matches!(b.len(), 8 | 11)
            && b[..6].iter().all(u8::is_ascii_uppercase)
            && b[6..].iter().all(u8::is_ascii_alphanumeric);
        if ok { Ok(Self(value)) } else { Err(ModelError::InvalidBic { value: input.trim().to_owned() }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Bic {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Bic> for String {
    fn from(value: Bic) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_vat_numbers_valid() {
        for input in ["FR40303265045", "fr 40 303 265 045", "FR83404833048", "FR03552081317"] {
            let vat = VatNumber::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(vat.country_code(), "FR");
        }
        assert_eq!(VatNumber::parse("FR 40 303.265.045").unwrap().as_str(), "FR40303265045");
    }

    #[test]
    fn french_vat_numbers_invalid() {
        // Wrong key for a valid SIREN.
        let err = VatNumber::parse("FR41303265045").unwrap_err();
        assert_eq!(err.code(), "vat_number_invalid");
        assert!(err.to_string().contains("key"), "{err}");
        // SIREN failing Luhn.
        assert!(VatNumber::parse("FR32123456789").unwrap_err().to_string().contains("SIREN"));
        // Wrong length.
        assert!(VatNumber::parse("FR4030326504").is_err());
    }

    #[test]
    fn belgian_vat_numbers() {
        assert_eq!(VatNumber::parse("BE0403170701").unwrap().as_str(), "BE0403170701");
        assert_eq!(VatNumber::parse("BE 0202.239.951").unwrap().as_str(), "BE0202239951");
        // Old nine-digit form gains its leading zero.
        assert_eq!(VatNumber::parse("BE403170701").unwrap().as_str(), "BE0403170701");
        // Check digits wrong.
        assert_eq!(VatNumber::parse("BE0403170702").unwrap_err().code(), "vat_number_invalid");
        assert!(VatNumber::parse("BE0123456789").is_err());
        // Must start with 0 or 1.
        assert!(VatNumber::parse("BE2403170701").is_err());
    }

    #[test]
    fn other_vat_numbers_by_format() {
        assert!(VatNumber::parse("DE136695976").is_ok());
        assert!(VatNumber::parse("CHE-116.281.710 MWST").is_ok());
        assert!(VatNumber::parse("CHE-116.281.711 MWST").is_err());
        assert!(VatNumber::parse("1234").is_err());
        assert!(VatNumber::parse("DE!").is_err());
    }

    #[test]
    fn national_ids() {
        assert!(NationalId::parse("FR", "303 265 045").is_ok());
        assert!(NationalId::parse("FR", "356000000").is_ok(), "La Poste");
        assert!(NationalId::parse("FR", "303265046").is_err());
        assert_eq!(NationalId::parse("BE", "0403.170.701").unwrap().as_str(), "0403170701");
        assert_eq!(NationalId::parse("BE", "0403.170.702").unwrap_err().code(), "national_id_invalid");
    }

    #[test]
    fn ibans() {
        let iban = Iban::parse("FR76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.to_string(), "FR76 3000 6000 0112 3456 7890 189");
        assert!(Iban::parse("BE68539007547034").is_ok());
        assert!(Iban::parse("CH9300762011623852957").is_ok());
        assert_eq!(Iban::parse("FR7630006000011234567890188").unwrap_err().code(), "iban_invalid");
        assert!(Iban::parse("BE6853900754703").is_err(), "wrong length for BE");
    }

    #[test]
    fn bics() {
        assert!(Bic::parse("GEBABEBB").is_ok());
        assert!(Bic::parse("bnpa fr pp xxx").is_ok());
        assert_eq!(Bic::parse("GEBA1EBB").unwrap_err().code(), "bic_invalid");
        assert!(Bic::parse("GEBABEB").is_err());
    }
}
