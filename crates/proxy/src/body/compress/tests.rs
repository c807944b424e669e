use std::io::Read as _;

use super::*;

fn config(gzip: bool, brotli: bool) -> Compression {
    let mut config = Compression::default();
    config.gzip.enabled = gzip;
    config.brotli.enabled = brotli;
    config
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(k, v)| (http::HeaderName::from_static(k), HeaderValue::from_static(v)))
        .collect()
}

fn accepts(config: &Compression, accept: &'static str) -> Option<Accepted> {
    accepted(config, &Method::GET, Version::HTTP_11, &headers(&[("accept-encoding", accept)]))
}

fn response(status: u16, pairs: &[(&'static str, &'static str)]) -> Response<()> {
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    *response.headers_mut() = headers(pairs);
    response
}

#[test]
fn accept_encoding_is_parsed_with_q_values() {
    let both = config(true, true);
    let cases = [
        ("gzip", (true, false)),
        ("gzip, deflate, br", (true, true)),
        ("BR;q=1.0 , GZIP;q=0.5", (true, true)),
        ("gzip;q=0, br", (false, true)),
        ("gzip; q=0.000", (false, false)),
        ("gzip;q=0.01", (true, false)),
        ("identity, *", (false, false)),
        ("", (false, false)),
    ];
    for (header, (gzip, brotli)) in cases {
        assert_eq!(accepts(&both, header), Some(Accepted { gzip, brotli }), "{header:?}");
    }
    assert_eq!(
        accepts(&config(true, false), "br, gzip"),
        Some(Accepted { gzip: true, brotli: false })
    );
}

#[test]
fn nothing_is_read_when_off_for_head_or_http_1_0() {
    let gzip = config(true, false);
    let h = headers(&[("accept-encoding", "gzip")]);
    assert_eq!(accepted(&config(false, false), &Method::GET, Version::HTTP_11, &h), None);
    assert_eq!(accepted(&gzip, &Method::HEAD, Version::HTTP_11, &h), None);
    assert_eq!(accepted(&gzip, &Method::GET, Version::HTTP_10, &h), None);
    assert!(accepted(&gzip, &Method::GET, Version::HTTP_2, &h).is_some());
}

#[test]
fn eligible_responses_are_rewritten() {
    let both = config(true, true);
    let all = Accepted { gzip: true, brotli: true };
    let mut r = response(
        200,
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("content-length", "1000"),
            ("accept-ranges", "bytes"),
            ("etag", "\"abc\""),
        ],
    );
    let encoder = negotiate(&both, all, &mut r).unwrap();
    assert!(matches!(encoder, Encoder::Brotli(_)), "brotli preferred");
    let h = r.headers();
    assert_eq!(h["content-encoding"], "br");
    assert_eq!(h["vary"], "Accept-Encoding");
    assert_eq!(h["etag"], "W/\"abc\"");
    assert!(h.get("content-length").is_none() && h.get("accept-ranges").is_none());

    let mut r = response(404, &[("content-type", "text/html")]);
    let gzip_only = Accepted { gzip: true, brotli: false };
    assert!(matches!(negotiate(&both, gzip_only, &mut r), Some(Encoder::Gzip(_))));
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

#[test]
fn ineligible_responses_are_left_alone() {
    let gzip = config(true, false);
    let yes = Accepted { gzip: true, brotli: false };
    let cases: &[(u16, &[(&'static str, &'static str)])] = &[
        (206, &[("content-type", "text/plain")]),
        (204, &[]),
        (304, &[("content-type", "text/plain")]),
        (302, &[("content-type", "text/html")]),
        (200, &[("content-type", "image/png")]),
        (200, &[("content-type", "text/plain"), ("content-encoding", "gzip")]),
        (200, &[("content-type", "text/plain"), ("content-length", "255")]),
        (200, &[]),
    ];
    for (status, pairs) in cases {
        let mut r = response(*status, pairs);
        let before = r.headers().clone();
        assert!(negotiate(&gzip, yes, &mut r).is_none(), "{status} {pairs:?}");
        assert_eq!(r.headers(), &before, "{status} {pairs:?}");
    }
}

#[test]
fn a_client_without_the_codec_still_gets_vary() {
    let gzip = config(true, false);
    let mut r = response(200, &[("content-type", "text/css"), ("vary", "Origin")]);
    assert!(negotiate(&gzip, Accepted::default(), &mut r).is_none());
    let vary: Vec<_> = r.headers().get_all("vary").iter().collect();
    assert_eq!(vary, ["Origin", "Accept-Encoding"]);
    assert!(r.headers().get("content-encoding").is_none());
    let mut r = response(200, &[("content-type", "text/css"), ("vary", "accept-encoding")]);
    negotiate(&gzip, Accepted::default(), &mut r);
    assert_eq!(r.headers().get_all("vary").iter().count(), 1, "not named twice");
}

#[test]
fn star_matches_every_type() {
    let mut star = config(true, false);
    star.gzip.types = vec!["*".to_string()];
    let mut r = response(200, &[("content-type", "image/png")]);
    assert!(negotiate(&star, Accepted { gzip: true, brotli: false }, &mut r).is_some());
}

/// Compresses `chunks` one by one, as the response body does.
fn run(mut encoder: Encoder, chunks: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut sizes = Vec::new();
    for chunk in chunks {
        let bytes = encoder.encode(chunk).unwrap();
        sizes.push(bytes.len());
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(&encoder.finish().unwrap());
    (out, sizes)
}

#[test]
fn gzip_and_brotli_streams_decode_and_flush_every_chunk() {
    let chunks: [&[u8]; 3] = [b"hello hello hello ", b"world world world ", &[b'x'; 10_000]];
    let whole: Vec<u8> = chunks.concat();

    let (gz, sizes) = run(Encoder::gzip(1), &chunks);
    assert!(sizes.iter().all(|n| *n > 0), "each chunk goes out at once: {sizes:?}");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, whole);
    assert!(gz.len() < whole.len());

    let (br, sizes) = run(Encoder::brotli(4), &chunks);
    assert!(sizes.iter().all(|n| *n > 0), "{sizes:?}");
    let mut plain = Vec::new();
    brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut plain).unwrap();
    assert_eq!(plain, whole);
}
