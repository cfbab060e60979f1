//! The company whose books a Comptoir file holds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    Address, Bic, CompanyId, Country, Currency, Iban, MAX_AMOUNT, MAX_PERCENT_DECIMALS, ModelError, NationalId,
    VatNumber, decimals,
};

/// The longest legal name, legal form and register city.
pub const MAX_LEGAL_NAME: usize = 120;
pub const MAX_LEGAL_FORM: usize = 40;
pub const MAX_REGISTER_CITY: usize = 80;
/// The longest early-payment discount terms.
pub const MAX_EARLY_PAYMENT_DISCOUNT: usize = 200;
/// The longest payment term a company may set by default.
pub const MAX_PAYMENT_TERMS_DAYS: u16 = 365;

/// A company: the seller on its invoices. Its numbering series live beside it, one per
/// document kind (see [`NumberingSeries`](super::NumberingSeries)), and so does its logo
/// (in the settings record: see `sync::Settings`).
///
/// The fields added after the first release are optional in JSON and left out when
/// empty, so that records written before them read the same and serialise to the very
/// same bytes.
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
    /// The legal form as printed on invoices: SARL, SAS, EI (France); SRL, SA (Belgium).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub legal_form: String,
    /// The share capital, for the forms that have one ("SARL au capital de 10 000 €").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_capital: Option<Decimal>,
    /// The city of the trade register (France: "RCS Lyon"; Belgium: the RPM/RPR court).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub register_city: String,
    /// The yearly rate of late-payment penalties, in percent (0 to 100, 2 decimals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_penalty_rate: Option<Decimal>,
    /// Not liable to VAT (France: franchise en base, art. 293 B du CGI; Belgium: the
    /// small-business scheme): its invoices need no VAT number.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vat_exempt: bool,
    /// The early-payment discount the company grants, as printed on invoices ("2 % pour
    /// un paiement sous 10 jours"); empty: none, and the invoices say so (France: Code
    /// de commerce L441-9).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub early_payment_discount: String,
}

/// Legal forms of sole traders, who have no share capital and (for the micro-entrepreneur)
/// often no trade register entry. Compared without case, spaces or dots.
const SOLE_TRADER_FORMS: [&str; 5] = ["EI", "EIRL", "MICROENTREPRISE", "AUTOENTREPRENEUR", "ENTREPRENEURINDIVIDUEL"];

fn compact_form(form: &str) -> String {
    form.chars().filter(char::is_ascii_alphanumeric).flat_map(char::to_uppercase).collect()
}

impl Company {
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.legal_name.trim().is_empty() {
            return Err(ModelError::Required { field: "legal_name" });
        }
        for (field, value, max) in [
            ("legal_name", &self.legal_name, MAX_LEGAL_NAME),
            ("legal_form", &self.legal_form, MAX_LEGAL_FORM),
            ("register_city", &self.register_city, MAX_REGISTER_CITY),
            ("early_payment_discount", &self.early_payment_discount, MAX_EARLY_PAYMENT_DISCOUNT),
        ] {
            if value.chars().count() > max {
                return Err(ModelError::TooLong { field, max });
            }
        }
        self.address.validate()?;
        if self.payment_terms_days > MAX_PAYMENT_TERMS_DAYS {
            return Err(ModelError::UnknownValue {
                field: "payment_terms_days",
                value: self.payment_terms_days.to_string(),
            });
        }
        if let Some(capital) = self.share_capital {
            if capital.is_sign_negative() || capital > MAX_AMOUNT {
                return Err(ModelError::AmountOutOfRange { amount: capital });
            }
            if decimals(capital) > 2 {
                return Err(ModelError::AmountTooPrecise { amount: capital });
            }
        }
        if let Some(rate) = self.late_penalty_rate
            && (rate.is_sign_negative() || rate > Decimal::ONE_HUNDRED || decimals(rate) > MAX_PERCENT_DECIMALS)
        {
            return Err(ModelError::InvalidPenaltyRate { rate });
        }
        // A registration number reads without its country: check it against the company's.
        if let Some(id) = &self.national_id
            && NationalId::parse(self.address.country.code(), id.as_str()).as_ref() != Ok(id)
        {
            return Err(ModelError::InvalidNationalId {
                value: id.as_str().to_owned(),
                reason: "it does not match the company's country",
            });
        }
        Ok(())
    }

    /// Whether the legal form is a sole trader's (no share capital).
    pub fn is_sole_trader(&self) -> bool {
        let form = compact_form(&self.legal_form);
        SOLE_TRADER_FORMS.contains(&form.as_str())
    }

    /// What the company must still fill in before its invoices carry the mentions the law
    /// of its country requires, as field names (`legal_name`, `address`, `national_id`,
    /// `vat_number`, `legal_form`, `share_capital`, `register_city`, `late_penalty_rate`,
    /// `iban`), in the order the settings show them. Empty: invoices may be issued.
    ///
    /// - Everywhere: the legal name and a full address.
    /// - France (Code de commerce R123-237, CGI 242 nonies A): the SIREN, the legal
    ///   form, the VAT number unless exempt, the late-payment penalty rate; companies
    ///   (not sole traders) also their share capital and the RCS city.
    /// - Belgium (Code des sociétés, art. 2:20): the enterprise number (BCE/KBO), the
    ///   legal form, the VAT number unless exempt, and the IBAN (the account must
    ///   appear on a company's documents).
    pub fn missing_for_invoices(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.legal_name.trim().is_empty() {
            missing.push("legal_name");
        }
        let address = &self.address;
        if [&address.street, &address.postcode, &address.city].iter().any(|part| part.trim().is_empty()) {
            missing.push("address");
        }
        let (france, belgium) = (self.address.country == Country::France, self.address.country == Country::Belgium);
        if !(france || belgium) {
            return missing;
        }
        if self.national_id.is_none() {
            missing.push("national_id");
        }
        if self.vat_number.is_none() && !self.vat_exempt {
            missing.push("vat_number");
        }
        if self.legal_form.trim().is_empty() {
            missing.push("legal_form");
        }
        if france {
            if !self.legal_form.trim().is_empty() && !self.is_sole_trader() {
                if self.share_capital.is_none() {
                    missing.push("share_capital");
                }
                if self.register_city.trim().is_empty() {
                    missing.push("register_city");
                }
            }
            if self.late_penalty_rate.is_none() {
                missing.push("late_penalty_rate");
            }
        }
        if belgium && self.iban.is_none() {
            missing.push("iban");
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn french() -> Company {
        Company {
            id: CompanyId::new(),
            legal_name: "Atelier Dupont".into(),
            address: Address {
                street: "8 rue Pasteur".into(),
                street2: String::new(),
                postcode: "69007".into(),
                city: "Lyon".into(),
                country: Country::France,
            },
            vat_number: Some(VatNumber::parse("FR40303265045").unwrap()),
            national_id: Some(NationalId::parse("FR", "303265045").unwrap()),
            iban: None,
            bic: None,
            currency: Currency::EUR,
            payment_terms_days: 30,
            legal_form: "SARL".into(),
            share_capital: Some(dec!(10000)),
            register_city: "Lyon".into(),
            late_penalty_rate: Some(dec!(10.15)),
            vat_exempt: false,
            early_payment_discount: String::new(),
        }
    }

    #[test]
    fn every_number_has_a_range_and_every_text_a_length() {
        french().validate().unwrap();
        let check = |change: &dyn Fn(&mut Company)| {
            let mut company = french();
            change(&mut company);
            company.validate().map_err(|e| e.code())
        };
        assert_eq!(check(&|c| c.share_capital = Some(dec!(-1))), Err("amount_out_of_range"));
        assert_eq!(check(&|c| c.share_capital = Some(dec!(1e20))), Err("amount_out_of_range"));
        assert_eq!(check(&|c| c.share_capital = Some(MAX_AMOUNT)), Ok(()));
        assert_eq!(check(&|c| c.share_capital = Some(dec!(10.001))), Err("amount_too_precise"));
        assert_eq!(check(&|c| c.share_capital = Some(dec!(0))), Ok(()));
        assert_eq!(check(&|c| c.late_penalty_rate = Some(dec!(100))), Ok(()));
        assert_eq!(check(&|c| c.late_penalty_rate = Some(dec!(0))), Ok(()));
        assert_eq!(check(&|c| c.late_penalty_rate = Some(dec!(100.01))), Err("penalty_rate_invalid"));
        assert_eq!(check(&|c| c.late_penalty_rate = Some(dec!(-0.01))), Err("penalty_rate_invalid"));
        assert_eq!(check(&|c| c.late_penalty_rate = Some(dec!(12.345))), Err("penalty_rate_invalid"));
        assert_eq!(check(&|c| c.payment_terms_days = 366), Err("unknown_value"));
        assert_eq!(check(&|c| c.legal_form = "S".repeat(MAX_LEGAL_FORM)), Ok(()));
        assert_eq!(check(&|c| c.legal_form = "S".repeat(MAX_LEGAL_FORM + 1)), Err("field_too_long"));
        assert_eq!(check(&|c| c.register_city = "é".repeat(MAX_REGISTER_CITY + 1)), Err("field_too_long"));
        assert_eq!(check(&|c| c.legal_name = "x".repeat(MAX_LEGAL_NAME + 1)), Err("field_too_long"));
        // A Belgian enterprise number on a French company.
        let belgian = NationalId::parse("BE", "0403170701").unwrap();
        assert_eq!(check(&|c| c.national_id = Some(belgian.clone())), Err("national_id_invalid"));
    }

    #[test]
    fn records_without_the_new_fields_read_and_write_the_same_bytes() {
        let mut old = french();
        old.legal_form = String::new();
        old.share_capital = None;
        old.register_city = String::new();
        old.late_penalty_rate = None;
        let json = serde_json::to_string(&old).unwrap();
        for field in ["legal_form", "share_capital", "register_city", "late_penalty_rate", "vat_exempt"] {
            assert!(!json.contains(field), "{field} left out: {json}");
        }
        let read: Company = serde_json::from_str(&json).unwrap();
        assert_eq!(read, old);
        assert_eq!(serde_json::to_string(&read).unwrap(), json);
        let company = french();
        let full = serde_json::to_string(&company).unwrap();
        assert!(full.contains(r#""share_capital":"10000""#) && full.contains(r#""late_penalty_rate":"10.15""#));
        assert_eq!(serde_json::from_str::<Company>(&full).unwrap(), company);
    }

    #[test]
    fn what_is_missing_before_invoices_carry_their_legal_mentions() {
        assert!(french().missing_for_invoices().is_empty());
        // A company just created on the server: a name and a country.
        let mut new = french();
        new.address.street = String::new();
        new.address.postcode = String::new();
        new.address.city = String::new();
        new.vat_number = None;
        new.national_id = None;
        new.legal_form = String::new();
        new.share_capital = None;
        new.register_city = String::new();
        new.late_penalty_rate = None;
        assert_eq!(
            new.missing_for_invoices(),
            ["address", "national_id", "vat_number", "legal_form", "late_penalty_rate"]
        );
        // A SARL also states its capital and its RCS city.
        new.legal_form = "SARL".into();
        assert_eq!(
            new.missing_for_invoices(),
            ["address", "national_id", "vat_number", "share_capital", "register_city", "late_penalty_rate"]
        );
        // A micro-entrepreneur exempt from VAT: no capital, no RCS, no VAT number.
        let mut micro = french();
        micro.legal_form = "Micro-entreprise".into();
        micro.share_capital = None;
        micro.register_city = String::new();
        micro.vat_number = None;
        assert_eq!(micro.missing_for_invoices(), ["vat_number"]);
        micro.vat_exempt = true;
        assert!(micro.missing_for_invoices().is_empty());
        assert!(micro.is_sole_trader());
        // Belgium: the enterprise number, the VAT number, the legal form and the IBAN.
        let mut belgian = french();
        belgian.address.country = Country::Belgium;
        belgian.national_id = None;
        belgian.vat_number = None;
        belgian.share_capital = None;
        belgian.register_city = String::new();
        belgian.late_penalty_rate = None;
        belgian.legal_form = "SRL".into();
        assert_eq!(belgian.missing_for_invoices(), ["national_id", "vat_number", "iban"]);
        belgian.national_id = Some(NationalId::parse("BE", "0403170701").unwrap());
        belgian.vat_number = Some(VatNumber::parse("BE0403170701").unwrap());
        belgian.iban = Some(Iban::parse("BE68539007547034").unwrap());
        assert!(belgian.missing_for_invoices().is_empty());
        // Elsewhere only the name and the address are asked for.
        let mut swiss = new.clone();
        swiss.address.country = Country::Switzerland;
        assert_eq!(swiss.missing_for_invoices(), ["address"]);
        new.legal_name = " ".into();
        assert_eq!(new.missing_for_invoices()[0], "legal_name");
    }
}
