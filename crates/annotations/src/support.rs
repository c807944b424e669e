//! How Portico treats each `<prefix>/*` annotation of an Ingress compared with ingress-nginx,
//! for the migration report (`portico check`): supported, accepted without effect, unsupported
//! (served without it, or denied), or unknown to both.

use std::collections::BTreeMap;

use crate::registry;
use crate::unsupported::{self, Verdict};

/// Registry annotations that are validated but change nothing Portico does (nginx buffer and
/// connection tuning with no counterpart): answers are the same as ingress-nginx's. Their docs
/// say "accepted, no effect" or "(accepted, not used)"; a test keeps the two in step.
pub const ACCEPTED_WITHOUT_EFFECT: &[&str] = &[
    "auth-keepalive-requests",
    "auth-keepalive-timeout",
    "auth-keepalive-share-vars",
    "proxy-buffering",
    "proxy-buffers-number",
    "proxy-busy-buffers-size",
    "proxy-max-temp-file-size",
    "http2-push-preload",
    "enable-rewrite-log",
];

/// One annotation's standing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Support {
    /// Implemented as ingress-nginx does.
    Supported,
    /// Accepted, but without effect in Portico ([`ACCEPTED_WITHOUT_EFFECT`]): same answers.
    AcceptedWithoutEffect,
    /// Not implemented, but its value does nothing in ingress-nginx either (the note says why:
    /// empty, a disabling value, a modifier without what it modifies): same answers.
    InactiveAsWritten(String),
    /// Not implemented and ignored: the Ingress is served without it, differently from
    /// ingress-nginx.
    Ignored,
    /// Not implemented and restricts access: the Ingress's paths answer 503 (fails closed).
    Denies,
    /// Neither Portico's nor ingress-nginx's (a typo, a removed annotation): ignored by both.
    Unknown,
}

/// The standing of every `<prefix>/*` annotation in `raw`, by name (the key without prefix).
pub fn support_of(raw: &BTreeMap<String, String>, prefix: &str) -> Vec<(String, Support)> {
    let other = |name: &str| raw.get(&format!("{prefix}/{name}")).map(String::as_str);
    raw.iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix(prefix)?.strip_prefix('/')?;
            Some((name.to_string(), classify(name, value, other)))
        })
        .collect()
}

/// The standing of annotation `name` with raw value `value`; `other(name)` gives the
/// Ingress's other annotations (some unsupported ones only act with another).
fn classify<'v>(name: &str, value: &str, other: impl Fn(&str) -> Option<&'v str>) -> Support {
    if registry::lookup(name).is_some() {
        return match ACCEPTED_WITHOUT_EFFECT.contains(&name) {
            true => Support::AcceptedWithoutEffect,
            false => Support::Supported,
        };
    }
    let Some(spec) = unsupported::lookup_unsupported(name) else { return Support::Unknown };
    match spec.verdict(value, other) {
        Verdict::Denies => Support::Denies,
        Verdict::Ignored(None) => Support::Ignored,
        Verdict::Ignored(Some(note)) => Support::InactiveAsWritten(note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_PREFIX;

    #[test]
    fn the_marker_matches_the_docs() {
        for spec in registry::registry() {
            let says = spec.doc.contains("(accepted, not used)")
                || spec.doc.starts_with("accepted, no effect");
            assert_eq!(says, ACCEPTED_WITHOUT_EFFECT.contains(&spec.name), "{}", spec.name);
        }
        for name in ACCEPTED_WITHOUT_EFFECT {
            assert!(registry::lookup(name).is_some(), "{name} is registered");
        }
    }

    #[test]
    fn each_kind_of_annotation_is_told_apart() {
        let raw: BTreeMap<String, String> = [
            ("rewrite-target", "/"),
            ("auth-keepalive-timeout", "60"),
            ("fastcgi-index", "index.php"),
            ("enable-modsecurity", "false"),
            ("global-rate-limit", "10"),
            ("rewrite-targt", "/"),
        ]
        .into_iter()
        .map(|(k, v)| (format!("{DEFAULT_PREFIX}/{k}"), v.to_string()))
        .chain([("other.io/x".to_string(), "1".to_string())])
        .collect();
        let got: BTreeMap<_, _> = support_of(&raw, DEFAULT_PREFIX).into_iter().collect();
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got["rewrite-target"], Support::Supported);
        assert_eq!(got["auth-keepalive-timeout"], Support::AcceptedWithoutEffect);
        assert_eq!(got["fastcgi-index"], Support::Ignored);
        assert!(matches!(got["enable-modsecurity"], Support::InactiveAsWritten(_)));
        assert_eq!(got["global-rate-limit"], Support::Denies);
        assert_eq!(got["rewrite-targt"], Support::Unknown);
    }
}
