//! Rate and connection limits (ingress-nginx `annotations/ratelimit`): `limit-rps`,
//! `limit-rpm`, `limit-burst-multiplier`, `limit-connections`, `limit-allowlist` (old name
//! `limit-whitelist`), and the response bandwidth `limit-rate` / `limit-rate-after` (in KB,
//! as ingress-nginx renders `limit_rate <N>k`). The statuses come from the ConfigMap
//! (`limit-req-status-code`, `limit-conn-status-code`).
//!
//! As ingress-nginx: a value of `limit-rps`, `limit-rpm`, `limit-connections` or
//! `limit-allowlist` that does not validate drops the Ingress (its parser returns the error);
//! `limit-burst-multiplier`, `limit-rate` and `limit-rate-after` fall back to their defaults.

use std::sync::Arc;

use portico_model::{Filter, GlobalConfig, Limits, LocationPolicy, RateLimit};

use crate::context::Ctx;
use crate::ipaccess::parse_cidrs;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;

/// ingress-nginx's `defBurst`.
const DEFAULT_BURST_MULTIPLIER: u32 = 5;

const INT: Validator =
    Validator { describe: "integer (<= 0 = off)", check: |v| value::parse_int(v).map(drop) };

const fn int(name: &'static str, on_invalid: OnInvalid, doc: &'static str) -> AnnotationSpec {
    AnnotationSpec {
        name,
        kind: ValueKind::Int,
        validator: INT,
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid,
        default_from: None,
        doc,
    }
}

const fn allowlist(name: &'static str, doc: &'static str) -> AnnotationSpec {
    AnnotationSpec {
        name,
        kind: ValueKind::String,
        validator: Validator {
            describe: "comma-separated IPv4/IPv6 CIDRs or addresses",
            check: |v| parse_cidrs(v).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc,
    }
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    int(
        "limit-rps",
        OnInvalid::Fatal,
        "Requests per second per client address (burst: rps × limit-burst-multiplier, then \
         limit-req-status-code).",
    ),
    int(
        "limit-rpm",
        OnInvalid::Fatal,
        "Requests per minute per client address (burst: rpm × limit-burst-multiplier, then \
         limit-req-status-code).",
    ),
    AnnotationSpec {
        name: "limit-burst-multiplier",
        validator: Validator {
            describe: "non-negative integer (default 5)",
            check: |v| value::parse_count::<u32>(v).map(drop),
        },
        ..int("limit-burst-multiplier", OnInvalid::Default, "Burst of limit-rps/limit-rpm.")
    },
    int(
        "limit-connections",
        OnInvalid::Fatal,
        "Concurrent requests per client address (then limit-conn-status-code).",
    ),
    allowlist("limit-allowlist", "Client addresses none of the limits apply to."),
    allowlist(
        "limit-whitelist",
        "Old name of limit-allowlist (used when limit-allowlist is absent).",
    ),
    AnnotationSpec {
        default_from: Some("limit-rate"),
        ..int(
            "limit-rate",
            OnInvalid::Default,
            "Response bandwidth per request, in KB/s (nginx limit_rate <N>k).",
        )
    },
    AnnotationSpec {
        default_from: Some("limit-rate-after"),
        ..int(
            "limit-rate-after",
            OnInvalid::Default,
            "KB of each response sent before limit-rate applies.",
        )
    },
];

/// Applies the limits onto `policy`: a [`Filter::Limits`] when a limit is on, a
/// [`Filter::RateLimit`] when a bandwidth is set (annotation, else ConfigMap `limit-rate`).
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy, global: &GlobalConfig) {
    let mut rate = |name: &str| -> u32 {
        let n = ctx.value(name).and_then(|v| value::parse_int(v).ok()).unwrap_or(0);
        u32::try_from(n.max(0)).unwrap_or(u32::MAX)
    };
    let (rps, rpm, connections) = (rate("limit-rps"), rate("limit-rpm"), rate("limit-connections"));
    let burst_multiplier = ctx
        .value("limit-burst-multiplier")
        .and_then(|v| value::parse_count::<u32>(v).ok())
        .unwrap_or(DEFAULT_BURST_MULTIPLIER);
    let allow_name =
        if ctx.is_present("limit-allowlist") { "limit-allowlist" } else { "limit-whitelist" };
    let allow = ctx.value(allow_name).and_then(|v| parse_cidrs(v).ok()).unwrap_or_default();
    if rps > 0 || rpm > 0 || connections > 0 {
        policy.filters.set(Filter::Limits(Arc::new(Limits {
            rps,
            rpm,
            burst_multiplier,
            connections,
            allow,
            req_status: global.limits.req_status,
            conn_status: global.limits.conn_status,
        })));
    }
    let kb = |ctx: &mut Ctx<'_>, name: &str, default: u64| -> u64 {
        match ctx.value(name).map(value::parse_int) {
            Some(Ok(n)) => u64::try_from(n).unwrap_or(0),
            _ => default,
        }
    };
    let per_second = kb(ctx, "limit-rate", global.limits.rate);
    let after = kb(ctx, "limit-rate-after", global.limits.rate_after);
    set_rate(policy, per_second, after);
}

/// Puts `limit-rate` (KB/s) and `limit-rate-after` (KB) in `policy`'s filters; none when the
/// rate is 0.
pub(crate) fn set_rate(policy: &mut LocationPolicy, per_second_kb: u64, after_kb: u64) {
    let filter = Filter::RateLimit(RateLimit {
        bytes_per_second: per_second_kb.saturating_mul(1024),
        after: after_kb.saturating_mul(1024),
    });
    if per_second_kb == 0 {
        policy.filters.remove_like(&filter);
    } else {
        policy.filters.set(filter);
    }
}

#[cfg(test)]
mod tests;
