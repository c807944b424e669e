//! One decoded object of a manifest file, before the files are merged into [`crate::Objects`].

use portico_model::ObjectRef;

use crate::{AnyObject, ObjectKey};

/// A typed object plus its store key and the object as written (its `origin`: an `Endpoints`
/// yields slices whose origin is the `Endpoints`). Retention and diagnostics use the origin.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub origin: ObjectRef,
    pub key: ObjectKey,
    pub object: AnyObject,
}
