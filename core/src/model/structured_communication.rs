//! The Belgian structured communication (« communication structurée » /
//! « gestructureerde mededeling »): `+++123/4567/89012+++`, ten digits followed by
//! their remainder mod 97 (97 when the remainder is 0). Banks match incoming transfers
//! to invoices with it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ModelError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StructuredCommunication {
    /// The ten-digit base; the two check digits are derived from it.
    base: u64,
}

impl StructuredCommunication {
    const MAX_BASE: u64 = 9_999_999_999;

    /// Builds the communication for a ten-digit base (for instance an invoice counter).
    pub fn from_base(base: u64) -> Result<Self, ModelError> {
        if base > Self::MAX_BASE {
            return Err(ModelError::InvalidStructuredCommunication {
                value: base.to_string(),
                reason: "the base has more than 10 digits",
            });
        }
        Ok(Self { base })
    }

    /// The two check digits: base mod 97, or 97 when that is 0.
    pub fn check_digits(&self) -> u64 {
        match self.base % 97 {
            0 => 97,
            r => r,
        }
    }

    /// Parses `+++123/4567/89012+++`, `***123/4567/89012***` or the 12 digits alone.
    pub fn parse(input: &str) -> Result<Self, ModelError> {
        let invalid = |reason| ModelError::InvalidStructuredCommunication { value: input.to_owned(), reason };
        let trimmed = input.trim();
        let inner = trimmed
            .strip_prefix("+++")
            .and_then(|s| s.strip_suffix("+++"))
            .or_else(|| trimmed.strip_prefix("***").and_then(|s| s.strip_suffix("***")))
            .unwrap_or(trimmed);
        let digits: String = inner.chars().filter(|c| !matches!(c, '/' | ' ')).collect();
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("it must have 12 digits"));
        }
        let base: u64 = digits[..10].parse().map_err(|_| invalid("it must have 12 digits"))?;
        let check: u64 = digits[10..].parse().map_err(|_| invalid("it must have 12 digits"))?;
        let communication = Self { base };
        if communication.check_digits() != check {
            return Err(invalid("the last two digits do not match the first ten (mod 97)"));
        }
        Ok(communication)
    }

    /// The twelve digits without separators.
    pub fn digits(&self) -> String {
        format!("{:010}{:02}", self.base, self.check_digits())
    }
}

impl fmt::Display for StructuredCommunication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "+++{}/{}/{}+++", &d[..3], &d[3..7], &d[7..])
    }
}

impl TryFrom<String> for StructuredCommunication {
    type Error = ModelError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<StructuredCommunication> for String {
    fn from(value: StructuredCommunication) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_formats() {
        // 1234567890 mod 97 = 2
        let c = StructuredCommunication::from_base(1_234_567_890).unwrap();
        assert_eq!(c.to_string(), "+++123/4567/89002+++");
        assert_eq!(c.digits(), "123456789002");
    }

    #[test]
    fn remainder_zero_gives_97() {
        let c = StructuredCommunication::from_base(97 * 1000).unwrap();
        assert_eq!(c.check_digits(), 97);
        assert_eq!(c.to_string(), "+++000/0097/00097+++");
    }

    #[test]
    fn parses_and_checks() {
        let c = StructuredCommunication::parse("+++123/4567/89002+++").unwrap();
        assert_eq!(StructuredCommunication::parse("***123/4567/89002***").unwrap(), c);
        assert_eq!(StructuredCommunication::parse("123456789002").unwrap(), c);
        let err = StructuredCommunication::parse("+++123/4567/89003+++").unwrap_err();
        assert_eq!(err.code(), "structured_communication_invalid");
        assert!(StructuredCommunication::parse("+++123/4567/8900+++").is_err());
        assert!(StructuredCommunication::from_base(10_000_000_000).is_err());
    }
}
