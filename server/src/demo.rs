//! `comptoir-server demo`: a demo account with two companies filled by the demo
//! generator (one small, one large), and a second user with two-factor authentication.
//!
//! The generator writes a company file as the app would hold it; that file is then
//! imported into the server's change log, record by record, with the numbers it issued
//! reserved, so the demo obeys the same rules as data made through the API.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use comptoir_core::demo::{self, DemoSize};
use comptoir_core::model::{ArticleId, CompanyId, Country, DocumentId, DocumentKind, PaymentId, Role, from_cents};
use comptoir_core::store::{CompanyStore, StoreError};
use comptoir_core::sync::{DocumentRecord, ReceivedPayment, RecordBody, Settings};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::admin::{self, AdminError};
use crate::auth;
use crate::storage::{Storage, StorageError};
use crate::sync::{self, Actor, AuditEntry};

pub const DEMO_EMAIL: &str = "demo@comptoir.test";
pub const DEMO_TOTP_EMAIL: &str = "demo-2fa@comptoir.test";
pub const DEMO_PASSWORD: &str = "comptoir-demo-2026";

/// Records written per transaction while importing.
const IMPORT_BATCH: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("generating the demo data failed: {0}")]
    Generate(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for DemoError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Generate(StoreError::from(e))
    }
}

/// What the demo created, to print for the person who asked (nothing, by default: no
/// account and no company).
#[derive(Clone, Debug, Default)]
pub struct DemoAccounts {
    pub email: String,
    pub password: String,
    pub totp_email: String,
    pub totp_password: String,
    pub totp_secret: String,
    /// (id, name, records imported)
    pub companies: Vec<(CompanyId, String, usize)>,
}

/// Seeds the demo under `storage`, generating the companies in `work_dir`.
pub fn seed(
    storage: &dyn Storage,
    work_dir: &Path,
    large: &DemoSize,
    email: Option<&str>,
    password: Option<&str>,
) -> Result<DemoAccounts, DemoError> {
    let email = email.unwrap_or(DEMO_EMAIL).trim().to_lowercase();
    let password = password.unwrap_or(DEMO_PASSWORD).to_owned();
    admin::create_user(storage, &email, &password, "Démo Comptoir")?;
    admin::create_user(storage, DEMO_TOTP_EMAIL, DEMO_PASSWORD, "Démo double authentification")?;
    let totp_secret = auth::new_totp_secret()?;
    let totp_user = storage.user_by_email(DEMO_TOTP_EMAIL)?.ok_or(StorageError::NotFound("user"))?;
    if !(storage.set_totp_secret(totp_user.id, &totp_secret)?
        && storage.enable_totp(totp_user.id, &totp_secret, None)?)
    {
        return Err(StorageError::Corrupt("the demo's two-factor user could not be set up".into()).into());
    }

    std::fs::create_dir_all(work_dir)?;
    let mut companies = Vec::new();
    for (seed, country, size) in [(1, Country::France, DemoSize::SMALL), (2, Country::Belgium, *large)] {
        let path = work_dir.join(format!("demo-{seed}-{}.comptoir", Uuid::now_v7().simple()));
        let (store, _) = demo::create_demo_file(&path, seed, &country, &size)?;
        let (company, records) = import(storage, &store, Utc::now())?;
        let name = store.company()?.legal_name;
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        admin::add_member(storage, company, &email, Role::Owner)?;
        companies.push((company, name, records));
    }
    // The two-factor user works in the first company only.
    admin::add_member(storage, companies[0].0, DEMO_TOTP_EMAIL, Role::Admin)?;
    Ok(DemoAccounts {
        email,
        password,
        totp_email: DEMO_TOTP_EMAIL.to_owned(),
        totp_password: DEMO_PASSWORD.to_owned(),
        totp_secret,
        companies,
    })
}

/// Imports a company file into a new company of the server (same id). Returns the
/// company and how many records were written.
pub fn import(
    storage: &dyn Storage,
    store: &CompanyStore,
    now: DateTime<Utc>,
) -> Result<(CompanyId, usize), DemoError> {
    let company = store.company()?;
    let id = sync::create_company(storage, company.id, &company.legal_name, &company.address.country, now)?;
    let settings = Settings {
        company: company.clone(),
        series: DocumentKind::ALL.into_iter().map(|kind| store.numbering_series(kind)).collect::<Result<_, _>>()?,
        accounts: None,
        logo: None,
    };
    let mut bodies = vec![ImportRecord { id: id.0, body: RecordBody::Settings(Box::new(settings)), keys: Vec::new() }];
    bodies.extend(read_records(store)?);
    let total = bodies.len();
    write_records(storage, id, &bodies, now)?;
    Ok((id, total))
}

/// One record to import, with the unique keys it holds (article code, number).
struct ImportRecord {
    id: Uuid,
    body: RecordBody,
    keys: Vec<(String, String)>,
}

/// Every record of a company file but its settings, in creation order.
fn read_records(store: &CompanyStore) -> Result<Vec<ImportRecord>, DemoError> {
    let mut bodies = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.list_contacts(true, offset, 1_000)?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        bodies.extend(page.into_iter().map(|c| ImportRecord {
            id: c.id.0,
            body: RecordBody::Contact(c),
            keys: Vec::new(),
        }));
    }
    let conn = store.connection();
    let ids = |sql: &str| -> Result<Vec<Uuid>, StoreError> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, Uuid>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    for article_id in ids("SELECT id FROM articles ORDER BY rid")? {
        let article = store.article(ArticleId(article_id))?;
        let key = vec![("article_code".to_owned(), article.code.to_lowercase())];
        bodies.push(ImportRecord { id: article_id, body: RecordBody::Article(article), keys: key });
    }
    // What was paid on each document, by which payment, in order.
    let mut received: HashMap<Uuid, Vec<ReceivedPayment>> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT a.document_id, a.payment_id, a.amount_cents FROM payment_allocations a
             JOIN payments p ON p.id = a.payment_id ORDER BY p.rid",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, Uuid>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (document, payment, cents) = row?;
            received
                .entry(document)
                .or_default()
                .push(ReceivedPayment { payment_id: PaymentId(payment), amount: from_cents(cents) });
        }
    }
    let mut credited: HashMap<Uuid, Decimal> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT corrects_id, sum(gross_cents) FROM documents
             WHERE kind = 'credit_note' AND status <> 'draft' AND corrects_id IS NOT NULL GROUP BY corrects_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Uuid>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (invoice, cents) = row?;
            credited.insert(invoice, from_cents(cents));
        }
    }
    for document_id in ids("SELECT id FROM documents ORDER BY rid")? {
        let document = store.document(DocumentId(document_id))?;
        let keys = document
            .number
            .iter()
            .map(|number| (format!("number:{}", document.kind.as_str()), number.clone()))
            .collect();
        let payments = received.remove(&document_id).unwrap_or_default();
        let record = DocumentRecord {
            paid: payments.iter().map(|p| p.amount).sum(),
            payments,
            credited: credited.get(&document_id).copied().unwrap_or_default(),
            document,
        };
        bodies.push(ImportRecord { id: document_id, body: RecordBody::Document(record), keys });
    }
    for payment_id in ids("SELECT id FROM payments ORDER BY rid")? {
        let body = RecordBody::Payment(store.payment(PaymentId(payment_id))?);
        bodies.push(ImportRecord { id: payment_id, body, keys: Vec::new() });
    }
    Ok(bodies)
}

/// Writes `bodies` into company `id`'s log, in transactions of [`IMPORT_BATCH`], and
/// audits the import.
fn write_records(
    storage: &dyn Storage,
    id: CompanyId,
    bodies: &[ImportRecord],
    now: DateTime<Utc>,
) -> Result<(), DemoError> {
    let total = bodies.len();
    let mut chunks = bodies.chunks(IMPORT_BATCH).peekable();
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        storage.in_company(id, &mut |tx| {
            for record in chunk {
                for (namespace, key) in &record.keys {
                    if !tx.claim_key(namespace, key, record.id)? {
                        return Err(StorageError::Corrupt(format!("{namespace} {key} imported twice")));
                    }
                }
                let json = serde_json::to_string(&record.body).map_err(|e| StorageError::Backend(e.to_string()))?;
                tx.put(record.body.kind(), record.id, Some(&json))?;
            }
            if last {
                let changes = vec![comptoir_core::audit::FieldChange {
                    field: "records".into(),
                    before: None,
                    after: Some(total.to_string()),
                }];
                let entry = AuditEntry { action: "import", entity: "company", entity_id: Some(id.0), changes };
                sync::append_audit(tx, id, &Actor::system(), now, entry)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
