//! The rules of every intent, applied to a company's records: once by the server, which
//! is the authority, and once by the client on its own copy the moment the user acts, so
//! that an edit shows at once and is refused offline for the same reasons the server
//! would refuse it. Whoever runs them provides the records ([`Records`]) and says whether
//! issued documents get their number now ([`Numbering::Allocate`], the server) or later
//! ([`Numbering::Pending`], a client: "number pending" until the server answers).
//!
//! Runs inside one transaction of the caller's: a rejection must roll back whatever the
//! intent had written before it was refused.

use chrono::Datelike as _;
use serde_json::Value;
use uuid::Uuid;

use super::{DocumentRecord, Intent, ReceivedPayment, RecordBody, RecordKind, Settings};
use crate::model::{
    CompanyId, DocumentKind, DocumentStatus, ModelError, PaymentState, add_amounts, assess_payment,
    ensure_credit_within,
};

/// The most payments one document may receive (each is kept on its record).
pub const MAX_PAYMENTS_PER_DOCUMENT: usize = 1_000;

/// A company's records as the rules read and write them.
pub trait Records {
    type Error;
    fn get(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<RecordBody>, Self::Error>;
    /// Writes a record's new state (`None`: deleted).
    fn put(&mut self, kind: RecordKind, id: Uuid, body: Option<&RecordBody>) -> Result<(), Self::Error>;
    /// Reserves `key` in `namespace` for `owner` (an article code, a document number).
    /// False when another owner holds it.
    fn claim_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<bool, Self::Error>;
    fn release_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<(), Self::Error>;
    /// Whether another record refers to the contact or article `id` of `kind`: a
    /// document's customer or a payment's payer, a document line's article. The storage
    /// answers from an index, never by reading every record.
    fn is_referenced(&mut self, kind: RecordKind, id: Uuid) -> Result<bool, Self::Error>;
}

/// Whether issuing a document allocates its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbering {
    /// The server: numbers come from the series, without gaps.
    Allocate,
    /// A client: the document is issued without a number until the server allocates it.
    Pending,
}

/// Why an intent was not applied.
#[derive(Debug, PartialEq, Eq)]
pub enum RuleError<E> {
    /// A rule refused it, with a stable code and a message for the user.
    Rejected {
        code: &'static str,
        message: String,
    },
    /// The records break an invariant the rules rely on (a company without settings).
    Corrupt(String),
    Store(E),
}

impl<E> From<ModelError> for RuleError<E> {
    fn from(e: ModelError) -> Self {
        Self::Rejected { code: e.code(), message: e.to_string() }
    }
}

fn reject<E>(code: &'static str, message: impl Into<String>) -> RuleError<E> {
    RuleError::Rejected { code, message: message.into() }
}

/// What applying an intent did, for the answer and the audit trail.
#[derive(Debug, Default)]
pub struct Applied {
    pub number: Option<String>,
    /// The target record before and after, as JSON, for the audit trail's field changes.
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The audit trail's name for the target ("invoice", "contact" …).
    pub entity: &'static str,
}

type Ruled<T, E> = Result<T, RuleError<E>>;

fn load<R: Records + ?Sized>(tx: &mut R, kind: RecordKind, id: Uuid) -> Ruled<Option<RecordBody>, R::Error> {
    tx.get(kind, id).map_err(RuleError::Store)
}

fn save<R: Records + ?Sized>(tx: &mut R, id: Uuid, body: &RecordBody) -> Ruled<(), R::Error> {
    tx.put(body.kind(), id, Some(body)).map_err(RuleError::Store)
}

fn claim<R: Records + ?Sized>(tx: &mut R, namespace: &str, key: &str, owner: Uuid) -> Ruled<bool, R::Error> {
    tx.claim_key(namespace, key, owner).map_err(RuleError::Store)
}

fn load_document<R: Records + ?Sized>(tx: &mut R, id: Uuid) -> Ruled<DocumentRecord, R::Error> {
    match load(tx, RecordKind::Document, id)? {
        Some(RecordBody::Document(record)) => Ok(record),
        _ => Err(reject("document_not_found", "This document does not exist (or was deleted).")),
    }
}

/// Refuses a draft that refers to a record that does not exist, or to a document that
/// may still be deleted (a draft): every record the server stores must open in every
/// copy, whose tables enforce these references. Only drafts can be deleted, so a
/// reference to a document that is not a draft holds for good.
fn check_references<R: Records + ?Sized>(tx: &mut R, document: &crate::model::Document) -> Ruled<(), R::Error> {
    if !matches!(load(tx, RecordKind::Contact, document.contact_id.0)?, Some(RecordBody::Contact(_))) {
        return Err(reject("contact_not_found", "The document's customer does not exist."));
    }
    if let Some(invoice) = document.corrects {
        match load(tx, RecordKind::Document, invoice.0)? {
            Some(RecordBody::Document(record))
                if record.document.kind == DocumentKind::Invoice && record.document.status.is_issued() => {}
            _ => return Err(ModelError::CreditNoteTargetInvalid.into()),
        }
    }
    if let Some(source) = document.source {
        match load(tx, RecordKind::Document, source.0)? {
            Some(RecordBody::Document(record)) if record.document.status != DocumentStatus::Draft => {}
            _ => {
                return Err(reject(
                    "source_not_found",
                    "The document this one was made from does not exist, or is still a draft.",
                ));
            }
        }
    }
    let articles: std::collections::BTreeSet<_> = document.lines.iter().filter_map(|line| line.article_id).collect();
    for article in articles {
        if !matches!(load(tx, RecordKind::Article, article.0)?, Some(RecordBody::Article(_))) {
            return Err(reject(
                "article_not_found",
                format!("A line refers to an article that does not exist ({article})."),
            ));
        }
    }
    Ok(())
}

fn load_settings<R: Records + ?Sized>(tx: &mut R, company: CompanyId) -> Ruled<Settings, R::Error> {
    match load(tx, RecordKind::Settings, company.0)? {
        Some(RecordBody::Settings(settings)) => Ok(*settings),
        _ => Err(RuleError::Corrupt(format!("company {company} has no settings record"))),
    }
}

fn to_json(body: &RecordBody) -> Option<Value> {
    serde_json::to_value(body).ok()
}

/// The namespace of article codes, compared without case.
pub const ARTICLE_CODE: &str = "article_code";

fn article_code_key(code: &str) -> String {
    code.to_lowercase()
}

fn number_namespace(kind: DocumentKind) -> String {
    format!("number:{}", kind.as_str())
}

/// The next number of `kind`'s series for `document`, claimed for it, with the series
/// saved.
fn allocate_number<R: Records + ?Sized>(
    tx: &mut R,
    company: CompanyId,
    kind: DocumentKind,
    document: &crate::model::Document,
    owner: Uuid,
) -> Ruled<String, R::Error> {
    let mut settings = load_settings(tx, company)?;
    let series = settings
        .series
        .iter_mut()
        .find(|s| s.kind == kind)
        .ok_or_else(|| RuleError::Corrupt(format!("no {} series", kind.as_str())))?;
    let number = series.allocate(document.issue_date.year())?;
    if !claim(tx, &number_namespace(kind), &number, owner)? {
        return Err(reject(
            "number_taken",
            format!("The number {number} is already used: set the series' next number after it."),
        ));
    }
    save(tx, company.0, &RecordBody::Settings(Box::new(settings)))?;
    Ok(number)
}

/// Applies `intent` to company `company`'s records.
#[allow(clippy::too_many_lines, reason = "one arm per intent reads best as one match")]
pub fn apply<R: Records + ?Sized>(
    tx: &mut R,
    company: CompanyId,
    intent: &Intent,
    numbering: Numbering,
) -> Ruled<Applied, R::Error> {
    let mut applied = Applied { entity: intent.target().0.as_str(), ..Applied::default() };
    match intent {
        Intent::CreateContact { contact } | Intent::UpdateContact { contact } => {
            contact.validate()?;
            let existing = load(tx, RecordKind::Contact, contact.id.0)?;
            match (intent, &existing) {
                (Intent::CreateContact { .. }, Some(_)) => {
                    return Err(reject("already_exists", "This contact already exists."));
                }
                (Intent::UpdateContact { .. }, None) => {
                    return Err(reject("not_found", "This contact does not exist."));
                }
                _ => {}
            }
            let body = RecordBody::Contact(contact.clone());
            applied.before = existing.as_ref().and_then(to_json);
            applied.after = to_json(&body);
            save(tx, contact.id.0, &body)?;
        }
        Intent::CreateArticle { article } | Intent::UpdateArticle { article } => {
            article.validate()?;
            let existing = match load(tx, RecordKind::Article, article.id.0)? {
                Some(RecordBody::Article(a)) => Some(a),
                _ => None,
            };
            match (intent, &existing) {
                (Intent::CreateArticle { .. }, Some(_)) => {
                    return Err(reject("already_exists", "This article already exists."));
                }
                (Intent::UpdateArticle { .. }, None) => {
                    return Err(reject("not_found", "This article does not exist."));
                }
                _ => {}
            }
            if !claim(tx, ARTICLE_CODE, &article_code_key(&article.code), article.id.0)? {
                return Err(reject(
                    "article_code_taken",
                    format!("The article code “{}” is already used.", article.code),
                ));
            }
            if let Some(old) =
                existing.as_ref().filter(|old| article_code_key(&old.code) != article_code_key(&article.code))
            {
                tx.release_key(ARTICLE_CODE, &article_code_key(&old.code), article.id.0).map_err(RuleError::Store)?;
            }
            let body = RecordBody::Article(article.clone());
            applied.before = existing.map(RecordBody::Article).as_ref().and_then(to_json);
            applied.after = to_json(&body);
            save(tx, article.id.0, &body)?;
        }
        Intent::DeleteContact { id } => {
            let existing = load(tx, RecordKind::Contact, id.0)?;
            let Some(RecordBody::Contact(contact)) = existing else {
                return Err(reject("not_found", "This contact does not exist."));
            };
            if tx.is_referenced(RecordKind::Contact, id.0).map_err(RuleError::Store)? {
                return Err(reject(
                    "contact_in_use",
                    format!("“{}” has documents or payments: archive the contact instead.", contact.name),
                ));
            }
            applied.before = to_json(&RecordBody::Contact(contact));
            tx.put(RecordKind::Contact, id.0, None).map_err(RuleError::Store)?;
        }
        Intent::DeleteArticle { id } => {
            let Some(RecordBody::Article(article)) = load(tx, RecordKind::Article, id.0)? else {
                return Err(reject("not_found", "This article does not exist."));
            };
            if tx.is_referenced(RecordKind::Article, id.0).map_err(RuleError::Store)? {
                return Err(reject(
                    "article_in_use",
                    format!("The article “{}” is on documents: archive it instead.", article.code),
                ));
            }
            tx.release_key(ARTICLE_CODE, &article_code_key(&article.code), id.0).map_err(RuleError::Store)?;
            applied.before = to_json(&RecordBody::Article(article));
            tx.put(RecordKind::Article, id.0, None).map_err(RuleError::Store)?;
        }
        Intent::SaveDraft { document } => {
            if document.status != DocumentStatus::Draft || document.number.is_some() {
                return Err(reject("not_a_draft", "Only a draft can be saved; issue it with the issue action."));
            }
            document.validate()?;
            check_references(tx, document)?;
            let existing = load(tx, RecordKind::Document, document.id.0)?;
            if let Some(RecordBody::Document(old)) = &existing {
                old.document.ensure_editable()?;
                if old.document.kind != document.kind {
                    return Err(reject("kind_changed", "A draft keeps its kind."));
                }
            }
            let body = RecordBody::Document(DocumentRecord::new(document.clone()));
            applied.entity = document.kind.as_str();
            applied.before = existing.as_ref().and_then(to_json);
            applied.after = to_json(&body);
            save(tx, document.id.0, &body)?;
        }
        Intent::DeleteDraft { id } => {
            let record = load_document(tx, id.0)?;
            record.document.ensure_editable()?;
            applied.entity = record.document.kind.as_str();
            applied.before = to_json(&RecordBody::Document(record));
            tx.put(RecordKind::Document, id.0, None).map_err(RuleError::Store)?;
        }
        Intent::IssueDocument { id } => {
            let mut record = load_document(tx, id.0)?;
            let before = to_json(&RecordBody::Document(record.clone()));
            record.document.ensure_editable()?;
            // The VAT rules that need the seller: both VAT numbers for a reverse charge …
            record.document.check_vat(&load_settings(tx, company)?.company)?;
            let kind = record.document.kind;
            let gross = record.document.totals()?.gross;
            if kind == DocumentKind::CreditNote {
                let invoice_id = record.document.corrects.ok_or(ModelError::CreditNoteWithoutInvoice)?;
                let mut invoice = load_document(tx, invoice_id.0).map_err(|_| ModelError::CreditNoteTargetInvalid)?;
                if invoice.document.kind != DocumentKind::Invoice || !invoice.document.status.is_issued() {
                    return Err(ModelError::CreditNoteTargetInvalid.into());
                }
                ensure_credit_within(invoice.document.totals()?.gross, invoice.credited, gross)?;
                invoice.credited = add_amounts(invoice.credited, gross)?;
                save(tx, invoice_id.0, &RecordBody::Document(invoice))?;
            }
            let number = match numbering {
                Numbering::Allocate => Some(allocate_number(tx, company, kind, &record.document, id.0)?),
                Numbering::Pending => None,
            };
            record.document.issue(number.clone())?;
            let body = RecordBody::Document(record);
            applied.entity = kind.as_str();
            applied.before = before;
            applied.after = to_json(&body);
            save(tx, id.0, &body)?;
            applied.number = number;
        }
        Intent::AnswerQuote { id, status } => {
            let mut record = load_document(tx, id.0)?;
            if record.document.kind != DocumentKind::Quote
                || !matches!(status, DocumentStatus::Accepted | DocumentStatus::Declined)
            {
                return Err(reject("not_a_quote_answer", "Only a quote can be accepted or declined."));
            }
            applied.before = to_json(&RecordBody::Document(record.clone()));
            record.document.transition(*status)?;
            let body = RecordBody::Document(record);
            applied.entity = "quote";
            applied.after = to_json(&body);
            save(tx, id.0, &body)?;
        }
        Intent::ConvertQuote { quote, invoice, issue_date } => {
            let mut record = load_document(tx, quote.0)?;
            if load(tx, RecordKind::Document, invoice.0)?.is_some() {
                return Err(reject("already_exists", "A document with this id already exists."));
            }
            let mut draft = record.document.convert_to_invoice(*issue_date)?;
            draft.id = *invoice;
            save(tx, quote.0, &RecordBody::Document(record))?;
            let body = RecordBody::Document(DocumentRecord::new(draft));
            applied.entity = "invoice";
            applied.after = to_json(&body);
            save(tx, invoice.0, &body)?;
        }
        Intent::RecordPayment { payment } => {
            payment.validate()?;
            if load(tx, RecordKind::Payment, payment.id.0)?.is_some() {
                return Err(reject("already_exists", "This payment was already recorded."));
            }
            if let Some(contact) = payment.contact_id
                && !matches!(load(tx, RecordKind::Contact, contact.0)?, Some(RecordBody::Contact(_)))
            {
                return Err(reject("payer_not_found", "The customer who paid does not exist."));
            }
            for allocation in &payment.allocations {
                let mut record = load_document(tx, allocation.document_id.0)?;
                if !record.document.kind.is_payable() || !record.document.status.is_issued() {
                    return Err(ModelError::PaymentOnUnissuedDocument.into());
                }
                if record.payments.len() >= MAX_PAYMENTS_PER_DOCUMENT {
                    return Err(ModelError::TooManyItems { field: "payments", max: MAX_PAYMENTS_PER_DOCUMENT }.into());
                }
                let previous: Vec<_> = record.payments.iter().map(|p| (p.payment_id, p.amount)).collect();
                let assessment = assess_payment(record.document.totals()?.gross, &previous, allocation.amount)?;
                record.payments.push(ReceivedPayment { payment_id: payment.id, amount: allocation.amount });
                record.paid = add_amounts(record.paid, allocation.amount)?;
                record.document.apply_paid_amount(record.paid)?;
                if matches!(assessment.after, PaymentState::Overpaid { .. }) {
                    tracing::info!(document = %allocation.document_id, "payment exceeds what was due");
                }
                save(tx, allocation.document_id.0, &RecordBody::Document(record))?;
            }
            let body = RecordBody::Payment(payment.clone());
            applied.after = to_json(&body);
            save(tx, payment.id.0, &body)?;
        }
        Intent::CancelPayment { id, reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(ModelError::Required { field: "reason" }.into());
            }
            if reason.chars().count() > 200 {
                return Err(ModelError::TooLong { field: "reason", max: 200 }.into());
            }
            let Some(RecordBody::Payment(payment)) = load(tx, RecordKind::Payment, id.0)? else {
                return Err(reject("not_found", "This payment does not exist (or was already cancelled)."));
            };
            // Each document it settled owes again what it paid.
            for allocation in &payment.allocations {
                let mut record = load_document(tx, allocation.document_id.0)?;
                record.payments.retain(|p| p.payment_id != payment.id);
                record.paid = record
                    .paid
                    .checked_sub(allocation.amount)
                    .filter(|paid| *paid >= rust_decimal::Decimal::ZERO)
                    .ok_or_else(|| {
                        RuleError::Corrupt(format!("document {} paid less than allocated", allocation.document_id))
                    })?;
                record.document.apply_paid_amount(record.paid)?;
                save(tx, allocation.document_id.0, &RecordBody::Document(record))?;
            }
            applied.before = to_json(&RecordBody::Payment(payment));
            applied.after = Some(serde_json::json!({ "record": { "cancelled": reason } }));
            tx.put(RecordKind::Payment, id.0, None).map_err(RuleError::Store)?;
        }
        Intent::UpdateCompany { company: updated } => {
            if updated.id != company {
                return Err(reject("wrong_company", "These settings belong to another company."));
            }
            updated.validate()?;
            let mut settings = load_settings(tx, company)?;
            applied.before = serde_json::to_value(&settings.company).ok();
            settings.company = updated.clone();
            applied.after = serde_json::to_value(&settings.company).ok();
            save(tx, company.0, &RecordBody::Settings(Box::new(settings)))?;
        }
        Intent::RecordExport { export } => {
            if export.file.trim().is_empty() || export.file.len() > 255 {
                return Err(reject("export_file_invalid", "An export names its file (255 characters at most)."));
            }
            applied.entity = "export";
            applied.after = serde_json::to_value(export).ok();
        }
        Intent::RecordSending { sending } => {
            sending.check().map_err(|(code, message)| reject(code, message))?;
            // Only a document of this company, issued: the rules read this company's records.
            let record = load_document(tx, sending.document.0)?;
            if !record.document.status.is_issued() {
                return Err(reject("document_not_issued", "Only an issued document is sent by e-mail."));
            }
            let list = |items: &[String]| (!items.is_empty()).then(|| items.join(", "));
            applied.entity = record.document.kind.as_str();
            applied.after = Some(serde_json::json!({
                "sent_to": sending.to.join(", "),
                "cc": list(&sending.cc),
                "sent_at": sending.at.to_rfc3339(),
                "message_id": sending.message_id,
                "files": list(&sending.files),
            }));
        }
        Intent::SetAccountPlan { plan } => {
            plan.validate()?;
            let mut settings = load_settings(tx, company)?;
            applied.before = settings.accounts.as_ref().and_then(|a| serde_json::to_value(a).ok());
            settings.accounts = Some(plan.clone());
            applied.after = serde_json::to_value(plan).ok();
            applied.entity = "account_plan";
            save(tx, company.0, &RecordBody::Settings(Box::new(settings)))?;
        }
        Intent::SetLogo { logo } => {
            if let Some(logo) = logo {
                logo.validate()?;
            }
            let mut settings = load_settings(tx, company)?;
            // The trail notes the picture's size and digest, not its bytes.
            let summary = |logo: &Option<crate::model::Logo>| {
                logo.as_ref().map(|logo| {
                    use sha2::{Digest as _, Sha256};
                    let digest = Sha256::digest(logo.png());
                    let mut first = [0_u8; 8];
                    first.copy_from_slice(&digest[..8]);
                    let hex = format!("{:016x}", u64::from_be_bytes(first));
                    serde_json::json!({ "bytes": logo.png().len(), "sha256": hex })
                })
            };
            applied.before = summary(&settings.logo);
            applied.after = summary(logo);
            applied.entity = "logo";
            settings.logo.clone_from(logo);
            save(tx, company.0, &RecordBody::Settings(Box::new(settings)))?;
        }
        Intent::SetNumbering { series } => {
            let mut settings = load_settings(tx, company)?;
            let current = settings
                .series
                .iter_mut()
                .find(|s| s.kind == series.kind)
                .ok_or_else(|| reject("unknown_series", "There is no such numbering series."))?;
            applied.before = serde_json::to_value(&*current).ok();
            // The server's own record of the last number issued stands, whatever the
            // client believed.
            let mut updated = series.clone();
            updated.last_issued = current.last_issued;
            updated.validate()?;
            *current = updated;
            applied.after = serde_json::to_value(&*current).ok();
            save(tx, company.0, &RecordBody::Settings(Box::new(settings)))?;
        }
    }
    Ok(applied)
}
