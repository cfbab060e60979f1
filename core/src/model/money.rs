//! Money: `rust_decimal::Decimal`, never floating point.
//!
//! Amounts that are rounded to the cent (line nets, VAT, totals, payments) can be stored
//! exactly as integer cents; inputs that may carry more precision (unit prices,
//! quantities, rates) stay decimals.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::ModelError;

/// The largest amount Comptoir handles, in absolute value: 999,999,999,999.99 (just under
/// a trillion of the company's currency).
///
/// A line's net amount, a document's totals, a payment and each of its allocations, what a
/// document has received or had credited, an accounting line: each stays within
/// ±`MAX_AMOUNT`. That bound keeps every sum the app makes of them (a million invoices
/// added up on the dashboard) exact in a [`Decimal`] and in `i64` cents, so nothing a
/// client sends can overflow a later computation, here or in another copy.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(276_447_231, 23_283, 0, false, 2);

/// The largest quantity on a line, in absolute value: one billion units.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Quantities and unit prices carry at most this many decimals (0.125 € per unit,
/// 2.5 h, 0.000375 kWh).
pub const MAX_INPUT_DECIMALS: u32 = 6;

/// Rates and percentages (VAT, discount, late-payment penalty) carry at most 2 decimals.
pub const MAX_PERCENT_DECIMALS: u32 = 2;

/// Refuses an amount outside ±[`MAX_AMOUNT`].
pub fn check_amount(amount: Decimal) -> Result<Decimal, ModelError> {
    if amount.abs() > MAX_AMOUNT { Err(ModelError::AmountOutOfRange { amount }) } else { Ok(amount) }
}

/// A unit price (of an article, of a line) within ±[`MAX_AMOUNT`], with at most
/// [`MAX_INPUT_DECIMALS`] decimals.
pub fn check_unit_price(price: Decimal) -> Result<(), ModelError> {
    if price.abs() > MAX_AMOUNT {
        return Err(ModelError::UnitPriceOutOfRange { price });
    }
    if decimals(price) > MAX_INPUT_DECIMALS {
        return Err(ModelError::TooPrecise { field: "unit price", value: price, max: MAX_INPUT_DECIMALS });
    }
    Ok(())
}

/// `a + b` for money: an overflow of the decimal type, or a sum outside ±[`MAX_AMOUNT`],
/// is [`ModelError::AmountOverflow`].
pub fn add_amounts(a: Decimal, b: Decimal) -> Result<Decimal, ModelError> {
    a.checked_add(b).filter(|sum| sum.abs() <= MAX_AMOUNT).ok_or(ModelError::AmountOverflow)
}

/// The sum of `amounts`, checked as [`add_amounts`] checks each step.
pub fn sum_amounts(amounts: impl IntoIterator<Item = Decimal>) -> Result<Decimal, ModelError> {
    amounts.into_iter().try_fold(Decimal::ZERO, add_amounts)
}

/// `a × b` for money, checked like [`add_amounts`] (the product is not rounded here).
pub fn mul_amounts(a: Decimal, b: Decimal) -> Result<Decimal, ModelError> {
    a.checked_mul(b).filter(|product| product.abs() <= MAX_AMOUNT).ok_or(ModelError::AmountOverflow)
}

/// The number of decimals `value` really has (`1.50` has one).
pub fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Rounds to 2 decimals, half away from zero: 0.005 → 0.01 and −0.005 → −0.01, so a
/// credit note mirrors its invoice to the cent (EN 16931 rounds "half-up").
pub fn round_amount(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Converts an amount to whole cents, refusing amounts with more than 2 decimals
/// (they must be rounded first, by a rule that says how) and amounts out of range.
pub fn to_cents(amount: Decimal) -> Result<i64, ModelError> {
    let cents = amount.checked_mul(Decimal::ONE_HUNDRED).ok_or(ModelError::AmountOutOfRange { amount })?;
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
        // The payment of issue 12: 79e27 × 100 overflowed the decimal type and panicked.
        let huge = Decimal::from_str_exact("79000000000000000000000000000").unwrap();
        assert_eq!(to_cents(huge).unwrap_err().code(), "amount_out_of_range");
        assert_eq!(to_cents(Decimal::MAX).unwrap_err().code(), "amount_out_of_range");
        assert_eq!(to_cents(MAX_AMOUNT).unwrap(), 99_999_999_999_999);
    }

    #[test]
    fn the_ranges_are_what_their_docs_say() {
        assert_eq!(MAX_AMOUNT.to_string(), "999999999999.99");
        assert_eq!(MAX_QUANTITY.to_string(), "1000000000");
        assert_eq!(check_amount(-MAX_AMOUNT).unwrap(), -MAX_AMOUNT);
        assert_eq!(check_amount(MAX_AMOUNT + dec!(0.01)).unwrap_err().code(), "amount_out_of_range");
    }

    #[test]
    fn money_arithmetic_never_overflows() {
        assert_eq!(add_amounts(dec!(0.1), dec!(0.2)).unwrap(), dec!(0.3));
        assert_eq!(add_amounts(MAX_AMOUNT, dec!(0.01)).unwrap_err().code(), "amount_overflow");
        assert_eq!(add_amounts(Decimal::MAX, Decimal::MAX).unwrap_err().code(), "amount_overflow");
        assert_eq!(mul_amounts(Decimal::MAX, dec!(100)).unwrap_err().code(), "amount_overflow");
        assert_eq!(mul_amounts(dec!(3), dec!(19.99)).unwrap(), dec!(59.97));
        assert_eq!(sum_amounts([dec!(1), dec!(2), dec!(3)]).unwrap(), dec!(6));
        // The two allocations of issue 12: 5e28 each.
        let half = Decimal::from_str_exact("50000000000000000000000000000").unwrap();
        assert_eq!(sum_amounts([half, half]).unwrap_err().code(), "amount_overflow");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse("CHF").unwrap().to_string(), "CHF");
        assert_eq!(Currency::parse("EU").unwrap_err().code(), "currency_invalid");
        assert_eq!(Currency::parse("E1R").unwrap_err().code(), "currency_invalid");
    }
}
