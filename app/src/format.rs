//! Amounts and dates as each display language writes them.

use chrono::NaiveDate;
use comptoir_core::model::Currency;
use rust_decimal::Decimal;

use crate::i18n::Language;

/// An amount with two decimals, grouped by thousands, and its currency:
/// `1 234,50 €` (French), `€1,234.50` (English), `€ 1.234,50` (Dutch).
pub fn money(amount: Decimal, currency: Currency, language: Language) -> String {
    let rounded = amount.round_dp(2);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.2}", rounded.abs());
    let (units, cents) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let (group, decimal) = match language {
        // French groups with a narrow no-break space.
        Language::French => ('\u{202F}', ','),
        Language::English => (',', '.'),
        Language::Dutch => ('.', ','),
    };
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let sign = if negative { "-" } else { "" };
    let symbol = match currency.as_str() {
        "EUR" => "€",
        other => other,
    };
    match language {
        Language::French => format!("{sign}{grouped}{decimal}{cents}\u{A0}{symbol}"),
        Language::English => format!("{sign}{symbol}{grouped}{decimal}{cents}"),
        Language::Dutch => format!("{symbol}\u{A0}{sign}{grouped}{decimal}{cents}"),
    }
}

/// A date as day, month and year: `24/11/2026` (French, English), `24-11-2026` (Dutch).
pub fn date(date: NaiveDate, language: Language) -> String {
    match language {
        Language::French | Language::English => date.format("%d/%m/%Y").to_string(),
        Language::Dutch => date.format("%d-%m-%Y").to_string(),
    }
}

/// A moment in the local time zone: `24/11/2026 14:05:09`.
pub fn date_time(at: chrono::DateTime<chrono::Utc>, language: Language) -> String {
    let local = at.with_timezone(&chrono::Local);
    format!("{} {}", date(local.date_naive(), language), local.format("%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn amounts_follow_the_language() {
        let eur = Currency::EUR;
        assert_eq!(money(dec!(1234.5), eur, Language::French), "1\u{202F}234,50\u{A0}€");
        assert_eq!(money(dec!(1234.5), eur, Language::English), "€1,234.50");
        assert_eq!(money(dec!(1234567.891), eur, Language::Dutch), "€\u{A0}1.234.567,89");
        assert_eq!(money(dec!(-12), eur, Language::French), "-12,00\u{A0}€");
        assert_eq!(money(dec!(0), Currency::CHF, Language::English), "CHF0.00");
        assert_eq!(money(dec!(999.999), eur, Language::English), "€1,000.00");
    }

    #[test]
    fn dates_follow_the_language() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 4).unwrap_or_default();
        assert_eq!(date(day, Language::French), "04/11/2026");
        assert_eq!(date(day, Language::Dutch), "04-11-2026");
    }
}
