//! Token buckets: how many sign-in requests one address, and the whole server, may make.
//!
//! A bucket holds up to `per_minute` tokens and refills at `per_minute` a minute; each
//! request takes one, and a request that finds it empty is told how long until the next
//! token. Buckets are kept per address (an IPv6 address by its /64, which one machine
//! usually holds whole); full buckets are forgotten when the table grows, so an attacker
//! rotating addresses costs a bounded amount of memory. Time is the monotonic clock, not
//! the server's business clock: tests that move business time do not refill buckets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bucket of `capacity` tokens refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
struct TokenBucket {
    tokens: f64,
    updated: Instant,
}

/// A rate: `per_minute` requests a minute, all of them at once at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
}

impl Rate {
    fn capacity(self) -> f64 {
        f64::from(self.per_minute.max(1))
    }

    fn per_second(self) -> f64 {
        self.capacity() / 60.0
    }
}

impl TokenBucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self { tokens: rate.capacity(), updated: now }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second()).min(rate.capacity());
        self.updated = now;
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate.per_second()))
        }
    }

    fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let mut bucket = *self;
        bucket.refill(rate, now);
        bucket.tokens >= rate.capacity()
    }
}

/// Who was refused: one address, or everyone together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Address { retry_after: Duration },
    Everyone { retry_after: Duration },
}

/// The per-address and global buckets of one kind of request.
#[derive(Debug)]
pub struct RateLimiter {
    per_address: Rate,
    global: Rate,
    state: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    addresses: HashMap<IpAddr, TokenBucket>,
    global: TokenBucket,
}

/// Above this many addresses, full buckets are forgotten.
const MAX_ADDRESSES: usize = 10_000;

impl RateLimiter {
    pub fn new(per_address: Rate, global: Rate) -> Self {
        let now = Instant::now();
        let state = Buckets { addresses: HashMap::new(), global: TokenBucket::full(global, now) };
        Self { per_address, global, state: Mutex::new(state) }
    }

    /// Takes a token for a request from `address` at `now`: from the address's bucket,
    /// then from everyone's (a refused address does not spend everyone's tokens).
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), Refusal> {
        let key = bucket_key(address);
        // The buckets hold no invariant a panic could break: a poisoned lock is taken back.
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.addresses.len() >= MAX_ADDRESSES && !state.addresses.contains_key(&key) {
            let rate = self.per_address;
            state.addresses.retain(|_, bucket| !bucket.is_full(rate, now));
        }
        let rate = self.per_address;
        // An address enters the table only when a request of its passes, so the table
        // grows no faster than everyone's rate allows.
        let mut tried = state.addresses.get(&key).copied().unwrap_or_else(|| TokenBucket::full(rate, now));
        tried.take(rate, now).map_err(|retry_after| Refusal::Address { retry_after })?;
        state.global.take(self.global, now).map_err(|retry_after| Refusal::Everyone { retry_after })?;
        state.addresses.insert(key, tried);
        Ok(())
    }
}

/// The bucket an address counts in: itself, or its /64 for IPv6.
fn bucket_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_for_its_refill() {
        let limiter = RateLimiter::new(Rate { per_minute: 6 }, Rate { per_minute: 1000 });
        let start = Instant::now();
        for _ in 0..6 {
            limiter.check(ip("192.0.2.1"), start).unwrap();
        }
        let Err(Refusal::Address { retry_after }) = limiter.check(ip("192.0.2.1"), start) else { panic!() };
        assert!((retry_after.as_secs_f64() - 10.0).abs() < 0.01, "one token every ten seconds: {retry_after:?}");
        // Another address is not slowed down; the first gets a token back ten seconds later.
        limiter.check(ip("192.0.2.2"), start).unwrap();
        assert!(limiter.check(ip("192.0.2.1"), start + Duration::from_secs(9)).is_err());
        limiter.check(ip("192.0.2.1"), start + Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn everyone_together_is_limited_too_and_a_refused_address_spends_nothing() {
        let limiter = RateLimiter::new(Rate { per_minute: 2 }, Rate { per_minute: 3 });
        let now = Instant::now();
        limiter.check(ip("192.0.2.1"), now).unwrap();
        limiter.check(ip("192.0.2.1"), now).unwrap();
        assert!(matches!(limiter.check(ip("192.0.2.1"), now), Err(Refusal::Address { .. })));
        limiter.check(ip("192.0.2.2"), now).unwrap();
        let Err(Refusal::Everyone { retry_after }) = limiter.check(ip("192.0.2.3"), now) else { panic!() };
        assert!((retry_after.as_secs_f64() - 20.0).abs() < 0.01, "{retry_after:?}");
    }

    #[test]
    fn an_ipv6_machine_counts_once_per_64() {
        let limiter = RateLimiter::new(Rate { per_minute: 1 }, Rate { per_minute: 1000 });
        let now = Instant::now();
        limiter.check(ip("2001:db8:1:2::1"), now).unwrap();
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9"), now).is_err(), "same /64");
        limiter.check(ip("2001:db8:1:3::1"), now).unwrap();
        limiter.check(ip("::ffff:192.0.2.7"), now).unwrap();
        assert!(limiter.check(ip("192.0.2.7"), now).is_err(), "an IPv4-mapped address is its IPv4 address");
    }

    #[test]
    fn the_table_of_addresses_stays_bounded() {
        let limiter = RateLimiter::new(Rate { per_minute: 10 }, Rate { per_minute: u32::MAX });
        let now = Instant::now();
        for i in 0..u32::try_from(MAX_ADDRESSES + 10).unwrap() {
            limiter.check(IpAddr::V4(i.into()), now).unwrap();
        }
        // A minute later every bucket is full again: they are forgotten as new ones come.
        let later = now + Duration::from_mins(1);
        limiter.check(ip("198.51.100.1"), later).unwrap();
        assert!(limiter.state.lock().unwrap().addresses.len() < 10);
    }
}
