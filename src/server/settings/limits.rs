//! The abuse-limit part of the settings: what anyone without an account may cost us (password
//! hashing, sign-ups, sign-in attempts, tracking hits, socket frames) and which proxies may tell
//! us a client's address.
use super::{Raw, SettingsError};
use crate::server::client_ip::{parse_trusted_proxies, IpNet};

pub(super) const KEYS: &[&str] = &[
    "trusted_proxies",
    "password_hash_slots",
    "password_hash_queue",
    "signups_per_ip_per_hour",
    "public_requests_per_ip_per_minute",
    "tracking_hits_per_token_per_minute",
    "tracking_hits_per_ip_per_minute",
    "ws_frames_per_second",
];

#[derive(Debug, Clone)]
pub struct Limits {
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies, load balancers).
    pub trusted_proxies: Vec<IpNet>,
    /// Password hashes computed at once; each holds 19 MiB while it runs.
    pub password_hash_slots: usize,
    /// Password checks waiting for a slot; beyond this, 429.
    pub password_hash_queue: usize,
    /// New workspaces per client address per hour (the burst is the same number).
    pub signups_per_ip_per_hour: u32,
    /// Requests anyone can make without an account, per client address per minute: sign-up,
    /// sign-in, invite look-up and acceptance, and rendering the sign-in, sign-up and invite
    /// pages.
    pub public_requests_per_ip_per_minute: u32,
    /// Tracking hits recorded per pixel or link token per minute (twice that in a burst);
    /// further hits are answered the same but only counted.
    pub tracking_hits_per_token_per_minute: u32,
    /// Tracking hits recorded per client address per minute.
    pub tracking_hits_per_ip_per_minute: u32,
    /// Frames a socket may send per second (twice that in a burst); per user, four times that.
    pub ws_frames_per_second: u32,
}

pub(super) fn parse(raw: &Raw) -> Result<Limits, SettingsError> {
    let trusted_proxies = parse_trusted_proxies(&raw.string("trusted_proxies", ""))
        .map_err(|message| raw.error("trusted_proxies", &message))?;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    // A whole number from 1 to `max`, `default` when unset.
    let count = |key: &str, default: u32, max: u32| -> Result<u32, SettingsError> {
        match raw.get(key, default, "a whole number")? {
            n @ 1.. if n <= max => Ok(n),
            _ => Err(raw.error(key, &format!("must be between 1 and {max}"))),
        }
    };
    let password_hash_slots = match raw.get("password_hash_slots", 0u32, "a whole number")? {
        0 => cores,
        n @ 1..=64 => n as usize,
        _ => {
            return Err(raw.error(
                "password_hash_slots",
                "must be between 0 (one per core) and 64",
            ))
        }
    };
    Ok(Limits {
        trusted_proxies,
        password_hash_slots,
        password_hash_queue: count("password_hash_queue", 32, 10_000)? as usize,
        signups_per_ip_per_hour: count("signups_per_ip_per_hour", 10, 1_000_000)?,
        public_requests_per_ip_per_minute: count(
            "public_requests_per_ip_per_minute",
            120,
            1_000_000,
        )?,
        tracking_hits_per_token_per_minute: count(
            "tracking_hits_per_token_per_minute",
            10,
            1_000_000,
        )?,
        tracking_hits_per_ip_per_minute: count("tracking_hits_per_ip_per_minute", 300, 10_000_000)?,
        ws_frames_per_second: count("ws_frames_per_second", 20, 100_000)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;

    fn with(name: &'static str, value: &'static str) -> Result<Settings, String> {
        let env = move |n: &str| (n == name).then(|| value.to_string());
        Settings::from_sources(None, &env).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_bounded_and_one_hash_slot_per_core() {
        let s = Settings::from_sources(None, &|_| None).unwrap();
        assert!(s.limits.trusted_proxies.is_empty());
        assert!(s.limits.password_hash_slots >= 1);
        assert_eq!(s.limits.password_hash_queue, 32);
    }

    #[test]
    fn trusted_proxies_parse_and_bad_ones_stop_start_up() {
        let s = with("LEADWIRE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1").unwrap();
        assert_eq!(s.limits.trusted_proxies.len(), 2);
        let err = with("LEADWIRE_TRUSTED_PROXIES", "my-proxy").unwrap_err();
        assert!(err.contains("trusted_proxies"), "{err}");
        let err = with("LEADWIRE_PASSWORD_HASH_QUEUE", "0").unwrap_err();
        assert!(err.contains("password_hash_queue"), "{err}");
    }
}
