//! Money: `rust_decimal::Decimal`, never floating point.
//!
//! Amounts that are rounded to the cent (line nets, VAT, totals, payments) can be stored
//! exactly as integer cents; inputs that may carry more precision (unit prices,
//! quantities, rates) stay decimals.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::ModelError;

/// Rounds to 2 decimals, half away from zero: 0.005 → 0.01 and −0.005 → −0.01, so a
/// credit note mirrors its invoice to the cent (EN 16931 rounds "half-up").
pub fn round_amount(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Converts an amount to whole cents, refusing amounts with more than 2 decimals
/// (they must be rounded first, by a rule that says how) and amounts out of range.
pub fn to_cents(amount: Decimal) -> Result<i64, ModelError> {
    let cents = amount * Decimal::ONE_HUNDRED;
    if cents.fract() != Decimal::ZERO {
        return Err(ModelError::AmountTooPrecise { amount });
    }
    i64::try_from(cents).map_err(|_| ModelError::AmountOutOfRange { amount })
}

/// The amount that `cents` whole cents make.
pub fn from_cents(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// An ISO 4217 currency code such as `EUR` or `CHF`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Self = Self(*b"EUR");
    pub const CHF: Self = Self(*b"CHF");

    /// Parses a three-letter code; lower case is accepted and normalised.
    pub fn parse(code: &str) -> Result<Self, ModelError> {
        let upper = code.trim().to_ascii_uppercase();
        let bytes: [u8; 3] =
            upper.as_bytes().try_into().map_err(|_| ModelError::InvalidCurrency { code: code.to_owned() })?;
        if bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Self(bytes))
        } else {
            Err(ModelError::InvalidCurrency { code: code.to_owned() })
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_amount(dec!(0.005)), dec!(0.01));
        assert_eq!(round_amount(dec!(0.0049)), dec!(0.00));
        assert_eq!(round_amount(dec!(-0.005)), dec!(-0.01));
        assert_eq!(round_amount(dec!(2.675)), dec!(2.68));
    }

    #[test]
    fn cents_round_trip_and_refuse_extra_precision() {
        assert_eq!(to_cents(dec!(12.34)).unwrap(), 1234);
        assert_eq!(to_cents(dec!(-0.5)).unwrap(), -50);
        assert_eq!(from_cents(1234), dec!(12.34));
        let err = to_cents(dec!(1.005)).unwrap_err();
        assert_eq!(err.code(), "amount_too_precise");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse("CHF").unwrap().to_string(), "CHF");
        assert_eq!(Currency::parse("EU").unwrap_err().code(), "currency_invalid");
        assert_eq!(Currency::parse("E1R").unwrap_err().code(), "currency_invalid");
    }
}
