//! ingress-nginx's metrics on the admin port's `/metrics`: request metrics with its labels,
//! reload and certificate metrics, the `path` switch, and every metric the shipped Grafana
//! dashboard and PrometheusRule query.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use portico_cluster_testkit::ApiServer;
use portico_e2e::{eventually, get, ingress, pem_secret, service, Backends, Dir, Portico, TestCa};

const CLASS: &str = "portico.dev/ingress-controller";

/// What ingress-nginx's own dashboards (`deploy/grafana/dashboards/nginx.json`,
/// `request-handling-performance.json`) query: users import those.
const INGRESS_NGINX_DASHBOARDS: &[&str] = &[
    "nginx_ingress_controller_config_hash",
    "nginx_ingress_controller_config_last_reload_successful",
    "nginx_ingress_controller_config_last_reload_successful_timestamp_seconds",
    "nginx_ingress_controller_nginx_process_connections",
    "nginx_ingress_controller_nginx_process_cpu_seconds_total",
    "nginx_ingress_controller_nginx_process_resident_memory_bytes",
    "nginx_ingress_controller_request_duration_seconds_bucket",
    "nginx_ingress_controller_request_duration_seconds_count",
    "nginx_ingress_controller_request_size_sum",
    "nginx_ingress_controller_requests",
    "nginx_ingress_controller_response_duration_seconds_bucket",
    "nginx_ingress_controller_response_duration_seconds_sum",
    "nginx_ingress_controller_response_size_bucket",
    "nginx_ingress_controller_response_size_count",
    "nginx_ingress_controller_response_size_sum",
    "nginx_ingress_controller_ssl_expire_time_seconds",
    "nginx_ingress_controller_success",
];

/// Metrics only cluster mode has samples of (a watch restarted); the metrics crate's unit tests
/// check their names (`portico_metrics` `histogram_rebuilds_and_generation`).
const CLUSTER_ONLY: &[&str] = &["portico_watch_restarts_total"];

/// One sample of the scrape: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The text format's samples (label values without escapes, which these tests do not use).
fn samples(text: &str) -> Vec<Sample> {
    let parse = |line: &str| -> Option<Sample> {
        let (series, value) = line.rsplit_once(' ')?;
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}')?),
            None => (series, ""),
        };
        let labels = labels
            .split("\",")
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| {
                let (k, v) = pair.split_once("=\"")?;
                Some((k.to_string(), v.trim_end_matches('"').to_string()))
            })
            .collect();
        Some(Sample { name: name.to_string(), labels, value: value.parse().ok()? })
    };
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).filter_map(parse).collect()
}

/// The value of the one sample `name` whose labels include `want`, if there is one.
fn value(text: &str, name: &str, want: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<Sample> = samples(text)
        .into_iter()
        .filter(|s| s.name == name)
        .filter(|s| want.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    assert!(matching.len() <= 1, "{name} {want:?} is ambiguous: {matching:?}");
    matching.first().map(|s| s.value)
}

async fn scrape(admin: SocketAddr) -> String {
    let reply = get(admin, "localhost", "/metrics").await.unwrap();
    assert_eq!(reply.status, 200);
    reply.text()
}

/// A TLS Secret `default/<name>` for `host`.
fn tls_secret(name: &str, host: &str) -> String {
    let leaf = TestCa::new("metrics-ca").server(&[host]);
    let fields = [("tls.crt", leaf.cert_pem.as_str()), ("tls.key", leaf.key_pem.as_str())];
    pem_secret("default", name, &fields).replacen(
        "stringData:",
        "type: kubernetes.io/tls\nstringData:",
        1,
    )
}

/// [`site`] served: its backend, its manifests and Portico (keep all three alive).
async fn serve_site() -> (Backends, Dir, Portico) {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    site(&dir, &web).await;
    let portico = Portico::start(dir.path(), &[]).await;
    (web, dir, portico)
}

/// One Ingress `site` for `m.test` (TLS, Secret `site-tls`, plain HTTP served too) to Service
/// `web`.
async fn site(dir: &Dir, web: &Backends) {
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("secret.yaml", tls_secret("site-tls", "m.test"));
    let site = ingress("site").annotation("ssl-redirect", "false").tls("m.test");
    dir.write("ing.yaml", site.path(Some("m.test"), "/", "Prefix", "web"));
}

#[tokio::test]
async fn requests_carry_ingress_nginx_labels_and_histograms() {
    let (_web, _dir, portico) = serve_site().await;
    for _ in 0..3 {
        assert_eq!(get(portico.http, "m.test", "/").await.unwrap().status, 200);
    }
    let labels = [
        ("ingress", "site"),
        ("namespace", "default"),
        ("service", "web"),
        ("host", "m.test"),
        ("status", "200"),
        ("method", "GET"),
        ("controller_class", CLASS),
    ];
    let admin = portico.admin;
    eventually("3 GETs counted in nginx_ingress_controller_requests", || async move {
        value(&scrape(admin).await, "nginx_ingress_controller_requests", &labels) == Some(3.0)
    })
    .await;
    let text = scrape(admin).await;
    for histogram in [
        "nginx_ingress_controller_request_duration_seconds",
        "nginx_ingress_controller_response_duration_seconds",
        "nginx_ingress_controller_upstream_latency_seconds",
        "nginx_ingress_controller_request_size",
        "nginx_ingress_controller_response_size",
        "nginx_ingress_controller_bytes_sent",
    ] {
        let count = value(&text, &format!("{histogram}_count"), &labels);
        assert_eq!(count, Some(3.0), "{histogram}:\n{text}");
        let inf = [labels.as_slice(), &[("le", "+Inf")]].concat();
        assert_eq!(value(&text, &format!("{histogram}_bucket"), &inf), Some(3.0), "{histogram}");
    }
    let size = value(&text, "nginx_ingress_controller_response_size_sum", &labels).unwrap();
    assert!(size > 3.0 * 50.0, "status line, headers and body are counted: {size}");
    assert!(!text.contains("path=\""), "no path label by default:\n{text}");
    assert!(!text.contains("127.0.0.1"), "no endpoint addresses as labels");
    let own = [("ingress", "default/site"), ("status_class", "2xx")];
    let portico_own = value(&text, "portico_requests_total", &own);
    assert_eq!(portico_own, Some(3.0), "Portico's own counter stays");
}

/// A location's handle is made on its first request; a change to its server must carry the
/// series on, even when a scrape comes between the swap and the next request.
#[tokio::test]
async fn request_counts_survive_a_change_to_their_server() {
    let (_web, dir, portico) = serve_site().await;
    for _ in 0..2 {
        assert_eq!(get(portico.http, "m.test", "/").await.unwrap().status, 200);
    }
    let labels = [("ingress", "site"), ("host", "m.test"), ("status", "200")];
    let admin = portico.admin;
    let requests = "nginx_ingress_controller_requests";
    eventually("2 GETs counted", || async move {
        value(&scrape(admin).await, requests, &labels) == Some(2.0)
    })
    .await;
    let c = [("controller_class", CLASS)];
    let reloads = value(&scrape(admin).await, "nginx_ingress_controller_success", &c).unwrap();

    // Same host, one more path: the server changes, its first location does not.
    let site = ingress("site").annotation("ssl-redirect", "false").tls("m.test");
    let site = site.path(Some("m.test"), "/", "Prefix", "web");
    dir.write("ing.yaml", site.path(Some("m.test"), "/more", "Prefix", "web"));
    eventually("the change is live", || async move {
        let text = scrape(admin).await;
        value(&text, "nginx_ingress_controller_success", &c) > Some(reloads)
    })
    .await;
    let text = scrape(admin).await;
    assert_eq!(value(&text, requests, &labels), Some(2.0), "kept across the swap:\n{text}");
    assert_eq!(get(portico.http, "m.test", "/").await.unwrap().status, 200);
    eventually("the third GET adds to the same series", || async move {
        value(&scrape(admin).await, requests, &labels) == Some(3.0)
    })
    .await;
}

#[tokio::test]
async fn ssl_expiry_is_reported_for_a_tls_host() {
    let (_web, _dir, portico) = serve_site().await;
    let text = scrape(portico.admin).await;
    let want = [("host", "m.test"), ("secret_name", "site-tls"), ("namespace", "default")];
    let expiry = value(&text, "nginx_ingress_controller_ssl_expire_time_seconds", &want)
        .unwrap_or_else(|| panic!("ssl_expire_time_seconds for m.test:\n{text}"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    assert!(expiry > now.as_secs_f64(), "expires in the future: {expiry}");
}

#[tokio::test]
async fn reload_metrics_follow_a_good_then_a_bad_then_a_good_change() {
    let (_web, dir, portico) = serve_site().await;
    let admin = portico.admin;
    let c = [("controller_class", CLASS)];
    let text = scrape(admin).await;
    let ok = "nginx_ingress_controller_config_last_reload_successful";
    assert_eq!(value(&text, ok, &c), Some(1.0), "{text}");
    let ts = "nginx_ingress_controller_config_last_reload_successful_timestamp_seconds";
    let first = value(&text, ts, &c).unwrap();
    assert!(first > 0.0);
    let check = [("namespace", "default"), ("ingress", "site")];
    assert_eq!(value(&text, "nginx_ingress_controller_check_success", &check), Some(1.0));

    dir.write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: [not, a, map\n");
    eventually("a rebuild with an error diagnostic is an unsuccessful reload", || async move {
        let text = scrape(admin).await;
        value(&text, ok, &c) == Some(0.0)
            && value(&text, "nginx_ingress_controller_errors", &c) == Some(1.0)
    })
    .await;
    let text = scrape(admin).await;
    assert_eq!(value(&text, ts, &c), Some(first), "the timestamp is the last successful one");
    let reloads = value(&text, "nginx_ingress_controller_success", &c).unwrap();
    assert!(reloads >= 2.0, "every rebuild is a reload: {reloads}");

    dir.remove("broken.yaml");
    eventually("a clean rebuild is successful again", || async move {
        value(&scrape(admin).await, ok, &c) == Some(1.0)
    })
    .await;
    let text = scrape(admin).await;
    assert!(value(&text, ts, &c).unwrap() >= first);
}

#[tokio::test]
async fn path_label_when_enabled_and_host_label_dropped() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("ing.yaml", ingress("api").path(Some("p.test"), "/api", "Prefix", "web"));
    let flags = ["--metrics-per-path", "--metrics-per-host=false", "--report-status-classes"];
    let portico = Portico::start(dir.path(), &flags).await;
    assert_eq!(get(portico.http, "p.test", "/api/x").await.unwrap().status, 200);
    let admin = portico.admin;
    let want = [("ingress", "api"), ("path", "/api"), ("status", "2xx"), ("method", "GET")];
    eventually("the request counted with its location's path", || async move {
        value(&scrape(admin).await, "nginx_ingress_controller_requests", &want) == Some(1.0)
    })
    .await;
    let text = scrape(admin).await;
    let requests =
        samples(&text).into_iter().filter(|s| s.name == "nginx_ingress_controller_requests");
    assert!(requests.into_iter().all(|s| !s.labels.contains_key("host")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_mode_reports_leader_election_and_orphans() {
    let server = ApiServer::start().await;
    let web = Backends::start("web", 1).await;
    server.apply_yaml(&service("default", "web", &web.addrs()));
    server.apply_yaml(&ingress("app").path(Some("app.test"), "/", "Prefix", "web").to_string());
    let lonely = ingress("lonely").path(Some("lonely.test"), "/", "Prefix", "missing");
    server.apply_yaml(&lonely.to_string());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(&dir.path().join("kubeconfig"), "portico", "portico");
    let portico = Portico::start_cluster(&kubeconfig, &["--election-id", "portico-metrics"]).await;
    let admin = portico.admin;
    eventually("leader_election_status 1 for the Lease", || async move {
        let text = scrape(admin).await;
        let lease = [("name", "portico-metrics"), ("controller_class", CLASS)];
        value(&text, "nginx_ingress_controller_leader_election_status", &lease) == Some(1.0)
    })
    .await;
    let text = scrape(admin).await;
    let orphan = [("namespace", "default"), ("ingress", "lonely"), ("type", "no-service")];
    assert_eq!(
        value(&text, "nginx_ingress_controller_orphan_ingress", &orphan),
        Some(1.0),
        "{text}"
    );
    let served = [("ingress", "app")];
    assert_eq!(value(&text, "nginx_ingress_controller_orphan_ingress", &served), None, "{text}");
}

#[tokio::test]
async fn a_canary_request_keeps_the_main_ingress_and_service_and_names_the_canary() {
    let (main, canary) = (Backends::start("main", 1).await, Backends::start("canary", 1).await);
    let dir = Dir::new();
    dir.write("svc-main.yaml", service("default", "main", &main.addrs()));
    dir.write("svc-canary.yaml", service("default", "canary", &canary.addrs()));
    dir.write("main.yaml", ingress("web").path(Some("c.test"), "/", "Prefix", "main"));
    let canary_ing = ingress("web-canary")
        .annotation("canary", "true")
        .annotation("canary-by-header", "X-Canary")
        .path(Some("c.test"), "/", "Prefix", "canary");
    dir.write("canary.yaml", canary_ing);
    let portico = Portico::start(dir.path(), &[]).await;
    let req = http::Request::get("/")
        .header("host", "c.test")
        .header("x-canary", "always")
        .body(http_body_util::Full::default())
        .unwrap();
    let reply = portico_e2e::request(portico.http, req).await.unwrap();
    assert_eq!(reply.echo()["server"], "canary-0");
    assert_eq!(get(portico.http, "c.test", "/").await.unwrap().status, 200);
    let admin = portico.admin;
    let base = [("ingress", "web"), ("service", "main"), ("status", "200")];
    eventually("one request per backend, the canary's labelled", || async move {
        let text = scrape(admin).await;
        let canary = [base.as_slice(), &[("canary", "default-canary-80")]].concat();
        let main = [base.as_slice(), &[("canary", "")]].concat();
        value(&text, "nginx_ingress_controller_requests", &canary) == Some(1.0)
            && value(&text, "nginx_ingress_controller_requests", &main) == Some(1.0)
    })
    .await;
}

/// Metric names in a PromQL expression (ours all start with these prefixes).
fn queried(expr: &str, into: &mut BTreeSet<String>) {
    for prefix in ["nginx_ingress_controller_", "portico_"] {
        let mut rest = expr;
        while let Some(at) = rest.find(prefix) {
            let tail = &rest[at..];
            let end =
                tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
            into.insert(tail[..end].to_string());
            rest = &tail[end..];
        }
    }
}

/// Every `expr` of the dashboard's panels and variables, and of the rules.
fn shipped_queries() -> BTreeSet<String> {
    let files =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/portico/files");
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(files.join("grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut names = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queried(target["expr"].as_str().unwrap(), &mut names);
        }
    }
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(query) = variable["query"]["query"].as_str() {
            queried(query, &mut names);
        }
    }
    let rules: serde_json::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(files.join("prometheus-rules.yaml")).unwrap(),
    )
    .unwrap();
    for group in rules["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            queried(rule["expr"].as_str().unwrap(), &mut names);
        }
    }
    names
}

#[tokio::test]
async fn every_metric_the_dashboards_and_the_rules_query_is_exported() {
    let (_web, _dir, portico) = serve_site().await;
    assert_eq!(get(portico.http, "m.test", "/").await.unwrap().status, 200);
    let admin = portico.admin;
    eventually("the request recorded", || async move {
        scrape(admin).await.contains("nginx_ingress_controller_requests{")
    })
    .await;
    let text = scrape(admin).await;
    let mut exported: BTreeSet<String> = samples(&text).into_iter().map(|s| s.name).collect();
    // Families described but without samples yet (e.g. watch restarts outside cluster mode),
    // with the sample names their type gives them.
    for line in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let (name, kind) = line.split_once(' ').unwrap();
        exported.insert(name.to_string());
        match kind {
            "counter" => drop(exported.insert(format!("{name}_total"))),
            "histogram" => {
                for suffix in ["_bucket", "_sum", "_count"] {
                    exported.insert(format!("{name}{suffix}"));
                }
            }
            _ => {}
        }
    }
    let mut queried = shipped_queries();
    queried.extend(INGRESS_NGINX_DASHBOARDS.iter().map(|name| name.to_string()));
    assert!(queried.len() > 10, "the queries were read: {queried:?}");
    let missing: Vec<&String> = queried
        .iter()
        .filter(|name| !exported.contains(*name) && !CLUSTER_ONLY.contains(&name.as_str()))
        .collect();
    assert!(missing.is_empty(), "queried but not exported: {missing:?}\n{text}");
}
