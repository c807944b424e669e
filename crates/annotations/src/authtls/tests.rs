use portico_model::{Severity, VerifyClient};

use crate::tests::{diags_for, parse};
use crate::AuthTlsRequest;

fn request(pairs: &[(&str, &str)]) -> AuthTlsRequest {
    let parsed = parse(pairs);
    assert!(!parsed.fatal, "{:?}", parsed.diagnostics);
    parsed.annotations.auth_tls.expect("auth-tls").expect("not denied")
}

#[test]
fn defaults_and_values() {
    let r = request(&[("auth-tls-secret", "ns/ca")]);
    assert_eq!((r.secret_namespace.as_deref(), r.secret_name.as_str()), (Some("ns"), "ca"));
    assert_eq!((r.verify, r.depth, r.pass_certificate), (VerifyClient::On, 1, false));
    assert!(r.error_page.is_none() && r.match_cn.is_none());

    let r = request(&[
        ("auth-tls-secret", "/ca"),
        ("auth-tls-verify-client", "optional_no_ca"),
        ("auth-tls-verify-depth", "3"),
        ("auth-tls-error-page", "https://err.example.com/mtls"),
        ("auth-tls-pass-certificate-to-upstream", "true"),
        ("auth-tls-match-cn", "CN=(alice|bob)"),
    ]);
    assert_eq!(r.secret_namespace, None, "/name is the Ingress's namespace");
    assert_eq!((r.verify, r.depth, r.pass_certificate), (VerifyClient::OptionalNoCa, 3, true));
    assert_eq!(r.error_page.as_deref(), Some("https://err.example.com/mtls"));
    let cn = r.match_cn.expect("match-cn");
    assert!(cn.matches("CN=alice,O=Example") && !cn.matches("CN=carol"));
}

#[test]
fn bad_verify_client_and_depth_default_with_a_warning() {
    let pairs = [
        ("auth-tls-secret", "ns/ca"),
        ("auth-tls-verify-client", "maybe"),
        ("auth-tls-verify-depth", "-1"),
    ];
    let parsed = parse(&pairs);
    let r = parsed.annotations.auth_tls.clone().expect("set").expect("ok");
    assert_eq!((r.verify, r.depth), (VerifyClient::On, 1));
    for name in ["auth-tls-verify-client", "auth-tls-verify-depth"] {
        let d = diags_for(&parsed, name);
        assert!(d.len() == 1 && d[0].severity == Severity::Warning, "{name}: {d:?}");
    }
    assert_eq!(request(&[("auth-tls-secret", "ns/ca"), ("auth-tls-verify-depth", "0")]).depth, 1);
}

#[test]
fn validation_errors_drop_the_ingress() {
    for (name, value) in [
        ("auth-tls-secret", "ns/ca;"),
        ("auth-tls-error-page", "https://x/ y"),
        ("auth-tls-pass-certificate-to-upstream", "yes"),
        ("auth-tls-match-cn", "O=admins"),
        ("auth-tls-match-cn", "CN=(unclosed"),
    ] {
        let mut pairs = vec![(name, value)];
        if name != "auth-tls-secret" {
            pairs.push(("auth-tls-secret", "ns/ca"));
        }
        let parsed = parse(&pairs);
        assert!(parsed.fatal, "{name}={value:?}");
        let d = diags_for(&parsed, name);
        assert!(d.iter().any(|d| d.severity == Severity::Error && d.message.contains(value)));
    }
}

#[test]
fn a_secret_not_namespace_name_denies() {
    for value in ["ca", "a/b/c", "ns/"] {
        let parsed = parse(&[("auth-tls-secret", value)]);
        assert!(!parsed.fatal);
        assert!(matches!(parsed.annotations.auth_tls, Some(Err(_))), "{value:?}");
        let d = diags_for(&parsed, "auth-tls-secret");
        assert!(d.iter().any(|d| d.severity == Severity::Error && d.message.contains("503")));
    }
}

#[test]
fn settings_without_a_secret_are_ignored_with_a_warning() {
    let parsed = parse(&[("auth-tls-verify-client", "on"), ("auth-tls-match-cn", "CN=a")]);
    assert!(parsed.annotations.auth_tls.is_none());
    assert!(parsed.annotations.policy.denied.is_none());
    for name in ["auth-tls-verify-client", "auth-tls-match-cn"] {
        assert_eq!(diags_for(&parsed, name).len(), 1, "{name}");
    }
}

#[test]
fn a_named_error_page_is_not_served() {
    let parsed = parse(&[("auth-tls-secret", "ns/ca"), ("auth-tls-error-page", "@mtls")]);
    let r = parsed.annotations.auth_tls.clone().expect("set").expect("ok");
    assert!(r.error_page.is_none());
    assert_eq!(diags_for(&parsed, "auth-tls-error-page").len(), 1);
}
