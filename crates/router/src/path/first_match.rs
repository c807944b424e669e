//! The first of an ordered list of regexes that matches a path, found in one pass.
//!
//! nginx tries regex locations one after the other; a host with 50 paths whose last one matches
//! runs 50 searches. Here the list is compiled into one multi-pattern automaton (regex-automata's
//! meta engine, the engine behind `regex::RegexSet`) with leftmost-first semantics: the
//! patterns behave like the alternation `(?:p0)|(?:p1)|…`, which prefers the earliest pattern
//! that matches at the leftmost position. When every match of every pattern starts at the
//! start of the path (`^` in front of each alternative), the search is anchored, all matches
//! start at 0, and the pattern reported is the first in list order that matches: exactly what
//! trying them in turn gives. Unlike `RegexSet::matches`, this neither allocates a set of
//! matched patterns per search nor runs the patterns after the first match is decided.
//!
//! A pattern that can match elsewhere (nginx's `~* "^/a|/b"` is `(^/a)|(/b)`: the second
//! branch is unanchored) would make "leftmost" and "first in order" differ, so such a list is
//! tried in turn, as nginx does.
//!
//! Capture groups are not needed here: `rewrite-target` runs its own regex of the chosen
//! location only.

use regex::bytes::Regex;
use regex_automata::meta;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::{Hir, Look};

/// Lazy DFA cache per set (regex's default for one regex is 2 MiB).
const DFA_CACHE: usize = 2 << 20;

/// Ordered regexes. Invariant: `find` returns the index of the first regex (in the order given
/// to [`FirstMatch::build`]) that matches, whichever variant was built.
#[derive(Debug)]
pub(crate) enum FirstMatch {
    /// All patterns in one automaton; every pattern is anchored at the start.
    Set(meta::Regex),
    /// Tried in turn: when a pattern may match away from the start, when the combined
    /// automaton does not build (over the size limit), and as the reference in tests.
    Each(Vec<Regex>),
}

// === impl FirstMatch ===

impl FirstMatch {
    /// One automaton for the patterns `sources` (each already compiled as `regexes`, same
    /// options: bytes, no Unicode, `size_limit` each); the individual regexes when that fails.
    pub(crate) fn build(sources: &[String], regexes: Vec<Regex>, size_limit: usize) -> Self {
        if regexes.len() < 2 {
            return Self::Each(regexes);
        }
        match build_set(sources, size_limit.saturating_mul(sources.len())) {
            Some(set) => Self::Set(set),
            // Falling back costs speed, not behaviour: nothing to report.
            None => Self::Each(regexes),
        }
    }

    /// The index of the first regex matching `path`.
    pub(crate) fn find(&self, path: &[u8]) -> Option<usize> {
        match self {
            Self::Set(set) => {
                let input = Input::new(path).anchored(Anchored::Yes);
                set.search(&input).map(|found| found.pattern().as_usize())
            }
            Self::Each(regexes) => regexes.iter().position(|regex| regex.is_match(path)),
        }
    }
}

/// The meta engine configured like `regex::bytes::RegexBuilder::new(..).unicode(false)`
/// (what [`super::regex_mode::compile`] uses), with leftmost-first multi-pattern semantics.
/// `None` when a pattern is not anchored at the start, or the automaton is too big.
fn build_set(sources: &[String], size_limit: usize) -> Option<meta::Regex> {
    let syntax = syntax::Config::new().unicode(false).utf8(false);
    let hirs: Vec<Hir> = sources
        .iter()
        .map(|source| syntax::parse_with(source, &syntax).ok().filter(starts_anchored))
        .collect::<Option<_>>()?;
    let config = meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(false)
        .nfa_size_limit(Some(size_limit))
        .hybrid_cache_capacity(DFA_CACHE)
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit);
    meta::Builder::new().configure(config).build_many_from_hir(&hirs).ok()
}

/// Whether every match of `hir` begins at the start of the haystack (`\A`/`^` without `(?m)`
/// in front of every alternative).
fn starts_anchored(hir: &Hir) -> bool {
    hir.properties().look_set_prefix().contains(Look::Start)
}
