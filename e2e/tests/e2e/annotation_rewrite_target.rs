//! `rewrite-target` (spec §1.2, ingress-nginx `test/e2e/annotations/rewrite.go`): the whole URI is
//! replaced, `$1..$9` come from the path regex matched case-insensitively on the normalized
//! path, the query is kept, a target equal to the path is a no-op, targets outside the charset
//! are ignored, and a rewrite puts the whole host in regex mode.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn spec_example_something_captures() {
    let mut case = Case::new("rewrite-example");
    case.backend("web").await;
    let host = case.host("rewrite");
    case.apply(
        "ing.yaml",
        case.ingress("rewrite")
            .annotation("use-regex", "true")
            .annotation("rewrite-target", "/$2")
            .path(Some(&host), "/something(/|$)(.*)", "ImplementationSpecific", "web"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/something", 200).await;
    for (sent, received) in [
        ("/something", "/"),
        ("/something/", "/"),
        ("/something/new", "/new"),
        ("/something/new/deeper", "/new/deeper"),
        ("/SomeThing/new", "/new"),
        ("/something/new?a=1&b=two", "/new?a=1&b=two"),
        ("/something/a/../new", "/new"),
        ("/something//new", "/new"),
        ("/something/%6Eew", "/new"),
    ] {
        let reply = run.get(&host, sent).await;
        assert_proxied(&reply, "web", received, sent);
    }
    // Unanchored at the end but anchored at the start by the location: not a match elsewhere.
    assert_eq!(run.get(&host, "/x/something").await.status, 404);
}

#[tokio::test]
async fn whole_uri_is_replaced_and_query_kept() {
    let mut case = Case::new("rewrite-whole");
    case.backend("web").await;
    let host = case.host("whole");
    case.apply(
        "ing.yaml",
        case.ingress("whole").annotation("rewrite-target", "/").path(
            Some(&host),
            "/api",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/api", 200).await;
    let reply = run.get(&host, "/api/users?page=2").await;
    assert_proxied(&reply, "web", "/?page=2", "sub-path lost, query kept (since 0.22.0)");
    let reply = run.get(&host, "/API/users").await;
    assert_proxied(&reply, "web", "/", "the rewrite regex is case-insensitive");
}

#[tokio::test]
async fn target_equal_to_path_is_a_no_op_and_keeps_exact_matching() {
    let mut case = Case::new("rewrite-noop");
    case.backend("web").await;
    case.backend("exact").await;
    let host = case.host("noop");
    case.apply(
        "ing.yaml",
        case.ingress("noop").annotation("rewrite-target", "/").path(
            Some(&host),
            "/",
            "Prefix",
            "web",
        ),
    );
    // (An Exact path in the same Ingress would rewrite: the target `/` differs from its path.)
    case.apply("exact.yaml", case.ingress("exact").path(Some(&host), "/exact", "Exact", "exact"));
    let Some(run) = case.start().await else { return };
    run.served(&host, "/", 200).await;
    assert_proxied(&run.get(&host, "/Foo/./bar?q").await, "web", "/Foo/./bar?q", "raw target");
    assert_proxied(&run.get(&host, "/exact").await, "exact", "/exact", "exact");
    // No rewrite, so no regex mode: Exact stays exact.
    assert_proxied(&run.get(&host, "/exactly").await, "web", "/exactly", "not regex mode");
}

#[tokio::test]
async fn rewrite_makes_the_host_regex_and_case_insensitive() {
    let mut case = Case::new("rewrite-regex");
    case.backend("web").await;
    case.backend("exact").await;
    let host = case.host("regex");
    // No use-regex anywhere: the rewrite alone turns every path of the host, including the
    // other Ingress's Exact path, into `~* "^<path>"`.
    case.apply(
        "ing.yaml",
        case.ingress("regex").annotation("rewrite-target", "/v2/$1").path(
            Some(&host),
            "/v1/(.*)",
            "ImplementationSpecific",
            "web",
        ),
    );
    case.apply("plain.yaml", case.ingress("plain").path(Some(&host), "/exact", "Exact", "exact"));
    let Some(run) = case.start().await else { return };
    run.served(&host, "/v1/x", 200).await;
    assert_proxied(&run.get(&host, "/v1/users/7?x=1").await, "web", "/v2/users/7?x=1", "$1");
    assert_proxied(&run.get(&host, "/V1/a").await, "web", "/v2/a", "case-insensitive");
    assert_proxied(
        &run.get(&host, "/exactly").await,
        "exact",
        "/exactly",
        "Exact is a prefix regex",
    );
    assert_proxied(
        &run.get(&host, "/EXACT/x").await,
        "exact",
        "/EXACT/x",
        "raw target, no rewrite",
    );
}

#[tokio::test]
async fn absolute_target_redirects_with_302() {
    let mut case = Case::new("rewrite-absolute");
    case.backend("web").await;
    let host = case.host("abs");
    case.apply(
        "ing.yaml",
        case.ingress("abs").annotation("rewrite-target", "https://example.com/$1").path(
            Some(&host),
            "/go/(.*)",
            "ImplementationSpecific",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/go/docs?x=1", 302).await;
    assert_redirect(&reply, 302, "https://example.com/docs?x=1", "nginx rewrite to a URL");
}

#[tokio::test]
async fn out_of_charset_targets_are_ignored_with_a_diagnostic() {
    let mut case = Case::new("rewrite-charset");
    case.backend("web").await;
    case.backend("other").await;
    let host = case.host("charset");
    let other = case.host("other");
    for (i, target) in ["/foo?x=1", "/a&b", "/%2e", "/{x}", "/a b", "/x\n/y"].iter().enumerate() {
        case.apply(
            &format!("ing-{i}.yaml"),
            case.ingress(&format!("bad-{i}")).annotation("rewrite-target", target).path(
                Some(&host),
                &format!("/p{i}"),
                "Prefix",
                "web",
            ),
        );
    }
    case.apply(
        "ok.yaml",
        case.ingress("ok").annotation("rewrite-target", "/$1").path(
            Some(&other),
            "/o/(.*)",
            "ImplementationSpecific",
            "other",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/p0", 200).await;
    for i in 0..6 {
        let path = format!("/p{i}/x?q=1");
        assert_proxied(&run.get(&host, &path).await, "web", &path, "target ignored");
    }
    // Ignored targets do not make the host regex: `/p0` stays a prefix with `/` boundaries.
    assert_eq!(run.get(&host, "/p0x").await.status, 404, "not regex mode");
    assert_proxied(&run.get(&other, "/o/fine").await, "other", "/fine", "others unaffected");
    if let Some(check) = run.check() {
        for i in 0..6 {
            let needle = format!("Ingress rewrite-charset/bad-{i}");
            assert!(
                check.lines().any(|l| l.contains(&needle) && l.contains("rewrite-target")),
                "diagnostic for bad-{i}:\n{check}"
            );
        }
        assert!(check.contains("0 error(s)"), "ignored targets are warnings:\n{check}");
    }
}
