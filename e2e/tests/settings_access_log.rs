//! ConfigMap `access-log-path`, `log-format-upstream`, `log-format-escape-json` and
//! `disable-access-log` (ingress-nginx template `log_format upstreaminfo`, `access_log`)
//! through the real binary: ingress-nginx's upstreaminfo line on stdout, a custom JSON format,
//! a file, and no line at all.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{eventually, get, request, start_site, Portico};

async fn site(configmap: &str) -> (portico_e2e::Backends, portico_e2e::Dir, Portico) {
    let none: &[(&str, &str)] = &[];
    start_site(&[("log.test", none)], Some(configmap)).await
}

#[tokio::test]
async fn upstreaminfo_lines_on_stdout() {
    let (web, _dir, portico) = site("  access-log-path: /dev/stdout\n").await;
    let req = http::Request::get("/a?b=1")
        .header("host", "log.test")
        .header("user-agent", "probe \"1\"")
        .header("referer", "http://from.test/")
        .body(Default::default())
        .unwrap();
    assert_eq!(request(portico.http, req).await.unwrap().status, 200);
    let needle = "\"GET /a?b=1 HTTP/1.1\"";
    eventually("an upstreaminfo line", || async { !portico.log_lines(needle).is_empty() }).await;
    let line = &portico.log_lines(needle)[0];
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    assert!(line.contains(" +0000] \"GET /a?b=1 HTTP/1.1\" 200 "), "{line}");
    assert!(line.contains("\"http://from.test/\" \"probe \\x221\\x22\""), "escaped: {line}");
    assert!(line.contains(&format!("[default-web-80] [] {} ", web.addr(0))), "{line}");
    let fields: Vec<&str> = line.split(' ').collect();
    let id = fields.last().unwrap();
    assert_eq!(id.len(), 32, "$req_id last: {line}");
    assert_eq!(fields[fields.len() - 2], "200", "$upstream_status: {line}");
    assert!(portico.log_lines("portico::access").is_empty(), "one access log, not two");

    assert_eq!(get(portico.http, "none.test", "/missing").await.unwrap().status, 404);
    let needle = "\"GET /missing HTTP/1.1\" 404";
    eventually("a 404 line", || async { !portico.log_lines(needle).is_empty() }).await;
    let line = &portico.log_lines(needle)[0];
    assert!(line.contains("[-] [] - - - -"), "no upstream: {line}");
}

#[tokio::test]
async fn a_json_format_with_json_escaping() {
    let cm = "  log-format-escape-json: \"true\"\n  log-format-upstream: '{\"status\": $status, \
              \"ua\": \"$http_user_agent\", \"user\": \"$remote_user\", \"ns\": \"$namespace\", \
              \"ingress\": \"$ingress_name\", \"service\": \"$service_name\", \"uri\": \"$uri\"}'\n";
    let (_web, _dir, portico) = site(cm).await;
    let req = http::Request::get("/json")
        .header("host", "log.test")
        .header("user-agent", "say \"hi\"\\")
        .header("authorization", "Basic Zm9vOmJhcg==")
        .body(Default::default())
        .unwrap();
    assert_eq!(request(portico.http, req).await.unwrap().status, 200);
    eventually("a JSON line", || async { !portico.log_lines("\"uri\": \"/json\"").is_empty() })
        .await;
    let line = &portico.log_lines("\"uri\": \"/json\"")[0];
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(json["status"], 200);
    assert_eq!(json["ua"], "say \"hi\"\\");
    assert_eq!(json["user"], "foo");
    assert_eq!(json["ns"], "default");
    assert_eq!(json["ingress"], "log");
    assert_eq!(json["service"], "web");
}

#[tokio::test]
async fn a_file_path_and_disabling() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.log");
    // http-access-log-path wins over access-log-path, as in ingress-nginx's template.
    let cm = format!(
        "  access-log-path: /dev/stderr\n  http-access-log-path: {}\n  \
         log-format-upstream: \"$status $request_uri\"\n",
        file.display()
    );
    let (_web, _dir, portico) = site(&cm).await;
    assert_eq!(get(portico.http, "log.test", "/to-file").await.unwrap().status, 200);
    eventually("the line in the file", || async {
        std::fs::read_to_string(&file).unwrap_or_default() == "200 /to-file\n"
    })
    .await;
    assert!(portico.log_lines("/to-file").is_empty(), "not on stdout or stderr");

    let (_web, _dir, portico) = site("  disable-http-access-log: \"true\"\n").await;
    for _ in 0..3 {
        assert_eq!(get(portico.http, "log.test", "/quiet").await.unwrap().status, 200);
    }
    assert!(portico.log_lines("portico::access").is_empty(), "{}", portico.log_text());
    assert!(portico.log_lines("/quiet").is_empty(), "{}", portico.log_text());
}

#[tokio::test]
async fn requests_refused_before_routing_follow_the_access_log_settings() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    async fn refused(portico: &Portico) {
        let mut conn = tokio::net::TcpStream::connect(portico.http).await.unwrap();
        let target = format!("/{}", "u".repeat(9000));
        let head = format!("GET {target} HTTP/1.1\r\nHost: log.test\r\n\r\n");
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(portico_e2e::patience(), conn.read_to_end(&mut reply)).await;
        assert!(reply.starts_with(b"HTTP/1.1 414"), "{}", String::from_utf8_lossy(&reply));
    }
    let (_web, _dir, portico) =
        site("  log-format-upstream: \"refused $status $request_method\"\n").await;
    refused(&portico).await;
    eventually("the 414 line", || async { !portico.log_lines("refused 414 GET").is_empty() }).await;
    assert!(portico.log_lines("portico::access").is_empty(), "{}", portico.log_text());

    let (_web, _dir, portico) = site("  disable-access-log: \"true\"\n").await;
    refused(&portico).await;
    assert!(get(portico.http, "log.test", "/after").await.is_ok());
    assert!(portico.log_lines("portico::access").is_empty(), "{}", portico.log_text());
}

#[tokio::test]
async fn enable_access_log_false_silences_its_location_only() {
    use portico_e2e::site_ingress;
    let (_web, dir, portico) = site("  log-format-upstream: \"line $host $uri\"\n").await;
    dir.write("quiet.yaml", site_ingress("quiet.test", &[("enable-access-log", "false")]));
    eventually("quiet.test served", || async {
        get(portico.http, "quiet.test", "/warmup").await.is_ok_and(|r| r.status == 200)
    })
    .await;
    assert_eq!(get(portico.http, "quiet.test", "/hush").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "log.test", "/loud").await.unwrap().status, 200);
    eventually("log.test logged", || async {
        !portico.log_lines("line log.test /loud").is_empty()
    })
    .await;
    assert!(portico.log_lines("/hush").is_empty(), "{}", portico.log_text());

    // And the structured event too.
    let quiet = [("enable-access-log", "false")];
    let (_web2, _dir2, portico) = start_site(&[("log.test", &quiet[..])], None).await;
    assert_eq!(get(portico.http, "log.test", "/hush").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "other.test", "/loud").await.unwrap().status, 404);
    eventually("the 404 logged", || async { !portico.log_lines("portico::access").is_empty() })
        .await;
    assert!(portico.log_lines("/hush").is_empty(), "{}", portico.log_text());
}
