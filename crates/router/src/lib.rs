//! Host, path and request-head matching over a [`RouteTable`], and the URL normalization done before it.
//! Pure: built once per table, then read-only and lock-free.
//!
//! The request path the router sees is the output of [`normalize::normalize`]; the proxy keeps
//! the raw request-target for the backend unless a rewrite applies (§1.2).
//!
//! - Hosts ([`Router::find_server`], §4.4): exact name, then one-label wildcard, then `_`.
//! - Paths ([`Router::find_location`], §4.1): nginx `location = /p` / `location /p/` semantics
//!   outside regex mode; first-match over `~* "^<path>"` regexes in regex mode (§1.3).
//! - Rewrites ([`Router::rewrite_target`], §1.2): `rewrite "(?i)<path>" <target> break;`.
//! - Targets ([`Router::choose`]): a location's canary rules on the request head, then weights.
#![forbid(unsafe_code)]

mod choose;
mod host;
pub mod normalize;
mod path;
mod rewrite;

use portico_model::{Diagnostic, RouteTable, Server};

use crate::choose::Chooser;
use crate::host::HostIndex;
use crate::path::PathMatcher;
use crate::rewrite::RewriteRule;

pub use crate::choose::RequestHead;
pub use crate::rewrite::Rewrite;

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

/// Matching structures compiled from one table. Server `i` of the table is `servers[i]`; the
/// default server is last.
#[derive(Debug)]
pub struct Router {
    hosts: HostIndex,
    servers: Vec<ServerRoutes>,
}

/// The compiled locations of one server.
#[derive(Debug)]
struct ServerRoutes {
    paths: PathMatcher,
    /// Indexed like `server.locations`; `Some` for locations that rewrite. Ends at the last
    /// `Some` ([`trimmed`]): empty for a server without rewrites.
    rewrites: Vec<Option<RewriteRule>>,
    /// Indexed like `server.locations`; `Some` for locations with more than one target. Ends
    /// at the last `Some`, like `rewrites`.
    choosers: Vec<Option<Chooser>>,
}

// === impl Router ===

impl Router {
    /// Compiles host lookup and per-server path matchers. Locations whose regex does not compile
    /// are left out and reported.
    pub fn build(table: &RouteTable) -> (Router, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let servers = table
            .servers
            .iter()
            .chain(std::iter::once(&table.default_server))
            .map(|server| ServerRoutes::build(server, &mut diagnostics))
            .collect();
        let router = Router { hosts: HostIndex::build(&table.servers), servers };
        (router, diagnostics)
    }

    /// The server answering for a Host header value (case-insensitive, port and one trailing
    /// dot ignored): exact, then one-label wildcard, then the default server.
    pub fn find_server(&self, host: &str) -> ServerId {
        ServerId(self.hosts.find(host).unwrap_or(self.default_server().0))
    }

    /// The default (`_`) server.
    pub fn default_server(&self) -> ServerId {
        ServerId(self.servers.len().saturating_sub(1))
    }

    /// The location of `server` matching the normalized `path`, by ingress-nginx precedence.
    pub fn find_location(&self, server: ServerId, path: &str) -> PathMatch {
        match self.servers.get(server.0) {
            Some(routes) => routes.paths.find(path),
            None => PathMatch::NoMatch,
        }
    }

    /// Applies the `rewrite-target` of a location to the normalized `path`: the whole URI is
    /// replaced by the target with `$1..$9` expanded from the path regex (case-insensitive,
    /// unanchored). `None` when the location does not rewrite or the regex does not match.
    ///
    /// The result is escaped for the request line (see [`Rewrite::Uri`]); the caller appends the
    /// original query. A target that is an absolute `http(s)://` URL is a redirect in nginx,
    /// not a rewrite: this method returns `None` for it, use [`Router::rewrite_target`].
    pub fn rewrite(&self, server: ServerId, location: usize, path: &str) -> Option<String> {
        match self.rewrite_target(server, location, path)? {
            Rewrite::Uri(uri) => Some(uri),
            Rewrite::Redirect(_) => None,
        }
    }

    /// Which of the location's targets ([`portico_model::Backends::targets`]) takes this
    /// request: the first rule matching the head, else a weighted draw (`draw(n)` returns a
    /// uniform value in `0..n`). Always `0` for a location with one target, without reading
    /// the head.
    pub fn choose(
        &self,
        server: ServerId,
        location: usize,
        head: &RequestHead<'_>,
        draw: impl FnOnce(u64) -> u64,
    ) -> usize {
        let chooser = self.servers.get(server.0).and_then(|s| s.choosers.get(location)?.as_ref());
        chooser.map_or(0, |c| c.choose(head, draw))
    }

    /// Like [`Router::rewrite`], but also reports targets that redirect (nginx answers 302).
    pub fn rewrite_target(&self, server: ServerId, location: usize, path: &str) -> Option<Rewrite> {
        let rule = self.servers.get(server.0)?.rewrites.get(location)?.as_ref()?;
        rule.apply(path)
    }
}

// === impl ServerRoutes ===

impl ServerRoutes {
    fn build(server: &Server, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let (paths, failed) = PathMatcher::build(server, diagnostics);
        let rewrites = server
            .locations
            .iter()
            .enumerate()
            .map(|(i, location)| {
                // A location whose path regex failed already has its diagnostic and is unreachable.
                if failed.contains(&i) {
                    return None;
                }
                RewriteRule::build(location, diagnostics)
            })
            .collect();
        let choosers =
            server.locations.iter().map(|l| Chooser::build(&l.backends, diagnostics)).collect();
        Self { paths, rewrites: trimmed(rewrites), choosers: trimmed(choosers) }
    }
}

/// `cells` without its trailing `None`s and spare capacity: most servers have no rewrite and
/// no canary, and a lookup past the end reads as `None` anyway.
fn trimmed<T>(mut cells: Vec<Option<T>>) -> Vec<Option<T>> {
    let used = cells.iter().rposition(Option::is_some).map_or(0, |last| last + 1);
    cells.truncate(used);
    cells.shrink_to_fit();
    cells
}

/// The locations of `server` that regex mode leaves out because their regex does not compile,
/// each with the diagnostic [`Router::build`] would give; empty when the server is not in regex
/// mode. For the compiler, which drops them from the table (so nothing lists what is not
/// served) and names the Ingress field.
pub fn regex_failures(server: &Server) -> Vec<(usize, Diagnostic)> {
    if !server.regex_mode {
        return Vec::new();
    }
    path::regex_failures(&server.locations)
}

/// The server behind an id.
pub fn server(table: &RouteTable, id: ServerId) -> &Server {
    table.servers.get(id.0).unwrap_or(&table.default_server)
}

#[cfg(test)]
mod tests;
