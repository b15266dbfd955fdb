//! The client's network address, for rate limits and sign-in throttling.
//!
//! Without `ROSTER_TRUST_PROXY` it is the TCP peer, whatever the headers say.
//! Behind a proxy, the proxy appends the address it saw to `X-Forwarded-For`;
//! everything left of that was written by whoever sent the request and can be
//! forged. So the address is found from the right: starting at the peer, each
//! hop that is a trusted proxy (`ROSTER_TRUSTED_PROXIES`) hands over to the
//! address it reports, and the first hop that is not trusted is the client. A
//! malformed entry stops the walk at the last trusted hop. `Forwarded` (RFC
//! 7239) is read instead only with `ROSTER_TRUST_FORWARDED_HEADER`.

use std::net::IpAddr;

use anyhow::{bail, Context};

/// An address range such as `10.0.0.0/8`, `::1` or `192.0.2.7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let base: IpAddr = addr
            .parse()
            .with_context(|| format!("{raw:?} is not an IP address or range"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .with_context(|| format!("{raw:?} has a prefix length outside 0..={max}"))?,
            None => max,
        };
        Ok(Self { base, prefix })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
            v4 => v4,
        };
        match (self.base, addr) {
            (IpAddr::V4(base), IpAddr::V4(addr)) => same_prefix(
                u32::from(base).into(),
                u32::from(addr).into(),
                32,
                self.prefix,
            ),
            (IpAddr::V6(base), IpAddr::V6(addr)) => {
                same_prefix(u128::from(base), u128::from(addr), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = u32::from(bits - prefix);
    (a >> shift) == (b >> shift)
}

/// Whom Roster believes about the client address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyTrust {
    /// `ROSTER_TRUST_PROXY`: read forwarding headers at all.
    pub enabled: bool,
    /// `ROSTER_TRUSTED_PROXIES`: the proxies' own addresses (comma-separated
    /// addresses or ranges; loopback by default).
    pub trusted: Vec<IpRange>,
    /// `ROSTER_TRUST_FORWARDED_HEADER`: read `Forwarded` rather than `X-Forwarded-For`.
    pub forwarded_header: bool,
}

pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.0/8,::1";

impl ProxyTrust {
    pub fn parse(enabled: bool, trusted: &str, forwarded_header: bool) -> anyhow::Result<Self> {
        let trusted = trusted
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(IpRange::parse)
            .collect::<anyhow::Result<Vec<_>>>()
            .context("ROSTER_TRUSTED_PROXIES")?;
        if enabled && trusted.is_empty() {
            bail!("ROSTER_TRUST_PROXY is on but ROSTER_TRUSTED_PROXIES lists no proxy");
        }
        Ok(Self {
            enabled,
            trusted,
            forwarded_header,
        })
    }

    pub fn off() -> Self {
        Self {
            enabled: false,
            trusted: Vec::new(),
            forwarded_header: false,
        }
    }

    fn is_trusted(&self, addr: IpAddr) -> bool {
        self.trusted.iter().any(|r| r.contains(addr))
    }

    /// The client address of a request from `peer` carrying these header values
    /// (each header line's value, in the order received).
    pub fn client(&self, peer: IpAddr, forwarded: &[&str], x_forwarded_for: &[&str]) -> IpAddr {
        if !self.enabled || !self.is_trusted(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = if self.forwarded_header {
            forwarded
                .iter()
                .flat_map(|line| line.split(','))
                .map(forwarded_for)
                .collect()
        } else {
            x_forwarded_for
                .iter()
                .flat_map(|line| line.split(','))
                .map(|hop| parse_hop(hop.trim()))
                .collect()
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(addr) = hop else { break };
            client = addr;
            if !self.is_trusted(addr) {
                break;
            }
        }
        client
    }
}

/// The `for=` parameter of one `Forwarded` element, when it is an address.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_hop(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse() {
        return Some(addr);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn behind(trusted: &str) -> ProxyTrust {
        ProxyTrust::parse(true, trusted, false).unwrap()
    }

    #[test]
    fn ranges_match_their_addresses_only() {
        let r = IpRange::parse("10.1.0.0/16").unwrap();
        assert!(r.contains(ip("10.1.200.3")));
        assert!(!r.contains(ip("10.2.0.1")));
        assert!(r.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped IPv6");
        assert!(IpRange::parse("::1").unwrap().contains(ip("::1")));
        assert!(!IpRange::parse("::1").unwrap().contains(ip("::2")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("proxy.internal").is_err());
    }

    #[test]
    fn without_trust_the_peer_is_the_client_whatever_the_headers_say() {
        let off = ProxyTrust::parse(false, DEFAULT_TRUSTED_PROXIES, false).unwrap();
        assert_eq!(
            off.client(ip("127.0.0.1"), &[], &["203.0.113.9"]),
            ip("127.0.0.1")
        );
        // Trusted headers, but from a peer that is not a trusted proxy.
        assert_eq!(
            behind("10.0.0.1").client(ip("198.51.100.4"), &[], &["203.0.113.9"]),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client_and_forged_left_entries_are_ignored() {
        let p = behind("127.0.0.1,10.0.0.0/8");
        // The client wrote "1.1.1.1"; the proxy appended what it saw.
        assert_eq!(
            p.client(ip("127.0.0.1"), &[], &["1.1.1.1, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Two proxies, the inner one trusted too; several header lines.
        assert_eq!(
            p.client(ip("127.0.0.1"), &[], &["6.6.6.6, 203.0.113.9", "10.0.0.5"]),
            ip("203.0.113.9")
        );
        // Every hop trusted: the left-most one is the best there is.
        assert_eq!(
            p.client(ip("127.0.0.1"), &[], &["10.0.0.7"]),
            ip("10.0.0.7")
        );
        // No header: the peer.
        assert_eq!(p.client(ip("127.0.0.1"), &[], &[]), ip("127.0.0.1"));
    }

    #[test]
    fn a_malformed_hop_stops_at_the_last_trusted_one() {
        let p = behind("127.0.0.1,10.0.0.0/8");
        assert_eq!(
            p.client(ip("127.0.0.1"), &[], &["203.0.113.9, not-an-ip"]),
            ip("127.0.0.1")
        );
        assert_eq!(
            p.client(ip("127.0.0.1"), &[], &["garbage, 10.0.0.3"]),
            ip("10.0.0.3")
        );
        assert_eq!(
            p.client(ip("127.0.0.1"), &[], &["203.0.113.9:4711"]),
            ip("203.0.113.9")
        );
        assert_eq!(p.client(ip("127.0.0.1"), &[], &[""]), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_is_ignored_unless_configured_and_then_parsed_from_the_right() {
        let xff = behind("127.0.0.1");
        assert_eq!(
            xff.client(ip("127.0.0.1"), &["for=203.0.113.9"], &[]),
            ip("127.0.0.1")
        );
        let fwd = ProxyTrust::parse(true, "127.0.0.1", true).unwrap();
        assert_eq!(
            fwd.client(
                ip("127.0.0.1"),
                &["for=1.1.1.1;proto=http, for=\"[2001:db8::7]:4711\";by=127.0.0.1"],
                &["9.9.9.9"],
            ),
            ip("2001:db8::7")
        );
        assert_eq!(
            fwd.client(ip("127.0.0.1"), &["for=_hidden, for=unknown"], &[]),
            ip("127.0.0.1")
        );
    }
}
