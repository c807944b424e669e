//! ingress-nginx's request metrics (`nginx_ingress_controller_requests`, the duration, size
//! and latency histograms) under its names and labels, recorded without locks.
//!
//! # Recording path
//!
//! When a routing table is swapped in, the proxy asks for one [`Handle`] per location
//! ([`RequestMetrics::handle`]), plus one per canary backend of the location: the label values
//! that are fixed per location (`ingress`, `namespace`, `service`, `host`, `path` when enabled,
//! `canary`) are rendered into a string once,
//! there, and the handle is shared by every request of that location. Handles with the same
//! labels are the same handle, so counters survive table swaps.
//!
//! `status` and `method` vary per request. A handle holds a small open-addressed table of
//! [`SLOTS`] series keyed by `(method, status)`: a request computes the key (the method is one
//! of ten fixed names, anything else is `OTHER`, so a client cannot create series), probes
//! from its hash, and claims an empty slot with one compare-and-swap the first time a
//! combination is seen (the series is allocated then, once). Every later request with that
//! combination does one or two atomic loads to find its series, then relaxed atomic adds: one
//! counter and up to six histograms (`AtomicHistogram`) of a few buckets.
//! No hashing of label strings, no lock, no allocation per request. A handle whose table is
//! full (more than [`SLOTS`] combinations: practically never) counts the rest in five
//! overflow series, `method="OTHER"` and `status` as a class.
//!
//! # Contention
//!
//! The only shared writes are those relaxed atomic adds. Requests of one location, method
//! and status running on different cores touch the same cache lines; that is the one cost
//! that grows with cores. If the performance work measures it, `Series` is the seam: hold
//! one per shard (picked by a thread-local index) and sum them in `Handle::encode`, which
//! already walks every series at scrape time.
//!
//! # Scrape
//!
//! [`RequestMetrics::encode`] takes the handle map's lock (never taken per request), drops
//! the handles no live table uses any more (the series of a deleted Ingress disappear, as in
//! ingress-nginx) and writes the Prometheus text format.

mod config;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

pub use config::{
    ControllerLabels, RequestMetric, RequestMetricsConfig, DEFAULT_LENGTH_BUCKETS,
    DEFAULT_SIZE_BUCKETS, DEFAULT_TIME_BUCKETS,
};

use crate::histogram::AtomicHistogram;
use crate::labels::push_label;

/// Series per handle: distinct `(method, status)` combinations recorded exactly.
pub const SLOTS: usize = 64;

/// The methods reported by name; any other is `OTHER` (bounded cardinality).
const METHODS: [&str; 10] =
    ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER"];

/// The request metrics of the process and the handles of the live locations.
#[derive(Debug)]
pub struct RequestMetrics {
    config: Arc<RequestMetricsConfig>,
    /// `controller_class="…",controller_namespace="…",controller_pod="…"`.
    constant: String,
    handles: Mutex<HashMap<HandleKey, Arc<Handle>>>,
}

/// The label values fixed per location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HandleKey {
    pub namespace: String,
    pub ingress: String,
    pub service: String,
    /// The Ingress rule's host (`""` for the default server).
    pub host: String,
    /// The location's path; only a label with `per_path`.
    pub path: String,
    /// The canary backend's upstream name when a canary served the request, else `""`.
    pub canary: String,
}

/// The series of one location: prepared at swap time, recorded into per request.
#[derive(Debug)]
pub struct Handle {
    config: Arc<RequestMetricsConfig>,
    enabled: [bool; 7],
    /// Rendered `ingress="…",namespace="…",…` (without status and method).
    labels: String,
    /// [`SLOTS`] series slots, allocated by the first request: a table has a handle per
    /// location (200,000 at 100,000 Ingresses) and most never see a request.
    slots: OnceLock<Box<[Slot]>>,
    overflow: [OnceLock<Box<Series>>; 5],
}

/// One `(method, status)` series of a handle; `key` 0 = free.
#[derive(Debug, Default)]
struct Slot {
    key: AtomicU32,
    series: OnceLock<Box<Series>>,
}

/// The counter and histograms of one full label set.
#[derive(Debug)]
struct Series {
    requests: AtomicU64,
    /// Indexed by [`RequestMetric::index`] − 1.
    histograms: [AtomicHistogram; 6],
}

/// What one request contributes, known once its response body has ended.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub method: &'a str,
    pub status: u16,
    /// From the request's arrival to the end of the response body.
    pub request_secs: f64,
    /// From sending upstream to the end of the upstream's body (`None`: no upstream).
    pub response_secs: Option<f64>,
    /// From sending upstream to its response headers.
    pub upstream_latency_secs: Option<f64>,
    /// Request line, headers and body.
    pub request_bytes: u64,
    /// Status line, headers and body sent.
    pub response_bytes: u64,
}

// === impl RequestMetrics ===

impl RequestMetrics {
    pub fn new(config: RequestMetricsConfig) -> Self {
        let mut constant = String::new();
        push_label(&mut constant, "controller_class", &config.controller.class);
        push_label(&mut constant, "controller_namespace", &config.controller.namespace);
        push_label(&mut constant, "controller_pod", &config.controller.pod);
        Self { config: Arc::new(config), constant, handles: Mutex::new(HashMap::new()) }
    }

    pub fn config(&self) -> &RequestMetricsConfig {
        &self.config
    }

    /// The handle of a location; `defined_host`: the location belongs to a host an Ingress
    /// names. `None` when such requests are not recorded (undefined host with `per_host` and
    /// without `per_undefined_host`, as ingress-nginx). Call at swap time: it locks and
    /// allocates.
    pub fn handle(&self, mut key: HandleKey, defined_host: bool) -> Option<Arc<Handle>> {
        let config = &self.config;
        if config.per_host && !defined_host && !config.per_undefined_host {
            return None;
        }
        // Locations whose labels render the same share one handle (else duplicate series).
        if !config.per_path {
            key.path.clear();
        }
        if !config.per_host {
            key.host.clear();
        }
        let mut handles = self.handles.lock();
        let handle =
            handles.entry(key).or_insert_with_key(|key| Arc::new(Handle::new(config, key)));
        Some(Arc::clone(handle))
    }

    /// Writes every enabled metric in the Prometheus text format; forgets handles that no
    /// live table holds.
    pub fn encode(&self, out: &mut String) {
        let mut handles = self.handles.lock();
        handles.retain(|_, handle| Arc::strong_count(handle) > 1);
        let mut sorted: Vec<&Arc<Handle>> = handles.values().collect();
        sorted.sort_by(|a, b| a.labels.cmp(&b.labels));
        let enabled = self.config.enabled();
        for metric in RequestMetric::ALL.into_iter().filter(|m| enabled[m.index()]) {
            let name = metric.name();
            let kind = if metric == RequestMetric::Requests { "counter" } else { "histogram" };
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} {kind}", metric.help());
            for handle in &sorted {
                handle.encode(out, metric, &self.constant);
            }
        }
    }
}

// === impl Handle ===

impl Handle {
    fn new(config: &Arc<RequestMetricsConfig>, key: &HandleKey) -> Self {
        let mut labels = String::new();
        push_label(&mut labels, "ingress", &key.ingress);
        push_label(&mut labels, "namespace", &key.namespace);
        push_label(&mut labels, "service", &key.service);
        if config.per_host {
            push_label(&mut labels, "host", &key.host);
        }
        if config.per_path {
            push_label(&mut labels, "path", &key.path);
        }
        push_label(&mut labels, "canary", &key.canary);
        Self {
            config: Arc::clone(config),
            enabled: config.enabled(),
            labels,
            slots: OnceLock::new(),
            overflow: Default::default(),
        }
    }

    /// Records one request: finds (or, the first time, claims) the series of its method and
    /// status, then adds to its counter and histograms. Lock-free.
    pub fn record(&self, seen: &Observation<'_>) {
        let status = if self.config.status_classes { seen.status / 100 * 100 } else { seen.status };
        let series = self.series(method_index(seen.method), status.min(999));
        let enabled = &self.enabled;
        if enabled[RequestMetric::Requests.index()] {
            series.requests.fetch_add(1, Ordering::Relaxed);
        }
        let observe = |metric: RequestMetric, value: Option<f64>| {
            if let (true, Some(value)) = (enabled[metric.index()], value) {
                series.histograms[metric.index() - 1].observe(value);
            }
        };
        observe(RequestMetric::RequestDuration, Some(seen.request_secs));
        observe(RequestMetric::ResponseDuration, seen.response_secs);
        observe(RequestMetric::RequestSize, Some(seen.request_bytes as f64));
        observe(RequestMetric::ResponseSize, Some(seen.response_bytes as f64));
        observe(RequestMetric::BytesSent, Some(seen.response_bytes as f64));
        observe(RequestMetric::UpstreamLatency, seen.upstream_latency_secs);
    }

    /// The series of `(method, status)`: linear probing from the key's hash; an empty slot is
    /// claimed with one CAS. Full table → the overflow series of the status class.
    fn series(&self, method: usize, status: u16) -> &Series {
        let key = ((method as u32) << 10 | u32::from(status)) + 1;
        let start = (key.wrapping_mul(0x9E37_79B1) >> 26) as usize;
        let slots = self.slots.get_or_init(|| (0..SLOTS).map(|_| Slot::default()).collect());
        for probe in 0..SLOTS {
            let Some(slot) = slots.get((start + probe) % SLOTS) else { break };
            let mut current = slot.key.load(Ordering::Acquire);
            if current == 0 {
                current =
                    match slot.key.compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => key,
                        Err(actual) => actual,
                    };
            }
            if current == key {
                return slot.series.get_or_init(|| Box::new(Series::new(&self.config)));
            }
        }
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        let overflow = &self.overflow[class];
        overflow.get_or_init(|| Box::new(Series::new(&self.config)))
    }

    fn encode(&self, out: &mut String, metric: RequestMetric, constant: &str) {
        let slots = self.slots.get().map_or(&[][..], |slots| &slots[..]);
        let claimed = slots.iter().filter_map(|slot| {
            let key = slot.key.load(Ordering::Acquire);
            let series = slot.series.get()?;
            let (method, status) = ((key - 1) >> 10, (key - 1) & 0x3ff);
            let status = if self.config.status_classes {
                format!("{}xx", status / 100)
            } else {
                status.to_string()
            };
            Some((METHODS.get(method as usize).copied().unwrap_or("OTHER"), status, series))
        });
        let overflow = self.overflow.iter().enumerate().filter_map(|(class, series)| {
            Some(("OTHER", format!("{}xx", class + 1), series.get()?))
        });
        let mut series: Vec<_> = claimed.chain(overflow).collect();
        series.sort_by(|a, b| (a.1.as_str(), a.0).cmp(&(b.1.as_str(), b.0)));
        for (method, status, series) in series {
            let mut labels = format!("{constant},{}", self.labels);
            push_label(&mut labels, "status", &status);
            push_label(&mut labels, "method", method);
            series.encode(out, metric, &labels);
        }
    }
}

// === impl Series ===

impl Series {
    fn new(config: &RequestMetricsConfig) -> Self {
        let time = || AtomicHistogram::new(config.time_buckets.clone());
        let length = || AtomicHistogram::new(config.length_buckets.clone());
        let size = AtomicHistogram::new(config.size_buckets.clone());
        Self {
            requests: AtomicU64::new(0),
            histograms: [time(), time(), length(), length(), size, time()],
        }
    }

    fn encode(&self, out: &mut String, metric: RequestMetric, labels: &str) {
        let name = metric.name();
        match metric.index().checked_sub(1).and_then(|i| self.histograms.get(i)) {
            Some(histogram) => histogram.encode(out, name, labels),
            None => {
                let _ =
                    writeln!(out, "{name}{{{labels}}} {}", self.requests.load(Ordering::Relaxed));
            }
        }
    }
}

/// The index in [`METHODS`] (`OTHER` for anything not listed).
fn method_index(method: &str) -> usize {
    METHODS.iter().position(|m| *m == method).unwrap_or(METHODS.len() - 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests;
