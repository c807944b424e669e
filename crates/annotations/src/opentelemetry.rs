//! Per-location tracing (ingress-nginx `annotations/opentelemetry/main.go`):
//! `enable-opentelemetry`, `opentelemetry-trust-incoming-span`, `opentelemetry-operation-name`.
//!
//! As ingress-nginx: the other two are read only when `enable-opentelemetry` is `"true"` on the
//! same Ingress (else the ConfigMap's values stand, and a warning says so); an invalid boolean
//! reads as absent; an operation name outside `^[A-Za-z0-9_\-]*$` fails the Ingress.

use std::sync::Arc;

use portico_model::{LocationPolicy, LogFormat, LogPart};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;

const ENABLE: &str = "enable-opentelemetry";
const TRUST: &str = "opentelemetry-trust-incoming-span";
const OPERATION: &str = "opentelemetry-operation-name";

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };
const NAME: Validator = Validator { describe: "regex ^[A-Za-z0-9_\\-]*$", check: check_name };

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec::new(
        ENABLE,
        ValueKind::Bool,
        BOOL,
        Scope::Location,
        Risk::Low,
        "Trace this location (true) or not (false), whatever the ConfigMap says; needs \
         otlp-collector-host.",
    )
    .default_from(ENABLE),
    AnnotationSpec::new(
        TRUST,
        ValueKind::Bool,
        BOOL,
        Scope::Location,
        Risk::Low,
        "Continue the client's trace from a valid traceparent (read only with \
         enable-opentelemetry: \"true\").",
    )
    .default_from(TRUST),
    AnnotationSpec::new(
        OPERATION,
        ValueKind::String,
        NAME,
        Scope::Location,
        Risk::Medium,
        "Name of the server span, plain text (read only with enable-opentelemetry: \"true\").",
    )
    .on_invalid(OnInvalid::Fatal)
    .default_from(OPERATION),
];

/// Applies the three annotations onto `policy.tracing`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    let Some(enabled) = ctx.bool(ENABLE) else {
        for name in [TRUST, OPERATION] {
            if !ctx.is_present(name) {
                continue;
            }
            ctx.warn(name, format!("ignored without {ENABLE}: \"true\" (as ingress-nginx)"));
        }
        return;
    };
    policy.tracing.enabled = enabled;
    if !enabled {
        return;
    }
    if let Some(trust) = ctx.bool(TRUST) {
        policy.tracing.trust_incoming = trust;
    }
    if let Some(name) = ctx.value(OPERATION) {
        let format = LogFormat { parts: vec![LogPart::Text(name.to_string())] };
        policy.tracing.operation_name = Some(Arc::new(format));
    }
}

/// ingress-nginx's `regexOperationName`.
fn check_name(value: &str) -> Result<(), String> {
    match value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        true => Ok(()),
        false => Err("only letters, digits, '_' and '-' are allowed".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use portico_model::Severity;

    use crate::tests::{diags_for, parse};

    #[test]
    fn enable_sets_the_location_and_unlocks_the_others() {
        let on = parse(&[
            ("enable-opentelemetry", "true"),
            ("opentelemetry-trust-incoming-span", "false"),
            ("opentelemetry-operation-name", "checkout"),
        ]);
        let tracing = &on.annotations.policy.tracing;
        assert!(tracing.enabled && !tracing.trust_incoming);
        assert_eq!(tracing.operation_name.as_ref().map(|f| f.parts.len()), Some(1));
        assert!(on.diagnostics.is_empty(), "{:?}", on.diagnostics);

        let off = parse(&[("enable-opentelemetry", "false")]);
        assert!(!off.annotations.policy.tracing.enabled);
        assert!(parse(&[]).annotations.policy.tracing.trust_incoming, "default: trusted");
    }

    #[test]
    fn the_others_need_enable_true() {
        let alone = parse(&[("opentelemetry-trust-incoming-span", "false")]);
        assert!(alone.annotations.policy.tracing.trust_incoming, "ignored");
        let warnings = diags_for(&alone, "opentelemetry-trust-incoming-span");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].severity, Severity::Warning);
        let disabled =
            parse(&[("enable-opentelemetry", "false"), ("opentelemetry-operation-name", "x")]);
        assert!(disabled.annotations.policy.tracing.operation_name.is_none());
    }

    #[test]
    fn invalid_values() {
        let bad_bool = parse(&[("enable-opentelemetry", "yes")]);
        assert!(!bad_bool.annotations.policy.tracing.enabled);
        assert_eq!(diags_for(&bad_bool, "enable-opentelemetry").len(), 1);
        assert!(!bad_bool.fatal);
        let bad_name =
            parse(&[("enable-opentelemetry", "true"), ("opentelemetry-operation-name", "a $uri")]);
        assert!(bad_name.fatal, "the Ingress is not loaded, as ingress-nginx");
    }
}
