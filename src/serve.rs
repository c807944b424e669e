//! `portico serve`: listeners, the object source (a watched manifests directory, or the
//! Kubernetes API in cluster mode), signals.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portico_compiler::Compiler;
use portico_metrics::Metrics;
use portico_proxy::{Listeners, Proxy, ProxyConfig, Workers};
use portico_store::ManifestSource;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::pipeline::Pipeline;

/// Debounce of manifest directory changes: edits followed by this much quiet become one rebuild.
/// Short, because "one change live in under 50 ms" is a target; long enough that an editor's
/// write-then-rename or a multi-file `cp` lands as one batch.
const DEBOUNCE: Duration = Duration::from_millis(20);

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _log = crate::logging::init(args.log_format);
    let options = args.controller.compiler_options()?;
    let labels = portico_metrics::ControllerLabels {
        class: args.controller.controller_class.clone(),
        namespace: crate::cluster::env("POD_NAMESPACE").unwrap_or_default(),
        pod: crate::cluster::env("POD_NAME").unwrap_or_default(),
    };
    let metrics_config = args.metrics.config(labels)?;
    // Cluster mode connects before anything listens: no API server, no start.
    let source = match args.manifests.clone() {
        Some(dir) => {
            ensure_dir(&dir, "--manifests ")?;
            Source::Manifests(dir)
        }
        None => Source::Cluster(Box::new(crate::cluster::Cluster::connect(&args, &options).await?)),
    };

    raise_fd_limit();
    let metrics = Arc::new(Metrics::with_config(metrics_config));
    let workers = worker_count(args.workers);
    let http = bind_workers("http", args.http_addr, workers)?;
    let https = bind_workers("https", args.https_addr, workers)?;
    let admin = bind("admin", args.admin_addr).await?;
    let proxy = Proxy::new(
        ProxyConfig {
            shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
            // ingress-nginx reports 443 for its HTTPS listener whatever port it binds.
            https_port: 443,
            workers,
            dns: portico_proxy::DnsSettings {
                nameservers: args.dns_resolver.clone(),
                ..Default::default()
            },
            ..ProxyConfig::default()
        },
        metrics.clone(),
    );

    metrics.count_dropped_log_lines(portico_proxy::log_writer::dropped_lines);
    metrics.process().count_connections({
        let proxy = Arc::downgrade(&proxy);
        move || proxy.upgrade().map_or(0, |p| p.open_connections())
    });
    let pipeline = Pipeline::new(Compiler::new(options), proxy.clone(), metrics.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let reload_task = match source {
        Source::Manifests(dir) => manifests(&dir, pipeline, stop_rx.clone())?,
        Source::Cluster(cluster) => {
            tokio::spawn(cluster.run(pipeline, metrics.clone(), stop_rx.clone()))
        }
    };
    let admin_task = tokio::spawn(portico_admin::serve(
        admin,
        portico_admin::AdminState::new(metrics.clone(), {
            let proxy = proxy.clone();
            move || proxy.is_ready()
        }),
        stopped(stop_rx.clone()),
    ));
    let data_plane = Workers::start(&proxy, http, https, || stopped(stop_rx.clone()))
        .context("cannot start the data-plane workers")?;
    tracing::debug!(workers, "data plane started");

    shutdown_signal().await;
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
    let _ = stop_tx.send(true);
    // Cluster mode hands its leader Lease over on the way out.
    if tokio::time::timeout(Duration::from_secs(3), reload_task).await.is_err() {
        tracing::warn!("the object source did not stop in time");
    }
    // The live table's worker-shutdown-timeout when set, else --shutdown-grace-secs.
    let grace = proxy.shutdown_grace() + Duration::from_secs(1);
    let listeners = tokio::task::spawn_blocking(move || data_plane.join());
    if tokio::time::timeout(grace, listeners).await.is_err() {
        tracing::warn!("in-flight requests did not finish within the grace period");
    }
    if tokio::time::timeout(Duration::from_secs(2), proxy.flush_traces()).await.is_err() {
        tracing::warn!("OpenTelemetry spans still queued were not exported in time");
    }
    admin_task.abort();
    Ok(ExitCode::SUCCESS)
}

/// Fails unless `dir` is a readable directory, saying which of missing / not a directory /
/// unreadable it is (`flag` prefixes the message, e.g. `--manifests `).
pub fn ensure_dir(dir: &Path, flag: &str) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => anyhow::bail!("{flag}{}: not a directory", dir.display()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("{flag}{}: no such file or directory", dir.display())
        }
        Err(error) => anyhow::bail!("{flag}{}: {error}", dir.display()),
    }
}

/// Raises the soft open-files limit to the hard limit, as nginx's `worker_rlimit_nofile`: every
/// client and upstream connection is a descriptor.
fn raise_fd_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open files limit"),
    }
}

/// Where the objects come from.
enum Source {
    Manifests(PathBuf),
    Cluster(Box<crate::cluster::Cluster>),
}

/// Loads `dir` into a first table now, then again on every change until `stop` turns true.
fn manifests(
    dir: &Path,
    mut pipeline: Pipeline,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut watcher = portico_store::watch(dir, DEBOUNCE)
        .with_context(|| format!("cannot watch {}", dir.display()))?;
    let mut source = ManifestSource::new(dir);
    reload(&mut source, &mut pipeline);
    Ok(tokio::spawn(async move {
        let mut stopped = std::pin::pin!(stopped(stop));
        loop {
            tokio::select! {
                changed = watcher.changed() => if changed.is_none() { return },
                () = &mut stopped => return,
            }
            reload(&mut source, &mut pipeline);
        }
    }))
}

/// Reads the directory and swaps in a new table, unless no file was added, removed or
/// re-parsed (a touched or rewritten-as-is file rebuilds nothing). Parsing and compiling are
/// CPU work, done off the runtime ([`crate::pipeline::off_thread`]).
fn reload(source: &mut ManifestSource, pipeline: &mut Pipeline) {
    crate::pipeline::off_thread(|| {
        let started = std::time::Instant::now();
        let loaded = source.load();
        if !loaded.changed {
            tracing::debug!("manifests unchanged; the live table stays");
            return;
        }
        pipeline.rebuild(&loaded.objects, loaded.diagnostics, started);
    });
}

/// `--workers`, 0 meaning one per CPU available to the process.
fn worker_count(flag: usize) -> usize {
    match flag {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
}

/// One listener per data-plane worker on `addr` (see [`Listeners`]).
fn bind_workers(kind: &str, addr: SocketAddr, workers: usize) -> anyhow::Result<Listeners> {
    let listeners = Listeners::bind(addr, workers)
        .with_context(|| format!("cannot listen on {addr} ({kind})"))?;
    tracing::info!(target: "portico::listen", "listening {kind} {}", listeners.local_addr());
    Ok(listeners)
}

async fn bind(kind: &str, addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({kind})"))?;
    let local = listener.local_addr().context("listener address")?;
    tracing::info!(target: "portico::listen", "listening {kind} {local}");
    Ok(listener)
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
