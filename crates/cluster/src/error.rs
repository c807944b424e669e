//! Errors of cluster mode. In `serve`, only connecting can fail for good (everything after that
//! is retried); a one-time [`snapshot`](crate::snapshot) also fails when a list does.

use std::path::PathBuf;

use crate::Kind;

/// Why cluster mode cannot start, or a snapshot cannot be read.
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
    /// A list request of a [`snapshot`](crate::snapshot) was refused: RBAC.
    #[error(
        "cannot list {kind} {scope}: forbidden; the credentials need `list` on this kind \
         ({message})"
    )]
    ListForbidden { kind: Kind, scope: String, message: String },
    /// A list request of a [`snapshot`](crate::snapshot) failed otherwise.
    #[error("cannot list {kind} {scope}: {reason}")]
    List { kind: Kind, scope: String, reason: String },
}

/// What an API error says: the server's `code reason: message` for a `Status`, else the
/// error with its causes.
pub(crate) fn api_reason(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            format!("{} {}: {}", status.code, status.reason, status.message)
        }
        other => chain(other),
    }
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
