//! The extraction cache: an Ingress is extracted again only when it changed.
//!
//! [`crate::ingress::extract`] depends only on the Ingress object, its file, the annotation
//! prefix (fixed per compiler) and the global config. Sources hand out the same `Arc` for an
//! object they did not re-read (the manifest loader for unchanged files, the cluster store for
//! objects without events), so "same `Arc`, same file, same global config" means "same
//! extraction, diagnostics included". Invariant: a build with the cache gives exactly what a
//! build without it gives.
//!
//! Parsed annotations are shared too ([`SharedParse`]): parsing depends only on the annotation
//! map (and the prefix and global config), so Ingresses with equal maps, typically none or a
//! chart's fixed set, hold one `Arc` of the parse instead of a kilobyte each.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::networking::v1::Ingress;
use portico_annotations::IngressAnnotations;
use portico_model::{Diagnostic, GlobalConfig, LocationPolicy};
use portico_store::{ObjectKey, Sourced};

use crate::ingress::Extraction;

/// Raw annotations, as on the object.
type RawAnnotations = BTreeMap<String, String>;

/// One parse of an annotation map, shared by every Ingress carrying an equal map.
#[derive(Debug, Clone)]
pub(crate) struct SharedParse {
    pub annotations: Arc<IngressAnnotations>,
    /// `annotations.policy`, shared as the locations hold it.
    pub policy: Arc<LocationPolicy>,
    /// Without an object attached (the extraction attaches each Ingress's).
    pub diagnostics: Vec<Diagnostic>,
    pub fatal: bool,
}

/// The extractions of the previous build, and the global config they were made under.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    global: Option<GlobalConfig>,
    entries: HashMap<ObjectKey, Entry>,
    parses: Parses,
}

/// One build's use of the cache: hits are taken from the previous build's entries, and
/// everything this build extracted (or reused) becomes the next build's cache.
pub(crate) struct Build {
    previous: HashMap<ObjectKey, Entry>,
    next: HashMap<ObjectKey, Entry>,
    global: GlobalConfig,
    parses: Parses,
}

/// Annotation parses by map. Between builds it keeps only the parses an extraction still
/// holds (so a map stays shared however many builds pass without a change to it).
#[derive(Debug, Default)]
pub(crate) struct Parses(HashMap<RawAnnotations, SharedParse>);

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
        let mut parses = std::mem::take(&mut self.parses);
        if self.global.as_ref() != Some(global) {
            previous.clear();
            parses.0.clear();
        }
        Build {
            next: HashMap::with_capacity(previous.len()),
            previous,
            global: global.clone(),
            parses,
        }
    }

    /// Keeps what `build` extracted for the next build (Ingresses it did not see are dropped).
    pub(crate) fn finish(&mut self, build: Build) {
        self.entries = build.next;
        let mut parses = build.parses;
        parses.0.retain(|_, shared| Arc::strong_count(&shared.annotations) > 1);
        self.parses = parses;
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
        extract: impl FnOnce(&ObjectKey, &Sourced<Ingress>, &mut Parses) -> Extraction,
    ) -> Extraction {
        let hit = self
            .previous
            .remove(key)
            .filter(|e| Arc::ptr_eq(&e.object, &sourced.object) && e.file == sourced.file);
        let entry = hit.unwrap_or_else(|| Entry {
            object: Arc::clone(&sourced.object),
            file: sourced.file.clone(),
            extraction: extract(key, sourced, &mut self.parses),
        });
        let extraction = entry.extraction.clone();
        self.next.insert(key.clone(), entry);
        extraction
    }
}

// === impl Parses ===

impl Parses {
    /// The parse of `raw`: the one made for an equal map, else `parse`'s.
    pub(crate) fn get(
        &mut self,
        raw: &RawAnnotations,
        parse: impl FnOnce(&RawAnnotations) -> SharedParse,
    ) -> SharedParse {
        if let Some(shared) = self.0.get(raw) {
            return shared.clone();
        }
        let shared = parse(raw);
        self.0.insert(raw.clone(), shared.clone());
        shared
    }
}
