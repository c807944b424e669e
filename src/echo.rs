//! `portico echo`: the demo backend of the quickstart.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{EchoArgs, LogFormat};

pub async fn run(args: EchoArgs) -> anyhow::Result<ExitCode> {
    let _log = crate::logging::init(LogFormat::Text);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("listener address")?;
    tracing::info!(target: "portico::listen", "listening echo {addr}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    portico_echo::serve(listener, &args.name, shutdown).await;
    Ok(ExitCode::SUCCESS)
}
