//! Rewrite and redirect annotations (ingress-nginx `annotations/rewrite/main.go`,
//! `xforwardedprefix/main.go`; spec §1.1–§1.5). All but `x-forwarded-prefix` swallow errors.

use std::sync::{Arc, LazyLock};

use portico_model::{Filter, RewriteTarget};
use regex::Regex;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;
use crate::IngressAnnotations;

/// ingress-nginx's `RegexPathWithCapture`: no `?`, `&`, `=`, `%`, space, braces or parens.
static URI_CHARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^/?[-._~a-zA-Z0-9/:$]*$").unwrap_or_else(|e| panic!("static regex: {e}"))
});

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "rewrite-target",
        kind: ValueKind::String,
        validator: Validator { describe: "regex ^/?[-._~a-zA-Z0-9/:$]*$", check: check_uri_chars },
        scope: Scope::Ingress,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Default,
        default_from: None,
        doc: "Replace the whole request URI with this target ($1..$9 from the path regex); \
              makes the host regex-matched.",
    },
    AnnotationSpec {
        name: "use-regex",
        kind: ValueKind::Bool,
        validator: BOOL,
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: None,
        doc: "Treat paths as case-insensitive regexes; applies to every path of the host.",
    },
    AnnotationSpec {
        name: "ssl-redirect",
        kind: ValueKind::Bool,
        validator: BOOL,
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: Some("ssl-redirect"),
        doc: "Redirect HTTP to HTTPS when the host has a certificate.",
    },
    AnnotationSpec {
        name: "force-ssl-redirect",
        kind: ValueKind::Bool,
        validator: BOOL,
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Default,
        default_from: Some("force-ssl-redirect"),
        doc: "Redirect HTTP to HTTPS even without a certificate.",
    },
    AnnotationSpec {
        name: "preserve-trailing-slash",
        kind: ValueKind::Bool,
        validator: BOOL,
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Default,
        default_from: Some("preserve-trailing-slash"),
        doc: "Keep the trailing slash of the request URI in HTTPS redirects.",
    },
    AnnotationSpec {
        name: "app-root",
        kind: ValueKind::String,
        validator: Validator {
            describe: "regex ^/?[-._~a-zA-Z0-9/:$]*$, a relative request URI",
            check: check_app_root,
        },
        scope: Scope::Host,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Default,
        default_from: None,
        doc: "Answer 302 to this path for requests to exactly / of the host.",
    },
    AnnotationSpec {
        name: "x-forwarded-prefix",
        kind: ValueKind::String,
        validator: Validator {
            describe: "regex ^[-._~a-zA-Z0-9/:]*$ after removing spaces",
            check: check_basic_chars,
        },
        scope: Scope::Location,
        risk: Risk::Low,
        // Its ingress-nginx parser returns the validation error, so Extract drops the Ingress.
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Send X-Forwarded-Prefix with this value on rewriting locations.",
    },
];

/// Applies the rewrite family onto `out` (whose policy starts from the ConfigMap defaults):
/// the `rewrite-target` filter (with `x-forwarded-prefix`), the HTTPS redirect filter's
/// settings, `use-regex`, `app-root`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    let policy = &mut out.policy;
    if let Some(target) = ctx.value("rewrite-target") {
        let x_forwarded_prefix = ctx.value("x-forwarded-prefix").map(str::to_string);
        let rewrite = RewriteTarget { target: target.to_string(), x_forwarded_prefix };
        policy.filters.set(Filter::Rewrite(Arc::new(rewrite)));
    } else {
        // Validated (an invalid prefix is fatal) even where it has no effect.
        ctx.value("x-forwarded-prefix");
    }
    if let Some(v) = ctx.bool("use-regex") {
        policy.use_regex = v;
    }
    let ssl_redirect = ctx.bool("ssl-redirect");
    let force = ctx.bool("force-ssl-redirect");
    let preserve = ctx.bool("preserve-trailing-slash");
    policy.filters.update_https_redirect(|redirect| {
        redirect.ssl_redirect = ssl_redirect.unwrap_or(redirect.ssl_redirect);
        redirect.force = force.unwrap_or(redirect.force);
        redirect.preserve_trailing_slash = preserve.unwrap_or(redirect.preserve_trailing_slash);
    });
    out.app_root = ctx.value("app-root").map(str::to_string);
    if out.app_root.as_deref() == Some("/") {
        ctx.warn("app-root", "app-root \"/\" redirects / to itself (a redirect loop)");
    }
}

/// The rewrite-target charset.
fn check_uri_chars(value: &str) -> Result<(), String> {
    if URI_CHARS.is_match(value) {
        Ok(())
    } else {
        Err("only letters, digits, / - . _ ~ : and $ are allowed (no ?, &, =, %, spaces)"
            .to_string())
    }
}

/// app-root: the rewrite-target charset, then Go `url.ParseRequestURI` and not absolute. Within
/// that charset a value not starting with `/` either fails to parse or has a scheme.
fn check_app_root(value: &str) -> Result<(), String> {
    check_uri_chars(value)?;
    if value.starts_with('/') {
        Ok(())
    } else {
        Err("must be a path starting with / (not an absolute URL)".to_string())
    }
}

/// ingress-nginx's `BasicCharsRegex` with spaces removed first (`ValidateRegex(_, true)`): the
/// value must be a plain path-like string; a space is accepted (and sent) as is.
fn check_basic_chars(value: &str) -> Result<(), String> {
    value::check_basic_chars(value, true)
}

#[cfg(test)]
mod tests;
