//! Crate-level tests: prefix handling, unknown annotations, CR/LF on every registered key, and
//! registry consistency. Shared helpers for the family tests live here.

use super::*;
use portico_model::Severity;

/// Parses `pairs` (names without prefix) with the default prefix and ConfigMap defaults.
pub(crate) fn parse(pairs: &[(&str, &str)]) -> Parsed {
    parse_with(pairs, &GlobalConfig::default())
}

/// Parses `pairs` (names without prefix) with the default prefix over `global`.
pub(crate) fn parse_with(pairs: &[(&str, &str)], global: &GlobalConfig) -> Parsed {
    let raw = pairs.iter().map(|(k, v)| (format!("{DEFAULT_PREFIX}/{k}"), v.to_string())).collect();
    parse_ingress(&raw, DEFAULT_PREFIX, global)
}

/// The diagnostic field of annotation `name` under the default prefix.
pub(crate) fn field(name: &str) -> String {
    format!("metadata.annotations[\"{DEFAULT_PREFIX}/{name}\"]")
}

/// The filters of `parsed` besides the HTTPS redirect every location starts with.
pub(crate) fn family_filters(parsed: &Parsed) -> Vec<&portico_model::Filter> {
    let filters = parsed.annotations.policy.filters.iter();
    filters.filter(|f| !matches!(f, portico_model::Filter::HttpsRedirect(_))).collect()
}

/// The diagnostics about annotation `name`.
pub(crate) fn diags_for<'p>(parsed: &'p Parsed, name: &str) -> Vec<&'p Diagnostic> {
    let field = field(name);
    parsed.diagnostics.iter().filter(|d| d.field.as_deref() == Some(field.as_str())).collect()
}

#[test]
fn no_annotations_gives_the_configmap_defaults() {
    let mut global = GlobalConfig::default();
    global.location_defaults.filters.update_https_redirect(|r| r.ssl_redirect = false);
    global.location_defaults.max_body_size = None;
    let parsed = parse_with(&[], &global);
    assert_eq!(parsed.annotations.policy, global.location_defaults);
    assert_eq!(parsed.annotations.app_root, None);
    assert_eq!(parsed.annotations.load_balance, None);
    assert_eq!(parsed.annotations.auth, None);
    assert!(parsed.diagnostics.is_empty());
    assert!(!parsed.fatal);
}

#[test]
fn unknown_prefixed_annotations_are_reported_not_dropped() {
    let parsed = parse(&[("stream-snippet", "return 200;"), ("fastcgi-index", "index.php")]);
    assert!(!parsed.fatal);
    let messages: Vec<_> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        messages,
        // In key order: fastcgi-index sorts first.
        [
            format!(
                "warning: {}: annotation {DEFAULT_PREFIX}/fastcgi-index is not supported \
                 by Portico (ignored)",
                field("fastcgi-index")
            ),
            format!(
                "warning: {}: annotation {DEFAULT_PREFIX}/stream-snippet is not supported \
                 by Portico (ignored)",
                field("stream-snippet")
            ),
        ]
    );
}

#[test]
fn annotations_outside_the_prefix_are_ignored_silently() {
    let raw: BTreeMap<String, String> = [
        ("kubernetes.io/ingress.class", "nginx"),
        ("other.io/rewrite-target", "/x"),
        ("nginx.ingress.kubernetes.io.evil/rewrite-target", "/x"),
        ("nginx.ingress.kubernetes.iorewrite-target", "/x"),
        ("rewrite-target", "/x"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let parsed = parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.annotations.policy.filters.rewrite(), None);
}

#[test]
fn prefix_override_reads_only_the_given_prefix() {
    let raw: BTreeMap<String, String> = [
        ("example.com/ingress/rewrite-target", "/new"),
        ("example.com/ingress/bogus", "1"),
        ("nginx.ingress.kubernetes.io/use-regex", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let parsed = parse_ingress(&raw, "example.com/ingress", &GlobalConfig::default());
    assert_eq!(
        parsed.annotations.policy.filters.rewrite().map(|r| r.target.as_str()),
        Some("/new")
    );
    assert!(!parsed.annotations.policy.use_regex);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(
        parsed.diagnostics[0].field.as_deref(),
        Some("metadata.annotations[\"example.com/ingress/bogus\"]")
    );
}

/// The context an auth, affinity or hashing annotation needs to be read at all.
fn context_for(name: &str) -> Vec<(&'static str, &'static str)> {
    if name.starts_with("session-cookie-") {
        return vec![("affinity", "cookie")];
    }
    if name.starts_with("upstream-hash-by-") {
        return vec![("upstream-hash-by", "$request_uri")];
    }
    if name == "temporal-redirect-code" {
        return vec![("temporal-redirect", "http://x.com")];
    }
    if name.starts_with("auth-tls-") && name != "auth-tls-secret" {
        return vec![("auth-tls-secret", "ns/ca")];
    }
    if name.starts_with("proxy-ssl-") && name != "proxy-ssl-secret" {
        return vec![("proxy-ssl-secret", "ns/backend")];
    }
    if name.starts_with("opentelemetry-") {
        return vec![("enable-opentelemetry", "true")];
    }
    let base = [("auth-type", "basic"), ("auth-secret", "creds")];
    if crate::external_auth::SPECS.iter().any(|s| s.name == name) {
        if name == "auth-url" {
            Vec::new()
        } else {
            vec![("auth-url", "http://auth/")]
        }
    } else if name.starts_with("auth-") && !name.starts_with("auth-tls-") {
        base.into_iter().filter(|(k, _)| *k != name).collect()
    } else {
        Vec::new()
    }
}

#[test]
fn line_breaks_are_rejected_in_every_annotation() {
    // Snippets are nginx text: lines are their syntax (read as data, crate::snippet).
    for spec in registry().iter().filter(|s| !s.name.ends_with("-snippet")) {
        for bad in ["x\ny", "true\n", "\r/a", "basic\r\n"] {
            let mut pairs = context_for(spec.name);
            pairs.push((spec.name, bad));
            let parsed = parse(&pairs);
            let diags = diags_for(&parsed, spec.name);
            assert!(
                diags.iter().any(|d| d.message.contains("line break")),
                "{} = {bad:?}: {:?}",
                spec.name,
                parsed.diagnostics
            );
            assert_eq!(parsed.fatal, spec.on_invalid == OnInvalid::Fatal, "{}", spec.name);
            let severity = match spec.on_invalid {
                OnInvalid::Default => Severity::Warning,
                OnInvalid::Fatal | OnInvalid::Deny | OnInvalid::Ignored => Severity::Error,
            };
            assert!(diags.iter().all(|d| d.severity == severity), "{}", spec.name);
            if spec.on_invalid == OnInvalid::Deny {
                let auth_denied = matches!(parsed.annotations.auth, Some(Err(_)));
                let denied = parsed.annotations.policy.denied.is_some();
                assert!(auth_denied || denied, "{}", spec.name);
            }
        }
    }
}

#[test]
fn diagnostics_quote_the_value_and_the_reason() {
    let parsed = parse(&[("use-regex", "yes")]);
    assert_eq!(
        parsed.diagnostics[0].to_string(),
        format!(
            "warning: {}: invalid value \"yes\": not a boolean (expected true or false, as Go \
             strconv.ParseBool); ignored, using the default",
            field("use-regex")
        )
    );
}

#[test]
fn empty_values_are_absent() {
    for spec in registry() {
        let value = if spec.kind == ValueKind::String { "   " } else { "" };
        let parsed = parse(&[(spec.name, value)]);
        assert!(!parsed.fatal, "{}", spec.name);
        assert!(
            parsed.diagnostics.iter().all(|d| d.severity == Severity::Warning),
            "{}: {:?}",
            spec.name,
            parsed.diagnostics
        );
        assert_eq!(parsed.annotations.policy, LocationPolicy::default(), "{}", spec.name);
    }
}

#[test]
fn registry_is_consistent() {
    let mut names: Vec<_> = registry().iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), registry().len(), "duplicate annotation names");
    let table = render_markdown(DEFAULT_PREFIX);
    for spec in registry() {
        assert!(!spec.doc.is_empty(), "{}", spec.name);
        assert!(lookup(spec.name).is_some());
        assert!(table.contains(&format!("`{DEFAULT_PREFIX}/{}`", spec.name)));
        if let Some(key) = spec.default_from {
            assert!(
                config_keys().iter().any(|k| k.key == key),
                "{}: no ConfigMap key {key}",
                spec.name
            );
        }
    }
    assert!(lookup("stream-snippet").is_none());
}

#[test]
fn generated_tables_are_well_formed() {
    // Cells separators are the unescaped pipes.
    let cells = |line: &str| line.matches('|').count() - line.matches("\\|").count();
    for table in [render_markdown(DEFAULT_PREFIX), render_config_markdown()] {
        let mut lines = table.lines();
        let columns = lines.next().map(cells).unwrap_or_default();
        assert!(columns > 2);
        for line in lines {
            assert_eq!(cells(line), columns, "{line}");
        }
    }
    assert_eq!(render_config_markdown().lines().count(), config_keys().len() + 2);
    assert_eq!(render_markdown(DEFAULT_PREFIX).lines().count(), registry().len() + 2);
}

mod props;
