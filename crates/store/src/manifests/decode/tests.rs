use super::*;
use crate::manifests::convert;
use crate::AnyObject;
use portico_model::Severity;

fn parse_yaml(text: &str) -> FileParse {
    parse("test.yaml", text, false)
}

fn keys(parse: &FileParse) -> Vec<String> {
    parse.entries.iter().map(|e| format!("{} {}", e.object.kind(), e.key)).collect()
}

const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n";

#[test]
fn every_kind_in_one_multi_document_file() {
    let text = format!(
        "{INGRESS}---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {{name: portico, namespace: x}}\nspec: {{controller: portico.dev/ingress-controller}}\n\
         ---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\n\
         ---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: web-1}}\naddressType: IPv4\nendpoints: []\n\
         ---\napiVersion: v1\nkind: Secret\nmetadata: {{name: tls}}\n\
         ---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: portico}}\ndata: {{a: b}}\n---\n"
    );
    let parse = parse_yaml(&text);
    assert!(parse.diagnostics.is_empty(), "{:?}", parse.diagnostics);
    assert_eq!(
        keys(&parse),
        [
            "Ingress default/web",
            "IngressClass portico",
            "Service shop/web",
            "EndpointSlice default/web-1",
            "Secret default/tls",
            "ConfigMap default/portico"
        ]
    );
}

#[test]
fn missing_namespace_is_written_into_the_object() {
    let parse = parse_yaml(INGRESS);
    let AnyObject::Ingress(ingress) = &parse.entries[0].object else { panic!("not an ingress") };
    assert_eq!(ingress.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(parse.entries[0].origin, ObjectRef::new("Ingress", "default", "web"));
}

#[test]
fn lists_including_typed_lists_without_item_kinds() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n\
                ---\napiVersion: networking.k8s.io/v1\nkind: IngressList\nitems:\n- metadata: {name: c, namespace: n}\n";
    let parse = parse_yaml(text);
    assert!(parse.diagnostics.is_empty(), "{:?}", parse.diagnostics);
    assert_eq!(keys(&parse), ["Service default/a", "ConfigMap default/b", "Ingress n/c"]);
}

#[test]
fn json_stream() {
    let text = r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}}
        {"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}]}"#;
    let good = parse("x.json", text, true);
    assert!(good.diagnostics.is_empty(), "{:?}", good.diagnostics);
    assert_eq!(keys(&good), ["Service default/a", "Secret default/s"]);
    let broken = parse("x.json", "{\"kind\": ", true);
    assert_eq!(broken.opaque, Some(0));
    assert!(broken.diagnostics[0].message.contains("invalid JSON"));
}

#[test]
fn endpoints_become_labelled_slices() {
    let text = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\nsubsets:\n\
                - addresses: [{ip: 10.0.0.1}]\n  notReadyAddresses: [{ip: 10.0.0.2}]\n  ports: [{name: http, port: 8080}]\n\
                - addresses: [{ip: 10.0.0.3}]\n  ports: [{port: 9090}]\n";
    let parse = parse_yaml(text);
    assert!(parse.diagnostics.is_empty(), "{:?}", parse.diagnostics);
    assert_eq!(
        keys(&parse),
        ["EndpointSlice default/web-endpoints-0", "EndpointSlice default/web-endpoints-1"]
    );
    assert!(parse
        .entries
        .iter()
        .all(|e| e.origin == ObjectRef::new("Endpoints", "default", "web")));
    let AnyObject::EndpointSlice(slice) = &parse.entries[0].object else { panic!("not a slice") };
    let label = slice.metadata.labels.as_ref().and_then(|l| l.get(convert::SERVICE_NAME_LABEL));
    assert_eq!(label.map(String::as_str), Some("web"));
    assert_eq!(slice.endpoints.as_ref().map(Vec::len), Some(2));
}

#[test]
fn string_data_is_merged() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: b2xk}\nstringData: {a: new, b: plain}\n";
    let parse = parse_yaml(text);
    let AnyObject::Secret(secret) = &parse.entries[0].object else { panic!("not a secret") };
    let data = secret.data.as_ref().unwrap();
    assert_eq!((data["a"].0.as_slice(), data["b"].0.as_slice()), (&b"new"[..], &b"plain"[..]));
    assert!(secret.string_data.is_none());
}

#[test]
fn unknown_kind_and_api_version_are_warnings() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n\
                ---\napiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: old}\n";
    let parse = parse_yaml(text);
    assert!(parse.entries.is_empty());
    assert_eq!(parse.opaque, None);
    let d: Vec<_> = parse.diagnostics.iter().map(|d| (d.severity, d.to_string())).collect();
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|(s, _)| *s == Severity::Warning));
    assert!(
        d[0].1.contains("Deployment d (test.yaml)") && d[0].1.contains("document 1"),
        "{}",
        d[0].1
    );
    assert!(
        d[1].1.contains("Ingress default/old (test.yaml)")
            && d[1].1.contains("networking.k8s.io/v1beta1")
            && d[1].1.contains("document 2 (line 4)"),
        "{}",
        d[1].1
    );
}

#[test]
fn an_object_that_does_not_decode_names_its_field() {
    let text = format!(
        "{INGRESS}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: bad\n  namespace: n\nspec:\n  rules:\n  - host: 5\n"
    );
    let parse = parse_yaml(&text);
    assert_eq!(keys(&parse), ["Ingress default/web"]);
    assert_eq!(parse.failed, vec![(ObjectRef::new("Ingress", "n", "bad"), 0)]);
    assert_eq!(parse.opaque, None);
    let d = &parse.diagnostics[0];
    assert!(d.is_error());
    assert_eq!(d.field.as_deref(), Some("spec.rules[0].host"));
    assert_eq!(d.file.as_deref(), Some("test.yaml"));
    assert!(
        d.message.starts_with("document 2 (line 5): cannot decode Ingress: invalid type"),
        "{}",
        d.message
    );
}

#[test]
fn unreadable_input_is_opaque() {
    for text in [
        "a: [\n",
        "- just\n- a list\n",
        "apiVersion: v1\nmetadata: {name: x}\n",
        "apiVersion: v1\nkind: Service\n",
    ] {
        let parse = parse_yaml(text);
        assert_eq!(parse.opaque, Some(0), "{text:?}: {:?}", parse.diagnostics);
        assert!(parse.diagnostics[0].is_error());
    }
}

#[test]
fn empty_documents_are_skipped_silently() {
    let parse = parse_yaml("---\n# nothing\n---\n\n");
    assert!(parse.entries.is_empty() && parse.diagnostics.is_empty());
}

/// One document of each shape the decoder tells apart: good, broken YAML, failing to decode,
/// unnamed, skipped kinds, a list, an `Endpoints` that becomes slices.
fn mixed_document(i: usize) -> String {
    match i % 8 {
        0 => format!("{INGRESS}  namespace: n{i}\n"),
        1 => format!("a: [{i}\n"),
        2 => format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: bad{i}}}\nspec: {{rules: [{{host: [1]}}]}}\n"),
        3 => format!("apiVersion: v1\nkind: Service\nmetadata: {{namespace: n{i}}}\n"),
        4 => format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\n"),
        5 => format!("apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {{name: s{i}}}\n- metadata: {{name: t{i}}}\n  spec: 7\n"),
        6 => format!("apiVersion: v1\nkind: Endpoints\nmetadata: {{name: e{i}}}\nsubsets: [{{addresses: [{{ip: 10.0.0.{}}}], ports: [{{port: 80}}]}}]\n", i % 250),
        _ => format!("# comment {i}\n---\n- {i}\n"),
    }
}

#[test]
fn batched_parse_equals_whole_file_parse() {
    let docs: Vec<String> = (0..403).map(mixed_document).collect();
    let text = docs.join("---\n");
    let whole = super::parse_yaml("big", &text, usize::MAX);
    assert!(whole.entries.len() > 100 && whole.diagnostics.len() > 40);
    for batch in [1, 7, 256] {
        let batched = super::parse_yaml("big", &text, batch);
        assert_eq!(format!("{batched:?}"), format!("{whole:?}"), "batches of {batch}");
    }
}

#[test]
fn parallel_parse_equals_sequential_parse() {
    let docs: Vec<String> = (0..403).map(mixed_document).collect();
    let text = docs.join("---\n");
    let json: String = (0..300)
        .map(|i| format!("{{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {{\"name\": \"s{i}\"}}, \"spec\": {}}}\n", if i % 7 == 0 { "1" } else { "{}" }))
        .chain(["{broken".to_string()])
        .collect();
    for (text, is_json) in [(text.as_str(), false), (json.as_str(), true)] {
        let one = crate::manifests::par::with_threads(1, || parse("big", text, is_json));
        assert!(one.entries.len() > 100 && one.diagnostics.len() > 40 && one.opaque.is_some());
        assert!(!one.failed.is_empty());
        for threads in [2, 3, 7] {
            let many = crate::manifests::par::with_threads(threads, || parse("big", text, is_json));
            assert_eq!(
                format!("{many:?}"),
                format!("{one:?}"),
                "{threads} threads, json {is_json}"
            );
        }
    }
}

#[test]
fn deep_flow_nesting_is_refused_in_linear_time_naming_file_and_line() {
    let text = format!("{INGRESS}---\na: 1\nb: {}\n---\n{INGRESS}", "[".repeat(100 * 1024));
    let started = std::time::Instant::now();
    let parse = parse_yaml(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(parse.diagnostics.len(), 1, "{:?}", parse.diagnostics);
    let d = parse.diagnostics[0].to_string();
    assert!(
        d.starts_with("error: (test.yaml): line 7 column 132 (document 2): invalid YAML: flow")
            && d.contains("nested deeper than 128 levels;"),
        "{d}"
    );
    assert_eq!(keys(&parse), ["Ingress default/web", "Ingress default/web"]);
}
