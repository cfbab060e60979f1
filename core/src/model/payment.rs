//! Payments and how they settle invoices.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ContactId, DocumentId, DocumentStatus, ModelError, PaymentId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Card,
    Cash,
    Cheque,
    DirectDebit,
    Other,
}

impl PaymentMethod {
    pub const ALL: [Self; 6] =
        [Self::BankTransfer, Self::Card, Self::Cash, Self::Cheque, Self::DirectDebit, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Card => "card",
            Self::Cash => "cash",
            Self::Cheque => "cheque",
            Self::DirectDebit => "direct_debit",
            Self::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == value)
            .ok_or_else(|| ModelError::UnknownValue { field: "payment method", value: value.to_owned() })
    }
}

/// The part of a payment that settles one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub document_id: DocumentId,
    pub amount: Decimal,
}

/// Money received (or refunded), allocated to one or several invoices. What is not
/// allocated stays on account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub id: PaymentId,
    pub contact_id: Option<ContactId>,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub method: PaymentMethod,
    /// The bank's reference, a cheque number, a structured communication …
    pub reference: String,
    pub allocations: Vec<Allocation>,
}

impl Payment {
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.amount <= Decimal::ZERO {
            return Err(ModelError::PaymentNotPositive { amount: self.amount });
        }
        if self.amount.normalize().scale() > 2 {
            return Err(ModelError::AmountTooPrecise { amount: self.amount });
        }
        if self.reference.chars().count() > 140 {
            return Err(ModelError::TooLong { field: "reference", max: 140 });
        }
        let mut seen = HashSet::new();
        let mut allocated = Decimal::ZERO;
        for allocation in &self.allocations {
            if allocation.amount <= Decimal::ZERO {
                return Err(ModelError::AllocationNotPositive { amount: allocation.amount });
            }
            if !seen.insert(allocation.document_id) {
                return Err(ModelError::DuplicateAllocation);
            }
            allocated += allocation.amount;
        }
        if allocated > self.amount {
            return Err(ModelError::AllocationsExceedPayment { allocated, amount: self.amount });
        }
        Ok(())
    }

    pub fn allocated(&self) -> Decimal {
        self.allocations.iter().map(|a| a.amount).sum()
    }
}

/// How much of a document is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PaymentState {
    Unpaid,
    PartiallyPaid {
        remaining: Decimal,
    },
    Paid,
    /// More was received than was due: reported, never swallowed.
    Overpaid {
        excess: Decimal,
    },
}

impl PaymentState {
    pub fn of(total: Decimal, paid: Decimal) -> Self {
        if paid <= Decimal::ZERO {
            Self::Unpaid
        } else if paid < total {
            Self::PartiallyPaid { remaining: total - paid }
        } else if paid == total {
            Self::Paid
        } else {
            Self::Overpaid { excess: paid - total }
        }
    }

    /// The status an issued invoice in this state has.
    pub fn document_status(self) -> DocumentStatus {
        match self {
            Self::Unpaid => DocumentStatus::Issued,
            Self::PartiallyPaid { .. } => DocumentStatus::PartiallyPaid,
            Self::Paid | Self::Overpaid { .. } => DocumentStatus::Paid,
        }
    }
}

/// Something about a payment the user must be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "anomaly", rename_all = "snake_case")]
pub enum PaymentAnomaly {
    /// The same amount was already received for this document: most likely the
    /// customer paid twice.
    DoublePayment { previous: PaymentId, excess: Decimal },
    /// More was received than was due.
    Overpayment { excess: Decimal },
}

/// The effect of a new allocation on one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAssessment {
    pub before: PaymentState,
    pub after: PaymentState,
    pub anomaly: Option<PaymentAnomaly>,
}

/// Assesses allocating `amount` to a document of total `document_total` that already
/// received `previous` allocations (payment id and amount each).
pub fn assess_payment(
    document_total: Decimal,
    previous: &[(PaymentId, Decimal)],
    amount: Decimal,
) -> PaymentAssessment {
    let paid_before: Decimal = previous.iter().map(|(_, a)| *a).sum();
    let before = PaymentState::of(document_total, paid_before);
    let after = PaymentState::of(document_total, paid_before + amount);
    let anomaly = match after {
        PaymentState::Overpaid { excess } => Some(previous.iter().find(|(_, a)| *a == amount).map_or(
            PaymentAnomaly::Overpayment { excess },
            |(id, _)| PaymentAnomaly::DoublePayment { previous: *id, excess },
        )),
        _ => None,
    };
    PaymentAssessment { before, after, anomaly }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn payment(amount: Decimal, allocations: Vec<(DocumentId, Decimal)>) -> Payment {
        Payment {
            id: PaymentId::new(),
            contact_id: None,
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            amount,
            method: PaymentMethod::BankTransfer,
            reference: "VIR 123".into(),
            allocations: allocations
                .into_iter()
                .map(|(document_id, amount)| Allocation { document_id, amount })
                .collect(),
        }
    }

    #[test]
    fn payment_rules() {
        let (a, b) = (DocumentId::new(), DocumentId::new());
        payment(dec!(300), vec![(a, dec!(100)), (b, dec!(150))]).validate().unwrap();
        let cases = [
            (payment(dec!(0), vec![]), "payment_not_positive"),
            (payment(dec!(10.001), vec![]), "amount_too_precise"),
            (payment(dec!(100), vec![(a, dec!(80)), (b, dec!(30))]), "allocations_exceed_payment"),
            (payment(dec!(100), vec![(a, dec!(50)), (a, dec!(50))]), "allocation_duplicate"),
            (payment(dec!(100), vec![(a, dec!(-5))]), "allocation_not_positive"),
        ];
        for (p, code) in cases {
            assert_eq!(p.validate().unwrap_err().code(), code);
        }
    }

    #[test]
    fn states_from_amounts() {
        assert_eq!(PaymentState::of(dec!(120), dec!(0)), PaymentState::Unpaid);
        assert_eq!(PaymentState::of(dec!(120), dec!(20)), PaymentState::PartiallyPaid { remaining: dec!(100) });
        assert_eq!(PaymentState::of(dec!(120), dec!(120)), PaymentState::Paid);
        assert_eq!(PaymentState::of(dec!(120), dec!(130)), PaymentState::Overpaid { excess: dec!(10) });
    }

    #[test]
    fn partial_then_full_payment() {
        let first = PaymentId::new();
        let partial = assess_payment(dec!(120), &[], dec!(50));
        assert_eq!(partial.after, PaymentState::PartiallyPaid { remaining: dec!(70) });
        assert_eq!(partial.anomaly, None);
        let full = assess_payment(dec!(120), &[(first, dec!(50))], dec!(70));
        assert_eq!(full.before, PaymentState::PartiallyPaid { remaining: dec!(70) });
        assert_eq!(full.after, PaymentState::Paid);
        assert_eq!(full.anomaly, None);
    }

    #[test]
    fn double_payment_is_detected() {
        let first = PaymentId::new();
        let double = assess_payment(dec!(120), &[(first, dec!(120))], dec!(120));
        assert_eq!(double.before, PaymentState::Paid);
        assert_eq!(double.after, PaymentState::Overpaid { excess: dec!(120) });
        assert_eq!(double.anomaly, Some(PaymentAnomaly::DoublePayment { previous: first, excess: dec!(120) }));
        let over = assess_payment(dec!(120), &[(first, dec!(100))], dec!(30));
        assert_eq!(over.anomaly, Some(PaymentAnomaly::Overpayment { excess: dec!(10) }));
    }
}
