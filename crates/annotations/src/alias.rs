//! `server-alias` (ingress-nginx `annotations/alias/main.go`): more names for the servers of
//! the Ingress's hosts. A value failing ingress-nginx's `ValidateArrayOfServerName` drops the
//! Ingress; the names are trimmed, deduplicated and sorted. nginx also takes wildcard and
//! regex names (`*.a.com`, `~^www\d+`): Portico serves exact names only and warns about the
//! others. Which aliases a host keeps (first Ingress wins, never another host's name) is
//! decided by the compiler.

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};

pub(crate) const SPECS: &[AnnotationSpec] = &[AnnotationSpec {
    name: "server-alias",
    kind: ValueKind::String,
    validator: Validator {
        describe: "comma-separated names of letters, digits and - . _ ~ / : ^ $ [ ] ( ) { } * + \
                   ? | & = \\",
        check: check_server_names,
    },
    scope: Scope::Ingress,
    risk: Risk::High,
    on_invalid: OnInvalid::Fatal,
    default_from: None,
    doc: "More exact host names for the servers of this Ingress's hosts (ignored where the \
          name is another Ingress host).",
}];

/// The exact aliases, lowercase, sorted and unique; wildcard and regex names are warned about.
pub(crate) fn parse(ctx: &mut Ctx<'_>) -> Vec<String> {
    let Some(value) = ctx.value("server-alias") else { return Vec::new() };
    let mut aliases = Vec::new();
    let mut skipped = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if is_exact_name(name) {
            aliases.push(name.to_ascii_lowercase());
        } else {
            skipped.push(name);
        }
    }
    if !skipped.is_empty() {
        let message = format!(
            "alias(es) {} ignored: Portico serves exact host names only (no wildcard or regex \
             server names)",
            skipped.join(", ")
        );
        ctx.warn("server-alias", message);
    }
    aliases.sort();
    aliases.dedup();
    aliases
}

/// ingress-nginx's `IsValidRegex` on each comma-separated, trimmed entry.
fn check_server_names(value: &str) -> Result<(), String> {
    for name in value.split(',').map(str::trim) {
        let ok = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || br"-._~/:^$[](){}*+?|&=\".contains(&b));
        if !ok {
            return Err(format!("{name:?} is not a valid server name"));
        }
    }
    Ok(())
}

/// A DNS-like name: labels of letters, digits, `-` and `_`, separated by dots.
fn is_exact_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use crate::tests::{diags_for, parse};

    #[test]
    fn names_are_trimmed_sorted_unique_and_lowercase() {
        let parsed = parse(&[("server-alias", " b.com, A.com,a.com ,, c.com")]);
        assert_eq!(parsed.annotations.aliases, ["a.com", "b.com", "c.com"]);
        assert!(parsed.diagnostics.is_empty());
    }

    #[test]
    fn wildcard_and_regex_names_are_warned_about() {
        let parsed = parse(&[("server-alias", "*.a.com, ~^www\\d+\\.a\\.com$, b.com")]);
        assert_eq!(parsed.annotations.aliases, ["b.com"]);
        let diags = diags_for(&parsed, "server-alias");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("*.a.com"), "{}", diags[0].message);
        assert!(!parsed.fatal);
    }

    #[test]
    fn invalid_names_drop_the_ingress() {
        for bad in ["a.com, b com", "a.com;", "a\"b", "a'b"] {
            let parsed = parse(&[("server-alias", bad)]);
            assert!(parsed.fatal, "{bad:?}");
            assert!(diags_for(&parsed, "server-alias")[0].message.contains(&format!("{bad:?}")));
        }
    }
}
