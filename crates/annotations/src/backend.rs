//! `default-backend`, `custom-http-errors` and `custom-headers` (ingress-nginx
//! `annotations/defaultbackend`, `annotations/customhttperrors`, `annotations/customheaders`): a
//! Service of the Ingress's namespace answering for the locations whose backend has no
//! endpoints, the upstream statuses replaced by the default backend's answer, and a ConfigMap
//! of response headers. Values failing their validators drop the Ingress; the Service and the
//! ConfigMap are looked up by the compiler.

use std::sync::Arc;

use portico_model::{CustomErrors, Filter};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::IngressAnnotations;

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "default-backend",
        kind: ValueKind::String,
        validator: Validator { describe: "Service name (DNS-1035 label)", check: check_dns1035 },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Service (first port, same namespace) answering when the location's backend has no \
              endpoints, and for custom-http-errors.",
    },
    AnnotationSpec {
        name: "custom-http-errors",
        kind: ValueKind::String,
        validator: Validator {
            describe: "comma-separated 4xx/5xx codes",
            check: check_error_codes,
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: Some("custom-http-errors"),
        doc: "Upstream statuses answered instead by the default backend (X-Code, X-Format, \
              X-Original-URI, ... sent to it).",
    },
    AnnotationSpec {
        name: "disable-proxy-intercept-errors",
        kind: ValueKind::Bool,
        validator: Validator {
            describe: "bool (Go ParseBool)",
            check: |v| crate::value::parse_bool(v).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: None,
        doc: "With custom-http-errors: upstream answers pass unchanged; only Portico's own \
              error answers (502, 503, 504, ...) go to the error backend.",
    },
    AnnotationSpec {
        name: "custom-headers",
        kind: ValueKind::String,
        validator: Validator {
            describe: "ConfigMap `namespace/name` or `name` (letters, digits, - . _ ~ / :)",
            check: check_basic_chars,
        },
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "ConfigMap whose data are response headers of the locations; every key must be \
              listed in the ConfigMap's global-allowed-response-headers (else 503).",
    },
];

/// Applies the family onto `out`: the annotation's codes replace the ConfigMap's (nginx's
/// location-level `error_page` replaces the `http` level's).
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.default_backend = ctx.value("default-backend").map(str::to_string);
    out.custom_headers = ctx.value("custom-headers").map(str::to_string);
    if let Some(value) = ctx.value("custom-http-errors") {
        let errors = CustomErrors { codes: parse_codes(value), ..CustomErrors::default() };
        out.policy.filters.set(Filter::CustomErrors(Arc::new(errors)));
    }
    if ctx.bool("disable-proxy-intercept-errors") == Some(true) {
        if let Some(errors) = out.policy.filters.custom_errors() {
            let errors = CustomErrors { pass_upstream: true, ..CustomErrors::clone(errors) };
            out.policy.filters.set(Filter::CustomErrors(Arc::new(errors)));
        }
    }
}

/// The codes of a validated list (empty entries skipped).
pub(crate) fn parse_codes(value: &str) -> Vec<u16> {
    value.split(',').filter_map(|code| code.trim().parse().ok()).collect()
}

/// Kubernetes' `NameIsDNS1035Label`: lowercase letters, digits and `-`, starting with a
/// letter, not ending with `-`, at most 63 bytes.
fn check_dns1035(value: &str) -> Result<(), String> {
    let bytes = value.as_bytes();
    let ok = bytes.len() <= 63
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if ok {
        Ok(())
    } else {
        Err("not a valid Service name (a DNS-1035 label)".to_string())
    }
}

/// ingress-nginx's `BasicCharsRegex` with spaces removed.
fn check_basic_chars(value: &str) -> Result<(), String> {
    crate::value::check_basic_chars(value, true)
}

/// ingress-nginx's `^(?:[4,5]\d{2},?)*$` on the value without spaces.
fn check_error_codes(value: &str) -> Result<(), String> {
    let compact = value.replace(' ', "");
    let mut rest = compact.as_bytes();
    while !rest.is_empty() {
        let code_ok = rest.len() >= 3
            && matches!(rest[0], b'4' | b'5' | b',')
            && rest[1].is_ascii_digit()
            && rest[2].is_ascii_digit();
        if !code_ok {
            return Err("not a comma-separated list of 4xx/5xx status codes".to_string());
        }
        rest = &rest[3..];
        if let Some(after) = rest.strip_prefix(b",") {
            rest = after;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::tests::parse;

    #[test]
    fn values() {
        let parsed = parse(&[("default-backend", "errors"), ("custom-http-errors", "404, 503")]);
        assert_eq!(parsed.annotations.default_backend.as_deref(), Some("errors"));
        let headers = parse(&[("custom-headers", "ns/headers")]);
        assert_eq!(headers.annotations.custom_headers.as_deref(), Some("ns/headers"));
        let errors = parsed.annotations.policy.filters.custom_errors().unwrap();
        assert_eq!(errors.codes, [404, 503]);
        assert!(parsed.diagnostics.is_empty());
    }

    #[test]
    fn invalid_values_drop_the_ingress() {
        for (name, bad) in [
            ("default-backend", "Errors"),
            ("default-backend", "ns/errors"),
            ("default-backend", "1errors"),
            ("custom-http-errors", "404,abc"),
            ("custom-http-errors", "302"),
            ("custom-http-errors", "4040"),
            ("custom-headers", "ns/cm;"),
            ("custom-headers", "$cm"),
        ] {
            assert!(parse(&[(name, bad)]).fatal, "{name}={bad:?}");
        }
        assert!(check_error_codes("404,503,").is_ok());
    }
}
