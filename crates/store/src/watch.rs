//! Tells when the manifest directory changed: inotify (through `notify`) with debouncing, so an
//! editor's save or a `kubectl`-style rewrite of many files gives one reload, not dozens.

use std::path::Path;
use std::time::Duration;

use crate::WatchError;
use notify::{Event, EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

mod debounce;

use debounce::Debouncer;

/// A batch never waits longer than this (or the debounce, if longer) after its first event.
const MAX_BATCH_DELAY: Duration = Duration::from_millis(500);

/// Watches a directory recursively; [`changed`](Self::changed) yields once per batch of changes.
/// Dropping it stops the watch.
#[derive(Debug)]
pub struct ManifestWatcher {
    /// Owned so the watch lives as long as this value; never read.
    _watcher: notify::RecommendedWatcher,
    batches: Debouncer,
}

/// Starts watching `dir` (and every directory created below it later). A batch ends once no
/// event came for `debounce`, or at most `max(debounce, 500 ms)` after its first event.
pub fn watch(dir: &Path, debounce: Duration) -> Result<ManifestWatcher, WatchError> {
    // One slot: bursts coalesce into a pending wake-up, and the last event is never lost.
    let (tx, events) = mpsc::channel(1);
    let handler = move |event: notify::Result<Event>| {
        match event {
            // Reads (including our own loads) open and close files: not changes.
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => return,
            Ok(event) => tracing::trace!(?event, "manifest directory event"),
            // Lost events (queue overflow) or a failing watch: reloading is the safe answer.
            Err(error) => tracing::warn!(%error, "manifest watch error; reloading"),
        }
        // A full channel already holds a wake-up; a closed one means nobody listens any more.
        let _ = tx.try_send(());
    };
    let notify_error = |source| WatchError::Notify { dir: dir.to_path_buf(), source };
    let mut watcher = notify::recommended_watcher(handler).map_err(notify_error)?;
    watcher.watch(dir, RecursiveMode::Recursive).map_err(notify_error)?;
    tracing::debug!(dir = %dir.display(), ?debounce, "watching manifests");
    let batches = Debouncer::new(events, debounce, debounce.max(MAX_BATCH_DELAY));
    Ok(ManifestWatcher { _watcher: watcher, batches })
}

// === impl ManifestWatcher ===

impl ManifestWatcher {
    /// Waits for the next batch of changes; the caller then loads the directory again.
    /// Cancel-safe (fine in `select!`). `None` only if the watcher thread has gone away.
    pub async fn changed(&mut self) -> Option<()> {
        self.batches.next().await
    }
}
