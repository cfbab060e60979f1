//! Exponential backoff with jitter: after the n-th failure in a row, wait a random time
//! between half and all of `min × 2ⁿ` (capped at `max`), so that many copies failing
//! together do not retry together. A server that answered busy with a `Retry-After` is
//! left alone at least that long ([`Backoff::next_delay_after`]), up to
//! [`MAX_SERVER_WAIT`] whatever it asked.

use std::time::Duration;

/// The longest a server's `Retry-After` can keep a copy from trying again: a server
/// misconfigured (or hostile) must not silence a copy for days.
pub const MAX_SERVER_WAIT: Duration = Duration::from_mins(10);

#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
    state: u64,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration, seed: u64) -> Self {
        Self { min, max: max.max(min), failures: 0, state: seed | 1 }
    }

    /// The wait before the next attempt, after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1_u32.checked_shl(self.failures.min(20)).unwrap_or(u32::MAX);
        let ceiling = self.min.saturating_mul(factor).min(self.max);
        self.failures = self.failures.saturating_add(1);
        let half = ceiling / 2;
        let spread = u64::try_from(ceiling.saturating_sub(half).as_millis()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_millis(self.random() % spread)
    }

    /// The wait before the next attempt, after one more failure whose answer asked for
    /// `retry_after`: the longer of the backoff's own delay and the server's wait (capped
    /// at [`MAX_SERVER_WAIT`]).
    pub fn next_delay_after(&mut self, retry_after: Option<Duration>) -> Duration {
        let own = self.next_delay();
        retry_after.map_or(own, |asked| own.max(asked.min(MAX_SERVER_WAIT)))
    }

    /// A success: the next failure starts from `min` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// xorshift64*: plenty for jitter.
    fn random(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_up_to_the_cap_and_reset() {
        let (min, max) = (Duration::from_secs(2), Duration::from_mins(1));
        let mut backoff = Backoff::new(min, max, 42);
        let mut ceiling = min;
        for _ in 0..10 {
            let delay = backoff.next_delay();
            assert!(delay >= ceiling / 2 && delay <= ceiling, "{delay:?} outside [{:?}, {ceiling:?}]", ceiling / 2);
            ceiling = (ceiling * 2).min(max);
        }
        assert!(backoff.next_delay() <= max);
        backoff.reset();
        assert!(backoff.next_delay() <= min);
    }

    #[test]
    fn a_server_that_asks_for_a_wait_gets_at_least_it_and_at_most_the_cap() {
        let (min, max) = (Duration::from_secs(2), Duration::from_mins(1));
        // Longer than the backoff's own delay: the server's wait.
        let mut backoff = Backoff::new(min, max, 7);
        assert_eq!(backoff.next_delay_after(Some(Duration::from_secs(45))), Duration::from_secs(45));
        // Shorter: the backoff's own, which still grows with each failure.
        let mut own = Backoff::new(min, max, 7);
        let mut asked = Backoff::new(min, max, 7);
        for _ in 0..8 {
            let expected = own.next_delay();
            assert_eq!(asked.next_delay_after(Some(Duration::from_millis(1))), expected);
        }
        assert_eq!(asked.failures(), 8);
        // No wait asked: the backoff's own; a wait of days: ten minutes.
        let mut own = Backoff::new(min, max, 9);
        let mut asked = Backoff::new(min, max, 9);
        assert_eq!(asked.next_delay_after(None), own.next_delay());
        assert_eq!(asked.next_delay_after(Some(Duration::from_hours(72))), MAX_SERVER_WAIT);
    }

    #[test]
    fn two_copies_do_not_retry_in_step() {
        let (min, max) = (Duration::from_secs(2), Duration::from_mins(5));
        let mut a = Backoff::new(min, max, 1);
        let mut b = Backoff::new(min, max, 2);
        let same = (0..8).filter(|_| a.next_delay() == b.next_delay()).count();
        assert!(same < 8);
    }
}
