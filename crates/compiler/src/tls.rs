//! Certificate assignment (spec §3.1): which Secret each TLS host is served, and the
//! `--default-ssl-certificate`.
//!
//! For each named server, the oldest Ingress that has a rule for the host and a non-empty
//! `spec.tls` decides: a `spec.tls[].hosts` entry equal to the host gives its `secretName`
//! (empty → the default certificate); else the first of that Ingress's Secrets whose
//! certificate covers the host; else the default certificate. A Secret that is missing, of the
//! wrong type or lacks a PEM field also leaves the host on the default certificate, with a
//! diagnostic naming it (a missing one with a warning, as in ingress-nginx: cert-manager has not
//! issued it yet); one that was served and turned bad keeps serving its last good version
//! ([`last_good`]). The host still counts as having a certificate either way (§1.4 quirk:
//! `ssl-redirect` applies). PEM parsing, key match and coverage of the chosen Secret are checked
//! again by `portico-tls` when the table goes live.

mod last_good;
mod secret;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::networking::v1::IngressTLS;
use portico_model::{Diagnostic, HostPattern, ObjectRef, Server, TlsSecret};
use portico_store::{ObjectKey, Objects};
use portico_tls::SecretNames;

use crate::ingress::{attach, Extracted};
use crate::secret::object_ref;
pub(crate) use last_good::LastGood;

use last_good::Settled;
use secret::{read, ReadError};

/// One `spec.tls[i]`: the hosts it lists (lowercase) and its Secret name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsEntry {
    pub hosts: Vec<String>,
    /// `None` when empty or absent: the default certificate.
    pub secret_name: Option<String>,
    /// `spec.tls[i]`, for diagnostics.
    pub field: String,
}

/// Reads `spec.tls` into [`TlsEntry`]s.
pub(crate) fn entries(tls: &[IngressTLS]) -> Vec<TlsEntry> {
    tls.iter()
        .enumerate()
        .map(|(i, entry)| TlsEntry {
            hosts: entry.hosts.iter().flatten().map(|h| h.to_ascii_lowercase()).collect(),
            secret_name: entry.secret_name.clone().filter(|name| !name.is_empty()),
            field: format!("spec.tls[{i}]"),
        })
        .collect()
}

/// Sets [`Server::certificate`] on every named server. `ingresses` are in age order. A Secret
/// that turned bad is served in its last good version from `last_good`.
pub(crate) fn assign<'a>(
    ingresses: impl IntoIterator<Item = &'a Extracted>,
    servers: &mut [Server],
    objects: &Objects,
    last_good: &mut LastGood,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut deciding: HashMap<&HostPattern, &Extracted> = HashMap::new();
    for ingress in ingresses {
        if ingress.tls.is_empty() {
            continue;
        }
        for host in ingress.rules.iter().filter_map(|rule| rule.host.as_ref()) {
            deciding.entry(host).or_insert(ingress);
        }
    }
    let mut secrets =
        Secrets { objects, last_good, loaded: HashMap::new(), reported: HashSet::new() };
    for server in servers {
        let Some(ingress) = deciding.get(&server.host) else { continue };
        let host = server.host.to_string();
        server.certificate = secrets.choose(ingress, &host, diagnostics);
    }
}

/// The `--default-ssl-certificate` Secret, when it can be read (or its last good version);
/// else the fake one is used.
pub(crate) fn default_certificate(
    key: Option<&ObjectKey>,
    objects: &Objects,
    last_good: &mut LastGood,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Arc<TlsSecret>> {
    let key = key?;
    let file = objects.secrets.get(key).and_then(|s| s.file.as_deref().map(str::to_owned));
    let read = read(key, objects, diagnostics);
    match last_good.settle(key, read, file.as_deref()) {
        Settled::Current { tls, .. } => Some(tls),
        Settled::Kept { tls, diagnostic } => {
            diagnostics.push(diagnostic);
            Some(tls)
        }
        Settled::Unusable(error) => {
            let mut d = error
                .diagnostic("--default-ssl-certificate", "the fake certificate is the default")
                .with_object(object_ref(key));
            d.file = file;
            diagnostics.push(d);
            None
        }
    }
}

/// Secrets read during one build: each is read (and, for §3.1 step 2, parsed) at most once,
/// and each problem is reported once.
struct Secrets<'o> {
    objects: &'o Objects,
    last_good: &'o mut LastGood,
    loaded: HashMap<ObjectKey, Loaded>,
    /// (Ingress, `spec.tls[i]`) pairs already reported as pointing at a missing Secret.
    reported: HashSet<(ObjectRef, String)>,
}

/// A Secret as read for this build.
enum Loaded {
    Usable { tls: Arc<TlsSecret>, names: Option<Result<SecretNames, ()>> },
    Unusable,
}

// === impl Secrets ===

impl Secrets<'_> {
    /// §3.1 steps 1–3 for `host` with its deciding `ingress`.
    fn choose(
        &mut self,
        ingress: &Extracted,
        host: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Arc<TlsSecret>> {
        if let Some(entry) = ingress.tls.iter().find(|e| e.hosts.iter().any(|h| h == host)) {
            return self.secret(ingress, entry, diagnostics);
        }
        for entry in &ingress.tls {
            let Some(tls) = self.secret(ingress, entry, diagnostics) else { continue };
            if self.covers(&tls, host, diagnostics) {
                return Some(tls);
            }
        }
        let d = Diagnostic::warning(format!(
            "no spec.tls entry lists host {host} and no TLS Secret of this Ingress covers it; \
             it is served the default certificate"
        ))
        .with_field("spec.tls");
        diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
        None
    }

    /// The Secret of one `spec.tls` entry, read once per build; problems reported once.
    fn secret(
        &mut self,
        ingress: &Extracted,
        entry: &TlsEntry,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Arc<TlsSecret>> {
        let name = entry.secret_name.as_deref()?;
        let key = ObjectKey::new(&ingress.key.namespace, name);
        if !self.loaded.contains_key(&key) {
            let file =
                self.objects.secrets.get(&key).and_then(|s| s.file.as_deref().map(str::to_owned));
            let read = read(&key, self.objects, diagnostics);
            let loaded = match self.last_good.settle(&key, read, file.as_deref()) {
                Settled::Current { tls, names } => Loaded::Usable { tls, names: names.map(Ok) },
                Settled::Kept { tls, diagnostic } => {
                    diagnostics.push(diagnostic);
                    Loaded::Usable { tls, names: None }
                }
                Settled::Unusable(ReadError::NotFound) => {
                    // Reported per referencing Ingress (below), not cached as a Secret problem.
                    // A warning, as ingress-nginx: usual while cert-manager has not issued yet.
                    let reported = (ObjectRef::clone(&ingress.object), entry.field.clone());
                    if self.reported.insert(reported) {
                        let d = Diagnostic::warning(format!(
                            "Secret {key} not found; its hosts are served the default \
                             certificate"
                        ))
                        .with_field(format!("{}.secretName", entry.field));
                        diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
                    }
                    return None;
                }
                Settled::Unusable(error) => {
                    let mut d = error
                        .diagnostic("spec.tls", "its hosts are served the default certificate")
                        .with_object(object_ref(&key));
                    d.file = file;
                    diagnostics.push(d);
                    Loaded::Unusable
                }
            };
            self.loaded.insert(key.clone(), loaded);
        }
        match self.loaded.get(&key)? {
            Loaded::Usable { tls, .. } => Some(tls.clone()),
            Loaded::Unusable => None,
        }
    }

    /// §3.1 step 2: whether the Secret loads and covers `host` (parsed once per build).
    fn covers(&mut self, tls: &Arc<TlsSecret>, host: &str, out: &mut Vec<Diagnostic>) -> bool {
        let key = ObjectKey::new(&tls.secret.namespace, &tls.secret.name);
        let Some(Loaded::Usable { names, .. }) = self.loaded.get_mut(&key) else { return false };
        let names = names.get_or_insert_with(|| {
            portico_tls::check_secret(tls).map_err(|error| {
                let mut d = Diagnostic::error(format!(
                    "{error}; not usable for hosts that no spec.tls entry lists"
                ))
                .with_object(tls.secret.clone())
                .with_field(error.field());
                d.file.clone_from(&tls.file);
                out.push(d);
            })
        });
        names.as_ref().is_ok_and(|names| names.covers(host))
    }
}
