//! Every ingress-nginx annotation Portico does not implement (yet), each classified by what
//! ignoring it would do (issue 9 §1: unsupported access control fails closed).
//!
//! - [`Effect::Denies`]: the annotation restricts who may reach the location (source ranges,
//!   rate limits, external and client-certificate auth, ModSecurity). Serving the location
//!   without it would hand to everyone what ingress-nginx refuses, so every path of the Ingress
//!   answers 503 (ingress-nginx's "location denied") and the diagnostic is an error, until
//!   Portico implements the annotation. A value that disables it does not deny.
//! - [`Effect::Ignored`]: ignoring it cannot open access (a feature is missing, the answer may
//!   differ): a warning, the location is served.
//!
//! Annotations under the prefix that are in neither this list nor the registry (typos, removed
//! ingress-nginx annotations) are ignored with the same warning. When an annotation is
//! implemented it moves to the registry; a test keeps the two lists disjoint and together
//! covering every annotation of ingress-nginx v1.15.

use std::fmt::Write as _;

use crate::value;

/// One ingress-nginx annotation Portico does not implement.
#[derive(Debug, Clone, Copy)]
pub struct UnsupportedSpec {
    /// The key after `<prefix>/`, e.g. `whitelist-source-range`.
    pub name: &'static str,
    pub effect: Effect,
    /// What the annotation does in ingress-nginx, and why it is classified so.
    pub doc: &'static str,
}

/// What an unsupported annotation does to the locations of its Ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Restricts access: the locations answer 503 when the value is [`When`].
    Denies(When),
    /// Ignored with a warning: ignoring it never serves what ingress-nginx would refuse.
    Ignored,
}

/// Which (non-empty, trimmed) values of an access-restricting annotation restrict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Any value.
    Set,
    /// Any value but a Go `ParseBool` false (`false`, `0`, `f`, ...).
    Enabled,
    /// Any value but an integer <= 0 (ingress-nginx's "no limit").
    Positive,
    /// Only when one of these annotations restricts too (unsupported ones with a restricting
    /// value, supported ones when set): it modifies them and does nothing alone. Its own value
    /// does not matter.
    With(&'static [&'static str]),
}

/// What one unsupported annotation does on one Ingress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every path of the Ingress answers 503.
    Denies,
    /// Ignored; the note says why when the annotation could restrict with another value.
    Ignored(Option<String>),
}

const AUTH_URL: When = When::With(&["auth-url"]);

const fn denies(name: &'static str, when: When, doc: &'static str) -> UnsupportedSpec {
    UnsupportedSpec { name, effect: Effect::Denies(when), doc }
}

const fn ignored(name: &'static str, doc: &'static str) -> UnsupportedSpec {
    UnsupportedSpec { name, effect: Effect::Ignored, doc }
}

/// The list, grouped by ingress-nginx family (access-restricting families first).
pub(crate) const UNSUPPORTED: &[UnsupportedSpec] = &[
    // global-rate-limit* left ingress-nginx in v1.12; older versions enforce them, so an
    // Ingress carrying them still expects a limit.
    denies(
        "global-rate-limit",
        When::Positive,
        "Cluster-wide request limit (ingress-nginx < 1.12).",
    ),
    denies(
        "global-rate-limit-window",
        When::With(&["global-rate-limit"]),
        "Window of global-rate-limit.",
    ),
    denies(
        "global-rate-limit-key",
        When::With(&["global-rate-limit"]),
        "Key of global-rate-limit.",
    ),
    denies(
        "global-rate-limit-ignored-cidrs",
        When::With(&["global-rate-limit"]),
        "Client CIDRs exempt from global-rate-limit.",
    ),
    // ModSecurity WAF. The OWASP rules and a snippet also restrict alone: with the ConfigMap's
    // enable-modsecurity (which Portico does not read either) they apply without the annotation.
    denies("enable-modsecurity", When::Enabled, "ModSecurity WAF on the location."),
    denies("enable-owasp-core-rules", When::Enabled, "OWASP Core Rule Set in ModSecurity."),
    denies("modsecurity-snippet", When::Set, "ModSecurity rules for the location."),
    denies(
        "modsecurity-transaction-id",
        When::With(&["enable-modsecurity"]),
        "Transaction id logged by ModSecurity.",
    ),
    // External authentication (authreq): what Portico does not implement of it denies the
    // location when auth-url is set (it does nothing without).
    denies("auth-snippet", AUTH_URL, "nginx configuration in the auth location."),
    // Access-related but not restricting when ignored.
    ignored(
        "satisfy",
        "any lets one of several access checks suffice, all is the default: ignoring it can \
         only be stricter.",
    ),
    // Snippets: arbitrary nginx configuration, never run by Portico (CVE-2021-25742 and
    // successors). They may hold access rules (allow/deny): check them by hand.
    ignored("stream-snippet", "nginx stream configuration; never run."),
    // Redirects.
    // Backends and upstream requests.
    ignored(
        "proxy-next-upstream-timeout",
        "Time limit for passing a request to the next endpoint.",
    ),
    ignored("fastcgi-index", "FastCGI index file."),
    ignored("fastcgi-params-configmap", "ConfigMap of FastCGI parameters."),
];

/// Every ingress-nginx annotation Portico does not implement yet, with its classification.
pub fn unsupported() -> &'static [UnsupportedSpec] {
    UNSUPPORTED
}

/// The entry of `name` (the key without prefix), when it is a known unsupported annotation.
pub fn lookup_unsupported(name: &str) -> Option<&'static UnsupportedSpec> {
    UNSUPPORTED.iter().find(|spec| spec.name == name)
}

/// A Markdown table of the unsupported annotations; `prefix` as `--annotations-prefix`.
pub fn render_unsupported_markdown(prefix: &str) -> String {
    let mut out =
        String::from("| annotation | unsupported effect | ingress-nginx |\n|---|---|---|\n");
    for spec in UNSUPPORTED {
        let _ = writeln!(
            out,
            "| `{prefix}/{}` | {} | {} |",
            spec.name,
            spec.effect.describe(),
            spec.doc
        );
    }
    out
}

// === impl Effect ===

impl Effect {
    /// The "unsupported effect" column of the docs.
    pub fn describe(self) -> String {
        const DENY: &str = "503 (fails closed)";
        match self {
            Effect::Ignored => "ignored (warning)".to_string(),
            Effect::Denies(When::Set) => DENY.to_string(),
            Effect::Denies(When::Enabled) => format!("{DENY} unless false"),
            Effect::Denies(When::Positive) => format!("{DENY} unless 0"),
            Effect::Denies(When::With(others)) => {
                let others: Vec<_> = others.iter().map(|n| format!("`{n}`")).collect();
                format!("{DENY} with {}, else ignored (warning)", others.join(" or "))
            }
        }
    }
}

// === impl UnsupportedSpec ===

impl UnsupportedSpec {
    /// What this annotation with raw value `raw` does, given the Ingress's other annotations
    /// (`other(name)`: the raw value of `<prefix>/<name>`, if set).
    pub(crate) fn verdict<'v>(
        &self,
        raw: &str,
        other: impl Fn(&str) -> Option<&'v str>,
    ) -> Verdict {
        let Effect::Denies(when) = self.effect else {
            return Verdict::Ignored(None);
        };
        let value = raw.trim();
        if value.is_empty() {
            return Verdict::Ignored(Some("empty".to_string()));
        }
        match when {
            When::With(others) => {
                let restricting = others.iter().any(|name| {
                    // A supported annotation (auth-url) restricts whenever it is set.
                    let own = match lookup_unsupported(name) {
                        Some(spec) => match spec.effect {
                            Effect::Denies(own) => Some(own),
                            Effect::Ignored => None,
                        },
                        None => crate::registry::lookup(name).map(|_| When::Set),
                    };
                    matches!((own, other(name)), (Some(own), Some(raw)) if restricts_alone(own, raw))
                });
                if restricting {
                    return Verdict::Denies;
                }
                Verdict::Ignored(Some(format!("no effect without {}", others.join(" or "))))
            }
            _ if disables(when, value) => Verdict::Ignored(Some(format!("{value:?} disables it"))),
            _ => Verdict::Denies,
        }
    }
}

/// Whether raw value `raw` of an annotation restricting `when` restricts by itself (a
/// modifier never does: modifiers of modifiers are not a thing, see the tests).
fn restricts_alone(when: When, raw: &str) -> bool {
    let value = raw.trim();
    !value.is_empty() && !matches!(when, When::With(_)) && !disables(when, value)
}

/// Whether `value` turns the annotation off: only a well-formed "off" value does; anything
/// else, invalid values included, restricts (fail closed).
fn disables(when: When, value: &str) -> bool {
    match when {
        When::Enabled => value::parse_bool(value) == Ok(false),
        When::Positive => value::parse_int(value).is_ok_and(|n| n <= 0),
        When::Set | When::With(_) => false,
    }
}

#[cfg(test)]
mod tests;
