//! Compiles Kubernetes objects into Portico's routing table. Kubernetes types stop here: the
//! output is [`portico_model::RouteTable`] plus diagnostics. Pure: no I/O.
//!
//! One build, in order: global config ([`config`]) → our Ingresses ([`class`]) extracted one by
//! one ([`ingress`], falling back to each one's last good extraction) → basic auth resolved
//! ([`auth`]) → merged per host ([`servers`]) → regex-mode paths that do not compile left out
//! ([`regex`]) → canaries joined to the main locations ([`canary`]) → host-wide client
//! certificates and ciphers ([`authtls`], [`host_tls`]) → certificates assigned ([`tls`]) →
//! backends resolved to endpoints ([`backends`]) → `default-backend` and `custom-http-errors`
//! ([`default_backend`]); `from-to-www-redirect` servers added once certificates are known
//! ([`www`]).
//! Every problem is a [`Diagnostic`] naming object, file and field; none stops other objects.
#![forbid(unsafe_code)]

mod auth;
mod authtls;
mod backends;
mod canary;
mod class;
mod config;
mod default_backend;
mod extractions;
mod headers;
mod host;
mod host_tls;
mod ingress;
mod passthrough;
mod policy;
mod proxy_ssl;
mod regex;
mod report;
mod secret;
mod servers;
mod tls;
mod www;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use portico_model::{Diagnostic, GlobalConfig, RouteTable, Server, Target};
use portico_store::{ObjectKey, Objects};

pub use class::{is_ours, skipped, Skipped};
pub use report::{migration, AnnotationUse, IngressStanding, Migration, Standing};

use backends::{Registry, SliceIndex};
use ingress::{Extracted, Extraction};
use servers::Prepared;

/// Controller settings that decide which objects are ours and how they are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--ingress-class` (default `portico`).
    pub ingress_class: String,
    /// `--controller-class` (default `portico.dev/ingress-controller`).
    pub controller_class: String,
    /// `--watch-ingress-without-class`.
    pub watch_ingress_without_class: bool,
    /// `--annotations-prefix` (default `nginx.ingress.kubernetes.io`).
    pub annotations_prefix: String,
    /// `--configmap NS/NAME`.
    pub configmap: Option<ObjectKey>,
    /// `--default-backend-service NS/NAME`.
    pub default_backend_service: Option<ObjectKey>,
    /// `--default-ssl-certificate NS/NAME`: the certificate of hosts without their own.
    pub default_ssl_certificate: Option<ObjectKey>,
    /// `--enable-ssl-passthrough`: `ssl-passthrough` takes effect (else it is a warning).
    pub enable_ssl_passthrough: bool,
}

/// One build's result.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub table: RouteTable,
    /// In a deterministic order: same input, same list.
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
    /// Our Ingresses whose current version is not loaded (invalid annotations): their last
    /// good version serves, or nothing. In key order.
    pub not_loaded: Vec<portico_model::ObjectRef>,
}

/// How many Ingresses a build used, kept or skipped (for logs and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Ours, and loaded as they are now.
    pub ingresses_loaded: usize,
    /// Ours but invalid now: their last good version is served.
    pub ingresses_retained: usize,
    /// Ours but invalid, with no earlier good version: not served.
    pub ingresses_rejected: usize,
    /// Of another ingress class: skipped without a diagnostic.
    pub ingresses_ignored: usize,
}

/// Turns [`Objects`] into tables. Keeps the last good version of each Ingress across builds, so
/// an Ingress that turns invalid keeps serving what it served before; likewise each TLS Secret
/// it served (a Secret whose PEM turns bad keeps serving its last good certificate).
///
/// The last good version is the extraction itself (spec and annotations, not Services or
/// Secrets, which are read fresh every build). Extractions are cached by object identity
/// ([`extractions::Cache`]): an Ingress whose `Arc` and file did not change, under the same
/// global config, is not extracted again, so one change costs one extraction, not one per
/// Ingress. Diagnostics are cached with it and stay identical to a fresh extraction's.
#[derive(Debug)]
pub struct Compiler {
    options: Options,
    /// The previous build's extractions and the last good one of every Ingress that was ours
    /// in it, by Ingress.
    extractions: extractions::Cache,
    /// Last good version of every TLS Secret the previous build served.
    last_good_tls: tls::LastGood,
}

// === impl Compiler ===

impl Compiler {
    pub fn new(options: Options) -> Self {
        Self {
            options,
            extractions: extractions::Cache::default(),
            last_good_tls: tls::LastGood::default(),
        }
    }

    /// Builds a complete table from `objects`. Never fails: bad input becomes diagnostics.
    pub fn compile(&mut self, objects: &Objects) -> Compiled {
        let mut diagnostics = Vec::new();
        let mut stats = Stats::default();
        let mut not_loaded = Vec::new();
        let (mut global, config_diagnostics) = config::load(objects, &self.options);
        diagnostics.extend(config_diagnostics);
        headers::resolve_global(&mut global, objects, &mut diagnostics);
        let mut ingresses =
            self.ingresses(objects, &global, &mut stats, &mut not_loaded, &mut diagnostics);
        ingresses.sort_by(|a, b| ingress::age_order(a, b));

        let slices = SliceIndex::new(objects, &mut diagnostics);
        let mut registry = Registry::default();
        let default_target = match &self.options.default_backend_service {
            Some(key) => {
                let algorithm = global.load_balance;
                backends::default_backend(key, objects, &slices, algorithm, &mut diagnostics)
                    .map_or(Target::NotFound, |backend| Target::Backend(registry.resolved(backend)))
            }
            None => Target::NotFound,
        };
        let prefix = &self.options.annotations_prefix;
        let prepared: Vec<Prepared> = ingresses
            .into_iter()
            .map(|ingress| {
                let policy = auth::apply(&ingress, objects, &global, prefix, &mut diagnostics);
                let policy =
                    proxy_ssl::apply(&ingress, policy, objects, &global, prefix, &mut diagnostics);
                let policy =
                    headers::custom(&ingress, policy, objects, &global, prefix, &mut diagnostics);
                Prepared { ingress, policy }
            })
            .collect();
        // Canaries own nothing: they join the main Ingresses' locations once those are final.
        let (canaries, prepared): (Vec<Prepared>, Vec<Prepared>) =
            prepared.into_iter().partition(|p| p.ingress.annotations.canary.is_some());
        let mut servers =
            servers::build(&prepared, &global, default_target, &mut registry, &mut diagnostics);
        let all_servers =
            servers.servers.iter_mut().chain(std::iter::once(&mut servers.default_server));
        regex::drop_invalid(all_servers, &prepared, &mut diagnostics);
        canary::Merge {
            servers: &mut servers,
            registry: &mut registry,
            global: &global,
            diagnostics: &mut diagnostics,
        }
        .all(&canaries);
        authtls::assign(
            &prepared,
            &mut servers.servers,
            &mut servers.default_server,
            objects,
            &global,
            prefix,
            &mut diagnostics,
        );
        host_tls::assign(
            &prepared,
            &mut servers.servers,
            &mut servers.default_server,
            prefix,
            &mut diagnostics,
        );
        let enabled = self.options.enable_ssl_passthrough;
        passthrough::assign(
            &prepared,
            &mut servers.servers,
            default_target,
            enabled,
            prefix,
            &mut diagnostics,
        );
        let by_age = prepared.iter().map(|p| &*p.ingress);
        let last_good_tls = &mut self.last_good_tls;
        tls::assign(by_age, &mut servers.servers, objects, last_good_tls, &mut diagnostics);
        let default_certificate = tls::default_certificate(
            self.options.default_ssl_certificate.as_ref(),
            objects,
            last_good_tls,
            &mut diagnostics,
        );
        last_good_tls.finish();
        www::add_redirect_servers(&mut servers.servers, &servers.www, &mut diagnostics);
        let (backends, remap) = registry.resolve(objects, &slices, &mut diagnostics);

        let mut table = RouteTable {
            servers: servers.servers,
            default_server: servers.default_server,
            backends,
            global,
            default_certificate,
        };
        for server in table.servers.iter_mut().chain(std::iter::once(&mut table.default_server)) {
            remap_targets(server, &remap);
        }
        let inputs = default_backend::Inputs {
            prepared: &prepared,
            objects,
            slices: &slices,
            default_target: remap_target(default_target, &remap),
            load_balance: table.global.load_balance,
            prefix: &self.options.annotations_prefix,
        };
        default_backend::apply(&mut table, &inputs, &mut diagnostics);
        Compiled { table, diagnostics, stats, not_loaded }
    }

    /// Our Ingresses, each extracted now or, when invalid, its last good extraction. The cache
    /// keeps this build's Ingresses only (so deleted or foreign ones are forgotten).
    fn ingresses(
        &mut self,
        objects: &Objects,
        global: &GlobalConfig,
        stats: &mut Stats,
        not_loaded: &mut Vec<portico_model::ObjectRef>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Arc<Extracted>> {
        let mut out = Vec::with_capacity(objects.ingresses.len());
        let prefix = &self.options.annotations_prefix;
        let mut extractions = self.extractions.start(global);
        for (key, sourced) in &objects.ingresses {
            if !class::is_ours(&sourced.object, objects, &self.options) {
                stats.ingresses_ignored += 1;
                continue;
            }
            let got = extractions.get(key, sourced, |key, sourced, parses| {
                ingress::extract(key, sourced, prefix, global, parses)
            });
            let Extraction { extracted, diagnostics: found } = got.extraction;
            diagnostics.extend(found);
            let extracted = match extracted {
                Some(extracted) => {
                    stats.ingresses_loaded += 1;
                    extracted
                }
                None => {
                    let previous = got.last_good;
                    let message = match previous {
                        Some(_) => "invalid annotations: this version is not loaded; the last good version keeps serving",
                        None => "invalid annotations: the Ingress is not loaded",
                    };
                    let d = Diagnostic::error(message).with_field("metadata.annotations");
                    let object =
                        portico_model::ObjectRef::new("Ingress", &key.namespace, &key.name);
                    diagnostics.push(ingress::attach(d, &object, sourced.file.as_deref()));
                    not_loaded.push(object);
                    let Some(previous) = previous else {
                        stats.ingresses_rejected += 1;
                        continue;
                    };
                    stats.ingresses_retained += 1;
                    previous
                }
            };
            out.push(extracted);
        }
        self.extractions.finish(extractions);
        out
    }
}

/// Rewrites backend ids after [`Registry::resolve`] sorted the backends.
fn remap_targets(server: &mut Server, remap: &[portico_model::BackendId]) {
    if let Some(id) = server.passthrough {
        server.passthrough = remap.get(id.0).copied();
    }
    for location in &mut server.locations {
        location.backends.map_targets(|target| remap_target(target, remap));
    }
}

fn remap_target(target: Target, remap: &[portico_model::BackendId]) -> Target {
    match target {
        Target::Backend(id) => remap.get(id.0).map_or(target, |new| Target::Backend(*new)),
        Target::NotFound => target,
    }
}
