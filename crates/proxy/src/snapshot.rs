//! One routing snapshot: the table and everything derived from it at build time (matcher,
//! balancers, metric handles). Immutable once swapped in; a request uses one to the end.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use http::HeaderValue;
use portico_balance::Balancer;
use portico_metrics::{Handle, LimitRejections, Metrics, RequestCounters};
use portico_model::{Diagnostic, RouteTable, Server};
use portico_router::{Router, ServerId};
use portico_tls::CertStore;

use crate::filters::limits::{LimitState, Zones};
use crate::upstream::Connectors;

/// What one location's requests are counted and logged under, made on its first request
/// (nothing is written per location when a table is built or swapped in).
#[derive(Debug, Default)]
pub(crate) struct LazyCounters {
    /// The owning Ingress as `namespace/name` (empty when none), for the access log and
    /// metrics.
    name: OnceLock<Arc<str>>,
    /// Its `portico_requests_total` counters.
    counters: OnceLock<RequestCounters>,
}

/// A routing table compiled for serving.
#[derive(Debug)]
pub struct Snapshot {
    pub table: RouteTable,
    pub router: Router,
    /// One per [`RouteTable::backends`] entry, same index. Shared with the previous table
    /// where the backend is served the same way ([`Snapshot::keep_balancers`]).
    pub balancers: Vec<Arc<Balancer>>,
    /// The certificates of this table; the https listener's resolver serves it from the swap.
    pub certs: Arc<CertStore>,
    /// `Strict-Transport-Security` for HTTPS responses (`None`: `hsts: false`).
    pub(crate) hsts: Option<HeaderValue>,
    /// TLS toward backends: the rustls client configurations of this table's locations.
    pub(crate) upstream_tls: Connectors,
    pub generation: u64,
    /// Per server (default server last), per location: the owning Ingress's name and
    /// `portico_requests_total` counters, made on the location's first request (a table of
    /// 100,000 Ingresses would otherwise write 100,000 names and register half a million
    /// series at swap time). Cells are made by [`Snapshot::attach_metrics`] when swapped in;
    /// per server an `Arc`, shared with the previous table where the server did not change.
    counters: Vec<Arc<[LazyCounters]>>,
    /// Like `counters`, but each server's list ends at its last location with limits: the
    /// limit zones of the locations with limits; filled by [`Snapshot::attach_limits`] when
    /// swapped in.
    limits: Vec<Vec<Option<LimitState>>>,
    /// Counters of requests that matched no location (ingress label `""`).
    unrouted: Option<RequestCounters>,
    /// Same shape as `counters`: the ingress-nginx metric handles ([`crate::request_metrics`]),
    /// each made on its location's first request. Filled (with empty cells) by
    /// [`Snapshot::attach_metrics`], shared per server with the previous table like `counters`.
    handles: Vec<Arc<[crate::request_metrics::LazyHandles]>>,
    /// Where the handles are made (set by [`Snapshot::attach_metrics`]).
    metrics: Option<Arc<Metrics>>,
    /// The `ssl-passthrough` hosts, read before the TLS handshake.
    pub(crate) passthrough: crate::passthrough::Hosts,
    /// `enable-opentelemetry`: the tracer, when some location traces and a collector is set;
    /// attached when swapped in ([`crate::telemetry::Tracing::for_table`]).
    pub(crate) tracer: Option<Arc<portico_trace::Tracer>>,
}

// === impl Snapshot ===

impl Snapshot {
    /// Compiles the router, balancers and certificates; the diagnostics of the router (e.g. a
    /// regex that does not compile) and of the certificates (a Secret that does not parse) are
    /// passed through.
    pub fn build(table: RouteTable, generation: u64) -> (Snapshot, Vec<Diagnostic>) {
        let (router, mut diagnostics) = Router::build(&table);
        let (certs, cert_diagnostics) = CertStore::from_table(&table);
        diagnostics.extend(cert_diagnostics);
        let hsts = table.global.hsts.enabled.then(|| table.global.hsts.header_value());
        let hsts = hsts.and_then(|value| HeaderValue::try_from(value).ok());
        let balancers = table.backends.iter().map(|b| Arc::new(Balancer::for_backend(b))).collect();
        let passthrough = crate::passthrough::Hosts::build(&table);
        let upstream_tls = Connectors::build(&table);
        let snapshot = Snapshot {
            passthrough,
            upstream_tls,
            table,
            router,
            balancers,
            certs: Arc::new(certs),
            hsts,
            generation,
            counters: Vec::new(),
            limits: Vec::new(),
            unrouted: None,
            handles: Vec::new(),
            metrics: None,
            tracer: None,
        };
        (snapshot, diagnostics)
    }

    /// Keeps the balancers of `previous` (with their state: turns, in-flight counts, latencies)
    /// for the backends it served the same way: same name, endpoints, algorithm and balancing.
    /// A backend whose endpoints changed gets a new balancer that inherits what outlives the
    /// change ([`Balancer::after`]: EWMA scores per endpoint).
    pub(crate) fn keep_balancers(&mut self, previous: Option<&Snapshot>) {
        let Some(previous) = previous else { return };
        let old: HashMap<&str, &Arc<Balancer>> = previous
            .table
            .backends
            .iter()
            .zip(&previous.balancers)
            .map(|(backend, balancer)| (backend.name.as_str(), balancer))
            .collect();
        for (backend, balancer) in self.table.backends.iter().zip(self.balancers.iter_mut()) {
            let Some(previous) = old.get(backend.name.as_str()) else { continue };
            *balancer = if previous.serves(backend) {
                Arc::clone(previous)
            } else {
                Arc::new(Balancer::after(backend, previous))
            };
        }
    }

    /// The balancer of backend `id`.
    pub(crate) fn balancer(&self, id: portico_model::BackendId) -> Option<&Balancer> {
        self.balancers.get(id.0).map(|b| &**b)
    }

    /// Keeps `previous`'s upstream TLS connectors where the settings are unchanged (their
    /// pooled connections and TLS sessions stay usable).
    pub(crate) fn attach_upstream_tls(&mut self, previous: Option<&Snapshot>) {
        if let Some(previous) = previous {
            self.upstream_tls.inherit(&previous.upstream_tls);
        }
    }

    /// Prepares the cells of the per-location request counters and metric handles, which a
    /// location's first request fills (hashing happens then, once, not per request; see
    /// [`crate::request_metrics`]). A server equal to one of `previous` (same host, locations
    /// and backend names) takes `previous`'s, so one change costs the servers it touched.
    pub(crate) fn attach_metrics(&mut self, metrics: &Arc<Metrics>, previous: Option<&Snapshot>) {
        let carried = crate::snapshot_reuse::Carried::match_servers(&self.table, previous);
        let named = self.table.servers.len();
        let mut counters = Vec::with_capacity(named + 1);
        let mut handles = Vec::with_capacity(named + 1);
        let mut changed = Vec::new();
        for (index, server) in servers(&self.table).enumerate() {
            if let Some((c, h)) = carried.metrics(index) {
                counters.push(c);
                handles.push(h);
                continue;
            }
            counters.push(server.locations.iter().map(|_| LazyCounters::default()).collect());
            handles.push(crate::request_metrics::server_handles(server));
            changed.push(index);
        }
        self.counters = counters;
        self.handles = handles;
        self.metrics = Some(Arc::clone(metrics));
        // A changed server's locations may have served under the previous table: their
        // handles are taken now, while that table still holds them, so no scrape in between
        // forgets (and resets) their series. Only the first table is made fully lazy.
        if previous.is_some() {
            for at in changed {
                let locations = self.handles.get(at).map_or(0, |cells| cells.len());
                for index in 0..locations {
                    self.handles_at(at, index);
                }
            }
        }
        self.unrouted = Some(metrics.request_counters(""));
        crate::table_metrics::report(&self.table, &self.certs, metrics.controller());
    }

    /// The counters and handles of server `index` (the [`ServerId`] order), for carrying over.
    pub(crate) fn server_metrics(
        &self,
        index: usize,
    ) -> Option<crate::snapshot_reuse::ServerMetrics> {
        Some((self.counters.get(index)?.clone(), self.handles.get(index)?.clone()))
    }

    /// The ingress-nginx metric handle of a location for a request `backend` served (`None`:
    /// not recorded, or unrouted). The location's first request makes its handles.
    pub(crate) fn metric_handle(
        &self,
        location: Option<(ServerId, usize)>,
        backend: Option<portico_model::BackendId>,
    ) -> Option<Arc<Handle>> {
        let (server, index) = location?;
        self.handles_at(server.0.min(self.table.servers.len()), index)?.get(backend)
    }

    /// The handles of location `index` of server `at` (the [`ServerId`] order), made on first
    /// use.
    fn handles_at(
        &self,
        at: usize,
        index: usize,
    ) -> Option<&crate::request_metrics::LocationHandles> {
        let cell = self.handles.get(at)?.get(index)?;
        if let Some(handles) = cell.get() {
            return Some(handles);
        }
        let metrics = self.metrics.as_ref()?.requests();
        let server = self.server(ServerId(at));
        let location = server.locations.get(index)?;
        let defined = at < self.table.servers.len();
        let table = &self.table;
        Some(cell.get_or_init(|| {
            crate::request_metrics::handles_of(table, server, location, defined, metrics)
        }))
    }

    /// Takes the limit zones of `zones` that this table still uses (Ingress and limit
    /// unchanged), makes new ones for the rest, and leaves `zones` with exactly these.
    /// Refused requests are counted per Ingress in `metrics`.
    pub(crate) fn attach_limits(&mut self, zones: &Zones, metrics: &Metrics) {
        let mut next = HashMap::new();
        let mut rejected: HashMap<Arc<str>, LimitRejections> = HashMap::new();
        let limits = servers(&self.table)
            .enumerate()
            .map(|(at, server)| {
                // Most servers have no limits: their list stays empty (reads past it are None).
                if !server.locations.iter().any(|l| l.policy.filters.limits().is_some()) {
                    return Vec::new();
                }
                let locations = server.locations.iter().enumerate().map(|(index, location)| {
                    let limits = location.policy.filters.limits()?;
                    let name = self.name_at(at, index)?;
                    let counters = rejected
                        .entry(name.clone())
                        .or_insert_with(|| metrics.limit_rejections(name));
                    Some(zones.attach((name, counters), limits, &mut next))
                });
                let mut cells: Vec<Option<LimitState>> = locations.collect();
                cells.truncate(cells.iter().rposition(Option::is_some).map_or(0, |at| at + 1));
                cells.shrink_to_fit();
                cells
            })
            .collect();
        self.limits = limits;
        zones.commit(next);
    }

    /// The limit zones of a location, when it has limits.
    pub(crate) fn limits(&self, server: ServerId, location: usize) -> Option<&LimitState> {
        self.limits.get(server.0.min(self.table.servers.len()))?.get(location)?.as_ref()
    }

    /// The server behind a router id.
    pub fn server(&self, id: ServerId) -> &Server {
        portico_router::server(&self.table, id)
    }

    /// The Ingress (`namespace/name`, or empty) owning a location; `None` before the
    /// snapshot is swapped in.
    pub(crate) fn ingress(&self, server: ServerId, location: usize) -> Option<&Arc<str>> {
        self.name_at(server.0.min(self.table.servers.len()), location)
    }

    /// [`Snapshot::ingress`] by server index; written on first use.
    fn name_at(&self, at: usize, index: usize) -> Option<&Arc<str>> {
        let cell = &self.counters.get(at)?.get(index)?.name;
        if let Some(name) = cell.get() {
            return Some(name);
        }
        let location = self.server(ServerId(at)).locations.get(index)?;
        Some(cell.get_or_init(|| match &location.ingress {
            Some(obj) => Arc::from(format!("{}/{}", obj.namespace, obj.name)),
            None => Arc::from(""),
        }))
    }

    /// Counts a request answered with `status` for a location (or unrouted when `None`).
    /// The location's first request makes its counters.
    pub(crate) fn record(&self, location: Option<(ServerId, usize)>, status: u16) {
        let counters = location
            .and_then(|(server, index)| {
                let at = server.0.min(self.table.servers.len());
                let cell = &self.counters.get(at)?.get(index)?.counters;
                if let Some(counters) = cell.get() {
                    return Some(counters);
                }
                let (metrics, name) = (self.metrics.as_ref()?, self.name_at(at, index)?);
                Some(cell.get_or_init(|| metrics.request_counters(name)))
            })
            .or(self.unrouted.as_ref());
        if let Some(counters) = counters {
            counters.record(status);
        }
    }
}

/// Named servers then the default server: the order of [`ServerId`].
pub(crate) fn servers(table: &RouteTable) -> impl Iterator<Item = &Server> {
    table.servers.iter().chain(std::iter::once(&table.default_server))
}
