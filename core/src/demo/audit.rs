//! A long, valid audit trail for a company file: several users acting over two years
//! (creations with their fields, changes, issues, payments, sign-ins), chained and sealed
//! as the server does. For exports' tests and benchmarks.

use chrono::{DateTime, Duration, Utc};

use super::rng::Rng;
use crate::audit::{AuditRecord, FieldChange};
use crate::model::{CompanyId, UserId};
use crate::store::{CompanyStore, StoreError};

/// The users of a generated trail.
pub const AUDIT_USERS: [&str; 4] =
    ["marie.dupont@atelier.test", "karim.benali@atelier.test", "compta@cabinet.test", "lucas.martin@atelier.test"];

/// Appends `count` records to the company's trail (after those it holds), from `start`
/// on, one to a few minutes apart, in transactions of 20,000.
pub fn fill_audit_trail(
    store: &mut CompanyStore,
    seed: u64,
    count: u64,
    start: DateTime<Utc>,
) -> Result<(), StoreError> {
    let company: CompanyId = store.company_id();
    let mut rng = Rng::new(seed);
    let users: Vec<UserId> = AUDIT_USERS.iter().map(|_| UserId(rng.uuid_v7(1_700_000_000_000))).collect();
    let mut previous: Option<AuditRecord> = store.audit_page(&crate::store::AuditFilter::default(), None, 1)?.pop();
    let mut at = previous.as_ref().map_or(start, |p| p.at.max(start));
    let mut written = 0;
    while written < count {
        let batch = (count - written).min(20_000);
        store.write(|tx| {
            for _ in 0..batch {
                at += Duration::seconds(i64::try_from(30 + rng.below(300)).unwrap_or(60));
                let who = usize::try_from(rng.below(AUDIT_USERS.len() as u64)).unwrap_or(0);
                let (action, entity, changes) = match rng.below(10) {
                    0..=2 => (
                        "create",
                        "contact",
                        vec![
                            change("name", None, Some(format!("Client {}", rng.below(100_000)))),
                            change(
                                "billing_address.city",
                                None,
                                Some((*rng.pick(&["Lyon", "Lille", "Namur", "Gand"])).to_owned()),
                            ),
                        ],
                    ),
                    3..=4 => (
                        "update",
                        "invoice",
                        vec![change("notes", Some(String::new()), Some(format!("Relance n° {}", rng.below(5) + 1)))],
                    ),
                    5..=6 => ("issue", "invoice", vec![change("status", Some("draft".into()), Some("issued".into()))]),
                    7 => (
                        "payment",
                        "payment",
                        vec![change("amount", None, Some(format!("{}.00", rng.below(5_000) + 1)))],
                    ),
                    8 => ("sign_in", "", Vec::new()),
                    _ => ("archive", "contact", vec![change("archived", Some("false".into()), Some("true".into()))]),
                };
                let entity_id = (!entity.is_empty()).then(|| rng.uuid_v7(1_750_000_000_000));
                let record = AuditRecord {
                    seq: 0,
                    company_id: company,
                    at,
                    user_id: Some(users[who]),
                    user_email: AUDIT_USERS[who].to_owned(),
                    action: action.to_owned(),
                    entity: entity.to_owned(),
                    entity_id,
                    changes,
                    prev_hash: String::new(),
                    hash: String::new(),
                }
                .seal_after(previous.as_ref());
                tx.insert_audit_record(&record)?;
                previous = Some(record);
            }
            Ok(())
        })?;
        written += batch;
    }
    Ok(())
}

fn change(field: &str, before: Option<String>, after: Option<String>) -> FieldChange {
    FieldChange { field: field.to_owned(), before, after }
}
