//! What the sync benchmarks share: one round of edits travelling between two copies.

use std::time::{Duration, Instant};

use chrono::Utc;
use comptoir_core::engine::{Link, SyncReport};
use comptoir_core::model::Contact;
use comptoir_core::sync::Intent;

/// The times of one [`edit_round`].
#[derive(Clone, Copy, Debug)]
pub struct RoundTimes {
    /// The local edits, committed with their outbox entries, each on average.
    pub edit: Duration,
    /// A's push (the server applies each edit).
    pub push: Duration,
    /// A's push, then its pull of them back.
    pub a_sync: Duration,
    /// B's sync that brings them.
    pub b_sync: Duration,
    /// From A's push to the end of B's sync.
    pub round_trip: Duration,
}

/// One round: copy `a` gives each of `contacts` a new phone number (`phone(i)`), pushes
/// the edits and pulls them back; copy `b` then syncs and receives them. Checks that
/// every edit is applied and received.
///
/// # Errors
///
/// When an edit is refused locally or a sync fails.
///
/// # Panics
///
/// When an edit is not applied by the server, or not received by `b` (the benchmark
/// would be measuring something else).
pub async fn edit_round(
    a: &mut Link,
    b: &mut Link,
    contacts: &[Contact],
    phone: impl Fn(usize) -> String,
) -> Result<RoundTimes, Box<dyn std::error::Error>> {
    let started = Instant::now();
    for (i, contact) in contacts.iter().enumerate() {
        let mut edited = contact.clone();
        edited.phone = Some(phone(i));
        a.store.submit(&Intent::UpdateContact { contact: edited })?;
    }
    let edit = started.elapsed() / u32::try_from(contacts.len().max(1))?;
    let changes = contacts.len() as u64;
    let trip = Instant::now();
    let mut report = SyncReport::default();
    a.push(&mut report).await?;
    assert_eq!(report.applied, changes, "every edit applied");
    let push = trip.elapsed();
    a.pull(&mut report, &mut |_| {}).await?;
    let a_sync = trip.elapsed();
    let b_started = Instant::now();
    let report = b.sync(Utc::now, &mut |_| {}).await?;
    assert!(report.pulled >= changes, "every change received");
    let b_sync = b_started.elapsed();
    Ok(RoundTimes { edit, push, a_sync, b_sync, round_trip: trip.elapsed() })
}
