//! Regex mode (§1.3, §4.1): case-insensitive, start-anchored, first match in emitted order.

use super::*;

#[test]
fn regex_paths_are_anchored_at_start_only() {
    check_paths(
        vec![regex_loc("/id/[0-9]+", Impl)],
        &[
            ("/id/123", L(0)),
            ("/id/123a", L(0)),
            ("/ID/1", L(0)),
            ("/id/aaa", NoMatch),
            ("/x/id/1", NoMatch),
        ],
    );
}

#[test]
fn every_path_of_the_host_becomes_a_case_insensitive_prefix_regex() {
    check_paths(
        vec![regex_loc("/re.+", Impl), loc("/exact", Exact), loc("/", Prefix)],
        &[
            ("/exact", L(1)),
            ("/exactly", L(1)),
            ("/EXACT/x", L(1)),
            ("/reX", L(0)),
            ("/re", L(2)),
            ("/anything", L(2)),
        ],
    );
}

#[test]
fn prefix_of_non_regex_ingress_matches_like_caret_p() {
    // `/p` is emitted as `^/p/` then `^/p`: together they accept `/pq` too.
    for path_type in [Prefix, Impl] {
        check_paths(
            vec![loc("/p", path_type), regex_loc("/zzzz", Impl)],
            &[("/p", L(0)), ("/p/", L(0)), ("/pq", L(0)), ("/P/x", L(0)), ("/q", NoMatch)],
        );
    }
}

#[test]
fn split_pair_sits_at_the_sorted_position_of_the_original_path() {
    // nginx order: `^/p.` (length 3) before the pair `^/p/`, `^/p` (sorted as `/p`).
    check_paths(
        vec![loc("/p", Prefix), regex_loc("/p.", Impl)],
        &[("/p/x", L(1)), ("/pq", L(1)), ("/p", L(0))],
    );
}

#[test]
fn existing_exact_takes_the_caret_p_regex_from_the_prefix_twin() {
    // Prefix first in table order: the Prefix keeps only `^/p/`, the Exact owns `^/p`.
    check_paths(
        vec![loc("/p", Prefix), loc("/p", Exact), regex_loc("/zzzz", Impl)],
        &[("/p/x", L(0)), ("/p", L(1)), ("/pq", L(1))],
    );
    // Exact first: its `^/p` is tried before the Prefix's `^/p/` and takes everything.
    check_paths(
        vec![loc("/p", Exact), loc("/p", Prefix), regex_loc("/zzzz", Impl)],
        &[("/p/x", L(0)), ("/p", L(0)), ("/pq", L(0))],
    );
}

#[test]
fn regex_and_rewrite_locations_are_not_split() {
    // A regex Prefix `/p` is just `^/p`; a rewriting one too.
    check_paths(vec![regex_loc("/p", Prefix)], &[("/pq", L(0)), ("/p/", L(0))]);
    check_paths(vec![rewrite_loc("/p", "/")], &[("/pq", L(0))]);
}

#[test]
fn order_is_length_desc_then_lexicographic_desc() {
    // A longer regex beats a "more exact" shorter literal path.
    check_paths(
        vec![loc("/api", Exact), regex_loc("/ap.*", Impl)],
        &[("/api", L(1)), ("/ap", L(1))],
    );
    check_paths(
        vec![loc("/api", Exact), regex_loc("/[a-z]+", Impl), loc("/foo/bar", Prefix)],
        &[("/api", L(1)), ("/foo/bar", L(2)), ("/foo", L(1)), ("/foo/", L(1))],
    );
    // Same length: `/x.` > `/.y` bytewise, so `/x.` is tried first although listed second.
    check_paths(
        vec![regex_loc("/.y", Impl), regex_loc("/x.", Impl)],
        &[("/xy", L(1)), ("/ay", L(0))],
    );
}

#[test]
fn ties_keep_table_order() {
    check_paths(
        vec![regex_loc("/p", Exact), regex_loc("/p", Prefix)],
        &[("/p", L(0)), ("/p/x", L(0))],
    );
    check_paths(vec![regex_loc("/p", Prefix), regex_loc("/p", Exact)], &[("/p", L(0))]);
}

#[test]
fn no_auto_redirect_in_regex_mode() {
    check_paths(
        vec![loc("/p/", Prefix), regex_loc("/zzzz", Impl)],
        &[("/p", NoMatch), ("/p/", L(0))],
    );
}

#[test]
fn alternation_is_not_grouped_as_in_nginx() {
    // `~* "^/a|/b"` is `(^/a)|(/b)`: `/b` anywhere matches.
    check_paths(vec![regex_loc("/a|/b", Impl)], &[("/a", L(0)), ("/x/b", L(0)), ("/x", NoMatch)]);
}

#[test]
fn ascii_case_folding_and_non_ascii_literals() {
    check_paths(
        vec![regex_loc("/café", Impl)],
        &[("/café/x", L(0)), ("/CAFé", L(0)), ("/CAFÉ", NoMatch)],
    );
    // `.` is one byte, as PCRE without UTF: `é` is two.
    check_paths(vec![regex_loc("/x.$", Impl)], &[("/xa", L(0)), ("/xé", NoMatch)]);
}

#[test]
fn regex_failures_name_the_locations_the_router_leaves_out() {
    let locations = vec![regex_loc("/foo(", Impl), regex_loc("/ok", Impl), loc("/a[", Prefix)];
    let srv = server(exact_host("h"), locations.clone());
    let failures = crate::regex_failures(&srv);
    let failed: Vec<usize> = failures.iter().map(|(i, _)| *i).collect();
    assert_eq!(failed, [0, 2]);
    let (_, _, diagnostics) = one_server(locations);
    let mut from_router: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    let mut reported: Vec<String> = failures.iter().map(|(_, d)| d.to_string()).collect();
    from_router.sort();
    reported.sort();
    assert_eq!(reported, from_router, "the same diagnostics as a router build");
    let plain = server(exact_host("h"), vec![loc("/a[", Prefix)]);
    assert!(crate::regex_failures(&plain).is_empty(), "not in regex mode: nothing is a regex");
}

#[test]
fn invalid_regex_is_reported_and_left_out() {
    let cases = [
        ("/foo(", "unclosed group"),
        ("/(?=x)", "look-around"),
        ("/a{1000}{1000}{1000}", "size limit"),
    ];
    for (bad, why) in cases {
        let (router, id, diagnostics) =
            one_server(vec![regex_loc(bad, Impl), regex_loc("/ok", Impl), loc("/", Prefix)]);
        assert_eq!(diagnostics.len(), 1, "{bad}: {diagnostics:?}");
        let d = &diagnostics[0];
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.field.as_deref(), Some("path"));
        assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some(format!("ing{bad}").as_str()));
        assert!(d.message.contains(bad), "{why}: {}", d.message);
        assert!(!d.message.contains('\n'), "one line: {}", d.message);
        assert_eq!(router.find_location(id, "/ok"), L(1), "{bad}");
        assert_eq!(router.find_location(id, "/foo"), L(2), "{bad}");
    }
}

#[test]
fn invalid_non_regex_path_on_regex_host_is_reported() {
    // A path of an Ingress that never asked for regex is still a regex source on this host.
    let (router, id, diagnostics) = one_server(vec![loc("/a(b", Prefix), regex_loc("/ok", Impl)]);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(router.find_location(id, "/ok"), L(1));
    assert_eq!(router.find_location(id, "/a(b"), NoMatch);
}

#[test]
fn rewrite_of_a_location_left_out_gives_one_diagnostic() {
    let (router, id, diagnostics) = one_server(vec![rewrite_loc("/x(", "/$1")]);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(router.rewrite(id, 0, "/x("), None);
}

#[test]
fn router_rewrites_and_reports_redirects() {
    let (router, id, diagnostics) = one_server(vec![
        rewrite_loc("/something(/|$)(.*)", "/$2"),
        rewrite_loc("/go(/.*)", "https://example.com$1"),
        loc("/plain", Prefix),
    ]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(router.find_location(id, "/something/new"), L(0));
    assert_eq!(router.rewrite(id, 0, "/something/new").as_deref(), Some("/new"));
    assert_eq!(router.rewrite(id, 0, "/other"), None);
    assert_eq!(router.rewrite(id, 1, "/go/x"), None);
    assert_eq!(
        router.rewrite_target(id, 1, "/go/x"),
        Some(Rewrite::Redirect("https://example.com/x".to_string()))
    );
    assert_eq!(router.rewrite(id, 2, "/plain"), None);
    assert_eq!(router.rewrite(id, 9, "/plain"), None);
}

#[test]
fn fifty_anchored_paths_run_as_one_automaton_and_keep_first_match_order() {
    let mut locations: Vec<Location> =
        (0..50).map(|i| regex_loc(&format!("/svc{i}/items/[0-9]+"), Impl)).collect();
    locations.push(regex_loc("/svc4.*", Impl));
    let (matcher, failed) = crate::path::RegexMatcher::build(&locations, &mut Vec::new());
    assert!(failed.is_empty());
    assert!(matcher.is_one_pass());
    // Sorted by length desc: `/svc49/items/[0-9]+` comes before `/svc4.*`.
    assert_eq!(matcher.find("/svc49/items/12345"), L(49));
    assert_eq!(matcher.find("/SVC49/items/1x"), L(49));
    assert_eq!(matcher.find("/svc49/other"), L(50));
    assert_eq!(matcher.find("/svc7/items/1"), L(7));
    assert_eq!(matcher.find("/svc7/items/"), NoMatch);
}

#[test]
fn an_unanchored_alternative_is_tried_in_turn_like_nginx() {
    // `~* "^/a|/b"` is `(^/a)|(/b)`: the second branch matches anywhere, and wins over a later
    // location even when that one matches at the start.
    let locations = vec![regex_loc("/a|/b", Impl), regex_loc("/x", Impl)];
    let (matcher, _) = crate::path::RegexMatcher::build(&locations, &mut Vec::new());
    assert!(!matcher.is_one_pass());
    assert_eq!(matcher.find("/x/b"), L(0));
    assert_eq!(matcher.find("/x"), L(1));
}

/// Timing of the bench's `regex-50` host, one automaton against each regex in turn; run by
/// hand: `cargo test --release -p portico-router regex_50_timing -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn regex_50_timing() {
    let locations: Vec<Location> =
        (0..50).map(|i| regex_loc(&format!("/svc{i}/[a-z]+/[0-9]+"), Impl)).collect();
    let (set, _) = crate::path::RegexMatcher::build_with(&locations, &mut Vec::new(), true);
    let (each, _) = crate::path::RegexMatcher::build_with(&locations, &mut Vec::new(), false);
    for path in ["/svc49/items/12345", "/svc0/items/12345", "/svc10/items/1", "/nothing/here"] {
        for (what, matcher) in [("one pass", &set), ("in turn", &each)] {
            let rounds = 200_000u32;
            let started = std::time::Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(matcher.find(std::hint::black_box(path)));
            }
            let per = started.elapsed() / rounds;
            println!("{path:<20} {what:<9} {per:?} -> {:?}", matcher.find(path));
        }
    }
}
