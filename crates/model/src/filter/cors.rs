//! `enable-cors` and the `cors-*` annotations as ingress-nginx's template renders them: which
//! origins are allowed, and the header values sent to them (validated once, at build time).

use http::HeaderValue;

/// A location's CORS policy. The same value backs its two filters: the preflight answer
/// (rewrite phase) and the headers on every response (response phase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    pub origins: CorsOrigins,
    /// `cors-allow-credentials`: send `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
    /// `cors-allow-methods`, as written.
    pub allow_methods: HeaderValue,
    /// `cors-allow-headers`, as written.
    pub allow_headers: HeaderValue,
    /// `cors-expose-headers`, when set and valid.
    pub expose_headers: Option<HeaderValue>,
    /// `cors-max-age` in seconds, as an integer (may be negative, as in ingress-nginx).
    pub max_age: HeaderValue,
}

/// `cors-allow-origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// `*` (also the default): every request gets `Access-Control-Allow-Origin: *`, whether it
    /// sent an `Origin` or not (ingress-nginx sets `$http_origin` to `*`).
    Any,
    /// Only a request whose `Origin` matches one of these gets the headers, its `Origin`
    /// echoed. Empty when every entry was invalid: no request matches.
    List(Vec<OriginPattern>),
}

/// One allowed origin, matched ASCII case-insensitively against the whole `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPattern {
    /// `https://app.example.com:8443`, `null`.
    Exact(String),
    /// `https://*.example.com`: `prefix`, then one DNS label (letters, digits, `-`), then
    /// `suffix` (here `https://` and `.example.com`).
    Subdomain { prefix: String, suffix: String },
}

// === impl Cors ===

impl Cors {
    /// The `Access-Control-Allow-Origin` value for a request with this `Origin` header, or
    /// `None` when the request gets no CORS headers (and no preflight answer).
    pub fn allow_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match &self.origins {
            CorsOrigins::Any => Some(HeaderValue::from_static("*")),
            CorsOrigins::List(patterns) => {
                let origin = origin?;
                let text = origin.to_str().ok()?;
                patterns.iter().any(|p| p.matches(text)).then(|| origin.clone())
            }
        }
    }
}

// === impl OriginPattern ===

impl OriginPattern {
    /// Parses one validated `cors-allow-origin` entry; the first `*` stands for one label.
    pub fn new(entry: &str) -> Self {
        match entry.split_once('*') {
            Some((prefix, suffix)) => {
                OriginPattern::Subdomain { prefix: prefix.to_string(), suffix: suffix.to_string() }
            }
            None => OriginPattern::Exact(entry.to_string()),
        }
    }

    /// Whether `origin` (the whole header) matches.
    pub fn matches(&self, origin: &str) -> bool {
        match self {
            OriginPattern::Exact(exact) => origin.eq_ignore_ascii_case(exact),
            OriginPattern::Subdomain { prefix, suffix } => {
                let bytes = origin.as_bytes();
                if bytes.len() <= prefix.len() + suffix.len() {
                    return false;
                }
                let (head, rest) = bytes.split_at(prefix.len());
                let (label, tail) = rest.split_at(rest.len() - suffix.len());
                head.eq_ignore_ascii_case(prefix.as_bytes())
                    && tail.eq_ignore_ascii_case(suffix.as_bytes())
                    && label.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        let exact = OriginPattern::new("https://origin.cors.com:8080");
        assert!(exact.matches("https://origin.cors.com:8080"));
        assert!(exact.matches("HTTPS://Origin.Cors.com:8080"), "case-insensitive, as ~*");
        assert!(!exact.matches("https://origin.cors.com"));
        assert!(!exact.matches("xhttps://origin.cors.com:8080"));
        let wild = OriginPattern::new("http://*.origin.cors.com");
        assert!(wild.matches("http://foo.origin.cors.com"));
        assert!(wild.matches("http://bar-foo.origin.cors.com"));
        assert!(!wild.matches("http://bar.foo.origin.cors.com"), "one label only");
        assert!(!wild.matches("http://origin.cors.com"));
        assert!(!wild.matches("http://.origin.cors.com"));
        assert!(!wild.matches("http://foo.origin.cors.com:8080"));
        assert!(OriginPattern::new("null").matches("null"));
    }

    #[test]
    fn allow_origin_echoes_only_matches() {
        let cors = |origins| Cors {
            origins,
            allow_credentials: true,
            allow_methods: HeaderValue::from_static("GET"),
            allow_headers: HeaderValue::from_static("X"),
            expose_headers: None,
            max_age: HeaderValue::from_static("1"),
        };
        let any = cors(CorsOrigins::Any);
        assert_eq!(any.allow_origin(None).unwrap(), "*");
        let list = cors(CorsOrigins::List(vec![OriginPattern::new("https://a.test")]));
        let a = HeaderValue::from_static("https://a.test");
        assert_eq!(list.allow_origin(Some(&a)).unwrap(), "https://a.test");
        assert!(list.allow_origin(Some(&HeaderValue::from_static("https://b.test"))).is_none());
        assert!(list.allow_origin(None).is_none());
    }
}
