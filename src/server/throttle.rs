//! Request-rate limits: a token bucket per key (an IP, a tracking token, a socket's user), in
//! memory. A bucket holds `burst` tokens and refills at `per_sec`; a request takes one token or is
//! refused with the time until one is back. Memory is bounded: past `MAX_KEYS` keys, full buckets
//! (keys that have been quiet long enough to be back at `burst`) are forgotten first.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_KEYS: usize = 100_000;

pub struct Throttle<K> {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

/// One token bucket. `Throttle` keeps one per key; a holder of exactly one (a socket) keeps it
/// inline, without map or lock.
#[derive(Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket of `burst` tokens.
    pub fn full(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    /// Takes a token, refilling at `per_sec` up to `burst`, or says how long until one is back.
    pub fn take(&mut self, burst: f64, per_sec: f64, now: Instant) -> Result<(), Duration> {
        self.tokens = self.refilled(burst, per_sec, now);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / per_sec))
        }
    }

    fn refilled(&self, burst: f64, per_sec: f64, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * per_sec).min(burst)
    }
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// `burst` requests at once, then `per_minute` a minute.
    pub fn per_minute(burst: u32, per_minute: u32) -> Self {
        Self::new(burst, per_minute as f64 / 60.0)
    }

    /// `burst` requests at once, then `per_hour` an hour.
    pub fn per_hour(burst: u32, per_hour: u32) -> Self {
        Self::new(burst, per_hour as f64 / 3600.0)
    }

    /// `burst` requests at once, then `per_sec` a second.
    pub fn new(burst: u32, per_sec: f64) -> Self {
        Throttle {
            burst: burst.max(1) as f64,
            per_sec: per_sec.max(1e-9),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`, or says how long until one is available.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, b| b.refilled(burst, per_sec, now) < burst);
            if buckets.len() >= MAX_KEYS {
                // Every key is busy: a flood of distinct keys. Refuse the newcomer rather than
                // grow without bound.
                return Err(Duration::from_secs(1));
            }
        }
        buckets
            .entry(key.clone())
            .or_insert(Bucket::full(self.burst, now))
            .take(self.burst, self.per_sec, now)
    }
}

/// Whole seconds for a `Retry-After` header, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_the_refill_rate() {
        let t = Throttle::per_minute(3, 60);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(t.take(&"a", t0).is_ok());
        }
        let wait = t.take(&"a", t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(t.take(&"b", t0).is_ok(), "keys are independent");
        assert!(t.take(&"a", t0 + Duration::from_secs(1)).is_ok());
        assert!(t.take(&"a", t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn refills_no_further_than_the_burst() {
        let t = Throttle::per_hour(2, 3600);
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(3600);
        assert!(t.take(&1, t0).is_ok());
        for _ in 0..2 {
            assert!(t.take(&1, later).is_ok());
        }
        assert!(t.take(&1, later).is_err());
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
    }
}
