//! nginx's realip module as ingress-nginx configures it: the client address (`$remote_addr`)
//! named by a header (`forwarded-for-header`), believed only from trusted peers
//! (`proxy-real-ip-cidr`), walked from the right past trusted addresses
//! (`real_ip_recursive on`).

use std::net::IpAddr;

use http::HeaderMap;
use portico_model::IpNet;

/// The client address: `peer` unless it is trusted and `header` names someone else. Every
/// line of the header counts, in order; an entry that is not an address makes nginx decline
/// (the peer stays the client).
pub(crate) fn client(peer: IpAddr, headers: &HeaderMap, header: &str, trusted: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut entries = Vec::new();
    for value in headers.get_all(header) {
        let Ok(text) = value.to_str() else { return peer };
        entries.extend(text.split(',').map(str::trim).filter(|e| !e.is_empty()));
    }
    let mut client = peer;
    for entry in entries.iter().rev() {
        let Some(addr) = parse(entry) else { return peer };
        client = addr;
        if !is_trusted(addr, trusted) {
            break;
        }
    }
    client
}

/// `peer` is in one of the trusted networks (an IPv4-mapped IPv6 address counts as IPv4).
pub(crate) fn is_trusted(peer: IpAddr, trusted: &[IpNet]) -> bool {
    let peer = match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&peer))
}

/// An address entry: `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    entry.parse::<std::net::SocketAddr>().ok().map(|addr| addr.ip())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    #[test]
    fn walks_from_the_right_past_trusted_addresses() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let all = nets(&["0.0.0.0/0"]);
        let lan = nets(&["10.0.0.0/8"]);
        let cases: &[(&str, &[&str], &[IpNet], &str)] = &[
            ("10.0.0.1", &["1.1.1.1, 2.2.2.2"], &all, "1.1.1.1"),
            ("10.0.0.1", &["1.1.1.1, 2.2.2.2, 10.0.0.7"], &lan, "2.2.2.2"),
            ("10.0.0.1", &["1.1.1.1", "10.0.0.7"], &lan, "1.1.1.1"),
            ("10.0.0.1", &["10.0.0.9, 10.0.0.7"], &lan, "10.0.0.9"),
            ("192.0.2.1", &["1.1.1.1"], &lan, "192.0.2.1"),
            ("10.0.0.1", &[], &lan, "10.0.0.1"),
            ("10.0.0.1", &["1.1.1.1, junk"], &lan, "10.0.0.1"),
            ("10.0.0.1", &["1.1.1.1:443"], &lan, "1.1.1.1"),
            ("::1", &["1.1.1.1"], &all, "::1"),
            ("::ffff:10.0.0.1", &["1.1.1.1"], &lan, "1.1.1.1"),
        ];
        for (peer, values, trusted, want) in cases {
            let got = client(ip(peer), &headers(values), "x-forwarded-for", trusted);
            assert_eq!(got, ip(want), "{peer} {values:?}");
        }
    }
}
