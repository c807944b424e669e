//! Property tests (proptest, bounded case counts) over the public API: arbitrary input never
//! panics, generated files and headers round-trip, and hashes generated for each scheme we can
//! produce (`{PLAIN}`, `{SHA}`, `{SSHA}`, bcrypt at cost 4, SHA-crypt at 1000 rounds) verify
//! through a parsed htpasswd line. The slow schemes run few cases.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use proptest::prelude::*;
use sha1::{Digest, Sha1};

use crate::{
    classify, parse_basic_authorization, parse_htpasswd, verify, HashKind, LineProblem, Parsed,
    Strength,
};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// The hash of `user` in a parsed file, as the proxy looks it up.
fn hash_of<'a>(parsed: &'a Parsed, user: &str) -> Option<&'a str> {
    parsed.users.iter().find(|(u, _)| u == user).map(|(_, h)| h.as_str())
}

/// A password that differs from `password` (bcrypt ignores bytes past 72: change the first).
fn wrong(password: &[u8]) -> Vec<u8> {
    let mut wrong = password.to_vec();
    match wrong.first_mut() {
        Some(b) => *b = if *b == b'x' { b'y' } else { b'x' },
        None => wrong.push(b'x'),
    }
    wrong
}

/// Puts `hash` on a line of a small htpasswd file for `user`, parses it, checks the right
/// password verifies and a wrong one does not, and that `kind` is what `classify` says.
fn check_line(
    user: &str,
    hash: &str,
    password: &[u8],
    kind: HashKind,
) -> Result<(), TestCaseError> {
    let content = format!("# generated\nother:{{PLAIN}}x\n{user}:{hash}:comment\n");
    let parsed = parse_htpasswd(content.as_bytes());
    prop_assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let stored = hash_of(&parsed, user).ok_or_else(|| TestCaseError::fail("user lost"))?;
    prop_assert_eq!(stored, hash);
    prop_assert_eq!(classify(stored), kind);
    prop_assert_eq!(verify(stored, password), Ok(true), "{}", stored);
    prop_assert_eq!(verify(stored, &wrong(password)), Ok(false), "{}", stored);
    Ok(())
}

/// Hash-shaped strings: a scheme prefix and a body from the crypt64 alphabet plus a few
/// separators. Never a bcrypt cost above 5 nor explicit rounds, so no case is slow.
fn hash_like() -> impl Strategy<Value = String> {
    const PREFIXES: &[&str] = &[
        "",
        "$apr1$",
        "$1$",
        "$2y$04$",
        "$2a$05$",
        "$2x$04$",
        "$5$",
        "$6$",
        "$5$rounds=1000$",
        "{SHA}",
        "{SSHA}",
        "{PLAIN}",
        "{MD5}",
        "$argon2id$",
        "_",
        "$",
    ];
    (prop::sample::select(PREFIXES), "[./0-9A-Za-z$=+]{0,90}")
        .prop_map(|(prefix, body)| format!("{prefix}{body}"))
}

fn user() -> impl Strategy<Value = String> {
    // Not a comment, not blank, no ':' and no line break.
    "[^#:\r\n][^:\r\n]{0,11}".prop_filter("blank", |u| !u.chars().all(|c| c == ' ' || c == '\t'))
}

/// Often one of a few names, so that later lines for a user already seen are common.
fn repeated_user() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["alice".to_string(), "Bob".into(), "ça va".into()]),
        user()
    ]
}

/// Bytes made of line fragments (separators, comments, CR, blank space, invalid UTF-8) and
/// arbitrary bytes, so that every kind of line occurs.
fn file_bytes() -> impl Strategy<Value = Vec<u8>> {
    const FRAGMENTS: &[&[u8]] =
        &[b":", b"a", b"#", b"\r", b"\n", b"\n", b" ", b"\t", b"\xff", b"b:c", b"a:x:y", b"\0"];
    let fragment = prop_oneof![
        prop::sample::select(FRAGMENTS).prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(fragment, 0..80).prop_map(|fragments| fragments.concat())
}

fn fail(error: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{error:?}"))
}

fn nul_free(bytes: Vec<u8>) -> Vec<u8> {
    bytes.into_iter().map(|b| if b == 0 { 1 } else { b }).collect()
}

proptest! {
    #![proptest_config(config(256))]

    /// Any bytes: no panic, users well formed and unique, problems in line order.
    #[test]
    fn any_file_parses_without_panicking(content in file_bytes()) {
        let parsed = parse_htpasswd(&content);
        let lines = content.split(|&b| b == b'\n').count();
        let mut seen = std::collections::HashSet::new();
        for (user, hash) in &parsed.users {
            prop_assert!(!user.is_empty() && !user.contains(':') && !user.contains('\n'));
            prop_assert!(!hash.contains(':') && !hash.contains('\n'));
            let written = format!("{user}:{hash}").into_bytes();
            let from_a_line = content.split(|&b| b == b'\n').any(|l| l.starts_with(&written));
            prop_assert!(from_a_line, "{:?}:{:?} is on no line", user, hash);
            prop_assert!(seen.insert(user), "user {:?} twice", user);
        }
        let numbers: Vec<usize> = parsed.problems.iter().map(|p| p.line).collect();
        prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{:?}", numbers);
        prop_assert!(numbers.iter().all(|&n| (1..=lines).contains(&n)), "{:?}", numbers);
    }

    /// A generated file (comments, blank lines, LF or CRLF, optional comment fields, repeated
    /// users, lines without a colon or a user) parses to the first entry per user, in order,
    /// and one problem per bad line, with its number.
    #[test]
    fn generated_files_round_trip(
        entries in prop::collection::vec(
            (repeated_user(), "[^:\r\n]{0,20}", prop::option::of("[^\r\n]{0,10}"), 0usize..5),
            0..12,
        ),
        crlf in any::<bool>(),
    ) {
        const FILLERS: [(&str, Option<&str>); 5] = [
            ("", None),
            ("# a comment", None),
            (" \t", None),
            ("no colon here", Some("no ':' between user and hash")),
            (":no user", Some("empty user name")),
        ];
        let end = if crlf { "\r\n" } else { "\n" };
        let mut content = String::new();
        let mut line = 0;
        let mut want: Vec<(String, String)> = Vec::new();
        let mut problems = Vec::new();
        for (user, hash, comment, filler) in &entries {
            let (text, problem) = FILLERS[*filler];
            if !text.is_empty() {
                line += 1;
                content.push_str(&format!("{text}{end}"));
                problems.extend(problem.map(|reason| LineProblem { line, reason }));
            }
            line += 1;
            content.push_str(&format!("{user}:{hash}"));
            if let Some(comment) = comment {
                content.push_str(&format!(":{comment}"));
            }
            content.push_str(end);
            if !want.iter().any(|(u, _)| u == user) {
                want.push((user.clone(), hash.clone()));
            }
        }
        let parsed = parse_htpasswd(content.as_bytes());
        prop_assert_eq!(parsed.problems, problems, "{:?}", content);
        prop_assert_eq!(parsed.users, want);
    }

    /// `classify` never panics and agrees with `verify`: an invalid kind is the error `verify`
    /// returns for every password, a valid one is never `UnknownScheme` or `Empty`.
    #[test]
    fn classify_agrees_with_verify(
        hash in prop_oneof![hash_like(), any::<String>()],
        password in prop::collection::vec(any::<u8>(), 0..24),
    ) {
        let result = verify(&hash, &password);
        match classify(&hash) {
            HashKind::Invalid(error) => {
                prop_assert_eq!(result, Err(error));
                prop_assert_eq!(classify(&hash).strength(), Strength::Invalid);
            }
            kind => {
                prop_assert!(kind.strength() != Strength::Invalid);
                let checked = matches!(result, Ok(_) | Err(crate::HashError::Malformed { .. }));
                prop_assert!(checked, "{:?}: {:?}", hash, result);
            }
        }
    }

    /// Any header bytes: no panic; a user, when found, is non-empty and has no `:`.
    #[test]
    fn any_authorization_header_is_safe(header in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut with_scheme = b"Basic ".to_vec();
        with_scheme.extend_from_slice(&header);
        for header in [&header, &with_scheme] {
            if let Some((user, _)) = parse_basic_authorization(header) {
                prop_assert!(!user.is_empty() && !user.contains(':'));
            }
        }
    }

    /// `Basic base64(user:password)`, in any case, spacing and padding, gives both back.
    #[test]
    fn basic_credentials_round_trip(
        user in "[^:]{1,12}",
        password in prop::collection::vec(any::<u8>(), 0..24),
        upper in any::<[bool; 5]>(),
        (spaces, trailing, padded) in (1usize..4, "[ \t]{0,3}", any::<bool>()),
    ) {
        let scheme: String = "basic"
            .chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect();
        let mut credentials = format!("{user}:").into_bytes();
        credentials.extend_from_slice(&password);
        let engine = if padded { &STANDARD } else { &STANDARD_NO_PAD };
        let encoded = engine.encode(&credentials);
        let header = format!("{scheme}{}{encoded}{trailing}", " ".repeat(spaces));
        prop_assert_eq!(parse_basic_authorization(header.as_bytes()), Some((user, password)));
    }

    /// `{PLAIN}`, `{SHA}` and `{SSHA}` hashes made here verify through a parsed line.
    #[test]
    fn rfc2307_hashes_verify(
        user in user(),
        plain in "[^:\r\n\0]{0,16}",
        password in prop::collection::vec(any::<u8>(), 0..32).prop_map(nul_free),
        salt in prop::collection::vec(any::<u8>(), 0..12),
    ) {
        check_line(&user, &format!("{{PLAIN}}{plain}"), plain.as_bytes(), HashKind::Plain)?;
        let sha = format!("{{SHA}}{}", STANDARD.encode(Sha1::digest(&password)));
        check_line(&user, &sha, &password, HashKind::Sha1)?;
        let digest = Sha1::new().chain_update(&password).chain_update(&salt).finalize();
        let mut payload = digest.to_vec();
        payload.extend_from_slice(&salt);
        let ssha = format!("{{SSHA}}{}", STANDARD.encode(&payload));
        check_line(&user, &ssha, &password, HashKind::Ssha)?;
        // Only the bytes before a NUL count, as in nginx.
        let mut with_nul = password.clone();
        with_nul.extend_from_slice(b"\0ignored");
        prop_assert_eq!(verify(&sha, &with_nul), Ok(true));
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// bcrypt at cost 4 with a random salt: `$2a$`, `$2b$` and `$2y$` all verify (ASCII).
    #[test]
    fn bcrypt_hashes_verify(
        user in user(),
        password in "[ -~]{0,40}",
        salt in any::<[u8; 16]>(),
    ) {
        let parts = bcrypt::hash_with_salt(password.as_bytes(), 4, salt)
            .map_err(fail)?;
        let hash = parts.format_for_version(bcrypt::Version::TwoY);
        check_line(&user, &hash, password.as_bytes(), HashKind::Bcrypt)?;
        for prefix in ["$2a$", "$2b$"] {
            let variant = format!("{prefix}{}", &hash[4..]);
            prop_assert_eq!(verify(&variant, password.as_bytes()), Ok(true), "{}", variant);
        }
    }

    /// SHA-crypt at 1000 rounds with a random salt of up to 16 characters; `rounds=` below
    /// 1000 is raised to 1000, so writing a smaller number still verifies.
    #[test]
    fn sha_crypt_hashes_verify(
        user in user(),
        password in prop::collection::vec(any::<u8>(), 0..32).prop_map(nul_free),
        salt in "[./0-9A-Za-z]{0,16}",
        sha512 in any::<bool>(),
        written in 0u32..1000,
    ) {
        let (id, digest, kind) = if sha512 {
            let params = sha_crypt::Sha512Params::new(1000).map_err(fail)?;
            let digest = sha_crypt::sha512_crypt_b64(&password, salt.as_bytes(), &params);
            (6, digest, HashKind::Sha512Crypt)
        } else {
            let params = sha_crypt::Sha256Params::new(1000).map_err(fail)?;
            let digest = sha_crypt::sha256_crypt_b64(&password, salt.as_bytes(), &params);
            (5, digest, HashKind::Sha256Crypt)
        };
        let digest = digest.map_err(fail)?;
        let hash = format!("${id}$rounds=1000${salt}${digest}");
        check_line(&user, &hash, &password, kind)?;
        let raised = format!("${id}$rounds={written}${salt}${digest}");
        prop_assert_eq!(verify(&raised, &password), Ok(true), "{}", raised);
    }
}
