//! The offline grace period: how long a copy may be edited without a successful sync.
//!
//! The server says how many hours it grants (`SyncStatus::offline_grace_hours`). From
//! the last successful sync, edits are allowed for that long; after it, the company is
//! read-only until a sync succeeds again. A copy that never synced is read-only, except
//! while its first download is under way: it then counts from the last page it wrote
//! (the engine's `download_heard`).

use chrono::{DateTime, Duration, Utc};

/// Where a copy stands with respect to its grace period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grace {
    /// Edits are allowed; this much time is left before read-only.
    Open { left: Duration },
    /// Edits are refused since `since`, until a sync succeeds.
    ReadOnly { since: Option<DateTime<Utc>> },
}

impl Grace {
    /// The state at `now`, given the last successful sync and the hours the server grants.
    pub fn at(last_sync: Option<DateTime<Utc>>, grace_hours: u32, now: DateTime<Utc>) -> Self {
        let Some(last_sync) = last_sync else { return Self::ReadOnly { since: None } };
        let ends = last_sync + Duration::hours(i64::from(grace_hours));
        if now < ends { Self::Open { left: ends - now } } else { Self::ReadOnly { since: Some(ends) } }
    }

    pub fn allows_edits(self) -> bool {
        matches!(self, Self::Open { .. })
    }

    /// The time left as whole days and hours, for "Lecture seule dans 2 j 5 h" (the words
    /// themselves come from the locale files).
    pub fn days_and_hours_left(self) -> Option<(i64, i64)> {
        match self {
            Self::Open { left } => {
                // Round up to the hour: "0 h" would read as already read-only.
                let hours = (left.num_minutes() + 59) / 60;
                Some((hours / 24, hours % 24))
            }
            Self::ReadOnly { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock as _, ManualClock};
    use chrono::TimeZone as _;

    #[test]
    fn grace_runs_out_then_a_sync_reopens_it() {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap());
        let synced = clock.now();
        assert_eq!(Grace::at(Some(synced), 72, clock.now()), Grace::Open { left: Duration::hours(72) });
        clock.advance(Duration::hours(66) + Duration::minutes(30));
        let grace = Grace::at(Some(synced), 72, clock.now());
        assert!(grace.allows_edits());
        assert_eq!(grace.days_and_hours_left(), Some((0, 6)), "5 h 30 left reads as 6 h");
        clock.advance(Duration::hours(5) + Duration::minutes(30));
        let grace = Grace::at(Some(synced), 72, clock.now());
        assert_eq!(grace, Grace::ReadOnly { since: Some(synced + Duration::hours(72)) });
        assert!(!grace.allows_edits());
        assert_eq!(grace.days_and_hours_left(), None);
        // A sync succeeds: a new period starts.
        assert!(Grace::at(Some(clock.now()), 72, clock.now()).allows_edits());
    }

    #[test]
    fn days_and_hours() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        let grace = Grace::at(Some(now - Duration::hours(19)), 72, now);
        assert_eq!(grace.days_and_hours_left(), Some((2, 5)), "Lecture seule dans 2 j 5 h");
    }

    #[test]
    fn a_copy_that_never_synced_is_read_only() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        assert_eq!(Grace::at(None, 72, now), Grace::ReadOnly { since: None });
    }
}
