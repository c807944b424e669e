//! A server being merged: its locations indexed by (path, path kind), then finished into a
//! [`Server`] in first-match order.

use std::collections::HashMap;
use std::sync::Arc;

use portico_model::{HostPattern, HostTls, Location, ObjectRef, PathType, Server};

use crate::ingress::Extracted;

/// Identity of a location for duplicate detection. ingress-nginx turns a missing pathType and
/// `ImplementationSpecific` into `Prefix` before merging, so those three collide; `Exact`
/// coexists with them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PathKey {
    path: String,
    exact: bool,
}

/// Up to this many locations a server's are searched by scan; above, [`ServerDraft::index`]
/// finds them (most hosts have a few paths: no map, no key strings).
const SCAN_LIMIT: usize = 8;

/// Locations of one host so far, plus host-wide settings.
#[derive(Debug)]
pub(crate) struct ServerDraft {
    pub host: HostPattern,
    /// In insertion order (implicit root first); sorted by [`ServerDraft::finish`].
    pub locations: Vec<Location>,
    /// Location indexes by identity, once there are more than [`SCAN_LIMIT`] locations.
    index: Option<HashMap<PathKey, usize>>,
    /// From the oldest Ingress of the host that sets `app-root`.
    pub app_root: Option<String>,
    pub has_certificate: bool,
    /// `server-alias` of the oldest Ingress of the host setting it (checked against the other
    /// hosts once all are known), and that Ingress.
    pub aliases: Vec<String>,
    pub aliases_from: Option<Arc<Extracted>>,
    /// The first Ingress with `from-to-www-redirect` that added a path to this host.
    pub from_to_www: Option<ObjectRef>,
}

// === impl PathKey ===

impl PathKey {
    fn of(path: &str, path_type: PathType) -> Self {
        Self { path: path.to_string(), exact: path_type == PathType::Exact }
    }
}

/// Whether `location` has the identity of a path `path` of type `path_type` ([`PathKey`]).
fn same_identity(location: &Location, path: &str, path_type: PathType) -> bool {
    location.path == path
        && (location.path_type == PathType::Exact) == (path_type == PathType::Exact)
}

// === impl ServerDraft ===

impl ServerDraft {
    pub(crate) fn new(host: HostPattern) -> Self {
        Self {
            host,
            locations: Vec::new(),
            index: None,
            app_root: None,
            has_certificate: false,
            aliases: Vec::new(),
            aliases_from: None,
            from_to_www: None,
        }
    }

    /// Index of the location with the identity of path `path` of type `path_type`, if any.
    pub(crate) fn find(&self, path: &str, path_type: PathType) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(&PathKey::of(path, path_type)).copied(),
            None => self.locations.iter().position(|l| same_identity(l, path, path_type)),
        }
    }

    /// Adds a location whose identity is not present yet.
    pub(crate) fn push(&mut self, mut location: Location) {
        location.order = u32::try_from(self.locations.len()).unwrap_or(u32::MAX);
        self.locations.push(location);
        let added = self.locations.len() - 1;
        match &mut self.index {
            Some(index) => {
                let location = &self.locations[added];
                index.insert(PathKey::of(&location.path, location.path_type), added);
            }
            None if self.locations.len() > SCAN_LIMIT => {
                let keys = self.locations.iter().map(|l| PathKey::of(&l.path, l.path_type));
                // First location wins a key, as scanning finds the first.
                let mut index = HashMap::with_capacity(self.locations.len());
                for (i, key) in keys.enumerate() {
                    index.entry(key).or_insert(i);
                }
                self.index = Some(index);
            }
            None => {}
        }
    }

    /// Replaces location `i` (the implicit root taken over by an explicit path) in place, as
    /// ingress-nginx mutates the location, so its position among equal paths is kept.
    pub(crate) fn replace(&mut self, i: usize, mut location: Location) {
        if let Some(slot) = self.locations.get_mut(i) {
            location.order = slot.order;
            *slot = location;
        }
    }

    /// Sorts the locations by [`Location::precedence`] (descending path length, then descending
    /// path, then insertion order: ingress-nginx's two stable sorts), and decides
    /// regex mode: some location uses regex or rewrites (§1.3).
    /// Takes the draft's fields (left empty), so that the ~250-byte draft is not moved.
    pub(crate) fn finish(&mut self) -> Server {
        let mut locations = std::mem::take(&mut self.locations);
        locations.sort_by(|a, b| a.precedence().cmp(&b.precedence()));
        // Served as is until the next change: no room kept for growth.
        locations.shrink_to_fit();
        let regex_mode =
            locations.iter().any(|l| l.policy.use_regex || l.policy.filters.rewrite().is_some());
        Server {
            host: std::mem::take(&mut self.host),
            locations,
            regex_mode,
            app_root: self.app_root.take(),
            has_certificate: self.has_certificate,
            certificate: None,
            client_auth: None,
            tls: HostTls::default(),
            aliases: std::mem::take(&mut self.aliases),
            redirect_to: None,
            passthrough: None,
        }
    }
}
