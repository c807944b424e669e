//! What the chart must render, for the default values and each `ci/*-values.yaml` scenario.
//! Objects are typed (k8s-openapi) and strictly parsed by `portico_chart_tests`; the release is
//! `portico` in namespace `portico`, so the fullname is `portico`.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Container, PodSpec, Service};
use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use portico_chart_tests::{Object, Scenario};

const SCENARIOS: &[&str] =
    &["daemonset", "default", "hpa", "loadbalancer", "monitoring", "namespaced", "nodeport"];

/// Flags of `portico serve`: the foundation contract plus those cluster mode adds.
const SERVE_FLAGS: &[&str] = &[
    "--manifests",
    "--http-addr",
    "--https-addr",
    "--admin-addr",
    "--ingress-class",
    "--controller-class",
    "--watch-ingress-without-class",
    "--annotations-prefix",
    "--configmap",
    "--default-backend-service",
    "--log-format",
    "--shutdown-grace-secs",
    "--kubeconfig",
    "--watch-namespace",
    "--publish-service",
    "--publish-status-address",
    "--election-id",
    "--default-ssl-certificate",
    "--metrics-per-host",
    "--metrics-per-undefined-host",
    "--metrics-per-path",
    "--report-status-classes",
    "--exclude-socket-metrics",
    "--time-buckets",
    "--length-buckets",
    "--size-buckets",
];

fn load(name: &str) -> Scenario {
    Scenario::load(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The pod spec of the one Deployment or DaemonSet.
fn pod(s: &Scenario) -> &PodSpec {
    let deployments = s.of(Object::as_deployment);
    let daemonsets = s.of(Object::as_daemonset);
    let template = match (deployments.as_slice(), daemonsets.as_slice()) {
        ([d], []) => &spec_of_deployment(d).template,
        ([], [d]) => &spec_of_daemonset(d).template,
        (d, ds) => panic!("{}: {} Deployments and {} DaemonSets", s.name, d.len(), ds.len()),
    };
    template.spec.as_ref().expect("pod template has a spec")
}

fn spec_of_deployment(d: &Deployment) -> &k8s_openapi::api::apps::v1::DeploymentSpec {
    &d.spec
}

fn spec_of_daemonset(d: &DaemonSet) -> &k8s_openapi::api::apps::v1::DaemonSetSpec {
    &d.spec
}

fn controller(s: &Scenario) -> &Container {
    match pod(s).containers.as_slice() {
        [c] => c,
        other => panic!("{}: expected one container, found {}", s.name, other.len()),
    }
}

fn args(s: &Scenario) -> Vec<&str> {
    controller(s).args.iter().flatten().map(String::as_str).collect()
}

/// The value of `--flag=value` in the controller's args.
fn flag<'a>(s: &'a Scenario, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}=");
    let values: Vec<_> = args(s).into_iter().filter_map(|a| a.strip_prefix(&prefix)).collect();
    assert!(values.len() <= 1, "{}: {name} given {} times", s.name, values.len());
    values.first().copied()
}

fn has_switch(s: &Scenario, name: &str) -> bool {
    args(s).contains(&name)
}

fn service<'a>(s: &'a Scenario, name: &str) -> &'a Service {
    s.of(Object::as_service)
        .into_iter()
        .find(|svc| svc.metadata.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{}: no Service {name}", s.name))
}

fn container_port(s: &Scenario, name: &str) -> i32 {
    controller(s)
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{}: no container port {name}", s.name))
        .container_port
}

/// (apiGroup, resource, verb) of every rule, with the names a rule is limited to.
fn grants(rules: &[PolicyRule]) -> BTreeSet<(String, String, String, Vec<String>)> {
    let mut out = BTreeSet::new();
    for rule in rules {
        let names = rule.resource_names.clone().unwrap_or_default();
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                for verb in &rule.verbs {
                    out.insert((group.clone(), resource.clone(), verb.clone(), names.clone()));
                }
            }
        }
    }
    out
}

fn grant(
    group: &str,
    resources: &[&str],
    verbs: &[&str],
) -> Vec<(String, String, String, Vec<String>)> {
    grant_named(group, resources, verbs, &[])
}

fn grant_named(
    group: &str,
    resources: &[&str],
    verbs: &[&str],
    names: &[&str],
) -> Vec<(String, String, String, Vec<String>)> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    resources
        .iter()
        .flat_map(|r| verbs.iter().map(move |v| (r, v)))
        .map(|(r, v)| (group.to_owned(), r.to_string(), v.to_string(), names.clone()))
        .collect()
}

/// What the controller needs on the namespaced kinds, wherever they are granted.
fn namespaced_grants() -> BTreeSet<(String, String, String, Vec<String>)> {
    [
        grant("", &["configmaps", "secrets", "services"], &["list", "watch"]),
        grant("discovery.k8s.io", &["endpointslices"], &["list", "watch"]),
        grant("networking.k8s.io", &["ingresses"], &["list", "watch"]),
        grant("networking.k8s.io", &["ingresses/status"], &["update"]),
        grant("", &["events"], &["create", "patch"]),
        grant("events.k8s.io", &["events"], &["create", "patch"]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn cluster_only_grants() -> BTreeSet<(String, String, String, Vec<String>)> {
    [
        grant("networking.k8s.io", &["ingressclasses"], &["list", "watch"]),
        grant("", &["nodes"], &["get"]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn lease_grants(election_id: &str) -> BTreeSet<(String, String, String, Vec<String>)> {
    [
        grant("coordination.k8s.io", &["leases"], &["create"]),
        grant_named("coordination.k8s.io", &["leases"], &["get", "update"], &[election_id]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

// --- every scenario ---

#[test]
fn every_scenario_is_rendered_and_parses_strictly() {
    let mut names = Vec::new();
    let mut errors = Vec::new();
    for scenario in Scenario::all() {
        match scenario {
            Ok(s) => names.push(s.name),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "rendered objects that are not valid:\n{}", errors.join("\n"));
    for expected in SCENARIOS {
        assert!(names.iter().any(|n| n == expected), "scenario {expected} not rendered: {names:?}");
    }
}

#[test]
fn every_object_is_labelled_named_and_unique() {
    for name in SCENARIOS {
        let s = load(name);
        let mut seen = BTreeSet::new();
        for object in &s.objects {
            let Some(meta) = object.metadata() else { continue };
            let id = format!("{} {:?}/{:?}", object.kind(), meta.namespace, meta.name);
            assert!(seen.insert(id.clone()), "{name}: {id} rendered twice");
            let obj_name = meta.name.as_deref().unwrap_or_default();
            assert!(!obj_name.is_empty() && obj_name.len() <= 63, "{name}: {id}: bad name");
            let labels = meta.labels.clone().unwrap_or_default();
            for key in [
                "app.kubernetes.io/name",
                "app.kubernetes.io/instance",
                "app.kubernetes.io/managed-by",
                "helm.sh/chart",
            ] {
                assert!(labels.contains_key(key), "{name}: {id} lacks label {key}");
            }
            let cluster_scoped =
                matches!(object.kind(), "ClusterRole" | "ClusterRoleBinding" | "IngressClass");
            assert_eq!(meta.namespace.is_none(), cluster_scoped, "{name}: {id}: namespace");
        }
    }
}

#[test]
fn every_arg_is_a_known_flag_and_every_variable_is_defined() {
    for name in SCENARIOS {
        let s = load(name);
        let args = args(&s);
        assert_eq!(args.first(), Some(&"serve"), "{name}: {args:?}");
        for arg in &args[1..] {
            let flag = arg.split('=').next().unwrap_or_default();
            assert!(SERVE_FLAGS.contains(&flag), "{name}: unknown flag {arg}");
        }
        let env: Vec<&str> = controller(&s).env.iter().flatten().map(|e| e.name.as_str()).collect();
        for arg in &args {
            if let Some((_, rest)) = arg.split_once("$(") {
                let var = rest.split(')').next().unwrap_or_default();
                assert!(env.contains(&var), "{name}: {arg} uses ${var}, not in the env {env:?}");
            }
        }
        let pod_namespace = controller(&s).env.iter().flatten().find(|e| e.name == "POD_NAMESPACE");
        let field = pod_namespace.and_then(|e| e.value_from.as_ref()?.field_ref.as_ref());
        assert_eq!(field.map(|f| f.field_path.as_str()), Some("metadata.namespace"), "{name}");
    }
}

#[test]
fn the_container_is_locked_down_and_binds_low_ports_only_with_net_bind_service() {
    for name in SCENARIOS {
        let s = load(name);
        let pod_sc = pod(&s).security_context.as_ref().expect("pod securityContext");
        assert_eq!(pod_sc.run_as_non_root, Some(true), "{name}");
        let sc = controller(&s).security_context.as_ref().expect("container securityContext");
        assert_eq!(sc.run_as_non_root, Some(true), "{name}");
        assert_eq!(sc.run_as_user, Some(65532), "{name}");
        assert_eq!(sc.read_only_root_filesystem, Some(true), "{name}");
        assert_eq!(sc.allow_privilege_escalation, Some(false), "{name}");
        assert_eq!(sc.privileged, None, "{name}");
        let caps = sc.capabilities.as_ref().expect("capabilities");
        assert_eq!(caps.drop.as_deref(), Some(&["ALL".to_owned()][..]), "{name}");
        let low_port = ["http", "https", "metrics"].iter().any(|p| container_port(&s, p) < 1024);
        let expected_add = low_port.then(|| vec!["NET_BIND_SERVICE".to_owned()]);
        assert_eq!(caps.add, expected_add, "{name}: NET_BIND_SERVICE only with a port below 1024");
    }
}

#[test]
fn tmp_is_writable_for_buffered_request_bodies() {
    for name in SCENARIOS {
        let s = load(name);
        let mounts = controller(&s).volume_mounts.as_deref().unwrap_or_default();
        let tmp = mounts.iter().find(|m| m.mount_path == "/tmp").expect("/tmp mounted");
        assert_ne!(tmp.read_only, Some(true), "{name}");
        let volumes = pod(&s).volumes.as_deref().unwrap_or_default();
        let volume = volumes.iter().find(|v| v.name == tmp.name).expect("its volume");
        assert!(volume.empty_dir.is_some(), "{name}: an emptyDir");
    }
}

#[test]
fn probes_hit_healthz_and_readyz_on_the_admin_port() {
    for name in SCENARIOS {
        let s = load(name);
        let c = controller(&s);
        assert_eq!(container_port(&s, "metrics"), 10254, "{name}");
        assert_eq!(flag(&s, "--admin-addr"), Some("0.0.0.0:10254"), "{name}");
        for (probe, path) in [(&c.liveness_probe, "/healthz"), (&c.readiness_probe, "/readyz")] {
            let get = probe.as_ref().and_then(|p| p.http_get.as_ref()).expect("httpGet probe");
            assert_eq!(get.path.as_deref(), Some(path), "{name}");
            assert_eq!(get.port, IntOrString::String("metrics".into()), "{name}");
        }
    }
}

#[test]
fn listeners_match_container_ports_and_service_targets() {
    for name in SCENARIOS {
        let s = load(name);
        for (port, flag_name) in [("http", "--http-addr"), ("https", "--https-addr")] {
            let addr = format!("0.0.0.0:{}", container_port(&s, port));
            assert_eq!(flag(&s, flag_name), Some(addr.as_str()), "{name}");
        }
        let svc = service(&s, "portico");
        let spec = svc.spec.as_ref().expect("spec");
        let ports = spec.ports.as_deref().unwrap_or_default();
        let by_name = |n: &str| ports.iter().find(|p| p.name.as_deref() == Some(n)).expect("port");
        assert_eq!((by_name("http").port, by_name("https").port), (80, 443), "{name}");
        assert_eq!(by_name("http").target_port, Some(IntOrString::String("http".into())), "{name}");
        assert_eq!(
            by_name("https").target_port,
            Some(IntOrString::String("https".into())),
            "{name}"
        );
        assert!(
            ports.iter().all(|p| p.port != 10254),
            "{name}: the proxy Service exposes the admin port"
        );
        let metrics = service(&s, "portico-metrics").spec.as_ref().expect("spec");
        assert_eq!(metrics.type_.as_deref(), Some("ClusterIP"), "{name}");
        // The Service and the pods agree on the selector.
        let selector = spec.selector.clone().unwrap_or_default();
        let pod_labels = s
            .of(Object::as_deployment)
            .first()
            .map(|d| spec_of_deployment(d).template.metadata.clone())
            .or_else(|| {
                s.of(Object::as_daemonset)
                    .first()
                    .map(|d| spec_of_daemonset(d).template.metadata.clone())
            })
            .flatten()
            .and_then(|m| m.labels)
            .unwrap_or_default();
        assert!(!selector.is_empty(), "{name}");
        assert!(
            selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)),
            "{name}: selector {selector:?}"
        );
    }
}

#[test]
fn flags_point_at_the_objects_the_chart_renders() {
    for name in SCENARIOS {
        let s = load(name);
        // The controller's ConfigMap; the Grafana dashboard's (`grafana_dashboard`) is another.
        let settings: Vec<_> = s
            .of(Object::as_config_map)
            .into_iter()
            .filter(|cm| {
                cm.metadata.labels.as_ref().is_none_or(|l| !l.contains_key("grafana_dashboard"))
            })
            .collect();
        assert_eq!(settings.len(), 1, "{name}: one controller ConfigMap");
        let config_map = settings[0];
        assert_eq!(flag(&s, "--configmap"), Some("$(POD_NAMESPACE)/portico"), "{name}");
        assert_eq!(config_map.metadata.name.as_deref(), Some("portico"), "{name}");
        let election_id = flag(&s, "--election-id").expect("--election-id");
        let lease_role = s
            .of(Object::as_role)
            .into_iter()
            .find(|r| r.metadata.namespace.as_deref() == Some("portico"))
            .expect("Role in the release namespace");
        let rules = lease_role.rules.as_deref().unwrap_or_default();
        assert!(
            grants(rules).is_superset(&lease_grants(election_id)),
            "{name}: Lease {election_id}"
        );
        if let Some(target) = flag(&s, "--publish-service") {
            assert_eq!(target, "$(POD_NAMESPACE)/portico", "{name}");
        }
        let sa = s.one("ServiceAccount", Object::as_service_account);
        assert_eq!(pod(&s).service_account_name, sa.metadata.name, "{name}");
    }
}

// --- the default values ---

#[test]
fn default_is_one_deployment_behind_a_node_port_service() {
    let s = load("default");
    assert!(s.of(Object::as_daemonset).is_empty());
    assert!(s.of(Object::as_horizontal_pod_autoscaler).is_empty());
    assert!(s.of(Object::as_pod_disruption_budget).is_empty(), "no PDB for one replica");
    let d = s.one("Deployment", Object::as_deployment);
    let spec = spec_of_deployment(d);
    assert_eq!(spec.replicas, Some(1));
    let strategy = spec.strategy.as_ref().expect("strategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    let rolling = strategy.rolling_update.as_ref().expect("rollingUpdate");
    assert_eq!(rolling.max_unavailable, Some(IntOrString::Int(0)));
    assert_eq!(rolling.max_surge, Some(IntOrString::Int(1)));

    let svc = service(&s, "portico").spec.as_ref().expect("spec");
    assert_eq!(svc.type_.as_deref(), Some("NodePort"));
    assert!(
        svc.ports.iter().flatten().all(|p| p.node_port.is_none()),
        "node ports left to Kubernetes"
    );
    assert_eq!(svc.external_traffic_policy, None);
    assert_eq!((container_port(&s, "http"), container_port(&s, "https")), (8080, 8443));

    assert_eq!(
        args(&s),
        [
            "serve",
            "--http-addr=0.0.0.0:8080",
            "--https-addr=0.0.0.0:8443",
            "--admin-addr=0.0.0.0:10254",
            "--ingress-class=portico",
            "--controller-class=portico.dev/ingress-controller",
            "--annotations-prefix=nginx.ingress.kubernetes.io",
            "--configmap=$(POD_NAMESPACE)/portico",
            "--publish-service=$(POD_NAMESPACE)/portico",
            "--election-id=portico-leader",
            "--log-format=json",
            "--shutdown-grace-secs=10",
        ]
    );
}

#[test]
fn default_ingress_class_is_portico_and_not_the_cluster_default() {
    let s = load("default");
    let class = s.one("IngressClass", Object::as_ingress_class);
    assert_eq!(class.metadata.name.as_deref(), Some("portico"));
    let controller = class.spec.as_ref().and_then(|s| s.controller.as_deref());
    assert_eq!(controller, Some("portico.dev/ingress-controller"));
    let annotations = class.metadata.annotations.clone().unwrap_or_default();
    assert!(!annotations.contains_key("ingressclass.kubernetes.io/is-default-class"));
}

#[test]
fn default_rbac_is_cluster_wide_with_exactly_the_verbs_needed() {
    let s = load("default");
    let cluster_role = s.one("ClusterRole", Object::as_cluster_role);
    let expected: BTreeSet<_> =
        namespaced_grants().union(&cluster_only_grants()).cloned().collect();
    assert_eq!(grants(cluster_role.rules.as_deref().unwrap_or_default()), expected);
    let role = s.one("Role", Object::as_role);
    assert_eq!(grants(role.rules.as_deref().unwrap_or_default()), lease_grants("portico-leader"));

    let binding = s.one("ClusterRoleBinding", Object::as_cluster_role_binding);
    assert_eq!(binding.role_ref.kind, "ClusterRole");
    assert_eq!(Some(binding.role_ref.name.as_str()), cluster_role.metadata.name.as_deref());
    let role_binding = s.one("RoleBinding", Object::as_role_binding);
    assert_eq!(
        (role_binding.role_ref.kind.as_str(), role_binding.role_ref.name.as_str()),
        ("Role", "portico")
    );
    for subjects in [&binding.subjects, &role_binding.subjects] {
        let subject = &subjects.as_deref().expect("subjects")[0];
        assert_eq!(
            (subject.kind.as_str(), subject.name.as_str(), subject.namespace.as_deref()),
            ("ServiceAccount", "portico", Some("portico"))
        );
    }
}

// --- the scenarios ---

#[test]
fn nodeport_scenario_fixes_the_node_ports_and_adds_a_pdb() {
    let s = load("nodeport");
    let svc = service(&s, "portico").spec.as_ref().expect("spec");
    assert_eq!(svc.type_.as_deref(), Some("NodePort"));
    assert_eq!(svc.external_traffic_policy.as_deref(), Some("Local"));
    let node_ports: Vec<_> = svc
        .ports
        .iter()
        .flatten()
        .map(|p| (p.name.clone().unwrap_or_default(), p.node_port))
        .collect();
    assert_eq!(node_ports, [("http".to_owned(), Some(30080)), ("https".to_owned(), Some(30443))]);
    let pdb = s.one("PodDisruptionBudget", Object::as_pod_disruption_budget);
    assert_eq!(pdb.spec.as_ref().and_then(|s| s.min_available.clone()), Some(IntOrString::Int(1)));
}

#[test]
fn loadbalancer_scenario_passes_the_load_balancer_settings_and_config() {
    let s = load("loadbalancer");
    let svc = service(&s, "portico");
    let spec = svc.spec.as_ref().expect("spec");
    assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
    assert_eq!(spec.load_balancer_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(spec.load_balancer_source_ranges.as_ref().map(Vec::len), Some(2));
    assert!(svc
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("service.beta.kubernetes.io/aws-load-balancer-type")));
    let data = s.one("ConfigMap", Object::as_config_map).data.clone().unwrap_or_default();
    assert_eq!(data.get("proxy-body-size").map(String::as_str), Some("8m"));
    assert_eq!(data.get("proxy-read-timeout").map(String::as_str), Some("120"));
    assert_eq!(data.get("use-forwarded-headers").map(String::as_str), Some("true"));
    assert_eq!(flag(&s, "--default-ssl-certificate"), Some("$(POD_NAMESPACE)/wildcard-tls"));
    let monitors: Vec<_> = s.objects.iter().filter(|o| o.kind() == "ServiceMonitor").collect();
    assert_eq!(monitors.len(), 1);
}

#[test]
fn daemonset_scenario_runs_one_pod_per_node_on_privileged_ports() {
    let s = load("daemonset");
    assert!(s.of(Object::as_deployment).is_empty());
    let ds = s.one("DaemonSet", Object::as_daemonset);
    let strategy = spec_of_daemonset(ds).update_strategy.as_ref().expect("updateStrategy");
    assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
    assert_eq!((container_port(&s, "http"), container_port(&s, "https")), (80, 443));
    let caps = controller(&s)
        .security_context
        .as_ref()
        .and_then(|c| c.capabilities.as_ref())
        .expect("caps");
    assert_eq!(caps.add.as_deref(), Some(&["NET_BIND_SERVICE".to_owned()][..]));
    // Claiming ingress-nginx's class, whose IngressClass the old release owns.
    assert!(s.of(Object::as_ingress_class).is_empty());
    assert_eq!(flag(&s, "--ingress-class"), Some("nginx"));
    assert_eq!(flag(&s, "--controller-class"), Some("k8s.io/ingress-nginx"));
    assert!(has_switch(&s, "--watch-ingress-without-class"));
    let pdb = s.one("PodDisruptionBudget", Object::as_pod_disruption_budget);
    assert_eq!(
        pdb.spec.as_ref().and_then(|s| s.max_unavailable.clone()),
        Some(IntOrString::Int(1))
    );
}

#[test]
fn hpa_scenario_scales_the_deployment_on_cpu_and_memory() {
    let s = load("hpa");
    let d = s.one("Deployment", Object::as_deployment);
    assert_eq!(spec_of_deployment(d).replicas, None, "the HPA owns the replica count");
    let hpa = s.one("HorizontalPodAutoscaler", Object::as_horizontal_pod_autoscaler);
    let spec = &hpa.spec;
    assert_eq!(
        (spec.scale_target_ref.kind.as_str(), spec.scale_target_ref.name.as_str()),
        ("Deployment", "portico")
    );
    assert_eq!((spec.min_replicas, spec.max_replicas), (Some(3), 12));
    let targets: Vec<_> = spec
        .metrics
        .iter()
        .flatten()
        .filter_map(|m| m.resource.as_ref())
        .map(|r| (r.name.as_str(), r.target.type_.as_str(), r.target.average_utilization))
        .collect();
    assert_eq!(targets, [("cpu", "Utilization", Some(60)), ("memory", "Utilization", Some(75))]);
    assert!(spec.behavior.is_some());
    assert_eq!(s.of(Object::as_pod_disruption_budget).len(), 1, "minReplicas > 1 needs a PDB");
    let class = s.one("IngressClass", Object::as_ingress_class);
    let annotations = class.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        annotations.get("ingressclass.kubernetes.io/is-default-class").map(String::as_str),
        Some("true")
    );
}

#[test]
fn namespaced_scenario_grants_namespaced_kinds_in_that_namespace_only() {
    let s = load("namespaced");
    assert_eq!(flag(&s, "--watch-namespace"), Some("team-a"));
    let cluster_role = s.one("ClusterRole", Object::as_cluster_role);
    assert_eq!(grants(cluster_role.rules.as_deref().unwrap_or_default()), cluster_only_grants());

    let role_in = |ns: &str| {
        s.of(Object::as_role)
            .into_iter()
            .find(|r| r.metadata.namespace.as_deref() == Some(ns))
            .unwrap_or_else(|| panic!("no Role in {ns}"))
    };
    let watched = role_in("team-a");
    assert_eq!(grants(watched.rules.as_deref().unwrap_or_default()), namespaced_grants());
    // Its own namespace: the Lease, plus its ConfigMap, Service (with its EndpointSlices) and
    // default certificate.
    let own = role_in("portico");
    let mut expected = lease_grants("portico-team-a");
    expected.extend(grant("", &["configmaps", "secrets", "services"], &["list", "watch"]));
    expected.extend(grant("discovery.k8s.io", &["endpointslices"], &["list", "watch"]));
    assert_eq!(grants(own.rules.as_deref().unwrap_or_default()), expected);

    let binding = s
        .of(Object::as_role_binding)
        .into_iter()
        .find(|b| b.metadata.namespace.as_deref() == Some("team-a"))
        .expect("RoleBinding in team-a");
    assert_eq!(Some(binding.role_ref.name.as_str()), watched.metadata.name.as_deref());
    let subject = &binding.subjects.as_deref().expect("subjects")[0];
    assert_eq!((subject.name.as_str(), subject.namespace.as_deref()), ("portico", Some("portico")));
    assert_eq!(
        service(&s, "portico").spec.as_ref().and_then(|s| s.type_.as_deref()),
        Some("ClusterIP")
    );
}
