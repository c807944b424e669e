//! Host and path matching over a [`RouteTable`], and the URL normalization done before it.
//! Pure: built once per table, then read-only and lock-free.
#![forbid(unsafe_code)]

use portico_model::{Diagnostic, RouteTable, Server};

/// Index of a server: `0..table.servers.len()` are named servers, `table.servers.len()` is the
/// default (`_`) server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerId(pub usize);

/// Result of matching a path within one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMatch {
    /// Index into `server.locations`.
    Location(usize),
    /// nginx's auto-redirect: the request is `/p` and only a Prefix location `/p/` would take
    /// it; answer 301 to the path with a `/` appended (§1.6). Index of that location.
    AddSlash(usize),
    NoMatch,
}

/// Matching structures compiled from one table.
#[derive(Debug)]
pub struct Router {
    _private: (),
}

impl Router {
    /// Compiles host lookup and per-server path matchers. Locations whose regex does not compile
    /// are left out and reported.
    pub fn build(table: &RouteTable) -> (Router, Vec<Diagnostic>) {
        let _ = table;
        unimplemented!("router")
    }

    /// The server answering for a Host header value (case-insensitive, port and one trailing
    /// dot ignored): exact, then one-label wildcard, then the default server.
    pub fn find_server(&self, host: &str) -> ServerId {
        let _ = host;
        unimplemented!("router")
    }

    /// The location of `server` matching the normalized `path`, by ingress-nginx precedence.
    pub fn find_location(&self, server: ServerId, path: &str) -> PathMatch {
        let _ = (server, path);
        unimplemented!("router")
    }

    /// Applies the `rewrite-target` of a location to the normalized `path`: the whole URI is
    /// replaced by the target with `$1..$9` expanded from the path regex (case-insensitive,
    /// unanchored). `None` when the location does not rewrite or the regex does not match.
    pub fn rewrite(&self, server: ServerId, location: usize, path: &str) -> Option<String> {
        let _ = (server, location, path);
        unimplemented!("router")
    }
}

/// The server behind an id.
pub fn server(table: &RouteTable, id: ServerId) -> &Server {
    table.servers.get(id.0).unwrap_or(&table.default_server)
}
