//! Request heads are bounded as nginx's `large-client-header-buffers` (4 8k): 414 for a long
//! request line, 400 "Request Header Or Cookie Too Large" for a long header or head, the
//! connection closed at once; header fields are limited by size, not count.

use super::support::{exchange, responses, site, status};

#[tokio::test]
async fn long_request_lines_are_414() {
    let site = site(&[]).await;
    let addr = site.portico.http;
    let ok = format!(
        "GET /{} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n",
        "a".repeat(7000)
    );
    assert_eq!(status(&exchange(addr, ok.as_bytes()).await), 200, "7 KB request line fits");
    for size in [8 * 1024, 64 * 1024, 1024 * 1024] {
        let line = format!("GET /{} HTTP/1.1\r\nHost: site.test\r\n\r\n", "a".repeat(size));
        let reply = exchange(addr, line.as_bytes()).await;
        assert_eq!(status(&reply), 414, "{size} bytes: {reply}");
        assert!(reply.contains("Connection: close"), "{reply}");
        assert!(reply.contains("414 Request-URI Too Large"), "{reply}");
    }
    // Refusals are in the access log, as nginx logs them.
    let portico = &site.portico;
    let logged = || async {
        portico.log_lines("portico::access").iter().filter(|l| l.contains("status=414")).count()
            == 3
    };
    portico_e2e::eventually("three access-log lines with status 414", logged).await;
    let lines = portico.log_lines("portico::access");
    let line = lines.iter().find(|l| l.contains("status=414")).unwrap();
    assert!(line.contains("method=GET") || line.contains("method=\"GET\""), "{line}");
}

#[tokio::test]
async fn long_header_lines_and_heads_are_400() {
    let site = site(&[]).await;
    let addr = site.portico.http;
    let header =
        |n: usize| format!("GET / HTTP/1.1\r\nHost: site.test\r\nX-Big: {}\r\n\r\n", "b".repeat(n));
    let reply = exchange(addr, header(9 * 1024).as_bytes()).await;
    assert_eq!(status(&reply), 400, "{reply}");
    assert!(reply.contains("Request Header Or Cookie Too Large"), "{reply}");
    let reply = exchange(addr, header(64 * 1024).as_bytes()).await;
    assert_eq!(status(&reply), 400, "{reply}");
    // Five 7 KB cookies: each line fits one buffer, the head does not fit four.
    let cookies: String =
        (0..5).map(|i| format!("Cookie: c{i}={}\r\n", "c".repeat(7000))).collect();
    let head = format!("GET / HTTP/1.1\r\nHost: site.test\r\n{cookies}\r\n");
    let reply = exchange(addr, head.as_bytes()).await;
    assert_eq!(status(&reply), 400, "{reply}");
    assert!(reply.contains("Request Header Or Cookie Too Large"), "{reply}");
    // A refusal closes the connection: a request pipelined after it is not answered.
    let pipelined = format!("{}GET / HTTP/1.1\r\nHost: site.test\r\n\r\n", header(9 * 1024));
    let reply = exchange(addr, pipelined.as_bytes()).await;
    assert_eq!(responses(&reply), 1, "{reply}");
}

#[tokio::test]
async fn many_small_header_fields_pass() {
    let site = site(&[]).await;
    let fields: String = (0..300).map(|i| format!("X-Field-{i}: {i}\r\n")).collect();
    let head = format!("GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n{fields}\r\n");
    let reply = exchange(site.portico.http, head.as_bytes()).await;
    assert_eq!(status(&reply), 200, "300 fields, 6 KB: {}", &reply[..reply.len().min(300)]);
    assert!(reply.contains("x-field-299"), "the backend saw every field");
}

#[tokio::test]
async fn configured_buffers_set_the_limits() {
    let site = site(&[("large-client-header-buffers", "2 1k")]).await;
    let addr = site.portico.http;
    let line = format!("GET /{} HTTP/1.1\r\nHost: site.test\r\n\r\n", "a".repeat(1500));
    assert_eq!(status(&exchange(addr, line.as_bytes()).await), 414);
    let header = format!("GET / HTTP/1.1\r\nHost: site.test\r\nX: {}\r\n\r\n", "b".repeat(1500));
    assert_eq!(status(&exchange(addr, header.as_bytes()).await), 400);
    let ok = format!(
        "GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\nX: {}\r\n\r\n",
        "b".repeat(900)
    );
    assert_eq!(status(&exchange(addr, ok.as_bytes()).await), 200);
}
