//! Response header rewriting (ingress-nginx `annotations/proxy/main.go` and its template):
//! `proxy-redirect-from`/`-to` render `proxy_redirect FROM TO`, `proxy-cookie-domain` and
//! `proxy-cookie-path` render `proxy_cookie_domain`/`proxy_cookie_path` with `FROM TO`.
//!
//! As ingress-nginx: `proxy-redirect-from: off` or `default` (which, with its
//! `proxy_pass http://upstream_balancer`, never matches a backend's Location) and
//! `proxy-redirect-to: off` rewrite nothing; a value its validator rejects keeps the default
//! (`off`) with a warning. A value nginx would not load (a one-word cookie path other than
//! `off`, a redirect value with spaces) is rejected the same way here.

use portico_model::{LocationPolicy, Replace};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, Risk, Scope, Validator, ValueKind};

const fn spec(name: &'static str, validator: Validator, doc: &'static str) -> AnnotationSpec {
    AnnotationSpec::new(name, ValueKind::String, validator, Scope::Location, Risk::Medium, doc)
}

const URL: Validator =
    Validator { describe: "off, or a URL prefix (letters, digits, -._~/:,?&=)", check: check_url };

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "proxy-redirect-from",
        URL,
        "Prefix of Location/Refresh response headers replaced by proxy-redirect-to (off).",
    ),
    spec("proxy-redirect-to", URL, "Replacement for proxy-redirect-from (off)."),
    spec(
        "proxy-cookie-domain",
        Validator { describe: "off, or FROM TO (domains)", check: check_domain },
        "Set-Cookie Domain FROM rewritten to TO (off).",
    ),
    spec(
        "proxy-cookie-path",
        Validator { describe: "off, or FROM TO (path prefixes)", check: check_path },
        "Set-Cookie Path prefix FROM rewritten to TO (off).",
    ),
];

/// Applies the family onto `policy.upstream.rewrite`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    let rewrite = &mut policy.upstream.rewrite;
    let from = ctx.value("proxy-redirect-from");
    let to = ctx.value("proxy-redirect-to");
    rewrite.redirect = match (from, to) {
        (Some("off" | "default") | None, _) | (_, Some("off") | None) => None,
        (Some(from), Some(to)) => Some(Replace { from: from.to_string(), to: to.to_string() }),
    };
    if let Some(v) = ctx.value("proxy-cookie-domain") {
        rewrite.cookie_domain = pair(v).map(|(from, to)| Replace {
            from: from.trim_start_matches('.').to_string(),
            to: to.trim_start_matches('.').to_string(),
        });
    }
    if let Some(v) = ctx.value("proxy-cookie-path") {
        rewrite.cookie_path =
            pair(v).map(|(from, to)| Replace { from: from.to_string(), to: to.to_string() });
    }
}

/// `FROM TO` (whitespace-separated); `None` for `off`.
fn pair(value: &str) -> Option<(&str, &str)> {
    let mut words = value.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(from), Some(to), None) => Some((from, to)),
        _ => None,
    }
}

/// ingress-nginx's `URLIsValidRegex` characters.
fn url_chars(value: &str) -> bool {
    value.chars().all(|c| c.is_ascii_alphanumeric() || "-._~/:,?&=".contains(c))
}

fn check_url(value: &str) -> Result<(), String> {
    match url_chars(value) {
        true => Ok(()),
        false => Err("one word of letters, digits and -._~/:,?&= expected".to_string()),
    }
}

/// ingress-nginx's `cookieDomainRegex`: `off` or two words of `-._~/:` and alphanumerics.
fn check_domain(value: &str) -> Result<(), String> {
    let chars = |w: &str| w.chars().all(|c| c.is_ascii_alphanumeric() || "-._~/:".contains(c));
    match value == "off" || pair(value).is_some_and(|(from, to)| chars(from) && chars(to)) {
        true => Ok(()),
        false => Err("off or \"FROM TO\" expected".to_string()),
    }
}

fn check_path(value: &str) -> Result<(), String> {
    match value == "off" || pair(value).is_some_and(|(from, to)| url_chars(from) && url_chars(to)) {
        true => Ok(()),
        false => Err("off or \"FROM TO\" (path prefixes) expected".to_string()),
    }
}

#[cfg(test)]
mod tests;
