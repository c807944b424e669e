//! `load-balance` (ingress-nginx `annotations/loadbalancing/main.go`; spec §6), extended with
//! Portico's IPVS-style schedulers. Invalid values keep the default with a warning.

use portico_model::LbAlgorithm;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::IngressAnnotations;

/// ingress-nginx's internal algorithm names, which its validator accepts: they only mean
/// something with `upstream-hash-by` or `affinity`, which choose them by themselves, so alone
/// they are served with round robin (as ingress-nginx does with an unusable name).
const ROUND_ROBIN_FALLBACKS: &[&str] =
    &["chash", "chashsubset", "sticky_balanced", "sticky_persistent"];

pub(crate) const SPECS: &[AnnotationSpec] = &[AnnotationSpec {
    name: "load-balance",
    kind: ValueKind::String,
    validator: Validator {
        describe: "round_robin, ewma, or rr lc dh sh sed nq",
        check: |v| parse_load_balance(v).map(drop),
    },
    scope: Scope::Ingress,
    risk: Risk::Low,
    on_invalid: OnInvalid::Default,
    default_from: Some("load-balance"),
    doc: "Load-balancing algorithm of the backends this Ingress creates first.",
}];

/// Applies `load-balance` onto `out.load_balance`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    let Some(v) = ctx.value("load-balance") else { return };
    if let Ok((algorithm, note)) = parse_load_balance(v) {
        out.load_balance = Some(algorithm);
        if let Some(note) = note {
            ctx.warn("load-balance", note);
        }
    }
}

/// Parses a `load-balance` value; the note says when the value is served by a substitute.
pub fn parse_load_balance(value: &str) -> Result<(LbAlgorithm, Option<String>), String> {
    if ROUND_ROBIN_FALLBACKS.contains(&value) {
        let note = format!(
            "load-balance {value:?} is chosen by upstream-hash-by or affinity, not by name; \
             using round robin"
        );
        return Ok((LbAlgorithm::RoundRobin, Some(note)));
    }
    LbAlgorithm::parse(value).map(|algorithm| (algorithm, None)).ok_or_else(|| {
        "unknown algorithm (expected round_robin, ewma, rr, lc, dh, sh, sed or nq)".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_algorithms() {
        let cases: &[(&str, LbAlgorithm, bool)] = &[
            ("round_robin", LbAlgorithm::RoundRobin, false),
            ("rr", LbAlgorithm::RoundRobin, false),
            ("lc", LbAlgorithm::LeastConnections, false),
            ("dh", LbAlgorithm::DestinationHash, false),
            ("sh", LbAlgorithm::SourceHash, false),
            ("sed", LbAlgorithm::ShortestExpectedDelay, false),
            ("nq", LbAlgorithm::NeverQueue, false),
            ("ewma", LbAlgorithm::Ewma, false),
            ("chash", LbAlgorithm::RoundRobin, true),
            ("chashsubset", LbAlgorithm::RoundRobin, true),
            ("sticky_balanced", LbAlgorithm::RoundRobin, true),
            ("sticky_persistent", LbAlgorithm::RoundRobin, true),
        ];
        for (v, algorithm, noted) in cases {
            let (got, note) = parse_load_balance(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!((got, note.is_some()), (*algorithm, *noted), "{v}");
        }
    }

    #[test]
    fn unknown_names_are_rejected() {
        for v in ["RR", "Round_Robin", "random", "least_conn", "wrr", "rr lc"] {
            assert!(parse_load_balance(v).is_err(), "{v}");
        }
    }
}
