//! `ssl-passthrough` (ingress-nginx `annotations/sslpassthrough/main.go`): TLS connections whose
//! SNI names the host are spliced to the backend of its `/` path without termination. It only
//! takes effect with the controller flag `--enable-ssl-passthrough` (the compiler checks that);
//! the parser returns its validation error, so an invalid value leaves the Ingress not loaded.

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;
use crate::IngressAnnotations;

pub(crate) const SPECS: &[AnnotationSpec] = &[AnnotationSpec {
    name: "ssl-passthrough",
    kind: ValueKind::Bool,
    validator: Validator {
        describe: "bool (Go ParseBool)",
        check: |v| value::parse_bool(v).map(drop),
    },
    scope: Scope::Host,
    risk: Risk::Low,
    on_invalid: OnInvalid::Fatal,
    default_from: None,
    doc: "With --enable-ssl-passthrough: TLS connections whose SNI names the host are passed \
          unterminated to the backend of its / path (the oldest Ingress of the host decides).",
}];

/// Applies `ssl-passthrough` onto `out.ssl_passthrough`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.ssl_passthrough = ctx.bool("ssl-passthrough").unwrap_or(false);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use std::collections::BTreeMap;

    use portico_model::GlobalConfig;

    use crate::{parse_ingress, DEFAULT_PREFIX};

    fn parse(value: &str) -> crate::Parsed {
        let key = format!("{DEFAULT_PREFIX}/ssl-passthrough");
        let raw = BTreeMap::from([(key, value.to_string())]);
        parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default())
    }

    #[test]
    fn go_booleans_set_it() {
        for (value, want) in [("true", true), ("1", true), ("True", true), ("false", false)] {
            let parsed = parse(value);
            assert_eq!(parsed.annotations.ssl_passthrough, want, "{value}");
            assert!(parsed.diagnostics.is_empty(), "{value}: {:?}", parsed.diagnostics);
        }
    }

    #[test]
    fn an_invalid_value_is_fatal_and_named() {
        let parsed = parse("yes");
        assert!(parsed.fatal);
        assert!(!parsed.annotations.ssl_passthrough);
        let shown = parsed.diagnostics[0].to_string();
        assert!(shown.contains("ssl-passthrough") && shown.contains("\"yes\""), "{shown}");
    }
}
