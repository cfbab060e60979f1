//! VAT rates and the EN 16931 VAT categories.

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

/// The VAT category of a line (EN 16931 BT-151, codes of UNTDID 5305), which says why a
/// line bears the VAT it bears. Each has its rules ([`VatCategory::check_rate`], and the
/// document's [`check_vat`](super::Document::check_vat)):
///
/// - `S` standard rate: a rate above 0 %;
/// - `Z` zero-rated goods: 0 %;
/// - `E` exempt: 0 %, and the document says why (an exemption reason such as "TVA non
///   applicable, art. 293 B du CGI" for a French micro-entrepreneur);
/// - `AE` reverse charge ("Autoliquidation"): 0 %, the seller's and the buyer's VAT
///   numbers both on the document;
/// - `K` intra-EU supply of goods: 0 %, both VAT numbers, the buyer in another EU country;
/// - `G` export outside the EU: 0 %, the buyer outside the EU;
/// - `O` outside the scope of VAT: 0 %, and no other category on the same document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VatCategory {
    #[serde(rename = "S")]
    Standard,
    #[serde(rename = "Z")]
    ZeroRated,
    #[serde(rename = "E")]
    Exempt,
    #[serde(rename = "AE")]
    ReverseCharge,
    #[serde(rename = "K")]
    IntraCommunitySupply,
    #[serde(rename = "G")]
    Export,
    #[serde(rename = "O")]
    OutOfScope,
}

impl VatCategory {
    pub const ALL: [Self; 7] = [
        Self::Standard,
        Self::ZeroRated,
        Self::Exempt,
        Self::ReverseCharge,
        Self::IntraCommunitySupply,
        Self::Export,
        Self::OutOfScope,
    ];

    /// The EN 16931 code (UNTDID 5305).
    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::ZeroRated => "Z",
            Self::Exempt => "E",
            Self::ReverseCharge => "AE",
            Self::IntraCommunitySupply => "K",
            Self::Export => "G",
            Self::OutOfScope => "O",
        }
    }

    /// The category a rate implies when none is given: standard above 0 %, else zero-rated.
    pub fn of_rate(rate: VatRate) -> Self {
        if rate.percent().is_zero() { Self::ZeroRated } else { Self::Standard }
    }

    /// A standard-rated line bears a rate above 0 %; every other category 0 %.
    pub fn check_rate(self, rate: VatRate) -> Result<(), ModelError> {
        let zero = rate.percent().is_zero();
        if (self == Self::Standard) == zero {
            Err(ModelError::VatCategoryRate { category: self.code(), rate: rate.percent() })
        } else {
            Ok(())
        }
    }

    /// The mention a document of this category carries by law in `country` (the seller's),
    /// when there is one the user would otherwise have to type.
    pub fn legal_mention(self, country: &Country) -> Option<&'static str> {
        match (self, country) {
            (Self::Exempt, Country::France) => Some("TVA non applicable, art. 293 B du CGI"),
            (Self::Exempt, Country::Belgium) => Some("Régime particulier de franchise des petites entreprises"),
            (Self::ReverseCharge, _) => Some("Autoliquidation"),
            (Self::IntraCommunitySupply, Country::France) => {
                Some("Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire)")
            }
            (Self::IntraCommunitySupply, _) => Some("Livraison intracommunautaire exonérée"),
            (Self::Export, Country::France) => Some("Exonération de TVA, article 262 I du CGI (exportation)"),
            (Self::Export, _) => Some("Exportation hors Union européenne, exonérée de TVA"),
            _ => None,
        }
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
    fn categories_bound_their_rates() {
        let twenty = VatRate::new(dec!(20)).unwrap();
        for category in VatCategory::ALL {
            let (allowed, refused) =
                if category == VatCategory::Standard { (twenty, VatRate::ZERO) } else { (VatRate::ZERO, twenty) };
            category.check_rate(allowed).unwrap();
            assert_eq!(category.check_rate(refused).unwrap_err().code(), "vat_category_rate", "{category:?}");
        }
        assert_eq!(VatCategory::of_rate(twenty), VatCategory::Standard);
        assert_eq!(VatCategory::of_rate(VatRate::ZERO), VatCategory::ZeroRated);
        assert_eq!(serde_json::to_string(&VatCategory::ReverseCharge).unwrap(), "\"AE\"");
        assert_eq!(VatCategory::Exempt.legal_mention(&Country::France), Some("TVA non applicable, art. 293 B du CGI"));
    }

    #[test]
    fn country_rates() {
        assert_eq!(VatRate::rates_of(&Country::France)[0].percent(), dec!(20));
        assert_eq!(VatRate::rates_of(&Country::Belgium)[0].percent(), dec!(21));
        assert!(VatRate::rates_of(&Country::Belgium).iter().any(|r| r.percent() == dec!(6)));
    }
}
