//! The address a request really came from. Behind a reverse proxy every request's peer is the
//! proxy, so per-IP limits would lump all users together; `X-Forwarded-For` fixes that, but only
//! when the peer is a proxy we trust — anyone else could write any address into it.
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// An address or a CIDR block (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => return Err(format!("`{text}` has an invalid prefix length")),
            },
        };
        Ok(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Parses the `trusted_proxies` setting: comma-separated addresses or CIDR blocks.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(IpNet::parse)
        .collect()
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
/// were written by the client and prove nothing).
pub fn client_ip(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = canonical(peer?.ip());
    if !trusted.iter().any(|net| net.contains(peer)) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .map(|entry| entry.parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()
        // A malformed header from a trusted proxy: fall back to the proxy itself.
        .unwrap_or_default();
    forwarded
        .into_iter()
        .rev()
        .map(canonical)
        .find(|ip| !trusted.iter().any(|net| net.contains(*ip)))
        .or(Some(peer))
}

/// The client address of a request, from its head: the peer recorded by `serve` (ConnectInfo)
/// and, behind a trusted proxy, `X-Forwarded-For`.
pub fn of_request(
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    client_ip(peer, headers, trusted)
}

/// IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the IPv4 address, so limits see one client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static(value));
        h
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 4000))
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_trusted() {
        let headers = xff("198.51.100.7");
        assert_eq!(
            client_ip(peer("203.0.113.9"), &headers, &[]),
            Some("203.0.113.9".parse().unwrap())
        );
        let trusted = parse_trusted_proxies("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(peer("203.0.113.9"), &headers, &trusted),
            Some("203.0.113.9".parse().unwrap()),
            "an untrusted peer cannot pick its address"
        );
        assert_eq!(
            client_ip(peer("10.1.2.3"), &headers, &trusted),
            Some("198.51.100.7".parse().unwrap())
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = parse_trusted_proxies("10.0.0.1, 10.0.0.2").unwrap();
        // The client forged the first entry; the proxy chain appended the real one.
        let headers = xff("1.2.3.4, 198.51.100.7, 10.0.0.2");
        assert_eq!(
            client_ip(peer("10.0.0.1"), &headers, &trusted),
            Some("198.51.100.7".parse().unwrap())
        );
        // Garbage from a trusted proxy: the proxy itself, never a panic.
        assert_eq!(
            client_ip(peer("10.0.0.1"), &xff("not-an-ip"), &trusted),
            Some("10.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn cidr_blocks_parse_and_match() {
        let nets = parse_trusted_proxies("192.168.0.0/16, fd00::/8, 127.0.0.1").unwrap();
        assert!(nets[0].contains("192.168.44.1".parse().unwrap()));
        assert!(!nets[0].contains("192.169.0.1".parse().unwrap()));
        assert!(nets[1].contains("fd12::1".parse().unwrap()));
        assert!(nets[2].contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("proxy.local").is_err());
        assert_eq!(parse_trusted_proxies(" ").unwrap(), vec![]);
    }
}
