//! The certificates of one routing table, and the SNI lookup over them (§3.1, §3.2).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use portico_model::{Diagnostic, ObjectRef, RouteTable, TlsSecret};
use rustls::sign::CertifiedKey;

use crate::error::{SecretError, CERT_FIELD};
use crate::fake::fake_certificate;
use crate::names::normalize;
use crate::secret::{LoadedCert, SecretNames};

mod cache;

/// Every certificate a routing table serves: one per TLS host (exact name or `*.suffix`),
/// plus the default. Immutable once built; readers share it through an `ArcSwap`.
///
/// Invariant: a host whose Secret could not be served maps to the default certificate
/// explicitly, so it never falls through to a wildcard host's certificate.
pub struct CertStore {
    hosts: HashMap<String, HostCert>,
    /// `None` only if even the fake certificate could not be generated (a diagnostic says so).
    default: Option<Arc<CertifiedKey>>,
}

const HOST_FALLBACK: &str = "hosts using this Secret get the default certificate";
const DEFAULT_FALLBACK: &str =
    "the default certificate (--default-ssl-certificate) falls back to the fake certificate";

/// The clock and parse-cache generation of one [`CertStore::build`].
struct Build {
    now: i64,
    generation: u64,
}

/// What a TLS host is served.
#[derive(Clone)]
enum HostCert {
    /// `not_after`: the leaf's expiry, Unix seconds (for the expiry metric).
    Secret {
        key: Arc<CertifiedKey>,
        secret: ObjectRef,
        not_after: i64,
    },
    Default,
}

// === impl CertStore ===

impl CertStore {
    /// Builds the store from `(host, Secret)` assignments (host lowercase, or `*.suffix`) and
    /// the `--default-ssl-certificate` Secret. Each distinct Secret (by [`ObjectRef`]) is parsed
    /// once. A Secret that fails, or does not cover its host, leaves that host on the default
    /// certificate with an error diagnostic; expired certificates are served with a warning.
    /// The first assignment of a host wins.
    pub fn build(
        assignments: &[(String, Arc<TlsSecret>)],
        default: Option<&TlsSecret>,
    ) -> (CertStore, Vec<Diagnostic>) {
        let now = Build { now: unix_now(), generation: cache::begin() };
        let mut diagnostics = Vec::new();
        let default = load_default(default, &now, &mut diagnostics);
        let mut loaded: HashMap<&ObjectRef, Option<LoadedCert>> = HashMap::new();
        let mut hosts = HashMap::new();
        for (host, tls) in assignments {
            let host = normalize(host);
            if hosts.contains_key(&host) {
                continue;
            }
            let cert = loaded
                .entry(&tls.secret)
                .or_insert_with(|| load_secret(tls, &now, HOST_FALLBACK, &mut diagnostics));
            let entry = match cert {
                Some(cert) if cert.names.covers(&host) => {
                    let (key, secret) = (cert.key.clone(), tls.secret.clone());
                    HostCert::Secret { key, secret, not_after: cert.validity.not_after }
                }
                Some(_) => {
                    diagnostics.push(about(
                        Diagnostic::error(format!(
                            "certificate does not cover host {host}; serving the default \
                             certificate for it"
                        ))
                        .with_field(CERT_FIELD),
                        tls,
                    ));
                    HostCert::Default
                }
                None => HostCert::Default,
            };
            hosts.insert(host, entry);
        }
        cache::finish(now.generation);
        (CertStore { hosts, default }, diagnostics)
    }

    /// Builds the store of a routing table: every named server with an assigned Secret (and
    /// its `server-alias` names that Secret covers, as ingress-nginx), every
    /// named server with a certificate but no Secret (§3.1 fallbacks) pinned to the default so
    /// it never falls through to a wildcard's certificate, and the table's default certificate.
    pub fn from_table(table: &RouteTable) -> (CertStore, Vec<Diagnostic>) {
        let mut assignments: Vec<(String, Arc<TlsSecret>)> = table
            .servers
            .iter()
            .filter_map(|server| Some((server.host.to_string(), server.certificate.clone()?)))
            .collect();
        assignments.extend(crate::secret::alias_assignments(table));
        let (mut store, diagnostics) =
            CertStore::build(&assignments, table.default_certificate.as_deref());
        for server in &table.servers {
            if server.has_certificate && server.certificate.is_none() {
                store.hosts.entry(normalize(&server.host.to_string())).or_insert(HostCert::Default);
            }
        }
        (store, diagnostics)
    }

    /// Every host served from its own Secret: `(host, Secret, not-after in Unix seconds)`,
    /// sorted by host. For `nginx_ingress_controller_ssl_expire_time_seconds`.
    pub fn expiries(&self) -> Vec<(&str, &ObjectRef, i64)> {
        let mut expiries: Vec<_> = self
            .hosts
            .iter()
            .filter_map(|(host, cert)| match cert {
                HostCert::Secret { secret, not_after, .. } => {
                    Some((host.as_str(), secret, *not_after))
                }
                HostCert::Default => None,
            })
            .collect();
        expiries.sort_by(|a, b| a.0.cmp(b.0));
        expiries
    }

    /// The certificate for a handshake with this SNI (any case, trailing dot allowed): exact
    /// host, then the first label replaced by `*`, then the default. `None` SNI → default.
    pub fn resolve(&self, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        match sni.and_then(|name| self.lookup(name)) {
            Some(HostCert::Secret { key, .. }) => Some(key.clone()),
            Some(HostCert::Default) | None => self.default.clone(),
        }
    }

    /// The Secret whose certificate an SNI of `host` is served; `None` means the default one.
    pub fn secret_for(&self, host: &str) -> Option<&ObjectRef> {
        match self.lookup(host)? {
            HostCert::Secret { secret, .. } => Some(secret),
            HostCert::Default => None,
        }
    }

    /// Whether `host` is served a certificate from a Secret rather than the default one.
    pub fn has_certificate_for(&self, host: &str) -> bool {
        self.secret_for(host).is_some()
    }

    /// The default certificate (the loaded `--default-ssl-certificate` or the fake one).
    pub fn default_certificate(&self) -> Option<&Arc<CertifiedKey>> {
        self.default.as_ref()
    }

    /// Whether the default certificate is the generated fake one (no
    /// `--default-ssl-certificate`, or it did not load).
    pub fn default_is_fake(&self) -> bool {
        match (&self.default, fake_certificate()) {
            (Some(default), Ok(fake)) => Arc::ptr_eq(default, &fake),
            _ => true,
        }
    }

    fn lookup(&self, name: &str) -> Option<&HostCert> {
        let name = normalize(name);
        if let Some(found) = self.hosts.get(&name) {
            return Some(found);
        }
        let (_, parent) = name.split_once('.')?;
        self.hosts.get(&format!("*.{parent}"))
    }
}

impl fmt::Debug for CertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hosts: Vec<_> = self
            .hosts
            .iter()
            .map(|(host, cert)| match cert {
                HostCert::Secret { secret, .. } => format!("{host} => {secret}"),
                HostCert::Default => format!("{host} => default"),
            })
            .collect();
        hosts.sort();
        f.debug_struct("CertStore")
            .field("hosts", &hosts)
            .field("has_default", &self.default.is_some())
            .finish()
    }
}

/// Parses `tls` as [`CertStore::build`] does, through the same parse cache (so a build that
/// follows with the same bytes does not parse it again), and returns what its leaf covers.
/// For the compiler, which must know whether a Secret is servable before it picks a version.
pub fn check_secret(tls: &TlsSecret) -> Result<SecretNames, SecretError> {
    cache::load(tls, cache::current()).map(|cert| SecretNames::of(&cert))
}

/// Parses one Secret, reporting a failure (error) or a validity problem (warning).
/// `fallback` says, for the error message, what is served instead.
fn load_secret(
    tls: &TlsSecret,
    build: &Build,
    fallback: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LoadedCert> {
    match cache::load(tls, build.generation) {
        Ok(cert) => {
            if let Some(problem) = cert.validity.problem_at(build.now) {
                let d = Diagnostic::warning(format!("{problem}; served anyway"));
                diagnostics.push(about(d.with_field(CERT_FIELD), tls));
            }
            Some(cert)
        }
        Err(e) => {
            let d = Diagnostic::error(format!("{e}; {fallback}")).with_field(e.field());
            diagnostics.push(about(d, tls));
            None
        }
    }
}

/// Names the Secret (and its file, when known) in a diagnostic about it.
fn about(d: Diagnostic, tls: &TlsSecret) -> Diagnostic {
    let d = d.with_object(tls.secret.clone());
    match &tls.file {
        Some(file) => d.with_file(file.clone()),
        None => d,
    }
}

/// The `--default-ssl-certificate` when it loads, else the process-wide fake certificate.
fn load_default(
    default: Option<&TlsSecret>,
    build: &Build,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Arc<CertifiedKey>> {
    if let Some(tls) = default {
        if let Some(cert) = load_secret(tls, build, DEFAULT_FALLBACK, diagnostics) {
            return Some(cert.key);
        }
    }
    match fake_certificate() {
        Ok(key) => Some(key),
        Err(e) => {
            diagnostics.push(Diagnostic::error(format!(
                "{e}; TLS handshakes without a host certificate will fail"
            )));
            None
        }
    }
}

fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests;
