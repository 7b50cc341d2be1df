//! What a failed delivery attempt means, for every outbound queue (email, and SMS, WhatsApp and
//! Instagram): try again after an exponential backoff, or give up with the reason the sender
//! reads in the thread.
use super::store::now;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// The longest wait between retries.
const MAX_BACKOFF_MS: u64 = 6 * 3600 * 1000;

/// The reason to show and, unless the attempt was the last or retrying cannot help, when to
/// try again. `attempts` counts the one that just failed.
pub fn after_failure(
    attempts: u32,
    max_attempts: u32,
    retry_base_ms: u64,
    permanent: bool,
    reason: String,
) -> (String, Option<DateTime<Utc>>) {
    if permanent {
        return (reason, None);
    }
    if attempts >= max_attempts {
        return (format!("Gave up after {attempts} attempts: {reason}"), None);
    }
    let wait = backoff_ms(retry_base_ms, attempts);
    (
        format!("Attempt {attempts} of {max_attempts} failed, retrying: {reason}"),
        Some(now() + Duration::milliseconds(wait as i64)),
    )
}

/// Exponential backoff from `base` with ±20 % jitter, so retries of many messages spread out.
fn backoff_ms(base: u64, attempts: u32) -> u64 {
    let exp = base.saturating_mul(1u64 << attempts.saturating_sub(1).min(30));
    let capped = exp.min(MAX_BACKOFF_MS);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    ((capped as f64) * jitter) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for (attempt, nominal) in [(1, 1000u64), (2, 2000), (3, 4000)] {
            let wait = backoff_ms(1000, attempt);
            assert!(
                wait >= nominal * 8 / 10 && wait <= nominal * 12 / 10,
                "{wait}"
            );
        }
        assert!(backoff_ms(30_000, 40) <= MAX_BACKOFF_MS * 12 / 10);
    }

    #[test]
    fn a_failure_is_retried_until_the_last_attempt_unless_retrying_cannot_help() {
        let (reason, at) = after_failure(1, 3, 1000, false, "timeout".into());
        assert_eq!(reason, "Attempt 1 of 3 failed, retrying: timeout");
        assert!(at.is_some_and(|at| at > now()));
        let (reason, at) = after_failure(3, 3, 1000, false, "timeout".into());
        assert_eq!(reason, "Gave up after 3 attempts: timeout");
        assert_eq!(at, None);
        let (reason, at) = after_failure(1, 3, 1000, true, "no such number".into());
        assert_eq!(reason, "no such number");
        assert_eq!(at, None);
    }
}
