//! Rows to records: each checked by the model's rules, refused with its line and reason,
//! or found already there by its natural key.

use std::collections::HashSet;

use rust_decimal::Decimal;

use crate::model::{
    Address, Article, ArticleId, Contact, ContactId, ContactKind, Country, ModelError, VatNumber, VatRate,
    validate_email,
};
use crate::store::{CompanyStore, StoreError, fold_for_sort};
use crate::sync::Intent;

use super::{Field, ImportError, ImportKind, MAX_PAYMENT_TERMS_DAYS, MAX_PHONE_CHARS, Mapping, Sheet};

/// What a row takes when its file says nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    pub kind: ImportKind,
    /// A contact's country when the file has none (the company's).
    pub default_country: Country,
    /// An article's VAT rate when the file has none (the country's standard rate).
    pub default_vat_rate: Option<VatRate>,
}

impl ImportOptions {
    /// The defaults of a company established in `country`.
    pub fn for_country(kind: ImportKind, country: Country) -> Self {
        let default_vat_rate = VatRate::rates_of(&country).first().copied();
        Self { kind, default_country: country, default_vat_rate }
    }
}

/// A record ready to be created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewRecord {
    Contact(Box<Contact>),
    Article(Box<Article>),
}

impl NewRecord {
    /// The intent that creates it.
    pub fn intent(&self) -> Intent {
        match self {
            Self::Contact(contact) => Intent::CreateContact { contact: (**contact).clone() },
            Self::Article(article) => Intent::CreateArticle { article: (**article).clone() },
        }
    }

    /// Its name, for a preview.
    pub fn name(&self) -> &str {
        match self {
            Self::Contact(contact) => &contact.name,
            Self::Article(article) => &article.name,
        }
    }
}

/// Why a row was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `import_…`, or the [`ModelError::code`] of the rule it breaks.
    pub code: &'static str,
    /// The field at fault, when one is.
    pub field: Option<Field>,
    /// In English, for the log and the command line; the app words it from `code`.
    pub message: String,
}

impl Refusal {
    fn model(field: Option<Field>, error: &ModelError) -> Self {
        let field = field.or_else(|| model_field(error));
        Self { code: error.code(), field, message: error.to_string() }
    }
}

/// What became of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ready(NewRecord),
    /// Its natural key is in the company already, or on an earlier row of the file.
    AlreadyThere {
        key: String,
    },
    Refused(Refusal),
}

/// One row's line in the file and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowReport {
    pub line: usize,
    pub outcome: Outcome,
}

/// Every row of a file, checked, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub kind: ImportKind,
    pub rows: Vec<RowReport>,
}

impl Report {
    /// The records to create, with their line.
    pub fn ready(&self) -> impl Iterator<Item = (usize, &NewRecord)> {
        self.rows.iter().filter_map(|r| match &r.outcome {
            Outcome::Ready(record) => Some((r.line, record)),
            _ => None,
        })
    }

    /// The refused rows, with their line.
    pub fn refused(&self) -> impl Iterator<Item = (usize, &Refusal)> {
        self.rows.iter().filter_map(|r| match &r.outcome {
            Outcome::Refused(refusal) => Some((r.line, refusal)),
            _ => None,
        })
    }

    pub fn already_there(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.outcome, Outcome::AlreadyThere { .. })).count()
    }
}

/// The natural keys of the records a company holds (archived ones too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingKeys(HashSet<String>);

impl ExistingKeys {
    /// The keys of `kind` in the company's copy.
    pub fn read(store: &CompanyStore, kind: ImportKind) -> Result<Self, StoreError> {
        let mut keys = HashSet::new();
        let connection = store.connection();
        match kind {
            ImportKind::Contacts => {
                let mut statement =
                    connection.prepare("SELECT vat_number, email, name, billing_postcode FROM contacts")?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    let vat: Option<String> = row.get(0)?;
                    let email: Option<String> = row.get(1)?;
                    let (name, postcode): (String, String) = (row.get(2)?, row.get(3)?);
                    if let Some(vat) = vat.and_then(|v| VatNumber::parse(&v).ok()) {
                        keys.insert(vat_key(&vat));
                    }
                    if let Some(email) = email {
                        keys.insert(email_key(&email));
                    }
                    keys.insert(name_key(&name, &postcode));
                }
            }
            ImportKind::Articles => {
                let mut statement = connection.prepare("SELECT code FROM articles")?;
                let mut rows = statement.query([])?;
                while let Some(row) = rows.next()? {
                    keys.insert(code_key(&row.get::<_, String>(0)?));
                }
            }
        }
        Ok(Self(keys))
    }

    pub fn insert(&mut self, key: String) -> bool {
        self.0.insert(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains(key)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn vat_key(vat: &VatNumber) -> String {
    format!("vat:{}", vat.as_str())
}

fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

fn name_key(name: &str, postcode: &str) -> String {
    let postcode: String = postcode.chars().filter(|c| !c.is_whitespace()).collect();
    format!("name:{}|{}", fold_for_sort(name), postcode.to_lowercase())
}

fn code_key(code: &str) -> String {
    format!("code:{}", code.trim().to_lowercase())
}

/// A contact's natural key: its VAT number, else its email, else its name and postcode.
fn contact_key(contact: &Contact) -> String {
    match (&contact.vat_number, &contact.email) {
        (Some(vat), _) => vat_key(vat),
        (None, Some(email)) => email_key(email),
        (None, None) => name_key(&contact.name, &contact.billing_address.postcode),
    }
}

/// Every key a contact answers to: a later row finds it by any of them, as it would find
/// a contact of the company (see [`ExistingKeys::read`]).
fn contact_keys(contact: &Contact) -> Vec<String> {
    let mut keys = vec![name_key(&contact.name, &contact.billing_address.postcode)];
    keys.extend(contact.vat_number.as_ref().map(vat_key));
    keys.extend(contact.email.as_deref().map(email_key));
    keys
}

/// Every key of a contact, for tests that fill [`ExistingKeys`] by hand.
#[cfg(test)]
pub(super) fn tests_keys(contact: &Contact) -> Vec<String> {
    contact_keys(contact)
}

/// The field of the file a model error names.
fn model_field(error: &ModelError) -> Option<Field> {
    let name = match error {
        ModelError::Required { field } | ModelError::TooLong { field, .. } => *field,
        ModelError::InvalidEmail { .. } => return Some(Field::Email),
        ModelError::InvalidArticleCode { .. } => return Some(Field::Code),
        ModelError::NegativeUnitPrice { .. } | ModelError::UnitPriceOutOfRange { .. } => {
            return Some(Field::UnitPrice);
        }
        ModelError::TooPrecise { .. } => return Some(Field::UnitPrice),
        _ => return None,
    };
    Some(match name {
        "street" => Field::Street,
        "street2" => Field::Street2,
        "postcode" => Field::Postcode,
        "city" => Field::City,
        "unit" => Field::Unit,
        "phone" => Field::Phone,
        _ => return None,
    })
}

/// A number as spreadsheets write it: `1 234,56`, `1234.56`, `1.234,56`, `1'234.50`,
/// with a currency or percent sign; at most 40 characters. `None` when it is not one.
pub fn parse_number(text: &str) -> Option<Decimal> {
    if text.chars().count() > 40 {
        return None;
    }
    let trimmed = text.trim();
    let trimmed = ["EUR", "CHF", "€", "%"].iter().fold(trimmed, |t, s| t.strip_suffix(s).unwrap_or(t).trim_end());
    let compact: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '\u{A0}' | '\u{202F}' | '\'' | '’')).collect();
    if compact.is_empty() || !compact.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+')) {
        return None;
    }
    let normalized = match (compact.rfind(','), compact.rfind('.')) {
        (Some(comma), Some(dot)) if comma > dot => compact.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => compact.replace(',', ""),
        (Some(_), None) if compact.matches(',').count() == 1 => compact.replace(',', "."),
        (Some(_), None) => return None,
        // `1.234.567`: dots that group thousands.
        (None, Some(_)) if compact.matches('.').count() > 1 => compact.replace('.', ""),
        _ => compact,
    };
    Decimal::from_str_exact(&normalized).ok()
}

/// A row's cells, by field.
struct Cells<'a> {
    cells: &'a [String],
    mapping: &'a Mapping,
}

impl Cells<'_> {
    /// The trimmed cell of `field` (`None` when empty or not mapped).
    fn get(&self, field: Field) -> Option<&str> {
        let column = self.mapping.iter().position(|f| *f == Some(field))?;
        let value = self.cells.get(column)?.trim();
        (!value.is_empty()).then_some(value)
    }

    fn text(&self, field: Field) -> String {
        self.get(field).unwrap_or_default().to_owned()
    }
}

fn refused(code: &'static str, field: Field, message: String) -> Refusal {
    Refusal { code, field: Some(field), message }
}

fn parse_country(value: &str) -> Result<Country, ModelError> {
    let known = match squash_name(value).as_str() {
        "france" | "frankrijk" => Some(Country::France),
        "belgique" | "belgie" | "belgium" | "belgien" => Some(Country::Belgium),
        "suisse" | "schweiz" | "switzerland" | "zwitserland" | "svizzera" => Some(Country::Switzerland),
        "luxembourg" | "luxemburg" => Some(Country::Other("LU".into())),
        "paysbas" | "nederland" | "netherlands" => Some(Country::Other("NL".into())),
        "allemagne" | "duitsland" | "germany" | "deutschland" => Some(Country::Other("DE".into())),
        "maroc" | "marokko" | "morocco" => Some(Country::Other("MA".into())),
        "tunisie" | "tunesie" | "tunisia" => Some(Country::Other("TN".into())),
        "algerie" | "algerije" | "algeria" => Some(Country::Other("DZ".into())),
        _ => None,
    };
    known.map_or_else(|| Country::from_code(value), Ok)
}

fn squash_name(value: &str) -> String {
    super::squash(value)
}

fn parse_vat_number(value: &str, country: &Country) -> Result<VatNumber, ModelError> {
    VatNumber::parse(value).or_else(|error| {
        // Written without its country prefix (`0403.170.701` in Belgium).
        if value.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
            VatNumber::parse(&format!("{}{value}", country.code())).map_err(|_| error)
        } else {
            Err(error)
        }
    })
}

fn to_contact(cells: &Cells<'_>, options: &ImportOptions) -> Result<Contact, Refusal> {
    let model = |field, e: ModelError| Refusal::model(Some(field), &e);
    let country = match cells.get(Field::Country) {
        Some(value) => parse_country(value).map_err(|e| model(Field::Country, e))?,
        None => options.default_country.clone(),
    };
    let vat_number = cells
        .get(Field::VatNumber)
        .map(|v| parse_vat_number(v, &country))
        .transpose()
        .map_err(|e| model(Field::VatNumber, e))?;
    let email = cells.get(Field::Email).map(str::to_owned);
    if let Some(email) = &email {
        validate_email(email).map_err(|e| model(Field::Email, e))?;
    }
    let phone = cells.get(Field::Phone).map(str::to_owned);
    if phone.as_ref().is_some_and(|p| p.chars().count() > MAX_PHONE_CHARS) {
        return Err(model(Field::Phone, ModelError::TooLong { field: "phone", max: MAX_PHONE_CHARS }));
    }
    let kind = match cells.get(Field::Kind).map(squash_name).as_deref() {
        None => ContactKind::Company,
        Some("particulier" | "personne" | "person" | "prive" | "private" | "individual" | "particulieren") => {
            ContactKind::Person
        }
        Some("societe" | "entreprise" | "company" | "bedrijf" | "onderneming" | "business" | "professionnel") => {
            ContactKind::Company
        }
        Some(_) => {
            let value = cells.text(Field::Kind);
            return Err(model(Field::Kind, ModelError::UnknownValue { field: "contact kind", value }));
        }
    };
    let payment_terms_days = match cells.get(Field::PaymentTerms) {
        None => None,
        Some(value) => {
            let days = parse_number(value)
                .filter(|d| d.fract().is_zero())
                .and_then(|d| u16::try_from(d).ok())
                .filter(|d| *d <= MAX_PAYMENT_TERMS_DAYS);
            Some(days.ok_or_else(|| {
                refused(
                    "import_payment_terms_invalid",
                    Field::PaymentTerms,
                    format!("“{value}” is not a number of days from 0 to {MAX_PAYMENT_TERMS_DAYS}."),
                )
            })?)
        }
    };
    let contact = Contact {
        id: ContactId::new(),
        kind,
        name: cells.text(Field::Name),
        is_customer: true,
        is_supplier: false,
        email,
        phone,
        vat_number,
        billing_address: Address {
            street: cells.text(Field::Street),
            street2: cells.text(Field::Street2),
            postcode: cells.text(Field::Postcode),
            city: cells.text(Field::City),
            country,
        },
        delivery_address: None,
        payment_terms_days,
        archived: false,
        language: None,
        peppol_id: None,
    };
    contact.validate().map_err(|e| {
        let field = matches!(e, ModelError::Required { field: "name" } | ModelError::TooLong { field: "name", .. })
            .then_some(Field::Name);
        Refusal::model(field, &e)
    })?;
    Ok(contact)
}

fn to_article(cells: &Cells<'_>, options: &ImportOptions) -> Result<Article, Refusal> {
    let number = |field: Field| -> Result<Option<Decimal>, Refusal> {
        cells
            .get(field)
            .map(|value| {
                parse_number(value).ok_or_else(|| {
                    refused("import_number_invalid", field, format!("“{}” is not a number.", truncate(value)))
                })
            })
            .transpose()
    };
    let unit_price = number(Field::UnitPrice)?
        .ok_or_else(|| Refusal::model(Some(Field::UnitPrice), &ModelError::Required { field: "unit price" }))?;
    let vat_rate = match number(Field::VatRate)? {
        Some(percent) => VatRate::new(percent).map_err(|e| Refusal::model(Some(Field::VatRate), &e))?,
        None => options
            .default_vat_rate
            .ok_or_else(|| Refusal::model(Some(Field::VatRate), &ModelError::Required { field: "VAT rate" }))?,
    };
    let article = Article {
        id: ArticleId::new(),
        code: cells.text(Field::Code),
        name: cells.text(Field::ArticleName),
        unit: cells.text(Field::Unit),
        unit_price,
        vat_rate,
        archived: false,
    };
    if article.name.is_empty() {
        return Err(Refusal::model(Some(Field::ArticleName), &ModelError::Required { field: "name" }));
    }
    article.validate().map_err(|e| {
        let field = if matches!(e, ModelError::Required { field: "name" } | ModelError::TooLong { field: "name", .. }) {
            Some(Field::ArticleName)
        } else {
            None
        };
        Refusal::model(field, &e)
    })?;
    Ok(article)
}

/// At most 60 characters of a value, for a message.
fn truncate(value: &str) -> String {
    let mut short: String = value.chars().take(60).collect();
    if short.len() < value.len() {
        short.push('…');
    }
    short
}

/// Checks every row of `sheet` as `mapping` reads it. Refused when a column the records
/// need is not mapped; else every row has its outcome.
pub fn check(
    sheet: &Sheet,
    mapping: &Mapping,
    options: &ImportOptions,
    existing: &ExistingKeys,
) -> Result<Report, ImportError> {
    for field in super::Field::of(options.kind) {
        if field.required() && !mapping.contains(&Some(*field)) {
            return Err(ImportError::MissingColumn { field: *field });
        }
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        let outcome = match &row.cells {
            Err(problem) => Outcome::Refused(Refusal { code: problem.code(), field: None, message: problem.message() }),
            Ok(cells)
                if cells.len() > sheet.headers.len()
                    && cells[sheet.headers.len()..].iter().any(|c| !c.trim().is_empty()) =>
            {
                Outcome::Refused(Refusal {
                    code: "import_too_many_cells",
                    field: None,
                    message: format!(
                        "It has {} cells for {} columns: a separator inside a cell without quotes?",
                        cells.len(),
                        sheet.headers.len()
                    ),
                })
            }
            Ok(cells) => {
                let cells = Cells { cells, mapping };
                let record = match options.kind {
                    ImportKind::Contacts => to_contact(&cells, options).map(|c| NewRecord::Contact(Box::new(c))),
                    ImportKind::Articles => to_article(&cells, options).map(|a| NewRecord::Article(Box::new(a))),
                };
                match record {
                    Err(refusal) => Outcome::Refused(refusal),
                    Ok(record) => {
                        let (key, keys) = match &record {
                            NewRecord::Contact(contact) => (contact_key(contact), contact_keys(contact)),
                            NewRecord::Article(article) => (code_key(&article.code), vec![code_key(&article.code)]),
                        };
                        if existing.contains(&key) || seen.contains(&key) {
                            Outcome::AlreadyThere { key }
                        } else {
                            seen.extend(keys);
                            Outcome::Ready(record)
                        }
                    }
                }
            }
        };
        rows.push(RowReport { line: row.line, outcome });
    }
    Ok(Report { kind: options.kind, rows })
}
