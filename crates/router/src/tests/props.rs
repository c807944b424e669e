//! Property tests (proptest, bounded case counts): URL normalization, rewrite-target expansion,
//! host precedence, and path precedence in both modes checked against small reference models
//! written from the module docs (plain.rs, regex_mode.rs), not from the code.

use std::borrow::Cow;

use proptest::prelude::*;

use super::*;
use crate::normalize::{normalize, NormalizeError};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

fn is_prefix_type(path_type: PathType) -> bool {
    matches!(path_type, Prefix | Impl)
}

// --- normalization ---

/// Raw path pieces: separators, dot segments, escapes (good, bad, NUL, of `/` and `.`), UTF-8.
const PIECES: &[&str] = &[
    "/", "/", "/", ".", "..", "a", "B", "é", "~", " ", "?", "%2F", "%2f", "%2E", "%2e", "%25",
    "%41", "%C3", "%A9", "%FF", "%20", "%", "%0", "%00", "%zz", "x.y", "%252F", "\0",
];

fn raw_path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..14)
        .prop_map(|p| format!("/{}", p.concat()))
}

/// Pieces of a path without any `%`, for the escaping equivalence.
const PLAIN_PIECES: &[&str] =
    &["/", "/", ".", "..", "a", "B", "é", "x.y", " ", "?", "#", "\u{1F600}", "\0", ":"];

fn plain_path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PLAIN_PIECES), 0..14)
        .prop_map(|p| format!("/{}", p.concat()))
}

/// `path` with the characters picked by `mask` written as `%XX` escapes of their UTF-8 bytes;
/// the leading `/` stays (a request-target starts with a literal one).
fn percent_encode_some(path: &str, mask: &[bool], lower: bool) -> String {
    let mut out = String::new();
    for (i, c) in path.chars().enumerate() {
        if i > 0 && mask.get(i % mask.len().max(1)).copied().unwrap_or(false) {
            for b in c.to_string().bytes() {
                out.push_str(&if lower { format!("%{b:02x}") } else { format!("%{b:02X}") });
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The output contract of the module doc; `Err` names the broken rule.
fn well_formed(out: &str) -> Result<(), String> {
    if !out.starts_with('/') {
        return Err("does not start with '/'".into());
    }
    if out.contains("//") {
        return Err("contains '//'".into());
    }
    if out.split('/').any(|s| s == "." || s == "..") {
        return Err("contains a dot segment".into());
    }
    if out.contains('\0') {
        return Err("contains NUL".into());
    }
    for (i, _) in out.match_indices('%') {
        let byte = out.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        let upper =
            out.get(i + 1..i + 3).is_some_and(|h| !h.bytes().any(|b| b.is_ascii_lowercase()));
        if !(upper && byte.is_some_and(|b| b == b'%' || b >= 0x80)) {
            return Err(format!("'%' at {i} does not start a kept escape"));
        }
    }
    Ok(())
}

const DOT_SEGMENTS: &[&str] = &["a", "b", ".", "..", ""];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn normalize_never_panics_on_any_text(path in any::<String>()) {
        let _ = normalize(&path);
        let _ = normalize(&format!("/{path}"));
    }

    #[test]
    fn normalized_paths_are_well_formed_and_idempotent(path in raw_path()) {
        if let Ok(once) = normalize(&path) {
            prop_assert_eq!(well_formed(&once), Ok(()), "{:?} → {:?}", path, once);
            let twice = normalize(&once);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_ref()), "not a fixed point: {:?}", path);
        }
        if let Ok(Cow::Borrowed(s)) = normalize(&path) {
            prop_assert_eq!(s, path.as_str(), "borrowed output must be the input");
        }
    }

    /// A decoded byte takes part like a literal one: escaping any characters of a path that has
    /// no `%` changes nothing, whether the escape is of `/`, `.`, a letter or a UTF-8 byte.
    #[test]
    fn escaping_characters_does_not_change_the_result(
        path in plain_path(),
        mask in prop::collection::vec(any::<bool>(), 1..8),
        lower in any::<bool>(),
    ) {
        let encoded = percent_encode_some(&path, &mask, lower);
        let (got, want) = (normalize(&encoded), normalize(&path));
        prop_assert_eq!(got.as_deref(), want.as_deref(), "{:?}", encoded);
    }

    /// `..` never climbs above the root (an error), and a path below `/base/` stays below it
    /// exactly when its own `..` never climb out: a depth counter decides both.
    #[test]
    fn dot_dot_never_escapes_the_root(
        segments in prop::collection::vec(prop::sample::select(DOT_SEGMENTS), 0..10),
        base in any::<bool>(),
    ) {
        let rest = segments.join("/");
        let path = if base { format!("/base/{rest}") } else { format!("/{rest}") };
        let mut depth: i32 = i32::from(base);
        let mut lowest = depth;
        for segment in &segments {
            match *segment {
                "" | "." => {}
                ".." => depth -= 1,
                _ => depth += 1,
            }
            lowest = lowest.min(depth);
        }
        let got = normalize(&path);
        if lowest < 0 {
            prop_assert_eq!(got, Err(NormalizeError::AboveRoot), "{:?}", path);
        } else {
            let out = got.map_err(|e| TestCaseError::fail(format!("{path:?}: {e}")))?;
            let kept = out.split('/').filter(|s| !s.is_empty()).count();
            prop_assert_eq!(kept as i32, depth, "{:?} → {:?}", path, out);
            if base {
                prop_assert_eq!(out.starts_with("/base/"), lowest >= 1, "{:?} → {:?}", path, out);
            }
        }
    }
}

// --- rewrite-target ---

fn rewrite_router(path: &str, target: &str) -> (Router, Vec<Diagnostic>) {
    Router::build(&table(vec![server(exact_host("h"), vec![rewrite_loc(path, target)])]))
}

/// A template piece: a literal without `$`, or `$n`.
#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Group(usize),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof!["[a-z0-9/._~-]{1,4}".prop_map(Piece::Literal), (1usize..=9).prop_map(Piece::Group),]
}

proptest! {
    #![proptest_config(config(256))]

    /// `/p(/|$)(.*)` → `/$2` strips the prefix, matching it case-insensitively.
    #[test]
    fn rewrite_strips_a_case_insensitive_prefix(
        prefix in "[a-z]{1,8}",
        upper in prop::collection::vec(any::<bool>(), 8),
        rest in "[a-zA-Z0-9._~/-]{0,20}",
        slash in any::<bool>(),
    ) {
        let (router, diagnostics) = rewrite_router(&format!("/{prefix}(/|$)(.*)"), "/$2");
        prop_assert!(diagnostics.is_empty(), "{:?}", diagnostics);
        let written: String = prefix
            .chars()
            .zip(&upper)
            .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
            .collect();
        let (request, want) = if slash || !rest.is_empty() {
            (format!("/{written}/{rest}"), format!("/{rest}"))
        } else {
            (format!("/{written}"), "/".to_string())
        };
        prop_assert_eq!(router.rewrite(ServerId(0), 0, &request), Some(want), "{}", request);
    }

    /// Expansion against a model: `$1..$3` are the captures of `/(x+)(y*)(z)?`, `$4..$9` and a
    /// group that did not take part are empty, literals (digits after `$n` included) are kept.
    #[test]
    fn rewrite_expands_groups_like_the_model(
        pieces in prop::collection::vec(piece(), 0..8),
        (xs, ys, z) in (1usize..4, 0usize..4, any::<bool>()),
    ) {
        let target: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.clone(),
                Piece::Group(n) => format!("${n}"),
            })
            .collect();
        let groups = ["x".repeat(xs), "y".repeat(ys), if z { "z".into() } else { String::new() }];
        let want: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(s) => s.as_str(),
                Piece::Group(n) => groups.get(n - 1).map_or("", String::as_str),
            })
            .collect();
        let (router, diagnostics) = rewrite_router("/(x+)(y*)(z)?", &target);
        prop_assert!(diagnostics.is_empty(), "{:?}", diagnostics);
        let request = format!("/{}", groups.concat());
        let got = router.rewrite_target(ServerId(0), 0, &request);
        prop_assert_eq!(got, Some(Rewrite::Uri(want)), "{} on {}", target, request);
    }

    /// Whatever a capture holds, the result is safe on a request line (no byte ≤ 0x20, no `#`,
    /// `?`, DEL or non-ASCII) and percent-decodes back to the capture.
    #[test]
    fn rewrite_output_is_escaped_and_decodes_back(captured in "[^%\n]{0,24}") {
        let (router, _) = rewrite_router("/f/(.*)", "/$1");
        let got = router.rewrite(ServerId(0), 0, &format!("/f/{captured}"));
        let got = got.ok_or_else(|| TestCaseError::fail("no rewrite"))?;
        prop_assert!(
            got.bytes().all(|b| (0x21..0x7F).contains(&b) && b != b'#' && b != b'?'),
            "{got:?}"
        );
        prop_assert_eq!(percent_decode(&got), format!("/{captured}").into_bytes());
    }

    /// `http(s)://` targets redirect, every other target rewrites; arbitrary rule paths, targets
    /// and requests never panic.
    #[test]
    fn rewrite_never_panics_and_redirects_only_absolute_urls(
        path in any::<String>(),
        target in any::<String>(),
        request in any::<String>(),
    ) {
        let (router, _) = rewrite_router(&path, &target);
        if let Some(rewrite) = router.rewrite_target(ServerId(0), 0, &request) {
            let absolute = target.starts_with("http://") || target.starts_with("https://");
            prop_assert_eq!(matches!(rewrite, Rewrite::Redirect(_)), absolute, "{}", target);
        }
        let _ = router.find_location(ServerId(0), &request);
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

// --- hosts ---

/// `host` as a client may write it: any ASCII case, one trailing dot, a port.
fn spelled(host: &str, upper: &[bool], dot: bool, port: Option<u16>) -> String {
    let mut out: String = host
        .chars()
        .enumerate()
        .map(|(i, c)| if upper[i % upper.len()] { c.to_ascii_uppercase() } else { c })
        .collect();
    if dot {
        out.push('.');
    }
    if let Some(port) = port {
        out.push_str(&format!(":{port}"));
    }
    out
}

proptest! {
    #![proptest_config(config(256))]

    /// Exact beats the one-label wildcard in either table order; the wildcard takes exactly one
    /// label; case, one trailing dot and the port never matter.
    #[test]
    fn exact_host_beats_wildcard(
        label in "[a-z0-9_-]{1,10}",
        other in "[a-z0-9_-]{1,10}",
        suffix in "[a-z]{1,8}\\.[a-z]{2,4}",
        exact_first in any::<bool>(),
        upper in prop::collection::vec(any::<bool>(), 1..6),
        (dot, port) in (any::<bool>(), any::<Option<u16>>()),
    ) {
        let name = format!("{label}.{suffix}");
        let servers = vec![server(exact_host(&name), vec![]), server(wildcard(&suffix), vec![])];
        let (exact, wild) = if exact_first { (0, 1) } else { (1, 0) };
        let servers = if exact_first { servers } else { servers.into_iter().rev().collect() };
        let (router, _) = Router::build(&table(servers));
        let find = |host: &str| router.find_server(&spelled(host, &upper, dot, port)).0;
        prop_assert_eq!(find(&name), exact);
        let want_other = if other == label { exact } else { wild };
        prop_assert_eq!(find(&format!("{other}.{suffix}")), want_other);
        prop_assert_eq!(find(&format!("{other}.{name}")), 2, "two labels");
        prop_assert_eq!(find(&suffix), 2, "the bare suffix");
    }

    /// The wildcard label is PCRE `[\w-]+`: any other character sends the host to the default.
    #[test]
    fn wildcard_label_is_word_characters(label in "[a-zA-Z0-9_*é ~!+-]{0,6}") {
        let (router, _) = Router::build(&table(vec![server(wildcard("example.com"), vec![])]));
        let word = !label.is_empty()
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let want = if word { 0 } else { 1 };
        prop_assert_eq!(router.find_server(&format!("{label}.example.com")).0, want, "{:?}", label);
    }

    #[test]
    fn any_host_header_is_answered(host in any::<String>(), long in 0usize..300) {
        let servers = vec![server(exact_host("a.b"), vec![]), server(wildcard("b"), vec![])];
        let (router, _) = Router::build(&table(servers));
        prop_assert!(router.find_server(&host).0 <= 2);
        let longer = format!("{}{host}", "A".repeat(long));
        prop_assert!(router.find_server(&longer).0 <= 2);
    }
}

// --- paths, outside regex mode ---

fn segment_path(max: usize) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(&["a", "b", "ab", "A"][..]), 0..=max),
        any::<bool>(),
    )
        .prop_map(|(segments, slash)| {
            let path = format!("/{}", segments.join("/"));
            if slash && path != "/" {
                format!("{path}/")
            } else {
                path
            }
        })
}

fn plain_spec() -> impl Strategy<Value = Spec> {
    (segment_path(3), path_type(), Just(false))
}

fn path_type() -> impl Strategy<Value = PathType> {
    prop::sample::select(vec![Exact, Prefix, Impl])
}

/// `(path, type, use-regex)`.
type Spec = (String, PathType, bool);

/// Locations plus up to three more that take the path of one in the list with a type of their
/// own, all shuffled: same-path ties, Exact/Prefix twins and first-wins cases become common.
fn with_twins(locations: impl Strategy<Value = Vec<Spec>>) -> impl Strategy<Value = Vec<Spec>> {
    let twins =
        prop::collection::vec((any::<prop::sample::Index>(), path_type(), any::<bool>()), 0..4);
    (locations, twins).prop_flat_map(|(mut locations, twins)| {
        for (pick, path_type, use_regex) in twins {
            let path = pick.get(&locations).0.clone();
            locations.push((path, path_type, use_regex));
        }
        Just(locations).prop_shuffle()
    })
}

/// The rules of plain.rs's module doc, evaluated directly: an exact location (an `Exact p`, or
/// the twin `p` of a `Prefix p`; Exact ones first), else the 301 when `path/` names an exact
/// location, else the longest prefix `p/` (first in table order on a tie).
fn plain_model(locations: &[Spec], path: &str) -> PathMatch {
    let exact_order = || {
        let exact = locations.iter().enumerate().filter(|(_, (_, t, _))| *t == Exact);
        exact.chain(locations.iter().enumerate().filter(|(_, (_, t, _))| is_prefix_type(*t)))
    };
    if let Some((i, _)) = exact_order().find(|(_, (p, ..))| p == path) {
        return L(i);
    }
    if let Some((i, _)) = exact_order().find(|(_, (p, ..))| *p == format!("{path}/")) {
        return AddSlash(i);
    }
    let mut best: Option<(usize, usize)> = None;
    for (i, (p, t, _)) in locations.iter().enumerate() {
        let key = if p.ends_with('/') { p.clone() } else { format!("{p}/") };
        if is_prefix_type(*t)
            && path.starts_with(&key)
            && best.is_none_or(|(_, len)| key.len() > len)
        {
            best = Some((i, key.len()));
        }
    }
    best.map_or(NoMatch, |(i, _)| L(i))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn plain_paths_follow_nginx_precedence(
        locations in with_twins(prop::collection::vec(plain_spec(), 1..6)),
        requests in prop::collection::vec(segment_path(4), 1..8),
    ) {
        let built: Vec<Location> = locations.iter().map(|(p, t, _)| loc(p, *t)).collect();
        let (router, id, _) = one_server(built);
        for request in &requests {
            prop_assert_eq!(
                router.find_location(id, request),
                plain_model(&locations, request),
                "{:?} against {:?}", request, locations
            );
        }
    }

    /// A Prefix `/foo` takes `/foo` and `/foo/…`, never `/foobar`.
    #[test]
    fn prefix_ends_on_a_slash_boundary(
        name in "[a-z]{1,6}",
        tail in "[a-z0-9._~-]{1,6}",
        below in "(/[a-z0-9._~-]{0,4}){1,3}",
    ) {
        let (router, id, _) = one_server(vec![loc(&format!("/{name}"), Prefix)]);
        prop_assert_eq!(router.find_location(id, &format!("/{name}")), L(0));
        prop_assert_eq!(router.find_location(id, &format!("/{name}{below}")), L(0));
        prop_assert_eq!(router.find_location(id, &format!("/{name}{tail}")), NoMatch);
    }
}

// --- paths, regex mode ---

/// `~* "^<source>"` for a source of `a`, `b`, `/` and `.` (any one byte).
fn caret_matches(source: &str, path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    path.len() >= source.len() && source.bytes().zip(path.bytes()).all(|(s, p)| s == b'.' || s == p)
}

/// regex_mode.rs's doc: `~* "^<source>"` tried in order (length desc, bytes desc, table order);
/// a non-regex Prefix `/p` is `^/p/` then `^/p` (only `^/p/` when an `Exact /p` exists).
fn regex_model(locations: &[Spec], path: &str) -> PathMatch {
    let mut order: Vec<usize> = (0..locations.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&locations[a].0, &locations[b].0);
        b.len().cmp(&a.len()).then_with(|| b.cmp(a))
    });
    let exact = |p: &str| locations.iter().any(|(q, t, _)| *t == Exact && q == p);
    for i in order {
        let (p, t, use_regex) = &locations[i];
        let split = is_prefix_type(*t) && p != "/" && !use_regex && !p.ends_with('/');
        let sources = match (split, exact(p)) {
            (true, true) => vec![format!("{p}/")],
            (true, false) => vec![format!("{p}/"), p.clone()],
            (false, _) => vec![p.clone()],
        };
        if sources.iter().any(|s| caret_matches(s, path)) {
            return L(i);
        }
    }
    NoMatch
}

/// Sources over `a`, `b`, `/` and `.`, often the same few so that twins and ties occur.
fn regex_path() -> impl Strategy<Value = String> {
    let common = ["/", "/a", "/a/", "/ab", "/a.", "/.b", "/a/b"].map(String::from);
    prop_oneof![prop::sample::select(common.to_vec()), "/[ab./]{0,4}"]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn regex_mode_is_first_match_in_emitted_order(
        locations in with_twins(prop::collection::vec(
            (regex_path(), path_type(), any::<bool>()),
            1..6,
        )),
        requests in prop::collection::vec("/[abAB./]{0,6}", 1..8),
    ) {
        let built: Vec<Location> = locations
            .iter()
            .map(|(p, t, r)| if *r { regex_loc(p, *t) } else { loc(p, *t) })
            .collect();
        let mut server = server(exact_host("h"), built);
        server.regex_mode = true;
        let (router, diagnostics) = Router::build(&table(vec![server]));
        prop_assert!(diagnostics.is_empty(), "{:?}", diagnostics);
        for request in &requests {
            prop_assert_eq!(
                router.find_location(ServerId(0), request),
                regex_model(&locations, request),
                "{:?} against {:?}", request, locations
            );
        }
    }

    /// Arbitrary path text on a regex host never panics: it compiles or is reported.
    #[test]
    fn arbitrary_regex_sources_compile_or_are_reported(
        paths in prop::collection::vec("[a-z/.*+?()\\[\\]{}|^$\\\\0-9]{0,12}", 1..5),
        request in any::<String>(),
    ) {
        let built: Vec<Location> = paths.iter().map(|p| regex_loc(p, Impl)).collect();
        let (router, id, diagnostics) = one_server(built);
        prop_assert!(diagnostics.len() <= paths.len());
        match router.find_location(id, &request) {
            L(i) | AddSlash(i) => prop_assert!(i < paths.len()),
            NoMatch => {}
        }
    }
}

// --- regex mode: one automaton against trying each regex in turn ---

/// Regex sources mixing anchored and unanchored alternatives (`/a|b` is `(^/a)|(b)` in nginx),
/// classes, repetition, optional groups, `$` and escapes, so that every shape of pattern the
/// one-pass matcher accepts or falls back on occurs.
fn any_regex_source() -> impl Strategy<Value = String> {
    let pieces = ["/", "a", "B", ".", ".*", "[ab]", "(a|b)", "(/a)?", "+", "$", "\\.", "|", "b"];
    prop::collection::vec(prop::sample::select(pieces.to_vec()), 0..6)
        .prop_map(|p| format!("/{}", p.concat()))
}

proptest! {
    #![proptest_config(config(512))]

    /// The proxy's matcher (one automaton when every regex is anchored) finds the same location
    /// as the regexes tried one after the other, nginx's way.
    #[test]
    fn one_pass_regex_matching_agrees_with_trying_each_in_turn(
        locations in prop::collection::vec(
            (prop_oneof![regex_path(), any_regex_source()], path_type(), any::<bool>()),
            1..12,
        ),
        requests in prop::collection::vec("/[abAB./x]{0,8}", 1..12),
    ) {
        let built: Vec<Location> = locations
            .iter()
            .map(|(p, t, r)| if *r { regex_loc(p, *t) } else { loc(p, *t) })
            .collect();
        let (set, _) = crate::path::RegexMatcher::build_with(&built, &mut Vec::new(), true);
        let (each, _) = crate::path::RegexMatcher::build_with(&built, &mut Vec::new(), false);
        for request in &requests {
            prop_assert_eq!(set.find(request), each.find(request), "{:?} in {:?}", request, locations);
        }
    }
}
