//! Incremental builds equal full builds: after any sequence of changes, a compiler reusing its
//! caches gives exactly what one that re-extracts everything gives (same history, so the same
//! last good versions).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use portico_store::{ObjectKey, Sourced};
use proptest::prelude::*;

use super::fixtures::{ingress, options, Port, World};
use crate::{Compiler, Options};

/// One change to the objects.
#[derive(Debug, Clone)]
enum Change {
    /// Ingress `i` (re)written: host index, paths, annotation choice, service.
    Put {
        i: usize,
        host: usize,
        paths: Vec<usize>,
        annotation: usize,
        service: usize,
    },
    Remove {
        i: usize,
    },
    /// The ConfigMap's `load-balance` (index into [`BALANCE`]).
    Config {
        balance: usize,
    },
    /// The same objects again (nothing changed).
    Same,
}

const BALANCE: [&str; 3] = ["round_robin", "ewma", "bogus"];
/// `(annotation, value)` of a change; `auth-type: Basic` is invalid (the Ingress is not
/// loaded and its last good version serves).
const ANNOTATIONS: [Option<(&str, &str)>; 5] = [
    None,
    Some(("rewrite-target", "/")),
    Some(("auth-type", "Basic")),
    Some(("canary", "true")),
    Some(("server-alias", "h0.io")),
];

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        6 => (0..6usize, 0..4usize, prop::collection::vec(0..4usize, 0..3), 0..5usize, 0..2usize)
            .prop_map(|(i, host, paths, annotation, service)| {
                Change::Put { i, host, paths, annotation, service }
            }),
        2 => (0..6usize).prop_map(|i| Change::Remove { i }),
        1 => (0..3usize).prop_map(|balance| Change::Config { balance }),
        1 => Just(Change::Same),
    ]
}

fn apply(world: &mut World, change: &Change) {
    match change {
        Change::Put { i, host, paths, annotation, service } => {
            let service = ["a", "b"][*service];
            let paths: Vec<String> = paths.iter().map(|p| format!("/p{p}")).collect();
            let rule: Vec<_> =
                paths.iter().map(|p| (p.as_str(), "Prefix", service, Port::N(80))).collect();
            let mut built = ingress("default", &format!("i{i}")).created(*i as i64 % 3);
            if let Some((name, value)) = ANNOTATIONS[*annotation] {
                built = built.nginx(name, value);
            }
            world.ingress(built.rule(&format!("h{host}.io"), &rule));
        }
        Change::Remove { i } => {
            world.objects.ingresses.remove(&ObjectKey::new("default", format!("i{i}")));
        }
        Change::Config { balance } => {
            let data =
                BTreeMap::from([("load-balance".to_string(), BALANCE[*balance].to_string())]);
            let cm = ConfigMap { data: Some(data), ..Default::default() };
            let key = ObjectKey::new("ingress", "portico");
            world.objects.config_maps.insert(key, Sourced::new(cm, Some("cm.yaml".to_string())));
        }
        Change::Same => {}
    }
}

fn compiler_options() -> Options {
    Options { configmap: Some(ObjectKey::new("ingress", "portico")), ..options() }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn incremental_build_equals_full_build(changes in prop::collection::vec(change(), 1..12)) {
        let mut world = World::new();
        world.backend("default", "a", "10.0.0.1");
        world.backend("default", "b", "10.0.0.2");
        let mut incremental = Compiler::new(compiler_options());
        let mut full = Compiler::new(compiler_options());
        for change in &changes {
            apply(&mut world, change);
            let got = incremental.compile(&world.objects);
            full.extractions.forget_extractions();
            let want = full.compile(&world.objects);
            prop_assert_eq!(&got.table, &want.table, "after {:?}", change);
            prop_assert_eq!(&got.diagnostics, &want.diagnostics);
            prop_assert_eq!(got.stats, want.stats);
            prop_assert_eq!(&got.not_loaded, &want.not_loaded);
        }
    }
}

/// Ingresses with equal annotation maps share one parse and their locations one policy; an
/// Ingress whose parse holds something of its own (a mirror's source) does not.
#[test]
fn equal_annotations_share_one_parse_and_policy() {
    use std::sync::Arc;
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    let rule = [("/", "Prefix", "a", Port::N(80))];
    for i in 0..2 {
        world.ingress(ingress("default", &format!("plain{i}")).rule(&format!("p{i}.io"), &rule));
        let rewritten = ingress("default", &format!("rw{i}")).nginx("rewrite-target", "/x");
        world.ingress(rewritten.rule(&format!("r{i}.io"), &rule));
        let mirrored = ingress("default", &format!("m{i}")).nginx("mirror-target", "http://m/");
        world.ingress(mirrored.rule(&format!("m{i}.io"), &rule));
    }
    let mut compiler = Compiler::new(options());
    let compiled = compiler.compile(&world.objects);
    let extracted = |name: &str| {
        let key = ObjectKey::new("default", name);
        compiler.extractions.last_good(&key).cloned().expect("loaded")
    };
    let shared = |a: &str, b: &str| {
        let (a, b) = (extracted(a), extracted(b));
        (Arc::ptr_eq(&a.annotations, &b.annotations), Arc::ptr_eq(&a.policy, &b.policy))
    };
    assert_eq!(shared("plain0", "plain1"), (true, true));
    assert_eq!(shared("rw0", "rw1"), (true, true));
    assert_eq!(shared("plain0", "rw0"), (false, false));
    assert_eq!(shared("m0", "m1"), (false, false), "a mirror's source is per Ingress");
    let root = |host: &str| Arc::clone(&super::server(&compiled, host).locations[0].policy);
    assert!(Arc::ptr_eq(&root("p0.io"), &root("p1.io")), "the locations share the policy");

    // A build with nothing to extract, then a change to one of them: it shares again.
    compiler.compile(&world.objects);
    world.ingress(ingress("default", "plain1").rule("p1-moved.io", &rule));
    compiler.compile(&world.objects);
    let good = |name: &str| {
        let key = ObjectKey::new("default", name);
        compiler.extractions.last_good(&key).cloned().expect("loaded")
    };
    let (a, b) = (good("plain0"), good("plain1"));
    assert!(Arc::ptr_eq(&a.annotations, &b.annotations), "shared across builds");
}
