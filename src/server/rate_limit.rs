//! Failed-login limiter: counts failures per key (account, IP) in a sliding window, in memory.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureLimiter {
    pub fn new(window: Duration) -> Self {
        FailureLimiter {
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `key` already has `max` failures inside the window.
    pub fn blocked(&self, key: &str, max: u32, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        self.blocked_in(&mut map, key, max, now)
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        self.record_in(&mut map, key, now);
    }

    /// Checks every `(key, max)` and, when none is blocked, counts a failure on each — under
    /// one lock, so parallel attempts cannot all pass the check before any is counted.
    /// `Err(seconds to wait)` for the first key that is blocked (nothing is counted then).
    pub fn admit(&self, keys: &[(&str, u32)], now: Instant) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, max) in keys {
            if let Some(wait) = self.blocked_in(&mut map, key, *max, now) {
                return Err(wait);
            }
        }
        for (key, _) in keys {
            self.record_in(&mut map, key, now);
        }
        Ok(())
    }

    fn blocked_in(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        max: u32,
        now: Instant,
    ) -> Option<u64> {
        let list = map.get_mut(key)?;
        self.prune(list, now);
        if list.len() >= max as usize {
            let oldest = *list.front()?;
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            Some(wait.as_secs().max(1))
        } else {
            None
        }
    }

    fn record_in(&self, map: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant) {
        // Bound memory under a spray of distinct keys: drop keys whose failures have all expired.
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, list| list.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let list = map.entry(key.to_string()).or_default();
        self.prune(list, now);
        list.push_back(now);
    }

    /// Takes back the newest recorded failure (an attempt counted up front that succeeded).
    pub fn forgive_one(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = map.get_mut(key) {
            list.pop_back();
        }
    }

    pub fn clear(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }

    fn prune(&self, list: &mut VecDeque<Instant>, now: Instant) {
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_recovers_after_the_window() {
        let limiter = FailureLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.blocked("a", 3, t0).is_none());
            limiter.record_failure("a", t0);
        }
        assert!(limiter.blocked("a", 3, t0).is_some());
        assert!(
            limiter.blocked("b", 3, t0).is_none(),
            "keys are independent"
        );
        assert!(limiter
            .blocked("a", 3, t0 + Duration::from_secs(61))
            .is_none());
    }

    #[test]
    fn clear_forgets_failures() {
        let limiter = FailureLimiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.record_failure("a", t0);
        limiter.clear("a");
        assert!(limiter.blocked("a", 1, t0).is_none());
    }

    #[test]
    fn parallel_admissions_never_pass_the_limit() {
        let limiter = std::sync::Arc::new(FailureLimiter::new(Duration::from_secs(60)));
        let now = Instant::now();
        let admitted: usize = (0..16)
            .map(|_| {
                let limiter = limiter.clone();
                std::thread::spawn(move || limiter.admit(&[("pair", 5), ("ip", 20)], now).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(admitted, 5);
        assert!(limiter.blocked("pair", 5, now).is_some());
        // A refused attempt counts nowhere: the address saw only the five admitted.
        assert!(limiter.blocked("ip", 6, now).is_none());
    }
}
