//! Header settings of the controller ConfigMap: `server-tokens`, `add-headers`,
//! `proxy-set-headers`, `hide-headers` and `global-allowed-response-headers`.

use http::{HeaderName, HeaderValue};

/// What every response and every upstream request get from the ConfigMap. The referenced
/// ConfigMaps (`namespace/name`) are read by the compiler into `add` and `proxy_set`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderSettings {
    /// `server-tokens` (default false, as ingress-nginx): send `Server: portico/<version>`;
    /// off, no `Server` header at all (nginx's `server_tokens off` + `more_clear_headers`).
    pub server_tokens: bool,
    /// `add-headers`: the ConfigMap whose data are response headers.
    pub add_headers_configmap: Option<String>,
    /// Set on every response, Portico's own pages included (`more_set_headers` at `http`).
    pub add: Vec<(HeaderName, HeaderValue)>,
    /// `proxy-set-headers`: the ConfigMap whose data are upstream request headers.
    pub proxy_set_headers_configmap: Option<String>,
    /// Set on every upstream request after Portico's own headers (`proxy_set_header`).
    pub proxy_set: Vec<(HeaderName, HeaderValue)>,
    /// `hide-headers`: removed from upstream responses (`proxy_hide_header`).
    pub hide: Vec<HeaderName>,
    /// `global-allowed-response-headers`: the names a `custom-headers` ConfigMap may set.
    pub allowed_response_headers: Vec<String>,
}
