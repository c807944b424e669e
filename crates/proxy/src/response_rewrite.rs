//! nginx's `proxy_redirect` and `proxy_cookie_domain`/`proxy_cookie_path` on an upstream's
//! response headers (ngx_http_proxy_module's `rewrite_redirect` and `rewrite_cookie`). Runs
//! only for locations that configure one; Portico's own responses are never rewritten.

use http::header::{LOCATION, REFRESH, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use portico_model::{Replace, ResponseRewrite};

/// Rewrites `Location`, `Refresh` and `Set-Cookie` of an upstream response per `rewrite`.
pub(crate) fn apply(rewrite: &ResponseRewrite, headers: &mut HeaderMap) {
    if let Some(redirect) = &rewrite.redirect {
        rewrite_each(headers, &LOCATION, |v| replace_prefix(v, 0, redirect));
        rewrite_each(headers, &REFRESH, |v| {
            let at = find_ignore_case(v, "url=")? + "url=".len();
            replace_prefix(v, at, redirect)
        });
    }
    if rewrite.cookie_domain.is_some() || rewrite.cookie_path.is_some() {
        rewrite_each(headers, &SET_COOKIE, |v| cookie(v, rewrite));
    }
}

/// Replaces each value of `name` for which `f` returns a new one.
fn rewrite_each(
    headers: &mut HeaderMap,
    name: &http::HeaderName,
    f: impl Fn(&str) -> Option<String>,
) {
    if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
        for value in entry.iter_mut() {
            let Ok(text) = value.to_str() else { continue };
            if let Some(new) = f(text).and_then(|n| HeaderValue::from_str(&n).ok()) {
                *value = new;
            }
        }
    }
}

/// `value` with `replace.from` at byte `at` (case-sensitive, as nginx) replaced.
fn replace_prefix(value: &str, at: usize, replace: &Replace) -> Option<String> {
    let rest = value.get(at..)?.strip_prefix(replace.from.as_str())?;
    Some(format!("{}{}{rest}", &value[..at], replace.to))
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A `Set-Cookie` value with its `Domain` and `Path` attributes rewritten; `None` when
/// nothing matched (the value is kept byte for byte). A rewritten value is re-joined with
/// `"; "`, as nginx does.
fn cookie(value: &str, rewrite: &ResponseRewrite) -> Option<String> {
    let mut attrs: Vec<String> = value.split(';').map(|a| a.trim().to_string()).collect();
    let mut changed = false;
    for attr in attrs.iter_mut().skip(1) {
        let Some((key, val)) = attr.split_once('=') else { continue };
        let new = if key.trim().eq_ignore_ascii_case("domain") {
            rewrite.cookie_domain.as_ref().and_then(|r| domain(val.trim(), r))
        } else if key.trim().eq_ignore_ascii_case("path") {
            rewrite.cookie_path.as_ref().and_then(|r| replace_prefix(val.trim(), 0, r))
        } else {
            None
        };
        if let Some(new) = new {
            *attr = format!("{}={new}", key.trim());
            changed = true;
        }
    }
    changed.then(|| attrs.join("; "))
}

/// nginx's domain rule: a leading dot kept, the rest compared whole, case-insensitively.
fn domain(value: &str, replace: &Replace) -> Option<String> {
    let (dot, name) = match value.strip_prefix('.') {
        Some(name) => (".", name),
        None => ("", value),
    };
    name.eq_ignore_ascii_case(&replace.from).then(|| format!("{dot}{}", replace.to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(from: &str, to: &str) -> Option<Replace> {
        Some(Replace { from: from.to_string(), to: to.to_string() })
    }

    fn rewritten(rewrite: &ResponseRewrite, name: http::HeaderName, value: &str) -> String {
        let mut headers = HeaderMap::new();
        headers.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        apply(rewrite, &mut headers);
        headers[name].to_str().unwrap().to_string()
    }

    #[test]
    fn redirects_replace_a_case_sensitive_prefix() {
        let r = ResponseRewrite {
            redirect: replace("http://internal/", "/app/"),
            ..Default::default()
        };
        assert_eq!(rewritten(&r, LOCATION, "http://internal/a?b"), "/app/a?b");
        assert_eq!(rewritten(&r, LOCATION, "HTTP://internal/a"), "HTTP://internal/a");
        assert_eq!(rewritten(&r, LOCATION, "http://other/a"), "http://other/a");
        assert_eq!(rewritten(&r, REFRESH, "5; URL=http://internal/x"), "5; URL=/app/x");
    }

    #[test]
    fn cookies_rewrite_domain_and_path() {
        let r = ResponseRewrite {
            cookie_domain: replace("internal.svc", "example.com"),
            cookie_path: replace("/two/", "/"),
            ..Default::default()
        };
        assert_eq!(
            rewritten(&r, SET_COOKIE, "a=b;Domain=.Internal.SVC;path=/two/x;HttpOnly"),
            "a=b; Domain=.example.com; path=/x; HttpOnly"
        );
        assert_eq!(
            rewritten(&r, SET_COOKIE, "a=b;Domain=sub.internal.svc"),
            "a=b;Domain=sub.internal.svc",
            "untouched when nothing matches"
        );
    }
}
