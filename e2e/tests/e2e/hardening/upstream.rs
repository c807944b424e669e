//! Upstream response heads: limited by size (`proxy-buffer-size`), not by field count; both
//! `Content-Length` and `Transfer-Encoding` is read as chunked (RFC 9112 §6.3).

use portico_e2e::{eventually, get, ingress, service, Dir, Portico};

use super::support::{exchange, raw_backend, status};

async fn behind(response: String, annotations: &[(&str, &str)]) -> (Dir, Portico) {
    let addr = raw_backend(response).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "raw", &[addr]));
    let mut ing = ingress("raw").path(Some("raw.test"), "/", "Prefix", "raw");
    for (k, v) in annotations {
        ing = ing.annotation(k, v);
    }
    dir.write("ing.yaml", ing);
    let portico = Portico::start(dir.path(), &[]).await;
    (dir, portico)
}

fn response_with(fields: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\n{fields}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_hundred_set_cookies_pass() {
    let cookies: String = (0..120).map(|i| format!("Set-Cookie: c{i}=v\r\n")).collect();
    let (_dir, portico) = behind(response_with(&cookies, "ok"), &[]).await;
    let req = "GET / HTTP/1.1\r\nHost: raw.test\r\nConnection: close\r\n\r\n";
    let reply = exchange(portico.http, req.as_bytes()).await;
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(reply.matches("set-cookie: c").count(), 120, "{reply}");
}

#[tokio::test]
async fn a_head_over_proxy_buffer_size_is_502() {
    let big = format!("X-Big: {}\r\n", "x".repeat(6000));
    let (_dir, portico) = behind(response_with(&big, "ok"), &[]).await;
    let reply = get(portico.http, "raw.test", "/").await.unwrap();
    assert_eq!(reply.status, 502, "over the 4k default");
    let logged = || async { !portico.log_lines("upstream sent too big header").is_empty() };
    eventually("the log says: upstream sent too big header", logged).await;

    let fits = format!("X-Big: {}\r\n", "x".repeat(3800));
    let (_dir, portico) = behind(response_with(&fits, "ok"), &[]).await;
    assert_eq!(get(portico.http, "raw.test", "/").await.unwrap().status, 200, "fits in 4k");

    let (_dir, portico) = behind(response_with(&big, "ok"), &[("proxy-buffer-size", "16k")]).await;
    assert_eq!(get(portico.http, "raw.test", "/").await.unwrap().status, 200, "annotation");
}

#[tokio::test]
async fn content_length_with_chunked_reads_the_chunks() {
    let response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\
                    Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        .to_string();
    let (_dir, portico) = behind(response, &[]).await;
    let reply = get(portico.http, "raw.test", "/").await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "hello world");
}
