//! The migration summary that ends `portico check`: how many of our Ingresses are fully
//! supported, served with warnings or errors, or refused; the annotations that behave
//! differently from ingress-nginx with the Ingresses using them; and a verdict line.

use portico_annotations::Support;
use portico_compiler::{AnnotationUse, Migration, Standing};
use portico_model::ObjectRef;

/// Prints the summary; `errors` is the number of error diagnostics of the whole check.
pub fn print(migration: &Migration, class: &str, errors: usize) {
    say!("\nmigration summary: {} Ingress(es) of class {class}", migration.ingresses.len());
    say!("  {} fully supported", migration.count(Standing::Supported));
    say!("  {} with warnings", migration.count(Standing::Warnings));
    say!(
        "  {} with errors (served, but not everything as asked)",
        migration.count(Standing::Errors)
    );
    let refused: Vec<_> = migration
        .ingresses
        .iter()
        .filter(|i| matches!(i.standing, Standing::Denied | Standing::NotLoaded))
        .collect();
    say!("  {} refused", refused.len());
    for ingress in refused {
        let why = match ingress.standing {
            Standing::NotLoaded => "not loaded (invalid annotations)",
            _ => "denied (its paths answer 503)",
        };
        say!("    {}: {why}", name(&ingress.object));
    }
    for (support, title) in GROUPS {
        print_group(migration, support, title);
    }
    if !migration.unsupported_config_keys.is_empty() {
        say!("  ConfigMap keys not supported (ignored, or denying when they restrict access):");
        say!("    {}", migration.unsupported_config_keys.join(", "));
    }
    say!("{}", verdict(migration, errors));
}

/// The annotation groups, in the order printed, each with its heading.
const GROUPS: [(Kind, &str); 5] = [
    (Kind::Ignored, "unsupported, ignored (served without it: differs from ingress-nginx)"),
    (Kind::Denies, "unsupported, restricting access (503 until Portico implements it)"),
    (Kind::Accepted, "accepted without effect (same answers as ingress-nginx)"),
    (Kind::Inactive, "unsupported, without effect as written (as in ingress-nginx)"),
    (Kind::Unknown, "unknown to ingress-nginx and Portico (ignored by both)"),
];

/// [`Support`] without its note, to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ignored,
    Denies,
    Accepted,
    Inactive,
    Unknown,
}

fn kind(support: &Support) -> Option<Kind> {
    match support {
        Support::Supported => None,
        Support::AcceptedWithoutEffect => Some(Kind::Accepted),
        Support::InactiveAsWritten(_) => Some(Kind::Inactive),
        Support::Ignored => Some(Kind::Ignored),
        Support::Denies => Some(Kind::Denies),
        Support::Unknown => Some(Kind::Unknown),
    }
}

fn print_group(migration: &Migration, want: Kind, title: &str) {
    let uses: Vec<&AnnotationUse> =
        migration.annotations.iter().filter(|a| kind(&a.support) == Some(want)).collect();
    if uses.is_empty() {
        return;
    }
    say!("  {title}:");
    for annotation in uses {
        let note = match &annotation.support {
            Support::InactiveAsWritten(note) => format!(" ({note})"),
            _ => String::new(),
        };
        let users: Vec<String> = annotation.ingresses.iter().map(name).collect();
        say!("    {}{note}: {}", annotation.key, users.join(", "));
    }
}

/// The last line: what the exit code says.
fn verdict(migration: &Migration, errors: usize) -> String {
    if errors > 0 {
        return format!("verdict: not ready, {errors} error(s) above (exit 1)");
    }
    if !migration.differs() {
        return "verdict: no difference from ingress-nginx known to Portico".to_string();
    }
    let differing = migration.differing();
    let mut why = Vec::new();
    if !differing.is_empty() {
        let names: Vec<String> = differing.into_iter().map(name).collect();
        why.push(format!(
            "{} Ingress(es) behave differently from ingress-nginx (unsupported annotations \
             ignored): {}",
            names.len(),
            names.join(", ")
        ));
    }
    if !migration.unsupported_config_keys.is_empty() {
        why.push("the ConfigMap has keys Portico does not read".to_string());
    }
    format!("verdict: served, but {} (exit 2 with --strict)", why.join("; "))
}

/// `namespace/name`.
fn name(object: &ObjectRef) -> String {
    format!("{}/{}", object.namespace, object.name)
}
