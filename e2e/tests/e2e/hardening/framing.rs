//! Framing that could smuggle a request past the proxy is refused before routing (nginx
//! ≥ 1.21.1), and what is forwarded is framed by Portico, never by the client's headers.

use super::support::{exchange, responses, site, status};

#[tokio::test]
async fn content_length_with_transfer_encoding_is_400_and_closes() {
    let site = site(&[]).await;
    let smuggle = "POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 48\r\n\
                   Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: site.test\r\n\r\n";
    let reply = exchange(site.portico.http, smuggle.as_bytes()).await;
    assert_eq!(status(&reply), 400, "{reply}");
    assert_eq!(responses(&reply), 1, "nothing after the refusal is served: {reply}");
    assert!(!reply.contains("smuggled"), "{reply}");
}

#[tokio::test]
async fn transfer_encodings_other_than_chunked_are_501() {
    let site = site(&[]).await;
    for te in ["identity, chunked", "gzip, chunked", "chunked, identity", "identity"] {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: {te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        );
        let reply = exchange(site.portico.http, req.as_bytes()).await;
        assert_eq!(status(&reply), 501, "{te}: {reply}");
    }
}

#[tokio::test]
async fn the_backend_gets_portico_framing() {
    let site = site(&[]).await;
    let req = "POST /te HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: CHUNKED\r\n\
               Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    let reply = exchange(site.portico.http, req.as_bytes()).await;
    assert_eq!(status(&reply), 200, "{reply}");
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(!body.contains("CHUNKED"), "the client's Transfer-Encoding is not forwarded: {body}");
}

#[tokio::test]
async fn hosts_must_be_unambiguous() {
    let site = site(&[]).await;
    let addr = site.portico.http;
    let dup = "GET / HTTP/1.1\r\nHost: site.test\r\nHost: other.test\r\n\r\n";
    assert_eq!(status(&exchange(addr, dup.as_bytes()).await), 400);
    let none = "GET / HTTP/1.1\r\nX: y\r\n\r\n";
    assert_eq!(status(&exchange(addr, none.as_bytes()).await), 400);
    let old = "GET / HTTP/1.0\r\n\r\n";
    assert_eq!(status(&exchange(addr, old.as_bytes()).await), 404, "HTTP/1.0 needs no Host");
    // The absolute-form target's authority routes and replaces Host (RFC 9112 §3.2.2).
    let absolute =
        "GET http://site.test/abs HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n";
    let reply = exchange(addr, absolute.as_bytes()).await;
    assert_eq!(status(&reply), 200, "{reply}");
    assert!(reply.contains(r#""host":["site.test"]"#), "the backend sees the authority: {reply}");
}

#[tokio::test]
async fn a_malformed_chunked_body_is_the_clients_fault() {
    let site = site(&[]).await;
    let req = "POST / HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n\
               5\r\nhelloXX\r\n0\r\n\r\n";
    let reply = exchange(site.portico.http, req.as_bytes()).await;
    assert_eq!(status(&reply), 400, "{reply}");
    let log = site.portico.log_text();
    assert!(!log.contains("upstream failure"), "not logged as an upstream failure:\n{log}");
}
