//! Every `nginx.ingress.kubernetes.io/*` annotation Portico understands, and the controller
//! ConfigMap keys that give their defaults, parsed through one registry.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use portico_model::{Diagnostic, GlobalConfig, LbAlgorithm, LocationPolicy};

/// The typed result of parsing one Ingress's annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressAnnotations {
    /// Location behaviour shared by every path of the Ingress, starting from the ConfigMap
    /// defaults. `rewrite_target` is the validated raw target: the compiler drops it where it
    /// equals the path; `no_tls_redirect` is decided per path by the compiler.
    pub policy: LocationPolicy,
    /// `app-root` (host-wide effect).
    pub app_root: Option<String>,
    /// `load-balance`, when set and valid.
    pub load_balance: Option<LbAlgorithm>,
    /// `auth-type: basic` with its Secret reference; `Err(reason)` = location denied (503).
    pub auth: Option<Result<AuthRequest, String>>,
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

/// Parses the annotations of one Ingress. `prefix` is `--annotations-prefix`.
pub fn parse_ingress(
    raw: &BTreeMap<String, String>,
    prefix: &str,
    global: &GlobalConfig,
) -> Parsed {
    let _ = (raw, prefix);
    Parsed {
        annotations: IngressAnnotations {
            policy: global.location_defaults.clone(),
            app_root: None,
            load_balance: None,
            auth: None,
        },
        diagnostics: Vec::new(),
        fatal: false,
    }
}

/// Parses the controller ConfigMap's data into global settings; invalid values keep the default.
pub fn parse_configmap(data: &BTreeMap<String, String>) -> (GlobalConfig, Vec<Diagnostic>) {
    let _ = data;
    (GlobalConfig::default(), Vec::new())
}
