//! Every `nginx.ingress.kubernetes.io/*` annotation Portico understands, and the controller
//! ConfigMap keys that give their defaults, parsed through one registry.
//!
//! Each family (rewrite, proxy, balance, affinity, upstream hashing, auth, mirror, ...) declares its annotations in the registry
//! ([`registry()`]) beside its parser; [`parse_ingress`] validates every `<prefix>/*` annotation
//! through it and reports unknown ones; those of ingress-nginx that restrict access deny the
//! Ingress's locations (503) until Portico implements them ([`unsupported()`], fail closed).
//! [`parse_configmap`] does the same for ConfigMap keys ([`config_keys()`]). Values are only
//! ever data: nothing is interpreted as configuration.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use portico_model::{Diagnostic, GlobalConfig, HashBy, HostTls, LbAlgorithm, LocationPolicy};

mod accepted;
mod affinity;
mod alias;
mod auth;
mod authtls;
mod backend;
mod backend_protocol;
mod balance;
mod buffering;
mod canary;
mod config;
mod context;
mod cors;
mod docs;
mod external_auth;
mod ipaccess;
mod limits;
mod logging;
mod mirror;
mod opentelemetry;
mod passthrough;
mod proxy;
mod proxy_rewrite;
mod proxy_ssl;
mod redirect;
mod registry;
mod rewrite;
mod service_upstream;
mod snippet;
mod ssl_ciphers;
mod support;
mod unsupported;
mod upstream_hash;
mod value;

pub use affinity::{AffinityRequest, DEFAULT_COOKIE_NAME};
pub use authtls::AuthTlsRequest;
pub use backend_protocol::{parse_protocol, Protocol};
pub use balance::parse_load_balance;
pub use canary::Canary;
pub use config::{render_markdown as render_config_markdown, ConfigKeySpec};
pub use docs::render_reference;
pub use ipaccess::parse_cidrs;
pub use proxy::parse_next_upstream;
pub use proxy_ssl::{parse_ciphers, ProxySslRequest, RUSTLS_TLS12_CIPHERS};
pub use registry::{
    lookup, registry, render_markdown, AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind,
};
pub use support::{support_of, Support, ACCEPTED_WITHOUT_EFFECT};
pub use unsupported::{
    lookup_unsupported, render_unsupported_markdown, unsupported, Effect, UnsupportedSpec, When,
};
pub use upstream_hash::{parse_expression as parse_hash_expression, DEFAULT_SUBSET_SIZE};
pub use value::{parse_bool, parse_size};

/// The default `--annotations-prefix`.
pub const DEFAULT_PREFIX: &str = "nginx.ingress.kubernetes.io";

/// The typed result of parsing one Ingress's annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressAnnotations {
    /// Location behaviour shared by every path of the Ingress, starting from the ConfigMap
    /// defaults. Its `rewrite-target` filter holds the validated raw target: the compiler drops
    /// it where it does not rewrite (empty, or the path itself), and the HTTPS redirect filter
    /// under `no-tls-redirect-locations`. `denied` is set
    /// when an unsupported access-restricting annotation is present (its reason names them).
    pub policy: LocationPolicy,
    /// `app-root` (host-wide effect).
    pub app_root: Option<String>,
    /// `load-balance`, when set and valid.
    pub load_balance: Option<LbAlgorithm>,
    /// `affinity: cookie` and `affinity-mode`, for the backends this Ingress uses.
    pub affinity: AffinityRequest,
    /// `upstream-hash-by` (+ subsets), for the backends this Ingress creates first.
    pub hash_by: Option<HashBy>,
    /// `auth-type: basic` with its Secret reference; `Err(reason)` = location denied (503).
    pub auth: Option<Result<AuthRequest, String>>,
    /// `auth-tls-secret` and its settings (host-wide); `Err(reason)` = location denied (503).
    pub auth_tls: Option<Result<AuthTlsRequest, String>>,
    /// `proxy-ssl-secret` and its settings; `Err(reason)` = location denied (503).
    pub proxy_ssl: Option<Result<ProxySslRequest, String>>,
    /// `service-upstream`: the backends this Ingress creates first use the ClusterIP.
    pub service_upstream: bool,
    /// `auth-proxy-set-headers` (with `auth-url`): the ConfigMap, `name` or `namespace/name`,
    /// whose data the compiler sets on the auth request.
    pub auth_proxy_set_headers: Option<String>,
    /// `canary: "true"` and its routing: the Ingress adds alternative backends to the main
    /// Ingress's locations instead of owning paths.
    pub canary: Option<Canary>,
    /// `from-to-www-redirect`: the www/non-www twin of each host this Ingress adds paths to
    /// redirects to it (host-wide).
    pub from_to_www_redirect: bool,
    /// `server-alias`: more exact names of the Ingress's hosts, lowercase, sorted, unique.
    pub aliases: Vec<String>,
    /// `default-backend`: a Service name in the Ingress's namespace.
    pub default_backend: Option<String>,
    /// `custom-headers`: a ConfigMap (`namespace/name`, or `name` in the Ingress's namespace).
    pub custom_headers: Option<String>,
    /// `ssl-passthrough: "true"` (host-wide; only with `--enable-ssl-passthrough`).
    pub ssl_passthrough: bool,
    /// `ssl-ciphers`, `ssl-prefer-server-ciphers` (host-wide: the oldest Ingress of the host
    /// setting each decides).
    pub host_tls: HostTls,
}

/// A basic-auth request from annotations, before the Secret is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// `auth-secret` namespace when written as `ns/name`.
    pub secret_namespace: Option<String>,
    pub secret_name: String,
    pub secret_type: AuthSecretType,
    /// `auth-realm`, empty when absent.
    pub realm: String,
}

/// `auth-secret-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSecretType {
    /// Key `auth` holds htpasswd lines.
    AuthFile,
    /// One key per user, value = hash.
    AuthMap,
}

/// Outcome of parsing one Ingress's annotations.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub annotations: IngressAnnotations,
    /// Problems found, without an object attached (the compiler attaches the Ingress).
    pub diagnostics: Vec<Diagnostic>,
    /// An annotation whose parser returns errors in ingress-nginx failed: the Ingress is not
    /// loaded (its last good version stays).
    pub fatal: bool,
}

/// Parses the annotations of one Ingress. `prefix` is `--annotations-prefix`; `global` gives the
/// ConfigMap defaults. Diagnostics name `metadata.annotations["<prefix>/<name>"]`.
pub fn parse_ingress(
    raw: &BTreeMap<String, String>,
    prefix: &str,
    global: &GlobalConfig,
) -> Parsed {
    let mut ctx = context::Ctx::new(raw, prefix);
    let mut annotations = IngressAnnotations {
        policy: global.location_defaults.clone(),
        app_root: None,
        load_balance: None,
        affinity: AffinityRequest::default(),
        hash_by: None,
        auth: None,
        auth_tls: None,
        proxy_ssl: None,
        service_upstream: false,
        canary: None,
        auth_proxy_set_headers: None,
        from_to_www_redirect: false,
        aliases: Vec::new(),
        default_backend: None,
        custom_headers: None,
        ssl_passthrough: false,
        host_tls: HostTls::default(),
    };
    rewrite::apply(&mut ctx, &mut annotations);
    redirect::apply(&mut ctx, &mut annotations);
    annotations.aliases = alias::parse(&mut ctx);
    backend::apply(&mut ctx, &mut annotations);
    proxy::apply(&mut ctx, &mut annotations.policy);
    backend_protocol::apply(&mut ctx, &mut annotations.policy);
    proxy_rewrite::apply(&mut ctx, &mut annotations.policy);
    proxy_ssl::apply(&mut ctx, &mut annotations);
    buffering::apply(&mut ctx, &mut annotations.policy);
    mirror::apply(&mut ctx, &mut annotations.policy);
    logging::apply(&mut ctx, &mut annotations.policy);
    opentelemetry::apply(&mut ctx, &mut annotations.policy);
    balance::apply(&mut ctx, &mut annotations);
    affinity::apply(&mut ctx, &mut annotations);
    upstream_hash::apply(&mut ctx, &mut annotations);
    service_upstream::apply(&mut ctx, &mut annotations);
    auth::apply(&mut ctx, &mut annotations);
    authtls::apply(&mut ctx, &mut annotations);
    ipaccess::apply(&mut ctx, &mut annotations.policy);
    limits::apply(&mut ctx, &mut annotations.policy, global);
    cors::apply(&mut ctx, &mut annotations.policy);
    snippet::apply(&mut ctx, &mut annotations.policy, global);
    annotations.auth_proxy_set_headers = external_auth::apply(&mut ctx, &mut annotations.policy);
    annotations.canary = canary::parse(&mut ctx);
    accepted::apply(&mut ctx);
    passthrough::apply(&mut ctx, &mut annotations);
    ssl_ciphers::apply(&mut ctx, &mut annotations);
    if !ctx.denied.is_empty() {
        let reason =
            format!("unsupported access-restricting annotation(s): {}", ctx.denied.join(", "));
        annotations.policy.denied = Some(reason.into());
    }
    Parsed { annotations, diagnostics: ctx.diagnostics, fatal: ctx.fatal }
}

/// Parses the controller ConfigMap's data into global settings; invalid values keep the default.
pub fn parse_configmap(data: &BTreeMap<String, String>) -> (GlobalConfig, Vec<Diagnostic>) {
    config::parse(data)
}

/// Every ConfigMap key Portico understands, in the order they are applied.
pub fn config_keys() -> &'static [ConfigKeySpec] {
    &config::CONFIG_KEYS
}

#[cfg(test)]
mod tests;
