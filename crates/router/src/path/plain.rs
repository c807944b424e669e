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

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use portico_model::{Location, PathType};

use super::is_prefix;
use crate::PathMatch;

/// The three kinds of nginx location names a path turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `location = <name>`.
    Exact,
    /// `location <name>`; the name ends with `/`.
    Prefix,
    /// A location is named `<name>/`: a request for exactly `<name>` gets the 301
    /// auto-redirect.
    AddSlash,
}

/// One location name: `names[start..start + len]` of its kind, answered by `location`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    kind: Kind,
    start: u32,
    len: u32,
    location: u32,
}

/// Invariant: each (kind, name) appears once, in `entries`, mapped to the first location in
/// table order giving it (Exact locations before the exact twins of Prefix ones); locations
/// index `server.locations`. Names are stored back to back in one string, and a server with
/// few names is searched by scan: a host of two paths costs two allocations, not three hash
/// tables and a string per name.
#[derive(Debug, Default)]
pub(crate) struct PlainMatcher {
    names: String,
    entries: Vec<Entry>,
    /// Entry indexes by (kind, name), once there are more than [`SCAN_LIMIT`] entries.
    index: Option<Index>,
}

/// The hash table of a large server: entry indexes, hashed by (kind, name).
#[derive(Debug, Default)]
struct Index {
    table: HashTable<u32>,
    hasher: RandomState,
}

/// Up to this many names are found by scanning (a few byte comparisons beat hashing).
const SCAN_LIMIT: usize = 8;

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
                m.add(Kind::Prefix, &[path], i);
                m.add_exact(path, i);
            } else {
                m.add(Kind::Prefix, &[path, "/"], i);
                m.add(Kind::Exact, &[path], i);
            }
        }
        m.names.shrink_to_fit();
        m.entries.shrink_to_fit();
        m
    }

    /// An nginx exact location named `path` (which also sets up the auto-redirect when the name
    /// ends with a slash).
    fn add_exact(&mut self, path: &str, i: usize) {
        self.add(Kind::Exact, &[path], i);
        if let Some(without) = path.strip_suffix('/').filter(|p| !p.is_empty()) {
            self.add(Kind::AddSlash, &[without], i);
        }
    }

    /// Adds the name `parts` (concatenated) of `kind` for location `i`, unless it is already
    /// taken (the first location keeps it).
    fn add(&mut self, kind: Kind, parts: &[&str], i: usize) {
        let start = self.names.len();
        for part in parts {
            self.names.push_str(part);
        }
        let name = self.names.get(start..).unwrap_or_default();
        if self.lookup(kind, name).is_some() {
            self.names.truncate(start);
            return;
        }
        let (Ok(start), Ok(len), Ok(location)) =
            (u32::try_from(start), u32::try_from(name.len()), u32::try_from(i))
        else {
            // Over 4 GiB of names or locations in one server: not a table the compiler makes.
            self.names.truncate(start);
            return;
        };
        self.entries.push(Entry { kind, start, len, location });
        let at = self.entries.len() - 1;
        match &mut self.index {
            Some(index) => index.insert(&self.names, &self.entries, at),
            None if self.entries.len() > SCAN_LIMIT => {
                let mut index = Index::default();
                for at in 0..self.entries.len() {
                    index.insert(&self.names, &self.entries, at);
                }
                self.index = Some(index);
            }
            None => {}
        }
    }

    /// The name of an entry.
    fn name(&self, entry: &Entry) -> &str {
        name_of(&self.names, entry)
    }

    /// The location answering the name `name` of `kind`.
    fn lookup(&self, kind: Kind, name: &str) -> Option<usize> {
        let found = match &self.index {
            Some(index) => index.find(&self.names, &self.entries, kind, name),
            None => self.entries.iter().find(|e| e.kind == kind && self.name(e) == name),
        };
        found.map(|entry| entry.location as usize)
    }

    pub(crate) fn find(&self, path: &str) -> PathMatch {
        if let Some(i) = self.lookup(Kind::Exact, path) {
            return PathMatch::Location(i);
        }
        if let Some(i) = self.lookup(Kind::AddSlash, path) {
            return PathMatch::AddSlash(i);
        }
        for (slash, _) in path.rmatch_indices('/') {
            if let Some(i) = path.get(..=slash).and_then(|p| self.lookup(Kind::Prefix, p)) {
                return PathMatch::Location(i);
            }
        }
        PathMatch::NoMatch
    }
}

fn name_of<'a>(names: &'a str, entry: &Entry) -> &'a str {
    let start = entry.start as usize;
    names.get(start..start + entry.len as usize).unwrap_or_default()
}

// === impl Index ===

impl Index {
    fn hash(&self, kind: Kind, name: &str) -> u64 {
        self.hasher.hash_one((kind, name))
    }

    fn insert(&mut self, names: &str, entries: &[Entry], at: usize) {
        let Some(entry) = entries.get(at) else { return };
        let hash = self.hash(entry.kind, name_of(names, entry));
        let rehash = |&e: &u32| {
            let entry = entries.get(e as usize).copied();
            entry.map_or(0, |entry| self.hasher.hash_one((entry.kind, name_of(names, &entry))))
        };
        self.table.insert_unique(hash, at as u32, rehash);
    }

    fn find<'a>(
        &self,
        names: &str,
        entries: &'a [Entry],
        kind: Kind,
        name: &str,
    ) -> Option<&'a Entry> {
        let hash = self.hash(kind, name);
        let at = self.table.find(hash, |&e| {
            entries
                .get(e as usize)
                .is_some_and(|entry| entry.kind == kind && name_of(names, entry) == name)
        })?;
        entries.get(*at as usize)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use portico_model::{LocationPolicy, Target};

    use super::*;

    fn loc(path: &str, path_type: PathType) -> Location {
        let policy = Arc::new(LocationPolicy::default());
        Location::new(path.to_string(), path_type, Target::NotFound, policy)
    }

    /// The same answers whether the names are scanned (few) or hashed (many): every name of a
    /// large server is found, the first location giving a name keeps it, and the longest
    /// prefix wins.
    #[test]
    fn scanned_and_hashed_servers_answer_alike() {
        for extra in [0, 30] {
            let mut locations = vec![loc("/a", PathType::Prefix), loc("/a", PathType::Exact)];
            locations.push(loc("/a/b/", PathType::Prefix));
            locations.push(loc("/", PathType::Prefix));
            for i in 0..extra {
                locations.push(loc(&format!("/x{i}"), PathType::Prefix));
            }
            let m = PlainMatcher::build(&locations);
            assert_eq!(m.index.is_some(), extra > 0);
            // Exact locations come first: `Exact /a` owns `= /a`, `Prefix /a` owns `/a/`.
            assert_eq!(m.find("/a"), PathMatch::Location(1));
            assert_eq!(m.find("/a/c"), PathMatch::Location(0));
            assert_eq!(m.find("/a/b/c"), PathMatch::Location(2));
            assert_eq!(m.find("/a/b"), PathMatch::AddSlash(2));
            assert_eq!(m.find("/zzz"), PathMatch::Location(3));
            for i in 0..extra {
                assert_eq!(m.find(&format!("/x{i}/y")), PathMatch::Location(4 + i));
                assert_eq!(m.find(&format!("/x{i}")), PathMatch::Location(4 + i));
            }
        }
    }
}
