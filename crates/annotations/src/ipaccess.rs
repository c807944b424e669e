//! Client address lists (ingress-nginx `annotations/ipallowlist` and `ipdenylist`):
//! `allowlist-source-range` (and its old name `whitelist-source-range`) and
//! `denylist-source-range`, comma-separated IPv4/IPv6 CIDRs or addresses; the ConfigMap keys of
//! the same names are the defaults of every location. A refused client gets 403. An invalid
//! entry is an error and the location answers 503: a list that cannot be read never opens.

use std::net::IpAddr;
use std::sync::Arc;

use portico_model::{Filter, IpNet, LocationPolicy, SourceRange};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};

const CIDRS: Validator = Validator {
    describe: "comma-separated IPv4/IPv6 CIDRs or addresses",
    check: |v| parse_cidrs(v).map(drop),
};

const fn list(name: &'static str, default_from: &'static str, doc: &'static str) -> AnnotationSpec {
    AnnotationSpec {
        name,
        kind: ValueKind::String,
        validator: CIDRS,
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Deny,
        default_from: Some(default_from),
        doc,
    }
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    list(
        "allowlist-source-range",
        "whitelist-source-range",
        "Only these client addresses may pass; others get 403.",
    ),
    list(
        "whitelist-source-range",
        "whitelist-source-range",
        "Old name of allowlist-source-range (used when allowlist-source-range is absent).",
    ),
    list("denylist-source-range", "denylist-source-range", "These client addresses get 403."),
];

/// Applies the lists onto `policy`, whose filters start from the ConfigMap defaults: an
/// annotation replaces its default list.
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    let mut range = policy.filters.source_range().cloned().unwrap_or_default();
    let allow_name = if ctx.is_present("allowlist-source-range") {
        "allowlist-source-range"
    } else {
        "whitelist-source-range"
    };
    let mut invalid = Vec::new();
    for (name, slot) in [(allow_name, &mut range.allow), ("denylist-source-range", &mut range.deny)]
    {
        match ctx.try_value(name) {
            Ok(Some(value)) => *slot = parse_cidrs(value).unwrap_or_default(),
            Ok(None) => {}
            Err(_) => invalid.push(name),
        }
    }
    if !invalid.is_empty() {
        let reason = format!("invalid {}", invalid.join(", "));
        policy.denied.get_or_insert_with(|| Arc::from(reason.as_str()));
    }
    set(policy, range);
}

/// Puts `range` in `policy`'s filters (none when both lists are empty).
pub(crate) fn set(policy: &mut LocationPolicy, range: SourceRange) {
    let filter = Filter::SourceRange(Arc::new(range));
    match &filter {
        Filter::SourceRange(r) if r.allow.is_empty() && r.deny.is_empty() => {
            policy.filters.remove_like(&filter);
        }
        _ => policy.filters.set(filter),
    }
}

/// `10.0.0.0/8, 192.168.1.1, ::1/128`: entries trimmed, empty ones skipped; a bare address is
/// a single-host network. Every entry must parse.
pub fn parse_cidrs(value: &str) -> Result<Vec<IpNet>, String> {
    let mut nets = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let net = match entry.parse::<IpNet>() {
            Ok(net) => net.trunc(),
            Err(_) => match entry.parse::<IpAddr>() {
                Ok(ip) => IpNet::from(ip),
                Err(_) => return Err(format!("{entry:?} is not a CIDR or an IP address")),
            },
        };
        nets.push(net);
    }
    Ok(nets)
}

#[cfg(test)]
mod tests;
