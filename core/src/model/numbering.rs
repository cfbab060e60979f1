//! Document numbering: one series per document kind, continuous, without gaps.
//!
//! A series formats numbers as `prefix` + optional year and separator + counter padded
//! with zeros: `FA-2026-00116`. The counter is continuous across years (never reset), so
//! the "no gap" rule holds for the whole life of the series. A business moving to
//! Comptoir sets the next number to continue where its old tool stopped (116 after 115).
//! Numbers are allocated by the sync server when a document is issued, inside the same
//! transaction; this type holds the rules both sides apply.

use serde::{Deserialize, Serialize};

use super::{DocumentKind, ModelError};

/// The longest document number (EN 16931 and Factur-X limit identifiers' length).
pub const MAX_NUMBER_LEN: usize = 35;

/// Checks a document number: 1 to 35 characters among A–Z, a–z, 0–9, `+ - _ /`.
pub fn validate_document_number(number: &str) -> Result<(), ModelError> {
    if number.is_empty() {
        return Err(ModelError::Required { field: "number" });
    }
    if number.len() > MAX_NUMBER_LEN {
        return Err(ModelError::NumberTooLong { number: number.to_owned() });
    }
    if !number.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'_' | b'/')) {
        return Err(ModelError::NumberInvalidCharacters { number: number.to_owned() });
    }
    Ok(())
}

/// Whether and how the year appears in a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum YearInNumber {
    None,
    /// `2026`
    Full,
    /// `26`
    Short,
}

impl YearInNumber {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Full => "full",
            Self::Short => "short",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        match value {
            "none" => Ok(Self::None),
            "full" => Ok(Self::Full),
            "short" => Ok(Self::Short),
            _ => Err(ModelError::UnknownValue { field: "year format", value: value.to_owned() }),
        }
    }
}

/// The numbering series of one document kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NumberingSeries {
    pub kind: DocumentKind,
    pub prefix: String,
    pub year: YearInNumber,
    /// Between the year and the counter, when the year is shown.
    pub separator: String,
    /// Minimum number of digits of the counter (zero-padded).
    pub width: u8,
    /// The counter the next issued document gets: from 1 to [`MAX_COUNTER`].
    pub next_number: u64,
    /// The counter of the last issued document, if any.
    pub last_issued: Option<u64>,
}

/// The highest counter a series may reach: twelve digits.
pub const MAX_COUNTER: u64 = 999_999_999_999;

impl NumberingSeries {
    /// The usual French-style series: `FA-2026-00001`, `AV-…`, `DE-…`, `BL-…`.
    pub fn default_for(kind: DocumentKind) -> Self {
        let prefix = match kind {
            DocumentKind::Quote => "DE-",
            DocumentKind::Invoice => "FA-",
            DocumentKind::CreditNote => "AV-",
            DocumentKind::DeliveryNote => "BL-",
        };
        Self {
            kind,
            prefix: prefix.to_owned(),
            year: YearInNumber::Full,
            separator: "-".to_owned(),
            width: 5,
            next_number: 1,
            last_issued: None,
        }
    }

    /// The number that counter `counter` gets in year `year`.
    pub fn format(&self, year: i32, counter: u64) -> Result<String, ModelError> {
        let year_part = match self.year {
            YearInNumber::None => String::new(),
            YearInNumber::Full => format!("{year:04}{}", self.separator),
            YearInNumber::Short => format!("{:02}{}", year.rem_euclid(100), self.separator),
        };
        let width = usize::from(self.width);
        let number = format!("{}{year_part}{counter:0width$}", self.prefix);
        validate_document_number(&number)?;
        Ok(number)
    }

    /// Checks the pattern gives valid numbers (for a four-digit year and a counter that
    /// fills its width).
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.width == 0 || self.width > 12 {
            return Err(ModelError::UnknownValue { field: "counter width", value: self.width.to_string() });
        }
        if self.next_number == 0 {
            return Err(ModelError::NextNumberZero);
        }
        if self.next_number > MAX_COUNTER {
            return Err(ModelError::NextNumberTooLarge { max: MAX_COUNTER });
        }
        if let Some(last) = self.last_issued
            && self.next_number <= last
        {
            return Err(ModelError::NextNumberNotAfterLastIssued { last_issued: last });
        }
        self.format(2099, self.next_number.max(10u64.pow(u32::from(self.width)) - 1)).map(|_| ())
    }

    /// Sets where the series continues: a business whose last invoice was 115 sets 116.
    /// Going back to or below a number already issued would create a duplicate and is
    /// refused.
    pub fn set_next_number(&mut self, next: u64) -> Result<(), ModelError> {
        if next == 0 {
            return Err(ModelError::NextNumberZero);
        }
        if next > MAX_COUNTER {
            return Err(ModelError::NextNumberTooLarge { max: MAX_COUNTER });
        }
        if let Some(last) = self.last_issued
            && next <= last
        {
            return Err(ModelError::NextNumberNotAfterLastIssued { last_issued: last });
        }
        self.next_number = next;
        Ok(())
    }

    /// Allocates the next number for a document issued in `year`. Nothing changes if
    /// the number cannot be formatted.
    pub fn allocate(&mut self, year: i32) -> Result<String, ModelError> {
        let counter = self.next_number;
        if counter > MAX_COUNTER {
            return Err(ModelError::NextNumberTooLarge { max: MAX_COUNTER });
        }
        let number = self.format(year, counter)?;
        self.last_issued = Some(counter);
        self.next_number = counter + 1;
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_prefix_year_and_padded_counter() {
        let series = NumberingSeries::default_for(DocumentKind::Invoice);
        assert_eq!(series.format(2026, 116).unwrap(), "FA-2026-00116");
        let short = NumberingSeries { year: YearInNumber::Short, separator: "/".into(), ..series.clone() };
        assert_eq!(short.format(2026, 7).unwrap(), "FA-26/00007");
        let plain = NumberingSeries { year: YearInNumber::None, prefix: String::new(), width: 1, ..series };
        assert_eq!(plain.format(2026, 116).unwrap(), "116");
    }

    #[test]
    fn continues_from_a_settable_number_without_gaps() {
        let mut series = NumberingSeries::default_for(DocumentKind::Invoice);
        series.set_next_number(116).unwrap();
        assert_eq!(series.allocate(2026).unwrap(), "FA-2026-00116");
        assert_eq!(series.allocate(2026).unwrap(), "FA-2026-00117");
        assert_eq!(series.allocate(2027).unwrap(), "FA-2027-00118", "continuous across years");
        assert_eq!(series.last_issued, Some(118));
        // Going back would duplicate 117 or 118.
        assert_eq!(series.set_next_number(117).unwrap_err().code(), "next_number_not_after_last_issued");
        assert_eq!(series.set_next_number(0).unwrap_err().code(), "next_number_zero");
        assert_eq!(series.next_number, 119, "refused changes change nothing");
        // Jumping ahead is the user's explicit choice and allowed.
        series.set_next_number(200).unwrap();
        assert_eq!(series.allocate(2027).unwrap(), "FA-2027-00200");
        // The counter has a ceiling: u64::MAX sent by a client once overflowed `+ 1`.
        assert_eq!(series.set_next_number(u64::MAX).unwrap_err().code(), "next_number_too_large");
        let mut hostile = series.clone();
        hostile.next_number = u64::MAX;
        assert_eq!(hostile.validate().unwrap_err().code(), "next_number_too_large");
        assert_eq!(hostile.allocate(2027).unwrap_err().code(), "next_number_too_large");
        series.set_next_number(MAX_COUNTER).unwrap();
        assert_eq!(series.allocate(2027).unwrap(), "FA-2027-999999999999");
        assert_eq!(series.allocate(2027).unwrap_err().code(), "next_number_too_large");
    }

    #[test]
    fn number_length_and_characters() {
        validate_document_number("FA-2026/001_a+b").unwrap();
        assert_eq!(validate_document_number(&"9".repeat(36)).unwrap_err().code(), "number_too_long");
        validate_document_number(&"9".repeat(35)).unwrap();
        assert_eq!(validate_document_number("FA 001").unwrap_err().code(), "number_invalid_characters");
        assert_eq!(validate_document_number("FA-é").unwrap_err().code(), "number_invalid_characters");
        let mut series = NumberingSeries::default_for(DocumentKind::Invoice);
        series.prefix = "FACTURE-CLIENTS-PROFESSIONNELS-".into();
        assert_eq!(series.validate().unwrap_err().code(), "number_too_long");
        assert_eq!(series.allocate(2026).unwrap_err().code(), "number_too_long");
        assert_eq!(series.next_number, 1, "a refused allocation changes nothing");
        series.prefix = "F A".into();
        assert_eq!(series.validate().unwrap_err().code(), "number_invalid_characters");
    }
}
