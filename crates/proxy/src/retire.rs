//! Where a replaced table is freed: on a thread of its own, once no request holds it.
//!
//! A request keeps the `Arc` of the table it started on to its end, so without this the last
//! request of the old table frees it on a data-plane worker: at 100,000 Ingresses that is
//! ~100 ms of `free` between two requests of that worker. The control thread would free it
//! in [`crate::Proxy::swap`] otherwise, before the next change can start.

use std::sync::Arc;
use std::time::Duration;

/// How often a retired table is checked for requests still using it.
const POLL: Duration = Duration::from_millis(20);

/// Frees `old` once it is the last reference, on a short-lived thread (see the module docs;
/// short-lived because mimalloc hands an ending thread's pages back). If no thread can be
/// started, `old` is freed here.
///
/// Invariant: the caller has taken `old` out of every shared slot, so no new reference can
/// appear; the reference count only goes down and reaching 1 means nobody else has it.
pub(crate) fn retire<T: Send + Sync + 'static>(old: Arc<T>) {
    let spawned = std::thread::Builder::new().name("portico-retire".into()).spawn(move || {
        while Arc::strong_count(&old) > 1 {
            std::thread::sleep(POLL);
        }
        drop(old);
    });
    if let Err(error) = spawned {
        tracing::debug!(%error, "no thread to free the old table on; freeing it in place");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drops a flag when freed, to see where and when.
    struct Freed(std::sync::mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Freed {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn frees_on_another_thread_once_the_last_holder_is_gone() {
        let (tx, rx) = std::sync::mpsc::channel();
        let table = Arc::new(Freed(tx));
        let request = Arc::clone(&table);
        retire(table);
        // Held by a request: not freed.
        assert!(rx.recv_timeout(POLL * 5).is_err());
        drop(request);
        let freed_on = rx.recv_timeout(Duration::from_secs(5)).expect("freed");
        assert_ne!(freed_on, std::thread::current().id());
    }
}
