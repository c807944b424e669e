//! Parsing the `auth` key of an htpasswd Secret into `(user, hash)` pairs.

/// Largest file parsed: 4 MiB. Kubernetes caps a Secret at 1 MiB, so anything bigger is not
/// a real credential file, and parsing it would only cost memory at every table build.
pub const MAX_HTPASSWD_BYTES: usize = 4 * 1024 * 1024;

/// The result of [`parse_htpasswd`]: usable entries and the lines that were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `(user, hash)` in file order, one per user: the first line for a user wins, as in
    /// nginx, which stops at the first line whose name matches.
    pub users: Vec<(String, String)>,
    /// Lines that were skipped, for diagnostics.
    pub problems: Vec<LineProblem>,
}

/// One skipped line of an htpasswd file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line number; 0 for the whole file.
    pub line: usize,
    /// Why the line was skipped.
    pub reason: &'static str,
}

/// Parses htpasswd content: `user:hash[:comment]` lines, split at the first two colons.
///
/// Lines starting with `#` and blank lines are skipped silently; `\r\n` endings are accepted.
/// Non-UTF-8 lines, lines without a colon and lines with an empty user name are skipped with a
/// [`LineProblem`]; later lines for a user already seen are dropped silently. User names are
/// byte-exact (no trimming). Input over [`MAX_HTPASSWD_BYTES`] yields one problem, no users.
/// The hashes are not checked here: use [`crate::classify`] for that.
pub fn parse_htpasswd(content: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    if content.len() > MAX_HTPASSWD_BYTES {
        parsed.problems.push(LineProblem { line: 0, reason: "too large (over 4 MiB)" });
        return parsed;
    }
    let mut seen = std::collections::HashSet::new();
    for (index, raw) in content.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.first() == Some(&b'#') || raw.iter().all(|b| matches!(b, b' ' | b'\t')) {
            continue;
        }
        let problem = |reason| LineProblem { line, reason };
        let Ok(text) = std::str::from_utf8(raw) else {
            parsed.problems.push(problem("not valid UTF-8"));
            continue;
        };
        let Some((user, rest)) = text.split_once(':') else {
            parsed.problems.push(problem("no ':' between user and hash"));
            continue;
        };
        if user.is_empty() {
            parsed.problems.push(problem("empty user name"));
            continue;
        }
        let hash = rest.split_once(':').map_or(rest, |(hash, _comment)| hash);
        if seen.insert(user) {
            parsed.users.push((user.to_owned(), hash.to_owned()));
        }
    }
    parsed
}

#[cfg(test)]
mod tests;
