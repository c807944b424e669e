//! A whoami-style echo backend: answers every request with a JSON description of what it
//! received, streams large bodies on demand, and echoes WebSocket messages. The quickstart
//! (`portico echo`) and the end-to-end tests use it as the real backend behind the proxy.
//!
//! Query parameters steer it without taking any path away from routing tests:
//! `echo.bytes=N` streams an N-byte body instead of JSON (of type `echo.type=T` if given),
//! `echo.status=N` sets the status,
//! `echo.delay_ms=N` waits before answering. Request bodies are read in streaming fashion and
//! reported by length and a running checksum.
#![forbid(unsafe_code)]

mod reply;
mod websocket;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use reply::{checksum, EchoBody};

/// A running echo server; dropping the handle stops it.
#[derive(Debug)]
pub struct EchoHandle {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

/// Serves echo requests on `listener` until `shutdown` resolves. `name` is reported in every
/// answer as `server`, so tests can tell backends apart.
pub async fn serve(listener: TcpListener, name: &str, shutdown: impl Future<Output = ()>) {
    let name: Arc<str> = Arc::from(name);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "echo: accept failed");
                    continue;
                }
            },
        };
        let name = name.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let name = name.clone();
                async move { Ok::<_, Infallible>(handle(req, &name, peer).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                // Portico passes more fields than hyper's default 100; so must its test backend.
                .max_headers(1024)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(error) = conn.await {
                tracing::debug!(%error, "echo: connection ended with an error");
            }
        });
    }
}

/// Starts an echo server on `listener` in the background.
pub fn spawn(listener: TcpListener, name: &str) -> std::io::Result<EchoHandle> {
    let addr = listener.local_addr()?;
    let name = name.to_string();
    let task = tokio::spawn(async move { serve(listener, &name, std::future::pending()).await });
    Ok(EchoHandle { addr, task })
}

async fn handle(req: Request<Incoming>, name: &str, peer: SocketAddr) -> Response<EchoBody> {
    if websocket::is_upgrade(&req) {
        return websocket::accept(req);
    }
    reply::answer(req, name, peer).await
}

// === impl EchoHandle ===

impl EchoHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
