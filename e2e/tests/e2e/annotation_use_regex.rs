//! `use-regex` and the host-wide regex mode (spec §1.3, §4.1; ingress-nginx
//! `test/e2e/annotations/rewrite.go` "use-regex", `ingress/pathtype_*.go`): case-insensitive
//! regexes anchored at the start only, first match in order of descending path length (ties:
//! descending bytes), Exact turned prefix-like, the backend gets the raw URI; bad regexes and
//! bad booleans cost only their own path.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn regex_paths_are_anchored_at_the_start_only_and_case_insensitive() {
    let mut case = Case::new("regex-anchor");
    case.backend("id").await;
    let host = case.host("regex");
    case.apply(
        "ing.yaml",
        case.ingress("regex").annotation("use-regex", "true").path(
            Some(&host),
            "/id/[0-9]+",
            "ImplementationSpecific",
            "id",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/id/1", 200).await;
    assert_proxied(&run.get(&host, "/id/123").await, "id", "/id/123", "match");
    assert_proxied(&run.get(&host, "/id/123a?q=1").await, "id", "/id/123a?q=1", "no end anchor");
    assert_proxied(&run.get(&host, "/ID/9").await, "id", "/ID/9", "case-insensitive, raw URI");
    assert_proxied(&run.get(&host, "/x/../id/5").await, "id", "/x/../id/5", "normalized match");
    assert_eq!(run.get(&host, "/id/aaa").await.status, 404, "no match");
    assert_eq!(run.get(&host, "/a/id/1").await.status, 404, "anchored at the start");
}

#[tokio::test]
async fn longest_path_first_even_over_a_more_exact_literal() {
    let mut case = Case::new("regex-order");
    for svc in ["regex", "literal", "ba", "bdot"] {
        case.backend(svc).await;
    }
    let host = case.host("order");
    case.apply(
        "ing.yaml",
        case.ingress("order")
            .annotation("use-regex", "true")
            .path(Some(&host), "/api/v[0-9]+/.*", "ImplementationSpecific", "regex")
            .path(Some(&host), "/api/v1/users", "Exact", "literal")
            .path(Some(&host), "/b.", "ImplementationSpecific", "bdot")
            .path(Some(&host), "/ba", "ImplementationSpecific", "ba"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/ba", 200).await;
    // `/api/v[0-9]+/.*` (15 bytes) is tried before `/api/v1/users` (13): the documented trap.
    assert_proxied(&run.get(&host, "/api/v1/users").await, "regex", "/api/v1/users", "longer");
    // Same length: descending bytes, so `/ba` ('a' = 0x61) before `/b.` ('.' = 0x2e).
    assert_proxied(&run.get(&host, "/bar").await, "ba", "/bar", "tie: descending bytes");
    assert_proxied(&run.get(&host, "/bx").await, "bdot", "/bx", "only `/b.` matches");
}

#[tokio::test]
async fn exact_becomes_a_prefix_regex_in_regex_mode() {
    let mut case = Case::new("regex-exact");
    case.backend("exact").await;
    case.backend("re").await;
    let host = case.host("exact");
    case.apply(
        "ing.yaml",
        case.ingress("exact")
            .annotation("use-regex", "true")
            .path(Some(&host), "/exact", "Exact", "exact")
            .path(Some(&host), "/r.*", "ImplementationSpecific", "re"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/exact", 200).await;
    for path in ["/exact", "/exactly", "/exact/x", "/EXACT"] {
        assert_proxied(&run.get(&host, path).await, "exact", path, "`~* ^/exact`");
    }
}

#[tokio::test]
async fn prefix_with_trailing_slash_redirects_outside_regex_mode_only() {
    let mut case = Case::new("regex-addslash");
    case.backend("web").await;
    let (plain, regex) = (case.host("plain"), case.host("regex"));
    case.apply("plain.yaml", case.ingress("plain").path(Some(&plain), "/p/", "Prefix", "web"));
    case.apply(
        "regex.yaml",
        case.ingress("regex").annotation("use-regex", "true").path(
            Some(&regex),
            "/p/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&plain, "/p/", 200).await;
    // nginx's auto-redirect: absolute, Host without port, query kept.
    let reply = run.get(&format!("{plain}:8080"), "/p?x=1").await;
    assert_redirect(&reply, 301, &format!("http://{plain}/p/?x=1"), "`/p` of `Prefix /p/`");
    assert_proxied(&run.get(&plain, "/p/x").await, "web", "/p/x", "below the prefix");
    assert_eq!(run.get(&regex, "/p").await.status, 404, "regex `^/p/` does not take /p");
    assert_proxied(&run.get(&regex, "/P/x").await, "web", "/P/x", "regex mode");
}

#[tokio::test]
async fn invalid_regex_drops_only_that_path_with_a_named_diagnostic() {
    let mut case = Case::new("regex-invalid");
    case.backend("ok").await;
    case.backend("bad").await;
    let host = case.host("mixed");
    case.apply(
        "ing.yaml",
        case.ingress("mixed")
            .annotation("use-regex", "true")
            .path(Some(&host), "/ok/[0-9]+", "ImplementationSpecific", "ok")
            .path(Some(&host), "/bad/(unclosed", "ImplementationSpecific", "bad")
            .path(Some(&host), "/look(?=ahead)", "ImplementationSpecific", "bad"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/ok/1", 200).await;
    assert_proxied(&run.get(&host, "/ok/42").await, "ok", "/ok/42", "valid path still served");
    assert_eq!(run.get(&host, "/bad/(unclosed").await.status, 404, "the broken path is missing");
    assert_eq!(run.get(&host, "/lookahead").await.status, 404, "PCRE-only syntax is missing");
    if let Some(check) = run.check() {
        for path in ["/bad/(unclosed", "/look(?=ahead)"] {
            let line = check.lines().find(|l| l.contains(&format!("{path:?}")));
            let line = line.unwrap_or_else(|| panic!("no diagnostic for {path}:\n{check}"));
            assert!(line.contains("Ingress regex-invalid/mixed"), "{line}");
            assert!(line.contains("path") && line.contains("regular expression"), "{line}");
        }
    }
}

#[tokio::test]
async fn non_boolean_use_regex_falls_back_to_false() {
    let mut case = Case::new("regex-bool");
    case.backend("web").await;
    case.backend("other").await;
    let (host, other) = (case.host("yes"), case.host("other"));
    case.apply(
        "ing.yaml",
        case.ingress("yes").annotation("use-regex", "yes").path(
            Some(&host),
            "/id/[0-9]+",
            "ImplementationSpecific",
            "web",
        ),
    );
    case.apply(
        "other.yaml",
        case.ingress("other").annotation("use-regex", "True").path(
            Some(&other),
            "/id/[0-9]+",
            "ImplementationSpecific",
            "other",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&other, "/id/1", 200).await;
    // `yes` is not a Go ParseBool value: default false, the path is a literal prefix.
    assert_eq!(run.get(&host, "/id/1").await.status, 404, "literal path, no regex");
    let literal = "/id/%5B0-9%5D+";
    assert_proxied(&run.get(&host, literal).await, "web", literal, "the literal path matches");
    assert_proxied(&run.get(&other, "/id/7").await, "other", "/id/7", "`True` is a boolean");
    if let Some(check) = run.check() {
        let line = check.lines().find(|l| l.contains("use-regex") && l.contains("\"yes\""));
        assert!(line.is_some_and(|l| l.contains("regex-bool/yes")), "diagnostic:\n{check}");
    }
}
