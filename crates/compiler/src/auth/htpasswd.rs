//! The users of an htpasswd Secret (`portico_htpasswd` parses), with a diagnostic for every
//! skipped line and every hash that is weak or can never match.

use std::collections::BTreeMap;

use portico_htpasswd::{classify, parse_htpasswd, HashKind, Strength};
use portico_model::Diagnostic;

/// Diagnostics reported per Secret at most; the rest are counted in one summary line, so a
/// huge broken Secret costs one screen, not millions of lines.
const MAX_DIAGNOSTICS: usize = 20;

/// `(user, hash)` pairs plus diagnostics (object left unset: the caller names the Secret).
pub(super) type Users = (Vec<(String, String)>, Vec<Diagnostic>);

/// `auth-file`: the `auth` key as htpasswd lines.
pub(super) fn auth_file(content: &[u8]) -> Users {
    let parsed = parse_htpasswd(content);
    let mut report = Report::default();
    for problem in &parsed.problems {
        if problem.line == 0 {
            report.push(
                Diagnostic::error(format!(
                    "htpasswd content {}: no user can log in, requests answer 401",
                    problem.reason
                ))
                .with_field("data.auth"),
            );
        } else {
            report.push(
                Diagnostic::warning(format!("htpasswd line skipped: {}", problem.reason))
                    .with_field(format!("data.auth (line {})", problem.line)),
            );
        }
    }
    for (user, hash) in &parsed.users {
        report.check_hash(user, hash, || format!("data.auth (user {user:?})"));
    }
    report.no_users(parsed.users.is_empty() && parsed.problems.iter().all(|p| p.line != 0));
    (parsed.users, report.finish())
}

/// `auth-map`: every key is a user, its value the hash (one trailing line break ignored).
pub(super) fn auth_map(data: &BTreeMap<&str, &[u8]>) -> Users {
    let mut report = Report::default();
    let mut users = Vec::with_capacity(data.len());
    for (user, value) in data {
        let field = || format!("data.{user}");
        let Ok(hash) = std::str::from_utf8(value) else {
            report.push(
                Diagnostic::error(format!(
                    "the hash is not valid UTF-8 and can never match; requests as {user:?} \
                     answer 401"
                ))
                .with_field(field()),
            );
            continue;
        };
        let hash = hash.trim_end_matches(['\r', '\n']);
        report.check_hash(user, hash, field);
        users.push((user.to_string(), hash.to_string()));
    }
    report.no_users(users.is_empty());
    (users, report.finish())
}

/// Diagnostics of one Secret, capped at [`MAX_DIAGNOSTICS`].
#[derive(Default)]
struct Report {
    diagnostics: Vec<Diagnostic>,
    dropped: usize,
}

// === impl Report ===

impl Report {
    fn push(&mut self, diagnostic: Diagnostic) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(diagnostic);
        } else {
            self.dropped += 1;
        }
    }

    /// Weak hashes warn; hashes that can never match are errors (nginx answers 401, or 500
    /// for an `{SSHA}` payload its base64 decoder rejects).
    fn check_hash(&mut self, user: &str, hash: &str, field: impl FnOnce() -> String) {
        let kind = classify(hash);
        let message = match (&kind, kind.strength()) {
            (_, Strength::Ok) => return,
            (HashKind::Invalid(error), _) => {
                let status = if error.is_server_error() { 500 } else { 401 };
                Diagnostic::error(format!(
                    "{error}; this hash can never match, requests as {user:?} answer {status}"
                ))
            }
            (_, _) => Diagnostic::warning(format!(
                "{} hash is weak ({}); replace it with bcrypt (htpasswd -B)",
                kind.name(),
                weakness(&kind)
            )),
        };
        self.push(message.with_field(field()));
    }

    fn no_users(&mut self, empty: bool) {
        if empty {
            // Never dropped by the cap: it is the one line that says what the Secret does.
            self.diagnostics.push(Diagnostic::warning("no users: every request answers 401"));
        }
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        if self.dropped > 0 {
            let summary = format!("{} more htpasswd problems not listed", self.dropped);
            self.diagnostics.push(Diagnostic::warning(summary));
        }
        self.diagnostics
    }
}

fn weakness(kind: &HashKind) -> &'static str {
    match kind {
        HashKind::Des => "DES crypt: only the first 8 characters of the password count",
        HashKind::Plain => "the password is stored in clear",
        HashKind::Sha1 => "unsalted SHA-1",
        _ => "",
    }
}
