//! Sign-in limits that slow down the client that is guessing, never the account's owner.
//!
//! Counting failures per account let anyone lock a user out with five wrong passwords, and
//! counting per IP let one guesser block a whole office behind one NAT address. So failures are
//! counted per *client and account*:
//! - a browser that signed in to an account before carries a device cookie for it (an HMAC over
//!   a random device id and the account's email); its attempts on that account are counted for
//!   that device alone, so a guesser elsewhere — even behind the same address — cannot block it;
//! - any other client is counted per (address, account) pair, and per address across accounts.
//!
//! The device key lives in memory: a restart forgets known devices, which then fall back to the
//! address rules until their next successful sign-in. Instances sharing PostgreSQL share the
//! count (in the database) and the device key (derived from `secret_key`), so N instances
//! allow what one allows.
use super::crypto::random_token;
use super::rate_limit::FailureLimiter;
use super::store::Store;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const DEVICE_COOKIE: &str = "lw_device";

/// Who is trying to sign in, as far as the request tells.
pub struct Attempt<'a> {
    pub email: &'a str,
    pub ip: Option<IpAddr>,
    /// The `lw_device` cookie, if any (checked here, never trusted as is).
    pub device_cookie: Option<&'a str>,
}

pub struct SignInGuard {
    failures: FailureLimiter,
    /// Counts in the database instead of `failures` (several instances on PostgreSQL).
    shared: Option<Store>,
    window: Duration,
    key: [u8; 32],
    max_per_client: u32,
    max_per_ip: u32,
}

/// The counters an attempt is charged to.
struct Keys {
    client: String,
    ip: Option<String>,
}

impl SignInGuard {
    /// `max_per_client` failures per device or (address, account) pair and `max_per_ip` per
    /// address, within `window`.
    pub fn new(window: Duration, max_per_client: u32, max_per_ip: u32) -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SignInGuard {
            failures: FailureLimiter::new(window),
            shared: None,
            window,
            key,
            max_per_client,
            max_per_ip,
        }
    }

    /// Counts in `store`'s database, with device cookies keyed from `secret`: the same on
    /// every instance that shares them.
    pub fn shared(mut self, store: Store, secret: &[u8; 32]) -> Self {
        let mut derive = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
        derive.update(b"leadwire sign-in device cookies");
        self.key = derive.finalize().into_bytes().into();
        self.shared = Some(store);
        self
    }

    /// [`Self::admit`], counted in the database when instances share one.
    pub async fn admit_counted(
        &self,
        attempt: &Attempt<'_>,
        now: Instant,
    ) -> Result<Result<(), u64>, sqlx::Error> {
        let Some(store) = &self.shared else {
            return Ok(self.admit(attempt, now));
        };
        let keys = self.keys(attempt);
        store.admit_sign_in(&self.limits(&keys), self.window).await
    }

    /// [`Self::succeeded`], forgetting the failures in the database when instances share one.
    pub async fn succeeded_counted(&self, attempt: &Attempt<'_>) -> Result<String, sqlx::Error> {
        if let Some(store) = &self.shared {
            let keys = self.keys(attempt);
            store.clear_sign_in_failures(&keys.client).await?;
            if let Some(k) = &keys.ip {
                store.forgive_sign_in_failure(k).await?;
            }
        }
        Ok(self.succeeded(attempt))
    }

    /// Each counter an attempt is charged to, with its limit.
    fn limits<'k>(&self, keys: &'k Keys) -> Vec<(&'k str, u32)> {
        let mut limits = vec![(keys.client.as_str(), self.max_per_client)];
        if let Some(ip) = &keys.ip {
            limits.push((ip.as_str(), self.max_per_ip));
        }
        limits
    }

    fn keys(&self, attempt: &Attempt<'_>) -> Keys {
        if let Some(device) = attempt
            .device_cookie
            .and_then(|c| self.device_id(c, attempt.email))
        {
            return Keys {
                client: format!("device:{device}:{}", attempt.email),
                ip: None,
            };
        }
        let ip = attempt
            .ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        Keys {
            client: format!("pair:{ip}:{}", attempt.email),
            ip: Some(format!("ip:{ip}")),
        }
    }

    /// Before checking the password: `Err(seconds to wait)` if this client must slow down.
    /// Otherwise the attempt is counted as a failure up front (so parallel guesses cannot all
    /// slip past the limit); [`Self::succeeded`] takes it back.
    pub fn admit(&self, attempt: &Attempt<'_>, now: Instant) -> Result<(), u64> {
        let keys = self.keys(attempt);
        // Checked and counted under one lock: parallel guesses cannot all pass the check first.
        self.failures.admit(&self.limits(&keys), now)
    }

    /// The password was right: forgets this client's failures and returns the device cookie
    /// value to set (the same device id when the browser already had one for this account).
    pub fn succeeded(&self, attempt: &Attempt<'_>) -> String {
        let keys = self.keys(attempt);
        self.failures.clear(&keys.client);
        if let Some(k) = &keys.ip {
            self.failures.forgive_one(k);
        }
        let device = attempt
            .device_cookie
            .and_then(|c| self.device_id(c, attempt.email))
            .map(str::to_string)
            .unwrap_or_else(|| random_token()[..22].to_string());
        format!("{device}.{}", self.mac(&device, attempt.email))
    }

    /// The device id of a cookie issued by this process for `email`.
    fn device_id<'c>(&self, cookie: &'c str, email: &str) -> Option<&'c str> {
        let (device, mac) = cookie.split_once('.')?;
        let mut check = self.hmac();
        check.update(device.as_bytes());
        check.update(b"\n");
        check.update(email.as_bytes());
        let expected = super::crypto::from_hex(mac)?;
        check.verify_slice(&expected).ok().map(|_| device)
    }

    fn mac(&self, device: &str, email: &str) -> String {
        let mut mac = self.hmac();
        mac.update(device.as_bytes());
        mac.update(b"\n");
        mac.update(email.as_bytes());
        super::crypto::hex(&mac.finalize().into_bytes())
    }

    fn hmac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt<'a>(email: &'a str, ip: &str, device: Option<&'a str>) -> Attempt<'a> {
        Attempt {
            email,
            ip: Some(ip.parse().unwrap()),
            device_cookie: device,
        }
    }

    #[test]
    fn a_guesser_is_slowed_but_the_owner_elsewhere_signs_in() {
        let guard = SignInGuard::new(Duration::from_secs(900), 5, 30);
        let now = Instant::now();
        for _ in 0..5 {
            guard
                .admit(&attempt("alice@x.test", "203.0.113.66", None), now)
                .unwrap();
        }
        assert!(guard
            .admit(&attempt("alice@x.test", "203.0.113.66", None), now)
            .is_err());
        // The owner, from another address, has not been failing.
        assert!(guard
            .admit(&attempt("alice@x.test", "198.51.100.1", None), now)
            .is_ok());
    }

    #[test]
    fn a_known_device_behind_the_guessers_address_still_signs_in() {
        let guard = SignInGuard::new(Duration::from_secs(900), 5, 30);
        let now = Instant::now();
        let office = "203.0.113.10";
        let cookie = guard.succeeded(&attempt("alice@x.test", office, None));
        // Someone in the same office sprays 40 accounts and hammers alice's.
        for n in 0..40 {
            let email = format!("user{n}@x.test");
            let _ = guard.admit(&attempt(&email, office, None), now);
        }
        for _ in 0..10 {
            let _ = guard.admit(&attempt("alice@x.test", office, None), now);
        }
        assert!(
            guard
                .admit(&attempt("bob@x.test", office, None), now)
                .is_err(),
            "the address is slowed"
        );
        assert!(guard
            .admit(&attempt("alice@x.test", office, None), now)
            .is_err());
        assert!(guard
            .admit(&attempt("alice@x.test", office, Some(&cookie)), now)
            .is_ok());
        // The cookie is for alice only, and a forged one counts as no cookie.
        assert!(guard
            .admit(&attempt("carol@x.test", office, Some(&cookie)), now)
            .is_err());
        let forged = format!("{}.{}", cookie.split('.').next().unwrap(), "00".repeat(32));
        assert!(guard
            .admit(&attempt("alice@x.test", office, Some(&forged)), now)
            .is_err());
    }

    #[test]
    fn a_success_keeps_the_device_id() {
        let guard = SignInGuard::new(Duration::from_secs(900), 5, 30);
        let first = guard.succeeded(&attempt("a@x.test", "192.0.2.1", None));
        let again = guard.succeeded(&attempt("a@x.test", "192.0.2.1", Some(&first)));
        assert_eq!(first, again);
        assert!(guard.device_id("junk", "a@x.test").is_none());
        assert!(guard.device_id("a.zz", "a@x.test").is_none());
    }
}
