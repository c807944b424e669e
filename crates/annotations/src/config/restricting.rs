//! ConfigMap keys that restrict access globally in ingress-nginx and that Portico does not
//! implement yet. As for annotations ([`crate::unsupported`]), ignoring one would serve to
//! everyone what ingress-nginx refuses, so while one is set every location answers 503
//! (location denied) and the diagnostic is an error, until Portico implements it.

use crate::unsupported::{Effect, UnsupportedSpec, Verdict, When};

const fn denies(name: &'static str, when: When, doc: &'static str) -> UnsupportedSpec {
    UnsupportedSpec { name, effect: Effect::Denies(when), doc }
}

/// The keys, with the values that restrict.
pub(crate) const RESTRICTING_KEYS: &[UnsupportedSpec] = &[
    denies("block-cidrs", When::Set, "Client CIDRs refused at the server level."),
    denies("block-user-agents", When::Set, "User-Agent patterns refused."),
    denies("block-referers", When::Set, "Referer patterns refused."),
    denies("enable-modsecurity", When::Enabled, "The ModSecurity WAF."),
    denies("enable-owasp-modsecurity-crs", When::Enabled, "The OWASP core rule set."),
    denies("modsecurity-snippet", When::Set, "ModSecurity rules."),
];

/// Whether the ConfigMap key `key` with `value` restricts access Portico cannot enforce.
pub(crate) fn restricts(key: &str, value: &str) -> Option<&'static UnsupportedSpec> {
    let spec = RESTRICTING_KEYS.iter().find(|spec| spec.name == key)?;
    match spec.verdict(value, |_| None) {
        Verdict::Denies => Some(spec),
        Verdict::Ignored(_) => None,
    }
}
