//! Where a replaced table is freed: on a thread of its own, once no request holds it.
//!
//! A request keeps the `Arc` of the table it started on to its end, so without this the last
//! request of the old table frees it on a data-plane worker: at 100,000 Ingresses that is
//! ~100 ms of `free` between two requests of that worker. The control thread would free it
//! in [`crate::Proxy::swap`] otherwise, before the next change can start.
//!
//! One watcher thread holds the retired tables and checks them while any is held by a
//! request (a streamed response can hold one for hours; a thread per table would pile up
//! under churn). It never frees one itself: a table whose last holder is gone is handed to
//! a short-lived thread that drops it, because mimalloc hands an ending thread's pages back,
//! while a long-lived thread that rarely allocates keeps what it freed.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often retired tables still held by requests are checked.
const POLL: Duration = Duration::from_millis(20);

/// A retired value waiting for its last holder.
trait Pending: Send {
    /// Nobody else holds it: dropping it now frees it.
    fn is_last(&self) -> bool;
}

impl<T: Send + Sync> Pending for Arc<T> {
    fn is_last(&self) -> bool {
        Arc::strong_count(self) == 1
    }
}

/// Hands replaced tables to the watcher thread (started on first use).
#[derive(Debug, Default)]
pub(crate) struct Retirer {
    queue: Mutex<Option<Sender<Box<dyn Pending>>>>,
}

// === impl Retirer ===

impl Retirer {
    /// Frees `old` once it is the last reference, off this thread (module docs). If no thread
    /// can be started, `old` is freed here.
    ///
    /// Invariant: the caller has taken `old` out of every shared slot, so no new reference can
    /// appear; the reference count only goes down and reaching 1 means nobody else has it.
    pub(crate) fn retire<T: Send + Sync + 'static>(&self, old: Arc<T>) {
        let mut queue = self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let pending: Box<dyn Pending> = Box::new(old);
        let pending = match queue.as_ref() {
            Some(tx) => match tx.send(pending) {
                Ok(()) => return,
                // The watcher is gone (it panicked): a new one takes over.
                Err(mpsc::SendError(pending)) => pending,
            },
            None => pending,
        };
        let (tx, rx) = mpsc::channel();
        let started =
            std::thread::Builder::new().name("portico-retire".into()).spawn(move || watch(rx));
        match started {
            Ok(_) => match tx.send(pending) {
                Ok(()) => *queue = Some(tx),
                Err(mpsc::SendError(pending)) => free(pending),
            },
            Err(error) => {
                tracing::debug!(%error, "no thread to free the old table on; freeing it in place");
                drop(pending);
            }
        }
    }
}

/// The watcher: keeps what is still held, hands the rest to [`free`]. Ends (freeing what it
/// holds in place) when the [`Retirer`] is dropped.
fn watch(rx: Receiver<Box<dyn Pending>>) {
    let mut held: Vec<Box<dyn Pending>> = Vec::new();
    loop {
        let next = if held.is_empty() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(POLL)
        };
        match next {
            Ok(pending) => held.push(pending),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let (last, still): (Vec<_>, Vec<_>) = held.into_iter().partition(|p| p.is_last());
        held = still;
        if !last.is_empty() {
            free(last);
        }
    }
}

/// Drops `values` on a thread of their own (in place if none can be started).
fn free<T: Send + 'static>(values: T) {
    if let Err(error) =
        std::thread::Builder::new().name("portico-free".into()).spawn(|| drop(values))
    {
        tracing::debug!(%error, "no thread to free the old table on; freeing it in place");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Says where and when it is freed.
    struct Freed(std::sync::mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Freed {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn frees_on_another_thread_once_the_last_holder_is_gone() {
        let retirer = Retirer::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let held = Arc::new(Freed(tx.clone()));
        let request = Arc::clone(&held);
        retirer.retire(held);
        // A second table, held by nobody, is freed while the first is still held.
        retirer.retire(Arc::new(Freed(tx)));
        let first = rx.recv_timeout(Duration::from_secs(5)).expect("the unheld table is freed");
        assert_ne!(first, std::thread::current().id());
        assert!(rx.recv_timeout(POLL * 5).is_err(), "a held table is not freed");
        drop(request);
        let freed_on = rx.recv_timeout(Duration::from_secs(5)).expect("freed once released");
        assert_ne!(freed_on, std::thread::current().id());
    }
}
