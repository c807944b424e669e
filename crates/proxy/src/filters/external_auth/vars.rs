//! nginx variables of auth URLs, sign-in URLs and cache keys, expanded for one request.

use base64::Engine as _;
use http::header::{AUTHORIZATION, COOKIE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use portico_model::{Part, Template, Var};

use super::super::FilterRequest;

/// What set-misc's `set_escape_uri` (and Go's `QueryEscape`) leave alone: unreserved chars.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `template` with its variables replaced by the request's values (absent = empty).
pub(crate) fn expand(template: &Template, req: &FilterRequest<'_>) -> String {
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
    req.uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// `$host`: the Host without port, lowercased by the caller's comparison (nginx lowercases).
pub(super) fn host<'r>(req: &FilterRequest<'r>) -> &'r str {
    let raw = req.raw_host;
    if raw.starts_with('[') {
        return raw.split_once(']').map_or(raw, |(h, _)| &raw[..h.len() + 1]);
    }
    raw.rsplit_once(':').map_or(raw, |(h, _)| h)
}

fn push_var(out: &mut String, var: &Var, req: &FilterRequest<'_>) {
    match var {
        Var::Host => out.push_str(&host(req).to_ascii_lowercase()),
        Var::HttpHost => out.push_str(req.raw_host),
        Var::Scheme => out.push_str(req.conn.scheme()),
        Var::PassAccessScheme => out.push_str(req.view.scheme.to_str().unwrap_or("http")),
        Var::RequestUri => out.push_str(request_uri(req)),
        Var::EscapedRequestUri => out.extend(utf8_percent_encode(request_uri(req), COMPONENT)),
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
fn remote_user(req: &FilterRequest<'_>) -> Option<String> {
    let value = req.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    Some(decoded.split_once(':').map_or(decoded.as_str(), |(user, _)| user).to_string())
}

fn cookie<'r>(req: &FilterRequest<'r>, name: &str) -> Option<&'r str> {
    req.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|line| {
        line.split(';').map(str::trim).find_map(|pair| {
            pair.split_once('=').filter(|(k, _)| k.trim() == name).map(|(_, v)| v.trim())
        })
    })
}

fn arg<'r>(req: &FilterRequest<'r>, name: &str) -> Option<&'r str> {
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
