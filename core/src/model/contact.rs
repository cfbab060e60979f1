//! Customers and suppliers.

use serde::{Deserialize, Serialize};

use super::{Address, ContactId, ModelError, VatNumber};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Person,
    Company,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Company => "company",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        match value {
            "person" => Ok(Self::Person),
            "company" => Ok(Self::Company),
            _ => Err(ModelError::UnknownValue { field: "contact kind", value: value.to_owned() }),
        }
    }
}

/// A customer and/or a supplier, a person or a company.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: ContactId,
    pub kind: ContactKind,
    /// Display name: the company's name, or a person's full name.
    pub name: String,
    pub is_customer: bool,
    pub is_supplier: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Checked to its check digits when French or Belgian (see [`VatNumber`]).
    pub vat_number: Option<VatNumber>,
    pub billing_address: Address,
    /// Where goods go, when not the billing address.
    pub delivery_address: Option<Address>,
    /// Overrides the company's default payment terms.
    pub payment_terms_days: Option<u16>,
    pub archived: bool,
    /// The language of this customer's documents (PDF, e-mail); `None`: the company's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<DocumentLanguage>,
    /// Its Peppol participant id, as its access point registered it; `None`: derived from
    /// the VAT number when an e-invoice is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peppol_id: Option<super::ElectronicAddress>,
}

/// A language documents are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DocumentLanguage {
    #[serde(rename = "fr")]
    French,
    #[serde(rename = "nl")]
    Dutch,
    #[serde(rename = "en")]
    English,
}

impl DocumentLanguage {
    pub const ALL: [Self; 3] = [Self::French, Self::Dutch, Self::English];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::French => "fr",
            Self::Dutch => "nl",
            Self::English => "en",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|l| l.code() == value)
            .ok_or_else(|| ModelError::UnknownValue { field: "language", value: value.to_owned() })
    }
}

impl Contact {
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.name.trim().is_empty() {
            return Err(ModelError::Required { field: "name" });
        }
        if self.name.chars().count() > 120 {
            return Err(ModelError::TooLong { field: "name", max: 120 });
        }
        if !self.is_customer && !self.is_supplier {
            return Err(ModelError::ContactWithoutRole);
        }
        if let Some(email) = &self.email {
            validate_email(email)?;
        }
        self.billing_address.validate()?;
        if let Some(delivery) = &self.delivery_address {
            delivery.validate()?;
        }
        if self.payment_terms_days.is_some_and(|days| days > 365) {
            return Err(ModelError::UnknownValue {
                field: "payment_terms_days",
                value: self.payment_terms_days.map(|d| d.to_string()).unwrap_or_default(),
            });
        }
        if self.email.as_ref().is_some_and(|e| e.chars().count() > 254) {
            return Err(ModelError::TooLong { field: "email", max: 254 });
        }
        if self.phone.as_ref().is_some_and(|p| p.chars().count() > 40) {
            return Err(ModelError::TooLong { field: "phone", max: 40 });
        }
        Ok(())
    }
}

/// A deliberately simple check: one `@`, something before it, a dotted domain after it,
/// no spaces. Real verification is sending a mail; this only catches typing mistakes.
pub fn validate_email(email: &str) -> Result<(), ModelError> {
    let invalid = || ModelError::InvalidEmail { value: email.to_owned() };
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && email.len() <= 254;
    if ok { Ok(()) } else { Err(invalid()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Country;

    fn contact() -> Contact {
        Contact {
            id: ContactId::new(),
            kind: ContactKind::Company,
            name: "Boulangerie Martin".into(),
            is_customer: true,
            is_supplier: false,
            email: Some("contact@boulangerie-martin.fr".into()),
            phone: None,
            vat_number: Some(VatNumber::parse("FR40303265045").unwrap()),
            billing_address: Address {
                street: "12 rue de la Paix".into(),
                street2: String::new(),
                postcode: "75002".into(),
                city: "Paris".into(),
                country: Country::France,
            },
            delivery_address: None,
            payment_terms_days: Some(30),
            archived: false,
            language: None,
            peppol_id: None,
        }
    }

    #[test]
    fn valid_contact() {
        contact().validate().unwrap();
    }

    #[test]
    fn contact_needs_a_role_a_name_and_a_valid_email() {
        let mut c = contact();
        c.is_customer = false;
        assert_eq!(c.validate().unwrap_err().code(), "contact_without_role");
        c.is_supplier = true;
        c.validate().unwrap();
        c.name = "  ".into();
        assert_eq!(c.validate().unwrap_err().code(), "field_required");
        let mut c = contact();
        for bad in ["martin", "a@b", "a b@c.fr", "@c.fr", "a@.fr"] {
            c.email = Some(bad.into());
            assert_eq!(c.validate().unwrap_err().code(), "email_invalid", "{bad}");
        }
        let mut c = contact();
        c.billing_address.city.clear();
        assert_eq!(c.validate().unwrap_err(), ModelError::Required { field: "city" });
    }
}
