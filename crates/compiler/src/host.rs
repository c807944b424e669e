//! Host names of Ingress rules: normalization and validation into a [`HostPattern`].

use std::net::IpAddr;

use portico_model::HostPattern;

/// Longest DNS name the Kubernetes API accepts (DNS-1123 subdomain).
const MAX_HOST_LEN: usize = 253;
/// Longest DNS label.
const MAX_LABEL_LEN: usize = 63;

/// Parses a rule host: lowercased, one trailing dot stripped, `*.suffix` as a wildcard.
/// Rejects what the Kubernetes API rejects: IP addresses, ports, `*` anywhere but as the whole
/// first label, and names that are not DNS-1123 subdomains. The error says why.
pub(crate) fn parse_rule_host(raw: &str) -> Result<HostPattern, String> {
    let lower = raw.to_ascii_lowercase();
    let host = lower.strip_suffix('.').unwrap_or(&lower);
    if host.parse::<IpAddr>().is_ok() {
        return Err(format!("host {raw:?} is an IP address; Ingress hosts must be DNS names"));
    }
    if let Some(suffix) = host.strip_prefix("*.") {
        return dns1123_subdomain(suffix)
            .map(|()| HostPattern::Wildcard(suffix.to_string()))
            .map_err(|why| format!("host {raw:?}: {why}"));
    }
    if host.contains('*') {
        return Err(format!(
            "host {raw:?}: `*` is only allowed as the whole first label (`*.example.com`)"
        ));
    }
    dns1123_subdomain(host).map_err(|why| format!("host {raw:?}: {why}"))?;
    Ok(HostPattern::Exact(host.to_string()))
}

/// Checks a lowercase DNS-1123 subdomain: dot-separated labels of `[a-z0-9-]`, each starting
/// and ending with an alphanumeric, at most 63 bytes each and 253 in total.
pub(crate) fn dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".to_string());
    }
    if name.len() > MAX_HOST_LEN {
        return Err(format!("longer than {MAX_HOST_LEN} characters"));
    }
    for label in name.split('.') {
        let bytes = label.as_bytes();
        let valid_chars =
            bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
            return Err("empty label".to_string());
        };
        if !valid_chars || !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
            return Err(format!(
                "label {label:?} is not a DNS-1123 label (lowercase letters, digits and `-`, starting and ending with a letter or digit)"
            ));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(format!("label {label:?} is longer than {MAX_LABEL_LEN} characters"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_validates() {
        let exact = |h: &str| Some(HostPattern::Exact(h.to_string()));
        let wild = |h: &str| Some(HostPattern::Wildcard(h.to_string()));
        let cases = [
            ("example.com", exact("example.com")),
            ("Example.COM", exact("example.com")),
            ("example.com.", exact("example.com")),
            ("a-b.c1.io", exact("a-b.c1.io")),
            ("localhost", exact("localhost")),
            ("*.example.com", wild("example.com")),
            ("*.Example.com.", wild("example.com")),
            ("*.com", wild("com")),
            ("10.0.0.1", None),
            ("::1", None),
            ("example.com:80", None),
            ("*", None),
            ("*.", None),
            ("a.*.com", None),
            ("*foo.com", None),
            ("-a.com", None),
            ("a-.com", None),
            ("a..com", None),
            ("a_b.com", None),
            (".", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_rule_host(raw).ok(), want, "host {raw:?}");
        }
    }

    #[test]
    fn label_and_name_lengths() {
        assert!(dns1123_subdomain(&"a".repeat(63)).is_ok());
        assert!(dns1123_subdomain(&"a".repeat(64)).is_err());
        let long = vec!["a".repeat(60); 5].join(".");
        assert!(dns1123_subdomain(&long).is_err());
    }
}
