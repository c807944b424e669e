//! The object store: the Kubernetes objects Portico reads, from a directory of manifests
//! (standalone) or from the API server (cluster mode, later). The compiler reads [`Objects`].
#![forbid(unsafe_code)]

mod objects;

pub use objects::{ObjectKey, Objects, Sourced};
