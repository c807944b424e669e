//! htpasswd files as nginx's `auth_basic_user_file` reads them.

use std::collections::HashSet;

use portico_model::Diagnostic;

/// Parses `user:hash[:comment]` lines. `#` lines and empty lines are skipped; a line without
/// `:` or with an empty user is skipped with a warning; the first entry of a user wins (nginx
/// stops at the first matching line). A trailing `\r` ends the hash, as in nginx.
pub(super) fn parse(content: &str) -> (Vec<(String, String)>, Vec<Diagnostic>) {
    let mut users: Vec<(String, String)> = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (n, line) in content.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = format!("data.auth (line {})", n + 1);
        let Some((user, rest)) = line.split_once(':') else {
            problems
                .push(Diagnostic::warning("htpasswd line without `:`; skipped").with_field(field));
            continue;
        };
        if user.is_empty() {
            problems.push(
                Diagnostic::warning("htpasswd line with an empty user; skipped").with_field(field),
            );
            continue;
        }
        let hash = rest.split_once(':').map_or(rest, |(hash, _comment)| hash);
        if seen.insert(user) {
            users.push((user.to_string(), hash.to_string()));
        }
    }
    (users, problems)
}
