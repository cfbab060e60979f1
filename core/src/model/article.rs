//! Catalogue articles: goods and services with a price and a VAT rate.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ArticleId, ModelError, VatRate, check_unit_price};

/// An article of the catalogue. Its code is unique within the company (the store
/// enforces it); archived articles stay on old documents but are no longer offered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Article {
    pub id: ArticleId,
    pub code: String,
    pub name: String,
    /// Unit of measure as printed: "h", "jour", "pièce", "kg" …
    pub unit: String,
    /// Net unit price (before VAT), in the company's currency: from 0 to [`MAX_AMOUNT`],
    /// with up to [`MAX_INPUT_DECIMALS`] decimals (0.125 € per unit); line amounts are
    /// rounded, not prices.
    pub unit_price: Decimal,
    pub vat_rate: VatRate,
    pub archived: bool,
}

impl Article {
    pub fn validate(&self) -> Result<(), ModelError> {
        validate_article_code(&self.code)?;
        if self.name.trim().is_empty() {
            return Err(ModelError::Required { field: "name" });
        }
        if self.name.chars().count() > 200 {
            return Err(ModelError::TooLong { field: "name", max: 200 });
        }
        if self.unit.chars().count() > 20 {
            return Err(ModelError::TooLong { field: "unit", max: 20 });
        }
        if self.unit_price < Decimal::ZERO {
            return Err(ModelError::NegativeUnitPrice { price: self.unit_price });
        }
        check_unit_price(self.unit_price)
    }
}

/// 1 to 30 characters among letters, digits, `-`, `_` and `.`.
pub fn validate_article_code(code: &str) -> Result<(), ModelError> {
    let ok = (1..=30).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok { Ok(()) } else { Err(ModelError::InvalidArticleCode { code: code.to_owned() }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn article_rules() {
        let mut article = Article {
            id: ArticleId::new(),
            code: "DEV-JOUR".into(),
            name: "Journée de développement".into(),
            unit: "jour".into(),
            unit_price: dec!(650),
            vat_rate: VatRate::new(dec!(20)).unwrap(),
            archived: false,
        };
        article.validate().unwrap();
        article.unit_price = dec!(-1);
        assert_eq!(article.validate().unwrap_err().code(), "unit_price_negative");
        article.unit_price = dec!(0.125);
        article.validate().unwrap();
        article.unit_price = dec!(1000000000000);
        assert_eq!(article.validate().unwrap_err().code(), "unit_price_out_of_range");
        article.unit_price = dec!(0.1234567);
        assert_eq!(article.validate().unwrap_err().code(), "value_too_precise");
        article.unit_price = dec!(1);
        article.code = "DEV JOUR".into();
        assert_eq!(article.validate().unwrap_err().code(), "article_code_invalid");
        article.code = String::new();
        assert!(article.validate().is_err());
    }
}
