//! Payments and how they settle invoices.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    ContactId, DocumentId, DocumentStatus, ModelError, PaymentId, add_amounts, check_amount, decimals, sum_amounts,
};

/// The most documents one payment may settle.
pub const MAX_ALLOCATIONS: usize = 1_000;

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
///
/// Ranges, checked by [`validate`](Self::validate): the amount and each allocation are
/// greater than zero, at most [`MAX_AMOUNT`](super::MAX_AMOUNT), with 2 decimals at most;
/// at most [`MAX_ALLOCATIONS`] allocations, which add up to no more than the amount.
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
        check_amount(self.amount)?;
        if decimals(self.amount) > 2 {
            return Err(ModelError::AmountTooPrecise { amount: self.amount });
        }
        if self.reference.chars().count() > 140 {
            return Err(ModelError::TooLong { field: "reference", max: 140 });
        }
        if self.allocations.len() > MAX_ALLOCATIONS {
            return Err(ModelError::TooManyItems { field: "allocations", max: MAX_ALLOCATIONS });
        }
        let mut seen = HashSet::new();
        let mut allocated = Decimal::ZERO;
        for allocation in &self.allocations {
            if allocation.amount <= Decimal::ZERO {
                return Err(ModelError::AllocationNotPositive { amount: allocation.amount });
            }
            check_amount(allocation.amount)?;
            if decimals(allocation.amount) > 2 {
                return Err(ModelError::AmountTooPrecise { amount: allocation.amount });
            }
            if !seen.insert(allocation.document_id) {
                return Err(ModelError::DuplicateAllocation);
            }
            allocated = add_amounts(allocated, allocation.amount)?;
        }
        if allocated > self.amount {
            return Err(ModelError::AllocationsExceedPayment { allocated, amount: self.amount });
        }
        Ok(())
    }

    /// What the allocations add up to (checked: see [`validate`](Self::validate)).
    pub fn allocated(&self) -> Result<Decimal, ModelError> {
        sum_amounts(self.allocations.iter().map(|a| a.amount))
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
    /// The state of a document of total `total` that received `paid`. Both are within
    /// ±[`MAX_AMOUNT`](super::MAX_AMOUNT) once the rules have checked them, where the
    /// differences below are exact; they saturate rather than panic on anything else.
    pub fn of(total: Decimal, paid: Decimal) -> Self {
        if paid <= Decimal::ZERO {
            Self::Unpaid
        } else if paid < total {
            Self::PartiallyPaid { remaining: total.saturating_sub(paid) }
        } else if paid == total {
            Self::Paid
        } else {
            Self::Overpaid { excess: paid.saturating_sub(total) }
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
/// received `previous` allocations (payment id and amount each). What the document would
/// have received in all must stay within ±[`MAX_AMOUNT`](super::MAX_AMOUNT).
pub fn assess_payment(
    document_total: Decimal,
    previous: &[(PaymentId, Decimal)],
    amount: Decimal,
) -> Result<PaymentAssessment, ModelError> {
    let paid_before = sum_amounts(previous.iter().map(|(_, a)| *a))?;
    let before = PaymentState::of(document_total, paid_before);
    let after = PaymentState::of(document_total, add_amounts(paid_before, amount)?);
    let anomaly = match after {
        PaymentState::Overpaid { excess } => Some(previous.iter().find(|(_, a)| *a == amount).map_or(
            PaymentAnomaly::Overpayment { excess },
            |(id, _)| PaymentAnomaly::DoublePayment { previous: *id, excess },
        )),
        _ => None,
    };
    Ok(PaymentAssessment { before, after, anomaly })
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

    fn huge() -> Decimal {
        Decimal::from_str_exact("50000000000000000000000000000").unwrap()
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
            (payment(dec!(1000000000000), vec![]), "amount_out_of_range"),
            (payment(dec!(100), vec![(a, dec!(0.001))]), "amount_too_precise"),
            // Issue 12: two allocations of 5e28 overflowed the sum and panicked the server.
            (payment(dec!(100), vec![(a, huge()), (b, huge())]), "amount_out_of_range"),
            (payment(crate::model::MAX_AMOUNT, vec![(a, crate::model::MAX_AMOUNT), (b, dec!(1))]), "amount_overflow"),
            (
                payment(dec!(100), (0..=MAX_ALLOCATIONS).map(|_| (DocumentId::new(), dec!(0.01))).collect()),
                "too_many_items",
            ),
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
        let partial = assess_payment(dec!(120), &[], dec!(50)).unwrap();
        assert_eq!(partial.after, PaymentState::PartiallyPaid { remaining: dec!(70) });
        assert_eq!(partial.anomaly, None);
        let full = assess_payment(dec!(120), &[(first, dec!(50))], dec!(70)).unwrap();
        assert_eq!(full.before, PaymentState::PartiallyPaid { remaining: dec!(70) });
        assert_eq!(full.after, PaymentState::Paid);
        assert_eq!(full.anomaly, None);
    }

    #[test]
    fn double_payment_is_detected() {
        let first = PaymentId::new();
        let double = assess_payment(dec!(120), &[(first, dec!(120))], dec!(120)).unwrap();
        assert_eq!(double.before, PaymentState::Paid);
        assert_eq!(double.after, PaymentState::Overpaid { excess: dec!(120) });
        assert_eq!(double.anomaly, Some(PaymentAnomaly::DoublePayment { previous: first, excess: dec!(120) }));
        // What a document received can never overflow.
        let err = assess_payment(dec!(120), &[(first, crate::model::MAX_AMOUNT)], dec!(1)).unwrap_err();
        assert_eq!(err.code(), "amount_overflow");
        let over = assess_payment(dec!(120), &[(first, dec!(100))], dec!(30)).unwrap();
        assert_eq!(over.anomaly, Some(PaymentAnomaly::Overpayment { excess: dec!(10) }));
    }
}
