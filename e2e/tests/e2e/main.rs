//! Every end-to-end test in one binary: the real `portico` binary (built by cargo for this
//! package's tests), real clients and real backends on loopback. One module per annotation,
//! ConfigMap setting or concern, as ingress-nginx's `test/e2e/annotations/` and
//! `test/e2e/settings/`; sections in `§N.M` refer to `docs/behaviour.md`.
//!
//! One binary links once and shares the harness; run one file's tests with
//! `cargo test -p portico-e2e --test e2e <module>::`.

mod access_log;
mod admin;
mod annotation_affinity;
mod annotation_app_root;
mod annotation_auth;
mod annotation_auth_live;
mod annotation_auth_tls;
mod annotation_auth_url;
mod annotation_backend_protocol;
mod annotation_canary;
mod annotation_configuration_snippet;
mod annotation_cors;
mod annotation_custom_headers;
mod annotation_custom_http_errors;
mod annotation_default_backend;
mod annotation_force_ssl_redirect;
mod annotation_from_to_www_redirect;
mod annotation_interactions;
mod annotation_limits;
mod annotation_load_balance_ewma;
mod annotation_mirror;
mod annotation_permanent_redirect;
mod annotation_preserve_trailing_slash;
mod annotation_proxy_redirect_cookie;
mod annotation_proxy_request_buffering;
mod annotation_proxy_ssl;
mod annotation_relative_redirects;
mod annotation_rewrite_target;
mod annotation_server_alias;
mod annotation_service_upstream;
mod annotation_source_range;
mod annotation_ssl_ciphers;
mod annotation_ssl_passthrough;
mod annotation_ssl_redirect;
mod annotation_unsupported_access;
mod annotation_upstream_hash_by;
mod annotation_use_port_in_redirects;
mod annotation_use_regex;
mod annotation_x_forwarded_prefix;
mod auth_support;
mod balancer_state;
mod bodies;
mod check_cluster;
mod check_diagnostics;
mod cluster;
mod examples;
mod external_name;
mod hardening;
mod headers;
mod metrics_ingress_nginx;
mod reload;
mod reload_limits;
mod routing;
mod settings_access_log;
mod settings_add_headers;
mod settings_client_address;
mod settings_gzip;
mod settings_http_redirect_code;
mod settings_no_tls_redirect_locations;
mod settings_ssl_protocols;
mod settings_use_forwarded_headers;
mod tls;
mod tracing_otel;
mod upstream;
mod websocket;
