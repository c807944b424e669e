//! What the ingress-nginx request metrics record: the label switches, bucket layouts and
//! exclusions of ingress-nginx's `--metrics-per-host`, `--time-buckets`, … flags.

use std::sync::Arc;

use crate::histogram::Buckets;

/// The seven request metrics, in the order they are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestMetric {
    Requests,
    RequestDuration,
    ResponseDuration,
    RequestSize,
    ResponseSize,
    BytesSent,
    UpstreamLatency,
}

/// How the request metrics are labelled and bucketed. Fixed for the process's lifetime.
#[derive(Debug, Clone)]
pub struct RequestMetricsConfig {
    /// `--metrics-per-host`: add the `host` label (the Ingress rule's host). Default on, as
    /// in ingress-nginx.
    pub per_host: bool,
    /// `--metrics-per-undefined-host`: with `per_host`, also record requests for hosts no
    /// Ingress defines (served by the default server, `host=""`). Default off: ingress-nginx
    /// skips them.
    pub per_undefined_host: bool,
    /// `--metrics-per-path`: add the `path` label (the location's path). Default off: it
    /// multiplies the series by the paths (kubernetes/ingress-nginx#4972).
    pub per_path: bool,
    /// `--report-status-classes`: `status="2xx"` instead of the code.
    pub status_classes: bool,
    /// `--time-buckets`: request/response duration and upstream latency (seconds).
    pub time_buckets: Buckets,
    /// `--length-buckets`: request and response size (bytes).
    pub length_buckets: Buckets,
    /// `--size-buckets`: bytes sent (bytes).
    pub size_buckets: Buckets,
    /// `--exclude-socket-metrics`: metrics neither recorded nor exported.
    pub excluded: Vec<RequestMetric>,
    /// The `controller_class`, `controller_namespace` and `controller_pod` labels.
    pub controller: ControllerLabels,
}

/// The labels ingress-nginx puts on every series of one controller pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControllerLabels {
    /// `--controller-class`.
    pub class: String,
    /// `POD_NAMESPACE`.
    pub namespace: String,
    /// `POD_NAME`.
    pub pod: String,
}

/// ingress-nginx's `--time-buckets` default (Prometheus' `DefBuckets`).
pub const DEFAULT_TIME_BUCKETS: [f64; 11] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// ingress-nginx's `--length-buckets` default (`LinearBuckets(10, 10, 10)`).
pub const DEFAULT_LENGTH_BUCKETS: [f64; 10] =
    [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0];
/// ingress-nginx's `--size-buckets` default (`ExponentialBuckets(10, 10, 7)`).
pub const DEFAULT_SIZE_BUCKETS: [f64; 7] = [10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7];

// === impl RequestMetric ===

impl RequestMetric {
    pub const ALL: [RequestMetric; 7] = [
        RequestMetric::Requests,
        RequestMetric::RequestDuration,
        RequestMetric::ResponseDuration,
        RequestMetric::RequestSize,
        RequestMetric::ResponseSize,
        RequestMetric::BytesSent,
        RequestMetric::UpstreamLatency,
    ];

    /// The exported name.
    pub fn name(self) -> &'static str {
        match self {
            RequestMetric::Requests => "nginx_ingress_controller_requests",
            RequestMetric::RequestDuration => "nginx_ingress_controller_request_duration_seconds",
            RequestMetric::ResponseDuration => "nginx_ingress_controller_response_duration_seconds",
            RequestMetric::RequestSize => "nginx_ingress_controller_request_size",
            RequestMetric::ResponseSize => "nginx_ingress_controller_response_size",
            RequestMetric::BytesSent => "nginx_ingress_controller_bytes_sent",
            RequestMetric::UpstreamLatency => "nginx_ingress_controller_upstream_latency_seconds",
        }
    }

    pub(crate) fn help(self) -> &'static str {
        match self {
            RequestMetric::Requests => "The total number of client requests",
            RequestMetric::RequestDuration => {
                "The request processing time in seconds, from the request's arrival to the \
                 last byte of the response"
            }
            RequestMetric::ResponseDuration => {
                "The time spent on receiving the response from the upstream server"
            }
            RequestMetric::RequestSize => {
                "The request length (including request line, header, and request body)"
            }
            RequestMetric::ResponseSize => "The response length (including status line and header)",
            RequestMetric::BytesSent => "The number of bytes sent to a client",
            RequestMetric::UpstreamLatency => {
                "The time from sending the request upstream to its response headers"
            }
        }
    }

    /// Parses an `--exclude-socket-metrics` entry, with or without the
    /// `nginx_ingress_controller_` prefix.
    pub fn parse(name: &str) -> Option<RequestMetric> {
        let short = name.trim().trim_start_matches("nginx_ingress_controller_");
        Self::ALL
            .into_iter()
            .find(|m| m.name().trim_start_matches("nginx_ingress_controller_") == short)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

// === impl RequestMetricsConfig ===

impl Default for RequestMetricsConfig {
    fn default() -> Self {
        Self {
            per_host: true,
            per_undefined_host: false,
            per_path: false,
            status_classes: false,
            time_buckets: Arc::from(DEFAULT_TIME_BUCKETS),
            length_buckets: Arc::from(DEFAULT_LENGTH_BUCKETS),
            size_buckets: Arc::from(DEFAULT_SIZE_BUCKETS),
            excluded: Vec::new(),
            controller: ControllerLabels::default(),
        }
    }
}

impl RequestMetricsConfig {
    pub(crate) fn enabled(&self) -> [bool; 7] {
        RequestMetric::ALL.map(|m| !self.excluded.contains(&m))
    }
}
