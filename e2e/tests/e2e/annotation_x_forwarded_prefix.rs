//! `x-forwarded-prefix` (spec §1.2, ingress-nginx `test/e2e/annotations/xforwardedprefix.go`):
//! `X-Forwarded-Prefix: <value>` reaches the backend only from locations that rewrite; an empty
//! value adds nothing; an invalid value makes the Ingress invalid (its parser returns errors).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, Case};

#[tokio::test]
async fn header_only_on_rewriting_locations() {
    let mut case = Case::new("xfp-rewrite");
    case.backend("web").await;
    let (rewrite, plain, noop, empty) =
        (case.host("rewrite"), case.host("plain"), case.host("noop"), case.host("empty"));
    case.apply(
        "rewrite.yaml",
        case.ingress("rewrite")
            .annotation("x-forwarded-prefix", "/foo")
            .annotation("rewrite-target", "/$1")
            .path(Some(&rewrite), "/foo/(.*)", "ImplementationSpecific", "web"),
    );
    case.apply(
        "plain.yaml",
        case.ingress("plain").annotation("x-forwarded-prefix", "/foo").path(
            Some(&plain),
            "/foo",
            "Prefix",
            "web",
        ),
    );
    case.apply(
        "noop.yaml",
        case.ingress("noop")
            .annotation("x-forwarded-prefix", "/foo")
            .annotation("rewrite-target", "/foo")
            .path(Some(&noop), "/foo", "Prefix", "web"),
    );
    case.apply(
        "empty.yaml",
        case.ingress("empty")
            .annotation("x-forwarded-prefix", "")
            .annotation("rewrite-target", "/$1")
            .path(Some(&empty), "/foo/(.*)", "ImplementationSpecific", "web"),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&rewrite, "/foo/bar", 200).await;
    assert_proxied(&reply, "web", "/bar", "rewritten");
    assert_eq!(reply.echo_header("x-forwarded-prefix").as_deref(), Some("/foo"));
    for (host, uri, what) in [
        (&plain, "/foo/bar", "no rewrite-target"),
        (&noop, "/foo/bar", "target equals the path: no rewrite"),
        (&empty, "/bar", "empty value"),
    ] {
        let reply = run.get(host, "/foo/bar").await;
        assert_proxied(&reply, "web", uri, what);
        assert_eq!(reply.echo_header("x-forwarded-prefix"), None, "{what}");
    }
    // Deliberate difference (docs/compatibility.md): a client's own X-Forwarded-Prefix never
    // reaches the backend (nginx passes it through where the annotation does not apply).
    if !run.is_external() {
        let reply = run.get_with(&plain, "/foo", &[("x-forwarded-prefix", "/client")]).await;
        assert_eq!(reply.echo_header("x-forwarded-prefix"), None, "client value dropped");
        let reply = run.get_with(&rewrite, "/foo/x", &[("x-forwarded-prefix", "/client")]).await;
        assert_eq!(reply.echo_header("x-forwarded-prefix").as_deref(), Some("/foo"), "replaced");
    }
}

#[tokio::test]
async fn a_line_break_or_bad_charset_makes_the_ingress_invalid_and_nothing_else() {
    let mut case = Case::new("xfp-invalid");
    case.backend("web").await;
    let (bad, good) = (case.host("bad"), case.host("good"));
    case.apply(
        "bad.yaml",
        case.ingress("bad")
            .annotation("x-forwarded-prefix", "/foo\r\nX-Injected: 1")
            .annotation("rewrite-target", "/$1")
            .path(Some(&bad), "/foo/(.*)", "ImplementationSpecific", "web"),
    );
    // ingress-nginx validates with BasicCharsRegex: `$` and `?` make the Ingress invalid too.
    let charset = case.host("charset");
    case.apply(
        "charset.yaml",
        case.ingress("charset")
            .annotation("x-forwarded-prefix", "/foo/$1?x")
            .annotation("rewrite-target", "/$1")
            .path(Some(&charset), "/foo/(.*)", "ImplementationSpecific", "web"),
    );
    case.apply(
        "good.yaml",
        case.ingress("good")
            .annotation("x-forwarded-prefix", "/foo")
            .annotation("rewrite-target", "/$1")
            .path(Some(&good), "/foo/(.*)", "ImplementationSpecific", "web"),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&good, "/foo/x", 200).await;
    assert_proxied(&reply, "web", "/x", "other Ingress unaffected");
    assert_eq!(run.get(&bad, "/foo/x").await.status, 404, "the Ingress is not loaded");
    assert_eq!(run.get(&charset, "/foo/x").await.status, 404, "the Ingress is not loaded");
    if let Some(check) = run.check() {
        let line = check
            .lines()
            .find(|l| l.contains("x-forwarded-prefix") && l.contains("xfp-invalid/bad"));
        let line = line.unwrap_or_else(|| panic!("no diagnostic:\n{check}"));
        assert!(line.contains("line break") && line.contains("not loaded"), "{line}");
        let line = check
            .lines()
            .find(|l| l.contains("x-forwarded-prefix") && l.contains("xfp-invalid/charset"));
        assert!(line.is_some_and(|l| l.contains("not loaded")), "{check}");
    }
}
