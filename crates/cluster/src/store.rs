//! The store: applies watcher deltas to one [`Objects`], decides whether each change concerns
//! the table or the status, and publishes a [`Batch`] once per debounce window, never before every
//! watcher has listed once (so the first table is complete).

mod depends;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use portico_store::{ObjectKey, Objects};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::kinds::{self, AnyObject, AnyObjectExt, Kind};
use crate::watch::{Delta, Message};

pub(crate) use depends::{Effect, Fixed, References};

/// One consistent view of everything watched.
#[derive(Debug, Clone)]
pub struct Batch {
    pub objects: Arc<Objects>,
    /// Moves when something the routing table depends on changed: rebuild when it does.
    pub table: u64,
    /// Moves on every batch (a table or a status change).
    pub version: u64,
}

/// The store's state between messages.
pub(crate) struct Store {
    objects: Objects,
    /// Per watcher: its kind and the keys it contributed (a relist replaces exactly these).
    watchers: Vec<(Kind, HashSet<ObjectKey>)>,
    synced: Vec<bool>,
    fixed: Fixed,
    refs: References,
    table: u64,
    version: u64,
    pending: Effect,
}

// === impl Store ===

impl Store {
    pub(crate) fn new(kinds: &[Kind], fixed: Fixed) -> Self {
        Self {
            objects: Objects::default(),
            watchers: kinds.iter().map(|k| (*k, HashSet::new())).collect(),
            synced: vec![false; kinds.len()],
            refs: References::build(&Objects::default(), &fixed),
            fixed,
            table: 0,
            version: 0,
            pending: Effect::default(),
        }
    }

    /// Applies one message.
    pub(crate) fn apply(&mut self, message: Message) {
        let w = message.watcher;
        let Some((kind, owned)) = self.watchers.get_mut(w) else { return };
        let kind = *kind;
        match message.delta {
            Delta::Apply(object) => {
                owned.insert(object.key());
                let old = self.objects.insert(object.key(), object.clone(), None);
                self.note(old.as_ref(), Some(&object));
            }
            Delta::Delete(object) => {
                let key = object.key();
                owned.remove(&key);
                if let Some(old) = kinds::remove(kind, &mut self.objects, &key) {
                    self.note(Some(&old), None);
                }
            }
            Delta::Relisted(list) => {
                let listed: HashSet<ObjectKey> = list.iter().map(AnyObject::key).collect();
                let previous = std::mem::replace(owned, listed);
                let owned = &self.watchers[w].1;
                let gone: Vec<ObjectKey> =
                    previous.into_iter().filter(|k| !owned.contains(k)).collect();
                for key in gone {
                    if let Some(old) = kinds::remove(kind, &mut self.objects, &key) {
                        self.note(Some(&old), None);
                    }
                }
                for object in list {
                    let old = self.objects.insert(object.key(), object.clone(), None);
                    self.note(old.as_ref(), Some(&object));
                }
                if !self.synced[w] {
                    self.synced[w] = true;
                    tracing::debug!(%kind, watcher = w, "watch synced");
                    self.pending.table = true;
                }
            }
        }
    }

    /// True once every watcher has listed at least once.
    pub(crate) fn synced(&self) -> bool {
        self.synced.iter().all(|s| *s)
    }

    /// Something changed since the last batch.
    pub(crate) fn dirty(&self) -> bool {
        self.pending.table || self.pending.status
    }

    /// The batch of everything pending; re-indexes references when the table changed.
    pub(crate) fn take(&mut self) -> Batch {
        if self.pending.table {
            self.table += 1;
            self.refs = References::build(&self.objects, &self.fixed);
        }
        self.version += 1;
        self.pending = Effect::default();
        Batch { objects: Arc::new(self.objects.clone()), table: self.table, version: self.version }
    }

    fn note(&mut self, old: Option<&AnyObject>, new: Option<&AnyObject>) {
        if let (Some(old), Some(new)) = (old, new) {
            let (a, b) = (old.resource_version(), new.resource_version());
            if a.is_some() && a == b {
                return; // the same version again (a relist)
            }
        }
        if self.pending.table {
            // The references are stale until the next build, which is due anyway.
            self.pending.status = true;
            return;
        }
        let effect = self.refs.classify(old, new);
        self.pending.table |= effect.table;
        self.pending.status |= effect.status;
    }
}

/// Applies messages until every sender is gone; publishes a batch `debounce` after the first
/// change of a window, once every watcher has synced.
pub(crate) async fn run(
    mut store: Store,
    mut rx: mpsc::Receiver<Message>,
    tx: watch::Sender<Option<Batch>>,
    debounce: Duration,
) {
    let mut deadline: Option<Instant> = None;
    loop {
        let due = deadline.filter(|_| store.synced());
        tokio::select! {
            message = rx.recv() => {
                let Some(message) = message else { return };
                store.apply(message);
                if store.dirty() && deadline.is_none() {
                    deadline = Some(Instant::now() + debounce);
                }
            }
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                deadline = None;
                let batch = store.take();
                tracing::debug!(table = batch.table, version = batch.version, "objects batch");
                if tx.send(Some(batch)).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
