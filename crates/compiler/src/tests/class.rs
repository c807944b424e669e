//! Ingress class selection (§4.5 as adapted by issue 2).

use super::fixtures::{ingress, options, Port, World};

#[test]
fn selects_by_field_annotation_or_nothing() {
    struct Case {
        name: &'static str,
        field: Option<&'static str>,
        annotation: Option<&'static str>,
        watch_without_class: bool,
        ours: bool,
    }
    let cases = [
        Case {
            name: "field by name",
            field: Some("portico"),
            annotation: None,
            watch_without_class: false,
            ours: true,
        },
        Case {
            name: "field via IngressClass controller",
            field: Some("mine"),
            annotation: None,
            watch_without_class: false,
            ours: true,
        },
        Case {
            name: "field via foreign IngressClass",
            field: Some("theirs"),
            annotation: None,
            watch_without_class: false,
            ours: false,
        },
        Case {
            name: "field naming no class",
            field: Some("nginx"),
            annotation: None,
            watch_without_class: true,
            ours: false,
        },
        Case {
            name: "field wins over matching annotation",
            field: Some("nginx"),
            annotation: Some("portico"),
            watch_without_class: false,
            ours: false,
        },
        Case {
            name: "field wins over foreign annotation",
            field: Some("portico"),
            annotation: Some("nginx"),
            watch_without_class: false,
            ours: true,
        },
        Case {
            name: "annotation matches",
            field: None,
            annotation: Some("portico"),
            watch_without_class: false,
            ours: true,
        },
        Case {
            name: "annotation foreign",
            field: None,
            annotation: Some("nginx"),
            watch_without_class: true,
            ours: false,
        },
        Case {
            name: "annotation empty",
            field: None,
            annotation: Some(""),
            watch_without_class: true,
            ours: false,
        },
        Case {
            name: "no class, not watched",
            field: None,
            annotation: None,
            watch_without_class: false,
            ours: false,
        },
        Case {
            name: "no class, watched",
            field: None,
            annotation: None,
            watch_without_class: true,
            ours: true,
        },
    ];
    for case in cases {
        let mut world = World::new();
        world.ingress_class("mine", "portico.dev/ingress-controller");
        world.ingress_class("theirs", "k8s.io/ingress-nginx");
        let mut ing = ingress("default", "web")
            .class(case.field)
            .rule("a.example.com", &[("/", "Prefix", "web", Port::N(80))]);
        if let Some(value) = case.annotation {
            ing = ing.annotation("kubernetes.io/ingress.class", value);
        }
        world.ingress(ing);
        world.options = Some(crate::Options {
            watch_ingress_without_class: case.watch_without_class,
            ..options()
        });
        let compiled = world.compile();
        let served = !compiled.table.servers.is_empty();
        assert_eq!(served, case.ours, "{}", case.name);
        assert_eq!(compiled.stats.ingresses_ignored, usize::from(!case.ours), "{}", case.name);
        if !case.ours {
            let unrelated: Vec<_> =
                compiled.diagnostics.iter().filter(|d| d.object.is_some()).collect();
            assert!(unrelated.is_empty(), "{}: not-ours is silent: {unrelated:?}", case.name);
        }
    }
}

#[test]
fn custom_ingress_class_name() {
    let mut world = World::new();
    world.ingress(ingress("default", "a").class(Some("edge")).rule("a.io", &[]));
    world.ingress(ingress("default", "b").class(Some("portico")).rule("b.io", &[]));
    world.options = Some(crate::Options { ingress_class: "edge".to_string(), ..options() });
    let compiled = world.compile();
    let hosts: Vec<String> = compiled.table.servers.iter().map(|s| s.host.to_string()).collect();
    assert_eq!(hosts, ["a.io"]);
}
