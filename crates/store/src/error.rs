//! The crate's error types. Loading never fails as a whole (bad input becomes diagnostics), so
//! [`StoreError`] describes one file's problem and [`WatchError`] the only fatal case: no watcher.

use std::path::PathBuf;

/// Why one manifest file (or directory entry) could not be read. Rendered into a diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{} is {len} bytes, over the {limit}-byte limit; skipped", path.display())]
    TooLarge { path: PathBuf, len: u64, limit: u64 },

    #[error("{} is not UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf },

    #[error("cannot list {}", path.as_deref().map_or("manifest directory".into(), |p| p.display().to_string()))]
    Walk {
        path: Option<PathBuf>,
        #[source]
        source: walkdir::Error,
    },
}

/// The manifest directory cannot be watched (missing, or the inotify limits are reached).
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {}", dir.display())]
    Notify {
        dir: PathBuf,
        #[source]
        source: notify::Error,
    },
}

/// Renders an error with its cause chain on one line: `outer: cause: root cause`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some errors (walkdir's) repeat their cause in their own message.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
