use http::{HeaderMap, HeaderName, HeaderValue, Method};
use portico_model::{
    BackendId, BackendRule, Backends, RequestMatch, Target, ValueMatch, WeightedTarget,
};

use super::*;

/// Primary (weight `100 - w`) and one canary (weight `w`), with `rules`.
fn canary(w: u32, rules: Vec<(RequestMatch, usize)>) -> Chooser {
    let mut b = Backends::single(Target::Backend(BackendId(0)));
    b.set_primary_weight(100 - w);
    b.add_target(WeightedTarget {
        target: Target::Backend(BackendId(1)),
        weight: w,
        ingress: None,
    });
    for (when, choose) in rules {
        b.add_rule(BackendRule { when, choose });
    }
    Chooser::build(&b, &mut Vec::new()).unwrap()
}

fn header(value: ValueMatch) -> RequestMatch {
    RequestMatch::Header { name: HeaderName::from_static("x-canary"), value }
}

fn exact(v: &str) -> ValueMatch {
    ValueMatch::Exact(v.into())
}

fn pick(chooser: &Chooser, headers: &[(&str, &str)], query: Option<&str>, draw: u64) -> usize {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let head = RequestHead { method: &Method::GET, headers: &map, query };
    chooser.choose(&head, |n| draw.min(n - 1))
}

#[test]
fn single_target_needs_no_chooser() {
    let b = Backends::single(Target::NotFound);
    assert!(Chooser::build(&b, &mut Vec::new()).is_none());
}

#[test]
fn header_then_cookie_then_weight() {
    let cookie = |v: &str| RequestMatch::Cookie { name: "canary".into(), value: exact(v) };
    let c = canary(
        10,
        vec![
            (cookie("always"), 1),
            (cookie("never"), 0),
            (header(exact("always")), 1),
            (header(exact("never")), 0),
        ],
    );
    assert_eq!(pick(&c, &[("x-canary", "always")], None, 0), 1);
    assert_eq!(pick(&c, &[("x-canary", "never"), ("cookie", "canary=always")], None, 0), 0);
    assert_eq!(pick(&c, &[("x-canary", "other"), ("cookie", "a=b; Canary=always")], None, 0), 1);
    assert_eq!(pick(&c, &[("cookie", "canary=never")], None, 95), 0, "never beats the weight");
    assert_eq!(pick(&c, &[], None, 89), 0, "draw below the primary's 90");
    assert_eq!(pick(&c, &[], None, 90), 1, "draw in the canary's 10");
}

#[test]
fn regex_values_and_bad_patterns() {
    let c = canary(0, vec![(header(ValueMatch::Regex("^v[23]$".into())), 1)]);
    assert_eq!(pick(&c, &[("x-canary", "v2")], None, 0), 1);
    assert_eq!(pick(&c, &[("x-canary", "v4")], None, 0), 0);
    let mut diagnostics = Vec::new();
    let mut b = Backends::single(Target::Backend(BackendId(0)));
    b.add_target(WeightedTarget {
        target: Target::Backend(BackendId(1)),
        weight: 0,
        ingress: None,
    });
    b.add_rule(BackendRule { when: header(ValueMatch::Regex("(".into())), choose: 1 });
    let c = Chooser::build(&b, &mut diagnostics).unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(pick(&c, &[("x-canary", "(")], None, 0), 0, "a broken pattern never matches");
}

#[test]
fn query_and_method_matches() {
    let arg = RequestMatch::Query { name: "Beta".into(), value: exact("1") };
    let c = canary(0, vec![(arg, 1)]);
    assert_eq!(pick(&c, &[], Some("a=2&beta=1"), 0), 1, "argument names are case-insensitive");
    assert_eq!(pick(&c, &[], Some("beta=10"), 0), 0);
    assert_eq!(pick(&c, &[], None, 0), 0);
    let c = canary(0, vec![(RequestMatch::Method(Method::POST), 1)]);
    assert_eq!(pick(&c, &[], None, 0), 0);
}

#[test]
fn zero_weights_keep_the_primary() {
    let mut b = Backends::single(Target::Backend(BackendId(0)));
    b.set_primary_weight(0);
    b.add_target(WeightedTarget {
        target: Target::Backend(BackendId(1)),
        weight: 0,
        ingress: None,
    });
    let c = Chooser::build(&b, &mut Vec::new()).unwrap();
    assert_eq!(pick(&c, &[], None, 0), 0);
}
