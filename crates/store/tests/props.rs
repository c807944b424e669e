//! Property tests (proptest, bounded case counts) of the manifests loader through its public
//! API, one temporary directory per case: arbitrary bytes and YAML-ish text never panic and
//! only produce diagnostics that name the file; generated Ingresses, written as YAML (one or
//! several documents, or a `List`) or JSON, load back as the same objects.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use portico_store::{Loaded, ManifestSource, ObjectKey};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Loads a directory holding one file `name` with `bytes`; also returns the file's label.
fn load_one(name: &str, bytes: &[u8]) -> Result<(Loaded, String), TestCaseError> {
    let dir = tempfile::tempdir().map_err(fail)?;
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).map_err(fail)?;
    let mut source = ManifestSource::new(dir.path());
    let loaded = source.load();
    // Loading the same bytes again re-parses nothing and reports the same.
    let again = source.load();
    prop_assert!(!again.changed);
    prop_assert_eq!(again.diagnostics.len(), loaded.diagnostics.len());
    Ok((loaded, path.display().to_string()))
}

fn fail(error: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{error:?}"))
}

fn object_count(loaded: &Loaded) -> usize {
    let o = &loaded.objects;
    o.ingresses.len()
        + o.ingress_classes.len()
        + o.services.len()
        + o.endpoint_slices.len()
        + o.secrets.len()
        + o.config_maps.len()
}

/// Every diagnostic names the file; objects found come from it too.
fn check_labelled(loaded: &Loaded, label: &str) -> Result<(), TestCaseError> {
    for d in &loaded.diagnostics {
        prop_assert_eq!(d.file.as_deref(), Some(label), "{}", d);
    }
    for ingress in loaded.objects.ingresses.values() {
        prop_assert_eq!(ingress.file.as_deref(), Some(label));
    }
    Ok(())
}

/// Lines and fragments of manifests: keys of every kind, document markers, flow and block
/// syntax, anchors, tags, bad indentation and broken quoting.
fn yamlish() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "apiVersion: v1\n",
        "apiVersion: networking.k8s.io/v1\n",
        "kind: Ingress\n",
        "kind: Service\n",
        "kind: List\n",
        "kind: IngressList\n",
        "kind: Endpoints\n",
        "kind: Secret\n",
        "kind: Pod\n",
        "metadata:\n",
        "  name: a\n",
        "  namespace: n\n",
        "metadata: {name: b}\n",
        "spec:\n",
        "  rules:\n",
        "  - host: x\n",
        "items:\n",
        "- ",
        "---\n",
        "--- \n",
        "...\n",
        "%YAML 1.2\n",
        "# c\n",
        "\n",
        "  ",
        "\t",
        ":",
        "[",
        "]",
        "{",
        "}",
        "\"",
        "'",
        "&a ",
        "*a",
        "!!binary ",
        "!!int ",
        "<<: *a\n",
        "? ",
        "|\n",
        ">-\n",
        "null",
        "~",
        "1e3",
        "0x10",
        "true",
        "é",
        "\r\n",
        "data: {a: b}\n",
        "stringData: {k: v}\n",
        "subsets: [{addresses: [{ip: 1.2.3.4}], ports: [{port: 80}]}]\n",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config(128))]

    /// Any bytes, as YAML or JSON: no panic; diagnostics name the file; bytes that are not
    /// UTF-8 give an error and no object.
    #[test]
    fn any_bytes_load_without_panicking(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        json in any::<bool>(),
    ) {
        let (loaded, label) = load_one(if json { "x.json" } else { "x.yaml" }, &bytes)?;
        check_labelled(&loaded, &label)?;
        if std::str::from_utf8(&bytes).is_err() {
            let error = loaded.diagnostics.iter().any(|d| d.is_error());
            prop_assert!(error, "{:?}", loaded.diagnostics);
            prop_assert_eq!(object_count(&loaded), 0);
        }
    }

    /// YAML-ish text: no panic, diagnostics (not crashes) that name the file.
    #[test]
    fn yamlish_text_loads_without_panicking(text in yamlish()) {
        let (loaded, label) = load_one("x.yaml", text.as_bytes())?;
        check_labelled(&loaded, &label)?;
    }
}

// --- generated Ingresses ---

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,8}[a-z0-9])?"
}

fn http_path() -> impl Strategy<Value = HTTPIngressPath> {
    let port = prop_oneof![
        (1i32..65536).prop_map(|n| ServiceBackendPort { number: Some(n), name: None }),
        dns_label().prop_map(|n| ServiceBackendPort { number: None, name: Some(n) }),
    ];
    let path_type = prop::sample::select(vec!["Prefix", "Exact", "ImplementationSpecific"]);
    (prop::option::of("/[a-zA-Z0-9/._~%(){}*+?$-]{0,12}"), path_type, dns_label(), port).prop_map(
        |(path, path_type, service, port)| HTTPIngressPath {
            path,
            path_type: path_type.to_string(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend { name: service, port: Some(port) }),
                ..IngressBackend::default()
            },
        },
    )
}

fn rule() -> impl Strategy<Value = IngressRule> {
    let host = prop::option::of(prop_oneof![
        "([a-z0-9-]{1,6}\\.){1,3}[a-z]{2,4}",
        "\\*\\.[a-z]{1,6}\\.[a-z]{2,3}"
    ]);
    let paths = prop::option::of(prop::collection::vec(http_path(), 0..3));
    (host, paths).prop_map(|(host, paths)| IngressRule {
        host,
        http: paths.map(|paths| HTTPIngressRuleValue { paths }),
    })
}

/// Annotation values are free text: quotes, colons, `#`, `---`, line breaks, non-ASCII.
fn annotations() -> impl Strategy<Value = Option<BTreeMap<String, String>>> {
    let key = prop_oneof![
        "nginx\\.ingress\\.kubernetes\\.io/[a-z-]{1,12}",
        "[a-z]{1,6}(\\.[a-z]{1,4})?/[a-z-]{1,8}",
    ];
    let value = prop_oneof![
        any::<String>(),
        "[ -~]{0,16}",
        prop::sample::select(vec!["true", "0x10", "1e3", "null", "~", "yes", "---", "- a", "''"])
            .prop_map(String::from),
        "(#|:|-|\n|---\n|\"|'){0,6}",
    ];
    prop::option::of(prop::collection::btree_map(key, value, 0..4))
}

fn ingress() -> impl Strategy<Value = Ingress> {
    let tls = prop::option::of(prop::collection::vec(
        (
            prop::option::of(prop::collection::vec("[a-z.]{1,12}", 0..2)),
            prop::option::of(dns_label()),
        )
            .prop_map(|(hosts, secret_name)| IngressTLS { hosts, secret_name }),
        0..2,
    ));
    (
        dns_label(),
        prop::option::of(dns_label()),
        annotations(),
        prop::option::of(dns_label()),
        prop::option::of(prop::collection::vec(rule(), 0..3)),
        tls,
    )
        .prop_map(|(name, namespace, annotations, class, rules, tls)| Ingress {
            metadata: ObjectMeta {
                name: Some(name),
                namespace,
                annotations,
                ..ObjectMeta::default()
            },
            spec: Some(IngressSpec {
                ingress_class_name: class,
                rules,
                tls,
                ..IngressSpec::default()
            }),
            ..Ingress::default()
        })
}

/// What the store holds for a written Ingress: the namespace defaulted to `default`.
fn as_stored(mut ingress: Ingress) -> (ObjectKey, Ingress) {
    let namespace = ingress.metadata.namespace.get_or_insert_with(|| "default".into()).clone();
    let name = ingress.metadata.name.clone().unwrap_or_default();
    (ObjectKey::new(namespace, name), ingress)
}

/// How the Ingresses are written to the file.
#[derive(Debug, Clone, Copy)]
enum Form {
    Documents,
    List,
    Json,
}

fn render(ingresses: &[Ingress], form: Form) -> Result<String, TestCaseError> {
    match form {
        Form::Documents => {
            let docs: Result<Vec<String>, _> =
                ingresses.iter().map(serde_yaml_ng::to_string).collect();
            Ok(docs.map_err(fail)?.join("---\n"))
        }
        Form::List => {
            let list =
                serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": ingresses });
            serde_yaml_ng::to_string(&list).map_err(fail)
        }
        Form::Json => {
            let docs: Result<Vec<String>, _> =
                ingresses.iter().map(serde_json::to_string_pretty).collect();
            Ok(docs.map_err(fail)?.join("\n"))
        }
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Generated Ingresses with distinct names load back equal to what was written (namespace
    /// defaulted), with no diagnostic. Only cases that the YAML library itself round-trips
    /// are kept, so that a failure is the loader's (document splitting, YAML to JSON, typing).
    #[test]
    fn generated_ingresses_load_back_unchanged(
        ingresses in prop::collection::vec(ingress(), 1..4),
        form in prop::sample::select(vec![Form::Documents, Form::List, Form::Json]),
    ) {
        let mut seen = std::collections::HashSet::new();
        let ingresses: Vec<Ingress> =
            ingresses.into_iter().filter(|i| seen.insert(as_stored(i.clone()).0)).collect();
        for ingress in &ingresses {
            let yaml = serde_yaml_ng::to_string(ingress).map_err(fail)?;
            let back: Result<Ingress, _> = serde_yaml_ng::from_str(&yaml);
            let round_trips = back.is_ok_and(|back| back == *ingress);
            prop_assume!(round_trips, "serde_yaml_ng does not round-trip");
        }
        let text = render(&ingresses, form)?;
        let name = if matches!(form, Form::Json) { "x.json" } else { "x.yaml" };
        let (loaded, label) = load_one(name, text.as_bytes())?;
        prop_assert!(loaded.diagnostics.is_empty(), "{:?} from\n{}", loaded.diagnostics, text);
        check_labelled(&loaded, &label)?;
        prop_assert_eq!(loaded.objects.ingresses.len(), ingresses.len());
        for ingress in ingresses {
            let (key, want) = as_stored(ingress);
            let got = loaded.objects.ingresses.get(&key).map(|s| s.object.as_ref());
            prop_assert_eq!(got, Some(&want), "{}", text);
        }
    }
}

/// One step of [`patched_loads_equal_fresh_loads`]: file `file` now defines these Services
/// (name, port), or is removed (`None`).
type Step = (usize, Option<Vec<(usize, i32)>>);

fn step() -> impl Strategy<Value = Step> {
    let services = prop::collection::vec((0..5usize, 1..4i32), 0..4);
    (0..4usize, prop::option::weighted(0.8, services))
}

/// Services of a directory, by key: (port, file).
fn services_of(loaded: &Loaded) -> BTreeMap<ObjectKey, (Option<i32>, Option<String>)> {
    let port = |s: &k8s_openapi::api::core::v1::Service| {
        s.spec.as_ref()?.ports.as_ref()?.first().map(|p| p.port)
    };
    let sourced = loaded.objects.services.iter();
    sourced
        .map(|(k, s)| (k.clone(), (port(&s.object), s.file.as_deref().map(str::to_owned))))
        .collect()
}

proptest! {
    #![proptest_config(config(48))]

    /// A source kept across changes (which patches its last merge) holds the same objects and
    /// reports the same diagnostics as a new source reading the directory once, whatever files
    /// are written or removed, duplicates across files included.
    #[test]
    fn patched_loads_equal_fresh_loads(steps in prop::collection::vec(step(), 1..8)) {
        let dir = tempfile::tempdir().map_err(fail)?;
        let mut kept = ManifestSource::new(dir.path());
        kept.load();
        for (file, services) in steps {
            let path = dir.path().join(format!("f{file}.yaml"));
            match services {
                Some(services) => {
                    let docs: Vec<String> = services
                        .iter()
                        .map(|(name, port)| {
                            format!(
                                "apiVersion: v1\nkind: Service\nmetadata:\n  name: s{name}\n  \
                                 namespace: default\nspec:\n  ports:\n  - port: {port}\n"
                            )
                        })
                        .collect();
                    std::fs::write(&path, docs.join("---\n")).map_err(fail)?;
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
            let patched = kept.load();
            let fresh = ManifestSource::new(dir.path()).load();
            prop_assert_eq!(services_of(&patched), services_of(&fresh));
            let shown = |l: &Loaded| l.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>();
            prop_assert_eq!(shown(&patched), shown(&fresh));
        }
    }
}
