//! The unsupported-annotation list: complete against ingress-nginx, disjoint from the registry,
//! and which values of an access-restricting annotation deny.

use super::*;
use crate::tests::{diags_for, field, parse};
use crate::{registry, DEFAULT_PREFIX};
use portico_model::Severity;

/// Every annotation of ingress-nginx v1.15.1 (`internal/ingress/annotations/*/main.go`), plus
/// the `global-rate-limit*` family it removed in v1.12.
const INGRESS_NGINX: &[&str] = &[
    "affinity",
    "affinity-canary-behavior",
    "affinity-mode",
    "allowlist-source-range",
    "app-root",
    "auth-always-set-cookie",
    "auth-cache-duration",
    "auth-cache-key",
    "auth-keepalive",
    "auth-keepalive-requests",
    "auth-keepalive-share-vars",
    "auth-keepalive-timeout",
    "auth-method",
    "auth-proxy-set-headers",
    "auth-realm",
    "auth-request-redirect",
    "auth-response-headers",
    "auth-secret",
    "auth-secret-type",
    "auth-signin",
    "auth-signin-redirect-param",
    "auth-snippet",
    "auth-tls-error-page",
    "auth-tls-match-cn",
    "auth-tls-pass-certificate-to-upstream",
    "auth-tls-secret",
    "auth-tls-verify-client",
    "auth-tls-verify-depth",
    "auth-type",
    "auth-url",
    "backend-protocol",
    "canary",
    "canary-by-cookie",
    "canary-by-header",
    "canary-by-header-pattern",
    "canary-by-header-value",
    "canary-weight",
    "canary-weight-total",
    "client-body-buffer-size",
    "configuration-snippet",
    "connection-proxy-header",
    "cors-allow-credentials",
    "cors-allow-headers",
    "cors-allow-methods",
    "cors-allow-origin",
    "cors-expose-headers",
    "cors-max-age",
    "custom-headers",
    "custom-http-errors",
    "default-backend",
    "denylist-source-range",
    "disable-proxy-intercept-errors",
    "enable-access-log",
    "enable-cors",
    "enable-global-auth",
    "enable-modsecurity",
    "enable-opentelemetry",
    "enable-owasp-core-rules",
    "enable-rewrite-log",
    "fastcgi-index",
    "fastcgi-params-configmap",
    "force-ssl-redirect",
    "from-to-www-redirect",
    "http2-push-preload",
    "limit-allowlist",
    "limit-burst-multiplier",
    "limit-connections",
    "limit-rate",
    "limit-rate-after",
    "limit-rpm",
    "limit-rps",
    "limit-whitelist",
    "load-balance",
    "mirror-host",
    "mirror-request-body",
    "mirror-target",
    "modsecurity-snippet",
    "modsecurity-transaction-id",
    "opentelemetry-operation-name",
    "opentelemetry-trust-incoming-span",
    "permanent-redirect",
    "permanent-redirect-code",
    "preserve-trailing-slash",
    "proxy-body-size",
    "proxy-buffer-size",
    "proxy-buffering",
    "proxy-buffers-number",
    "proxy-busy-buffers-size",
    "proxy-connect-timeout",
    "proxy-cookie-domain",
    "proxy-cookie-path",
    "proxy-http-version",
    "proxy-max-temp-file-size",
    "proxy-next-upstream",
    "proxy-next-upstream-timeout",
    "proxy-next-upstream-tries",
    "proxy-read-timeout",
    "proxy-redirect-from",
    "proxy-redirect-to",
    "proxy-request-buffering",
    "proxy-send-timeout",
    "proxy-ssl-ciphers",
    "proxy-ssl-name",
    "proxy-ssl-protocols",
    "proxy-ssl-secret",
    "proxy-ssl-server-name",
    "proxy-ssl-verify",
    "proxy-ssl-verify-depth",
    "relative-redirects",
    "rewrite-target",
    "satisfy",
    "server-alias",
    "server-snippet",
    "service-upstream",
    "session-cookie-change-on-failure",
    "session-cookie-conditional-samesite-none",
    "session-cookie-domain",
    "session-cookie-expires",
    "session-cookie-max-age",
    "session-cookie-name",
    "session-cookie-path",
    "session-cookie-samesite",
    "session-cookie-secure",
    "ssl-ciphers",
    "ssl-passthrough",
    "ssl-prefer-server-ciphers",
    "ssl-redirect",
    "stream-snippet",
    "temporal-redirect",
    "temporal-redirect-code",
    "upstream-hash-by",
    "upstream-hash-by-subset",
    "upstream-hash-by-subset-size",
    "upstream-vhost",
    "use-port-in-redirects",
    "use-regex",
    "whitelist-source-range",
    "x-forwarded-prefix",
    "global-rate-limit",
    "global-rate-limit-window",
    "global-rate-limit-key",
    "global-rate-limit-ignored-cidrs",
];

#[test]
fn every_ingress_nginx_annotation_is_supported_or_classified() {
    for name in INGRESS_NGINX {
        let supported = registry::lookup(name).is_some();
        let classified = lookup_unsupported(name).is_some();
        assert!(
            supported != classified,
            "{name}: in the registry: {supported}, in unsupported.rs: {classified} (an \
             implemented annotation leaves unsupported.rs)"
        );
    }
    for spec in UNSUPPORTED {
        assert!(
            INGRESS_NGINX.contains(&spec.name),
            "{}: not an ingress-nginx annotation",
            spec.name
        );
        assert!(!spec.doc.is_empty(), "{}", spec.name);
    }
    let mut names: Vec<_> = UNSUPPORTED.iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), UNSUPPORTED.len(), "duplicate names");
}

#[test]
fn modifiers_name_unsupported_restricting_annotations() {
    for spec in UNSUPPORTED {
        let Effect::Denies(When::With(others)) = spec.effect else { continue };
        for other in others {
            let effect = lookup_unsupported(other).map(|s| s.effect);
            let supported = crate::registry::lookup(other).is_some();
            assert!(
                supported
                    || matches!(effect, Some(Effect::Denies(w)) if !matches!(w, When::With(_))),
                "{}: modifies {other}, which is {effect:?}",
                spec.name
            );
        }
    }
}

#[test]
fn access_restricting_classification() {
    let denies =
        |name: &str| matches!(lookup_unsupported(name).map(|s| s.effect), Some(Effect::Denies(_)));
    for name in [
        "global-rate-limit",
        "global-rate-limit-window",
        "enable-modsecurity",
        "enable-owasp-core-rules",
        "modsecurity-snippet",
        "modsecurity-transaction-id",
        "auth-snippet",
    ] {
        assert!(denies(name), "{name} restricts access");
    }
    for name in [
        "satisfy",
        "enable-global-auth",
        "configuration-snippet",
        "server-snippet",
        "custom-http-errors",
        "canary",
        "affinity-canary-behavior",
        "backend-protocol",
        "proxy-ssl-verify",
    ] {
        assert!(!denies(name), "{name} does not restrict access");
    }
}

/// `(annotations, denied keys)`: which combinations deny, and by which annotation.
type DenyCase = (&'static [(&'static str, &'static str)], &'static [&'static str]);

#[test]
fn values_that_deny() {
    let cases: &[DenyCase] = &[
        (&[("global-rate-limit", "not a number")], &["global-rate-limit"]),
        (&[("global-rate-limit", "  ")], &[]),
        (&[("global-rate-limit", "5")], &["global-rate-limit"]),
        (&[("global-rate-limit", "0")], &[]),
        (&[("global-rate-limit", "-1")], &[]),
        (&[("global-rate-limit", " 3 ")], &["global-rate-limit"]),
        (&[("global-rate-limit-window", "1m")], &[]),
        (&[("global-rate-limit-window", "1m"), ("global-rate-limit", "0")], &[]),
        (
            &[("global-rate-limit-window", "1m"), ("global-rate-limit", "60")],
            &["global-rate-limit", "global-rate-limit-window"],
        ),
        (&[("global-rate-limit-ignored-cidrs", "10.0.0.0/8")], &[]),
        (&[("enable-modsecurity", "true")], &["enable-modsecurity"]),
        (&[("enable-modsecurity", "false")], &[]),
        (&[("enable-modsecurity", "0")], &[]),
        (&[("enable-modsecurity", "yes")], &["enable-modsecurity"]),
        (&[("modsecurity-transaction-id", "$request_id")], &[]),
        (&[("modsecurity-transaction-id", "x"), ("enable-modsecurity", "false")], &[]),
        (&[("enable-owasp-core-rules", "true")], &["enable-owasp-core-rules"]),
        (&[("auth-snippet", "x")], &[]),
        (&[("auth-proxy-set-headers", "ns/headers")], &[]),
        (
            &[("satisfy", "any"), ("fastcgi-index", "index.php"), ("server-snippet", "deny all;")],
            &[],
        ),
        (&[("not-an-annotation", "1")], &[]),
    ];
    for (pairs, want) in cases {
        let parsed = parse(pairs);
        let errors: Vec<String> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter_map(|d| d.field.clone())
            .collect();
        let want_fields: Vec<String> = want.iter().map(|n| field(n)).collect();
        assert_eq!(errors, want_fields, "{pairs:?}: {:?}", parsed.diagnostics);
        let denied = parsed.annotations.policy.denied.as_deref();
        if want.is_empty() {
            assert_eq!(denied, None, "{pairs:?}");
        } else {
            let denied = denied.unwrap_or_else(|| panic!("{pairs:?}: not denied"));
            for name in *want {
                assert!(denied.contains(&format!("{DEFAULT_PREFIX}/{name}")), "{denied}");
            }
        }
        assert!(!parsed.fatal, "{pairs:?}");
        assert_eq!(parsed.diagnostics.len(), pairs.len(), "one diagnostic each: {pairs:?}");
    }
}

#[test]
fn the_error_names_the_annotation_and_the_503() {
    let parsed = parse(&[("global-rate-limit", "10")]);
    let diags = diags_for(&parsed, "global-rate-limit");
    assert_eq!(
        diags.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        [format!(
            "error: {}: annotation {DEFAULT_PREFIX}/global-rate-limit restricts access and \
             is not supported by Portico yet: every path of this Ingress answers 503 until it \
             is (fails closed)",
            field("global-rate-limit")
        )]
    );
}

#[test]
fn ignored_notes_say_why() {
    let parsed = parse(&[("enable-modsecurity", "false"), ("auth-snippet", "x")]);
    let messages: Vec<_> = parsed.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        messages,
        [
            format!(
                "annotation {DEFAULT_PREFIX}/auth-snippet is not supported by Portico (ignored: \
                 no effect without auth-url)"
            ),
            format!(
                "annotation {DEFAULT_PREFIX}/enable-modsecurity is not supported by Portico \
                 (ignored: \"false\" disables it)"
            ),
        ]
    );
    assert!(parsed.diagnostics.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn the_prefix_is_respected() {
    let raw = [
        ("example.com/ingress/global-rate-limit", "10"),
        ("example.com/ingress/global-rate-limit-key", "$remote_addr"),
        ("nginx.ingress.kubernetes.io/whitelist-source-range", "10.0.0.0/8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let parsed = crate::parse_ingress(&raw, "example.com/ingress", &Default::default());
    let fields: Vec<_> = parsed.diagnostics.iter().filter_map(|d| d.field.as_deref()).collect();
    assert_eq!(
        fields,
        [
            "metadata.annotations[\"example.com/ingress/global-rate-limit\"]",
            "metadata.annotations[\"example.com/ingress/global-rate-limit-key\"]",
        ]
    );
    assert_eq!(
        parsed.annotations.policy.denied.as_deref(),
        Some(
            "unsupported access-restricting annotation(s): \
             example.com/ingress/global-rate-limit, example.com/ingress/global-rate-limit-key"
        )
    );
}

#[test]
fn generated_table_is_well_formed() {
    let table = render_unsupported_markdown(DEFAULT_PREFIX);
    assert_eq!(table.lines().count(), UNSUPPORTED.len() + 2);
    let cells = |line: &str| line.matches('|').count() - line.matches("\\|").count();
    assert!(table.lines().all(|line| cells(line) == 4), "{table}");
    assert!(table.contains(
        "| `nginx.ingress.kubernetes.io/global-rate-limit` | 503 (fails closed) unless 0 |"
    ));
    assert!(table.contains("| `nginx.ingress.kubernetes.io/satisfy` | ignored (warning) |"));
}
