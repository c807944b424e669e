//! Host header → server: exact names, then one-label wildcards, as nginx `server_name` (§4.4).

use std::collections::HashMap;

use portico_model::{HostPattern, Server};

/// Longest Host we lowercase on the stack. DNS names have at most 253 bytes, so a longer Host
/// matches no named server.
const MAX_HOST: usize = 255;

/// Lookup tables keyed by lowercase names. Invariant: values index `table.servers`; for a
/// duplicated pattern the first server in table order wins, and a server's host name wins over
/// another server's alias.
#[derive(Debug, Default)]
pub(crate) struct HostIndex {
    exact: HashMap<String, usize>,
    /// `*.example.com` stored as `example.com`.
    wildcard: HashMap<String, usize>,
}

// === impl HostIndex ===

impl HostIndex {
    pub(crate) fn build(servers: &[Server]) -> Self {
        let exact = servers.iter().filter(|s| matches!(s.host, HostPattern::Exact(_))).count();
        let aliases: usize = servers.iter().map(|s| s.aliases.len()).sum();
        // Sized up front: a table of 100,000 hosts otherwise rehashes its names ~17 times.
        let mut index = Self {
            exact: HashMap::with_capacity(exact + aliases),
            wildcard: HashMap::with_capacity(servers.len() - exact),
        };
        for (i, server) in servers.iter().enumerate() {
            match &server.host {
                HostPattern::Exact(name) => {
                    index.exact.entry(canonical(name)).or_insert(i);
                }
                HostPattern::Wildcard(suffix) => {
                    index.wildcard.entry(canonical(suffix)).or_insert(i);
                }
                HostPattern::CatchAll => {}
            }
        }
        // `server-alias` names after every host name, so a host always keeps its server.
        for (i, server) in servers.iter().enumerate() {
            for alias in &server.aliases {
                index.exact.entry(canonical(alias)).or_insert(i);
            }
        }
        index
    }

    /// The named server for a Host header value, if any. Does not allocate.
    pub(crate) fn find(&self, host: &str) -> Option<usize> {
        let host = strip_port_and_dot(host);
        if host.is_empty() || host.len() > MAX_HOST {
            return None;
        }
        let mut buf = [0u8; MAX_HOST];
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = &mut buf[..host.len()];
            lower.copy_from_slice(host.as_bytes());
            lower.make_ascii_lowercase();
            // ASCII lowercasing keeps UTF-8 valid, so this never fails.
            std::str::from_utf8(lower).ok()?
        } else {
            host
        };
        if let Some(&i) = self.exact.get(host) {
            return Some(i);
        }
        // nginx: `^(?<subdomain>[\w-]+)\.suffix$`, exactly one label before the suffix.
        let (label, suffix) = host.split_once('.')?;
        if label.is_empty() || !label.bytes().all(is_label_byte) {
            return None;
        }
        self.wildcard.get(suffix).copied()
    }
}

/// The form names are stored in: lowercase, without one trailing dot.
fn canonical(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// `example.com:8080` → `example.com`, `[::1]:8080` → `[::1]`, `example.com.` → `example.com`.
/// As nginx, the port starts at the first `:` outside brackets.
fn strip_port_and_dot(host: &str) -> &str {
    let host = if host.starts_with('[') {
        match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        }
    } else {
        match host.find(':') {
            Some(colon) => &host[..colon],
            None => host,
        }
    };
    host.strip_suffix('.').unwrap_or(host)
}

/// PCRE `[\w-]` without UTF mode.
fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_find_their_server_but_never_take_a_host() {
        let server = |host: &str, aliases: &[&str]| Server {
            host: HostPattern::Exact(host.to_string()),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            ..Server::default()
        };
        let servers = [server("a.com", &["b.com", "alias.com"]), server("b.com", &[])];
        let index = HostIndex::build(&servers);
        assert_eq!(index.find("ALIAS.com:8080"), Some(0));
        assert_eq!(index.find("b.com"), Some(1), "the host wins over an alias");
        assert_eq!(index.find("c.com"), None);
    }

    #[test]
    fn strips_port_brackets_and_one_dot() {
        let cases = [
            ("example.com", "example.com"),
            ("example.com:8080", "example.com"),
            ("example.com.", "example.com"),
            ("example.com.:80", "example.com"),
            ("example.com..", "example.com."),
            ("[::1]:8080", "[::1]"),
            ("[::1]", "[::1]"),
            ("[::1", "[::1"),
            ("", ""),
            (":80", ""),
        ];
        for (input, want) in cases {
            assert_eq!(strip_port_and_dot(input), want, "{input:?}");
        }
    }
}
