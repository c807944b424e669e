//! `service-upstream` (ingress-nginx `annotations/serviceupstream`): send to the Service's
//! ClusterIP and port instead of its endpoints. Like `load-balance`, it is a property of the
//! backend, fixed by the first (oldest) Ingress using the Service port. ingress-nginx's parser
//! turns a value that is not a Go bool into `false`.

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::{value, IngressAnnotations};

pub(crate) const SPECS: &[AnnotationSpec] = &[AnnotationSpec {
    name: "service-upstream",
    kind: ValueKind::Bool,
    validator: Validator {
        describe: "bool (Go ParseBool)",
        check: |v| value::parse_bool(v).map(drop),
    },
    scope: Scope::Ingress,
    risk: Risk::Low,
    on_invalid: OnInvalid::Default,
    default_from: None,
    doc: "Proxy to the Service's ClusterIP:port instead of its endpoints (the backends this \
          Ingress creates first); without a ClusterIP the endpoints are used, with a warning.",
}];

/// Applies `service-upstream` onto `out.service_upstream`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.service_upstream = ctx.bool("service-upstream").unwrap_or(false);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use portico_model::GlobalConfig;

    use crate::{parse_ingress, DEFAULT_PREFIX};

    fn parse(value: &str) -> crate::Parsed {
        let raw =
            BTreeMap::from([(format!("{DEFAULT_PREFIX}/service-upstream"), value.to_string())]);
        parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default())
    }

    #[test]
    fn go_bools_and_invalid_values_read_false() {
        assert!(parse("true").annotations.service_upstream);
        assert!(parse("1").annotations.service_upstream);
        assert!(!parse("false").annotations.service_upstream);
        let bad = parse("yes");
        assert!(!bad.annotations.service_upstream && !bad.fatal);
        assert_eq!(bad.diagnostics.len(), 1);
    }
}
