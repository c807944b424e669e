//! Errors of cluster mode. Only connecting can fail for good; everything after that is retried.

use std::path::PathBuf;

/// Why cluster mode cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `--kubeconfig`, no `KUBECONFIG` or `~/.kube/config`, and not running in a pod.
    #[error(
        "no Kubernetes API configured: not running in a cluster (no service account), no \
         KUBECONFIG and no ~/.kube/config; pass --kubeconfig PATH, or --manifests DIR to serve \
         without a cluster ({reason})"
    )]
    NoConfig { reason: String },
    /// `--kubeconfig PATH` cannot be read or used.
    #[error("kubeconfig {}: {reason}", path.display())]
    Kubeconfig { path: PathBuf, reason: String },
    /// The configuration was found but the client cannot be built from it.
    #[error("cannot build a Kubernetes client: {0}")]
    Client(#[source] kube::Error),
    /// The API server did not answer `GET /version`.
    #[error("cannot reach the Kubernetes API at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

/// The error and its causes, `: `-joined (kube's errors keep the useful part in the source).
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
