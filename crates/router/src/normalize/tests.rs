//! Table-driven cases and a generated idempotence check.

use super::*;

#[test]
fn normalizes_like_nginx_uri() {
    let cases = [
        ("/", "/"),
        ("", "/"),
        ("/admin", "/admin"),
        ("//admin", "/admin"),
        ("/./admin", "/admin"),
        ("/public/../admin", "/admin"),
        ("/%61dmin", "/admin"),
        ("/a//b///c", "/a/b/c"),
        ("/a/", "/a/"),
        ("/a//", "/a/"),
        ("/a/.", "/a/"),
        ("/a/./", "/a/"),
        ("/a/b/..", "/a/"),
        ("/a/..", "/"),
        ("/a/../", "/"),
        ("/a/b/../../c", "/c"),
        ("/.../a", "/.../a"),
        ("/.a/b.", "/.a/b."),
        ("/a/..b", "/a/..b"),
        ("/a/b/%2e%2E/", "/a/"),
    ];
    for (input, want) in cases {
        assert_eq!(normalize(input).as_deref(), Ok(want), "{input:?}");
    }
}

#[test]
fn decodes_every_escape_once() {
    let cases = [
        ("/%7Euser", "/~user"),
        ("/a%2Fb", "/a/b"),
        ("/a%2f..%2fb", "/b"),
        ("/x/%2E%2E/y", "/y"),
        ("/x/.%2e/y", "/y"),
        ("/%2F%2Fadmin", "/admin"),
        ("/a%20b", "/a b"),
        ("/caf%C3%A9", "/café"),
        ("/caf%c3%a9", "/café"),
        ("/café", "/café"),
        ("/%3F", "/?"),
        ("/%23", "/#"),
        ("/%252F", "/%252F"),
        ("/%25", "/%25"),
        ("/100%25/x", "/100%25/x"),
        ("/%FF", "/%FF"),
        ("/%ff/%C3", "/%FF/%C3"),
        ("/%C3%28", "/%C3("),
    ];
    for (input, want) in cases {
        assert_eq!(normalize(input).as_deref(), Ok(want), "{input:?}");
    }
}

#[test]
fn rejects_what_nginx_answers_400() {
    let cases = [
        ("admin", NormalizeError::NotAbsolute),
        ("*", NormalizeError::NotAbsolute),
        ("/..", NormalizeError::AboveRoot),
        ("/../a", NormalizeError::AboveRoot),
        ("/a/../..", NormalizeError::AboveRoot),
        ("/%2e%2e", NormalizeError::AboveRoot),
        ("/a/..%2F..%2F", NormalizeError::AboveRoot),
        ("/%00", NormalizeError::Nul),
        ("/a\0b", NormalizeError::Nul),
        ("/%", NormalizeError::BadEscape),
        ("/%4", NormalizeError::BadEscape),
        ("/%zz", NormalizeError::BadEscape),
        ("/%%41", NormalizeError::BadEscape),
    ];
    for (input, want) in cases {
        assert_eq!(normalize(input), Err(want), "{input:?}");
    }
}

#[test]
fn already_normal_paths_are_borrowed() {
    for input in ["/", "/a", "/a/b/", "/a.b/.c/..d/", "/A~b-c_d", "/café"] {
        assert!(matches!(normalize(input), Ok(Cow::Borrowed(_))), "{input:?}");
    }
    for input in ["//a", "/a/./b", "/%41", "/a/.."] {
        assert!(matches!(normalize(input), Ok(Cow::Owned(_))), "{input:?}");
    }
}

/// xorshift64*: deterministic input generation without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const PIECES: &[&str] = &[
    "/", "/", "/", ".", "..", "a", "B", "é", "~", "-", "%2F", "%2f", "%2E", "%2e", "%25", "%41",
    "%C3", "%A9", "%FF", "%20", "%3F", "%", "%0", "%00", "x.y", "%252F",
];

fn generated(count: usize) -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|_| {
            let len = 1 + (rng.next() % 10) as usize;
            let mut s = String::from("/");
            for _ in 0..len {
                s.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
            }
            s
        })
        .collect()
}

#[test]
fn generated_inputs_are_idempotent_and_well_formed() {
    let mut ok = 0;
    for input in generated(2000) {
        let Ok(once) = normalize(&input) else { continue };
        ok += 1;
        let twice = normalize(&once);
        assert_eq!(twice.as_deref(), Ok(once.as_ref()), "not idempotent for {input:?}");
        assert!(once.starts_with('/'), "{input:?} → {once:?}");
        assert!(!once.contains("//"), "{input:?} → {once:?}");
        for segment in once.split('/') {
            assert!(segment != "." && segment != "..", "{input:?} → {once:?}");
        }
        // Every `%` starts a kept escape: `%25` or a non-UTF-8 byte.
        for (i, _) in once.match_indices('%') {
            let escape = &once[i + 1..i + 3];
            let byte = u8::from_str_radix(escape, 16).ok();
            assert!(byte == Some(b'%') || byte.is_some_and(|b| b >= 0x80), "{input:?} → {once:?}");
        }
    }
    assert!(ok > 500, "only {ok} generated inputs were valid");
}
