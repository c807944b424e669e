//! `allowlist-source-range` / `whitelist-source-range` / `denylist-source-range` and the
//! ConfigMap defaults of the same names: 403 for refused clients, through the real binary, with
//! clients on distinct loopback source addresses (all of 127.0.0.0/8 is loopback).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use portico_e2e::{eventually, get_from, raw_status, service, start_site, Backends, Dir, Portico};

/// `GET /` on `host` from source address `from`: the status code.
async fn status_from(from: &str, to: SocketAddr, host: &str) -> u16 {
    raw_status(&get_from(from, to, host, "/", "").await)
}

async fn start(
    ingresses: &[(&str, &[(&str, &str)])],
    configmap: Option<&str>,
) -> (Backends, Dir, Portico) {
    start_site(ingresses, configmap).await
}

#[tokio::test]
async fn allow_and_deny_lists_by_client_address() {
    let (_w, _d, portico) = start(
        &[
            ("allow.test", &[("allowlist-source-range", "127.0.0.2/32, 127.0.1.0/24")]),
            ("old.test", &[("whitelist-source-range", "127.0.0.3")]),
            ("deny.test", &[("denylist-source-range", "127.0.0.2")]),
            (
                "both.test",
                &[
                    ("whitelist-source-range", "127.0.0.0/8"),
                    ("denylist-source-range", "127.0.0.3"),
                ],
            ),
            ("open.test", &[]),
        ],
        None,
    )
    .await;
    let to = portico.http;
    let cases = [
        ("127.0.0.2", "allow.test", 200),
        ("127.0.1.9", "allow.test", 200),
        ("127.0.0.3", "allow.test", 403),
        ("127.0.0.3", "old.test", 200),
        ("127.0.0.2", "old.test", 403),
        ("127.0.0.2", "deny.test", 403),
        ("127.0.0.3", "deny.test", 200),
        ("127.0.0.2", "both.test", 200),
        ("127.0.0.3", "both.test", 403),
        ("127.0.0.2", "open.test", 200),
    ];
    for (from, host, want) in cases {
        assert_eq!(status_from(from, to, host).await, want, "{from} → {host}");
    }
}

#[tokio::test]
async fn configmap_defaults_and_invalid_lists_fail_closed() {
    let (_w, dir, portico) = start(
        &[
            ("default.test", &[]),
            ("override.test", &[("whitelist-source-range", "127.0.0.3")]),
            ("broken.test", &[("denylist-source-range", "127.0.0.9, not-an-address")]),
        ],
        Some("  whitelist-source-range: \"127.0.0.2\"\n"),
    )
    .await;
    let to = portico.http;
    assert_eq!(status_from("127.0.0.2", to, "default.test").await, 200, "ConfigMap default");
    assert_eq!(status_from("127.0.0.3", to, "default.test").await, 403, "ConfigMap default");
    assert_eq!(status_from("127.0.0.3", to, "override.test").await, 200, "annotation replaces");
    assert_eq!(status_from("127.0.0.2", to, "override.test").await, 403, "annotation replaces");
    assert_eq!(status_from("127.0.0.2", to, "broken.test").await, 503, "invalid: never open");
    let check = portico.check();
    assert!(
        check.lines().any(|l| l.starts_with("error:")
            && l.contains("denylist-source-range")
            && l.contains("not-an-address")),
        "{check}"
    );
    // An invalid ConfigMap list denies every location.
    dir.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:\n  whitelist-source-range: \"127.0.0.2, bogus\"\n",
    );
    eventually("every location answers 503", || async move {
        status_from("127.0.0.2", to, "default.test").await == 503
    })
    .await;
    assert_eq!(status_from("127.0.0.3", to, "override.test").await, 503);
}

#[tokio::test]
async fn no_endpoints_is_503_before_the_address_check() {
    // nginx picks the endpoint at the end of its rewrite phase, before allow/deny (spec §1.7).
    let (_w, dir, portico) =
        start(&[("empty.test", &[("allowlist-source-range", "127.0.0.2")])], None).await;
    dir.write("svc.yaml", service("default", "web", &[]));
    let to = portico.http;
    eventually("the Service without endpoints answers 503", || async move {
        status_from("127.0.0.2", to, "empty.test").await == 503
    })
    .await;
    assert_eq!(status_from("127.0.0.3", to, "empty.test").await, 503, "503, not 403");
}
