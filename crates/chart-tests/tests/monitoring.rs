//! The monitoring objects: the Grafana dashboard ConfigMap and the PrometheusRule, off by
//! default, rendered from `files/` unchanged when enabled (`ci/monitoring-values.yaml`).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_chart_tests::{Object, Scenario};
use serde_json::Value;

fn load(name: &str) -> Scenario {
    Scenario::load(name).unwrap_or_else(|e| panic!("{e}"))
}

fn untyped<'a>(s: &'a Scenario, kind: &str) -> Vec<&'a Value> {
    s.objects
        .iter()
        .filter_map(|o| match o {
            Object::Untyped { kind: k, value } if k == kind => Some(value),
            _ => None,
        })
        .collect()
}

fn dashboards(s: &Scenario) -> Vec<&k8s_openapi::api::core::v1::ConfigMap> {
    s.of(Object::as_config_map)
        .into_iter()
        .filter(|cm| {
            cm.metadata.labels.as_ref().is_some_and(|l| l.contains_key("grafana_dashboard"))
        })
        .collect()
}

#[test]
fn default_renders_no_dashboard_and_no_rules() {
    let s = load("default");
    assert!(dashboards(&s).is_empty());
    assert!(untyped(&s, "PrometheusRule").is_empty());
}

#[test]
fn dashboard_configmap_is_labelled_for_the_sidecar_and_holds_the_dashboard() {
    let s = load("monitoring");
    let found = dashboards(&s);
    assert_eq!(found.len(), 1);
    let cm = found[0];
    let labels = cm.metadata.labels.as_ref().unwrap();
    assert_eq!(labels.get("grafana_dashboard").map(String::as_str), Some("1"));
    let annotations = cm.metadata.annotations.as_ref().unwrap();
    assert_eq!(annotations.get("grafana_folder").map(String::as_str), Some("Ingress"));
    let json = cm.data.as_ref().and_then(|d| d.get("portico.json")).expect("portico.json");
    let dashboard: Value = serde_json::from_str(json).expect("the dashboard is JSON");
    let shipped = std::fs::read_to_string(
        portico_chart_tests::workspace_root().join("charts/portico/files/grafana-dashboard.json"),
    )
    .unwrap();
    assert_eq!(dashboard, serde_json::from_str::<Value>(&shipped).unwrap(), "rendered unchanged");
    assert!(dashboard["panels"].as_array().is_some_and(|p| p.len() > 5), "{dashboard}");
}

#[test]
fn prometheus_rule_carries_the_alerts_and_prometheus_templates_unchanged() {
    let s = load("monitoring");
    let rules = untyped(&s, "PrometheusRule");
    assert_eq!(rules.len(), 1);
    let rule = rules[0];
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["metadata"]["labels"]["release"], "prometheus");
    let alerts: Vec<&Value> = rule["spec"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    let names: Vec<&str> = alerts.iter().filter_map(|a| a["alert"].as_str()).collect();
    for expected in [
        "PorticoIngressHigh5xxRatio",
        "PorticoCertificateExpiresSoon",
        "PorticoConfigReloadFailed",
        "PorticoTableRebuildErrors",
        "PorticoWatchRestarts",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let summary = alerts[0]["annotations"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("{{ $labels.ingress }}"),
        "Helm left Prometheus' templates: {summary}"
    );
    let expiry = alerts.iter().find(|a| a["alert"] == "PorticoCertificateExpiresSoon").unwrap();
    assert!(expiry["expr"].as_str().unwrap().contains("14 * 24 * 3600"));
}

fn controller_args(s: &Scenario) -> Vec<String> {
    let deployment = s.one("Deployment", Object::as_deployment);
    let pod = deployment.spec.template.spec.as_ref().expect("pod spec");
    pod.containers[0].args.clone().unwrap_or_default()
}

#[test]
fn metrics_flags_render_only_when_not_ingress_nginx_s_defaults() {
    let default = controller_args(&load("default"));
    let metrics_flags: Vec<&String> =
        default.iter().filter(|a| a.contains("metrics-per") || a.contains("buckets")).collect();
    assert!(metrics_flags.is_empty(), "{metrics_flags:?}");
    let args = controller_args(&load("monitoring"));
    for expected in [
        "--metrics-per-path=true",
        "--report-status-classes=true",
        "--exclude-socket-metrics=nginx_ingress_controller_bytes_sent",
        "--time-buckets=0.01,0.1,1,10",
    ] {
        assert!(args.iter().any(|a| a == expected), "{expected} in {args:?}");
    }
}
