//! `portico serve` without `--manifests`: the flags and the pod's environment turned into
//! cluster mode's configuration; the table rebuilt through the same [`Pipeline`].

use std::sync::Arc;

use anyhow::Context;
use portico_cluster::{Client, Config, LeaseConfig, Publish};
use portico_metrics::Metrics;
use portico_store::ObjectKey;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::pipeline::Pipeline;

/// A connected API client and what to do with it.
pub struct Cluster {
    client: Client,
    config: Config,
}

// === impl Cluster ===

impl Cluster {
    /// Connects (fails with what to do when no API server is configured or reachable) and
    /// checks the cluster-mode flags.
    pub async fn connect(
        args: &ServeArgs,
        options: &portico_compiler::Options,
    ) -> anyhow::Result<Self> {
        let publish = match (&args.publish_status_address, &args.publish_service) {
            (Some(addresses), _) => Some(Publish::addresses(addresses)),
            (None, Some(service)) => {
                let key = ObjectKey::parse(service, "default").with_context(|| {
                    format!("--publish-service {service:?}: expected NAMESPACE/NAME")
                })?;
                Some(Publish::Service(key))
            }
            (None, None) => None,
        };
        let client = portico_cluster::connect(args.kubeconfig.as_deref()).await?;
        let namespace =
            env("POD_NAMESPACE").unwrap_or_else(|| client.default_namespace().to_string());
        let lease = LeaseConfig::new(&args.election_id, namespace, identity());
        let mut config = Config::new(options.clone(), lease);
        config.namespace = args.watch_namespace.clone();
        config.publish = publish;
        config.node_name = env("NODE_NAME");
        tracing::info!(
            namespace = config.namespace.as_deref().unwrap_or("(all)"),
            lease = %format!("{}/{}", config.lease.namespace, config.lease.name),
            identity = %config.lease.identity,
            "cluster mode"
        );
        Ok(Self { client, config })
    }

    /// Watches and rebuilds until `stop` turns true; then releases the leader Lease.
    pub async fn run(
        self,
        mut pipeline: Pipeline,
        metrics: Arc<Metrics>,
        stop: watch::Receiver<bool>,
    ) {
        // Compiling is CPU work, done off the runtime.
        let rebuild = move |objects: &portico_store::Objects| {
            let started = std::time::Instant::now();
            crate::pipeline::off_thread(|| pipeline.rebuild(objects, Vec::new(), started))
        };
        portico_cluster::run(self.client, self.config, metrics, rebuild, stop).await;
    }
}

pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Who holds the Lease: the pod name (`POD_NAME`), else the host name.
fn identity() -> String {
    env("POD_NAME")
        .or_else(|| env("HOSTNAME"))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("portico-{}", std::process::id()))
}
