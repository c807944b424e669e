use super::*;

fn problem(line: usize, reason: &'static str) -> LineProblem {
    LineProblem { line, reason }
}

fn users(parsed: &Parsed) -> Vec<(&str, &str)> {
    parsed.users.iter().map(|(u, h)| (u.as_str(), h.as_str())).collect()
}

#[test]
fn htpasswd_output_parses() {
    let parsed = parse_htpasswd(b"alice:$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0\n");
    assert_eq!(users(&parsed), [("alice", "$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0")]);
    assert!(parsed.problems.is_empty());
}

#[test]
fn comments_blank_lines_crlf_and_trailing_comment_field() {
    let content = b"# managed by hand\r\n\r\n   \nalice:{PLAIN}a:Alice Liddell\r\nbob:{SHA}x=\r\ncarol:{PLAIN}c";
    let parsed = parse_htpasswd(content);
    assert_eq!(users(&parsed), [("alice", "{PLAIN}a"), ("bob", "{SHA}x="), ("carol", "{PLAIN}c")]);
    assert!(parsed.problems.is_empty());
}

#[test]
fn first_entry_per_user_wins_and_names_are_byte_exact() {
    let parsed = parse_htpasswd(b"foo:first\nfoo:second\nFoo:third\n foo:fourth\n");
    assert_eq!(users(&parsed), [("foo", "first"), ("Foo", "third"), (" foo", "fourth")]);
}

#[test]
fn empty_hash_is_kept_so_the_user_is_refused() {
    // ingress-nginx e2e: `foo:` answers 401; a later `foo:` line must not take over.
    let parsed = parse_htpasswd(b"foo:\nfoo:{PLAIN}x\n");
    assert_eq!(users(&parsed), [("foo", "")]);
}

#[test]
fn bad_lines_are_reported_and_skipped() {
    let content = b"nocolon\n:emptyuser\n\xff\xfe:binary\nok:{PLAIN}ok\n";
    let parsed = parse_htpasswd(content);
    assert_eq!(users(&parsed), [("ok", "{PLAIN}ok")]);
    assert_eq!(
        parsed.problems,
        [
            problem(1, "no ':' between user and hash"),
            problem(2, "empty user name"),
            problem(3, "not valid UTF-8"),
        ]
    );
}

#[test]
fn binary_garbage_yields_problems_not_panics() {
    let garbage: Vec<u8> =
        (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let parsed = parse_htpasswd(&garbage);
    assert!(parsed.users.len() + parsed.problems.len() > 0);
    assert!(parse_htpasswd(b"").users.is_empty());
    assert!(parse_htpasswd(b"\0\0\0").problems.len() == 1);
}

#[test]
fn size_cap() {
    let mut big = b"alice:{PLAIN}a\n".repeat(MAX_HTPASSWD_BYTES / 15);
    big.truncate(MAX_HTPASSWD_BYTES);
    assert_eq!(parse_htpasswd(&big).users.len(), 1, "exactly 4 MiB is parsed");
    let huge = vec![b'a'; 5 * 1024 * 1024];
    let parsed = parse_htpasswd(&huge);
    assert!(parsed.users.is_empty());
    assert_eq!(parsed.problems, [problem(0, "too large (over 4 MiB)")]);
}
