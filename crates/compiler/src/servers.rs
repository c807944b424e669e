//! Merging Ingresses into servers, one per host (spec §4.2, §4.3, §1.3): precedence and
//! duplicates, the implicit root location, the default server, regex mode, app-root and
//! certificates.

mod aliases;
mod draft;

use std::collections::HashMap;
use std::sync::Arc;

use portico_model::{
    Backends, Diagnostic, GlobalConfig, HostPattern, Location, LocationPolicy, ObjectRef, PathType,
    Server, Target,
};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::backends::{Registry, UseOf, Wanted};
use crate::ingress::{Extracted, PathRule, ServiceRef};
use crate::policy;
use draft::ServerDraft;

/// Why the owner of a path, merged before `loser` in age order ([`crate::ingress::age_order`]),
/// keeps it: it is older, or (same creationTimestamp, or none on either) it sorts last by
/// `namespace/name`, as in ingress-nginx.
fn precedence(owner_created: Option<&Time>, loser: &Extracted) -> &'static str {
    match (owner_created, loser.created.as_ref()) {
        (None, None) => "no creationTimestamp on either; kept: the one last by namespace/name",
        (None, Some(_)) => "it has no creationTimestamp, which counts as oldest",
        (Some(a), Some(b)) if a == b => {
            "same creationTimestamp; kept: the one last by namespace/name"
        }
        _ => "created earlier",
    }
}

/// One of our Ingresses, ready to merge: its extraction and its policy with auth resolved.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub ingress: Arc<Extracted>,
    pub policy: Arc<LocationPolicy>,
}

/// Named servers (sorted by host name) and the default server.
pub(crate) struct Servers {
    pub servers: Vec<Server>,
    pub default_server: Server,
    /// Hosts whose www/non-www twin redirects to them (`from-to-www-redirect`), with the
    /// Ingress asking; their servers are added by [`crate::www`] once certificates are known.
    pub www: Vec<(String, ObjectRef)>,
}

/// Merge state: drafts per host, the backend registry, diagnostics.
struct Merge<'a> {
    global: &'a GlobalConfig,
    registry: &'a mut Registry,
    /// The implicit root's target when the first Ingress of a host has no default backend.
    default_target: Target,
    /// Named servers in the order their hosts were first mentioned; [`Merge::by_host`] finds
    /// them. Kept in place (a draft is ~250 bytes: a growing map of drafts moved them all).
    drafts: Vec<ServerDraft>,
    /// Draft index by host, borrowed from the Ingresses' rules.
    by_host: HashMap<&'a HostPattern, usize>,
    default_server: ServerDraft,
    /// The Ingresses merged, to tell why an older path won ([`Merge::created`]).
    ingresses: &'a [Prepared],
    /// Each Ingress's creationTimestamp, made at the first duplicate path (most builds have
    /// none).
    created: Option<HashMap<&'a ObjectRef, Option<&'a Time>>>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

/// Merges `ingresses` (in age order, oldest first) into servers. `default_target` is the
/// global default backend (or `NotFound`). Backends used by kept locations are registered.
pub(crate) fn build<'a>(
    ingresses: &'a [Prepared],
    global: &'a GlobalConfig,
    default_target: Target,
    registry: &'a mut Registry,
    diagnostics: &'a mut Vec<Diagnostic>,
) -> Servers {
    let rules = ingresses.iter().map(|p| p.ingress.rules.len()).sum();
    let mut merge = Merge {
        global,
        registry,
        default_target,
        drafts: Vec::with_capacity(rules),
        by_host: HashMap::with_capacity(rules),
        default_server: ServerDraft::new(HostPattern::CatchAll),
        ingresses,
        created: None,
        diagnostics,
    };
    merge.default_root(ingresses);
    for prepared in ingresses {
        merge.ingress(prepared);
    }
    let Merge { mut drafts, mut default_server, diagnostics, .. } = merge;
    let order = by_host_name(&drafts);
    aliases::settle(&mut drafts, &order, diagnostics);
    let mut www: Vec<(String, ObjectRef)> = drafts
        .iter_mut()
        .filter_map(|draft| match (&draft.host, draft.from_to_www.take()) {
            (HostPattern::Exact(host), Some(by)) => Some((host.clone(), by)),
            _ => None,
        })
        .collect();
    www.sort();
    // Drafts stay where they are: each server is made from its draft's fields.
    let servers = order.iter().filter_map(|&i| Some(drafts.get_mut(i)?.finish())).collect();
    Servers { servers, default_server: default_server.finish(), www }
}

/// The indexes of `drafts` sorted by host name, as ingress-nginx orders servers (`*.a` sorts
/// before `a.b` as in its template: by the name as written).
fn by_host_name(drafts: &[ServerDraft]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    // Hosts are unique: an unstable sort gives the one order.
    order.sort_unstable_by(|&a, &b| drafts[a].host.cmp_displayed(&drafts[b].host));
    order
}

// === impl Merge ===

impl<'a> Merge<'a> {
    /// The default server's `/`: the first Ingress with a default backend and no rules (the
    /// catch-all, which host-less `/` rules cannot replace, as its location is set before any
    /// path in ingress-nginx), else the global default backend or 404.
    fn default_root(&mut self, ingresses: &[Prepared]) {
        let catch_all =
            ingresses.iter().find(|p| p.ingress.no_rules && p.ingress.default_backend.is_some());
        let root = match catch_all.and_then(|p| Some((p, p.ingress.default_backend.as_ref()?))) {
            Some((prepared, backend)) => Location {
                path: "/".to_string(),
                path_type: PathType::Prefix,
                backends: Backends::single(self.service_target(prepared, backend)),
                policy: policy::for_catch_all(&prepared.policy, self.global),
                ingress: Some(prepared.ingress.object.clone()),
                implicit: false,
                order: 0,
            },
            None => Location {
                path: "/".to_string(),
                path_type: PathType::Prefix,
                backends: Backends::single(self.default_target),
                policy: policy::for_default(self.global),
                ingress: None,
                implicit: true,
                order: 0,
            },
        };
        self.default_server.push(root);
    }

    /// Adds every rule of one Ingress.
    fn ingress(&mut self, prepared: &'a Prepared) {
        let ingress = &prepared.ingress;
        for rule in &ingress.rules {
            let host = rule.host.as_ref();
            if let Some(host) = host {
                if !self.by_host.contains_key(host) {
                    let root = self.implicit_root(prepared);
                    let mut draft = ServerDraft::new(host.clone());
                    draft.push(root);
                    self.by_host.insert(host, self.drafts.len());
                    self.drafts.push(draft);
                }
            }
            let Some(server) = self.server_mut(host) else { continue };
            if server.app_root.is_none() {
                server.app_root.clone_from(&ingress.annotations.app_root);
            }
            server.has_certificate |= host.is_some() && ingress.has_tls;
            if host.is_some() {
                aliases::offer(server, prepared);
            }
            for path in &rule.paths {
                self.path(prepared, host, path);
            }
        }
    }

    /// The implicit `Prefix /` of a host first mentioned by `prepared` (§4.3).
    fn implicit_root(&mut self, prepared: &Prepared) -> Location {
        let target = match &prepared.ingress.default_backend {
            Some(backend) => self.service_target(prepared, backend),
            None => self.default_target,
        };
        Location {
            path: "/".to_string(),
            path_type: PathType::Prefix,
            backends: Backends::single(target),
            policy: policy::for_location(&prepared.policy, "/", self.global),
            ingress: Some(prepared.ingress.object.clone()),
            implicit: true,
            order: 0,
        }
    }

    /// Adds one path: replaces the implicit root, or loses to an older identical path.
    fn path(&mut self, prepared: &Prepared, host: Option<&HostPattern>, path: &PathRule) {
        let Some(server) = self.server_mut(host) else { return };
        let existing = server.find(&path.path, path.path_type);
        if let Some(current) = existing.and_then(|i| server.locations.get(i)) {
            if !current.implicit {
                let owner = current.ingress.clone();
                let server_host = server.host.clone();
                self.duplicate(prepared, &server_host, path, owner);
                return;
            }
        }
        let location = Location {
            path: path.path.clone(),
            path_type: path.path_type,
            backends: Backends::single(self.service_target(prepared, &path.backend)),
            policy: policy::for_location(&prepared.policy, &path.path, self.global),
            ingress: Some(prepared.ingress.object.clone()),
            implicit: false,
            order: 0,
        };
        let Some(server) = self.server_mut(host) else { return };
        match existing {
            Some(i) => server.replace(i, location),
            None => server.push(location),
        }
        // ingress-nginx sets the server's flag where the Ingress's location is added.
        if prepared.ingress.annotations.from_to_www_redirect && server.from_to_www.is_none() {
            server.from_to_www = Some(ObjectRef::clone(&prepared.ingress.object));
        }
    }

    /// The draft of `host` (`None`: the default server).
    fn server_mut(&mut self, host: Option<&HostPattern>) -> Option<&mut ServerDraft> {
        match host {
            Some(host) => self.by_host.get(host).and_then(|&i| self.drafts.get_mut(i)),
            None => Some(&mut self.default_server),
        }
    }

    /// Warns the Ingress whose path lost to an identical, older one.
    fn duplicate(
        &mut self,
        prepared: &Prepared,
        host: &HostPattern,
        path: &PathRule,
        owner: Option<Arc<ObjectRef>>,
    ) {
        let ingress = &prepared.ingress;
        let owner = match owner {
            Some(owner) if *owner == *ingress.object => "earlier in this Ingress".to_string(),
            Some(owner) => {
                let why = precedence(self.created(&owner), ingress);
                format!("by {owner} ({why})")
            }
            None => "already".to_string(),
        };
        let message = format!(
            "path {:?} ({}) on host {host} is already defined {owner}; this one is ignored",
            path.path,
            path.path_type.as_str()
        );
        let mut d = Diagnostic::warning(message)
            .with_object(ingress.object.clone())
            .with_field(format!("{}.path", path.field));
        d.file = ingress.file.as_deref().map(str::to_owned);
        self.diagnostics.push(d);
    }

    /// The creationTimestamp of Ingress `object`, one of those merged.
    fn created(&mut self, object: &ObjectRef) -> Option<&'a Time> {
        let ingresses = self.ingresses;
        let created = self.created.get_or_insert_with(|| {
            ingresses.iter().map(|p| (&*p.ingress.object, p.ingress.created.as_ref())).collect()
        });
        created.get(object).copied().flatten()
    }

    /// The backend of a Service reference of `prepared`.
    fn service_target(&mut self, prepared: &Prepared, backend: &ServiceRef) -> Target {
        register(self.registry, self.global, prepared, backend)
    }
}

/// Registers the backend of a Service reference of `prepared` (its balancing annotations,
/// else the ConfigMap's `load-balance`) and returns its target.
pub(crate) fn register(
    registry: &mut Registry,
    global: &GlobalConfig,
    prepared: &Prepared,
    backend: &ServiceRef,
) -> Target {
    let ingress = &prepared.ingress;
    let wanted = Wanted::of(&ingress.annotations, global.load_balance);
    let user = UseOf { object: &ingress.object, file: &ingress.file, at: backend.at };
    Target::Backend(registry.service(&ingress.key.namespace, backend, wanted, user))
}
