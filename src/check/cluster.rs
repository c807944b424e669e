//! `portico check` without DIR: the objects `portico serve` would watch, with the same flags and
//! the same connection fallback, read once from the Kubernetes API. List requests only: nothing
//! is watched, written, elected or published.

use portico_cluster::{ClusterError, SnapshotConfig};
use portico_compiler::Options;
use portico_model::Diagnostic;

use super::Input;
use crate::cli::CheckArgs;

/// Connects (`--kubeconfig`, else KUBECONFIG or ~/.kube/config, else the pod's service account)
/// and lists everything the table reads in `--watch-namespace` (all namespaces without it).
pub(super) async fn read(args: &CheckArgs, options: &Options) -> anyhow::Result<Input> {
    let client = match portico_cluster::connect(args.kubeconfig.as_deref()).await {
        Ok(client) => client,
        Err(ClusterError::NoConfig { reason }) => anyhow::bail!(
            "nothing to check: no manifests DIR given, and no Kubernetes API to read from instead \
             (not running in a cluster, no KUBECONFIG and no ~/.kube/config); pass DIR, or \
             --kubeconfig PATH ({reason})"
        ),
        Err(error) => return Err(error.into()),
    };
    let mut config = SnapshotConfig::new(options.clone());
    config.namespace = args.watch_namespace.clone();
    let objects = portico_cluster::snapshot(&client, &config).await?;
    let scope = match &args.watch_namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "in any namespace".to_string(),
    };
    let nothing = Diagnostic::warning(format!(
        "nothing was read: the Kubernetes API holds no objects Portico reads {scope}"
    ));
    Ok(Input { objects, diagnostics: Vec::new(), nothing })
}
