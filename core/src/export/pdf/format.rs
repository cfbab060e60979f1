//! Amounts, numbers and dates as the customer's language writes them:
//!
//! | language | amount        | number | percent | date            |
//! |----------|---------------|--------|---------|-----------------|
//! | fr       | `1 234,56 €`  | `6,5`  | `5,5 %` | `02/11/2026`    |
//! | nl       | `€ 1.234,56`  | `6,5`  | `5,5%`  | `02-11-2026`    |
//! | en       | `€1,234.56`   | `6.5`  | `5.5%`  | `2 November 2026` |
//!
//! French separates thousands and the euro sign with a no-break space (U+00A0), so that
//! an amount never breaks over two lines. Other currencies are written with their code
//! (`1 234,56 CHF`, `CHF 1.234,56`, `CHF 1,234.56`).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::model::{Currency, DocumentLanguage};

/// The no-break space.
const NBSP: char = '\u{a0}';

const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Formats numbers, amounts and dates for one language.
#[derive(Clone, Copy, Debug)]
pub struct Formatter {
    language: DocumentLanguage,
}

impl Formatter {
    pub fn new(language: DocumentLanguage) -> Self {
        Self { language }
    }

    /// The thousands separator and the decimal mark.
    fn separators(self) -> (char, char) {
        match self.language {
            DocumentLanguage::French => (NBSP, ','),
            DocumentLanguage::Dutch => ('.', ','),
            DocumentLanguage::English => (',', '.'),
        }
    }

    /// `value` with its digits grouped by thousands and at least `min_decimals`
    /// decimals (more if it has them: a unit price of 52.125 keeps its three).
    pub fn number(self, value: Decimal, min_decimals: u32) -> String {
        let mut value = value.normalize();
        if value.scale() < min_decimals {
            value.rescale(min_decimals);
        }
        let text = value.abs().to_string();
        let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
        let (thousands, mark) = self.separators();
        let mut out = String::with_capacity(text.len() + 4);
        if value.is_sign_negative() && !value.is_zero() {
            out.push('-');
        }
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                out.push(thousands);
            }
            out.push(digit);
        }
        if let Some(fraction) = fraction {
            out.push(mark);
            out.push_str(fraction);
        }
        out
    }

    /// An amount in `currency` (two decimals, or more for a unit price that has them).
    pub fn money(self, value: Decimal, currency: Currency) -> String {
        let digits = self.number(value.abs(), 2);
        let sign = if value.is_sign_negative() && !value.is_zero() { "-" } else { "" };
        let euro = currency == Currency::EUR;
        match (self.language, euro) {
            (DocumentLanguage::French, true) => format!("{sign}{digits}{NBSP}€"),
            (DocumentLanguage::French, false) => format!("{sign}{digits}{NBSP}{currency}"),
            (DocumentLanguage::Dutch, true) => format!("€{NBSP}{sign}{digits}"),
            (DocumentLanguage::Dutch, false) => format!("{currency}{NBSP}{sign}{digits}"),
            (DocumentLanguage::English, true) => format!("{sign}€{digits}"),
            (DocumentLanguage::English, false) => format!("{sign}{currency}{NBSP}{digits}"),
        }
    }

    /// A percentage (VAT rate, discount).
    pub fn percent(self, value: Decimal) -> String {
        let digits = self.number(value, 0);
        match self.language {
            DocumentLanguage::French => format!("{digits}{NBSP}%"),
            DocumentLanguage::Dutch | DocumentLanguage::English => format!("{digits}%"),
        }
    }

    pub fn date(self, date: NaiveDate) -> String {
        match self.language {
            DocumentLanguage::French => date.format("%d/%m/%Y").to_string(),
            DocumentLanguage::Dutch => date.format("%d-%m-%Y").to_string(),
            DocumentLanguage::English => {
                let month = ENGLISH_MONTHS.get(date.month0() as usize).copied().unwrap_or_default();
                format!("{} {month} {}", date.day(), date.year())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    const FR: Formatter = Formatter { language: DocumentLanguage::French };
    const NL: Formatter = Formatter { language: DocumentLanguage::Dutch };
    const EN: Formatter = Formatter { language: DocumentLanguage::English };

    #[test]
    fn amounts_in_each_language() {
        let chf = Currency::CHF;
        assert_eq!(FR.money(dec!(1234.56), Currency::EUR), "1\u{a0}234,56\u{a0}€");
        assert_eq!(NL.money(dec!(1234.56), Currency::EUR), "€\u{a0}1.234,56");
        assert_eq!(EN.money(dec!(1234.56), Currency::EUR), "€1,234.56");
        assert_eq!(FR.money(dec!(-1234567.5), Currency::EUR), "-1\u{a0}234\u{a0}567,50\u{a0}€");
        assert_eq!(EN.money(dec!(-0.5), Currency::EUR), "-€0.50");
        assert_eq!(NL.money(dec!(-12), chf), "CHF\u{a0}-12,00");
        assert_eq!(EN.money(dec!(100), chf), "CHF\u{a0}100.00");
        assert_eq!(FR.money(dec!(52.125), Currency::EUR), "52,125\u{a0}€", "a unit price keeps its decimals");
        assert_eq!(FR.money(Decimal::ZERO, Currency::EUR), "0,00\u{a0}€");
        assert_eq!(EN.money(dec!(999999999999.99), Currency::EUR), "€999,999,999,999.99");
    }

    #[test]
    fn numbers_percents_and_dates() {
        assert_eq!(FR.number(dec!(6.50), 0), "6,5");
        assert_eq!(EN.number(dec!(1000000), 0), "1,000,000");
        assert_eq!(NL.number(dec!(-1000.25), 0), "-1.000,25");
        assert_eq!(FR.percent(dec!(5.5)), "5,5\u{a0}%");
        assert_eq!(NL.percent(dec!(21)), "21%");
        assert_eq!(EN.percent(dec!(20.00)), "20%");
        let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        assert_eq!(FR.date(date), "02/11/2026");
        assert_eq!(NL.date(date), "02-11-2026");
        assert_eq!(EN.date(date), "2 November 2026");
    }
}
