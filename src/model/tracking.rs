//! Email tracking rules: which pixel and link hits are people, and which are machines.
//!
//! Mail privacy proxies (Apple Mail Privacy Protection) fetch every image of a message on
//! delivery, and link scanners (corporate mail security) follow every link before the recipient
//! sees it. Counting those as reads is the lie this module exists to avoid. The rules are
//! deliberately simple and are listed in the README; each has a unit test below.
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Seconds after which a second click on another link of the same message is no longer part of
/// an "every link at once" burst.
pub const CLICK_BURST_SECS: i64 = 2;

/// The longest user agent we keep; the rest is noise (and an easy way to bloat the table).
pub const MAX_AGENT_CHARS: usize = 512;

/// A pixel load or a link click.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Open,
    Click,
}

impl HitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HitKind::Open => "open",
            HitKind::Click => "click",
        }
    }
}

/// Who (or what) made a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// A person opened or clicked: this is what "Read at" means.
    Human,
    /// A mail privacy proxy fetched the pixel on delivery: delivered, not read.
    ProxyPrefetch,
    /// A security scanner or bot: counts for nothing.
    Scanner,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Human => "human",
            Classification::ProxyPrefetch => "proxy_prefetch",
            Classification::Scanner => "scanner",
        }
    }
}

/// What we know about one hit when classifying it.
#[derive(Debug, Clone)]
pub struct HitFacts<'a> {
    pub kind: HitKind,
    /// HEAD requests never come from a person reading mail.
    pub head: bool,
    pub user_agent: &'a str,
    /// The full peer address (only ever kept in memory; the database gets [`truncate_ip`]).
    pub ip: Option<IpAddr>,
    /// Seconds since the email was handed to the relay (None: not delivered yet, counts as 0).
    pub secs_since_delivery: Option<i64>,
    /// Clicks: whether other links of the same message were clicked within
    /// [`CLICK_BURST_SECS`] of this one (a scanner following every link).
    pub burst: bool,
}

/// The tunable part of the rules.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Hits this soon after delivery are machine-made: a scanner's click, or a proxy's open
    /// when the agent is not a full browser.
    pub machine_window_secs: i64,
}

/// Applies the rules, first match wins (the README lists them in this order).
pub fn classify(hit: &HitFacts<'_>, rules: Rules) -> Classification {
    let agent = hit.user_agent.to_ascii_lowercase();
    let early = hit.secs_since_delivery.unwrap_or(0) < rules.machine_window_secs;
    if hit.head || is_scanner_agent(&agent) {
        return Classification::Scanner;
    }
    match hit.kind {
        HitKind::Open => {
            if is_proxy_agent(hit.user_agent)
                || hit.ip.is_some_and(is_proxy_ip)
                || (early && !is_browser_agent(&agent))
            {
                Classification::ProxyPrefetch
            } else {
                Classification::Human
            }
        }
        HitKind::Click => {
            if early || hit.burst {
                Classification::Scanner
            } else {
                Classification::Human
            }
        }
    }
}

/// Security gateways, link checkers and plain HTTP libraries (lower-cased agent).
fn is_scanner_agent(agent: &str) -> bool {
    const MARKERS: &[&str] = &[
        "bot",
        "spider",
        "crawl",
        "scanner",
        "facebookexternalhit",
        "barracuda",
        "mimecast",
        "proofpoint",
        "messagelabs",
        "symantec",
        "trendmicro",
        "forcepoint",
        "ironport",
        "fireeye",
        "sophos",
        "zscaler",
        "safelinks",
        "curl/",
        "wget/",
        "python-requests",
        "python-urllib",
        "aiohttp",
        "go-http-client",
        "okhttp",
        "java/",
        "libwww",
        "httpclient",
        "node-fetch",
        "axios/",
    ];
    agent.trim().is_empty() || MARKERS.iter().any(|m| agent.contains(m))
}

/// Apple Mail Privacy Protection fetches with the bare agent `Mozilla/5.0`; Yahoo's proxy
/// names itself.
fn is_proxy_agent(agent: &str) -> bool {
    agent.trim() == "Mozilla/5.0" || agent.contains("YahooMailProxy")
}

/// Apple's egress network (17.0.0.0/8) is where Mail Privacy Protection fetches from.
fn is_proxy_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 17,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.octets()[0] == 17),
    }
}

/// A real browser or mail client names its platform: `Mozilla/5.0 (Macintosh; …)`.
fn is_browser_agent(agent: &str) -> bool {
    agent.starts_with("mozilla/5.0 (")
}

/// What we store of an address: the network, never the host (/24 for IPv4, /48 for IPv6).
pub fn truncate_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_ip(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

/// A user agent as we keep it: any bytes made text, at most [`MAX_AGENT_CHARS`].
pub fn clean_agent(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_AGENT_CHARS)
        .collect()
}

/// Tracking tokens are 128 random bits as 32 lowercase hex digits; anything else is not ours.
pub fn is_token(raw: &str) -> bool {
    raw.len() == 32 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 \
                          (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    const RULES: Rules = Rules {
        machine_window_secs: 10,
    };

    fn hit(kind: HitKind, agent: &str, ip: &str, secs: i64) -> HitFacts<'static> {
        HitFacts {
            kind,
            head: false,
            user_agent: Box::leak(agent.to_string().into_boxed_str()),
            ip: ip.parse().ok(),
            secs_since_delivery: Some(secs),
            burst: false,
        }
    }

    #[test]
    fn a_browser_open_after_delivery_is_human() {
        let h = hit(HitKind::Open, SAFARI, "203.0.113.9", 60);
        assert_eq!(classify(&h, RULES), Classification::Human);
    }

    #[test]
    fn a_browser_open_right_after_delivery_is_still_human() {
        // People do open mail the second it lands; only non-browser agents are doubted early.
        let h = hit(HitKind::Open, SAFARI, "203.0.113.9", 1);
        assert_eq!(classify(&h, RULES), Classification::Human);
    }

    #[test]
    fn apple_privacy_proxy_opens_are_prefetches() {
        let bare = hit(HitKind::Open, "Mozilla/5.0", "198.51.100.4", 3600);
        assert_eq!(classify(&bare, RULES), Classification::ProxyPrefetch);
        let apple_net = hit(HitKind::Open, SAFARI, "17.58.101.4", 3600);
        assert_eq!(classify(&apple_net, RULES), Classification::ProxyPrefetch);
        let mapped = hit(HitKind::Open, SAFARI, "::ffff:17.1.2.3", 3600);
        assert_eq!(classify(&mapped, RULES), Classification::ProxyPrefetch);
        let yahoo = hit(
            HitKind::Open,
            "YahooMailProxy; https://help.yahoo.com",
            "1.2.3.4",
            99,
        );
        assert_eq!(classify(&yahoo, RULES), Classification::ProxyPrefetch);
    }

    #[test]
    fn an_odd_agent_opening_within_seconds_is_a_prefetch() {
        let early = hit(HitKind::Open, "SomeMailFetcher/2.1", "198.51.100.4", 2);
        assert_eq!(classify(&early, RULES), Classification::ProxyPrefetch);
        let late = hit(HitKind::Open, "SomeMailFetcher/2.1", "198.51.100.4", 600);
        assert_eq!(classify(&late, RULES), Classification::Human);
    }

    #[test]
    fn scanners_and_libraries_are_scanners() {
        for agent in [
            "Mozilla/5.0 (compatible; Barracuda Sentinel)",
            "python-requests/2.31",
            "curl/8.5.0",
            "Googlebot/2.1",
            "",
        ] {
            let h = hit(HitKind::Click, agent, "203.0.113.9", 600);
            assert_eq!(classify(&h, RULES), Classification::Scanner, "{agent}");
        }
    }

    #[test]
    fn head_requests_never_count() {
        let mut h = hit(HitKind::Open, SAFARI, "203.0.113.9", 600);
        h.head = true;
        assert_eq!(classify(&h, RULES), Classification::Scanner);
    }

    #[test]
    fn clicks_within_seconds_of_delivery_are_scanners() {
        let early = hit(HitKind::Click, SAFARI, "203.0.113.9", 3);
        assert_eq!(classify(&early, RULES), Classification::Scanner);
        let later = hit(HitKind::Click, SAFARI, "203.0.113.9", 45);
        assert_eq!(classify(&later, RULES), Classification::Human);
    }

    #[test]
    fn clicking_every_link_at_once_is_a_scanner() {
        let mut h = hit(HitKind::Click, SAFARI, "203.0.113.9", 600);
        h.burst = true;
        assert_eq!(classify(&h, RULES), Classification::Scanner);
    }

    #[test]
    fn a_zero_window_trusts_browser_timing() {
        let h = hit(HitKind::Click, SAFARI, "203.0.113.9", 0);
        let rules = Rules {
            machine_window_secs: 0,
        };
        assert_eq!(classify(&h, rules), Classification::Human);
    }

    #[test]
    fn addresses_are_truncated_to_their_network() {
        assert_eq!(
            truncate_ip("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            truncate_ip("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
        assert_eq!(
            truncate_ip("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.0/24"
        );
    }

    #[test]
    fn agents_are_cleaned_and_bounded() {
        assert_eq!(clean_agent(b"Mail\xff\x01Client"), "Mail\u{fffd}Client");
        assert_eq!(clean_agent(&[b'a'; 2000]).len(), MAX_AGENT_CHARS);
    }

    #[test]
    fn only_well_formed_tokens_are_ours() {
        assert!(is_token("0123456789abcdef0123456789abcdef"));
        assert!(!is_token("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_token("0123456789abcdef"));
        assert!(!is_token("../../etc/passwd"));
        assert!(!is_token(&"a".repeat(5000)));
    }
}
