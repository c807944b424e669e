//! Router tests: host precedence, non-regex path precedence, regex mode, diagnostics.

use std::sync::Arc;

use portico_model::{
    Filter, HostPattern, Location, LocationPolicy, ObjectRef, PathType, RewriteTarget, RouteTable,
    Server, Severity, Target,
};

use super::*;

use PathType::{Exact, ImplementationSpecific as Impl, Prefix};

// --- builders ---

fn loc(path: &str, path_type: PathType) -> Location {
    Location {
        path: path.to_string(),
        path_type,
        backends: portico_model::Backends::single(Target::NotFound),
        policy: Arc::new(LocationPolicy::default()),
        ingress: Some(std::sync::Arc::new(ObjectRef::new(
            "Ingress",
            "default",
            format!("ing{path}"),
        ))),
        implicit: false,
        order: 0,
    }
}

fn regex_loc(path: &str, path_type: PathType) -> Location {
    let policy = LocationPolicy { use_regex: true, ..LocationPolicy::default() };
    Location { policy: Arc::new(policy), ..loc(path, path_type) }
}

fn rewrite_loc(path: &str, target: &str) -> Location {
    let mut policy = LocationPolicy::default();
    let rewrite = RewriteTarget { target: target.to_string(), x_forwarded_prefix: None };
    policy.filters.set(Filter::Rewrite(Arc::new(rewrite)));
    Location { policy: Arc::new(policy), ..loc(path, Impl) }
}

fn server(host: HostPattern, locations: Vec<Location>) -> Server {
    let regex_mode =
        locations.iter().any(|l| l.policy.use_regex || l.policy.filters.rewrite().is_some());
    Server { host, locations, regex_mode, ..Server::default() }
}

fn exact_host(name: &str) -> HostPattern {
    HostPattern::Exact(name.to_string())
}

fn wildcard(suffix: &str) -> HostPattern {
    HostPattern::Wildcard(suffix.to_string())
}

fn table(servers: Vec<Server>) -> RouteTable {
    RouteTable {
        servers,
        default_server: server(HostPattern::CatchAll, vec![]),
        ..Default::default()
    }
}

/// A router over one server holding `locations`, and its id.
fn one_server(locations: Vec<Location>) -> (Router, ServerId, Vec<Diagnostic>) {
    let (router, diagnostics) = Router::build(&table(vec![server(exact_host("h"), locations)]));
    (router, ServerId(0), diagnostics)
}

/// Asserts `(request path, expected match)` pairs against one server.
fn check_paths(locations: Vec<Location>, cases: &[(&str, PathMatch)]) {
    let paths: Vec<String> =
        locations.iter().map(|l| format!("{} {}", l.path_type.as_str(), l.path)).collect();
    let (router, id, diagnostics) = one_server(locations);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    for (path, want) in cases {
        assert_eq!(router.find_location(id, path), *want, "request {path:?} against {paths:?}");
    }
}

use PathMatch::{AddSlash, Location as L, NoMatch};

// --- hosts ---

#[test]
fn host_precedence() {
    let t = table(vec![
        server(exact_host("a.example.com"), vec![]),
        server(wildcard("example.com"), vec![]),
        server(exact_host("example.com"), vec![]),
        server(wildcard("b.example.com"), vec![]),
    ]);
    let (router, _) = Router::build(&t);
    let default = ServerId(4);
    let cases = [
        ("a.example.com", 0),
        ("A.Example.COM", 0),
        ("a.example.com:8080", 0),
        ("a.example.com.", 0),
        ("A.EXAMPLE.COM.:443", 0),
        ("x.example.com", 1),
        ("X_y-1.example.com", 1),
        ("example.com", 2),
        ("x.b.example.com", 3),
        ("a.b.c.example.com", 4),
        (".example.com", 4),
        ("x*.example.com", 4),
        ("other.org", 4),
        ("", 4),
        ("[::1]:8080", 4),
        ("[::1]", 4),
        ("127.0.0.1:80", 4),
        ("example.com..", 4),
    ];
    for (host, want) in cases {
        assert_eq!(router.find_server(host), ServerId(want), "host {host:?}");
    }
    assert_eq!(router.default_server(), default);
}

#[test]
fn host_longer_than_any_name_goes_to_default() {
    let long = format!("{}.example.com", "a".repeat(300));
    let (router, _) = Router::build(&table(vec![server(wildcard("example.com"), vec![])]));
    assert_eq!(router.find_server(&long), ServerId(1));
}

#[test]
fn duplicate_host_pattern_first_wins() {
    let t =
        table(vec![server(exact_host("dup.com"), vec![]), server(exact_host("DUP.com"), vec![])]);
    let (router, _) = Router::build(&t);
    assert_eq!(router.find_server("dup.com"), ServerId(0));
}

#[test]
fn empty_table_routes_to_default() {
    let (router, diagnostics) = Router::build(&RouteTable::default());
    assert!(diagnostics.is_empty());
    assert_eq!(router.find_server("anything"), ServerId(0));
    assert_eq!(router.find_location(ServerId(0), "/"), NoMatch);
    assert_eq!(router.find_location(ServerId(7), "/"), NoMatch);
    assert_eq!(router.rewrite(ServerId(7), 0, "/"), None);
}

// --- non-regex paths ---

#[test]
fn exact_matches_only_itself() {
    check_paths(
        vec![loc("/p", Exact)],
        &[("/p", L(0)), ("/p/", NoMatch), ("/P", NoMatch), ("/pq", NoMatch), ("/", NoMatch)],
    );
}

#[test]
fn prefix_is_element_wise() {
    for path_type in [Prefix, Impl] {
        check_paths(
            vec![loc("/p", path_type)],
            &[
                ("/p", L(0)),
                ("/p/", L(0)),
                ("/p/q/r", L(0)),
                ("/pq", NoMatch),
                ("/P", NoMatch),
                ("/", NoMatch),
            ],
        );
    }
}

#[test]
fn prefix_with_trailing_slash_auto_redirects() {
    check_paths(
        vec![loc("/", Prefix), loc("/p/", Prefix)],
        &[("/p/", L(1)), ("/p/x", L(1)), ("/p", AddSlash(1)), ("/pq", L(0)), ("/", L(0))],
    );
    check_paths(vec![loc("/a/b/", Prefix)], &[("/a/b", AddSlash(0)), ("/a", NoMatch)]);
}

#[test]
fn exact_with_trailing_slash_auto_redirects_like_nginx() {
    check_paths(vec![loc("/p/", Exact)], &[("/p/", L(0)), ("/p", AddSlash(0)), ("/p/x", NoMatch)]);
}

#[test]
fn exact_beats_auto_redirect_and_prefix() {
    check_paths(
        vec![loc("/p/", Prefix), loc("/p", Exact), loc("/", Prefix)],
        &[("/p", L(1)), ("/p/", L(0)), ("/x", L(2))],
    );
    check_paths(vec![loc("/p", Prefix), loc("/p", Exact)], &[("/p", L(1)), ("/p/", L(0))]);
}

#[test]
fn longest_prefix_wins() {
    let locations = vec![
        loc("/", Prefix),
        loc("/a", Prefix),
        loc("/a/b", Prefix),
        loc("/a/b/c/", Prefix),
        loc("/a/b/c/d", Exact),
    ];
    check_paths(
        locations,
        &[
            ("/", L(0)),
            ("/x", L(0)),
            ("/a", L(1)),
            ("/ab", L(0)),
            ("/a/x", L(1)),
            ("/a/b", L(2)),
            ("/a/b/", L(2)),
            ("/a/bc", L(1)),
            ("/a/b/c", AddSlash(3)),
            ("/a/b/c/", L(3)),
            ("/a/b/c/d", L(4)),
            ("/a/b/c/d/", L(3)),
            ("/a/b/c/d/e", L(3)),
        ],
    );
}

#[test]
fn duplicates_first_in_table_order_wins() {
    check_paths(vec![loc("/p", Prefix), loc("/p", Prefix)], &[("/p", L(0)), ("/p/x", L(0))]);
    check_paths(vec![loc("/p", Impl), loc("/p", Prefix)], &[("/p", L(0)), ("/p/x", L(0))]);
    check_paths(vec![loc("/p", Exact), loc("/p", Exact)], &[("/p", L(0))]);
}

#[test]
fn many_paths_do_not_interfere() {
    let locations: Vec<Location> = (0..500)
        .map(|i| loc(&format!("/svc{i}"), if i % 2 == 0 { Prefix } else { Exact }))
        .collect();
    let (router, id, _) = one_server(locations);
    assert_eq!(router.find_location(id, "/svc42/x"), L(42));
    assert_eq!(router.find_location(id, "/svc43"), L(43));
    assert_eq!(router.find_location(id, "/svc43/x"), NoMatch);
    assert_eq!(router.find_location(id, "/svc4"), L(4));
}

#[test]
fn default_server_routes_its_locations() {
    let mut t = table(vec![server(exact_host("h"), vec![loc("/", Prefix)])]);
    t.default_server = server(HostPattern::CatchAll, vec![loc("/", Prefix), loc("/x", Exact)]);
    let (router, _) = Router::build(&t);
    let id = router.find_server("unknown");
    assert_eq!(id, ServerId(1));
    assert_eq!(router.find_location(id, "/x"), L(1));
    assert_eq!(router.find_location(id, "/y"), L(0));
}

mod props;
mod regex_mode;
