//! The extraction cache: an Ingress is extracted again only when it changed.
//!
//! [`crate::ingress::extract`] depends only on the Ingress object, its file, the annotation
//! prefix (fixed per compiler) and the global config. Sources hand out the same `Arc` for an
//! object they did not re-read (the manifest loader for unchanged files, the cluster store for
//! objects without events), so "same `Arc`, same file, same global config" means "same
//! extraction, diagnostics included". Invariant: a build with the cache gives exactly what a
//! build without it gives.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::networking::v1::Ingress;
use portico_model::GlobalConfig;
use portico_store::{ObjectKey, Sourced};

use crate::ingress::Extraction;

/// The extractions of the previous build, and the global config they were made under.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    global: Option<GlobalConfig>,
    entries: HashMap<ObjectKey, Entry>,
}

/// One build's use of the cache: hits are taken from the previous build's entries, and
/// everything this build extracted (or reused) becomes the next build's cache.
pub(crate) struct Build {
    previous: HashMap<ObjectKey, Entry>,
    next: HashMap<ObjectKey, Entry>,
    global: GlobalConfig,
}

#[derive(Debug)]
struct Entry {
    object: Arc<Ingress>,
    file: Option<String>,
    extraction: Extraction,
}

// === impl Cache ===

impl Cache {
    /// Starts a build under `global`; a different global config empties the cache.
    pub(crate) fn start(&mut self, global: &GlobalConfig) -> Build {
        let mut previous = std::mem::take(&mut self.entries);
        if self.global.as_ref() != Some(global) {
            previous.clear();
        }
        Build { next: HashMap::with_capacity(previous.len()), previous, global: global.clone() }
    }

    /// Keeps what `build` extracted for the next build (Ingresses it did not see are dropped).
    pub(crate) fn finish(&mut self, build: Build) {
        self.entries = build.next;
        self.global = Some(build.global);
    }
}

// === impl Build ===

impl Build {
    /// The extraction of `sourced`: the previous build's when the object and file are the
    /// same, else `extract`'s.
    pub(crate) fn get(
        &mut self,
        key: &ObjectKey,
        sourced: &Sourced<Ingress>,
        extract: impl FnOnce(&ObjectKey, &Sourced<Ingress>) -> Extraction,
    ) -> Extraction {
        let hit = self
            .previous
            .remove(key)
            .filter(|e| Arc::ptr_eq(&e.object, &sourced.object) && e.file == sourced.file);
        let entry = hit.unwrap_or_else(|| Entry {
            object: Arc::clone(&sourced.object),
            file: sourced.file.clone(),
            extraction: extract(key, sourced),
        });
        let extraction = entry.extraction.clone();
        self.next.insert(key.clone(), entry);
        extraction
    }
}
