//! Annotations Portico reads and validates but that change nothing it does, because what they
//! tune has no counterpart here: listed so that `portico check` does not call them unsupported
//! ([`crate::support::ACCEPTED_WITHOUT_EFFECT`]). Invalid values warn, as ingress-nginx's parser.

use crate::registry::{AnnotationSpec, Risk, Scope, Validator, ValueKind};
use crate::value;

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec::new(
        "http2-push-preload",
        ValueKind::Bool,
        BOOL,
        Scope::Location,
        Risk::Low,
        "accepted, no effect: HTTP/2 server push from Link headers is not implemented (browsers \
         removed push; responses are the same).",
    ),
    AnnotationSpec::new(
        "enable-rewrite-log",
        ValueKind::Bool,
        BOOL,
        Scope::Location,
        Risk::Low,
        "accepted, no effect: nginx's rewrite log has no counterpart (Portico's own log is set \
         with RUST_LOG).",
    ),
];

/// Validates the family's values (warnings for invalid ones); nothing else to apply.
pub(crate) fn apply(ctx: &mut crate::context::Ctx<'_>) {
    for spec in SPECS {
        let _ = ctx.bool(spec.name);
    }
}
