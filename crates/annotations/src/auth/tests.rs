use portico_model::Severity;

use crate::tests::{diags_for, parse};
use crate::{AuthRequest, AuthSecretType, Parsed};

fn request(namespace: Option<&str>, name: &str, kind: AuthSecretType, realm: &str) -> AuthRequest {
    AuthRequest {
        secret_namespace: namespace.map(str::to_string),
        secret_name: name.to_string(),
        secret_type: kind,
        realm: realm.to_string(),
    }
}

fn denied(parsed: &Parsed) -> Option<&str> {
    match &parsed.annotations.auth {
        Some(Err(reason)) => Some(reason),
        _ => None,
    }
}

#[test]
fn no_auth_type_means_no_auth_even_with_a_secret() {
    let parsed =
        parse(&[("auth-secret", "creds"), ("auth-realm", "bad!"), ("auth-secret-type", "foo")]);
    assert_eq!(parsed.annotations.auth, None);
    assert!(!parsed.fatal);
    for name in ["auth-secret", "auth-realm", "auth-secret-type"] {
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{name}");
        assert_eq!(diags[0].severity, Severity::Warning);
        assert!(diags[0].message.contains("auth-type is not set"));
    }
}

#[test]
fn basic_with_a_secret() {
    let cases: &[(&[(&str, &str)], AuthRequest)] = &[
        (&[("auth-secret", "creds")], request(None, "creds", AuthSecretType::AuthFile, "")),
        (
            &[("auth-secret", "other/creds")],
            request(Some("other"), "creds", AuthSecretType::AuthFile, ""),
        ),
        (&[("auth-secret", "/creds")], request(None, "creds", AuthSecretType::AuthFile, "")),
        (
            &[
                ("auth-secret", "creds"),
                ("auth-secret-type", "auth-map"),
                ("auth-realm", "Authentication Required - foo"),
            ],
            request(None, "creds", AuthSecretType::AuthMap, "Authentication Required - foo"),
        ),
        (
            &[
                ("auth-secret", "a.b-c_d~e:f"),
                ("auth-secret-type", "auth-file"),
                ("auth-realm", " /-._~:aZ09 "),
            ],
            request(None, "a.b-c_d~e:f", AuthSecretType::AuthFile, "/-._~:aZ09"),
        ),
    ];
    for (extra, want) in cases {
        let mut pairs = vec![("auth-type", "basic")];
        pairs.extend_from_slice(extra);
        let parsed = parse(&pairs);
        assert_eq!(parsed.annotations.auth, Some(Ok(want.clone())), "{extra:?}");
        assert!(parsed.diagnostics.is_empty() && !parsed.fatal, "{extra:?}");
    }
}

#[test]
fn auth_type_failing_the_regex_is_fatal() {
    for v in ["Basic", "BASIC", "foo", "Digest", "bas ic"] {
        let parsed = parse(&[("auth-type", v), ("auth-secret", "creds")]);
        assert!(parsed.fatal, "{v:?}");
        assert_eq!(parsed.annotations.auth, None, "{v:?}");
        assert_eq!(diags_for(&parsed, "auth-type")[0].severity, Severity::Error);
    }
}

#[test]
fn anything_but_basic_is_digest_and_denied() {
    for v in ["digest", "xdigest", "basicx", "digest basic"] {
        let parsed = parse(&[("auth-type", v), ("auth-secret", "creds")]);
        assert!(!parsed.fatal, "{v:?}");
        assert_eq!(denied(&parsed), Some("digest auth not supported"), "{v:?}");
        let diags = diags_for(&parsed, "auth-type");
        assert_eq!(diags.len(), 1, "{v:?}");
        assert_eq!(diags[0].severity, Severity::Error);
        assert!(diags[0].message.contains("not supported by Portico"));
    }
}

#[test]
fn missing_or_invalid_secret_denies() {
    let cases: &[&[(&str, &str)]] = &[
        &[],
        &[("auth-secret", "")],
        &[("auth-secret", "  ")],
        &[("auth-secret", "my secret")],
        &[("auth-secret", "creds!")],
        &[("auth-secret", "a/b/c")],
        &[("auth-secret", "ns/")],
        &[("auth-secret", "ns/a b")],
    ];
    for extra in cases {
        let mut pairs = vec![("auth-type", "basic")];
        pairs.extend_from_slice(extra);
        let parsed = parse(&pairs);
        assert!(!parsed.fatal, "{extra:?}");
        assert!(denied(&parsed).is_some_and(|r| r.contains("auth-secret")), "{extra:?}");
        let diags = diags_for(&parsed, "auth-secret");
        assert_eq!(diags.len(), 1, "{extra:?}");
        assert_eq!(diags[0].severity, Severity::Error);
        assert!(diags[0].message.contains("503"), "{}", diags[0].message);
    }
}

#[test]
fn secret_type_regex_failure_is_fatal_unknown_is_denied() {
    for v in ["foo", "Auth-Map", "auth_file", "map"] {
        let parsed =
            parse(&[("auth-type", "basic"), ("auth-secret", "creds"), ("auth-secret-type", v)]);
        assert!(parsed.fatal, "{v:?}");
        assert_eq!(parsed.annotations.auth, None, "{v:?}");
    }
    for v in ["auth-mapx", "xauth-file", "auth-files"] {
        let parsed =
            parse(&[("auth-type", "basic"), ("auth-secret", "creds"), ("auth-secret-type", v)]);
        assert!(!parsed.fatal, "{v:?}");
        assert!(denied(&parsed).is_some_and(|r| r.contains("auth-secret-type")), "{v:?}");
        assert_eq!(diags_for(&parsed, "auth-secret-type")[0].severity, Severity::Error);
    }
}

#[test]
fn realm_with_disallowed_characters_is_fatal() {
    for v in ["a!b", "a,b", "\"quoted\"", "a'b", "a;b", "é", "a\tb"] {
        let parsed = parse(&[("auth-type", "basic"), ("auth-secret", "creds"), ("auth-realm", v)]);
        assert!(parsed.fatal, "{v:?}");
        assert_eq!(parsed.annotations.auth, None, "{v:?}");
        assert_eq!(diags_for(&parsed, "auth-realm")[0].severity, Severity::Error);
    }
}

#[test]
fn realm_off_disables_auth() {
    let parsed = parse(&[("auth-type", "basic"), ("auth-secret", "creds"), ("auth-realm", "off")]);
    assert_eq!(parsed.annotations.auth, None);
    assert_eq!(diags_for(&parsed, "auth-realm")[0].severity, Severity::Warning);
}

#[test]
fn checks_run_in_ingress_nginx_order() {
    // auth-secret-type is validated before the secret is read: fatal beats denied.
    let parsed = parse(&[("auth-type", "basic"), ("auth-secret-type", "foo")]);
    assert!(parsed.fatal);
    // A missing secret returns before auth-realm is read: denied, not fatal.
    let parsed = parse(&[("auth-type", "basic"), ("auth-realm", "bad!")]);
    assert!(!parsed.fatal);
    assert!(denied(&parsed).is_some());
    // An invalid auth-type stops everything else.
    let parsed = parse(&[("auth-type", "Basic")]);
    assert!(parsed.fatal);
    assert!(diags_for(&parsed, "auth-secret").is_empty());
}
