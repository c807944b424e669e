//! The ConfigMap's header settings on every response (`add-headers`, `server-tokens`) and on
//! the upstream exchange (`proxy-set-headers`, `hide-headers`).

use http::header::SERVER;
use http::{HeaderMap, HeaderValue, Response};
use portico_model::HeaderSettings;

/// `Server` with `server-tokens: true` (nginx would send its own version).
const SERVER_TOKEN: &str = concat!("portico/", env!("CARGO_PKG_VERSION"));

/// `add-headers` (set, replacing) and `server-tokens` on any response, Portico's own included,
/// as nginx's `http`-level `more_set_headers` and `server_tokens`.
pub(crate) fn respond<B>(response: &mut Response<B>, settings: &HeaderSettings) {
    let headers = response.headers_mut();
    for (name, value) in &settings.add {
        headers.insert(name.clone(), value.clone());
    }
    if settings.server_tokens {
        headers.insert(SERVER, HeaderValue::from_static(SERVER_TOKEN));
    }
}

/// `proxy-set-headers`: set on the upstream request after Portico's own headers.
pub(crate) fn upstream(headers: &mut HeaderMap, settings: &HeaderSettings) {
    for (name, value) in &settings.proxy_set {
        headers.insert(name.clone(), value.clone());
    }
}

/// `hide-headers`: removed from the upstream's response (`proxy_hide_header`).
pub(crate) fn hide(headers: &mut HeaderMap, settings: &HeaderSettings) {
    for name in &settings.hide {
        headers.remove(name);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn add_headers_replace_and_server_tokens() {
        let settings = HeaderSettings {
            add: vec![("x-a".parse().unwrap(), HeaderValue::from_static("1"))],
            server_tokens: true,
            hide: vec!["x-secret".parse().unwrap()],
            ..HeaderSettings::default()
        };
        let mut response = Response::new(());
        response.headers_mut().insert("x-a", HeaderValue::from_static("upstream"));
        respond(&mut response, &settings);
        assert_eq!(response.headers()["x-a"], "1");
        assert!(response.headers()["server"].to_str().unwrap().starts_with("portico/"));
        let mut headers = HeaderMap::new();
        headers.insert("x-secret", HeaderValue::from_static("s"));
        hide(&mut headers, &settings);
        assert!(headers.is_empty());
    }
}
