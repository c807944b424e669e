//! The data plane's threads: one single-threaded tokio runtime per worker, each accepting on
//! its own `SO_REUSEPORT` listener of every proxy port, as nginx's worker processes.
//!
//! Why: a client connection, the request handler, the upstream connection's hyper task and
//! the upstream pool it came from all live on one thread. No request wakes a task on another
//! core, no work-stealing moves a task between cores, and the per-worker upstream pool
//! ([`Proxy::pool`]) is never contended. The kernel spreads new connections over the
//! listeners (by a hash of the 4-tuple).
//!
//! Invariant: every listener of one port is bound before any worker starts, so a port chosen
//! by the kernel (`:0`) is the same for all of them.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::Arc;
use std::thread::JoinHandle;

use socket2::{Domain, Protocol, Socket, Type};

use crate::server::Proxy;

/// Pending connections per listener (nginx's default `backlog` is 511; busier edges want more).
const BACKLOG: i32 = 4096;

thread_local! {
    /// The index of the worker running on this thread (0 on any other thread).
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The index of the data-plane worker running on this thread: 1..=n on workers, 0 elsewhere
/// (tests and the control runtime).
pub(crate) fn current() -> usize {
    WORKER.with(std::cell::Cell::get)
}

/// One port's listeners, one per worker, all bound to the same address with `SO_REUSEPORT`.
#[derive(Debug)]
pub struct Listeners {
    sockets: Vec<StdListener>,
    local: SocketAddr,
}

/// The running workers; [`Workers::join`] waits for all of them to drain and stop.
#[derive(Debug)]
pub struct Workers {
    threads: Vec<JoinHandle<()>>,
}

// === impl Listeners ===

impl Listeners {
    /// Binds `count` (at least one) listeners to `addr`. With port 0 the first picks the port
    /// and the others share it.
    pub fn bind(addr: SocketAddr, count: usize) -> io::Result<Self> {
        let first = reuseport(addr)?;
        let local = first.local_addr()?;
        let mut sockets = vec![first];
        for _ in 1..count.max(1) {
            sockets.push(reuseport(local)?);
        }
        Ok(Self { sockets, local })
    }

    /// The address every listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

/// A non-blocking listener on `addr` that shares its port with others of this process.
fn reuseport(addr: SocketAddr) -> io::Result<StdListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

// === impl Workers ===

impl Workers {
    /// Starts one worker per listener pair: each serves plain HTTP on its `http` listener and
    /// TLS on its `https` listener until `shutdown()` resolves, then drains as
    /// [`Proxy::serve_http`] does. `http` and `https` must hold as many listeners.
    pub fn start<S, F>(
        proxy: &Arc<Proxy>,
        http: Listeners,
        https: Listeners,
        shutdown: S,
    ) -> io::Result<Self>
    where
        S: Fn() -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let pairs = http.sockets.into_iter().zip(https.sockets);
        let mut threads = Vec::new();
        for (n, (http, https)) in pairs.enumerate() {
            let proxy = Arc::clone(proxy);
            let (stop_http, stop_https) = (shutdown(), shutdown());
            let thread = std::thread::Builder::new()
                .name(format!("portico-worker-{}", n + 1))
                .spawn(move || run(n + 1, proxy, http, https, stop_http, stop_https))?;
            threads.push(thread);
        }
        Ok(Self { threads })
    }

    /// Waits (blocking) until every worker has stopped.
    pub fn join(self) {
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a data-plane worker panicked");
            }
        }
    }
}

/// One worker's thread: its runtime, its two accept loops.
fn run(
    index: usize,
    proxy: Arc<Proxy>,
    http: StdListener,
    https: StdListener,
    stop_http: impl Future<Output = ()>,
    stop_https: impl Future<Output = ()>,
) {
    WORKER.with(|worker| worker.set(index));
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, worker = index, "cannot start a data-plane worker");
            return;
        }
    };
    runtime.block_on(async move {
        let listeners = tokio::net::TcpListener::from_std(http)
            .and_then(|http| Ok((http, tokio::net::TcpListener::from_std(https)?)));
        let (http, https) = match listeners {
            Ok(pair) => pair,
            Err(error) => {
                tracing::error!(%error, worker = index, "cannot register a listener");
                return;
            }
        };
        tokio::join!(
            Arc::clone(&proxy).serve_http(http, stop_http),
            proxy.serve_https(https, stop_https),
        );
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn listeners_share_the_port_the_kernel_chose() {
        let listeners = Listeners::bind("127.0.0.1:0".parse().unwrap(), 3).unwrap();
        let port = listeners.local_addr().port();
        assert_ne!(port, 0);
        assert_eq!(listeners.sockets.len(), 3);
        for socket in &listeners.sockets {
            assert_eq!(socket.local_addr().unwrap().port(), port);
        }
    }

    #[test]
    fn a_port_in_use_by_another_socket_is_refused() {
        let taken = StdListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        assert!(Listeners::bind(addr, 2).is_err());
    }
}
