//! Non-regex mode: the nginx locations ingress-nginx emits for a host without regex (§4.1).
//!
//! ingress-nginx (`updateServerLocations`) turns each path into nginx locations:
//! - `Exact /p` → `location = /p`;
//! - `Prefix /p` (p ≠ `/`, no trailing slash) → `location /p/` plus `location = /p` (the exact
//!   twin is skipped when an `Exact /p` exists on the host);
//! - `Prefix /p/` → `location /p/` plus `location = /p/`;
//! - `Prefix /` → `location /`.
//!
//! nginx then picks: an exact location equal to the URI; else, when the URI plus `/` names a
//! location whose name ends in `/` (prefix *or* exact: `proxy_pass` sets `auto_redirect` from
//! the name alone), the 301 auto-redirect, which beats shorter prefixes such as `/`; else the
//! longest prefix (case-sensitive, here always ending on a `/` boundary).
//!
//! Lookup is O(number of `/` in the path) hash probes, never a scan of the locations.

use std::collections::HashMap;

use portico_model::{Location, PathType};

use super::is_prefix;
use crate::PathMatch;

/// Invariant: values index `server.locations`; for colliding keys the first location in table
/// order wins, Exact locations before the exact twins of Prefix ones.
#[derive(Debug, Default)]
pub(crate) struct PlainMatcher {
    /// `location = <key>`.
    exact: HashMap<String, usize>,
    /// `location <key>`; every key ends with `/`.
    prefix: HashMap<String, usize>,
    /// Locations named `<key>/`: a request for exactly `<key>` gets the 301 auto-redirect.
    add_slash: HashMap<String, usize>,
}

// === impl PlainMatcher ===

impl PlainMatcher {
    pub(crate) fn build(locations: &[Location]) -> Self {
        let mut m = Self::default();
        for (i, location) in locations.iter().enumerate() {
            if location.path_type == PathType::Exact {
                m.add_exact(&location.path, i);
            }
        }
        for (i, location) in locations.iter().enumerate() {
            if !is_prefix(location.path_type) {
                continue;
            }
            let path = location.path.as_str();
            if path == "/" || path.ends_with('/') {
                m.prefix.entry(path.to_string()).or_insert(i);
                m.add_exact(path, i);
            } else {
                m.prefix.entry(format!("{path}/")).or_insert(i);
                m.exact.entry(path.to_string()).or_insert(i);
            }
        }
        m
    }

    /// An nginx exact location named `path` (which also sets up the auto-redirect when the name
    /// ends with a slash).
    fn add_exact(&mut self, path: &str, i: usize) {
        self.exact.entry(path.to_string()).or_insert(i);
        if let Some(without) = path.strip_suffix('/').filter(|p| !p.is_empty()) {
            self.add_slash.entry(without.to_string()).or_insert(i);
        }
    }

    pub(crate) fn find(&self, path: &str) -> PathMatch {
        if let Some(&i) = self.exact.get(path) {
            return PathMatch::Location(i);
        }
        if let Some(&i) = self.add_slash.get(path) {
            return PathMatch::AddSlash(i);
        }
        for (slash, _) in path.rmatch_indices('/') {
            if let Some(&i) = self.prefix.get(&path[..=slash]) {
                return PathMatch::Location(i);
            }
        }
        PathMatch::NoMatch
    }
}
