//! The company whose books a Comptoir file holds.

use serde::{Deserialize, Serialize};

use super::{Address, Bic, CompanyId, Currency, Iban, ModelError, NationalId, VatNumber};

/// A company: the seller on its invoices. Its numbering series live beside it, one per
/// document kind (see [`NumberingSeries`](super::NumberingSeries)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub id: CompanyId,
    pub legal_name: String,
    pub address: Address,
    pub vat_number: Option<VatNumber>,
    /// SIREN in France, enterprise number (BCE/KBO) in Belgium, UID in Switzerland.
    pub national_id: Option<NationalId>,
    pub iban: Option<Iban>,
    pub bic: Option<Bic>,
    pub currency: Currency,
    /// Days between an invoice's date and its due date, unless the contact says otherwise.
    pub payment_terms_days: u16,
}

impl Company {
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.legal_name.trim().is_empty() {
            return Err(ModelError::Required { field: "legal_name" });
        }
        if self.legal_name.chars().count() > 120 {
            return Err(ModelError::TooLong { field: "legal_name", max: 120 });
        }
        self.address.validate()?;
        if self.payment_terms_days > 365 {
            return Err(ModelError::UnknownValue {
                field: "payment_terms_days",
                value: self.payment_terms_days.to_string(),
            });
        }
        Ok(())
    }
}
