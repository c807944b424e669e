//! Standalone mode's source: a directory of Kubernetes manifests, loaded into [`Objects`].
//!
//! Loading never fails: bad input becomes [`Diagnostic`]s and the objects it would have replaced
//! keep their last good version. Files whose bytes did not change are not parsed again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use portico_model::Diagnostic;

use crate::error::chain;
use crate::Objects;

mod compact;
mod convert;
mod decode;
mod entry;
mod file;
mod kinds;
mod par;
mod scan;
mod yaml;

pub use convert::SERVICE_NAME_LABEL;
pub use scan::MAX_FILE_BYTES;

use file::{FileState, Refresh};

/// Loads `*.yaml`, `*.yml` and `*.json` below a directory (recursively, sorted, hidden entries
/// skipped). Stateful: each [`load`](Self::load) starts from what the previous one kept.
#[derive(Debug)]
pub struct ManifestSource {
    dir: PathBuf,
    /// Every file seen, in sorted order (the order duplicates are resolved in).
    files: BTreeMap<PathBuf, FileState>,
    loaded_once: bool,
    /// The objects of the last load, patched by the next one where it can ([`Merged`]).
    merged: Option<Merged>,
}

/// What the last load merged. While no object is defined twice, the next load patches it:
/// the objects of files re-parsed or removed are taken out and their new ones put in, so one
/// changed file costs its own objects, not a new map of every object (at 100,000 Ingresses a
/// full merge was ~100 ms of every change).
#[derive(Debug)]
struct Merged {
    objects: Arc<Objects>,
    /// Some object was defined twice: who wins depends on every file, so the next load
    /// merges everything again (and reports the duplicates again).
    duplicates: bool,
}

/// A file re-parsed or removed by this load, and the objects it defined before.
struct Touched {
    path: PathBuf,
    before: Vec<(crate::AnyObject, crate::ObjectKey)>,
}

/// The outcome of one load: every object now in force and every problem now present.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Shared with the source, which patches it on the next load (copying it first if this
    /// `Loaded` is still alive then).
    pub objects: Arc<Objects>,
    /// All current diagnostics, including those of unchanged files (not only new ones).
    pub diagnostics: Vec<Diagnostic>,
    /// False when no file was added, removed or re-parsed since the previous load, so the
    /// objects are the same as last time and a rebuild can be skipped.
    pub changed: bool,
}

// === impl ManifestSource ===

impl ManifestSource {
    /// A source for `dir`. Nothing is read until [`load`](Self::load).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), files: BTreeMap::new(), loaded_once: false, merged: None }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Re-reads the directory. Deleted files drop their objects; unreadable files, broken
    /// documents and objects that fail to decode keep what they had (with a diagnostic).
    pub fn load(&mut self) -> Loaded {
        let listing = scan::list(&self.dir);
        let mut diagnostics: Vec<Diagnostic> = listing
            .errors
            .iter()
            .map(|error| {
                let d = Diagnostic::error(chain(error));
                match error {
                    crate::StoreError::Walk { path: Some(path), .. } => d.with_file(label(path)),
                    _ => d,
                }
            })
            .collect();
        let mut changed = !self.loaded_once;
        self.loaded_once = true;
        let mut touched = Vec::new();
        if !listing.root_failed {
            let mut previous = std::mem::take(&mut self.files);
            for path in listing.files {
                let previous = previous.remove(&path);
                // Only files that may have changed: the others' objects are not copied.
                let before = previous.as_ref().filter(|p| !p.is_unchanged(&path)).map(keys);
                let (state, refresh) = FileState::refresh(&path, &label(&path), previous);
                if refresh == Refresh::Parsed {
                    changed = true;
                    touched
                        .push(Touched { path: path.clone(), before: before.unwrap_or_default() });
                }
                self.files.insert(path, state);
            }
            // Files gone from the listing are dropped, unless they sit under an entry that could
            // not be listed (permissions, a broken link): those keep their objects.
            for (path, state) in previous {
                if listing.errors.iter().any(|e| walk_error_covers(e, &path)) {
                    self.files.insert(path, state);
                } else {
                    tracing::debug!(file = %path.display(), "manifest file removed");
                    changed = true;
                    touched.push(Touched { before: keys(&state), path });
                }
            }
        }
        diagnostics.extend(self.files.values().flat_map(|state| state.diagnostics.iter().cloned()));
        let objects = match self.patch(&touched) {
            Some(objects) => objects,
            None => self.merge(&mut diagnostics),
        };
        tracing::debug!(
            dir = %self.dir.display(),
            files = self.files.len(),
            diagnostics = diagnostics.len(),
            changed,
            "manifests loaded"
        );
        Loaded { objects, diagnostics, changed }
    }

    /// The last load's objects with `touched` files' objects replaced, unless the last load
    /// had duplicates or a new object is defined twice (then `None`: merge everything).
    fn patch(&mut self, touched: &[Touched]) -> Option<Arc<Objects>> {
        let merged = self.merged.as_mut().filter(|m| !m.duplicates)?;
        let objects = Arc::make_mut(&mut merged.objects);
        for file in touched {
            let label = label(&file.path);
            for (object, key) in &file.before {
                objects.remove_from(object, key, &label);
            }
        }
        for file in touched {
            let Some(state) = self.files.get(&file.path) else { continue };
            let label: Arc<str> = label(&file.path).into();
            for entry in &state.entries {
                if objects.contains(&entry.object, &entry.key) {
                    // Half patched: dropped, and merged again from the files.
                    self.merged = None;
                    return None;
                }
                objects.insert(entry.key.clone(), entry.object.clone(), Some(label.clone()));
            }
        }
        Some(Arc::clone(&merged.objects))
    }

    /// Builds the object maps; an object defined twice is taken from the first file in sorted
    /// order (or the first document of a file) and every later definition gets a diagnostic.
    /// Kept for the next load to patch ([`Merged`]).
    fn merge(&mut self, diagnostics: &mut Vec<Diagnostic>) -> Arc<Objects> {
        let mut duplicates = false;
        let mut objects = Objects::default();
        let mut first_file: BTreeMap<(&'static str, &crate::ObjectKey), &Path> = BTreeMap::new();
        for (path, state) in &self.files {
            // One string per file, shared by its objects.
            let file: std::sync::Arc<str> = label(path).into();
            for entry in &state.entries {
                let id = (entry.object.kind(), &entry.key);
                if objects.contains(&entry.object, &entry.key) {
                    duplicates = true;
                    let winner = first_file.get(&id).map_or_else(String::new, |p| label(p));
                    let d = Diagnostic::error(format!(
                        "duplicate {} {}: already defined in {winner}; this definition is ignored",
                        entry.object.kind(),
                        entry.key
                    ));
                    diagnostics.push(d.with_object(entry.origin.clone()).with_file(&*file));
                    continue;
                }
                first_file.insert(id, path);
                objects.insert(entry.key.clone(), entry.object.clone(), Some(file.clone()));
            }
        }
        let objects = Arc::new(objects);
        self.merged = Some(Merged { objects: Arc::clone(&objects), duplicates });
        objects
    }
}

/// The objects `state` defines, by kind and key (shared, not copied).
fn keys(state: &FileState) -> Vec<(crate::AnyObject, crate::ObjectKey)> {
    state.entries.iter().map(|e| (e.object.clone(), e.key.clone())).collect()
}

/// How files are named in diagnostics and [`crate::Sourced::file`]: the path as found below
/// the directory given (so relative if the directory was given relative).
fn label(path: &Path) -> String {
    path.display().to_string()
}

fn walk_error_covers(error: &crate::StoreError, file: &Path) -> bool {
    matches!(error, crate::StoreError::Walk { path: Some(p), .. } if file.starts_with(p))
}

#[cfg(test)]
mod tests;
