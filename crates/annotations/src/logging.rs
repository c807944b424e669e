//! Per-location logging (ingress-nginx `annotations/log/main.go`): `enable-access-log`.

use portico_model::LocationPolicy;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;

pub(crate) const SPECS: &[AnnotationSpec] = &[AnnotationSpec {
    name: "enable-access-log",
    kind: ValueKind::Bool,
    validator: Validator {
        describe: "bool (Go ParseBool)",
        check: |v| value::parse_bool(v).map(drop),
    },
    scope: Scope::Location,
    risk: Risk::Low,
    on_invalid: OnInvalid::Default,
    default_from: None,
    doc: "false: requests to the location write no access-log line (default true).",
}];

/// Applies `enable-access-log` onto `policy` (an invalid value keeps the log on, as
/// ingress-nginx).
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    if let Some(enabled) = ctx.bool("enable-access-log") {
        policy.access_log = enabled;
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{diags_for, parse};

    #[test]
    fn enable_access_log() {
        assert!(parse(&[]).annotations.policy.access_log);
        assert!(!parse(&[("enable-access-log", "false")]).annotations.policy.access_log);
        let bad = parse(&[("enable-access-log", "off")]);
        assert!(bad.annotations.policy.access_log, "invalid keeps the log on");
        assert_eq!(diags_for(&bad, "enable-access-log").len(), 1);
    }
}
