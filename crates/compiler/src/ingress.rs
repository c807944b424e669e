//! Per-Ingress extraction: one Ingress (already known to be ours) into [`Extracted`], the
//! intermediate form the server merge reads. Depends only on the Ingress itself and the global
//! config, so it can be kept as the Ingress's last good version.

mod rules;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::networking::v1::{Ingress, IngressSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use portico_annotations::IngressAnnotations;
use portico_model::{Diagnostic, GlobalConfig, HostPattern, ObjectRef, PathType};
use portico_store::{ObjectKey, Sourced};

use crate::extractions::{Parses, SharedParse};

/// One Ingress reduced to what routing needs. Rules with invalid hosts and unusable paths are
/// already dropped (each with a diagnostic).
#[derive(Debug, Clone)]
pub(crate) struct Extracted {
    pub key: ObjectKey,
    pub object: Arc<ObjectRef>,
    pub file: Option<Arc<str>>,
    /// `metadata.creationTimestamp`; `None` (typical for hand-written manifests) sorts as the
    /// oldest, like Go's zero time in ingress-nginx.
    pub created: Option<Time>,
    /// Shared with the Ingresses whose annotation maps are equal ([`crate::extractions`]).
    pub annotations: Arc<IngressAnnotations>,
    /// `annotations.policy` as an `Arc`, shared like `annotations`: the policy of the
    /// Ingress's locations when nothing in it is resolved from other objects ([`crate::auth`]).
    pub policy: Arc<portico_model::LocationPolicy>,
    /// `spec.defaultBackend`, when it is a Service backend.
    pub default_backend: Option<ServiceRef>,
    /// `spec.rules` was empty: with a default backend this Ingress is a catch-all (§4.3).
    pub no_rules: bool,
    /// `spec.tls` is non-empty: every rule host counts as having a certificate (§1.4).
    pub has_tls: bool,
    /// `spec.tls`, in order (for certificate assignment, §3.1).
    pub tls: Vec<crate::tls::TlsEntry>,
    pub rules: Vec<Rule>,
}

/// One `spec.rules[i]` with a valid (or no) host.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// `None`: no host, the rule belongs to the default server.
    pub host: Option<HostPattern>,
    pub paths: Vec<PathRule>,
}

/// One usable `spec.rules[i].http.paths[j]`.
#[derive(Debug, Clone)]
pub(crate) struct PathRule {
    /// Never empty: an empty path became `/`.
    pub path: String,
    pub path_type: PathType,
    pub backend: ServiceRef,
    /// Where it was written; displays as `spec.rules[i].http.paths[j]`.
    pub field: Spot,
}

/// Where in an Ingress a path or a backend was written, for diagnostics. Indices, not text:
/// an extraction lives as long as its Ingress, and the text is only needed for a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Spot {
    /// `spec.rules[rule].http.paths[path]`.
    Path { rule: u32, path: u32 },
    /// `spec.defaultBackend`.
    DefaultBackend,
}

/// A Service backend reference: `service.name` and `service.port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ServiceRef {
    pub service: String,
    pub port: PortRef,
    /// The path (or `spec.defaultBackend`) holding the reference.
    pub at: Spot,
}

// === impl Spot ===

impl Spot {
    /// `spec.rules[i].http.paths[j]` of the `i`-th rule's `j`-th path (indices saturate).
    pub fn path(rule: usize, path: usize) -> Self {
        let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Spot::Path { rule: index(rule), path: index(path) }
    }

    /// The backend field written here: `...paths[j].backend`, or `spec.defaultBackend`.
    pub fn backend_field(self) -> String {
        match self {
            Spot::Path { .. } => format!("{self}.backend"),
            Spot::DefaultBackend => self.to_string(),
        }
    }

    /// The `...backend.service` field of the Service reference written here.
    pub fn service_field(self) -> String {
        format!("{}.service", self.backend_field())
    }
}

impl std::fmt::Display for Spot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spot::Path { rule, path } => write!(f, "spec.rules[{rule}].http.paths[{path}]"),
            Spot::DefaultBackend => f.write_str("spec.defaultBackend"),
        }
    }
}

/// `service.port.number` or `service.port.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum PortRef {
    Number(i32),
    Name(String),
}

/// Result of [`extract`]: the form when the Ingress loads, and every diagnostic found.
#[derive(Debug, Clone)]
pub(crate) struct Extraction {
    pub extracted: Option<Arc<Extracted>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Extracts one Ingress. `extracted` is `None` when an annotation is fatal (the Ingress is not
/// loaded). Diagnostics carry the Ingress reference and file.
pub(crate) fn extract(
    key: &ObjectKey,
    sourced: &Sourced<Ingress>,
    prefix: &str,
    global: &GlobalConfig,
    parses: &mut Parses,
) -> Extraction {
    let ingress = &sourced.object;
    let object = ObjectRef::new("Ingress", &key.namespace, &key.name);
    let empty = BTreeMap::new();
    let raw_annotations = ingress.metadata.annotations.as_ref().unwrap_or(&empty);
    let parsed = parses.get(raw_annotations, |raw| {
        let parsed = portico_annotations::parse_ingress(raw, prefix, global);
        let policy = Arc::new(parsed.annotations.policy.clone());
        let annotations = Arc::new(parsed.annotations);
        SharedParse { annotations, policy, diagnostics: parsed.diagnostics, fatal: parsed.fatal }
    });
    let mut diagnostics = parsed.diagnostics;
    let no_spec = IngressSpec::default();
    let spec = ingress.spec.as_ref().unwrap_or(&no_spec);
    let use_regex = parsed.annotations.policy.use_regex;
    let rules = rules::extract_rules(
        spec.rules.as_deref().unwrap_or_default(),
        use_regex,
        &mut diagnostics,
    );
    let default_backend = spec
        .default_backend
        .as_ref()
        .and_then(|b| rules::service_ref(b, Spot::DefaultBackend, &mut diagnostics));
    let diagnostics =
        diagnostics.into_iter().map(|d| attach(d, &object, sourced.file.as_deref())).collect();
    if parsed.fatal {
        return Extraction { extracted: None, diagnostics };
    }
    let mut annotations = parsed.annotations;
    let mut policy = parsed.policy;
    if annotations.policy.mirror.is_some() {
        // The mirror's source is this Ingress's own: its parse is no longer shared.
        let uid = ingress.metadata.uid.as_deref().filter(|uid| is_uid(uid)).unwrap_or_default();
        let own = Arc::make_mut(&mut annotations);
        if let Some(mirror) = &mut own.policy.mirror {
            Arc::make_mut(mirror).source = portico_model::Mirror::source_for(uid);
        }
        policy = Arc::new(own.policy.clone());
    }
    let extracted = Extracted {
        key: key.clone(),
        object: Arc::new(object),
        file: sourced.file.clone(),
        created: ingress.metadata.creation_timestamp.clone(),
        annotations,
        policy,
        default_backend,
        no_rules: spec.rules.as_ref().is_none_or(Vec::is_empty),
        has_tls: spec.tls.as_ref().is_some_and(|tls| !tls.is_empty()),
        tls: crate::tls::entries(spec.tls.as_deref().unwrap_or_default()),
        rules,
    };
    Extraction { extracted: Some(Arc::new(extracted)), diagnostics }
}

/// A `metadata.uid` fit for a URI path (Kubernetes writes UUIDs; a hand-written manifest may
/// hold anything, which then counts as none).
fn is_uid(uid: &str) -> bool {
    uid.len() <= 64 && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Age order of Ingresses, as ingress-nginx's `sortIngressSlice`: creationTimestamp ascending,
/// ties broken by `namespace/name` **descending** (the spec's reading of the Go code).
pub(crate) fn age_order(a: &Extracted, b: &Extracted) -> Ordering {
    a.created.cmp(&b.created).then_with(|| qualified_name(&b.key).cmp(qualified_name(&a.key)))
}

/// The bytes of `namespace/name`, compared as Go compares the formatted string.
fn qualified_name(key: &ObjectKey) -> impl Iterator<Item = u8> + '_ {
    key.namespace.bytes().chain(std::iter::once(b'/')).chain(key.name.bytes())
}

/// Attaches the Ingress (and its file) to a diagnostic that does not name an object yet.
pub(crate) fn attach(mut d: Diagnostic, object: &ObjectRef, file: Option<&str>) -> Diagnostic {
    if d.object.is_none() {
        d.object = Some(object.clone());
    }
    if d.file.is_none() {
        d.file = file.map(str::to_string);
    }
    d
}
