//! ConfigMap keys of OpenTelemetry tracing, as ingress-nginx renders them into its module's
//! `opentelemetry.toml` and `opentelemetry_*` directives (`internal/ingress/controller/
//! nginx.go`, `createOpentelemetryCfg`). The per-location keys (`enable-opentelemetry`,
//! `opentelemetry-trust-incoming-span`, `opentelemetry-operation-name`) are the defaults of
//! the annotations of the same names.

use std::sync::Arc;

use portico_model::{LogFormat, LogPart, LogVar, RootSampler};

use super::ConfigKeySpec;
use crate::value::{parse_bool, parse_count};

/// `enable-opentelemetry`, `opentelemetry-*`, `otlp-collector-*`, `otel-*`.
pub(super) static KEYS: &[ConfigKeySpec] = &[
    key!(
        "enable-opentelemetry",
        "false",
        location_defaults.tracing.enabled,
        parse_bool,
        "Trace every location (the enable-opentelemetry annotation overrides): a server span \
         per request and client spans for the auth subrequest and each upstream attempt, \
         exported to otlp-collector-host over OTLP/HTTP; the backend gets Portico's \
         traceparent. Without otlp-collector-host nothing is traced."
    ),
    key!(
        "opentelemetry-trust-incoming-span",
        "true",
        location_defaults.tracing.trust_incoming,
        parse_bool,
        "A valid incoming traceparent becomes the parent of the server span (false: every \
         request starts a new trace)."
    ),
    key!(
        "opentelemetry-operation-name",
        "",
        location_defaults.tracing.operation_name,
        parse_operation_name,
        "Name of the server span, with nginx variables: $request_method, $request_uri, $uri, \
         $args, $scheme, $host, $namespace, $ingress_name, $service_name, \
         $proxy_upstream_name, $status, $request_id, $remote_addr. Unset: the location's path."
    ),
    accepted_key!(
        "opentelemetry-config",
        "/etc/ingress-controller/telemetry/opentelemetry.toml",
        parse_config_path,
        "the otlp-collector-* and otel-* keys configure the exporter directly."
    ),
    key!(
        "otlp-collector-host",
        "",
        tracing.collector_host,
        parse_collector_host,
        "Host name or address of the OpenTelemetry collector (OTLP/HTTP, plain HTTP; an \
         http:// prefix is accepted)."
    ),
    key!(
        "otlp-collector-port",
        "4318",
        tracing.collector_port,
        parse_port,
        "Port of the collector's OTLP/HTTP receiver (POST /v1/traces). ingress-nginx's default \
         4317 is the OTLP/gRPC port; a value given is used as is."
    ),
    key!(
        "otel-service-name",
        "nginx",
        tracing.service_name,
        parse_service_name,
        "service.name of the exported spans (ingress-nginx's default, so that existing \
         queries keep working)."
    ),
    key!(
        "otel-sampler",
        "AlwaysOn",
        tracing.sampler.root,
        parse_sampler,
        "Sampler of new traces: AlwaysOn, AlwaysOff or TraceIdRatioBased."
    ),
    key!(
        "otel-sampler-ratio",
        "0.01",
        tracing.sampler.ratio_ppm,
        parse_ratio,
        "Share of traces TraceIdRatioBased keeps, 0 to 1."
    ),
    key!(
        "otel-sampler-parent-based",
        "true",
        tracing.sampler.parent_based,
        parse_bool,
        "A request with a trusted parent is sampled as its parent says; otel-sampler decides \
         only for new traces."
    ),
    key!(
        "otel-max-queuesize",
        "2048",
        tracing.max_queue_size,
        parse_positive,
        "Ended spans waiting for export; past it spans are dropped and counted \
         (portico_trace_spans_total{outcome=\"dropped\"})."
    ),
    key!(
        "otel-schedule-delay-millis",
        "5000",
        tracing.schedule_delay,
        |v| parse_positive(v).map(|ms| std::time::Duration::from_millis(ms as u64)),
        "Longest wait between two exports, in milliseconds."
    ),
    key!(
        "otel-max-export-batch-size",
        "512",
        tracing.max_export_batch_size,
        parse_positive,
        "Spans per export request (at most otel-max-queuesize)."
    ),
];

/// `opentelemetry-operation-name`: an nginx string with the variables known when the span
/// ends (no request headers: they are gone by then).
fn parse_operation_name(value: &str) -> Result<Option<Arc<LogFormat>>, String> {
    let format = LogFormat::parse(value)?;
    for part in &format.parts {
        let LogPart::Var(var) = part else { continue };
        let known = matches!(
            var,
            LogVar::RequestMethod
                | LogVar::RequestUri
                | LogVar::Uri
                | LogVar::Args
                | LogVar::Scheme
                | LogVar::Host
                | LogVar::Namespace
                | LogVar::IngressName
                | LogVar::ServiceName
                | LogVar::ProxyUpstreamName
                | LogVar::Status
                | LogVar::RequestId
                | LogVar::RemoteAddr
        );
        if !known {
            return Err(format!("{var:?} is not available in span names"));
        }
    }
    Ok(Some(Arc::new(format)))
}

/// `opentelemetry-config`: the module's configuration file, an absolute path.
fn parse_config_path(value: &str) -> Result<(), String> {
    match value.starts_with('/') {
        true => Ok(()),
        false => Err("must be an absolute path".to_string()),
    }
}

/// `otlp-collector-host`: a host name or address, optionally written `http://host`.
fn parse_collector_host(value: &str) -> Result<String, String> {
    let host = value.trim().strip_prefix("http://").unwrap_or(value.trim()).trim_end_matches('/');
    if host.contains("://") {
        return Err("only plain-HTTP collectors are supported (http:// or no scheme)".to_string());
    }
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let bracketed = if bare.contains(':') { format!("[{bare}]") } else { bare.to_string() };
    match http::uri::Authority::try_from(format!("{bracketed}:1").as_str()) {
        Ok(_) if !bare.is_empty() && !bare.contains(['/', '@', '?', '#']) => Ok(bare.to_string()),
        _ => Err("not a host name or address (the port is otlp-collector-port)".to_string()),
    }
}

/// A TCP port, 1 to 65535.
fn parse_port(value: &str) -> Result<u16, String> {
    match parse_count::<u16>(value) {
        Ok(0) | Err(_) => Err("must be a port between 1 and 65535".to_string()),
        Ok(port) => Ok(port),
    }
}

/// `otel-service-name`: not blank.
fn parse_service_name(value: &str) -> Result<String, String> {
    match value.trim() {
        "" => Err("must not be blank".to_string()),
        name => Ok(name.to_string()),
    }
}

/// `otel-sampler`: the names the module knows ("remote" is not supported).
fn parse_sampler(value: &str) -> Result<RootSampler, String> {
    match value {
        "AlwaysOn" => Ok(RootSampler::AlwaysOn),
        "AlwaysOff" => Ok(RootSampler::AlwaysOff),
        "TraceIdRatioBased" => Ok(RootSampler::TraceIdRatioBased),
        _ => Err("expected AlwaysOn, AlwaysOff or TraceIdRatioBased".to_string()),
    }
}

/// `otel-sampler-ratio`: a number from 0 to 1, kept in millionths.
fn parse_ratio(value: &str) -> Result<u32, String> {
    match value.trim().parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok((ratio * 1_000_000.0).round() as u32),
        _ => Err("must be a number from 0 to 1".to_string()),
    }
}

/// A count of at least 1.
fn parse_positive(value: &str) -> Result<usize, String> {
    match parse_count::<usize>(value)? {
        0 => Err("must be at least 1".to_string()),
        n => Ok(n),
    }
}
