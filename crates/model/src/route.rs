//! Where a location sends its requests: one or more weighted targets, and rules on the request
//! head that choose one of them before the weights do (ingress-nginx's canary: header, then
//! cookie, then weight).
//!
//! Invariants: `targets` is never empty and `targets[0]` is the primary (the target of the
//! Ingress that owns the path); every [`BackendRule::choose`] indexes `targets`; `rules` is in
//! precedence order ([`RequestMatch::precedence`], stable for equal precedence), so the first
//! rule whose match holds decides.

use std::sync::Arc;

use crate::{HeaderName, ObjectRef, Target};

/// The targets of a location and how one is chosen per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backends {
    targets: Vec<WeightedTarget>,
    rules: Vec<BackendRule>,
}

/// One target with its share of the requests no rule decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedTarget {
    pub target: Target,
    /// Relative weight; all zero means the primary takes everything.
    pub weight: u32,
    /// The Ingress that added this target (a canary); `None` for the primary.
    pub ingress: Option<Arc<ObjectRef>>,
}

/// "When the request matches, send it to `targets[choose]`."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendRule {
    pub when: RequestMatch,
    pub choose: usize,
}

/// A condition on the request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestMatch {
    /// A request header (case-insensitive name; the first value when repeated, as nginx's
    /// `$http_NAME`).
    Header { name: HeaderName, value: ValueMatch },
    /// A cookie of the `Cookie` header (the first with that name, as nginx's `$cookie_NAME`).
    Cookie { name: String, value: ValueMatch },
    /// A query argument, undecoded (the first with that name, as nginx's `$arg_NAME`).
    Query { name: String, value: ValueMatch },
    /// The request method, exactly.
    Method(http::Method),
}

/// How a header, cookie or argument value is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMatch {
    /// Byte-equal.
    Exact(String),
    /// A regex source, unanchored (PCRE-like `ngx.re.match`); compiled by the router. A value
    /// that fails to compile never matches.
    Regex(String),
}

// === impl Backends ===

impl Backends {
    /// One target taking every request.
    pub fn single(target: Target) -> Self {
        Self {
            targets: vec![WeightedTarget { target, weight: 1, ingress: None }],
            rules: Vec::new(),
        }
    }

    /// The primary target: the path owner's.
    pub fn primary(&self) -> Target {
        self.targets.first().map_or(Target::NotFound, |t| t.target)
    }

    pub fn targets(&self) -> &[WeightedTarget] {
        &self.targets
    }

    pub fn rules(&self) -> &[BackendRule] {
        &self.rules
    }

    /// Only the primary, no rules: the request head need not be looked at.
    pub fn is_single(&self) -> bool {
        self.targets.len() == 1 && self.rules.is_empty()
    }

    /// Sum of the weights.
    pub fn total_weight(&self) -> u64 {
        self.targets.iter().map(|t| u64::from(t.weight)).sum()
    }

    /// Replaces the primary target (the implicit root taken over, backend ids remapped).
    pub fn set_primary(&mut self, target: Target) {
        if let Some(first) = self.targets.first_mut() {
            first.target = target;
        }
    }

    /// Rewrites every target (backend ids remapped after the backends were sorted).
    pub fn map_targets(&mut self, mut f: impl FnMut(Target) -> Target) {
        for t in &mut self.targets {
            t.target = f(t.target);
        }
    }

    /// Sets the primary's weight (what is left of the total after the alternatives).
    pub fn set_primary_weight(&mut self, weight: u32) {
        if let Some(first) = self.targets.first_mut() {
            first.weight = weight;
        }
    }

    /// Adds an alternative target; returns its index for [`Backends::add_rule`].
    pub fn add_target(&mut self, target: WeightedTarget) -> usize {
        self.targets.push(target);
        self.targets.len() - 1
    }

    /// Adds a rule after the rules of equal or higher precedence. A `choose` outside `targets`
    /// is ignored (the invariant holds).
    pub fn add_rule(&mut self, rule: BackendRule) {
        if rule.choose >= self.targets.len() {
            return;
        }
        let rank = rule.when.precedence();
        let at = self.rules.partition_point(|r| r.when.precedence() <= rank);
        self.rules.insert(at, rule);
    }
}

// === impl RequestMatch ===

impl RequestMatch {
    /// Lower is tried first: header, cookie, query, method (canary's header before cookie).
    pub fn precedence(&self) -> u8 {
        match self {
            RequestMatch::Header { .. } => 0,
            RequestMatch::Cookie { .. } => 1,
            RequestMatch::Query { .. } => 2,
            RequestMatch::Method(_) => 3,
        }
    }
}

impl std::fmt::Display for RequestMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestMatch::Header { name, value } => write!(f, "header {name}{value}"),
            RequestMatch::Cookie { name, value } => write!(f, "cookie {name}{value}"),
            RequestMatch::Query { name, value } => write!(f, "arg {name}{value}"),
            RequestMatch::Method(method) => write!(f, "method {method}"),
        }
    }
}

impl std::fmt::Display for ValueMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueMatch::Exact(value) => write!(f, "={value}"),
            ValueMatch::Regex(source) => write!(f, "~{source}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BackendId;

    fn header(value: &str) -> RequestMatch {
        RequestMatch::Header {
            name: HeaderName::from_static("x-canary"),
            value: ValueMatch::Exact(value.into()),
        }
    }

    #[test]
    fn rules_keep_precedence_then_insertion_order() {
        let mut b = Backends::single(Target::Backend(BackendId(0)));
        let alt = b.add_target(WeightedTarget {
            target: Target::Backend(BackendId(1)),
            weight: 0,
            ingress: None,
        });
        let cookie =
            RequestMatch::Cookie { name: "c".into(), value: ValueMatch::Exact("always".into()) };
        b.add_rule(BackendRule { when: cookie.clone(), choose: alt });
        b.add_rule(BackendRule { when: header("always"), choose: alt });
        b.add_rule(BackendRule { when: header("never"), choose: 0 });
        b.add_rule(BackendRule { when: header("x"), choose: 7 });
        let order: Vec<String> = b.rules().iter().map(|r| r.when.to_string()).collect();
        assert_eq!(order, ["header x-canary=always", "header x-canary=never", "cookie c=always"]);
        assert!(!b.is_single());
        assert_eq!(b.primary(), Target::Backend(BackendId(0)));
    }
}
