//! Graceful shutdown of client connections: one signal for every connection of a listener,
//! and a wait until all of them have ended. A connection may serve several hyper connections
//! in turn ([`crate::rounds`]), so it watches the signal itself rather than wrapping one
//! hyper connection.

use tokio::sync::watch;

/// The listener's side: signals shutdown, then waits for every [`DrainWatch`] to be dropped.
#[derive(Debug)]
pub(crate) struct Drain {
    tx: watch::Sender<()>,
}

/// A connection's side: held for the connection's life.
#[derive(Debug)]
pub(crate) struct DrainWatch {
    rx: watch::Receiver<()>,
}

// === impl Drain ===

impl Drain {
    pub(crate) fn new() -> Self {
        Self { tx: watch::channel(()).0 }
    }

    /// A watch for a connection accepted now (before any shutdown).
    pub(crate) fn watcher(&self) -> DrainWatch {
        DrainWatch { rx: self.tx.subscribe() }
    }

    /// Signals every watch, then resolves once all of them are dropped.
    pub(crate) async fn shutdown(self) {
        let _ = self.tx.send(());
        self.tx.closed().await;
    }
}

// === impl DrainWatch ===

impl DrainWatch {
    /// Resolves once shutdown is signaled (or the listener is gone).
    pub(crate) async fn signaled(&mut self) {
        let _ = self.rx.changed().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn shutdown_signals_and_waits_for_every_watch() {
        let drain = Drain::new();
        let mut watch = drain.watcher();
        let connection = tokio::spawn(async move {
            watch.signaled().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            // the watch is dropped here, after the "connection" finished
        });
        let started = tokio::time::Instant::now();
        drain.shutdown().await;
        assert!(started.elapsed() >= Duration::from_millis(20), "waited for the connection");
        connection.await.unwrap();
    }
}
