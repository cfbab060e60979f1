//! The SEPA payment QR code of an invoice (EPC069-12, "GiroCode"): the payload a banking
//! app reads to fill in a credit transfer, and its QR code drawn as SVG.
//!
//! The payload is twelve lines (EPC069-12 v3.0, § 5.2): service tag `BCD`, version
//! `002` (the BIC is optional inside the EEA), character set `1` (UTF-8), identification
//! `SCT`, the BIC, the beneficiary's name (at most 70 characters), the IBAN, the amount
//! (`EUR` and 0.01 to 999 999 999.99, a point for decimals), the purpose (empty), then
//! either the structured remittance (a creditor reference, at most 35 characters) or the
//! unstructured one (at most 140), never both, and an empty note to the payer. Error
//! correction level M, at most 331 bytes.
//!
//! Belgian banks read the structured communication (its twelve digits) from the
//! structured remittance field, as Febelfin's QR guidance says; any other reference (the
//! invoice number) is free text and goes in the unstructured field.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};
use rust_decimal::Decimal;

use crate::model::{Bic, Iban, StructuredCommunication};

/// The largest amount a payload may carry (EPC069-12: `EUR999999999.99`).
const MAX_EPC_AMOUNT: Decimal = Decimal::from_parts(1_215_752_191, 23, 0, false, 2);
/// The longest beneficiary name, structured and unstructured references.
const MAX_NAME: usize = 70;
const MAX_UNSTRUCTURED: usize = 140;
/// The longest payload a reader must accept.
const MAX_PAYLOAD_BYTES: usize = 331;

/// What a credit transfer needs, as an invoice gives it.
#[derive(Clone, Debug)]
pub struct EpcTransfer<'a> {
    pub beneficiary: &'a str,
    pub iban: &'a Iban,
    pub bic: Option<&'a Bic>,
    /// In euros: the amount due.
    pub amount: Decimal,
    pub reference: EpcReference<'a>,
}

/// The reference the payer's bank passes on.
#[derive(Clone, Debug)]
pub enum EpcReference<'a> {
    /// The Belgian structured communication: the structured remittance field.
    Structured(&'a StructuredCommunication),
    /// Free text (the invoice number): the unstructured remittance field.
    Text(&'a str),
}

impl EpcTransfer<'_> {
    /// The payload, or `None` when the transfer cannot be one: an amount outside 0.01 to
    /// 999 999 999.99 €, or a payload over 331 bytes.
    pub fn payload(&self) -> Option<String> {
        if self.amount < Decimal::new(1, 2) || self.amount > MAX_EPC_AMOUNT {
            return None;
        }
        let mut amount = self.amount.round_dp(2);
        amount.rescale(2);
        let (structured, unstructured) = match &self.reference {
            EpcReference::Structured(communication) => (communication.digits(), String::new()),
            EpcReference::Text(text) => (String::new(), clean(text, MAX_UNSTRUCTURED)),
        };
        let lines = [
            "BCD".to_owned(),
            "002".to_owned(),
            "1".to_owned(),
            "SCT".to_owned(),
            self.bic.map(|bic| bic.as_str().to_owned()).unwrap_or_default(),
            clean(self.beneficiary, MAX_NAME),
            self.iban.as_str().to_owned(),
            format!("EUR{amount}"),
            String::new(),
            structured,
            unstructured,
        ];
        let payload = lines.join("\n");
        (payload.len() <= MAX_PAYLOAD_BYTES).then_some(payload)
    }
}

/// One line of text: no line breaks, spaces collapsed, at most `max` characters.
fn clean(text: &str, max: usize) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(max).collect()
}

/// The QR code of `payload` (error correction M, as EPC069-12 wants) as an SVG image:
/// one square per dark module and a quiet zone of 4 modules, no scaling of its own
/// (the template gives its size).
pub fn qr_svg(payload: &str) -> Option<String> {
    const QUIET: usize = 4;
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET;
    let mut path = String::with_capacity(width * width * 4);
    for (index, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (index % width + QUIET, index / width + QUIET);
            // Writing to a String cannot fail.
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iban() -> Iban {
        Iban::parse("BE68539007547034").unwrap()
    }

    #[test]
    fn a_belgian_payload_carries_the_structured_communication() {
        let communication = StructuredCommunication::from_base(1_234_567_890).unwrap();
        let bic = Bic::parse("GEBABEBB").unwrap();
        let iban = iban();
        let transfer = EpcTransfer {
            beneficiary: "Studio Brabant SRL",
            iban: &iban,
            bic: Some(&bic),
            amount: Decimal::new(123_450, 2),
            reference: EpcReference::Structured(&communication),
        };
        assert_eq!(
            transfer.payload().unwrap(),
            "BCD\n002\n1\nSCT\nGEBABEBB\nStudio Brabant SRL\nBE68539007547034\nEUR1234.50\n\n123456789002\n"
        );
    }

    #[test]
    fn free_text_goes_in_the_unstructured_field_and_limits_hold() {
        let iban = iban();
        let name = "N".repeat(80);
        let transfer = EpcTransfer {
            beneficiary: &name,
            iban: &iban,
            bic: None,
            amount: Decimal::new(5, 0),
            reference: EpcReference::Text("FA-2026\n0142"),
        };
        let payload = transfer.payload().unwrap();
        let lines: Vec<&str> = payload.split('\n').collect();
        assert_eq!(lines.len(), 11);
        assert_eq!(lines[4], "", "no BIC: allowed by version 002");
        assert_eq!(lines[5].len(), 70, "the name is cut at 70 characters");
        assert_eq!(lines[7], "EUR5.00");
        assert_eq!((lines[9], lines[10]), ("", "FA-2026 0142"));
        for amount in [Decimal::ZERO, Decimal::new(-1, 0), Decimal::new(1_000_000_000, 0)] {
            assert_eq!(EpcTransfer { amount, ..transfer.clone() }.payload(), None, "{amount}");
        }
        assert!(EpcTransfer { amount: MAX_EPC_AMOUNT, ..transfer }.payload().is_some());
        assert_eq!(MAX_EPC_AMOUNT.to_string(), "999999999.99");
    }

    #[test]
    fn the_svg_has_a_square_per_dark_module() {
        let svg = qr_svg("BCD\n002").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        let code = QrCode::with_error_correction_level("BCD\n002", EcLevel::M).unwrap();
        let dark = code.to_colors().into_iter().filter(|c| *c == Color::Dark).count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
    }
}
