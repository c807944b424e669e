//! The head scanner, table-driven: what passes, what is refused with which answer, and that
//! the verdict does not depend on how the stream is split into reads.

use super::head::{HeadLimits, HeadScanner, Reject};

const LIMITS: HeadLimits = HeadLimits { line_max: 8192, head_max: 4 * 8192 };

/// Feeds `stream` in pieces of `chunk` bytes; the first refusal, if any.
fn scan(stream: &[u8], chunk: usize) -> Result<(), Reject> {
    let mut scanner = HeadScanner::new(LIMITS);
    for piece in stream.chunks(chunk.max(1)) {
        scanner.feed(piece).map_err(|(_, why)| why)?;
    }
    Ok(())
}

/// The verdict, checked to be the same for every read size.
fn verdict(stream: &[u8]) -> Result<(), Reject> {
    let whole = scan(stream, stream.len());
    for chunk in [1, 2, 3, 7, 64, 1000] {
        assert_eq!(
            scan(stream, chunk),
            whole,
            "chunk {chunk}: {:?}",
            String::from_utf8_lossy(stream)
        );
    }
    whole
}

fn long(n: usize) -> String {
    "a".repeat(n)
}

#[test]
fn ordinary_requests_pass() {
    let cases: &[&str] = &[
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\n",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET http://a.test/x HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
    ];
    for case in cases {
        assert_eq!(verdict(case.as_bytes()), Ok(()), "{case:?}");
    }
}

#[test]
fn limits_follow_nginx_buffers() {
    let line = |n| format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", long(n));
    assert_eq!(verdict(line(8000).as_bytes()), Ok(()));
    assert_eq!(verdict(line(8192).as_bytes()), Err(Reject::UriTooLong));
    assert_eq!(verdict(line(1 << 20).as_bytes()), Err(Reject::UriTooLong));
    let header = |n| format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", long(n));
    assert_eq!(verdict(header(8000).as_bytes()), Ok(()));
    assert_eq!(verdict(header(8190).as_bytes()), Err(Reject::HeaderTooLarge));
    let many = |n| {
        let fields: String = (0..n).map(|i| format!("X-{i}: {}\r\n", long(7000))).collect();
        format!("GET / HTTP/1.1\r\nHost: a\r\n{fields}\r\n")
    };
    assert_eq!(verdict(many(4).as_bytes()), Ok(()));
    assert_eq!(verdict(many(5).as_bytes()), Err(Reject::HeaderTooLarge));
    let small: String = (0..500).map(|i| format!("X-{i}: v\r\n")).collect();
    let fields = format!("GET / HTTP/1.1\r\nHost: a\r\n{small}\r\n");
    assert_eq!(verdict(fields.as_bytes()), Ok(()), "many small fields are fine");
}

#[test]
fn ambiguous_framing_and_hosts_are_refused() {
    let bad = Reject::BadRequest("");
    let cases: &[(&str, Reject)] = &[
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", bad),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", bad),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", bad),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\n", bad),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n", Reject::NotImplemented),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", Reject::NotImplemented),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            bad,
        ),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", bad),
        ("GET / HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n", bad),
        ("GET / HTTP/1.1\r\nX: y\r\n\r\n", bad),
    ];
    for (case, want) in cases {
        let got = verdict(case.as_bytes());
        let same = match (got, want) {
            (Err(Reject::BadRequest(_)), Reject::BadRequest(_)) => true,
            (got, want) => got == Err(*want),
        };
        assert!(same, "{case:?}: {got:?}, want {want:?}");
    }
}

#[test]
fn bodies_are_skipped_and_the_next_head_is_checked() {
    // Header-looking bytes inside a body are data, not a head.
    let body = "Host: x\r\nHost: y\r\n\r\n";
    let sized =
        format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    assert_eq!(verdict(sized.as_bytes()), Ok(()));
    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    assert_eq!(verdict(chunked.as_bytes()), Ok(()));
    // ... and the request after the body is checked like the first.
    let next = format!("{chunked}GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    assert!(matches!(verdict(next.as_bytes()), Err(Reject::BadRequest(_))));
    let next = format!("{sized}GET /{} HTTP/1.1\r\n", long(9000));
    assert_eq!(verdict(next.as_bytes()), Err(Reject::UriTooLong));
}

#[test]
fn what_it_cannot_follow_passes() {
    let cases: &[&str] = &[
        // h2c prior knowledge: binary frames follow.
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0Host: a\r\nHost: b\r\n\r\n",
        // A malformed chunk: hyper refuses the body itself.
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET / HTTP/1.1\r\n\r\n",
        // CONNECT: a tunnel follows.
        "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    ];
    for case in cases {
        assert_eq!(verdict(case.as_bytes()), Ok(()), "{case:?}");
    }
}

#[test]
fn the_refusal_offset_keeps_earlier_requests() {
    let first = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let stream = format!("{first}GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    let mut scanner = HeadScanner::new(LIMITS);
    let (at, _) = scanner.feed(stream.as_bytes()).expect_err("refused");
    assert!(at >= first.len(), "the first request is served: offset {at}");
}

#[test]
fn idle_and_head_states() {
    let mut scanner = HeadScanner::new(LIMITS);
    assert!(scanner.is_idle());
    scanner.feed(b"GET / HT").unwrap();
    assert!(scanner.in_head());
    scanner.feed(b"TP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert!(scanner.is_idle());
    scanner.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nh").unwrap();
    assert!(!scanner.is_idle() && !scanner.in_head());
    scanner.feed(b"i").unwrap();
    assert!(scanner.is_idle());
}

mod props {
    use proptest::prelude::*;

    use super::*;

    fn header() -> impl Strategy<Value = String> {
        ("[A-Za-z][A-Za-z0-9-]{0,20}", "[ -~]{0,60}")
            .prop_filter("not a framing or host field", |(name, _)| {
                let name = name.to_ascii_lowercase();
                !["host", "content-length", "transfer-encoding"].contains(&name.as_str())
            })
            .prop_map(|(name, value)| format!("{name}: {}\r\n", value.trim()))
    }

    /// A valid request: method, path, fields, an optional sized or chunked body.
    fn request() -> impl Strategy<Value = String> {
        let body = proptest::option::of((any::<bool>(), "[ -~\r\n]{0,40}"));
        (
            "(GET|POST|PUT|DELETE)",
            "/[a-z0-9/._~-]{0,40}",
            prop::collection::vec(header(), 0..20),
            body,
        )
            .prop_map(|(method, path, fields, body)| {
                let fields: String = fields.concat();
                let framing = match &body {
                    None => String::new(),
                    Some((false, data)) => format!("Content-Length: {}\r\n\r\n{data}", data.len()),
                    Some((true, data)) if data.is_empty() => {
                        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_string()
                    }
                    Some((true, data)) => format!(
                        "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{data}\r\n0\r\n\r\n",
                        data.len()
                    ),
                };
                let end = if framing.is_empty() { "\r\n" } else { "" };
                format!("{method} {path} HTTP/1.1\r\nHost: a.test\r\n{fields}{framing}{end}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any bytes, split anywhere: no panic, and the verdict does not depend on the split.
        #[test]
        fn any_bytes_any_split(bytes in prop::collection::vec(any::<u8>(), 0..600), split in 1usize..64) {
            prop_assert_eq!(scan(&bytes, split), scan(&bytes, bytes.len()));
        }

        /// Pipelined valid requests always pass, however they are split into reads, and the
        /// scanner ends between requests.
        #[test]
        fn valid_requests_pass(requests in prop::collection::vec(request(), 1..5), split in 1usize..64) {
            let stream = requests.concat();
            prop_assert_eq!(scan(stream.as_bytes(), split), Ok(()), "{:?}", stream);
            let mut scanner = HeadScanner::new(LIMITS);
            prop_assert!(scanner.feed(stream.as_bytes()).is_ok());
            prop_assert!(scanner.is_idle(), "ends between requests: {:?}", stream);
        }

        /// A duplicate Host anywhere in a pipeline is refused, and never before the requests
        /// ahead of it.
        #[test]
        fn a_smuggled_duplicate_host_is_found(requests in prop::collection::vec(request(), 0..4)) {
            let good = requests.concat();
            let stream = format!("{good}GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
            let mut scanner = HeadScanner::new(LIMITS);
            let refused = scanner.feed(stream.as_bytes());
            prop_assert!(matches!(refused, Err((at, Reject::BadRequest(_))) if at >= good.len()));
        }
    }
}

#[test]
fn an_http2_preface_is_refused_when_http2_is_off() {
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut allowed = HeadScanner::new(LIMITS);
    assert!(allowed.feed(preface).is_ok());
    assert!(allowed.is_http2());
    let mut refusing = HeadScanner::new(LIMITS);
    refusing.refuse_http2();
    let (_, why) = refusing.feed(preface).expect_err("refused");
    assert!(matches!(why, Reject::BadRequest(_)), "{why:?}");
    let mut http1 = HeadScanner::new(LIMITS);
    http1.refuse_http2();
    assert!(http1.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").is_ok(), "HTTP/1.1 unaffected");
}

mod release;
