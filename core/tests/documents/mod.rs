//! Document fixtures the PDF and e-invoice tests share: parties, lines, dates.

#![allow(dead_code, reason = "each test file uses part of the fixtures")]

use chrono::NaiveDate;
use comptoir_core::model::{Address, Country, DocumentLine, PartySnapshot, VatCategory, VatNumber, VatRate};
use rust_decimal::Decimal;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid fixture")
}

pub fn address(street: &str, postcode: &str, city: &str, country: &str) -> Address {
    Address {
        street: street.into(),
        street2: String::new(),
        postcode: postcode.into(),
        city: city.into(),
        country: Country::from_code(country).expect("a valid fixture"),
    }
}

pub fn customer(name: &str, address: Address, vat: Option<&str>) -> PartySnapshot {
    PartySnapshot { name: name.into(), address, vat_number: vat.map(|v| VatNumber::parse(v).expect("a valid fixture")) }
}

pub fn line(
    description: &str,
    quantity: Decimal,
    unit: &str,
    price: Decimal,
    discount: Decimal,
    rate: Decimal,
) -> DocumentLine {
    DocumentLine {
        article_id: None,
        description: description.into(),
        quantity,
        unit: unit.into(),
        unit_price: price,
        discount_percent: discount,
        vat_rate: VatRate::new(rate).expect("a valid fixture"),
        vat_category: None,
        section: false,
    }
}

pub fn categorised(mut line: DocumentLine, category: VatCategory) -> DocumentLine {
    line.vat_category = Some(category);
    line
}
