//! The routing table: servers (one per host), their locations, and the backends they use.

use std::sync::Arc;

use crate::{
    Backend, BackendId, Backends, ClientAuth, GlobalConfig, HostTls, LocationPolicy, ObjectRef,
};

/// Everything the proxy needs to answer a request. Built whole by the compiler, swapped in
/// atomically, never mutated afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteTable {
    /// Named servers (exact and wildcard hosts), sorted by host name; at most one per pattern.
    pub servers: Vec<Server>,
    /// The `_` server: rules without host, and the catch-all default backend. It answers every
    /// request whose Host matches no named server.
    pub default_server: Server,
    /// Upstreams referenced by [`Target::Backend`].
    pub backends: Vec<Backend>,
    pub global: GlobalConfig,
    /// `--default-ssl-certificate`, when its Secret was found with both PEM fields; `None`: the
    /// generated fake certificate is the default (§3.1).
    pub default_certificate: Option<Arc<TlsSecret>>,
}

/// The host a server answers for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum HostPattern {
    /// Lowercase host name without port or trailing dot.
    Exact(String),
    /// `*.example.com`, stored as the lowercase suffix `example.com`; matches exactly one extra
    /// label of `[A-Za-z0-9_-]`.
    Wildcard(String),
    /// The `_` server.
    #[default]
    CatchAll,
}

/// One virtual host: the merge of every Ingress rule for that host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Server {
    pub host: HostPattern,
    /// Locations in the order the compiler emits them: for regex mode this is the first-match
    /// order (descending path length, ties descending lexicographic, §1.3).
    pub locations: Vec<Location>,
    /// Some location of this host uses regex or rewrites: every path is a case-insensitive
    /// regex anchored at the start only (§1.3).
    pub regex_mode: bool,
    /// `app-root`: `GET /` answers 302 to this path (§1.5).
    pub app_root: Option<String>,
    /// A certificate is configured for this host (a `spec.tls` entry covers it, or the default
    /// certificate was assigned): drives `ssl-redirect` (§1.4).
    pub has_certificate: bool,
    /// The Secret assigned to this host by §3.1; `None` means the default certificate. The TLS
    /// layer still checks that it parses and covers the host (falling back to the default).
    pub certificate: Option<Arc<TlsSecret>>,
    /// `auth-tls-*` of the host (the oldest Ingress of the host setting it): the handshake of
    /// this host asks for a client certificate. Its locations carry the matching filter.
    pub client_auth: Option<Arc<ClientAuth>>,
    /// `ssl-ciphers` / `ssl-prefer-server-ciphers` of the host: its handshakes' suites and
    /// order rule when they differ from the listener's.
    pub tls: HostTls,
    /// `server-alias`: more exact names (lowercase) this server answers for, from the oldest
    /// Ingress of the host setting it. Never the host of another server (those are dropped
    /// by the compiler); a host name always wins over an alias in the router.
    pub aliases: Vec<String>,
    /// `from-to-www-redirect`: this server is the www/non-www twin of an Ingress host and
    /// answers every request with `http-redirect-code` to that host; it has no locations.
    pub redirect_to: Option<String>,
    /// `ssl-passthrough` (with `--enable-ssl-passthrough`): TLS connections whose SNI is this
    /// (exact) host are spliced unterminated to this backend, the one of the host's `/` path.
    /// Plain HTTP requests to the host are still served by [`Server::locations`].
    pub passthrough: Option<BackendId>,
}

/// The `pathType` of an Ingress path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathType {
    Exact,
    Prefix,
    /// Treated as `Prefix` outside regex mode, as ingress-nginx does.
    ImplementationSpecific,
}

/// Where a location sends its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Target {
    Backend(BackendId),
    /// Portico's own 404 (no default backend configured).
    #[default]
    NotFound,
}

/// One path of one host, owned by the Ingress that declared it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The path as written (empty became `/`). In regex mode it is a regex source.
    pub path: String,
    pub path_type: PathType,
    /// Where requests go: the owner's target, plus weighted or conditional alternatives
    /// (canaries).
    pub backends: Backends,
    pub policy: Arc<LocationPolicy>,
    /// The Ingress this location came from; `None` for the synthetic default location. Shared
    /// by every location of that Ingress.
    pub ingress: Option<Arc<ObjectRef>>,
    /// The implicit `Prefix /` location of §4.3 (created by the first Ingress of the host).
    pub implicit: bool,
    /// Insertion order within its server (the implicit root first; a location taking over the
    /// implicit root keeps its slot): the last tie-break of [`Location::precedence`].
    pub order: u32,
}

/// Where a location ranks among its server's locations, computed from the location itself:
/// longer path first, then the path bytes descending, then insertion order (ingress-nginx's two
/// stable sorts). It is the first-match order of regex mode (§1.3) and the order in which
/// [`Server::locations`] is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Precedence<'a> {
    length: std::cmp::Reverse<usize>,
    path: std::cmp::Reverse<&'a [u8]>,
    order: u32,
}

// === impl Location ===

impl Location {
    /// A location with one target (no alternatives), in insertion slot `order`.
    pub fn new(
        path: String,
        path_type: PathType,
        target: Target,
        policy: Arc<LocationPolicy>,
    ) -> Self {
        Self {
            path,
            path_type,
            backends: Backends::single(target),
            policy,
            ingress: None,
            implicit: false,
            order: 0,
        }
    }

    /// The primary target (the owner's).
    pub fn target(&self) -> Target {
        self.backends.primary()
    }

    /// This location's rank; smaller sorts first.
    pub fn precedence(&self) -> Precedence<'_> {
        Precedence {
            length: std::cmp::Reverse(self.path.len()),
            path: std::cmp::Reverse(self.path.as_bytes()),
            order: self.order,
        }
    }
}

// === impl RouteTable ===

impl RouteTable {
    pub fn backend(&self, id: BackendId) -> Option<&Backend> {
        self.backends.get(id.0)
    }
}

// === impl HostPattern ===

impl HostPattern {
    /// Orders patterns as their displayed names sort (`*.a` for a wildcard, `_` for the
    /// default server): the order ingress-nginx gives servers. Compares without formatting.
    pub fn cmp_displayed(&self, other: &Self) -> std::cmp::Ordering {
        fn parts(host: &HostPattern) -> (&str, &str) {
            match host {
                HostPattern::Exact(host) => ("", host),
                HostPattern::Wildcard(suffix) => ("*.", suffix),
                HostPattern::CatchAll => ("_", ""),
            }
        }
        let ((a0, a1), (b0, b1)) = (parts(self), parts(other));
        if a0 == b0 {
            return a1.cmp(b1);
        }
        a0.bytes().chain(a1.bytes()).cmp(b0.bytes().chain(b1.bytes()))
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostPattern::Exact(host) => f.write_str(host),
            HostPattern::Wildcard(suffix) => write!(f, "*.{suffix}"),
            HostPattern::CatchAll => f.write_str("_"),
        }
    }
}

// === impl PathType ===

impl PathType {
    pub fn as_str(self) -> &'static str {
        match self {
            PathType::Exact => "Exact",
            PathType::Prefix => "Prefix",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }
}

/// PEM material of a `kubernetes.io/tls` Secret, as read (not yet parsed or validated: the TLS
/// crate does that when the table goes live, and reports what it rejects). `Debug` shows sizes,
/// never the key material.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSecret {
    /// The Secret it came from.
    pub secret: ObjectRef,
    /// `tls.crt`: leaf first, then intermediates.
    pub cert_pem: Arc<[u8]>,
    /// `tls.key`: PKCS#1, PKCS#8 or SEC1.
    pub key_pem: Arc<[u8]>,
    /// The manifest file it was read from (standalone mode), for diagnostics.
    pub file: Option<String>,
}

// === impl TlsSecret ===

impl std::fmt::Debug for TlsSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSecret")
            .field("secret", &self.secret)
            .field("cert_pem_bytes", &self.cert_pem.len())
            .field("key_pem_bytes", &self.key_pem.len())
            .field("file", &self.file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::HostPattern;
    use proptest::prelude::*;

    fn pattern() -> impl Strategy<Value = HostPattern> {
        prop_oneof![
            "[a-z*._-]{0,6}".prop_map(HostPattern::Exact),
            "[a-z*._-]{0,6}".prop_map(HostPattern::Wildcard),
            Just(HostPattern::CatchAll),
        ]
    }

    proptest! {
        /// The comparison without formatting agrees with comparing the displayed names.
        #[test]
        fn cmp_displayed_is_the_order_of_the_names(a in pattern(), b in pattern()) {
            prop_assert_eq!(a.cmp_displayed(&b), a.to_string().cmp(&b.to_string()));
        }
    }
}
