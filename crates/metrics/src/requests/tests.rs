use super::*;

fn observation(method: &str, status: u16) -> Observation<'_> {
    Observation {
        method,
        status,
        request_secs: 0.02,
        response_secs: Some(0.015),
        upstream_latency_secs: Some(0.01),
        request_bytes: 35,
        response_bytes: 250,
    }
}

fn key() -> HandleKey {
    HandleKey {
        namespace: "default".into(),
        ingress: "web".into(),
        service: "web-svc".into(),
        host: "web.example".into(),
        path: "/api".into(),
        canary: String::new(),
    }
}

fn config() -> RequestMetricsConfig {
    RequestMetricsConfig {
        controller: ControllerLabels {
            class: "portico.dev/ingress-controller".into(),
            namespace: "ingress".into(),
            pod: "portico-0".into(),
        },
        ..RequestMetricsConfig::default()
    }
}

fn encoded(metrics: &RequestMetrics) -> String {
    let mut out = String::new();
    metrics.encode(&mut out);
    out
}

#[test]
fn counts_by_status_and_method_with_ingress_nginx_labels() {
    let metrics = RequestMetrics::new(config());
    let handle = metrics.handle(key(), true).unwrap();
    handle.record(&observation("GET", 200));
    handle.record(&observation("GET", 200));
    handle.record(&observation("POST", 503));
    let text = encoded(&metrics);
    let labels = r#"controller_class="portico.dev/ingress-controller",controller_namespace="ingress",controller_pod="portico-0",ingress="web",namespace="default",service="web-svc",host="web.example",canary="""#;
    let get =
        format!(r#"nginx_ingress_controller_requests{{{labels},status="200",method="GET"}} 2"#);
    assert!(text.contains(&get), "{text}");
    let post =
        format!(r#"nginx_ingress_controller_requests{{{labels},status="503",method="POST"}} 1"#);
    assert!(text.contains(&post), "{text}");
    assert!(text.contains("# TYPE nginx_ingress_controller_requests counter"), "{text}");
    let bucket = format!(
        r#"nginx_ingress_controller_request_duration_seconds_bucket{{{labels},status="200",method="GET",le="0.025"}} 2"#
    );
    assert!(text.contains(&bucket), "{text}");
    assert!(text.contains("nginx_ingress_controller_upstream_latency_seconds_count{"), "{text}");
    assert!(text.contains("nginx_ingress_controller_bytes_sent_sum{"), "{text}");
    assert!(!text.contains("path="), "path is off by default: {text}");
}

#[test]
fn same_labels_share_a_handle_and_unused_handles_are_forgotten() {
    let metrics = RequestMetrics::new(config());
    let a = metrics.handle(key(), true).unwrap();
    let b = metrics.handle(key(), true).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    a.record(&observation("GET", 200));
    drop((a, b));
    assert!(!encoded(&metrics).contains("ingress=\"web\""));
}

#[test]
fn locations_differing_only_in_unlabelled_path_share_a_handle() {
    let metrics = RequestMetrics::new(config());
    let a = metrics.handle(key(), true).unwrap();
    let b = metrics.handle(HandleKey { path: "/other".into(), ..key() }, true).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "no duplicate series without the path label");
}

#[test]
fn unknown_methods_are_other_and_classes_when_asked() {
    let metrics = RequestMetrics::new(RequestMetricsConfig { status_classes: true, ..config() });
    let handle = metrics.handle(key(), true).unwrap();
    handle.record(&observation("BREW", 418));
    let text = encoded(&metrics);
    assert!(text.contains(r#"status="4xx",method="OTHER"} 1"#), "{text}");
}

#[test]
fn path_and_host_labels_follow_the_switches() {
    let metrics =
        RequestMetrics::new(RequestMetricsConfig { per_path: true, per_host: false, ..config() });
    let handle = metrics.handle(key(), false).unwrap();
    handle.record(&observation("GET", 200));
    let text = encoded(&metrics);
    assert!(text.contains(r#"path="/api""#), "{text}");
    assert!(!text.contains("host="), "{text}");
}

#[test]
fn undefined_hosts_are_skipped_by_default() {
    let metrics = RequestMetrics::new(config());
    assert!(metrics.handle(HandleKey::default(), false).is_none());
    let metrics =
        RequestMetrics::new(RequestMetricsConfig { per_undefined_host: true, ..config() });
    assert!(metrics.handle(HandleKey::default(), false).is_some());
}

#[test]
fn excluded_metrics_are_neither_recorded_nor_exported() {
    let excluded = vec![RequestMetric::parse("nginx_ingress_controller_bytes_sent").unwrap()];
    let metrics = RequestMetrics::new(RequestMetricsConfig { excluded, ..config() });
    let handle = metrics.handle(key(), true).unwrap();
    handle.record(&observation("GET", 200));
    let text = encoded(&metrics);
    assert!(!text.contains("bytes_sent"), "{text}");
    assert!(text.contains("nginx_ingress_controller_response_size_count"), "{text}");
}

#[test]
fn a_full_table_overflows_into_status_classes() {
    let metrics = RequestMetrics::new(config());
    let handle = metrics.handle(key(), true).unwrap();
    for status in 200..(200 + SLOTS as u16 + 3) {
        handle.record(&observation("GET", status));
    }
    let text = encoded(&metrics);
    assert!(text.contains(r#"status="2xx",method="OTHER"} 3"#), "{text}");
    let requests = text.lines().filter(|l| l.starts_with("nginx_ingress_controller_requests{"));
    assert_eq!(requests.count(), SLOTS + 1, "{text}");
}

#[test]
fn buckets_are_ingress_nginx_defaults() {
    let metrics = RequestMetrics::new(config());
    let handle = metrics.handle(key(), true).unwrap();
    handle.record(&observation("GET", 200));
    let text = encoded(&metrics);
    assert!(text.contains(r#"nginx_ingress_controller_request_size_bucket{"#), "{text}");
    assert!(text.contains(r#"le="100.0"} 1"#), "{text}");
    assert!(text.contains(r#"le="10000000.0"}"#), "{text}");
}
