//! How a backend binds requests to endpoints beyond its algorithm: cookie session affinity
//! (`affinity: cookie`) and consistent hashing (`upstream-hash-by`). Precedence as ingress-nginx's
//! `balancer.lua` `get_implementation`: affinity, then hashing, then [`crate::LbAlgorithm`].

use std::sync::Arc;

use crate::ObjectRef;

/// A backend's balancing options from annotations; the default is "the algorithm alone".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Balancing {
    pub affinity: Option<Arc<CookieAffinity>>,
    pub hash_by: Option<Arc<HashBy>>,
}

/// `affinity: cookie` and its `session-cookie-*` settings (ingress-nginx
/// `annotations/sessionaffinity/main.go`, `balancer/sticky.lua`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAffinity {
    pub mode: AffinityMode,
    pub cookie: AffinityCookie,
    /// The Ingresses whose locations set the cookie (ingress-nginx sets it only on the
    /// locations of Ingresses that enabled affinity; other locations only read it).
    pub ingresses: Vec<ObjectRef>,
}

/// `affinity-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AffinityMode {
    /// The cookie holds a random key on a hash ring: scaling up moves some sessions.
    #[default]
    Balanced,
    /// The cookie names the endpoint itself: a session stays until its endpoint is gone.
    Persistent,
}

/// The attributes of the affinity cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffinityCookie {
    /// `session-cookie-name`, default `INGRESSCOOKIE`.
    pub name: String,
    /// `session-cookie-path`; `None`: the path of the location as written in the Ingress.
    pub path: Option<String>,
    pub domain: Option<String>,
    /// `session-cookie-samesite` as written (`None`, `Lax`, `Strict`, any case).
    pub samesite: Option<String>,
    /// Omit `SameSite=None` for user agents known to reject it.
    pub conditional_samesite_none: bool,
    /// `session-cookie-secure: true`; otherwise `Secure` only on HTTPS requests.
    pub secure: bool,
    /// `session-cookie-expires`: seconds from now for `Expires`.
    pub expires: Option<i64>,
    /// `session-cookie-max-age`.
    pub max_age: Option<i64>,
    /// `session-cookie-change-on-failure`: a failed pinned endpoint gets a new pin and cookie.
    pub change_on_failure: bool,
}

/// `upstream-hash-by` (+ `-subset`, `-subset-size`): consistent hashing of a request key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashBy {
    /// The expression as written, for logs and `portico check`.
    pub source: String,
    /// The key: the concatenation of these parts' values.
    pub parts: Vec<HashPart>,
    /// `upstream-hash-by-subset: true`: the size of each subset the key hashes to.
    pub subset: Option<usize>,
}

/// One piece of an `upstream-hash-by` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashPart {
    Text(String),
    Var(HashVar),
}

/// The nginx variables an `upstream-hash-by` key may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashVar {
    /// `$request_uri`: the request-target as received (path and query).
    RequestUri,
    /// `$uri`: the normalized path.
    Uri,
    /// `$args` / `$query_string`.
    Args,
    /// `$remote_addr`: the client address (after real-IP processing).
    RemoteAddr,
    /// `$binary_remote_addr`: the same address as bytes.
    BinaryRemoteAddr,
    /// `$host`: the request host without port, lowercase.
    Host,
    /// `$scheme`.
    Scheme,
    /// `$request_method`.
    Method,
    /// `$http_NAME`: the request header (name lowercase, `_` as `-`).
    Header(String),
    /// `$cookie_NAME`.
    Cookie(String),
    /// `$arg_NAME`: the query argument.
    Arg(String),
    /// A variable Portico does not know: empty, as an unset nginx variable.
    Empty,
}
