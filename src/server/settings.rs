//! Runtime settings of the server binary: `Leptos.toml`, then `LEADWIRE_<SETTING>` environment
//! overrides (and `LEPTOS_SITE_ADDR` / `LEPTOS_SITE_ROOT`, which cargo-leptos sets in development).
mod channels;
mod limits;
mod mail;

pub use channels::ChannelSettings;
pub use limits::Limits;
pub use mail::{MailSettings, SmtpRelay, SmtpSecurity};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// Every setting the server reads. Defaults are what `make run` needs on a fresh clone.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the server listens.
    pub site_addr: SocketAddr,
    /// Folder holding the built site (`pkg/` with the WASM bundle, and the public assets).
    pub site_root: String,
    /// `sqlite://path/to/file.db` (created when missing).
    pub database_url: String,
    /// The address people reach Leadwire at, for links in invites (and later emails). Defaults to
    /// `http://<site_addr>`. An `https` URL also marks session cookies `Secure`.
    pub public_url: String,
    /// Seed the demo workspace into an empty database on start-up.
    pub seed_demo: bool,
    pub session_ttl_secs: i64,
    pub invite_ttl_hours: i64,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_ip: u32,
    pub login_window_secs: u64,
    /// Request bodies above this are refused before they are read whole.
    pub max_body_bytes: usize,
    /// Messages per page of a conversation thread (older ones load on demand).
    pub thread_page_size: i64,
    /// How long after the last keystroke a draft is saved.
    pub autosave_delay_ms: u32,
    /// How long the event log keeps events for clients to resume from; older resumes get `reset`.
    pub event_retention_secs: i64,
    /// How often a socket is pinged and its session re-checked; silent for 3× this: closed.
    pub ws_heartbeat_secs: u64,
    /// A teammate with no activity in any tab for this long shows as "away".
    pub presence_away_secs: u64,
    /// After a change, KPI and chart updates wait this long for more changes, so that a burst
    /// becomes one `stats_updated` / `analytics_updated` pair.
    pub stats_coalesce_ms: u64,
    /// Entries per page of the activity feed ("load more" fetches the next).
    pub activity_page_size: i64,
    /// The key secrets at rest are sealed with (see `secrets`); None: the data folder's.
    pub secret_key: Option<[u8; 32]>,
    /// The bearer token `GET /metrics` asks for; None: no metrics endpoint (404).
    pub metrics_token: Option<String>,
    /// Email delivery and tracking.
    pub mail: MailSettings,
    /// SMS, WhatsApp and Instagram delivery (see `server::channels`).
    pub channels: ChannelSettings,
    /// What anonymous clients may cost us, and which proxies we trust.
    pub limits: Limits,
}

/// A setting that could not be used: start-up stops with this message.
#[derive(Debug, thiserror::Error)]
#[error("setting `{key}` ({source_name}): {message}")]
pub struct SettingsError {
    pub key: String,
    pub source_name: String,
    pub message: String,
}

/// The keys `Leptos.toml` may hold; anything else is a typo worth stopping for.
const KEYS: &[&str] = &[
    "site_addr",
    "site_root",
    "database_url",
    "public_url",
    "seed_demo",
    "session_ttl_secs",
    "invite_ttl_hours",
    "login_max_failures_per_account",
    "login_max_failures_per_ip",
    "login_window_secs",
    "max_body_bytes",
    "thread_page_size",
    "autosave_delay_ms",
    "event_retention_secs",
    "ws_heartbeat_secs",
    "presence_away_secs",
    "stats_coalesce_ms",
    "secret_key",
    "activity_page_size",
    "metrics_token",
];

/// Every setting's key, in `Leptos.toml` and (upper-cased, after `LEADWIRE_`) the environment.
fn all_keys() -> impl Iterator<Item = &'static str> {
    KEYS.iter()
        .chain(mail::KEYS)
        .chain(limits::KEYS)
        .chain(channels::KEYS)
        .copied()
}

fn is_known(key: &str) -> bool {
    all_keys().any(|k| k == key)
}

struct Raw {
    values: BTreeMap<String, (String, String)>,
}

impl Raw {
    fn get<T: std::str::FromStr>(
        &self,
        key: &str,
        default: T,
        expected: &str,
    ) -> Result<T, SettingsError> {
        match self.values.get(key) {
            None => Ok(default),
            Some((value, source)) => value.trim().parse().map_err(|_| SettingsError {
                key: key.to_string(),
                source_name: source.clone(),
                message: format!("expected {expected}, got {value:?}"),
            }),
        }
    }

    fn string(&self, key: &str, default: &str) -> String {
        self.values
            .get(key)
            .map(|(v, _)| v.clone())
            .unwrap_or_else(|| default.to_string())
    }

    fn error(&self, key: &str, message: &str) -> SettingsError {
        SettingsError {
            key: key.to_string(),
            source_name: self
                .values
                .get(key)
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| "default".into()),
            message: message.to_string(),
        }
    }
}

impl Settings {
    /// Reads `LEADWIRE_CONFIG` (default `Leptos.toml`, optional) and the process environment.
    pub fn load() -> Result<Settings, SettingsError> {
        let path = std::env::var("LEADWIRE_CONFIG").unwrap_or_else(|_| "Leptos.toml".into());
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => Some((path, text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(SettingsError {
                    key: "LEADWIRE_CONFIG".into(),
                    source_name: path,
                    message: e.to_string(),
                })
            }
        };
        Settings::from_sources(
            file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            &|name| std::env::var(name).ok(),
        )
    }

    /// Builds settings from a config file's text and an environment lookup (testable without I/O).
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, SettingsError> {
        let mut values = BTreeMap::new();
        if let Some((path, text)) = file {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| SettingsError {
                key: "(file)".into(),
                source_name: path.to_string(),
                message: e.message().to_string(),
            })?;
            for (key, value) in table {
                if !is_known(&key) {
                    return Err(SettingsError {
                        key,
                        source_name: path.to_string(),
                        message: format!(
                            "unknown setting; known settings are {}",
                            all_keys().collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                values.insert(key, (text, path.to_string()));
            }
        }
        for key in all_keys() {
            let name = format!("LEADWIRE_{}", key.to_uppercase());
            if let Some(v) = env(&name) {
                values.insert(key.to_string(), (v, name));
            }
        }
        // cargo-leptos passes the address and site folder it built for through these.
        for (key, name) in [
            ("site_addr", "LEPTOS_SITE_ADDR"),
            ("site_root", "LEPTOS_SITE_ROOT"),
        ] {
            if let Some(v) = env(name) {
                values.insert(key.to_string(), (v, name.to_string()));
            }
        }
        let raw = Raw { values };

        let site_addr: SocketAddr = raw.get(
            "site_addr",
            "127.0.0.1:3000".parse().expect("valid literal"),
            "an address like 127.0.0.1:3000",
        )?;
        let database_url = raw.string("database_url", "sqlite://data/leadwire.db");
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            return Err(raw.error(
                "database_url",
                "expected a sqlite: file or a postgres:// database URL",
            ));
        }
        let public_url = raw
            .string("public_url", "")
            .trim()
            .trim_end_matches('/')
            .to_string();
        let public_url = if public_url.is_empty() {
            format!("http://{site_addr}")
        } else if public_url.starts_with("http://") || public_url.starts_with("https://") {
            public_url
        } else {
            return Err(raw.error("public_url", "must start with http:// or https://"));
        };
        let positive = |key: &str, value: i64| {
            if value > 0 {
                Ok(value)
            } else {
                Err(raw.error(key, "must be greater than zero"))
            }
        };
        Ok(Settings {
            site_addr,
            site_root: raw.string("site_root", "target/site"),
            database_url,
            public_url,
            seed_demo: raw.get("seed_demo", true, "true or false")?,
            session_ttl_secs: positive(
                "session_ttl_secs",
                raw.get(
                    "session_ttl_secs",
                    30 * 24 * 3600,
                    "a whole number of seconds",
                )?,
            )?,
            invite_ttl_hours: positive(
                "invite_ttl_hours",
                raw.get("invite_ttl_hours", 168, "a whole number of hours")?,
            )?,
            login_max_failures_per_account: raw.get(
                "login_max_failures_per_account",
                5,
                "a whole number",
            )?,
            login_max_failures_per_ip: raw.get(
                "login_max_failures_per_ip",
                30,
                "a whole number",
            )?,
            login_window_secs: raw.get("login_window_secs", 900, "a whole number of seconds")?,
            max_body_bytes: raw.get("max_body_bytes", 1_048_576, "a whole number of bytes")?,
            thread_page_size: positive(
                "thread_page_size",
                raw.get("thread_page_size", 100, "a whole number")?,
            )?,
            autosave_delay_ms: raw.get(
                "autosave_delay_ms",
                500,
                "a whole number of milliseconds",
            )?,
            event_retention_secs: match raw.get(
                "event_retention_secs",
                7 * 24 * 3600,
                "a whole number of seconds",
            )? {
                secs @ 1..=315_360_000 => secs,
                _ => {
                    return Err(raw.error(
                        "event_retention_secs",
                        "must be between 1 second and 10 years",
                    ))
                }
            },
            ws_heartbeat_secs: match raw.get(
                "ws_heartbeat_secs",
                20,
                "a whole number of seconds",
            )? {
                secs @ 1..=3600 => secs,
                _ => return Err(raw.error("ws_heartbeat_secs", "must be between 1 and 3600")),
            },
            presence_away_secs: match raw.get(
                "presence_away_secs",
                300,
                "a whole number of seconds",
            )? {
                secs @ 1..=86_400 => secs,
                _ => return Err(raw.error("presence_away_secs", "must be between 1 and 86400")),
            },
            stats_coalesce_ms: match raw.get(
                "stats_coalesce_ms",
                250,
                "a whole number of milliseconds",
            )? {
                ms @ 0..=60_000 => ms,
                _ => return Err(raw.error("stats_coalesce_ms", "must be between 0 and 60000")),
            },
            activity_page_size: match raw.get("activity_page_size", 30, "a whole number")? {
                n @ 1..=500 => n,
                _ => return Err(raw.error("activity_page_size", "must be between 1 and 500")),
            },
            secret_key: match raw.string("secret_key", "").trim() {
                "" => None,
                hex => Some(
                    super::crypto::from_hex(hex)
                        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                        .ok_or_else(|| {
                            raw.error("secret_key", "must be 64 hex digits (32 bytes)")
                        })?,
                ),
            },
            metrics_token: match raw.string("metrics_token", "").trim() {
                "" => None,
                t if t.len() >= 16 => Some(t.to_string()),
                _ => {
                    return Err(raw.error(
                        "metrics_token",
                        "must be at least 16 characters (it guards /metrics)",
                    ))
                }
            },
            mail: mail::parse(&raw)?,
            channels: channels::parse(&raw)?,
            limits: limits::parse(&raw)?,
        })
    }

    /// Session cookies get `Secure` when people reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_need_no_file() {
        let s = Settings::from_sources(None, &no_env).unwrap();
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_url, "http://127.0.0.1:3000");
        assert!(!s.secure_cookies());
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = "database_url = \"sqlite://a.db\"\nsession_ttl_secs = 5\n";
        let env =
            |name: &str| (name == "LEADWIRE_DATABASE_URL").then(|| "sqlite://b.db".to_string());
        let s = Settings::from_sources(Some(("Leptos.toml", file)), &env).unwrap();
        assert_eq!(s.database_url, "sqlite://b.db");
        assert_eq!(s.session_ttl_secs, 5);
    }

    #[test]
    fn a_bad_value_names_the_setting_and_its_source() {
        let env = |name: &str| (name == "LEADWIRE_SESSION_TTL_SECS").then(|| "soon".to_string());
        let err = Settings::from_sources(None, &env).unwrap_err().to_string();
        assert!(err.contains("session_ttl_secs"), "{err}");
        assert!(err.contains("LEADWIRE_SESSION_TTL_SECS"), "{err}");
    }

    #[test]
    fn unknown_keys_in_the_file_stop_start_up() {
        let err = Settings::from_sources(Some(("Leptos.toml", "databse_url = \"x\"")), &no_env)
            .unwrap_err();
        assert_eq!(err.key, "databse_url");
    }

    #[test]
    fn leptos_site_addr_sets_the_listen_address() {
        let env = |name: &str| (name == "LEPTOS_SITE_ADDR").then(|| "127.0.0.1:4000".to_string());
        let s = Settings::from_sources(None, &env).unwrap();
        assert_eq!(s.site_addr.port(), 4000);
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let env = |name: &str| {
            (name == "LEADWIRE_PUBLIC_URL").then(|| "https://crm.example.com/".to_string())
        };
        let s = Settings::from_sources(None, &env).unwrap();
        assert_eq!(s.public_url, "https://crm.example.com");
        assert!(s.secure_cookies());
    }

    /// Every setting of the file can be set from the environment too (the channel settings
    /// once could not).
    #[test]
    fn every_setting_reads_its_environment_variable() {
        for key in all_keys() {
            let name = format!("LEADWIRE_{}", key.to_uppercase());
            let env = |asked: &str| (asked == name).then(|| "not a valid value at all".to_string());
            let file_says = Settings::from_sources(Some(("Leptos.toml", "")), &env);
            // A setting whose value is free text accepts it; every other one names the variable.
            if let Err(e) = file_says {
                assert_eq!(e.key, key, "{e}");
                assert_eq!(e.source_name, name, "{e}");
            }
        }
        let env = |name: &str| {
            (name == "LEADWIRE_TWILIO_API_BASE").then(|| "http://127.0.0.1:9".to_string())
        };
        let s = Settings::from_sources(None, &env).unwrap();
        assert_eq!(s.channels.twilio_api_base, "http://127.0.0.1:9");
        let env = |name: &str| (name == "LEADWIRE_CHANNEL_SEND_TIMEOUT_MS").then(|| "soon".into());
        let err = Settings::from_sources(None, &env).unwrap_err();
        assert_eq!(err.source_name, "LEADWIRE_CHANNEL_SEND_TIMEOUT_MS");
    }

    #[test]
    fn a_metrics_token_must_be_long_enough() {
        let env = |name: &str| (name == "LEADWIRE_METRICS_TOKEN").then(|| "short".to_string());
        let err = Settings::from_sources(None, &env).unwrap_err();
        assert_eq!(err.key, "metrics_token");
        let env = |name: &str| {
            (name == "LEADWIRE_METRICS_TOKEN").then(|| "long-enough-token-1".to_string())
        };
        let s = Settings::from_sources(None, &env).unwrap();
        assert_eq!(s.metrics_token.as_deref(), Some("long-enough-token-1"));
        assert!(Settings::from_sources(None, &|_| None)
            .unwrap()
            .metrics_token
            .is_none());
    }
}
