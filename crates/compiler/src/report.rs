//! The migration report's facts (`portico check`): how each of our Ingresses fares, and which
//! annotations behave differently from ingress-nginx, with the Ingresses using them. Pure:
//! read from the objects, the compiled table and every diagnostic of the build.

use std::collections::{BTreeMap, HashMap, HashSet};

use portico_annotations::{support_of, Support};
use portico_model::{Diagnostic, ObjectRef, RouteTable, Severity};
use portico_store::Objects;

use crate::{class, config, Options};

/// What `portico check` sums up for a migrating team.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Migration {
    /// Our Ingresses (of the ingress class), in key order.
    pub ingresses: Vec<IngressStanding>,
    /// Every annotation that is not plainly supported, with its users; sorted by standing,
    /// then key.
    pub annotations: Vec<AnnotationUse>,
    /// Keys of the controller ConfigMap that Portico does not read: every Ingress may behave
    /// differently from ingress-nginx (those restricting access deny, with an error).
    pub unsupported_config_keys: Vec<String>,
}

/// One Ingress and how it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressStanding {
    pub object: ObjectRef,
    pub standing: Standing,
}

/// How an Ingress is served, worst first wins: not loaded, denied, with errors, with warnings,
/// fully supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// No diagnostic names it.
    Supported,
    /// Served; some diagnostic warns about it.
    Warnings,
    /// Served, but something it asks for is not served as asked (an error names it).
    Errors,
    /// Some path answers 503 (location denied: an unsupported access restriction, a missing
    /// auth Secret, ...).
    Denied,
    /// Its current version is not loaded (invalid annotations).
    NotLoaded,
}

/// One annotation key, its standing, and the Ingresses carrying it (key order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationUse {
    /// The full key, `<prefix>/<name>`.
    pub key: String,
    pub support: Support,
    pub ingresses: Vec<ObjectRef>,
}

// === impl Migration ===

impl Migration {
    /// The Ingresses served differently from ingress-nginx without an error saying so: they
    /// carry an unsupported annotation that is ignored. In key order, each once.
    pub fn differing(&self) -> Vec<&ObjectRef> {
        let mut found: Vec<&ObjectRef> = self
            .annotations
            .iter()
            .filter(|a| a.support == Support::Ignored)
            .flat_map(|a| &a.ingresses)
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Whether something is served differently from ingress-nginx without an error saying so:
    /// an Ingress of [`Migration::differing`], or an unsupported ConfigMap key.
    pub fn differs(&self) -> bool {
        !self.differing().is_empty() || !self.unsupported_config_keys.is_empty()
    }

    /// How many Ingresses have `standing`.
    pub fn count(&self, standing: Standing) -> usize {
        self.ingresses.iter().filter(|i| i.standing == standing).count()
    }
}

/// The migration facts of one build: `table`, `not_loaded` ([`crate::Compiled::not_loaded`])
/// and `diagnostics` (all of them: loader, compiler, router, certificates).
pub fn migration(
    objects: &Objects,
    options: &Options,
    table: &RouteTable,
    not_loaded: &[ObjectRef],
    diagnostics: &[Diagnostic],
) -> Migration {
    let found = Found::of(table, not_loaded, diagnostics);
    let mut ingresses = Vec::new();
    let mut uses: BTreeMap<(Support, String), Vec<ObjectRef>> = BTreeMap::new();
    for (key, sourced) in &objects.ingresses {
        if !class::is_ours(&sourced.object, objects, options) {
            continue;
        }
        let object = ObjectRef::new("Ingress", &key.namespace, &key.name);
        let prefix = &options.annotations_prefix;
        let raw = sourced.object.metadata.annotations.clone().unwrap_or_default();
        for (name, support) in support_of(&raw, prefix) {
            if support != Support::Supported {
                uses.entry((support, format!("{prefix}/{name}"))).or_default().push(object.clone());
            }
        }
        let standing = found.standing(&object);
        ingresses.push(IngressStanding { object, standing });
    }
    let annotations = uses
        .into_iter()
        .map(|((support, key), ingresses)| AnnotationUse { key, support, ingresses })
        .collect();
    let unsupported_config_keys = config::unsupported_keys(objects, options);
    Migration { ingresses, annotations, unsupported_config_keys }
}

/// What the build said about each object, looked up once per Ingress (scanning the table
/// and the diagnostics per Ingress took minutes at 100,000 Ingresses).
struct Found<'a> {
    not_loaded: HashSet<&'a ObjectRef>,
    /// Ingresses owning a location that answers 503 (`denied`).
    denied: HashSet<&'a ObjectRef>,
    /// The worst diagnostic about each object.
    worst: HashMap<&'a ObjectRef, Severity>,
}

impl<'a> Found<'a> {
    fn of(
        table: &'a RouteTable,
        not_loaded: &'a [ObjectRef],
        diagnostics: &'a [Diagnostic],
    ) -> Self {
        let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
        let denied = servers
            .flat_map(|s| &s.locations)
            .filter(|location| location.policy.denied.is_some())
            .filter_map(|location| location.ingress.as_deref())
            .collect();
        let mut worst: HashMap<&ObjectRef, Severity> = HashMap::new();
        for d in diagnostics {
            if let Some(object) = &d.object {
                let at = worst.entry(object).or_insert(d.severity);
                *at = (*at).max(d.severity);
            }
        }
        Self { not_loaded: not_loaded.iter().collect(), denied, worst }
    }

    /// The worst that applies to `object`.
    fn standing(&self, object: &ObjectRef) -> Standing {
        if self.not_loaded.contains(object) {
            return Standing::NotLoaded;
        }
        if self.denied.contains(object) {
            return Standing::Denied;
        }
        match self.worst.get(object) {
            Some(Severity::Error) => Standing::Errors,
            Some(Severity::Warning) => Standing::Warnings,
            None => Standing::Supported,
        }
    }
}
