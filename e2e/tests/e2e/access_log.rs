//! One structured access-log line per request, as text or JSON (`--log-format`).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{eventually, get, ingress, service, Backends, Dir, Portico};

async fn serve(format: &str) -> (Backends, Dir, Portico) {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("ing.yaml", ingress("site").path(Some("log.test"), "/", "Prefix", "web"));
    let portico = Portico::start(dir.path(), &["--log-format", format]).await;
    (web, dir, portico)
}

#[tokio::test]
async fn json_access_log_has_one_line_per_request_with_its_fields() {
    let (web, _dir, portico) = serve("json").await;
    assert_eq!(get(portico.http, "log.test", "/a?b=1").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "nothing.test", "/missing").await.unwrap().status, 404);
    eventually("two access-log lines", || async {
        portico.log_lines("portico::access").len() == 2
    })
    .await;
    let lines: Vec<serde_json::Value> = portico
        .log_lines("portico::access")
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ok = &lines[0];
    assert_eq!(ok["method"], "GET");
    assert_eq!(ok["host"], "log.test");
    assert_eq!(ok["path"], "/a?b=1", "the request-target as sent");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["upstream"], web.addr(0).to_string());
    assert_eq!(ok["ingress"], "default/site");
    assert!(ok["duration_ms"].is_number(), "{ok}");
    assert!(ok["bytes"].as_u64().unwrap() > 0, "{ok}");
    assert_eq!(ok["request_id"].as_str().unwrap().len(), 32, "{ok}");
    assert_eq!(lines[1]["status"], 404);
    assert_eq!(lines[1]["upstream"], "-");
}

#[tokio::test]
async fn text_access_log_names_status_and_upstream() {
    let (web, _dir, portico) = serve("text").await;
    assert_eq!(get(portico.http, "log.test", "/x").await.unwrap().status, 200);
    eventually("an access-log line", || async { !portico.log_lines("portico::access").is_empty() })
        .await;
    let line = &portico.log_lines("portico::access")[0];
    assert!(line.contains("status=200"), "{line}");
    assert!(line.contains(&web.addr(0).to_string()), "{line}");
}
