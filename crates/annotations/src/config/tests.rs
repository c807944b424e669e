use std::collections::BTreeMap;
use std::time::Duration;

use portico_model::{GlobalConfig, LbAlgorithm, Severity};

use super::CONFIG_KEYS;
use crate::parse_configmap;

fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn field(key: &str) -> String {
    format!("data[\"{key}\"]")
}

type Check = fn(&GlobalConfig) -> bool;

/// One valid value per key and what it must produce.
const VALID: &[(&str, &str, Check)] = &[
    ("ssl-redirect", "false", |c| {
        c.location_defaults.filters.https_redirect().is_some_and(|r| !r.ssl_redirect)
    }),
    ("force-ssl-redirect", "True", |c| {
        c.location_defaults.filters.https_redirect().is_some_and(|r| r.force)
    }),
    ("http-redirect-code", "301", |c| c.http_redirect_code == 301),
    ("no-tls-redirect-locations", "/a, /b", |c| c.no_tls_redirect_locations == ["/a", "/b"]),
    ("no-tls-redirect-locations", "", |c| c.no_tls_redirect_locations.is_empty()),
    ("no-auth-locations", "/health,/metrics", |c| c.no_auth_locations == ["/health", "/metrics"]),
    ("no-auth-locations", "", |c| c.no_auth_locations.is_empty()),
    ("preserve-trailing-slash", "1", |c| {
        c.location_defaults.filters.https_redirect().is_some_and(|r| r.preserve_trailing_slash)
    }),
    ("relative-redirects", "true", |c| c.location_defaults.filters.relative_redirects()),
    ("use-port-in-redirects", "true", |c| c.location_defaults.filters.redirect_style().port),
    ("server-tokens", "true", |c| c.headers.server_tokens),
    ("add-headers", "ns/cm", |c| c.headers.add_headers_configmap.as_deref() == Some("ns/cm")),
    ("proxy-set-headers", "ns/up", |c| {
        c.headers.proxy_set_headers_configmap.as_deref() == Some("ns/up")
    }),
    ("hide-headers", "X-Powered-By, Server", |c| {
        c.headers.hide.iter().map(|h| h.as_str()).eq(["x-powered-by", "server"])
    }),
    ("global-allowed-response-headers", "My-Header, X-Other", |c| {
        c.headers.allowed_response_headers == ["My-Header", "X-Other"]
    }),
    ("custom-http-errors", "404, 503", |c| {
        c.location_defaults.filters.custom_errors().is_some_and(|e| e.codes == [404, 503])
    }),
    ("use-forwarded-headers", "true", |c| c.use_forwarded_headers),
    ("compute-full-forwarded-for", "t", |c| c.compute_full_forwarded_for),
    ("generate-request-id", "false", |c| !c.generate_request_id),
    ("use-proxy-protocol", "true", |c| c.real_ip.proxy_protocol),
    ("allow-snippet-annotations", "true", |c| c.allow_snippet_annotations),
    ("enable-real-ip", "true", |c| c.real_ip.enable),
    ("forwarded-for-header", "X-Client-IP", |c| c.real_ip.header == "x-client-ip"),
    ("proxy-real-ip-cidr", "10.0.0.0/8, ::1", |c| c.real_ip.trusted.len() == 2),
    ("proxy-body-size", "8m", |c| c.location_defaults.max_body_size == Some(8 << 20)),
    ("proxy-body-size", "0", |c| c.location_defaults.max_body_size.is_none()),
    ("proxy-connect-timeout", "10", |c| c.location_defaults.timeouts.connect == secs(10)),
    ("proxy-read-timeout", "3600", |c| c.location_defaults.timeouts.read == secs(3600)),
    ("proxy-send-timeout", "120", |c| c.location_defaults.timeouts.send == secs(120)),
    ("proxy-next-upstream", "off", |c| {
        let n = c.location_defaults.next_upstream;
        !n.on_error && !n.on_timeout && n.tries == 3
    }),
    ("proxy-next-upstream-tries", "5", |c| c.location_defaults.next_upstream.tries == 5),
    ("load-balance", "lc", |c| c.load_balance == LbAlgorithm::LeastConnections),
    ("allow-cross-namespace-resources", "true", |c| c.allow_cross_namespace_resources),
    ("keep-alive", "0", |c| c.client.keepalive == Duration::ZERO),
    ("keep-alive-requests", "2", |c| c.client.keepalive_requests == 2),
    ("whitelist-source-range", "10.0.0.0/8", |c| !c.location_defaults.filters.is_empty()),
    ("denylist-source-range", "::1", |c| !c.location_defaults.filters.is_empty()),
    ("client-header-timeout", "3", |c| c.client.header_timeout == secs(3)),
    ("client-body-timeout", "4", |c| c.client.body_timeout == secs(4)),
    ("client-header-buffer-size", "2k", |c| c.client.header_buffer_size == 2048),
    ("large-client-header-buffers", "8 16k", |c| c.client.large_header_buffers == (8, 16384)),
    ("large-client-header-buffers", " 2  1k ", |c| c.client.large_header_buffers == (2, 1024)),
    ("proxy-buffer-size", "16k", |c| c.location_defaults.proxy_buffer_size == 16384),
    ("worker-shutdown-timeout", "240s", |c| c.shutdown_grace == Some(secs(240))),
    ("worker-shutdown-timeout", "2m", |c| c.shutdown_grace == Some(secs(120))),
    ("worker-shutdown-timeout", "7", |c| c.shutdown_grace == Some(secs(7))),
    ("upstream-keepalive-connections", "0", |c| c.upstream_keepalive_connections == 0),
    ("upstream-keepalive-timeout", "30", |c| c.upstream_keepalive_timeout == secs(30)),
    ("hsts", "false", |c| !c.hsts.enabled),
    ("hsts-max-age", "600", |c| c.hsts.max_age == 600),
    ("hsts-include-subdomains", "false", |c| !c.hsts.include_subdomains),
    ("hsts-preload", "true", |c| c.hsts.preload),
    ("limit-req-status-code", "429", |c| c.limits.req_status == 429),
    ("limit-conn-status-code", "429", |c| c.limits.conn_status == 429),
    ("limit-rate", "100", |c| c.limits.rate == 100),
    ("limit-rate-after", "10", |c| c.limits.rate_after == 10),
    ("proxy-request-buffering", "off", |c| !c.location_defaults.request_body.buffering),
    ("client-body-buffer-size", "1m", |c| c.location_defaults.request_body.memory_limit == 1 << 20),
    ("proxy-http-version", "1.0", |c| c.location_defaults.request_body.http10),
    ("proxy-buffering", "on", |c| *c == GlobalConfig::default()),
    ("proxy-buffers-number", "8", |c| *c == GlobalConfig::default()),
    ("proxy-busy-buffers-size", "16k", |c| *c == GlobalConfig::default()),
    ("proxy-max-temp-file-size", "0", |c| *c == GlobalConfig::default()),
    ("use-gzip", "true", |c| c.compression.gzip.enabled),
    ("gzip-level", "9", |c| c.compression.gzip.level == 9),
    ("gzip-min-length", "0", |c| c.compression.gzip.min_length == 0),
    ("gzip-types", "Text/CSV  */*", |c| c.compression.gzip.types == ["text/csv", "*/*"]),
    ("gzip-types", "*", |c| c.compression.gzip.types == ["*"]),
    ("enable-brotli", "true", |c| c.compression.brotli.enabled),
    ("brotli-level", "11", |c| c.compression.brotli.level == 11),
    ("brotli-min-length", "1000", |c| c.compression.brotli.min_length == 1000),
    ("brotli-types", "application/json", |c| c.compression.brotli.types == ["application/json"]),
    ("ssl-protocols", "TLSv1.3", |c| c.tls.tls13 && !c.tls.tls12),
    ("ssl-protocols", "TLSv1.2", |c| c.tls.tls12 && !c.tls.tls13),
    ("ssl-ciphers", "ECDHE-RSA-AES256-GCM-SHA384:!aNULL", |c| {
        c.tls.tls12_suites == ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
    }),
    ("ssl-ciphers", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,HIGH", |c| {
        c.tls.tls12_suites.len() == 6
            && c.tls.tls12_suites[0] == "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
    }),
    ("ssl-session-cache", "false", |c| !c.tls.session_cache),
    ("ssl-session-cache-size", "1m", |c| c.tls.session_cache_entries == 4096),
    ("ssl-session-timeout", "1h", |c| *c == GlobalConfig::default()),
    ("ssl-session-tickets", "true", |c| c.tls.session_tickets),
    ("ssl-early-data", "false", |c| *c == GlobalConfig::default()),
    ("use-http2", "false", |c| !c.tls.http2),
    ("http2-max-concurrent-streams", "16", |c| c.tls.http2_max_concurrent_streams == 16),
    ("http2-max-field-size", "8k", |c| *c == GlobalConfig::default()),
    ("http2-max-header-size", "32k", |c| *c == GlobalConfig::default()),
    ("http2-max-requests", "1000", |c| *c == GlobalConfig::default()),
    ("disable-access-log", "true", |c| c.access_log.disabled),
    ("disable-http-access-log", "true", |c| c.access_log.disabled),
    ("http-access-log-path", "/dev/stderr", |c| {
        c.access_log.nginx.as_ref().is_some_and(|n| n.path == "/dev/stderr")
    }),
    ("access-log-path", "/var/log/portico.log", |c| {
        c.access_log.nginx.as_ref().is_some_and(|n| n.path == "/var/log/portico.log")
    }),
    ("access-log-path", "/var/log/nginx/access.log", |c| {
        c.access_log.nginx.as_ref().is_some_and(|n| n.path == "/dev/stdout")
    }),
    ("log-format-upstream", "$remote_addr $status", |c| {
        c.access_log.nginx.as_ref().is_some_and(|n| n.format.parts.len() == 3 && !n.escape_json)
    }),
    ("log-format-escape-json", "true", |c| {
        c.access_log.nginx.as_ref().is_some_and(|n| n.escape_json)
    }),
    ("enable-opentelemetry", "true", |c| c.location_defaults.tracing.enabled),
    ("opentelemetry-trust-incoming-span", "false", |c| !c.location_defaults.tracing.trust_incoming),
    ("opentelemetry-operation-name", "HTTP $request_method $service_name", |c| {
        c.location_defaults.tracing.operation_name.as_ref().is_some_and(|f| f.parts.len() == 4)
    }),
    ("opentelemetry-config", "/etc/otel.toml", |c| *c == GlobalConfig::default()),
    ("otlp-collector-host", "otel-collector.monitoring.svc", |c| {
        c.tracing.collector_host == "otel-collector.monitoring.svc"
    }),
    ("otlp-collector-host", "http://10.0.0.7/", |c| c.tracing.collector_host == "10.0.0.7"),
    ("otlp-collector-host", "[fd00::7]", |c| c.tracing.collector_host == "fd00::7"),
    ("otlp-collector-port", "4317", |c| c.tracing.collector_port == 4317),
    ("otel-service-name", "portico", |c| c.tracing.service_name == "portico"),
    ("otel-sampler", "TraceIdRatioBased", |c| {
        c.tracing.sampler.root == portico_model::RootSampler::TraceIdRatioBased
    }),
    ("otel-sampler", "AlwaysOff", |c| {
        c.tracing.sampler.root == portico_model::RootSampler::AlwaysOff
    }),
    ("otel-sampler-ratio", "0.25", |c| c.tracing.sampler.ratio_ppm == 250_000),
    ("otel-sampler-ratio", "1", |c| c.tracing.sampler.ratio_ppm == 1_000_000),
    ("otel-sampler-parent-based", "false", |c| !c.tracing.sampler.parent_based),
    ("otel-max-queuesize", "100", |c| c.tracing.max_queue_size == 100),
    ("otel-schedule-delay-millis", "250", |c| c.tracing.schedule_delay.as_millis() == 250),
    ("otel-max-export-batch-size", "64", |c| c.tracing.max_export_batch_size == 64),
];

/// Invalid values per key; each must keep the default and name `data["<key>"]`.
const INVALID: &[(&str, &[&str])] = &[
    ("relative-redirects", &["on"]),
    ("use-port-in-redirects", &["yes"]),
    ("server-tokens", &["on"]),
    ("add-headers", &["cm", "ns/", "a/b/c"]),
    ("proxy-set-headers", &["cm"]),
    ("hide-headers", &["a b", "x:y"]),
    ("global-allowed-response-headers", &["a b"]),
    ("custom-http-errors", &["abc", "200, 600"]),
    ("ssl-redirect", &["yes", " true", "on"]),
    ("force-ssl-redirect", &["enabled"]),
    ("http-redirect-code", &["300", "200", "303", "abc", "308 ", "-308"]),
    ("no-tls-redirect-locations", &["/a\n/b"]),
    ("no-auth-locations", &["/a\r"]),
    ("preserve-trailing-slash", &["2"]),
    ("use-forwarded-headers", &["TRUE!"]),
    ("compute-full-forwarded-for", &["y"]),
    ("generate-request-id", &["no"]),
    ("use-proxy-protocol", &["yes"]),
    ("allow-snippet-annotations", &["yes"]),
    ("enable-real-ip", &["on"]),
    ("forwarded-for-header", &["X Client"]),
    ("proxy-real-ip-cidr", &["10.0.0.0/33", ","]),
    ("proxy-body-size", &["1mb", "x", "-1"]),
    ("proxy-connect-timeout", &["5s", "0", "-1"]),
    ("proxy-read-timeout", &["1m"]),
    ("proxy-send-timeout", &["1.5"]),
    ("proxy-next-upstream", &["error sometimes", "off error"]),
    ("proxy-next-upstream-tries", &["-1", "many"]),
    ("load-balance", &["random", "RR"]),
    ("allow-cross-namespace-resources", &["sure"]),
    ("keep-alive", &["75s", "-1"]),
    ("keep-alive-requests", &["-1", "x"]),
    ("whitelist-source-range", &["10.0.0.0/8,nope", "300.1.1.1"]),
    ("denylist-source-range", &["::1/129"]),
    ("client-header-timeout", &["0", "60s"]),
    ("client-body-timeout", &["1.5"]),
    ("client-header-buffer-size", &["0", "big"]),
    ("large-client-header-buffers", &["4", "4 0", "0 8k", "4 8k 2", "64 8k", "x 8k"]),
    ("proxy-buffer-size", &["0", "4kb"]),
    ("worker-shutdown-timeout", &["soon", "5d", "-1s"]),
    ("upstream-keepalive-connections", &["-1", "lots"]),
    ("upstream-keepalive-timeout", &["60s"]),
    ("hsts", &["maybe"]),
    ("hsts-max-age", &["1y", "-1"]),
    ("hsts-include-subdomains", &["yes"]),
    ("hsts-preload", &["yes"]),
    ("limit-req-status-code", &["200", "600", "x"]),
    ("limit-conn-status-code", &["302", "5o3"]),
    ("limit-rate", &["10k", "fast"]),
    ("limit-rate-after", &["1m"]),
    ("proxy-request-buffering", &["true", "On", "yes"]),
    ("client-body-buffer-size", &["0", "8kb"]),
    ("proxy-http-version", &["2", "1", "HTTP/1.1"]),
    ("proxy-buffering", &["false"]),
    ("proxy-buffers-number", &["0", "four"]),
    ("proxy-busy-buffers-size", &["0", "big"]),
    ("proxy-max-temp-file-size", &["-1", "1t"]),
    ("use-gzip", &["on", "yes"]),
    ("gzip-level", &["0", "10", "max"]),
    ("gzip-min-length", &["-1", "1k"]),
    ("gzip-types", &["text", "text/html/x", "/x"]),
    ("enable-brotli", &["on"]),
    ("brotli-level", &["12", "-1"]),
    ("brotli-min-length", &["20b"]),
    ("brotli-types", &["json"]),
    ("ssl-protocols", &["TLSv1 TLSv1.1", "TLSv1.4", "tls1.2"]),
    ("ssl-ciphers", &["DHE-RSA-AES256-GCM-SHA384", "AES128-SHA:!HIGH", "RC4-MD5"]),
    ("ssl-session-cache", &["on"]),
    ("ssl-session-cache-size", &["0", "10mb"]),
    ("ssl-session-timeout", &["10 minutes"]),
    ("ssl-session-tickets", &["off"]),
    ("ssl-early-data", &["on"]),
    ("use-http2", &["h2"]),
    ("http2-max-concurrent-streams", &["0", "-1"]),
    ("http2-max-field-size", &["0"]),
    ("http2-max-header-size", &["x"]),
    ("http2-max-requests", &["-5"]),
    ("disable-access-log", &["yes"]),
    ("disable-http-access-log", &["no"]),
    ("http-access-log-path", &["relative.log"]),
    ("access-log-path", &["access.log", "stdout"]),
    ("log-format-upstream", &["$remote_addr $unknown_var", "${status"]),
    ("log-format-escape-json", &["json"]),
    ("enable-opentelemetry", &["on", "yes"]),
    ("opentelemetry-trust-incoming-span", &["no"]),
    ("opentelemetry-operation-name", &["HTTP $nope", "${uri", "$http_user_agent"]),
    ("opentelemetry-config", &["opentelemetry.toml"]),
    ("otlp-collector-host", &["https://collector", "grpc://c", "a b", "host/path", "user@host"]),
    ("otlp-collector-port", &["0", "65536", "4317/tcp", "-1"]),
    ("otel-service-name", &[" "]),
    ("otel-sampler", &["alwayson", "remote", "ParentBased"]),
    ("otel-sampler-ratio", &["1.5", "-0.1", "half", "NaN"]),
    ("otel-sampler-parent-based", &["maybe"]),
    ("otel-max-queuesize", &["0", "-1", "big"]),
    ("otel-schedule-delay-millis", &["0", "5s"]),
    ("otel-max-export-batch-size", &["0", "x"]),
];

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn empty_configmap_gives_the_defaults() {
    let (config, diagnostics) = parse_configmap(&BTreeMap::new());
    assert_eq!(config, GlobalConfig::default());
    assert!(diagnostics.is_empty());
}

#[test]
fn every_key_accepts_a_valid_value() {
    for (key, value, check) in VALID {
        let (config, diagnostics) = parse_configmap(&data(&[(key, value)]));
        assert!(check(&config), "{key}={value:?}");
        assert!(diagnostics.is_empty(), "{key}={value:?}: {diagnostics:?}");
    }
}

#[test]
fn every_key_rejects_invalid_values_and_keeps_the_default() {
    for (key, values) in INVALID {
        for value in *values {
            let (config, diagnostics) = parse_configmap(&data(&[(key, value)]));
            let denies = CONFIG_KEYS.iter().any(|s| s.key == *key && s.deny_on_invalid);
            if denies {
                assert!(config.location_defaults.denied.is_some(), "{key}={value:?}: never open");
            } else {
                assert_eq!(config, GlobalConfig::default(), "{key}={value:?}");
            }
            assert_eq!(diagnostics.len(), 1, "{key}={value:?}");
            assert_eq!(diagnostics[0].field.as_deref(), Some(field(key).as_str()));
            assert!(diagnostics[0].message.contains(&format!("{value:?}")), "{key}={value:?}");
        }
    }
}

#[test]
fn every_key_is_tested_and_its_documented_default_is_the_default() {
    // The global-auth-* keys are read together: tested in external_auth/tests.rs.
    for spec in CONFIG_KEYS.iter().filter(|s| !s.key.starts_with("global-auth-")) {
        assert!(VALID.iter().any(|(k, ..)| *k == spec.key), "{} lacks a valid case", spec.key);
        assert!(INVALID.iter().any(|(k, _)| *k == spec.key), "{} lacks an invalid case", spec.key);
        let (config, diagnostics) = parse_configmap(&data(&[(spec.key, spec.default)]));
        assert_eq!(config, GlobalConfig::default(), "{}", spec.key);
        assert!(diagnostics.is_empty(), "{}", spec.key);
    }
}

#[test]
fn empty_values_are_unset_except_for_lists() {
    let (config, diagnostics) =
        parse_configmap(&data(&[("ssl-redirect", ""), ("proxy-body-size", "")]));
    assert_eq!(config, GlobalConfig::default());
    assert!(diagnostics.is_empty());
}

#[test]
fn unknown_keys_are_reported() {
    let (config, diagnostics) = parse_configmap(&data(&[
        ("enable-underscores-in-headers", "true"),
        ("ssl-redirect", "false"),
    ]));
    assert!(config.location_defaults.filters.https_redirect().is_some_and(|r| !r.ssl_redirect));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].severity, Severity::Warning);
    assert_eq!(
        diagnostics[0].field.as_deref(),
        Some(field("enable-underscores-in-headers").as_str())
    );
    assert_eq!(
        diagnostics[0].message,
        "ConfigMap key enable-underscores-in-headers is not supported by Portico"
    );
}

#[test]
fn substitutes_are_applied_with_a_warning() {
    let (config, diagnostics) = parse_configmap(&data(&[
        ("load-balance", "chash"),
        ("proxy-next-upstream", "error http_502"),
    ]));
    assert_eq!(config.load_balance, LbAlgorithm::RoundRobin);
    assert!(config.location_defaults.next_upstream.on_error);
    assert!(!config.location_defaults.next_upstream.on_timeout);
    let fields: Vec<_> = diagnostics.iter().filter_map(|d| d.field.clone()).collect();
    assert_eq!(fields, [field("proxy-next-upstream"), field("load-balance")]);
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn tls_values_beyond_rustls_are_dropped_with_a_warning() {
    let cases = [
        ("ssl-protocols", "TLSv1 TLSv1.1 TLSv1.2", "TLSv1 TLSv1.1"),
        ("ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:DHE-RSA-AES128-SHA", "AES128-SHA"),
        ("ssl-early-data", "true", "0-RTT"),
    ];
    for (key, value, named) in cases {
        let (config, diagnostics) = parse_configmap(&data(&[(key, value)]));
        assert_eq!(diagnostics.len(), 1, "{key}: {diagnostics:?}");
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(diagnostics[0].field.as_deref(), Some(field(key).as_str()));
        assert!(diagnostics[0].message.contains(named), "{}", diagnostics[0].message);
        assert!(!diagnostics[0].message.contains("DHE-"), "DHE suites are dropped silently");
        assert!(config.tls.tls12, "{key}");
    }
    let (config, _) =
        parse_configmap(&data(&[("ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA")]));
    assert_eq!(config.tls.tls12_suites, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
}

#[test]
fn http_access_log_path_wins_over_access_log_path() {
    let pairs = [("http-access-log-path", "/dev/stderr"), ("access-log-path", "/var/log/a.log")];
    let (config, diagnostics) = parse_configmap(&data(&pairs));
    assert!(diagnostics.is_empty());
    assert_eq!(config.access_log.nginx.unwrap().path, "/dev/stderr");
}

#[test]
fn next_upstream_keeps_tries_in_either_order() {
    let (config, _) = parse_configmap(&data(&[
        ("proxy-next-upstream-tries", "9"),
        ("proxy-next-upstream", "timeout"),
    ]));
    let next = config.location_defaults.next_upstream;
    assert_eq!((next.tries, next.on_error, next.on_timeout), (9, false, true));
}

#[test]
fn configmap_defaults_flow_into_annotations() {
    let (global, _) =
        parse_configmap(&data(&[("ssl-redirect", "false"), ("proxy-body-size", "5m")]));
    let parsed = crate::tests::parse_with(&[("proxy-read-timeout", "7")], &global);
    let policy = &parsed.annotations.policy;
    assert!(policy.filters.https_redirect().is_some_and(|r| !r.ssl_redirect));
    assert_eq!(policy.max_body_size, Some(5 << 20));
    assert_eq!(policy.timeouts.read, secs(7));
}

#[test]
fn unsupported_restricting_keys_deny_every_location() {
    let cases: &[(&str, &str, bool)] = &[
        ("block-referers", "evil.example", true),
        ("enable-modsecurity", "true", true),
        ("enable-modsecurity", "false", false),
        ("block-user-agents", "curl", true),
        ("block-cidrs", "", false),
    ];
    for (key, value, denies) in cases {
        let (config, diagnostics) = parse_configmap(&data(&[(key, value)]));
        let denied = config.location_defaults.denied.as_deref().unwrap_or_default();
        assert_eq!(denied.contains(key), *denies, "{key}={value:?}: {denied:?}");
        if *denies {
            assert_eq!(diagnostics.len(), 1, "{key}");
            assert_eq!(diagnostics[0].severity, portico_model::Severity::Error, "{key}");
            assert!(diagnostics[0].message.contains("fails closed"), "{key}");
        } else {
            assert!(diagnostics.iter().all(|d| d.severity != portico_model::Severity::Error));
        }
    }
}

#[test]
fn tracing_keys_explain_bad_values_under_their_key() {
    let (config, diagnostics) = parse_configmap(&data(&[
        ("otel-sampler", "remote"),
        ("otlp-collector-host", "https://collector.monitoring"),
        ("otel-sampler-ratio", "2"),
    ]));
    assert_eq!(config.tracing, portico_model::TracingSettings::default());
    let message = |key: &str| {
        let found = diagnostics.iter().find(|d| d.field.as_deref() == Some(field(key).as_str()));
        found.map(|d| d.message.clone()).unwrap_or_default()
    };
    assert!(message("otel-sampler").contains("expected AlwaysOn, AlwaysOff or TraceIdRatioBased"));
    assert!(message("otel-sampler").contains("keeping the default \"AlwaysOn\""));
    assert!(message("otlp-collector-host").contains("plain-HTTP"));
    assert!(message("otel-sampler-ratio").contains("from 0 to 1"));
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Warning));
}
