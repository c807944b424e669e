//! Backend resolution (§6): ports, slices, readiness, missing objects, ExternalName.

use portico_model::{Backend, Endpoint, LbAlgorithm, Severity, Target};

use super::fixtures::{ingress, service, slice, Port, ServiceBuilder, SliceBuilder, World};
use super::{messages, one_diagnostic, server};
use crate::Compiled;

/// Compiles one Ingress `web` routing `/` of h.io to `svc` port `port`, with the given objects.
fn compile(port: Port, services: Vec<ServiceBuilder>, slices: Vec<SliceBuilder>) -> Compiled {
    let mut world = World::new();
    for s in services {
        world.service(s);
    }
    for s in slices {
        world.slice(s);
    }
    world.ingress(ingress("default", "web").rule("h.io", &[("/", "Prefix", "svc", port)]));
    world.compile()
}

fn the_backend(compiled: &Compiled) -> &Backend {
    let location = &server(compiled, "h.io").locations[0];
    let Target::Backend(id) = location.target() else { panic!("no backend: {location:?}") };
    compiled.table.backend(id).expect("backend id in range")
}

fn endpoints(compiled: &Compiled) -> Vec<String> {
    the_backend(compiled).endpoints.iter().map(Endpoint::to_string).collect()
}

#[test]
fn endpoint_resolution() {
    struct Case {
        name: &'static str,
        port: Port,
        service: ServiceBuilder,
        slices: Vec<SliceBuilder>,
        backend: &'static str,
        endpoints: &'static [&'static str],
    }
    let svc = || service("default", "svc");
    let sl = |name: &str| slice("default", name, "svc");
    let cases = vec![
        Case {
            name: "port by number, named slice port",
            port: Port::N(80),
            service: svc().port("http", 80, 8080).port("admin", 81, 9090),
            slices: vec![sl("s1").port("admin", 9090).port("http", 8080).ready("10.0.0.1")],
            backend: "default-svc-80",
            endpoints: &["10.0.0.1:8080"],
        },
        Case {
            name: "port by name",
            port: Port::Name("admin"),
            service: svc().port("http", 80, 8080).port("admin", 81, 9090),
            slices: vec![sl("s1").port("admin", 9090).port("http", 8080).ready("10.0.0.1")],
            backend: "default-svc-admin",
            endpoints: &["10.0.0.1:9090"],
        },
        Case {
            name: "port by targetPort string, as ingress-nginx",
            port: Port::N(8080),
            service: svc().port("http", 80, 8080),
            slices: vec![sl("s1").port("http", 8080).ready("10.0.0.1")],
            backend: "default-svc-8080",
            endpoints: &["10.0.0.1:8080"],
        },
        Case {
            name: "unnamed service port takes the slice's port",
            port: Port::N(80),
            service: svc().port("", 80, 0),
            slices: vec![sl("s1").port("", 3000).ready("10.0.0.1")],
            backend: "default-svc-80",
            endpoints: &["10.0.0.1:3000"],
        },
        Case {
            name: "slice without ports uses the numeric targetPort",
            port: Port::N(80),
            service: svc().port("http", 80, 8080),
            slices: vec![sl("s1").ready("10.0.0.1")],
            backend: "default-svc-80",
            endpoints: &["10.0.0.1:8080"],
        },
        Case {
            name: "named targetPort resolved through the slice",
            port: Port::N(80),
            service: svc().port_named_target("http", 80, "web"),
            slices: vec![sl("s1").port("http", 8081).ready("10.0.0.1")],
            backend: "default-svc-80",
            endpoints: &["10.0.0.1:8081"],
        },
        Case {
            name: "not ready excluded, unknown readiness kept, UDP ignored, deduped and sorted",
            port: Port::N(80),
            service: svc().port("http", 80, 8080),
            slices: vec![
                sl("s1")
                    .port("http", 8080)
                    .port_proto("http", 5353, "UDP")
                    .endpoint(&["10.0.0.3", "10.0.0.2"], None)
                    .endpoint(&["10.0.0.9"], Some(false)),
                sl("s2").port("http", 8080).ready("10.0.0.2").ready("10.0.0.1"),
                slice("default", "s3", "other").port("http", 8080).ready("10.9.9.9"),
                sl("s4").unlabelled().port("http", 8080).ready("10.8.8.8"),
            ],
            backend: "default-svc-80",
            endpoints: &["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"],
        },
        Case {
            name: "headless services read slices too",
            port: Port::N(80),
            service: svc().headless().port("http", 80, 8080),
            slices: vec![sl("s1").port("http", 8080).ready("fd00::1")],
            backend: "default-svc-80",
            endpoints: &["[fd00::1]:8080"],
        },
        Case {
            name: "ExternalName on the targetPort",
            port: Port::N(80),
            service: svc().external_name("API.example.com.").port("http", 80, 8443),
            slices: vec![],
            backend: "default-svc-80",
            endpoints: &["api.example.com:8443"],
        },
        Case {
            name: "ExternalName without ports takes the Ingress port",
            port: Port::N(8000),
            service: svc().external_name("api.example.com"),
            slices: vec![],
            backend: "default-svc-8000",
            endpoints: &["api.example.com:8000"],
        },
    ];
    for case in cases {
        let compiled = compile(case.port, vec![case.service], case.slices);
        assert_eq!(the_backend(&compiled).name, case.backend, "{}", case.name);
        assert_eq!(endpoints(&compiled), case.endpoints, "{}", case.name);
        assert_eq!(the_backend(&compiled).unavailable, None, "{}", case.name);
        assert!(compiled.diagnostics.is_empty(), "{}: {:?}", case.name, messages(&compiled));
    }
}

#[test]
fn unavailable_backends() {
    // (port, service, field suffix, severity, message)
    let svc = || service("default", "svc");
    let cases = [
        (Port::N(80), None, ".name", Severity::Error, "service default/svc not found"),
        (
            Port::N(9999),
            Some(svc().port("http", 80, 8080)),
            ".port",
            Severity::Error,
            "service default/svc has no port 9999",
        ),
        (
            Port::Name("grpc"),
            Some(svc().port("http", 80, 8080)),
            ".port",
            Severity::Error,
            "has no port grpc",
        ),
        (
            Port::N(80),
            Some(svc().port("http", 80, 8080)),
            "",
            Severity::Warning,
            "has no ready endpoints",
        ),
        (
            Port::N(80),
            Some(svc().external_name("localhost").port("http", 80, 80)),
            ".name",
            Severity::Error,
            "not allowed",
        ),
        (
            Port::N(80),
            Some(svc().external_name("127.0.0.1").port("http", 80, 80)),
            ".name",
            Severity::Error,
            "not allowed",
        ),
    ];
    for (port, service, suffix, severity, message) in cases {
        let not_ready =
            slice("default", "s1", "svc").port("http", 8080).endpoint(&["10.0.0.1"], Some(false));
        let compiled = compile(port, service.into_iter().collect(), vec![not_ready]);
        let backend = the_backend(&compiled);
        assert!(backend.endpoints.is_empty(), "{message}");
        assert!(
            backend.unavailable.as_deref().unwrap_or_default().contains(message),
            "{backend:?}"
        );
        let d = one_diagnostic(&compiled, message);
        assert_eq!(d.severity, severity, "{message}");
        assert_eq!(
            d.field.as_deref(),
            Some(format!("spec.rules[0].http.paths[0].backend.service{suffix}").as_str())
        );
        assert_eq!(
            d.object.as_ref().map(|o| o.to_string()).as_deref(),
            Some("Ingress default/web")
        );
    }
}

#[test]
fn backends_are_shared_and_keep_the_first_algorithm() {
    let mut world = World::new();
    world.backend("default", "svc", "10.0.0.1");
    world.ingress(
        ingress("default", "old")
            .created(1)
            .nginx("load-balance", "ewma")
            .rule("a.io", &[("/", "Prefix", "svc", Port::N(80))]),
    );
    world.ingress(ingress("default", "new").created(2).nginx("load-balance", "lc").rule(
        "b.io",
        &[("/x", "Prefix", "svc", Port::N(80)), ("/y", "Prefix", "svc", Port::Name("http"))],
    ));
    let compiled = world.compile();
    let names: Vec<(&str, LbAlgorithm)> =
        compiled.table.backends.iter().map(|b| (b.name.as_str(), b.algorithm)).collect();
    assert_eq!(
        names,
        [
            ("default-svc-80", LbAlgorithm::RoundRobin),
            ("default-svc-http", LbAlgorithm::LeastConnections)
        ]
    );
    let targets =
        |host| server(&compiled, host).locations.iter().map(|l| l.target()).collect::<Vec<_>>();
    assert_eq!(
        targets("a.io")[0],
        targets("b.io")[1],
        "/ of a.io and /x of b.io share default-svc-80"
    );
}

#[test]
fn one_diagnostic_per_ingress_for_a_missing_service() {
    let mut world = World::new();
    for name in ["a", "b"] {
        world.ingress(ingress("default", name).rule(
            &format!("{name}.io"),
            &[("/x", "Prefix", "gone", Port::N(80)), ("/y", "Prefix", "gone", Port::N(80))],
        ));
    }
    let compiled = world.compile();
    let owners: Vec<_> =
        compiled.diagnostics.iter().map(|d| d.object.clone().map(|o| o.name)).collect();
    assert_eq!(owners, [Some("b".to_string()), Some("a".to_string())], "{:?}", messages(&compiled));
}
