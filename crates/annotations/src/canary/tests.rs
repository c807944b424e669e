use std::collections::BTreeMap;

use portico_model::{GlobalConfig, Severity};

use crate::{parse_ingress, Canary, Parsed, DEFAULT_PREFIX};

fn parse(pairs: &[(&str, &str)]) -> Parsed {
    let raw: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (format!("{DEFAULT_PREFIX}/{k}"), v.to_string())).collect();
    parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default())
}

fn canary(pairs: &[(&str, &str)]) -> Canary {
    let parsed = parse(pairs);
    parsed.annotations.canary.unwrap_or_else(|| panic!("not a canary: {:?}", parsed.diagnostics))
}

#[test]
fn defaults_and_weights() {
    let c = canary(&[("canary", "true")]);
    assert_eq!(
        (c.weight, c.weight_total, c.header.clone(), c.cookie.clone()),
        (0, 100, None, None)
    );
    assert!(c.rules().is_empty());
    assert_eq!(c.weights(), (100, 0));
    assert_eq!(canary(&[("canary", "true"), ("canary-weight", "30")]).weights(), (70, 30));
    let total = [("canary", "true"), ("canary-weight", "30"), ("canary-weight-total", "1000")];
    assert_eq!(canary(&total).weights(), (970, 30));
    let small = [("canary", "true"), ("canary-weight", "30"), ("canary-weight-total", "50")];
    assert_eq!(canary(&small).weights(), (70, 30), "a total up to 100 counts as 100");
    assert_eq!(canary(&[("canary", "true"), ("canary-weight", "150")]).weights(), (0, 100));
    assert_eq!(canary(&[("canary", "true"), ("canary-weight", "-5")]).weights(), (100, 0));
}

#[test]
fn header_value_beats_pattern_beats_always_never() {
    let rules = |pairs: &[(&str, &str)]| -> Vec<String> {
        canary(pairs).rules().iter().map(|(m, to)| format!("{m} {to}")).collect()
    };
    let base = [("canary", "true"), ("canary-by-header", "X-Canary")];
    assert_eq!(rules(&base), ["header x-canary=always true", "header x-canary=never false"]);
    let value =
        [base[0], base[1], ("canary-by-header-value", "v2"), ("canary-by-header-pattern", "^v")];
    assert_eq!(rules(&value), ["header x-canary=v2 true"]);
    let pattern = [base[0], base[1], ("canary-by-header-pattern", "^v[0-9]+$")];
    assert_eq!(rules(&pattern), ["header x-canary~^v[0-9]+$ true"]);
    let cookie = [base[0], base[1], ("canary-by-cookie", "beta")];
    assert_eq!(
        rules(&cookie),
        [
            "header x-canary=always true",
            "header x-canary=never false",
            "cookie beta=always true",
            "cookie beta=never false"
        ]
    );
}

#[test]
fn bad_values_warn_and_keep_defaults() {
    let parsed = parse(&[
        ("canary", "true"),
        ("canary-weight", "ten"),
        ("canary-by-header", "X Canary"),
        ("canary-by-header-pattern", "(unclosed"),
    ]);
    let c = parsed.annotations.canary.clone().unwrap();
    assert_eq!((c.weight, c.header, c.header_pattern), (0, None, None));
    let warnings: Vec<&str> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .filter_map(|d| d.field.as_deref())
        .collect();
    assert_eq!(warnings.len(), 3, "{:?}", parsed.diagnostics);
    assert!(warnings.iter().any(|f| f.contains("canary-weight")), "{warnings:?}");
    assert!(!parsed.fatal);
}

#[test]
fn settings_without_canary_true_are_ignored() {
    let parsed = parse(&[("canary-weight", "50")]);
    assert!(parsed.annotations.canary.is_none());
    assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
    assert!(parsed.diagnostics[0].message.contains("ignored"));
    assert!(parse(&[("canary", "false")]).annotations.canary.is_none());
}
