//! Path matching within one server: nginx prefix/exact locations, or the host-wide regex mode.

mod first_match;
mod plain;
mod regex_mode;

use std::collections::HashSet;

use portico_model::{Diagnostic, PathType, Server};

use crate::PathMatch;

use self::plain::PlainMatcher;
pub(crate) use self::regex_mode::RegexMatcher;

pub(crate) use self::regex_mode::{
    compile, failures as regex_failures, regex_error_summary, REGEX_SIZE_LIMIT,
};

/// The compiled locations of one server, in the mode the server uses.
#[derive(Debug)]
pub(crate) enum PathMatcher {
    Plain(PlainMatcher),
    Regex(RegexMatcher),
}

// === impl PathMatcher ===

impl PathMatcher {
    /// Compiles the server's locations. Also returns the indexes of locations left out because
    /// their regex does not compile (each has a diagnostic).
    pub(crate) fn build(
        server: &Server,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> (Self, HashSet<usize>) {
        if server.regex_mode {
            let (matcher, failed) = RegexMatcher::build(&server.locations, diagnostics);
            (Self::Regex(matcher), failed)
        } else {
            (Self::Plain(PlainMatcher::build(&server.locations)), HashSet::new())
        }
    }

    pub(crate) fn find(&self, path: &str) -> PathMatch {
        match self {
            Self::Plain(matcher) => matcher.find(path),
            Self::Regex(matcher) => matcher.find(path),
        }
    }
}

/// Prefix and ImplementationSpecific behave the same (ingress-nginx turns the latter into the
/// former, §4.1).
fn is_prefix(path_type: PathType) -> bool {
    matches!(path_type, PathType::Prefix | PathType::ImplementationSpecific)
}
