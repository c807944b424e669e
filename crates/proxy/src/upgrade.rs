//! WebSocket and other `Upgrade` tunnels (§5.3): after a `101` from the upstream, both
//! connections are taken over by hyper and bytes are copied both ways until either side closes.
//! Shutdown waits for open tunnels as for in-flight requests (nginx's graceful stop keeps
//! them), for the same grace period.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::Notify;

/// Open tunnels, counted so that shutdown can wait for them.
#[derive(Debug, Default)]
pub(crate) struct Tunnels {
    open: AtomicUsize,
    closed: Notify,
}

/// One open tunnel; closing it (drop) may wake a waiting shutdown.
pub(crate) struct Open(Arc<Tunnels>);

// === impl Tunnels ===

impl Tunnels {
    /// Counts one more open tunnel (an upgraded or a passthrough connection) until dropped.
    pub(crate) fn open(self: &Arc<Self>) -> Open {
        self.open.fetch_add(1, Ordering::AcqRel);
        Open(Arc::clone(self))
    }

    /// Resolves once no tunnel is open.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let closed = self.closed.notified();
            if self.open.load(Ordering::Acquire) == 0 {
                return;
            }
            closed.await;
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.closed.notify_waiters();
        }
    }
}

/// Joins the client's and the upstream's upgraded connections in a spawned task.
pub(crate) fn tunnel(tunnels: &Arc<Tunnels>, client: OnUpgrade, upstream: OnUpgrade) {
    let open = tunnels.open();
    tokio::spawn(async move {
        let _open = open;
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(error) => {
                tracing::debug!(%error, "upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut upstream = TokioIo::new(upstream);
        if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            tracing::debug!(%error, "upgraded connection ended with an error");
        }
    });
}
