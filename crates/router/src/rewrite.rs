//! `rewrite-target` (§1.2): nginx's `rewrite "(?i)<path>" <target> break;`.
//!
//! - The path is compiled once per table as a case-insensitive, *unanchored* regex (same
//!   options as the location regexes: bytes, no Unicode, size limit).
//! - On a match, the whole URI becomes the target with `$1`..`$9` replaced by the captures of
//!   the path regex; a group that did not participate expands to nothing. Only `$1`..`$9` are
//!   expanded, as nginx (`$10` is `$1` then `0`). `$0` and `$name` would be nginx variables;
//!   Portico has none, keeps them literally and reports a warning at build time (`$0` is an
//!   unknown variable, i.e. an invalid configuration, in nginx).
//! - A target beginning with `http://` or `https://` makes nginx answer a 302 redirect instead:
//!   [`Rewrite::Redirect`].
//! - The result is escaped like nginx's `ngx_escape_uri(NGX_ESCAPE_URI)` does when proxying a
//!   rewritten `$uri`: bytes `0x00..=0x20`, `#`, `?`, `0x7F` and non-ASCII become `%XX`. `%` is
//!   left alone because in a normalized path it only ever starts an escape the normalizer kept
//!   (`%25` for a literal `%`, `%XX` for bytes that are not UTF-8), which is what nginx emits
//!   for those bytes.

use std::fmt::Write as _;

use portico_model::{Diagnostic, Location};
use regex::bytes::Regex;

use crate::path::{compile, regex_error_summary};

/// What a rewriting location does with a request its path regex matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    /// Proxy with this path instead of the original one. Escaped for the request line; the
    /// caller appends the original query string (`?` never occurs in a valid target).
    Uri(String),
    /// Answer 302 with this `Location`; the caller appends the original query string.
    Redirect(String),
}

/// One compiled `rewrite` directive.
#[derive(Debug)]
pub(crate) struct RewriteRule {
    regex: Regex,
    parts: Vec<Part>,
    redirect: bool,
}

/// A piece of the target template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `$n`, n in 1..=9.
    Group(usize),
}

// === impl RewriteRule ===

impl RewriteRule {
    /// `None` when the location does not rewrite, or its path does not compile (diagnostic).
    pub(crate) fn build(location: &Location, diagnostics: &mut Vec<Diagnostic>) -> Option<Self> {
        let target = location.policy.filters.rewrite()?.target.as_str();
        let regex = match compile(&format!("(?i){}", location.path)) {
            Ok(regex) => regex,
            Err(error) => {
                let message = format!(
                    "path {:?} is not a valid regular expression, rewrite-target ignored: {}",
                    location.path,
                    regex_error_summary(&error)
                );
                diagnostics.push(located(Diagnostic::error(message).with_field("path"), location));
                return None;
            }
        };
        let (parts, unsupported) = parse_target(target);
        if unsupported {
            let message = format!(
                "rewrite-target {target:?} uses `$` other than $1..$9; nginx variables are not \
                 expanded by Portico and are kept literally"
            );
            let warning = Diagnostic::warning(message).with_field("rewrite-target");
            diagnostics.push(located(warning, location));
        }
        let redirect = target.starts_with("http://") || target.starts_with("https://");
        Some(Self { regex, parts, redirect })
    }

    /// The rewrite of a normalized path, or `None` when the path regex does not match it.
    pub(crate) fn apply(&self, path: &str) -> Option<Rewrite> {
        let captures = self.regex.captures(path.as_bytes())?;
        let mut raw: Vec<u8> = Vec::with_capacity(path.len() + 16);
        for part in &self.parts {
            match part {
                Part::Literal(text) => raw.extend_from_slice(text.as_bytes()),
                Part::Group(n) => {
                    if let Some(group) = captures.get(*n) {
                        raw.extend_from_slice(group.as_bytes());
                    }
                }
            }
        }
        let uri = escape(&raw);
        Some(if self.redirect { Rewrite::Redirect(uri) } else { Rewrite::Uri(uri) })
    }
}

fn located(diagnostic: Diagnostic, location: &Location) -> Diagnostic {
    match &location.ingress {
        Some(ingress) => diagnostic.with_object(portico_model::ObjectRef::clone(ingress)),
        None => diagnostic,
    }
}

/// Splits a target into literals and `$1..$9`; the flag says a `$` was kept literally.
fn parse_target(target: &str) -> (Vec<Part>, bool) {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut unsupported = false;
    let mut chars = target.chars().peekable();
    while let Some(c) = chars.next() {
        let group = match (c, chars.peek()) {
            ('$', Some(&d @ '1'..='9')) => d as usize - '0' as usize,
            ('$', _) => {
                unsupported = true;
                literal.push(c);
                continue;
            }
            _ => {
                literal.push(c);
                continue;
            }
        };
        chars.next();
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        parts.push(Part::Group(group));
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    (parts, unsupported)
}

/// nginx `NGX_ESCAPE_URI` minus `%` (see the module doc).
fn escape(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() && !needs_escape(c as u8) {
                out.push(c);
            } else {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn needs_escape(b: u8) -> bool {
    b <= 0x20 || b == b'#' || b == b'?' || b >= 0x7F
}

#[cfg(test)]
mod tests;
