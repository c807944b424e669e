//! Per-host handshake values looked up by SNI the way nginx picks the server of a TLS
//! connection: the exact host, then the one-label wildcard, then the `_` server's (for an SNI
//! naming no host, or none). Shared by the client-certificate and the cipher settings.

use std::collections::HashMap;

use portico_model::{HostPattern, RouteTable, Server};

use crate::names::normalize;

/// One value per host of a table. Invariant: when the `_` server has a value, every named
/// host has an entry (`None` when it has no value), so its SNI never falls through to `_`'s.
#[derive(Debug)]
pub(crate) struct SniMap<T> {
    /// Named hosts (`*.suffix` for wildcards), normalized.
    hosts: HashMap<String, Option<T>>,
    default: Option<T>,
}

// === impl SniMap ===

impl<T> Default for SniMap<T> {
    fn default() -> Self {
        Self { hosts: HashMap::new(), default: None }
    }
}

impl<T> SniMap<T> {
    /// `value` of every server of `table` (the `_` server first).
    pub(crate) fn build(table: &RouteTable, mut value: impl FnMut(&Server) -> Option<T>) -> Self {
        let mut map = Self { hosts: HashMap::new(), default: value(&table.default_server) };
        for server in &table.servers {
            let found = value(server);
            if found.is_some() || map.default.is_some() {
                map.hosts.insert(normalize(&server.host.to_string()), found);
            }
        }
        map
    }

    /// The value of the server of `host` in this map (for reuse across tables).
    pub(crate) fn of_host(&self, host: &HostPattern) -> Option<&T> {
        match host {
            HostPattern::CatchAll => self.default.as_ref(),
            _ => self.hosts.get(&normalize(&host.to_string())).and_then(Option::as_ref),
        }
    }

    /// The value for a handshake with this SNI.
    pub(crate) fn lookup(&self, sni: Option<&str>) -> Option<&T> {
        let Some(name) = sni else { return self.default.as_ref() };
        let name = normalize(name);
        if let Some(found) = self.hosts.get(&name) {
            return found.as_ref();
        }
        let wildcard =
            name.split_once('.').and_then(|(_, parent)| self.hosts.get(&format!("*.{parent}")));
        match wildcard {
            Some(found) => found.as_ref(),
            None => self.default.as_ref(),
        }
    }

    /// No host has a value.
    pub(crate) fn is_empty(&self) -> bool {
        self.default.is_none() && self.hosts.values().all(Option::is_none)
    }

    /// The named hosts that have a value, sorted (for `Debug`).
    pub(crate) fn hosts(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> =
            self.hosts.iter().filter(|(_, v)| v.is_some()).map(|(h, _)| h.as_str()).collect();
        hosts.sort_unstable();
        hosts
    }

    pub(crate) fn has_default(&self) -> bool {
        self.default.is_some()
    }
}
