//! External mode: the conformance suite pointed at a controller that is already running (Portico
//! or ingress-nginx in a cluster), configured by environment variables (see `e2e/README.md`).
//!
//! - `PORTICO_E2E_HTTP=host:port` turns it on: no `portico` is started.
//! - `PORTICO_E2E_HTTPS=host:port`: the controller's HTTPS address, for TLS tests.
//! - `PORTICO_E2E_APPLY`: command applying a manifests directory, run with `sh -c` after
//!   substituting `{dir}` (the directory) and `{name}` (the test case's name, also its
//!   namespace), e.g. `kubectl apply -f {dir}`. Required in external mode.
//! - `PORTICO_E2E_DELETE`: optional command run when a test ends, same substitutions (e.g.
//!   `kubectl delete -f {dir}`).
//! - `PORTICO_E2E_BACKEND_IP`: the address the controller reaches the test's echo backends at
//!   (default `127.0.0.1`; when set, backends listen on every interface).
//! - `PORTICO_E2E_CLASS`: `spec.ingressClassName` of the test Ingresses (default `portico`).
//! - `PORTICO_E2E_CONFIGMAP=ns/name`: the controller's ConfigMap; tests that set ConfigMap keys
//!   are skipped without it. Every test then applies it (empty when the test sets nothing), so
//!   no test sees another's settings.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

/// The external controller, when `PORTICO_E2E_HTTP` is set.
#[derive(Debug, Clone)]
pub struct External {
    pub http: SocketAddr,
    pub https: Option<SocketAddr>,
    pub apply: String,
    pub delete: Option<String>,
    /// `(namespace, name)` of the controller ConfigMap.
    pub configmap: Option<(String, String)>,
}

// === impl External ===

impl External {
    /// Reads the environment; `None` in the default (local) mode. Panics on malformed values:
    /// a misconfigured run must not silently test something else.
    pub fn from_env() -> Option<External> {
        let http = std::env::var("PORTICO_E2E_HTTP").ok()?;
        let addr = |var: &str, value: &str| -> SocketAddr {
            value.parse().unwrap_or_else(|e| panic!("{var}={value:?}: not host:port ({e})"))
        };
        let https = std::env::var("PORTICO_E2E_HTTPS").ok().map(|v| addr("PORTICO_E2E_HTTPS", &v));
        let apply = std::env::var("PORTICO_E2E_APPLY").unwrap_or_else(|_| {
            panic!("PORTICO_E2E_HTTP is set: PORTICO_E2E_APPLY (e.g. 'kubectl apply -f {{dir}}') is required")
        });
        let configmap = std::env::var("PORTICO_E2E_CONFIGMAP").ok().map(|v| {
            let (ns, name) = v
                .split_once('/')
                .unwrap_or_else(|| panic!("PORTICO_E2E_CONFIGMAP={v:?}: expected NAMESPACE/NAME"));
            (ns.to_string(), name.to_string())
        });
        Some(External {
            http: addr("PORTICO_E2E_HTTP", &http),
            https,
            apply,
            delete: std::env::var("PORTICO_E2E_DELETE").ok(),
            configmap,
        })
    }

    /// Runs the apply command on `dir` of case `name` (off the async runtime); panics with its
    /// output on failure.
    pub async fn apply(&self, dir: &Path, name: &str) {
        let command = substitute(&self.apply, dir, name);
        let out = run_command(command.clone()).await;
        assert!(out.0, "{command} failed:\n{}", out.1);
    }

    /// Runs the delete command, if any; failures are only printed (cleanup is best effort).
    pub fn delete(&self, dir: &Path, name: &str) {
        let Some(delete) = &self.delete else { return };
        let command = substitute(delete, dir, name);
        match std::process::Command::new("sh").arg("-c").arg(&command).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!("{command}: {}", String::from_utf8_lossy(&out.stderr)),
            Err(error) => eprintln!("{command}: {error}"),
        }
    }
}

/// `PORTICO_E2E_BACKEND_IP`: the address written into the EndpointSlices of test backends.
pub fn backend_ip() -> IpAddr {
    std::env::var("PORTICO_E2E_BACKEND_IP")
        .ok()
        .map(|v| v.parse().unwrap_or_else(|e| panic!("PORTICO_E2E_BACKEND_IP={v:?}: {e}")))
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The address echo backends listen on: loopback, unless the controller reaches them elsewhere.
pub fn backend_bind_ip() -> IpAddr {
    match backend_ip() {
        ip if ip.is_loopback() => ip,
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    }
}

/// `PORTICO_E2E_CLASS`: the ingress class of test Ingresses (default `portico`).
pub fn ingress_class() -> String {
    std::env::var("PORTICO_E2E_CLASS").unwrap_or_else(|_| "portico".to_string())
}

/// `{dir}` and `{name}` replaced.
fn substitute(command: &str, dir: &Path, name: &str) -> String {
    command.replace("{dir}", &dir.display().to_string()).replace("{name}", name)
}

/// Runs `sh -c <command>` on a blocking thread: (success, stdout + stderr).
async fn run_command(command: String) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        match std::process::Command::new("sh").arg("-c").arg(&command).output() {
            Ok(out) => (
                out.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            ),
            Err(error) => (false, format!("cannot run {command}: {error}")),
        }
    })
    .await
    .unwrap_or_else(|e| (false, format!("apply task failed: {e}")))
}
