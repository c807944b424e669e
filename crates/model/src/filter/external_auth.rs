//! External authentication (ingress-nginx `authreq`, nginx `auth_request`): the data of one
//! location's auth request, built once by the compiler. The proxy sends the request and
//! reads its answer (`crates/proxy/src/filters/external_auth.rs`).

use std::time::Duration;

use http::{HeaderName, Method, Uri};

/// `auth-url` and its companions (or the ConfigMap's `global-auth-*` keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalAuth {
    /// The auth service URL, `http(s)://host[:port]/path?query`, maybe with nginx variables.
    pub url: Template,
    /// `url` parsed once when it has no variables.
    pub fixed_url: Option<Uri>,
    /// `auth-method`: `None` = GET, as an nginx subrequest.
    pub method: Option<Method>,
    /// `auth-signin`: where a 401 redirects (302), the redirect parameter already appended
    /// when the URL does not carry it (ingress-nginx `buildAuthSignURL`).
    pub signin: Option<Template>,
    /// `auth-response-headers`: copied from a 2xx auth answer onto the upstream request
    /// (removed from it when the answer lacks them).
    pub response_headers: Vec<HeaderName>,
    /// `auth-request-redirect`: the `X-Auth-Request-Redirect` value; `None` = `$request_uri`.
    pub request_redirect: Option<String>,
    /// `auth-cache-key` + `auth-cache-duration`.
    pub cache: Option<AuthCache>,
    /// `auth-always-set-cookie`: the auth answer's `Set-Cookie` on every response, not only
    /// on nginx's `add_header` statuses (200, 201, 204, 206, 301, 302, 303, 304, 307, 308).
    pub always_set_cookie: bool,
    /// `auth-proxy-set-headers`: the data of that ConfigMap, set on the auth request after
    /// ingress-nginx's own headers, sorted by name.
    pub proxy_set_headers: Vec<(HeaderName, Template)>,
}

/// Caching of auth answers: the key (nginx variables) and how long each status is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCache {
    pub key: Template,
    pub rules: Vec<CacheRule>,
}

/// One `proxy_cache_valid` entry: `200 202 401 5m`. No codes = 200, 301 and 302 (nginx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRule {
    /// Empty = any status (`any`).
    pub statuses: Vec<u16>,
    pub ttl: Duration,
}

/// A string with nginx variables (`$host`, `${host}`), split once into parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    Var(Var),
}

/// The nginx variables Portico expands (the ones auth URLs and cache keys use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    /// `$host`: the request host, lowercased, without port.
    Host,
    /// `$http_host`: the Host header as sent.
    HttpHost,
    /// `$scheme`: the connection's scheme.
    Scheme,
    /// `$pass_access_scheme`: the scheme after trusted `X-Forwarded-Proto`.
    PassAccessScheme,
    /// `$request_uri`: the original request-target, raw.
    RequestUri,
    /// `$escaped_request_uri`: `$request_uri` escaped as a URL component.
    EscapedRequestUri,
    /// `$uri`: the normalized path.
    Uri,
    /// `$args` / `$query_string`.
    Args,
    RequestMethod,
    RemoteAddr,
    /// `$remote_user`: the user of a Basic `Authorization` header.
    RemoteUser,
    /// `$http_<name>`: a request header.
    Header(HeaderName),
    /// `$cookie_<name>`.
    Cookie(String),
    /// `$arg_<name>`: a query parameter.
    Arg(String),
}

// === impl ExternalAuth ===

impl ExternalAuth {
    /// The auth request: the service URL, nothing else configured.
    pub fn new(url: Template) -> Self {
        let fixed_url = url.literal().and_then(|u| u.parse().ok());
        Self {
            url,
            fixed_url,
            method: None,
            signin: None,
            response_headers: Vec::new(),
            request_redirect: None,
            cache: None,
            always_set_cookie: false,
            proxy_set_headers: Vec::new(),
        }
    }
}

// === impl CacheRule ===

impl CacheRule {
    pub fn applies(&self, status: u16) -> bool {
        self.statuses.is_empty() || self.statuses.contains(&status)
    }
}

// === impl Template ===

impl Template {
    /// Splits `raw` at `$name` / `${name}`; an unknown variable is an error (nginx refuses
    /// the configuration: "unknown variable").
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find('$') {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, next) = if let Some(braced) = after.strip_prefix('{') {
                let end = braced.find('}').ok_or("unterminated ${ in variable")?;
                (&braced[..end], &braced[end + 1..])
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            };
            if name.is_empty() {
                return Err("a $ not followed by a variable name".to_string());
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Var(Var::parse(name)?));
            rest = next;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self { raw: raw.to_string(), parts })
    }

    /// The template without variables, as is.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }
}

// === impl Var ===

impl Var {
    fn parse(name: &str) -> Result<Self, String> {
        let var = match name {
            "host" | "server_name" => Var::Host,
            "http_host" => Var::HttpHost,
            "scheme" => Var::Scheme,
            "pass_access_scheme" => Var::PassAccessScheme,
            "request_uri" => Var::RequestUri,
            "escaped_request_uri" => Var::EscapedRequestUri,
            "uri" | "document_uri" => Var::Uri,
            "args" | "query_string" => Var::Args,
            "request_method" => Var::RequestMethod,
            "remote_addr" => Var::RemoteAddr,
            "remote_user" => Var::RemoteUser,
            _ => {
                if let Some(header) = name.strip_prefix("http_") {
                    let header = header.replace('_', "-").to_ascii_lowercase();
                    let header = HeaderName::from_bytes(header.as_bytes())
                        .map_err(|_| format!("${name} is not a valid header variable"))?;
                    Var::Header(header)
                } else if let Some(cookie) = name.strip_prefix("cookie_") {
                    Var::Cookie(cookie.to_string())
                } else if let Some(arg) = name.strip_prefix("arg_") {
                    Var::Arg(arg.to_string())
                } else {
                    return Err(format!("${name} is not a variable Portico knows"));
                }
            }
        };
        Ok(var)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn templates_split_at_variables() {
        let t = Template::parse("https://$host/oauth2/start?rd=${escaped_request_uri}").unwrap();
        assert_eq!(
            t.parts,
            vec![
                Part::Literal("https://".into()),
                Part::Var(Var::Host),
                Part::Literal("/oauth2/start?rd=".into()),
                Part::Var(Var::EscapedRequestUri),
            ]
        );
        let key = Template::parse("$remote_user$http_authorization").unwrap();
        assert_eq!(
            key.parts,
            vec![
                Part::Var(Var::RemoteUser),
                Part::Var(Var::Header(HeaderName::from_static("authorization")))
            ]
        );
        assert_eq!(Template::parse("http://a/b").unwrap().literal(), Some("http://a/b"));
        assert!(Template::parse("http://$nope/").is_err());
        assert!(Template::parse("http://${host/").is_err());
        assert!(Template::parse("a$").is_err());
    }
}
