//! Per-location behaviour derived from annotations and ConfigMap defaults.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::{Filters, LocationTracing, Mirror, Upstream};

/// What a location does besides routing: its filters (rewrite, redirects, access control,
/// headers, ...), and the settings of the request body and the upstream exchange (body size,
/// timeouts, retries, buffer size), which are not steps of the request but limits of it.
/// Built once per table; shared by `Arc` between the locations of one Ingress path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationPolicy {
    /// `use-regex` on this location: its path is a regex (host-wide effect is
    /// [`crate::Server::regex_mode`]).
    pub use_regex: bool,
    /// `proxy-body-size` in bytes; `None` = unlimited (`0`).
    pub max_body_size: Option<u64>,
    pub timeouts: Timeouts,
    pub next_upstream: NextUpstream,
    /// `proxy-buffer-size`: the largest upstream response head (status line and headers);
    /// a larger one answers 502, as nginx's "upstream sent too big header".
    pub proxy_buffer_size: u64,
    /// How the request body travels upstream (`proxy-request-buffering`, ...).
    pub request_body: RequestBodyPolicy,
    /// `enable-access-log` (default true): requests to the location are logged.
    pub access_log: bool,
    /// What the location does to requests besides routing them, in phase order.
    pub filters: Filters,
    /// Protocol, TLS and Host toward the backend.
    pub upstream: Upstream,
    /// OpenTelemetry spans and `traceparent` propagation (`enable-opentelemetry`, ...).
    pub tracing: LocationTracing,
    /// `mirror-target`: where copies of the forwarded requests also go (`None`: nowhere; the
    /// proxy then does nothing for mirroring).
    pub mirror: Option<Arc<Mirror>>,
    /// Location denied (e.g. missing auth Secret): answer 503. The string says why, for logs.
    pub denied: Option<Arc<str>>,
}

/// How a location sends request bodies upstream (nginx's `proxy_request_buffering`,
/// `client_body_buffer_size`, `proxy_http_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBodyPolicy {
    /// `proxy-request-buffering: on` (ingress-nginx's default): the whole body is read before
    /// the upstream is contacted and sent with a `Content-Length`. `off`: streamed as it comes.
    pub buffering: bool,
    /// `client-body-buffer-size`: a buffered body up to this size stays in memory; a larger
    /// one goes to a temporary file.
    pub memory_limit: u64,
    /// `proxy-http-version: 1.0`: requests go upstream as HTTP/1.0 (bodies always buffered,
    /// as nginx: HTTP/1.0 has no chunked encoding; one request per connection).
    pub http10: bool,
}

/// Upstream timeouts of a location (§5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
    pub send: Duration,
}

/// When a failed attempt moves on to the next endpoint (`proxy-next-upstream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextUpstream {
    /// Total attempts, first included (`proxy-next-upstream-tries`, default 3; 0 = unlimited is
    /// treated as "every endpoint once").
    pub tries: u32,
    /// Retry on connection errors (`error`).
    pub on_error: bool,
    /// Retry on connect timeouts (`timeout`).
    pub on_timeout: bool,
    /// Retry non-idempotent methods after the request was sent (`non_idempotent`).
    pub non_idempotent: bool,
}

/// Basic authentication of a location: realm and the parsed credential file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub realm: String,
    /// `<namespace>/<name>@<resourceVersion or content hash>`: changes whenever the Secret does,
    /// so verification caches never outlive it.
    pub secret_version: String,
    /// User name → hash, built once per table so that a request finds its user by one lookup
    /// instead of a scan. Invariant: for a name listed twice the first entry is kept (nginx's
    /// `auth_basic_user_file` scan stops at the first line whose name matches); build it with
    /// [`BasicAuth::users_from`].
    pub users: HashMap<String, String>,
}

// === impl BasicAuth ===

impl BasicAuth {
    /// The user map of `(user, hash)` pairs in file order: the first pair for a name wins.
    pub fn users_from(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> HashMap<String, String> {
        let mut users = HashMap::new();
        for (user, hash) in pairs {
            users.entry(user).or_insert(hash);
        }
        users
    }
}

// === impl LocationPolicy ===

impl Default for LocationPolicy {
    fn default() -> Self {
        Self {
            use_regex: false,
            max_body_size: Some(1024 * 1024),
            timeouts: Timeouts::default(),
            next_upstream: NextUpstream::default(),
            proxy_buffer_size: 4096,
            request_body: RequestBodyPolicy::default(),
            access_log: true,
            filters: Filters::with_https_redirect(),
            upstream: Upstream::default(),
            tracing: LocationTracing::new(),
            mirror: None,
            denied: None,
        }
    }
}

impl Default for RequestBodyPolicy {
    fn default() -> Self {
        Self { buffering: true, memory_limit: 8 * 1024, http10: false }
    }
}

impl RequestBodyPolicy {
    /// Whether the body is read whole before the upstream is contacted.
    pub fn buffers(&self) -> bool {
        self.buffering || self.http10
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(60),
            send: Duration::from_secs(60),
        }
    }
}

impl Default for NextUpstream {
    fn default() -> Self {
        Self { tries: 3, on_error: true, on_timeout: true, non_idempotent: false }
    }
}
