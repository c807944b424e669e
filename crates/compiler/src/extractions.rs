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

use crate::ingress::{Extracted, Extraction};

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

/// The extractions of the previous build, and the global config they were made under. Also
/// the last good extraction of each Ingress, which outlives a change of the global config.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    global: Option<GlobalConfig>,
    entries: HashMap<ObjectKey, Entry>,
    /// The number of the last build ([`Entry::seen`]).
    builds: u64,
    parses: Parses,
}

/// One build's use of the cache: hits are updated in place and marked as seen by this build;
/// what this build did not see is dropped when it finishes. One map across builds: a build
/// allocates no key and moves no entry for an Ingress it saw before.
pub(crate) struct Build {
    entries: HashMap<ObjectKey, Entry>,
    /// This build's number.
    build: u64,
    /// The global config changed: no previous extraction is reused (last good ones are).
    stale: bool,
    global: GlobalConfig,
    parses: Parses,
}

/// What [`Build::get`] found for one Ingress.
pub(crate) struct Got {
    /// This build's extraction (fresh or reused).
    pub extraction: Extraction,
    /// The last good extraction before this build: what keeps serving when this one failed.
    pub last_good: Option<Arc<Extracted>>,
}

/// Annotation parses by map. Between builds it keeps only the parses an extraction still
/// holds (so a map stays shared however many builds pass without a change to it).
#[derive(Debug, Default)]
pub(crate) struct Parses(HashMap<RawAnnotations, SharedParse>);

#[derive(Debug)]
struct Entry {
    object: Arc<Ingress>,
    file: Option<Arc<str>>,
    extraction: Extraction,
    /// The last extraction of this Ingress that loaded: `extraction`'s when it did.
    last_good: Option<Arc<Extracted>>,
    /// The last build that saw this Ingress.
    seen: u64,
}

// === impl Entry ===

impl Entry {
    /// `sourced`'s entry for `extraction`, made by build `seen`; its last good extraction is
    /// this one when it loaded, else `before`.
    fn new(
        sourced: &Sourced<Ingress>,
        extraction: Extraction,
        before: Option<Arc<Extracted>>,
        seen: u64,
    ) -> Self {
        Entry {
            object: Arc::clone(&sourced.object),
            file: sourced.file.clone(),
            last_good: extraction.extracted.clone().or(before),
            extraction,
            seen,
        }
    }
}

// === impl Cache ===

impl Cache {
    /// Starts a build under `global`; under a different global config nothing extracted
    /// before is reused.
    pub(crate) fn start(&mut self, global: &GlobalConfig) -> Build {
        let entries = std::mem::take(&mut self.entries);
        let mut parses = std::mem::take(&mut self.parses);
        let stale = self.global.as_ref() != Some(global);
        if stale {
            parses.0.clear();
        }
        self.builds += 1;
        Build { entries, build: self.builds, stale, global: global.clone(), parses }
    }

    /// Keeps what `build` extracted for the next build (Ingresses it did not see are dropped).
    pub(crate) fn finish(&mut self, build: Build) {
        let mut entries = build.entries;
        entries.retain(|_, entry| entry.seen == build.build);
        self.entries = entries;
        let mut parses = build.parses;
        parses.0.retain(|_, shared| Arc::strong_count(&shared.annotations) > 1);
        self.parses = parses;
        self.global = Some(build.global);
    }
}

#[cfg(test)]
impl Cache {
    /// The last good extraction of `key` after the last build.
    pub(crate) fn last_good(&self, key: &ObjectKey) -> Option<&Arc<Extracted>> {
        self.entries.get(key)?.last_good.as_ref()
    }

    /// The next build extracts every Ingress again, as if the global config had changed
    /// (last good extractions are kept).
    pub(crate) fn forget_extractions(&mut self) {
        self.global = None;
    }
}

// === impl Build ===

impl Build {
    /// The extraction of `sourced`: the previous build's when the object and file are the
    /// same (and the global config is), else `extract`'s; with the last good one before it.
    pub(crate) fn get(
        &mut self,
        key: &ObjectKey,
        sourced: &Sourced<Ingress>,
        extract: impl FnOnce(&ObjectKey, &Sourced<Ingress>, &mut Parses) -> Extraction,
    ) -> Got {
        let same = |e: &Entry| Arc::ptr_eq(&e.object, &sourced.object) && e.file == sourced.file;
        if let Some(entry) = self.entries.get_mut(key) {
            let last_good = entry.last_good.clone();
            if !self.stale && same(entry) {
                entry.seen = self.build;
                return Got { extraction: entry.extraction.clone(), last_good };
            }
            let extraction = extract(key, sourced, &mut self.parses);
            *entry = Entry::new(sourced, extraction.clone(), last_good.clone(), self.build);
            return Got { extraction, last_good };
        }
        let extraction = extract(key, sourced, &mut self.parses);
        let entry = Entry::new(sourced, extraction.clone(), None, self.build);
        self.entries.insert(key.clone(), entry);
        Got { extraction, last_good: None }
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
