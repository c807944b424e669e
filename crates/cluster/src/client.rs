//! Connecting: `--kubeconfig`, else `KUBECONFIG`/`~/.kube/config`, else the pod's service account.

use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::error::{chain, ClusterError};

/// How long the first `GET /version` may take, in all, before giving up.
const REACH_TIMEOUT: Duration = Duration::from_secs(3);

/// Builds a client and checks the API server answers. Fails with a message that says what to
/// do when no configuration exists or the server cannot be reached.
pub async fn connect(kubeconfig: Option<&Path>) -> Result<Client, ClusterError> {
    let config = match kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path).map_err(|e| ClusterError::Kubeconfig {
                path: path.to_path_buf(),
                reason: chain(&e),
            })?;
            Config::from_custom_kubeconfig(file, &KubeConfigOptions::default()).await.map_err(
                |e| ClusterError::Kubeconfig { path: path.to_path_buf(), reason: chain(&e) },
            )?
        }
        None => Config::infer().await.map_err(|e| ClusterError::NoConfig { reason: chain(&e) })?,
    };
    let url = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(ClusterError::Client)?;
    let deadline = tokio::time::Instant::now() + REACH_TIMEOUT;
    let mut delay = Duration::from_millis(100);
    loop {
        let attempt = tokio::time::timeout(REACH_TIMEOUT, client.apiserver_version()).await;
        let reason = match attempt {
            Ok(Ok(version)) => {
                tracing::info!(%url, version = %version.git_version, "connected to the Kubernetes API");
                return Ok(client);
            }
            Ok(Err(error)) => chain(&error),
            Err(_) => format!("no answer within {REACH_TIMEOUT:?}"),
        };
        if tokio::time::Instant::now() + delay > deadline {
            return Err(ClusterError::Unreachable { url, reason });
        }
        tracing::warn!(%url, %reason, "Kubernetes API not reachable yet; retrying");
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
}
