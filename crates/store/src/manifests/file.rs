//! One manifest file's contribution across reloads: re-parsed only when its bytes change, and
//! keeping the last good version of what a broken edit made unreadable.

use std::collections::HashSet;
use std::path::Path;

use portico_model::{Diagnostic, ObjectRef};

use super::decode::{self, FileParse};
use super::entry::Entry;
use super::scan;
use crate::error::chain;

/// What a file contributes now: its objects (including kept last-good ones) and diagnostics.
#[derive(Debug, Default)]
pub(super) struct FileState {
    /// Hash of the bytes `entries` were parsed from; `None` after a read error (forces a re-parse).
    hash: Option<u64>,
    /// The file's metadata when it was read: the same stamp again means the same bytes, and
    /// the file is not even read (at 100,000 Ingresses reading and hashing every file costs
    /// more than the change).
    stamp: Option<scan::Stamp>,
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a refresh re-parsed the file (its objects may differ from before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refresh {
    Unchanged,
    Parsed,
}

// === impl FileState ===

impl FileState {
    /// Whether `path`'s metadata says the file still holds what it held when last parsed (so
    /// [`FileState::refresh`] will not even read it).
    pub fn is_unchanged(&self, path: &Path) -> bool {
        self.is_current(scan::stamp(path).as_ref())
    }

    fn is_current(&self, stamp: Option<&scan::Stamp>) -> bool {
        self.hash.is_some() && stamp.is_some() && self.stamp.as_ref() == stamp
    }

    /// Reads `path` again. Unchanged bytes reuse `previous` as is; unreadable files keep the
    /// previous objects; a new parse keeps the last good version of objects that turned bad.
    pub fn refresh(path: &Path, label: &str, previous: Option<FileState>) -> (FileState, Refresh) {
        let previous = previous.unwrap_or_default();
        let stamp = scan::stamp(path);
        if previous.is_current(stamp.as_ref()) {
            return (previous, Refresh::Unchanged);
        }
        // A file modified just now may be modified again within the timestamp granularity
        // without its stamp changing: its stamp is trusted from a later read on (as git does).
        let stamp = stamp.filter(|stamp| stamp.settled(std::time::SystemTime::now()));
        let contents = match scan::read(path) {
            Ok(contents) => contents,
            Err(error) => {
                let message = match previous.entries.len() {
                    0 => chain(&error),
                    n => format!("{}; keeping the {n} object(s) it defined before", chain(&error)),
                };
                tracing::debug!(file = label, %message, "manifest file not read");
                let diagnostics = vec![Diagnostic::error(message).with_file(label)];
                return (
                    FileState { hash: None, stamp: None, entries: previous.entries, diagnostics },
                    Refresh::Unchanged,
                );
            }
        };
        if previous.hash == Some(contents.hash) {
            return (FileState { stamp, ..previous }, Refresh::Unchanged);
        }
        tracing::debug!(file = label, "parsing manifest file");
        let parse = decode::parse(label, &contents.text, scan::is_json(path));
        let mut state = retain(parse, previous.entries);
        state.hash = Some(contents.hash);
        state.stamp = stamp;
        (state, Refresh::Parsed)
    }
}

/// Adds back the previous versions of objects that failed to decode (by origin), and, when part
/// of the file could not be read at all, every previous object the new parse does not define.
fn retain(parse: FileParse, previous: Vec<Entry>) -> FileState {
    let FileParse { mut entries, failed, opaque, mut diagnostics } = parse;
    // Borrowed, and skipped on a first parse: the file may define tens of thousands of objects.
    let defined: HashSet<&ObjectRef> = if previous.is_empty() {
        HashSet::new()
    } else {
        entries.iter().map(|e| &e.origin).collect()
    };
    let mut kept_by_failure = vec![0usize; diagnostics.len()];
    let mut kept_opaque = 0;
    let mut kept = Vec::new();
    for entry in previous {
        if defined.contains(&entry.origin) {
            continue;
        }
        if let Some((_, index)) = failed.iter().find(|(origin, _)| *origin == entry.origin) {
            kept_by_failure[*index] += 1;
        } else if opaque.is_some() {
            kept_opaque += 1;
        } else {
            continue;
        }
        kept.push(entry);
    }
    drop(defined);
    entries.extend(kept);
    for (index, kept) in kept_by_failure.into_iter().enumerate() {
        if kept > 0 {
            diagnostics[index].message.push_str("; keeping its last good version");
        }
    }
    if let (Some(index), true) = (opaque, kept_opaque > 0) {
        let message = &mut diagnostics[index].message;
        message.push_str(&format!("; keeping {kept_opaque} object(s) this file defined before"));
    }
    FileState { hash: None, stamp: None, entries, diagnostics }
}
