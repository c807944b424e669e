//! What Portico tells the upstream about the client: the request headers of §5.1 and the
//! hop-by-hop handling of §5.2, plus the trusted view of scheme/host/port (§1.8).

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};
use portico_model::GlobalConfig;

use crate::config::ConnInfo;

mod realip;

pub(crate) use realip::is_trusted;

pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_SCHEME: HeaderName = HeaderName::from_static("x-forwarded-scheme");
const X_SCHEME: HeaderName = HeaderName::from_static("x-scheme");
const X_ORIGINAL_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-original-forwarded-for");
const X_ORIGINAL_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-original-forwarded-host");
const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");
const PROXY: HeaderName = HeaderName::from_static("proxy");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Hop-by-hop and framing request headers (§5.2): never passed on as the client sent them,
/// whether to the backend or in a subrequest (auth, mirror). Tokens listed in `Connection` are
/// not stripped, as in nginx.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    header::TE,
    // Portico frames what it forwards: the client's Transfer-Encoding never goes through.
    header::TRANSFER_ENCODING,
    header::EXPECT,
    header::UPGRADE,
];

/// The client as Portico believes it, after `use-forwarded-headers` (§1.4 step 2, §1.8).
/// Values are Bytes-backed clones of the request's own headers where possible.
#[derive(Debug, Clone)]
pub(crate) struct Forwarded {
    /// `$pass_access_scheme`: `http`/`https`, or the raw trusted `X-Forwarded-Proto`.
    pub scheme: HeaderValue,
    /// `$best_http_host`: the Host header as sent (port included), or the first trusted
    /// `X-Forwarded-Host` entry. Empty when the client sent no host at all.
    pub host: HeaderValue,
    /// `X-Forwarded-Port`: the listener's port or the trusted incoming value.
    pub port: HeaderValue,
    /// `$remote_addr` after realip: the peer, or whom the trusted forwarded-for header names.
    pub client_ip: HeaderValue,
    /// The same, as an address.
    pub client: std::net::IpAddr,
}

/// Request-specific inputs of [`upstream_headers`] besides the client view.
#[derive(Debug)]
pub(crate) struct HeaderPlan<'a> {
    /// The incoming `X-Request-ID`, or a generated one (`None`: generation disabled).
    pub request_id: Option<HeaderValue>,
    /// Basic auth is configured on the location: the credentials stay with Portico.
    pub strip_authorization: bool,
    /// A WebSocket/upgrade request: keep `Upgrade`, send `Connection: upgrade`.
    pub upgrade: bool,
    pub forwarded_prefix: Option<&'a str>,
}

// === impl Forwarded ===

impl Forwarded {
    /// Computes the client view from the request headers (`host` is the raw Host header or
    /// URI authority).
    pub(crate) fn new(
        headers: &HeaderMap,
        host: Option<&HeaderValue>,
        conn: &ConnInfo,
        global: &GlobalConfig,
    ) -> Self {
        let mut view = Self {
            scheme: HeaderValue::from_static(conn.scheme()),
            host: host.cloned().unwrap_or_else(|| HeaderValue::from_static("")),
            port: conn.port_value.clone(),
            client_ip: conn.peer_ip.clone(),
            client: conn.peer.ip(),
        };
        let real_ip = &global.real_ip;
        if global.use_forwarded_headers || real_ip.enable {
            let client = realip::client(conn.peer.ip(), headers, &real_ip.header, &real_ip.trusted);
            if client != view.client {
                view.client = client;
                view.client_ip = HeaderValue::try_from(client.to_string())
                    .unwrap_or_else(|_| conn.peer_ip.clone());
            }
        }
        if global.use_forwarded_headers {
            if let Some(proto) = headers.get(X_FORWARDED_PROTO) {
                view.scheme = proto.clone();
            }
            if let Some(port) = headers.get(X_FORWARDED_PORT) {
                view.port = port.clone();
            }
            if let Some(host) = headers.get(X_FORWARDED_HOST).and_then(first_entry) {
                view.host = host;
            }
        }
        view
    }

    pub(crate) fn is_http(&self) -> bool {
        self.scheme.as_bytes() == b"http"
    }
}

/// The first comma-separated entry of a header value, trimmed; `None` if empty.
fn first_entry(value: &HeaderValue) -> Option<HeaderValue> {
    let bytes = value.as_bytes();
    let end = bytes.iter().position(|&b| b == b',').unwrap_or(bytes.len());
    let entry = bytes[..end].trim_ascii();
    if entry.is_empty() {
        return None;
    }
    if entry.len() == bytes.len() {
        return Some(value.clone());
    }
    HeaderValue::from_bytes(entry).ok()
}

/// Rewrites the client's request headers, in place, into what the upstream receives.
pub(crate) fn upstream_headers(
    headers: &mut HeaderMap,
    view: &Forwarded,
    plan: HeaderPlan<'_>,
    conn: &ConnInfo,
    global: &GlobalConfig,
) {
    let incoming_xff = headers.remove(X_FORWARDED_FOR);
    let incoming_xfh = headers.remove(X_FORWARDED_HOST);
    let upgrade = if plan.upgrade { headers.remove(header::UPGRADE) } else { None };
    // §5.2: hop-by-hop headers, httpoxy, and the headers Portico sets itself.
    let own = [PROXY, X_ORIGINAL_FORWARDED_FOR, X_ORIGINAL_FORWARDED_HOST, X_FORWARDED_PREFIX];
    for name in HOP_BY_HOP.into_iter().chain(own) {
        headers.remove(name);
    }
    drop_underscore_headers(headers);
    if plan.strip_authorization {
        headers.remove(header::AUTHORIZATION);
    }
    if !view.host.is_empty() {
        headers.insert(header::HOST, view.host.clone());
        headers.insert(X_FORWARDED_HOST, view.host.clone());
    }
    if let Some(id) = plan.request_id {
        headers.insert(X_REQUEST_ID, id);
    }
    headers.insert(X_REAL_IP, view.client_ip.clone());
    let xff = match &incoming_xff {
        Some(incoming) if global.use_forwarded_headers && global.compute_full_forwarded_for => {
            append_peer(incoming, &conn.peer_ip)
        }
        _ => view.client_ip.clone(),
    };
    headers.insert(X_FORWARDED_FOR, xff);
    headers.insert(X_FORWARDED_PORT, view.port.clone());
    headers.insert(X_FORWARDED_PROTO, view.scheme.clone());
    headers.insert(X_FORWARDED_SCHEME, view.scheme.clone());
    headers.insert(X_SCHEME, view.scheme.clone());
    if let Some(xff) = incoming_xff {
        headers.insert(X_ORIGINAL_FORWARDED_FOR, xff);
    }
    if let Some(xfh) = incoming_xfh {
        headers.insert(X_ORIGINAL_FORWARDED_HOST, xfh);
    }
    if let Some(prefix) = plan.forwarded_prefix.and_then(|p| HeaderValue::from_str(p).ok()) {
        headers.insert(X_FORWARDED_PREFIX, prefix);
    }
    if let Some(upgrade) = upgrade {
        headers.insert(header::UPGRADE, upgrade);
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// `<incoming>, <peer>` (compute-full-forwarded-for).
pub(crate) fn append_peer(incoming: &HeaderValue, peer: &HeaderValue) -> HeaderValue {
    let mut joined = Vec::with_capacity(incoming.len() + 2 + peer.len());
    joined.extend_from_slice(incoming.as_bytes());
    joined.extend_from_slice(b", ");
    joined.extend_from_slice(peer.as_bytes());
    HeaderValue::from_bytes(&joined).unwrap_or_else(|_| peer.clone())
}

/// The client's headers as a subrequest (external auth, mirror) starts from: without the
/// hop-by-hop and framing ones (the subrequest has its own body, or none) and without names
/// containing `_`.
pub(crate) fn subrequest_headers(client: &HeaderMap) -> HeaderMap {
    let mut headers = client.clone();
    for name in HOP_BY_HOP.into_iter().chain([header::CONTENT_LENGTH]) {
        headers.remove(name);
    }
    drop_underscore_headers(&mut headers);
    headers
}

/// nginx drops request headers whose name contains `_` (`ignore-invalid-headers`).
pub(crate) fn drop_underscore_headers(headers: &mut HeaderMap) {
    if !headers.keys().any(|name| name.as_str().contains('_')) {
        return;
    }
    let bad: Vec<HeaderName> =
        headers.keys().filter(|name| name.as_str().contains('_')).cloned().collect();
    for name in bad {
        headers.remove(name);
    }
}

/// Cleans an upstream response's headers: framing headers left to hyper, no `Server`, `Date`
/// regenerated, hop-by-hop gone
/// (kept for a `101 Switching Protocols`, which needs `Connection`/`Upgrade`).
pub(crate) fn downstream_headers(headers: &mut HeaderMap, switching_protocols: bool) {
    // Framing is hyper's on each side. With both, chunked won (RFC 9112 §6.3): the length
    // header describes nothing the client will receive.
    if headers.remove(header::TRANSFER_ENCODING).is_some() {
        headers.remove(header::CONTENT_LENGTH);
    }
    headers.remove(header::SERVER);
    headers.remove(header::DATE);
    headers.remove(HeaderName::from_static("x-pad"));
    if !switching_protocols {
        for name in [header::CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, header::UPGRADE] {
            headers.remove(name);
        }
    }
}

/// The client asks for a protocol upgrade (WebSocket): `Upgrade` present and `Connection`
/// lists `upgrade`.
pub(crate) fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers.get_all(header::CONNECTION).iter().any(|value| {
            value
                .as_bytes()
                .split(|&b| b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
