//! VAT rates.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Country, ModelError};

/// A VAT rate in percent (20, 5.5, 21, 8.1 …): between 0 and 100, at most 2 decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct VatRate(Decimal);

impl VatRate {
    pub const ZERO: Self = Self(Decimal::ZERO);

    pub fn new(percent: Decimal) -> Result<Self, ModelError> {
        if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED || percent.normalize().scale() > 2 {
            return Err(ModelError::InvalidVatRate { rate: percent });
        }
        Ok(Self(percent.normalize()))
    }

    pub fn percent(self) -> Decimal {
        self.0
    }

    /// The rates in force in a country, standard rate first. Empty for other countries:
    /// the user types their rates.
    pub fn rates_of(country: &Country) -> Vec<Self> {
        let percents: &[(i64, u32)] = match country {
            Country::France => &[(20, 0), (10, 0), (55, 1), (21, 1), (0, 0)],
            Country::Belgium => &[(21, 0), (12, 0), (6, 0), (0, 0)],
            Country::Switzerland => &[(81, 1), (26, 1), (38, 1), (0, 0)],
            Country::Other(_) => &[],
        };
        percents.iter().map(|&(m, s)| Self(Decimal::new(m, s))).collect()
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.0)
    }
}

impl TryFrom<Decimal> for VatRate {
    type Error = ModelError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<VatRate> for Decimal {
    fn from(value: VatRate) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rates_are_bounded_and_normalised() {
        assert_eq!(VatRate::new(dec!(20.00)).unwrap().percent(), dec!(20));
        assert_eq!(VatRate::new(dec!(5.5)).unwrap().to_string(), "5.5 %");
        assert_eq!(VatRate::new(dec!(-1)).unwrap_err().code(), "vat_rate_invalid");
        assert!(VatRate::new(dec!(100.01)).is_err());
        assert!(VatRate::new(dec!(5.555)).is_err());
        assert!(VatRate::new(dec!(0)).is_ok());
    }

    #[test]
    fn country_rates() {
        assert_eq!(VatRate::rates_of(&Country::France)[0].percent(), dec!(20));
        assert_eq!(VatRate::rates_of(&Country::Belgium)[0].percent(), dec!(21));
        assert!(VatRate::rates_of(&Country::Belgium).iter().any(|r| r.percent() == dec!(6)));
    }
}
