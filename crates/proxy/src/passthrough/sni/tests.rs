use std::sync::Arc;

use proptest::prelude::*;
use rustls::pki_types::ServerName;

use super::*;

/// A real ClientHello from rustls for `name` (a DNS name sends SNI, an IP address does not).
fn client_hello(name: &str) -> Vec<u8> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// `hello` (one record) re-framed as two handshake records split at `at` of its payload.
fn split_record(hello: &[u8], at: usize) -> Vec<u8> {
    let payload = &hello[RECORD_HEADER..];
    let (a, b) = payload.split_at(at);
    let mut out = Vec::new();
    for part in [a, b] {
        out.extend_from_slice(&[CONTENT_HANDSHAKE, 0x03, 0x01]);
        out.extend_from_slice(&u16::try_from(part.len()).unwrap().to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

#[test]
fn a_real_client_hello_names_its_host() {
    let hello = client_hello("Passthrough.Test");
    assert_eq!(peek(&hello), Peeked::Hello(Some("passthrough.test".into())));
    let mut with_more = hello.clone();
    with_more.extend_from_slice(b"\x14\x03\x03\x00\x01\x01");
    assert_eq!(peek(&with_more), Peeked::Hello(Some("passthrough.test".into())));
}

#[test]
fn every_prefix_asks_for_more() {
    let hello = client_hello("a.test");
    for n in 0..hello.len() {
        assert_eq!(peek(&hello[..n]), Peeked::NeedMore, "{n} of {} bytes", hello.len());
    }
}

#[test]
fn a_hello_split_across_records_is_joined() {
    let hello = client_hello("split.test");
    for at in [1, 3, 4, 40, hello.len() - RECORD_HEADER - 1] {
        let split = split_record(&hello, at);
        assert_eq!(peek(&split), Peeked::Hello(Some("split.test".into())), "split at {at}");
        assert_eq!(peek(&split[..split.len() - 1]), Peeked::NeedMore, "split at {at}");
    }
}

#[test]
fn no_sni_and_other_protocols() {
    assert_eq!(peek(&client_hello("127.0.0.1")), Peeked::Hello(None));
    assert_eq!(peek(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Peeked::NotHello);
    assert_eq!(peek(b"\x16\x03\x01\x00\x00"), Peeked::NotHello, "empty record");
    assert_eq!(peek(b"\x16\x03\x01\x00\x04\x02\x00\x00\x00"), Peeked::NotHello, "ServerHello");
    assert_eq!(peek(b"\x16\x03\x01\x00\x04\x01\xff\xff\xff"), Peeked::NotHello, "too large");
    let mut truncated_body = b"\x16\x03\x01\x00\x06\x01\x00\x00\x02\x03\x03".to_vec();
    assert_eq!(peek(&truncated_body), Peeked::NotHello, "body shorter than its fields");
    truncated_body.truncate(8);
    assert_eq!(peek(&truncated_body), Peeked::NeedMore);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = peek(&bytes);
        let mut framed = b"\x16\x03\x01".to_vec();
        framed.extend_from_slice(&u16::try_from(bytes.len()).unwrap().to_be_bytes());
        framed.extend_from_slice(&bytes);
        let _ = peek(&framed);
    }

    #[test]
    fn a_mutated_hello_never_panics(at in 0usize..4096, byte in any::<u8>(), cut in 0usize..4096) {
        let mut hello = client_hello("fuzz.test");
        let at = at % hello.len();
        hello[at] = byte;
        hello.truncate(cut.clamp(1, hello.len()));
        let _ = peek(&hello);
    }
}
