//! Regex mode (§1.3, §4.1): every location of the host is `location ~* "^<path>"`, tried
//! first-match in emitted order.
//!
//! Emitted order, reproduced from ingress-nginx:
//! 1. `getBackendServers` stable-sorts the locations by path, descending, then stable-sorts by
//!    path length, descending: the key is (length desc, bytes desc), ties keep table order.
//! 2. *Afterwards* `getConfiguration` runs `updateServerLocations`, which replaces each Prefix
//!    location `/p` of an Ingress without `use-regex` and without rewrite (p ≠ `/`) by `/p/`
//!    followed *immediately* by an exact twin `/p` (no twin when an `Exact /p` exists on the
//!    host; for `/p/` the twin repeats `/p/`).
//! 3. The template emits `~* "^/p/"` then `~* "^/p"` at the sorted position of `/p`.
//!
//! Conclusion: the two regexes are adjacent and lead to the same location, so together they
//! accept exactly what `^/p/` or `^/p` accepts — for a literal path that is `^/p`, i.e. such a
//! location also takes `/pq` and `/P/x`. When an `Exact /p` exists, the Prefix location only
//! gets `^/p/` and the Exact one keeps its own `^/p` (whichever comes first in table order
//! wins the tie). We compile both regexes rather than simplifying, so that arbitrary path text
//! (the path is a regex source here) behaves exactly as nginx's pair would.
//!
//! Matching: all regexes of the host in one automaton that reports the first in emitted order
//! that matches ([`FirstMatch`]), one pass over the path instead of one search per regex.
//!
//! Regexes: `regex::bytes` with Unicode off, the closest to nginx's PCRE without UTF mode
//! (`.` is one byte, `(?i)` and `\w` are ASCII). PCRE-only syntax (look-around,
//! back-references) does not compile: that location is left out with a diagnostic.
//! Exact locations also become prefix-like regexes; there is no 301 auto-redirect here, nginx
//! does that only for static locations.

use std::collections::HashSet;

use portico_model::{Diagnostic, Location, PathType};
use regex::bytes::{Regex, RegexBuilder};

use super::first_match::FirstMatch;
use super::is_prefix;
use crate::PathMatch;

/// Compiled program size limit per regex.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Invariant: the regexes of `program` are in first-match order; regex `k` belongs to
/// `locations[k]`, an index of `server.locations`.
#[derive(Debug)]
pub(crate) struct RegexMatcher {
    program: FirstMatch,
    locations: Vec<usize>,
}

// === impl RegexMatcher ===

impl RegexMatcher {
    /// Compiles every location in emitted order; returns the indexes of locations left out.
    pub(crate) fn build(
        locations: &[Location],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> (Self, HashSet<usize>) {
        Self::build_with(locations, diagnostics, true)
    }

    /// [`RegexMatcher::build`]; `set`: one automaton for all regexes (what the proxy uses),
    /// else each regex tried in turn (the reference the automaton is tested against).
    pub(crate) fn build_with(
        locations: &[Location],
        diagnostics: &mut Vec<Diagnostic>,
        set: bool,
    ) -> (Self, HashSet<usize>) {
        let mut order: Vec<usize> = (0..locations.len()).collect();
        // The compiler keeps locations in this order already; sorting again (stable) makes the
        // first-match order a property of the locations, not of how the table was built.
        order.sort_by_key(|&i| locations[i].precedence());
        let exact_paths = exact_paths(locations);
        let (mut patterns, mut regexes, mut owners) = (Vec::new(), Vec::new(), Vec::new());
        let mut failed = HashSet::new();
        for i in order {
            let location = &locations[i];
            let anchored: Vec<String> =
                sources(location, &exact_paths).iter().map(|s| anchor(s)).collect();
            let compiled: Result<Vec<Regex>, regex::Error> =
                anchored.iter().map(|pattern| compile(pattern)).collect();
            match compiled {
                Ok(compiled) => {
                    owners.extend(std::iter::repeat_n(i, compiled.len()));
                    regexes.extend(compiled);
                    patterns.extend(anchored);
                }
                Err(error) => {
                    diagnostics.push(regex_diagnostic(location, &error));
                    failed.insert(i);
                }
            }
        }
        let program = match set {
            true => FirstMatch::build(&patterns, regexes, REGEX_SIZE_LIMIT),
            false => FirstMatch::Each(regexes),
        };
        (Self { program, locations: owners }, failed)
    }

    /// Whether all regexes run as one automaton (for tests).
    #[cfg(test)]
    pub(crate) fn is_one_pass(&self) -> bool {
        matches!(self.program, FirstMatch::Set(_))
    }

    pub(crate) fn find(&self, path: &str) -> PathMatch {
        match self.program.find(path.as_bytes()).and_then(|k| self.locations.get(k)) {
            Some(&location) => PathMatch::Location(location),
            None => PathMatch::NoMatch,
        }
    }
}

/// The locations whose regexes do not compile, each with its diagnostic, in table order. Compiles
/// what [`RegexMatcher::build`] compiles, without building a matcher.
pub(crate) fn failures(locations: &[Location]) -> Vec<(usize, Diagnostic)> {
    let exact_paths = exact_paths(locations);
    let failure = |(i, location): (usize, &Location)| {
        let sources = sources(location, &exact_paths);
        let error = sources.iter().find_map(|source| compile(&anchor(source)).err())?;
        Some((i, regex_diagnostic(location, &error)))
    };
    locations.iter().enumerate().filter_map(failure).collect()
}

fn exact_paths(locations: &[Location]) -> HashSet<&str> {
    locations.iter().filter(|l| l.path_type == PathType::Exact).map(|l| l.path.as_str()).collect()
}

/// The regex sources nginx gets for one location, in emitted order (step 2 above).
fn sources(location: &Location, exact_paths: &HashSet<&str>) -> Vec<String> {
    let path = location.path.as_str();
    let split = is_prefix(location.path_type)
        && path != "/"
        && !location.policy.use_regex
        && location.policy.filters.rewrite().is_none();
    if !split {
        return vec![path.to_string()];
    }
    if path.ends_with('/') {
        // `/p/` and its twin `/p/` are the same regex.
        return vec![path.to_string()];
    }
    let mut sources = vec![format!("{path}/")];
    if !exact_paths.contains(path) {
        sources.push(path.to_string());
    }
    sources
}

/// The pattern of `~* "^<source>"`.
fn anchor(source: &str) -> String {
    format!("(?i)^{source}")
}

/// Builds a regex with the options shared by locations and rewrites.
pub(crate) fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).unicode(false).size_limit(REGEX_SIZE_LIMIT).build()
}

/// An error diagnostic naming the location's Ingress and its `path` field.
pub(crate) fn regex_diagnostic(location: &Location, error: &regex::Error) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(format!(
        "path {:?} is not a valid regular expression (host in regex mode), location left out: {}",
        location.path,
        regex_error_summary(error)
    ))
    .with_field("path");
    if let Some(ingress) = &location.ingress {
        diagnostic = diagnostic.with_object(portico_model::ObjectRef::clone(ingress));
    }
    diagnostic
}

/// One line out of regex's multi-line syntax errors: the `error: ...` line when present.
pub(crate) fn regex_error_summary(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}
