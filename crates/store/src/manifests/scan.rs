//! Listing and reading manifest files: the only file-system access of the loader.

use std::ffi::OsStr;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::StoreError;

/// Files over this size are skipped with a diagnostic (their last good objects are kept).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What a walk of the manifest directory found.
#[derive(Debug, Default)]
pub(super) struct Listing {
    /// Manifest files, sorted by path; hidden files and directories are skipped.
    pub files: Vec<PathBuf>,
    /// Entries that could not be listed; files under `path` keep their last good objects.
    pub errors: Vec<StoreError>,
    /// The directory itself could not be read: keep everything as it was.
    pub root_failed: bool,
}

/// One file's text and a hash of its bytes (to skip re-parsing unchanged files).
#[derive(Debug)]
pub(super) struct Contents {
    pub text: String,
    pub hash: u64,
}

/// What identifies a file's version without reading it: size, modification and change times
/// (nanoseconds) and inode. A rewrite, a rename over it or a `touch` changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    inode: (u64, u64),
}

/// How old a modification must be for its stamp to identify the bytes: file timestamps tick
/// coarsely (a jiffy on Linux, seconds on some file systems), so a younger file could be
/// rewritten with the same size and times.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

impl Stamp {
    /// Modified at least [`SETTLE`] before `now` (known modification time only).
    pub(super) fn settled(&self, now: std::time::SystemTime) -> bool {
        let settled = |modified: std::time::SystemTime| {
            now.duration_since(modified).is_ok_and(|age| age >= SETTLE)
        };
        #[cfg(unix)]
        let changed = {
            let (secs, nanos) = self.changed;
            let since_epoch = u64::try_from(secs)
                .ok()
                .map(|secs| std::time::Duration::new(secs, u32::try_from(nanos).unwrap_or(0)));
            since_epoch.and_then(|d| std::time::UNIX_EPOCH.checked_add(d)).is_some_and(settled)
        };
        #[cfg(not(unix))]
        let changed = true;
        self.modified.is_some_and(settled) && changed
    }
}

/// The stamp of `path` (following symlinks), `None` when its metadata cannot be read.
pub(super) fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        #[cfg(unix)]
        changed: (meta.ctime(), meta.ctime_nsec()),
        #[cfg(unix)]
        inode: (meta.dev(), meta.ino()),
    })
}

/// Walks `dir` recursively (following symlinks, as Kubernetes volume mounts need).
pub(super) fn list(dir: &Path) -> Listing {
    let mut listing = Listing::default();
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
    for entry in walker {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_file() && is_manifest(entry.path()) {
                    listing.files.push(entry.into_path());
                }
            }
            Err(source) => {
                listing.root_failed |= source.depth() == 0;
                let path = source.path().map(Path::to_path_buf);
                listing.errors.push(StoreError::Walk { path, source });
            }
        }
    }
    listing.files.sort();
    listing
}

/// Reads one file, refusing files over [`MAX_FILE_BYTES`] and text that is not UTF-8.
pub(super) fn read(path: &Path) -> Result<Contents, StoreError> {
    let io_error = |source| StoreError::Read { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit so a file growing after a metadata check is still caught.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io_error)?;
    let len = bytes.len() as u64;
    if len > MAX_FILE_BYTES {
        let len = std::fs::metadata(path).map_or(len, |m| m.len());
        return Err(StoreError::TooLarge { path: path.to_path_buf(), len, limit: MAX_FILE_BYTES });
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let hash = hasher.finish();
    let mut text =
        String::from_utf8(bytes).map_err(|_| StoreError::NotUtf8 { path: path.to_path_buf() })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(Contents { text, hash })
}

/// `.json` files are parsed as JSON (a stream of values); everything else as YAML.
pub(super) fn is_json(path: &Path) -> bool {
    path.extension().and_then(OsStr::to_str).is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn is_manifest(path: &Path) -> bool {
    let Some(ext) = path.extension().and_then(OsStr::to_str) else { return false };
    ["yaml", "yml", "json"].iter().any(|known| ext.eq_ignore_ascii_case(known))
}

fn is_hidden(name: &OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_manifests_sorted_skipping_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["b.yaml", "a.yml", "c.json", "d.txt", ".hidden.yaml", "sub/e.YAML", ".git/f.yaml"]
        {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let listing = list(root);
        let names: Vec<_> =
            listing.files.iter().map(|p| p.strip_prefix(root).unwrap().to_owned()).collect();
        let expected: Vec<PathBuf> =
            ["a.yml", "b.yaml", "c.json", "sub/e.YAML"].iter().map(PathBuf::from).collect();
        assert_eq!(names, expected);
        assert!(listing.errors.is_empty() && !listing.root_failed);
    }

    #[test]
    fn missing_root_fails() {
        let listing = list(Path::new("/nonexistent/portico/manifests"));
        assert!(listing.root_failed);
        assert_eq!(listing.errors.len(), 1);
    }

    #[test]
    fn reads_and_strips_bom() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.yaml");
        std::fs::write(&path, "\u{feff}a: 1").unwrap();
        let contents = read(&path).unwrap();
        assert_eq!(contents.text, "a: 1");
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(read(&path), Err(StoreError::NotUtf8 { .. })));
    }
}
