//! nginx variables of auth URLs, sign-in URLs, cache keys, snippet headers and mirror
//! targets, expanded for one request.

use std::net::IpAddr;

use base64::Engine as _;
use http::header::{AUTHORIZATION, COOKIE};
use http::{HeaderMap, Method, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use portico_model::{Part, Template, Var};

use super::super::FilterRequest;
use crate::config::ConnInfo;
use crate::forwarded::Forwarded;

/// What nginx variables read of one request: borrowed, so building one costs nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VarSource<'r> {
    /// `$remote_addr`.
    pub client: IpAddr,
    pub method: &'r Method,
    pub headers: &'r HeaderMap,
    /// The original request-target (`$request_uri`, `$args`).
    pub uri: &'r Uri,
    /// `$uri`.
    pub path: &'r str,
    /// The Host as sent (`$http_host`; `$host` without its port).
    pub raw_host: &'r str,
    pub view: &'r Forwarded,
    pub conn: &'r ConnInfo,
}

// === impl FilterRequest ===

impl<'r> FilterRequest<'r> {
    /// The request as nginx variables see it.
    pub(crate) fn vars(&self) -> VarSource<'r> {
        VarSource {
            client: self.client,
            method: self.method,
            headers: self.headers,
            uri: self.uri,
            path: self.path,
            raw_host: self.raw_host,
            view: self.view,
            conn: self.conn,
        }
    }
}

/// What set-misc's `set_escape_uri` (and Go's `QueryEscape`) leave alone: unreserved chars.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `template` with its variables replaced by the request's values (absent = empty).
pub(crate) fn expand(template: &Template, req: &FilterRequest<'_>) -> String {
    expand_vars(template, &req.vars())
}

/// [`expand`] on any request.
pub(crate) fn expand_vars(template: &Template, req: &VarSource<'_>) -> String {
    let mut out = String::with_capacity(template.raw.len() + 64);
    for part in &template.parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Var(var) => push_var(&mut out, var, req),
        }
    }
    out
}

/// `$request_uri`: the request-target's path and query, raw.
pub(super) fn request_uri<'r>(req: &FilterRequest<'r>) -> &'r str {
    raw_request_uri(req.uri)
}

fn raw_request_uri(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// `$host`: the Host without port, lowercased by the caller's comparison (nginx lowercases).
pub(super) fn host<'r>(req: &FilterRequest<'r>) -> &'r str {
    host_of(req.raw_host)
}

fn host_of(raw: &str) -> &str {
    if raw.starts_with('[') {
        return raw.split_once(']').map_or(raw, |(h, _)| &raw[..h.len() + 1]);
    }
    raw.rsplit_once(':').map_or(raw, |(h, _)| h)
}

fn push_var(out: &mut String, var: &Var, req: &VarSource<'_>) {
    match var {
        Var::Host => out.push_str(&host_of(req.raw_host).to_ascii_lowercase()),
        Var::HttpHost => out.push_str(req.raw_host),
        Var::Scheme => out.push_str(req.conn.scheme()),
        Var::PassAccessScheme => out.push_str(req.view.scheme.to_str().unwrap_or("http")),
        Var::RequestUri => out.push_str(raw_request_uri(req.uri)),
        Var::EscapedRequestUri => {
            out.extend(utf8_percent_encode(raw_request_uri(req.uri), COMPONENT));
        }
        Var::Uri => out.push_str(req.path),
        Var::Args => out.push_str(req.uri.query().unwrap_or("")),
        Var::RequestMethod => out.push_str(req.method.as_str()),
        Var::RemoteAddr => out.push_str(&req.client.to_string()),
        Var::RemoteUser => out.push_str(&remote_user(req).unwrap_or_default()),
        Var::Header(name) => {
            for (i, value) in req.headers.get_all(name).iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&String::from_utf8_lossy(value.as_bytes()));
            }
        }
        Var::Cookie(name) => out.push_str(cookie(req, name).unwrap_or("")),
        Var::Arg(name) => out.push_str(arg(req, name).unwrap_or("")),
    }
}

/// The user of a `Basic` Authorization header (nginx's `$remote_user`).
fn remote_user(req: &VarSource<'_>) -> Option<String> {
    let value = req.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    Some(decoded.split_once(':').map_or(decoded.as_str(), |(user, _)| user).to_string())
}

fn cookie<'r>(req: &VarSource<'r>, name: &str) -> Option<&'r str> {
    req.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        line.split(';').map(str::trim).find_map(|pair| {
            pair.split_once('=').filter(|(k, _)| k.trim() == name).map(|(_, v)| v.trim())
        })
    })
}

fn arg<'r>(req: &VarSource<'r>, name: &str) -> Option<&'r str> {
    let query = req.uri.query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k.eq_ignore_ascii_case(name)).then_some(v)
    })
}

/// Escapes `value` as a URL component (for tests and callers building redirects).
#[cfg(test)]
pub(super) fn escape(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}
