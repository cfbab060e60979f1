//! A seeded, deterministic generator of realistic company data.
//!
//! The same seed and size give the same company, contacts, articles, documents and
//! payments — ids included — on every machine, so demos, tests and benchmarks are
//! repeatable. Everything it writes goes through the store and obeys the model's rules:
//! valid FR and BE VAT numbers, EN 16931 totals, numbers continuous per series in date
//! order, credit notes that correct an issued invoice within its total, quotes accepted
//! then converted into invoices, payments that settle invoices (a few partly, a few
//! twice, as happens in real life).

mod audit;
mod names;
mod rng;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::model::identifiers::{belgian_check_digits, french_vat_key, luhn_check_digit};
use crate::model::{
    Address, Allocation, Article, ArticleId, Bic, Company, CompanyId, Contact, ContactId, ContactKind, Country,
    Currency, Document, DocumentId, DocumentKind, DocumentLine, DocumentStatus, Iban, NationalId, NumberingSeries,
    PartySnapshot, Payment, PaymentId, PaymentMethod, StructuredCommunication, VatNumber, VatRate, round_amount,
};
use crate::store::{CompanyStore, StoreError, WriteTx};

pub use audit::{AUDIT_USERS, fill_audit_trail};
/// The demo's seeded generator, also what the tests' fuzz harness draws from.
pub use rng::Rng;

/// How much to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoSize {
    pub contacts: u32,
    pub articles: u32,
    pub quotes: u32,
    pub invoices: u32,
    pub credit_notes: u32,
    pub delivery_notes: u32,
    /// Record payments for issued invoices (most paid, some partly, a few twice).
    pub payments: bool,
}

impl DemoSize {
    /// A company you can read through: the demo's first company.
    pub const SMALL: Self = Self {
        contacts: 40,
        articles: 25,
        quotes: 30,
        invoices: 150,
        credit_notes: 8,
        delivery_notes: 20,
        payments: true,
    };

    /// A busy company: the demo's second company.
    pub const LARGE: Self = Self {
        contacts: 2_000,
        articles: 300,
        quotes: 4_000,
        invoices: 25_000,
        credit_notes: 500,
        delivery_notes: 3_000,
        payments: true,
    };

    /// About `records` records in all, in the proportions of a real company.
    pub fn with_records(records: u32) -> Self {
        let invoices = (records / 2).max(10);
        Self {
            contacts: (records / 20).clamp(5, 50_000),
            articles: (records / 100).clamp(5, 2_000),
            quotes: records / 8,
            invoices,
            credit_notes: records / 50,
            delivery_notes: records / 12,
            payments: true,
        }
    }

    /// Only invoices (and the contacts and articles they need), without payments: the
    /// shape the store benchmark fills.
    pub fn invoices_only(invoices: u32) -> Self {
        Self {
            contacts: (invoices / 100).clamp(10, 10_000),
            articles: 200,
            quotes: 0,
            invoices,
            credit_notes: 0,
            delivery_notes: 0,
            payments: false,
        }
    }
}

/// What [`fill`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub contacts: u64,
    pub articles: u64,
    pub quotes: u64,
    pub invoices: u64,
    pub credit_notes: u64,
    pub delivery_notes: u64,
    pub document_lines: u64,
    pub payments: u64,
    /// Payments that paid an invoice a second time (the app must report them).
    pub double_payments: u64,
}

/// The first day of generated documents; they spread from here to [`LAST_DAY`].
const FIRST_DAY: (i32, u32, u32) = (2024, 1, 2);
const LAST_DAY: (i32, u32, u32) = (2026, 10, 30);
/// Documents are written in transactions of this many.
const BATCH: u32 = 20_000;

/// A demo company of `country` (France or Belgium; other countries get a French-style one).
pub fn demo_company(seed: u64, country: &Country) -> Company {
    let mut rng = Rng::new(seed ^ 0xC0_4D_A1);
    let belgian = *country == Country::Belgium;
    let (legal_name, street, postcode, city, iban, bic) = if belgian {
        ("Studio Brabant SRL", "avenue Louise 54", "1050", "Bruxelles", "BE68539007547034", "GEBABEBB")
    } else {
        ("Atelier Lumière SARL", "12 quai de Saône", "69005", "Lyon", "FR7630006000011234567890189", "AGRIFRPP")
    };
    let vat_number = if belgian { belgian_vat(&mut rng) } else { french_vat(&mut rng) };
    let national_id = NationalId::parse(country.code(), &vat_number.as_str()[if belgian { 2 } else { 4 }..]).ok();
    Company {
        id: CompanyId(rng.uuid_v7(1_700_000_000_000)),
        legal_name: legal_name.to_owned(),
        address: Address {
            street: street.to_owned(),
            street2: String::new(),
            postcode: postcode.to_owned(),
            city: city.to_owned(),
            country: country.clone(),
        },
        vat_number: Some(vat_number),
        national_id,
        iban: Iban::parse(iban).ok(),
        bic: Bic::parse(bic).ok(),
        currency: Currency::EUR,
        payment_terms_days: 30,
        // The French demo company has every legal mention; the Belgian one (the large
        // demo) starts without its legal form, as a company created on a server does, so
        // that the app shows what must be completed before its invoices can be issued.
        legal_form: if belgian { String::new() } else { "SARL".to_owned() },
        share_capital: (!belgian).then(|| Decimal::new(10_000, 0)),
        register_city: if belgian { String::new() } else { "Lyon".to_owned() },
        late_penalty_rate: (!belgian).then(|| Decimal::new(1215, 2)),
        vat_exempt: false,
        early_payment_discount: String::new(),
    }
}

/// Creates a company file at `path` for a demo company and fills it.
pub fn create_demo_file(
    path: &std::path::Path,
    seed: u64,
    country: &Country,
    size: &DemoSize,
) -> Result<(CompanyStore, DemoReport), StoreError> {
    let mut store = CompanyStore::create(path, &demo_company(seed, country))?;
    let report = fill(&mut store, seed, size)?;
    Ok((store, report))
}

/// Fills `store` with generated data. Deterministic for a given seed, size and company.
pub fn fill(store: &mut CompanyStore, seed: u64, size: &DemoSize) -> Result<DemoReport, StoreError> {
    let company = store.company()?;
    let mut generator = Generator::new(seed, company, size);
    generator.load_existing(store)?;
    store.write(|tx| generator.write_catalogue(tx))?;
    let total = size.quotes + size.invoices + size.credit_notes + size.delivery_notes;
    if total > 0 && generator.customers.is_empty() {
        return Err(StoreError::NotFound { entity: "customer contact" });
    }
    let mut series: Vec<NumberingSeries> =
        DocumentKind::ALL.into_iter().map(|kind| store.numbering_series(kind)).collect::<Result<_, _>>()?;
    let mut done = 0;
    while done < total {
        let end = (done + BATCH).min(total);
        store.write(|tx| {
            for index in done..end {
                generator.write_document(tx, index, total, &mut series)?;
            }
            series.iter().try_for_each(|s| tx.save_series(s))
        })?;
        done = end;
    }
    Ok(generator.report)
}

struct Generator {
    rng: Rng,
    company: Company,
    size: DemoSize,
    report: DemoReport,
    customers: Vec<(ContactId, PartySnapshot, u16)>,
    articles: Vec<Article>,
    /// Accepted quotes waiting to become invoices.
    accepted_quotes: Vec<Document>,
    /// Recent issued invoices, candidates for a credit note or a delivery note.
    recent_invoices: Vec<Document>,
    first_day: NaiveDate,
    span_days: u64,
}

impl Generator {
    fn new(seed: u64, company: Company, size: &DemoSize) -> Self {
        let first_day = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).unwrap_or_default();
        let last_day = NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2).unwrap_or_default();
        Self {
            rng: Rng::new(seed),
            company,
            size: *size,
            report: DemoReport::default(),
            customers: Vec::new(),
            articles: Vec::new(),
            accepted_quotes: Vec::new(),
            recent_invoices: Vec::new(),
            first_day,
            span_days: u64::try_from((last_day - first_day).num_days()).unwrap_or(1),
        }
    }

    /// Reuses the contacts and articles the company already has, so that filling it again
    /// adds documents for its existing customers.
    fn load_existing(&mut self, store: &CompanyStore) -> Result<(), StoreError> {
        let mut offset = 0;
        loop {
            let page = store.list_contacts(false, offset, 1_000)?;
            if page.is_empty() {
                break;
            }
            offset += page.len() as u64;
            for contact in page.into_iter().filter(|c| c.is_customer) {
                let terms = contact.payment_terms_days.unwrap_or(self.company.payment_terms_days);
                let snapshot = PartySnapshot {
                    name: contact.name,
                    address: contact.billing_address,
                    vat_number: contact.vat_number,
                };
                self.customers.push((contact.id, snapshot, terms));
            }
        }
        let mut stmt = store.connection().prepare("SELECT id FROM articles WHERE archived = 0 ORDER BY rid")?;
        let ids = stmt.query_map([], |r| r.get::<_, uuid::Uuid>(0))?.collect::<Result<Vec<_>, _>>()?;
        for id in ids {
            self.articles.push(store.article(ArticleId(id))?);
        }
        Ok(())
    }

    fn belgian(&self) -> bool {
        self.company.address.country == Country::Belgium
    }

    fn write_catalogue(&mut self, tx: &WriteTx<'_>) -> Result<(), StoreError> {
        let rates = VatRate::rates_of(&self.company.address.country);
        let standard = rates.first().copied().unwrap_or(VatRate::ZERO);
        // The reduced rate for food and books: 5.5 % in France, 6 % in Belgium.
        let reduced = rates.get(2).copied().unwrap_or(standard);
        for i in 0..self.size.articles {
            let (name, unit, cents, is_reduced) = *self.rng.pick(names::ARTICLES);
            let generation = i / u32::try_from(names::ARTICLES.len()).unwrap_or(1);
            let article = Article {
                id: ArticleId(self.rng.uuid_v7(1_704_067_200_000 + u64::from(i))),
                code: format!("ART-{:05}", i + 1),
                name: if generation == 0 { name.to_owned() } else { format!("{name} ({})", generation + 1) },
                unit: unit.to_owned(),
                unit_price: Decimal::new(cents + i64::from(generation) * 100, 2),
                vat_rate: if is_reduced { reduced } else { standard },
                archived: i % 37 == 36,
            };
            tx.insert_article(&article)?;
            if !article.archived {
                self.articles.push(article);
            }
            self.report.articles += 1;
        }
        for i in 0..self.size.contacts {
            let contact = self.contact(i);
            tx.insert_contact(&contact)?;
            if contact.is_customer {
                let snapshot = PartySnapshot {
                    name: contact.name.clone(),
                    address: contact.billing_address.clone(),
                    vat_number: contact.vat_number.clone(),
                };
                let terms = contact.payment_terms_days.unwrap_or(self.company.payment_terms_days);
                self.customers.push((contact.id, snapshot, terms));
            }
            self.report.contacts += 1;
        }
        Ok(())
    }

    fn contact(&mut self, index: u32) -> Contact {
        // Belgian companies' customers are Belgian, French and Dutch-speaking alike;
        // French companies' customers are French, with a few Belgian ones.
        let belgian_contact = if self.belgian() { self.rng.chance(85) } else { self.rng.chance(10) };
        let flemish = belgian_contact && self.rng.chance(50);
        let is_company = self.rng.chance(70);
        let (first_names, last_names) = if belgian_contact {
            (names::FIRST_NAMES_BE, names::LAST_NAMES_BE)
        } else {
            (names::FIRST_NAMES_FR, names::LAST_NAMES_FR)
        };
        let last = *self.rng.pick(last_names);
        let name = if is_company {
            let (trades, forms) = match (belgian_contact, flemish) {
                (true, true) => (names::TRADES_NL, names::LEGAL_FORMS_BE_NL),
                (true, false) => (names::TRADES_FR, names::LEGAL_FORMS_BE_FR),
                _ => (names::TRADES_FR, names::LEGAL_FORMS_FR),
            };
            format!("{} {last} {}", self.rng.pick(trades), self.rng.pick(forms))
        } else {
            format!("{} {last}", self.rng.pick(first_names))
        };
        let (streets, cities, country) = match (belgian_contact, flemish) {
            (true, true) => (names::STREETS_BE_NL, names::CITIES_BE_NL, Country::Belgium),
            (true, false) => (names::STREETS_BE_FR, names::CITIES_BE_FR, Country::Belgium),
            _ => (names::STREETS_FR, names::CITIES_FR, Country::France),
        };
        let number = self.rng.below(180) + 1;
        let street = if belgian_contact {
            format!("{} {number}", self.rng.pick(streets))
        } else {
            format!("{number} {}", self.rng.pick(streets))
        };
        let (postcode, city) = *self.rng.pick(cities);
        let vat_number = match (is_company, belgian_contact) {
            (false, _) => None,
            (true, true) => Some(belgian_vat(&mut self.rng)),
            (true, false) => Some(french_vat(&mut self.rng)),
        };
        let email_name: String = crate::store::fold_for_sort(&name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        let domain = if belgian_contact { "exemple.be" } else { "exemple.fr" };
        Contact {
            id: ContactId(self.rng.uuid_v7(1_704_067_200_000 + u64::from(index))),
            kind: if is_company { ContactKind::Company } else { ContactKind::Person },
            email: Some(format!("{}.{index}@{domain}", email_name.trim_matches('.'))),
            phone: Some(if belgian_contact {
                format!("+32 2 {:03} {:02} {:02}", self.rng.below(1000), self.rng.below(100), self.rng.below(100))
            } else {
                format!(
                    "+33 1 {:02} {:02} {:02} {:02}",
                    self.rng.below(100),
                    self.rng.below(100),
                    self.rng.below(100),
                    self.rng.below(100)
                )
            }),
            name,
            is_customer: !self.rng.chance(8),
            is_supplier: self.rng.chance(15),
            vat_number,
            billing_address: Address {
                street,
                street2: String::new(),
                postcode: postcode.to_owned(),
                city: city.to_owned(),
                country,
            },
            delivery_address: None,
            payment_terms_days: if self.rng.chance(30) { Some(*self.rng.pick(&[15, 45, 60])) } else { None },
            archived: self.rng.chance(3),
            language: None,
            peppol_id: None,
        }
        .ensure_customer_or_supplier()
    }

    /// Writes document number `index` of `total`: kinds are interleaved in proportion so
    /// that every series runs in date order.
    fn write_document(
        &mut self,
        tx: &WriteTx<'_>,
        index: u32,
        total: u32,
        series: &mut [NumberingSeries],
    ) -> Result<(), StoreError> {
        let date = self.first_day + Days::new(u64::from(index) * self.span_days / u64::from(total.max(1)));
        let kind = self.next_kind();
        // The last 1 % of quotes and invoices are drafts still being written.
        let draft = u64::from(index) * 100 >= u64::from(total) * 99;
        match kind {
            DocumentKind::Quote => self.write_quote(tx, date, draft, series),
            DocumentKind::Invoice => self.write_invoice(tx, date, draft, series),
            DocumentKind::CreditNote => self.write_credit_note(tx, date, series),
            DocumentKind::DeliveryNote => self.write_delivery_note(tx, date, series),
        }
    }

    /// The kind furthest behind its share of the documents written so far.
    fn next_kind(&self) -> DocumentKind {
        let r = &self.report;
        let s = &self.size;
        let candidates = [
            (DocumentKind::Quote, r.quotes, s.quotes),
            (DocumentKind::Invoice, r.invoices, s.invoices),
            (DocumentKind::CreditNote, r.credit_notes, s.credit_notes),
            (DocumentKind::DeliveryNote, r.delivery_notes, s.delivery_notes),
        ];
        // Credit and delivery notes need an invoice to refer to: none before the first.
        let has_invoice = !self.recent_invoices.is_empty();
        // Compare done/target fractions exactly: a/b < c/d  ⇔  a·d < c·b.
        candidates
            .into_iter()
            .filter(|(_, done, target)| *done < u64::from(*target))
            .filter(|(kind, _, _)| {
                has_invoice || !matches!(kind, DocumentKind::CreditNote | DocumentKind::DeliveryNote)
            })
            .min_by(|(_, a, b), (_, c, d)| (u128::from(*a) * u128::from(*d)).cmp(&(u128::from(*c) * u128::from(*b))))
            .map_or(DocumentKind::Invoice, |(kind, _, _)| kind)
    }

    fn new_document(&mut self, kind: DocumentKind, date: NaiveDate) -> Document {
        let (contact_id, customer, terms) = self.rng.pick(&self.customers).clone();
        let mut document = Document::draft(kind, contact_id, customer, date, self.company.currency);
        document.id = DocumentId(self.rng.uuid_v7(millis_of(date)));
        if kind == DocumentKind::Invoice {
            document.due_date = date.checked_add_days(Days::new(u64::from(terms)));
        }
        document
    }

    fn random_lines(&mut self) -> Vec<DocumentLine> {
        let count = 1 + self.rng.below(5);
        (0..count)
            .map(|_| {
                let article = if self.articles.is_empty() { None } else { Some(self.rng.pick(&self.articles).clone()) };
                let quantity = if self.rng.chance(25) {
                    Decimal::new(i64::try_from(self.rng.below(16) + 1).unwrap_or(1) * 5, 1)
                } else {
                    Decimal::from(self.rng.below(10) + 1)
                };
                let discount =
                    if self.rng.chance(12) { Decimal::from(*self.rng.pick(&[5, 10, 15])) } else { Decimal::ZERO };
                match article {
                    Some(a) => DocumentLine {
                        article_id: Some(a.id),
                        description: a.name,
                        quantity,
                        unit: a.unit,
                        unit_price: a.unit_price,
                        discount_percent: discount,
                        vat_rate: a.vat_rate,
                        vat_category: None,
                        section: false,
                    },
                    None => DocumentLine {
                        article_id: None,
                        description: "Prestation".to_owned(),
                        quantity,
                        unit: "h".to_owned(),
                        unit_price: Decimal::new(6000, 2),
                        discount_percent: discount,
                        vat_rate: VatRate::rates_of(&self.company.address.country)
                            .first()
                            .copied()
                            .unwrap_or(VatRate::ZERO),
                        vat_category: None,
                        section: false,
                    },
                }
            })
            .collect()
    }

    fn write_quote(
        &mut self,
        tx: &WriteTx<'_>,
        date: NaiveDate,
        draft: bool,
        series: &mut [NumberingSeries],
    ) -> Result<(), StoreError> {
        let mut quote = self.new_document(DocumentKind::Quote, date);
        quote.lines = self.random_lines();
        "Devis valable 30 jours.".clone_into(&mut quote.notes);
        self.report.quotes += 1;
        self.report.document_lines += quote.lines.len() as u64;
        if draft {
            return tx.insert_document(&quote);
        }
        issue(&mut quote, series)?;
        match self.rng.below(10) {
            0..=3 => {
                quote.transition(DocumentStatus::Accepted)?;
                tx.insert_document(&quote)?;
                if self.size.invoices > 0 {
                    self.accepted_quotes.push(quote);
                }
                Ok(())
            }
            4..=5 => {
                quote.transition(DocumentStatus::Declined)?;
                tx.insert_document(&quote)
            }
            _ => tx.insert_document(&quote),
        }
    }

    fn write_invoice(
        &mut self,
        tx: &WriteTx<'_>,
        date: NaiveDate,
        draft: bool,
        series: &mut [NumberingSeries],
    ) -> Result<(), StoreError> {
        let mut invoice = if let Some(mut quote) = self.accepted_quotes.pop() {
            let mut invoice = quote.convert_to_invoice(date)?;
            invoice.id = DocumentId(self.rng.uuid_v7(millis_of(date)));
            invoice.due_date = date.checked_add_days(Days::new(u64::from(self.company.payment_terms_days)));
            tx.set_document_status(quote.id, DocumentStatus::Converted)?;
            invoice
        } else {
            let mut invoice = self.new_document(DocumentKind::Invoice, date);
            invoice.lines = self.random_lines();
            invoice
        };
        self.report.invoices += 1;
        self.report.document_lines += invoice.lines.len() as u64;
        if draft {
            return tx.insert_document(&invoice);
        }
        let counter = series_of(series, DocumentKind::Invoice)?.next_number;
        if self.belgian() {
            invoice.structured_communication = Some(StructuredCommunication::from_base(counter)?);
        }
        issue(&mut invoice, series)?;
        tx.insert_document(&invoice)?;
        if self.size.payments {
            self.pay(tx, &invoice)?;
        }
        if self.size.credit_notes + self.size.delivery_notes > 0 {
            if self.recent_invoices.len() >= 256 {
                let evict = self.rng.below(256);
                self.recent_invoices.swap_remove(usize::try_from(evict).unwrap_or(0));
            }
            self.recent_invoices.push(invoice);
        }
        Ok(())
    }

    fn pay(&mut self, tx: &WriteTx<'_>, invoice: &Document) -> Result<(), StoreError> {
        let total = invoice.totals()?.gross;
        let roll = self.rng.below(1000);
        let amounts: Vec<Decimal> = match roll {
            0..=599 => vec![total],
            600..=749 => vec![round_amount(total / Decimal::TWO)],
            750..=849 => {
                let half = round_amount(total / Decimal::TWO);
                vec![half, total - half]
            }
            850..=854 => vec![total, total], // paid twice
            _ => vec![],
        };
        for (i, amount) in amounts.iter().enumerate() {
            if *amount <= Decimal::ZERO {
                continue;
            }
            let date = invoice.issue_date + Days::new(self.rng.below(40) + 10 * i as u64);
            let reference = match &invoice.structured_communication {
                Some(communication) => communication.to_string(),
                None => format!("VIR {}", invoice.number.as_deref().unwrap_or_default()),
            };
            let payment = Payment {
                id: PaymentId(self.rng.uuid_v7(millis_of(date))),
                contact_id: Some(invoice.contact_id),
                date,
                amount: *amount,
                method: *self.rng.pick(&[
                    PaymentMethod::BankTransfer,
                    PaymentMethod::BankTransfer,
                    PaymentMethod::Card,
                    PaymentMethod::Cheque,
                ]),
                reference,
                allocations: vec![Allocation { document_id: invoice.id, amount: *amount }],
            };
            let assessments = tx.record_payment(&payment)?;
            if assessments
                .iter()
                .any(|(_, a)| matches!(a.anomaly, Some(crate::model::PaymentAnomaly::DoublePayment { .. })))
            {
                self.report.double_payments += 1;
            }
            self.report.payments += 1;
        }
        Ok(())
    }

    fn write_credit_note(
        &mut self,
        tx: &WriteTx<'_>,
        date: NaiveDate,
        series: &mut [NumberingSeries],
    ) -> Result<(), StoreError> {
        if self.recent_invoices.is_empty() {
            // Only when the size asks for credit notes but no invoice: nothing to correct.
            return Ok(());
        }
        let index = usize::try_from(self.rng.below(self.recent_invoices.len() as u64)).unwrap_or(0);
        let invoice = self.recent_invoices.swap_remove(index);
        let mut credit_note = Document::credit_note_for(&invoice, date.max(invoice.issue_date))?;
        credit_note.id = DocumentId(self.rng.uuid_v7(millis_of(date)));
        // A partial correction: the first line only.
        credit_note.lines.truncate(1);
        credit_note.notes = format!("Avoir sur la facture {}", invoice.number.as_deref().unwrap_or_default());
        issue(&mut credit_note, series)?;
        tx.insert_document(&credit_note)?;
        self.report.credit_notes += 1;
        self.report.document_lines += credit_note.lines.len() as u64;
        Ok(())
    }

    fn write_delivery_note(
        &mut self,
        tx: &WriteTx<'_>,
        date: NaiveDate,
        series: &mut [NumberingSeries],
    ) -> Result<(), StoreError> {
        let Some(index) = (!self.recent_invoices.is_empty())
            .then(|| usize::try_from(self.rng.below(self.recent_invoices.len() as u64)).unwrap_or(0))
        else {
            return Ok(());
        };
        let source = &self.recent_invoices[index];
        let mut note = Document::delivery_note_for(source, date.max(source.issue_date))?;
        note.id = DocumentId(self.rng.uuid_v7(millis_of(date)));
        issue(&mut note, series)?;
        tx.insert_document(&note)?;
        self.report.delivery_notes += 1;
        self.report.document_lines += note.lines.len() as u64;
        Ok(())
    }
}

trait EnsureRole {
    fn ensure_customer_or_supplier(self) -> Self;
}

impl EnsureRole for Contact {
    fn ensure_customer_or_supplier(mut self) -> Self {
        if !self.is_customer && !self.is_supplier {
            self.is_supplier = true;
        }
        self
    }
}

/// Issues `document` with the next number of its series.
fn issue(document: &mut Document, series: &mut [NumberingSeries]) -> Result<(), StoreError> {
    let number = series_of(series, document.kind)?.allocate(chrono::Datelike::year(&document.issue_date))?;
    document.issue(Some(number))?;
    Ok(())
}

fn series_of(series: &mut [NumberingSeries], kind: DocumentKind) -> Result<&mut NumberingSeries, StoreError> {
    series.iter_mut().find(|s| s.kind == kind).ok_or(StoreError::NotFound { entity: "numbering series" })
}

fn millis_of(date: NaiveDate) -> u64 {
    date.and_hms_opt(9, 0, 0).map_or(0, |dt| u64::try_from(dt.and_utc().timestamp_millis()).unwrap_or(0))
}

/// A valid French VAT number: a Luhn-valid SIREN and its key.
fn french_vat(rng: &mut Rng) -> VatNumber {
    loop {
        let base = 10_000_000 + rng.below(89_999_999);
        let digits = format!("{base:08}");
        let check = luhn_check_digit(&digits);
        let siren: u64 = base * 10 + u64::from(check);
        if let Ok(vat) = VatNumber::parse(&format!("FR{:02}{siren:09}", french_vat_key(siren))) {
            return vat;
        }
    }
}

/// A valid Belgian VAT number: 0 + seven digits, then 97 − (that mod 97).
fn belgian_vat(rng: &mut Rng) -> VatNumber {
    loop {
        let first_eight = 2_000_000 + rng.below(7_999_999);
        let number = format!("BE0{first_eight:07}{:02}", belgian_check_digits(first_eight));
        if let Ok(vat) = VatNumber::parse(&number) {
            return vat;
        }
    }
}

#[cfg(test)]
mod tests;
