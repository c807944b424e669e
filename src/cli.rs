//! The command-line contract. Flag names are public: users' scripts depend on them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Portico: a Kubernetes ingress controller that keeps your ingress-nginx annotations working.
#[derive(Debug, Parser)]
#[command(name = "portico", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once, at start
pub enum Command {
    /// Run the proxy (standalone with --manifests, or against the Kubernetes API).
    Serve(ServeArgs),
    /// Load and compile a manifests directory (without DIR: the objects in the Kubernetes API,
    /// read once); print the routing table, every diagnostic and a migration summary. Exits 1
    /// when there are errors; with --strict, 2 when there are none but some Ingress will behave
    /// differently from ingress-nginx.
    Check(CheckArgs),
    /// Run a whoami-style echo backend (for the quickstart and tests).
    Echo(EchoArgs),
}

/// Flags that decide which objects are ours and how they are read (serve and check).
#[derive(Debug, Clone, Args)]
pub struct ControllerArgs {
    /// Ingress class name this controller claims.
    #[arg(long, default_value = "portico")]
    pub ingress_class: String,
    /// IngressClass `spec.controller` value this controller claims.
    #[arg(long, default_value = "portico.dev/ingress-controller")]
    pub controller_class: String,
    /// Also serve Ingresses that name no class at all.
    #[arg(long)]
    pub watch_ingress_without_class: bool,
    /// Prefix of the annotations read from Ingresses.
    #[arg(long, default_value = "nginx.ingress.kubernetes.io")]
    pub annotations_prefix: String,
    /// The controller ConfigMap (global settings), as NAMESPACE/NAME.
    #[arg(long, value_name = "NS/NAME")]
    pub configmap: Option<String>,
    /// Service answering requests that match no rule, as NAMESPACE/NAME (first port).
    #[arg(long, value_name = "NS/NAME")]
    pub default_backend_service: Option<String>,
    /// `kubernetes.io/tls` Secret served to TLS clients whose host has no certificate of its
    /// own (and without SNI), as NAMESPACE/NAME. Without it, or when it cannot be loaded, a
    /// generated self-signed "Kubernetes Ingress Controller Fake Certificate" is served.
    #[arg(long, value_name = "NS/NAME")]
    pub default_ssl_certificate: Option<String>,
    /// Honour the `ssl-passthrough` annotation: on the HTTPS listener, TLS connections whose
    /// SNI names such a host are passed unterminated to the backend of its `/` path. Without
    /// it the annotation is a warning and the host is terminated as usual (as ingress-nginx).
    #[arg(long)]
    pub enable_ssl_passthrough: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve from a directory of Kubernetes YAML/JSON manifests instead of the API server.
    #[arg(long, value_name = "DIR")]
    pub manifests: Option<PathBuf>,
    /// Cluster mode: the kubeconfig to reach the API server with. Default: KUBECONFIG, else
    /// ~/.kube/config, else the pod's service account.
    #[arg(long, value_name = "PATH", conflicts_with = "manifests")]
    pub kubeconfig: Option<PathBuf>,
    /// Cluster mode: read namespaced objects from this namespace only (default: all).
    #[arg(long, value_name = "NS", conflicts_with = "manifests")]
    pub watch_namespace: Option<String>,
    /// Cluster mode: publish this Service's address in the status of our Ingresses, as
    /// NAMESPACE/NAME: its LoadBalancer IPs/hostnames, else the addresses of the nodes that run
    /// the controller (NodePort).
    #[arg(long, value_name = "NS/NAME", conflicts_with = "manifests")]
    pub publish_service: Option<String>,
    /// Cluster mode: publish these addresses (comma-separated IPs or host names) in Ingress
    /// status instead of --publish-service's.
    #[arg(long, value_name = "ADDR", conflicts_with = "manifests")]
    pub publish_status_address: Option<String>,
    /// Cluster mode: the Lease (in the pod's namespace) that elects the one replica writing
    /// Ingress status and Events.
    #[arg(long, value_name = "NAME", default_value = "portico-leader")]
    pub election_id: String,
    /// Plain HTTP listener.
    #[arg(long, default_value = "0.0.0.0:80")]
    pub http_addr: SocketAddr,
    /// HTTPS listener.
    #[arg(long, default_value = "0.0.0.0:443")]
    pub https_addr: SocketAddr,
    /// Admin listener: /healthz, /readyz, /metrics.
    #[arg(long, default_value = "0.0.0.0:10254")]
    pub admin_addr: SocketAddr,
    #[command(flatten)]
    pub controller: ControllerArgs,
    #[command(flatten)]
    pub metrics: crate::metrics_args::MetricsArgs,
    /// Log format of every log line, access log included.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// How long in-flight requests may run after SIGTERM before the process exits.
    #[arg(long, default_value = "10", value_name = "SECONDS")]
    pub shutdown_grace_secs: u64,
    /// Data-plane worker threads, each with its own listeners and upstream connections (as
    /// nginx's `worker_processes`). 0: one per CPU the process may run on.
    #[arg(long, default_value = "0", value_name = "N")]
    pub workers: usize,
    /// Name server for ExternalName Services (`IP:PORT`; repeat for more), instead of the
    /// ones in /etc/resolv.conf. /etc/hosts is read either way. Answers are kept for their
    /// TTL, between 1 s and 300 s.
    #[arg(long, value_name = "IP:PORT")]
    pub dns_resolver: Vec<std::net::SocketAddr>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Directory of Kubernetes manifests. Without it, the objects `serve` would watch are read
    /// from the Kubernetes API instead, once (list requests only: nothing is watched or written).
    pub dir: Option<PathBuf>,
    /// Without DIR: the kubeconfig to reach the API server with. Default: KUBECONFIG, else
    /// ~/.kube/config, else the pod's service account.
    #[arg(long, value_name = "PATH", conflicts_with = "dir")]
    pub kubeconfig: Option<PathBuf>,
    /// Without DIR: read namespaced objects from this namespace only (default: all), as serve.
    #[arg(long, value_name = "NS", conflicts_with = "dir")]
    pub watch_namespace: Option<String>,
    /// List the Ingresses skipped because they are of another ingress class (else only their
    /// number is printed).
    #[arg(long)]
    pub show_skipped: bool,
    /// A migration gate: exit 2 (instead of 0) when there is no error but some Ingress will
    /// behave differently from ingress-nginx: it carries an unsupported annotation that Portico
    /// ignores, or the ConfigMap has keys Portico does not read (listed in the summary).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub controller: ControllerArgs,
}

#[derive(Debug, Args)]
pub struct EchoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    pub listen: SocketAddr,
    /// Name reported in every answer, to tell backends apart.
    #[arg(long, default_value = "echo")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// === impl ControllerArgs ===

impl ControllerArgs {
    /// The compiler's view of these flags; `NS/NAME` values are checked here.
    pub fn compiler_options(&self) -> anyhow::Result<portico_compiler::Options> {
        let key = |flag: &str, value: &Option<String>| -> anyhow::Result<_> {
            value
                .as_deref()
                .map(|v| {
                    portico_store::ObjectKey::parse(v, "default")
                        .ok_or_else(|| anyhow::anyhow!("--{flag} {v:?}: expected NAMESPACE/NAME"))
                })
                .transpose()
        };
        Ok(portico_compiler::Options {
            ingress_class: self.ingress_class.clone(),
            controller_class: self.controller_class.clone(),
            watch_ingress_without_class: self.watch_ingress_without_class,
            annotations_prefix: self.annotations_prefix.clone(),
            configmap: key("configmap", &self.configmap)?,
            default_backend_service: key("default-backend-service", &self.default_backend_service)?,
            default_ssl_certificate: key("default-ssl-certificate", &self.default_ssl_certificate)?,
            enable_ssl_passthrough: self.enable_ssl_passthrough,
        })
    }
}

#[cfg(test)]
mod tests;
