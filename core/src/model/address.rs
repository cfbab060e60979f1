//! Postal addresses and countries.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ModelError;

/// A country, with the three markets Comptoir knows the rules of named.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Country {
    France,
    Belgium,
    Switzerland,
    /// Any other ISO 3166-1 alpha-2 code, upper case.
    Other(String),
}

impl Country {
    /// Parses an ISO 3166-1 alpha-2 code (`FR`, `be` …).
    pub fn from_code(code: &str) -> Result<Self, ModelError> {
        let upper = code.trim().to_ascii_uppercase();
        match upper.as_str() {
            "FR" => Ok(Self::France),
            "BE" => Ok(Self::Belgium),
            "CH" => Ok(Self::Switzerland),
            other if other.len() == 2 && other.bytes().all(|b| b.is_ascii_uppercase()) => Ok(Self::Other(upper)),
            _ => Err(ModelError::InvalidCountry { value: code.to_owned() }),
        }
    }

    /// Whether the country is a member of the European Union (for intra-EU supplies and
    /// exports outside the EU).
    pub fn is_eu(&self) -> bool {
        const EU: [&str; 27] = [
            "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
            "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        ];
        EU.contains(&self.code())
    }

    pub fn code(&self) -> &str {
        match self {
            Self::France => "FR",
            Self::Belgium => "BE",
            Self::Switzerland => "CH",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Country {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_code(&value)
    }
}

impl From<Country> for String {
    fn from(value: Country) -> Self {
        value.code().to_owned()
    }
}

/// A postal address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    /// Building, floor, PO box: optional second line.
    pub street2: String,
    pub postcode: String,
    pub city: String,
    pub country: Country,
}

impl Address {
    /// Street, postcode and city are required for an invoice address.
    pub fn validate(&self) -> Result<(), ModelError> {
        for (field, value, max) in
            [("street", &self.street, 120), ("postcode", &self.postcode, 16), ("city", &self.city, 80)]
        {
            if value.trim().is_empty() {
                return Err(ModelError::Required { field });
            }
            if value.chars().count() > max {
                return Err(ModelError::TooLong { field, max });
            }
        }
        if self.street2.chars().count() > 120 {
            return Err(ModelError::TooLong { field: "street2", max: 120 });
        }
        Ok(())
    }
}
