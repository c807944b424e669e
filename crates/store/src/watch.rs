//! Tells when the manifest directory changed: inotify (through `notify`) with debouncing, so an
//! editor's save or a `kubectl`-style rewrite of many files gives one reload, not dozens.

use std::path::Path;
use std::time::Duration;

use notify::{Event, EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::WatchError;

/// A batch never waits longer than this (or the debounce, if longer) after its first event.
const MAX_BATCH_DELAY: Duration = Duration::from_millis(500);

/// Watches a directory recursively; [`changed`](Self::changed) yields once per batch of changes.
/// Dropping it stops the watch.
#[derive(Debug)]
pub struct ManifestWatcher {
    /// Owned so the watch lives as long as this value; never read.
    _watcher: notify::RecommendedWatcher,
    /// Holds at most one pending wake-up: bursts coalesce, and the last event is never lost.
    events: mpsc::Receiver<()>,
    debounce: Duration,
    max_delay: Duration,
    /// When the batch being collected started (kept across a cancelled `changed()`).
    batch_started: Option<Instant>,
}

/// Starts watching `dir` (and every directory created below it later). A batch ends once no
/// event came for `debounce`, or at most `max(debounce, 500 ms)` after its first event.
pub fn watch(dir: &Path, debounce: Duration) -> Result<ManifestWatcher, WatchError> {
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
    Ok(ManifestWatcher {
        _watcher: watcher,
        events,
        debounce,
        max_delay: debounce.max(MAX_BATCH_DELAY),
        batch_started: None,
    })
}

// === impl ManifestWatcher ===

impl ManifestWatcher {
    /// Waits for the next batch of changes. Cancel-safe: a batch interrupted mid-collection
    /// resumes on the next call. `None` only if the watcher thread has gone away.
    pub async fn changed(&mut self) -> Option<()> {
        let started = match self.batch_started {
            Some(started) => started,
            None => {
                self.events.recv().await?;
                *self.batch_started.insert(Instant::now())
            }
        };
        let deadline = started + self.max_delay;
        loop {
            let quiet = Instant::now() + self.debounce;
            match tokio::time::timeout_at(quiet.min(deadline), self.events.recv()).await {
                Ok(Some(())) if Instant::now() < deadline => continue,
                // Deadline reached, quiet period over, or the sender gone: report this batch.
                Ok(_) | Err(_) => break,
            }
        }
        self.batch_started = None;
        Some(())
    }
}
