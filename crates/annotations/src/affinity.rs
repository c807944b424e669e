//! Cookie session affinity (ingress-nginx `annotations/sessionaffinity/main.go`; spec §6).
//!
//! `affinity: cookie` turns it on; the `session-cookie-*` settings are read only then. The
//! parser swallows every error: an invalid `affinity` means no affinity, an invalid setting its
//! default, each with a warning. `affinity-mode` is kept even without `affinity` (ingress-nginx
//! records type and mode separately on the shared upstream). `affinity-canary-behavior` on a
//! canary Ingress decides whether its backend takes the main backend's affinity.

use portico_model::{AffinityCookie, AffinityMode};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, Risk, Scope, Validator, ValueKind};
use crate::value;
use crate::IngressAnnotations;

/// ingress-nginx's `defaultAffinityCookieName`.
pub const DEFAULT_COOKIE_NAME: &str = "INGRESSCOOKIE";

/// What one Ingress asks of the backends it uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AffinityRequest {
    /// `affinity: cookie`: the cookie settings.
    pub cookie: Option<AffinityCookie>,
    /// `affinity-mode`, when set and valid.
    pub mode: Option<AffinityMode>,
    /// `affinity-canary-behavior: legacy` (on a canary Ingress): the canary does not take the
    /// main backend's affinity, so requests it serves are not pinned to it. Default `sticky`.
    pub canary_legacy: bool,
}

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };
const SECONDS: Validator =
    Validator { describe: "integer seconds", check: |v| value::parse_int(v).map(drop) };

const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    risk: Risk,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec::new(name, kind, validator, Scope::Ingress, risk, doc)
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "affinity",
        ValueKind::String,
        Validator { describe: "cookie", check: |v| one_of(v, &["cookie"], true) },
        Risk::Low,
        "Session affinity by cookie for the backends of this Ingress (affinity over hashing over \
         load-balance).",
    ),
    spec(
        "affinity-mode",
        ValueKind::String,
        Validator {
            describe: "balanced or persistent",
            check: |v| one_of(v, &["balanced", "persistent"], true),
        },
        Risk::Medium,
        "balanced (default): sessions rebalance when endpoints are added; persistent: a session \
         stays on its endpoint while it exists.",
    ),
    spec(
        "affinity-canary-behavior",
        ValueKind::String,
        Validator { describe: "sticky or legacy", check: |v| one_of(v, &["sticky", "legacy"], true) },
        Risk::Low,
        "On a canary Ingress: sticky (default) gives the canary the main backend's affinity, so a          client served by the canary stays there; legacy: the canary is chosen afresh.",
    ),
    spec(
        "session-cookie-name",
        ValueKind::String,
        Validator { describe: "letters, digits and / - . _ ~ :", check: check_basic_chars },
        Risk::Medium,
        "Name of the affinity cookie (default INGRESSCOOKIE).",
    ),
    spec(
        "session-cookie-path",
        ValueKind::String,
        Validator { describe: "letters, digits and - . _ ~ / : , ? & =", check: check_url_chars },
        Risk::Medium,
        "Path of the cookie (default: the Ingress path as written; set it with use-regex).",
    ),
    spec(
        "session-cookie-domain",
        ValueKind::String,
        Validator { describe: "letters, digits and / - . _ ~ :", check: check_basic_chars },
        Risk::Medium,
        "Domain attribute of the cookie.",
    ),
    spec(
        "session-cookie-samesite",
        ValueKind::String,
        Validator {
            describe: "None, Lax or Strict (any case)",
            check: |v| one_of(v, &["none", "lax", "strict"], false),
        },
        Risk::Low,
        "SameSite attribute of the cookie, as written.",
    ),
    spec(
        "session-cookie-conditional-samesite-none",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "Omit SameSite=None for user agents known to reject it.",
    ),
    spec(
        "session-cookie-secure",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "Secure cookie even over HTTP (HTTPS requests always get Secure).",
    ),
    spec(
        "session-cookie-expires",
        ValueKind::String,
        SECONDS,
        Risk::Medium,
        "Expires attribute: now plus this many seconds (default: a session cookie).",
    ),
    spec(
        "session-cookie-max-age",
        ValueKind::String,
        SECONDS,
        Risk::Medium,
        "Max-Age attribute in seconds (default: none).",
    ),
    spec(
        "session-cookie-change-on-failure",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "A failed pinned endpoint gets a new pin and cookie (default: the cookie stays).",
    ),
];

/// Applies the affinity family onto `out.affinity` (after the rewrite family: `use-regex`).
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.affinity.mode = ctx.value("affinity-mode").map(|v| match v {
        "persistent" => AffinityMode::Persistent,
        _ => AffinityMode::Balanced,
    });
    out.affinity.canary_legacy = ctx.value("affinity-canary-behavior") == Some("legacy");
    if ctx.value("affinity") != Some("cookie") {
        return;
    }
    let cookie = cookie(ctx);
    if out.policy.use_regex && cookie.path.is_none() {
        ctx.warn("affinity", "session-cookie-path should be set when use-regex is true");
    }
    out.affinity.cookie = Some(cookie);
}

fn cookie(ctx: &mut Ctx<'_>) -> AffinityCookie {
    let text = |ctx: &mut Ctx<'_>, name: &str| ctx.value(name).map(str::to_string);
    let seconds = |ctx: &mut Ctx<'_>, name: &str| ctx.value(name).and_then(|v| v.parse().ok());
    AffinityCookie {
        name: text(ctx, "session-cookie-name").unwrap_or_else(|| DEFAULT_COOKIE_NAME.to_string()),
        path: text(ctx, "session-cookie-path"),
        domain: text(ctx, "session-cookie-domain"),
        samesite: text(ctx, "session-cookie-samesite"),
        conditional_samesite_none: ctx
            .bool("session-cookie-conditional-samesite-none")
            .unwrap_or(false),
        secure: ctx.bool("session-cookie-secure").unwrap_or(false),
        expires: seconds(ctx, "session-cookie-expires"),
        max_age: seconds(ctx, "session-cookie-max-age"),
        change_on_failure: ctx.bool("session-cookie-change-on-failure").unwrap_or(false),
    }
}

/// ingress-nginx `ValidateOptions` (the value is trimmed by the registry already).
fn one_of(value: &str, options: &[&str], case_sensitive: bool) -> Result<(), String> {
    let found = options.iter().any(|o| {
        if case_sensitive {
            value == *o
        } else {
            value.eq_ignore_ascii_case(o)
        }
    });
    if found {
        Ok(())
    } else {
        Err(format!("expected one of {}", options.join(", ")))
    }
}

/// ingress-nginx `BasicCharsRegex`.
fn check_basic_chars(value: &str) -> Result<(), String> {
    value::check_basic_chars(value, false)
}

/// ingress-nginx `URLIsValidRegex`.
fn check_url_chars(value: &str) -> Result<(), String> {
    let ok = value.chars().all(|c| c.is_ascii_alphanumeric() || "-._~/:,?&=".contains(c));
    if ok {
        Ok(())
    } else {
        Err("only letters, digits and - . _ ~ / : , ? & = are allowed".to_string())
    }
}

#[cfg(test)]
mod tests;
