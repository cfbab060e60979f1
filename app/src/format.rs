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

/// A number as a user types it, in any of the app's languages: `1 234,5`, `1234.5`,
/// `1.234,50`, `-3`. Spaces (ordinary, no-break, narrow) group thousands; when both a
/// comma and a dot appear, the last one is the decimal mark. `None` when it is not a
/// number.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '\u{A0}' | '\u{202F}' | '€')).collect();
    if compact.is_empty() {
        return None;
    }
    let normalized = match (compact.rfind(','), compact.rfind('.')) {
        (Some(comma), Some(dot)) if comma > dot => compact.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => compact.replace(',', ""),
        (Some(_), None) => compact.replace(',', "."),
        _ => compact,
    };
    normalized.parse::<Decimal>().ok()
}

/// A number for an input field: as [`parse_decimal`] reads it back, with the language's
/// decimal mark and no grouping (`1234,5`).
pub fn decimal_input(value: Decimal, language: Language) -> String {
    let text = value.normalize().to_string();
    match language {
        Language::French | Language::Dutch => text.replace('.', ","),
        Language::English => text,
    }
}

/// A date as a user types it: day, month, year separated by `/`, `-` or `.`
/// (`30/11/2026`, `30-11-2026`, `30.11.26`), or the ISO form `2026-11-30`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [day, month, year] = parts.as_slice() else { return None };
    let (day, month, mut year): (u32, u32, i32) = (day.parse().ok()?, month.parse().ok()?, year.parse().ok()?);
    if year < 100 {
        year += 2000;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn typed_numbers_and_dates_are_read_in_every_language() {
        assert_eq!(parse_decimal("1 234,5"), Some(dec!(1234.5)));
        assert_eq!(parse_decimal("1\u{202F}234,50\u{A0}€"), Some(dec!(1234.50)));
        assert_eq!(parse_decimal("1,234.5"), Some(dec!(1234.5)));
        assert_eq!(parse_decimal("1.234,5"), Some(dec!(1234.5)));
        assert_eq!(parse_decimal("-3"), Some(dec!(-3)));
        assert_eq!(parse_decimal("0,125"), Some(dec!(0.125)));
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("douze"), None);
        assert_eq!(parse_decimal(&"9".repeat(40)), None, "beyond the decimal type is not a number");
        assert_eq!(decimal_input(dec!(1234.50), Language::French), "1234,5");
        assert_eq!(parse_decimal(&decimal_input(dec!(19.99), Language::Dutch)), Some(dec!(19.99)));
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        for typed in ["30/11/2026", "30-11-2026", "30.11.26", "2026-11-30", " 30/11/2026 "] {
            assert_eq!(parse_date(typed), Some(day), "{typed}");
        }
        assert_eq!(parse_date("31/11/2026"), None);
        assert_eq!(parse_date("demain"), None);
    }

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
