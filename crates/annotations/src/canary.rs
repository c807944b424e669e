//! Canary Ingresses (ingress-nginx `annotations/canary/main.go`, the Lua balancer's
//! `route_to_alternative_balancer`): `canary: "true"` makes an Ingress an alternative backend of
//! the main Ingress with the same host and path instead of an owner of paths. Which requests go
//! to it: `canary-by-header` (`always`/`never`, or `canary-by-header-value`, or
//! `canary-by-header-pattern`), then `canary-by-cookie` (`always`/`never`), then
//! `canary-weight` out of `canary-weight-total`.
//!
//! Invalid values fall back to their defaults with a warning, as ingress-nginx's parser does.
//! Canary settings without `canary: "true"` are ignored (ingress-nginx: "configured but not
//! enabled") and the Ingress is served as a normal one. Of a canary Ingress's other
//! annotations only the balancing ones apply to its backend; the rest come from the main
//! Ingress's location (the compiler does that by reusing the location).

use std::sync::LazyLock;

use portico_model::{HeaderName, RequestMatch, ValueMatch};
use regex::Regex;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, Risk, Scope, Validator, ValueKind};
use crate::value::{self, static_regex};

/// ingress-nginx's `IsValidRegex`: basic characters plus regex syntax.
static REGEX_CHARS: LazyLock<Regex> =
    LazyLock::new(|| static_regex(r"^[/\-._~a-zA-Z0-9:\^$\[\](){}*+?|&=\\]*$"));

/// `canary-weight-total` when unset, and the least the balancer uses.
pub const DEFAULT_WEIGHT_TOTAL: u32 = 100;

/// A canary Ingress's routing, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    /// `canary-weight`, at least 0.
    pub weight: u32,
    /// `canary-weight-total`; ingress-nginx's balancer uses 100 for anything not above 100.
    pub weight_total: u32,
    pub header: Option<HeaderName>,
    pub header_value: Option<String>,
    /// Used only without `header_value`, as ingress-nginx.
    pub header_pattern: Option<String>,
    pub cookie: Option<String>,
}

const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    risk: Risk,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec::new(name, kind, validator, Scope::Ingress, risk, doc)
}

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };
const INT: Validator = Validator { describe: "integer", check: |v| value::parse_int(v).map(drop) };
const BASIC: Validator = Validator { describe: "letters, digits and `/-._~:`", check: check_basic };
const HEADER: Validator = Validator {
    describe: "a header name (letters, digits and `-._~`)",
    check: |v| {
        check_basic(v)?;
        HeaderName::from_bytes(v.as_bytes()).map(drop).map_err(|_| "not a header name".into())
    },
};

fn check_basic(value: &str) -> Result<(), String> {
    value::check_basic_chars(value, false)
}
const PATTERN: Validator = Validator {
    describe: "a regular expression (basic characters and regex syntax)",
    check: |v| {
        if !REGEX_CHARS.is_match(v) {
            return Err("unexpected characters".into());
        }
        regex::bytes::Regex::new(v).map(drop).map_err(|e| format!("does not compile: {e}"))
    },
};

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec("canary", ValueKind::Bool, BOOL, Risk::Low, "The Ingress is a canary: an alternative backend for the main Ingress's same host and path, never an owner of paths."),
    spec("canary-by-header", ValueKind::String, HEADER, Risk::Medium, "Request header routing to the canary: `always` → canary, `never` → main; other values fall through to the cookie and the weight."),
    spec("canary-by-header-value", ValueKind::String, BASIC, Risk::Medium, "With canary-by-header: this header value (instead of `always`) routes to the canary."),
    spec("canary-by-header-pattern", ValueKind::String, PATTERN, Risk::Medium, "With canary-by-header and no canary-by-header-value: a header value matching this regex routes to the canary."),
    spec("canary-by-cookie", ValueKind::String, BASIC, Risk::Medium, "Cookie routing to the canary: `always` → canary, `never` → main."),
    spec("canary-weight", ValueKind::Int, INT, Risk::Low, "Share of the remaining requests sent to the canary, out of canary-weight-total."),
    spec("canary-weight-total", ValueKind::Int, INT, Risk::Low, "Total of canary-weight (default 100; values up to 100 count as 100, as ingress-nginx's balancer)."),
];

const SETTINGS: [&str; 6] = [
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
    "canary-by-cookie",
    "canary-weight",
    "canary-weight-total",
];

/// Parses the canary annotations: `Some` when `canary` is true.
pub(crate) fn parse(ctx: &mut Ctx<'_>) -> Option<Canary> {
    let enabled = ctx.bool("canary").unwrap_or(false);
    if !enabled {
        // Invalid values are reported either way.
        for name in SETTINGS {
            ctx.value(name);
        }
        if let Some(name) = SETTINGS.iter().find(|name| ctx.is_present(name)) {
            ctx.warn(name, "canary settings without `canary: \"true\"` are ignored (as ingress-nginx); the Ingress is served as a normal one");
        }
        return None;
    }
    let int =
        |ctx: &mut Ctx<'_>, name: &str| ctx.value(name).and_then(|v| value::parse_int(v).ok());
    let weight = int(ctx, "canary-weight").unwrap_or(0).clamp(0, i64::from(u32::MAX));
    let total = int(ctx, "canary-weight-total").unwrap_or(i64::from(DEFAULT_WEIGHT_TOTAL));
    let header =
        ctx.value("canary-by-header").and_then(|v| HeaderName::from_bytes(v.as_bytes()).ok());
    let text = |ctx: &mut Ctx<'_>, name: &str| ctx.value(name).map(str::to_string);
    Some(Canary {
        weight: u32::try_from(weight).unwrap_or(u32::MAX),
        weight_total: u32::try_from(total.clamp(0, i64::from(u32::MAX))).unwrap_or(u32::MAX),
        header,
        header_value: text(ctx, "canary-by-header-value"),
        header_pattern: text(ctx, "canary-by-header-pattern"),
        cookie: text(ctx, "canary-by-cookie"),
    })
}

// === impl Canary ===

impl Canary {
    /// The request matches in precedence order, each with where it sends the request (`true`:
    /// the canary, `false`: the main backend).
    pub fn rules(&self) -> Vec<(RequestMatch, bool)> {
        let mut rules = Vec::new();
        if let Some(name) = &self.header {
            let header = |value| RequestMatch::Header { name: name.clone(), value };
            match (&self.header_value, &self.header_pattern) {
                (Some(value), _) => rules.push((header(ValueMatch::Exact(value.clone())), true)),
                (None, Some(pattern)) => {
                    rules.push((header(ValueMatch::Regex(pattern.clone())), true))
                }
                (None, None) => {
                    rules.push((header(ValueMatch::Exact("always".into())), true));
                    rules.push((header(ValueMatch::Exact("never".into())), false));
                }
            }
        }
        if let Some(name) = &self.cookie {
            let cookie = |value: &str| RequestMatch::Cookie {
                name: name.clone(),
                value: ValueMatch::Exact(value.into()),
            };
            rules.push((cookie("always"), true));
            rules.push((cookie("never"), false));
        }
        rules
    }

    /// `(main, canary)` weights of the draw: ingress-nginx draws `1..=total` and sends the
    /// request to the canary when the draw is at most the weight, with `total` at least 100.
    pub fn weights(&self) -> (u32, u32) {
        let total = self.weight_total.max(DEFAULT_WEIGHT_TOTAL);
        let canary = self.weight.min(total);
        (total - canary, canary)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
