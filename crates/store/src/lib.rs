//! The object store: the Kubernetes objects Portico reads, from a directory of manifests
//! (standalone) or from the API server (cluster mode, later). The compiler reads [`Objects`].
//!
//! Standalone mode: [`ManifestSource::load`] reads the directory, [`watch()`] says when to load
//! again. Neither ever fails because of what the files contain.
#![forbid(unsafe_code)]

mod error;
mod manifests;
mod objects;
mod watch;

pub use error::{StoreError, WatchError};
pub use manifests::{Loaded, ManifestSource, MAX_FILE_BYTES, SERVICE_NAME_LABEL};
pub use objects::{AnyObject, ObjectKey, Objects, Sourced};
pub use watch::{watch, ManifestWatcher};
