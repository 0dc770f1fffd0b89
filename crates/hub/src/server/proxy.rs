//! Who a request comes from, behind a reverse proxy: for the addresses configured as
//! trusted proxies, the client is the one `X-Forwarded-For` names (the nearest address
//! that is not itself a trusted proxy); from anyone else the header is ignored, so a
//! client cannot pick the address its failed attempts count against.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// One trusted network: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    bits: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            (IpAddr::V6(n), IpAddr::V4(a)) => {
                prefix_eq(&n.octets(), &a.to_ipv6_mapped().octets(), self.bits)
            }
            (IpAddr::V4(n), IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(a) => prefix_eq(&n.octets(), &a.octets(), self.bits),
                None => false,
            },
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    a[full] & mask == b[full] & mask
}

impl FromStr for Network {
    type Err = String;
    /// `10.0.0.0/8`, `192.168.1.7` (one address), `fd00::/8`.
    fn from_str(s: &str) -> Result<Network, String> {
        let s = s.trim();
        let (addr, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an address or network like 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Network { addr, bits })
    }
}

/// The reverse proxies whose `X-Forwarded-For` the hub believes.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<Network>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client of a request that reached the hub from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // The header lists the client first and each proxy after: walk back from the
        // nearest hop, past every proxy we trust, to the first address we do not.
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        hops.into_iter()
            .rev()
            .find(|ip| !self.trusts(*ip))
            .unwrap_or(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let p = TrustedProxies(vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // From a trusted proxy: the nearest untrusted hop.
        assert_eq!(
            p.client(ip("127.0.0.1"), &headers("203.0.113.9, 10.1.2.3")),
            ip("203.0.113.9")
        );
        // A client's own forged first entry does not help it: the proxy appends.
        assert_eq!(
            p.client(ip("10.0.0.5"), &headers("1.1.1.1, 198.51.100.7")),
            ip("198.51.100.7")
        );
        // From anyone else the header means nothing.
        assert_eq!(
            p.client(ip("192.0.2.1"), &headers("203.0.113.9")),
            ip("192.0.2.1")
        );
        assert_eq!(
            p.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("proxy".parse::<Network>().is_err());
        assert!("fd00::/8"
            .parse::<Network>()
            .unwrap()
            .contains(ip("fd12::1")));
    }
}
