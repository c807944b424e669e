//! Choosing among a location's targets from the request head: the first rule whose match holds
//! decides (canary by header, then cookie), else a weighted draw (canary weight). A location
//! with one target has no chooser and costs nothing here.
//!
//! Values are nginx's `$http_NAME` (first header of that name), `$cookie_NAME` and `$arg_NAME`
//! ([`portico_model::vars`]).

use http::{HeaderMap, Method};
use portico_model::{vars, Backends, Diagnostic, RequestMatch, ValueMatch};
use regex::bytes::{Regex, RegexBuilder};

use crate::path::REGEX_SIZE_LIMIT;

/// What a chooser may look at.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    /// The raw query (after `?`), if any.
    pub query: Option<&'a str>,
}

/// The compiled [`Backends`] of one location. Invariant: every `choose` and every cumulative
/// weight indexes the location's targets.
#[derive(Debug)]
pub(crate) struct Chooser {
    rules: Vec<Rule>,
    /// Running sum of the weights, per target.
    cumulative: Vec<u64>,
}

#[derive(Debug)]
struct Rule {
    when: Match,
    choose: usize,
}

#[derive(Debug)]
enum Match {
    Header(http::HeaderName, Value),
    Cookie(String, Value),
    Query(String, Value),
    Method(Method),
}

#[derive(Debug)]
enum Value {
    Exact(Vec<u8>),
    /// `None`: the pattern did not compile; never matches (as ingress-nginx on a regex error).
    Regex(Option<Regex>),
}

// === impl Chooser ===

impl Chooser {
    /// `None` for a location with one target and no rules.
    pub(crate) fn build(backends: &Backends, diagnostics: &mut Vec<Diagnostic>) -> Option<Self> {
        if backends.is_single() {
            return None;
        }
        let rules = backends
            .rules()
            .iter()
            .map(|rule| Rule { when: Match::build(&rule.when, diagnostics), choose: rule.choose })
            .collect();
        let mut sum = 0u64;
        let cumulative = backends
            .targets()
            .iter()
            .map(|t| {
                sum += u64::from(t.weight);
                sum
            })
            .collect();
        Some(Self { rules, cumulative })
    }

    /// The index of the target for this request. `draw(n)` must return a uniform value in
    /// `0..n` (called only when the weights decide and `n > 0`).
    pub(crate) fn choose(&self, head: &RequestHead<'_>, draw: impl FnOnce(u64) -> u64) -> usize {
        if let Some(rule) = self.rules.iter().find(|rule| rule.when.holds(head)) {
            return rule.choose;
        }
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let at = draw(total);
        self.cumulative.iter().position(|&sum| at < sum).unwrap_or(0)
    }
}

// === impl Match ===

impl Match {
    fn build(when: &RequestMatch, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let value =
            |v: &ValueMatch, diagnostics: &mut Vec<Diagnostic>| Value::build(v, diagnostics);
        match when {
            RequestMatch::Header { name, value: v } => {
                Match::Header(name.clone(), value(v, diagnostics))
            }
            RequestMatch::Cookie { name, value: v } => {
                Match::Cookie(name.clone(), value(v, diagnostics))
            }
            RequestMatch::Query { name, value: v } => {
                Match::Query(name.clone(), value(v, diagnostics))
            }
            RequestMatch::Method(method) => Match::Method(method.clone()),
        }
    }

    fn holds(&self, head: &RequestHead<'_>) -> bool {
        match self {
            Match::Header(name, value) => {
                head.headers.get(name).is_some_and(|v| value.matches(v.as_bytes()))
            }
            Match::Cookie(name, value) => {
                vars::cookie(head.headers, name).is_some_and(|v| value.matches(v))
            }
            Match::Query(name, value) => {
                head.query.and_then(|q| vars::arg(q, name)).is_some_and(|v| value.matches(v))
            }
            Match::Method(method) => head.method == method,
        }
    }
}

// === impl Value ===

impl Value {
    fn build(value: &ValueMatch, diagnostics: &mut Vec<Diagnostic>) -> Self {
        match value {
            ValueMatch::Exact(text) => Value::Exact(text.as_bytes().to_vec()),
            ValueMatch::Regex(source) => {
                let compiled = RegexBuilder::new(source).size_limit(REGEX_SIZE_LIMIT).build();
                if let Err(error) = &compiled {
                    diagnostics.push(Diagnostic::warning(format!(
                        "match pattern {source:?} does not compile ({}); it never matches",
                        crate::path::regex_error_summary(error)
                    )));
                }
                Value::Regex(compiled.ok())
            }
        }
    }

    fn matches(&self, value: &[u8]) -> bool {
        match self {
            Value::Exact(expected) => value == expected.as_slice(),
            Value::Regex(regex) => regex.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
