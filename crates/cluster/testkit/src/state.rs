//! The server's data: objects by resource, a global resourceVersion, the change history watches
//! replay from, and the faults a test switched on.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::resources::ResourceType;
use crate::select::Filter;

/// One committed change, as a watch sends it.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub resource: &'static str,
    pub namespace: String,
    pub rv: u64,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    pub object: Value,
}

/// A write request the server accepted or refused, for tests to assert on.
#[derive(Debug, Clone)]
pub struct Write {
    pub method: String,
    pub path: String,
    /// The bearer token of the client that sent it (tells controllers apart).
    pub token: Option<String>,
    pub status: u16,
    pub body: Value,
}

/// A failed write: HTTP status, reason and message for the Status object.
pub(crate) type Refusal = (u16, &'static str, String);

#[derive(Debug, Default)]
pub(crate) struct State {
    pub rv: u64,
    /// `(plural, namespace, name)` → object (with its resourceVersion set).
    pub objects: BTreeMap<(&'static str, String, String), Value>,
    pub history: Vec<Arc<Change>>,
    /// Watches asking for a resourceVersion below this get `410 Gone`.
    pub compacted: u64,
    pub forbidden: HashSet<&'static str>,
    pub writes: Vec<Write>,
    pub watch_starts: BTreeMap<&'static str, usize>,
    pub lists: BTreeMap<&'static str, usize>,
    uid: u64,
}

// === impl State ===

impl State {
    /// Creates or replaces an object; `expect_rv` (when given and non-empty) must match the
    /// stored resourceVersion, else 409. Returns the stored object and the change.
    pub fn put(
        &mut self,
        resource: ResourceType,
        mut object: Value,
        expect_rv: Option<&str>,
        create_only: bool,
    ) -> Result<(Value, Arc<Change>), Refusal> {
        let namespace = if resource.namespaced {
            str_at(&object, &["metadata", "namespace"]).unwrap_or("default").to_string()
        } else {
            String::new()
        };
        let Some(name) = str_at(&object, &["metadata", "name"]).map(str::to_string) else {
            return Err((422, "Invalid", "metadata.name: Required value".into()));
        };
        let key = (resource.plural, namespace.clone(), name.clone());
        let existing = self.objects.get(&key);
        if let (Some(existing), Some(expect)) = (existing, expect_rv.filter(|rv| !rv.is_empty())) {
            let current = str_at(existing, &["metadata", "resourceVersion"]).unwrap_or_default();
            if current != expect {
                let message = format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                     please apply your changes to the latest version and try again",
                    resource.plural
                );
                return Err((409, "Conflict", message));
            }
        }
        if create_only && existing.is_some() {
            return Err((
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", resource.plural),
            ));
        }
        let (uid, created) = match existing {
            Some(existing) => (
                existing["metadata"]["uid"].clone(),
                existing["metadata"]["creationTimestamp"].clone(),
            ),
            None => {
                self.uid += 1;
                (json!(format!("00000000-0000-0000-0000-{:012}", self.uid)), json!(now_rfc3339()))
            }
        };
        let kind = if existing.is_some() { "MODIFIED" } else { "ADDED" };
        self.rv += 1;
        let meta = &mut object["metadata"];
        meta["namespace"] = if resource.namespaced { json!(namespace) } else { Value::Null };
        if !resource.namespaced {
            if let Some(meta) = meta.as_object_mut() {
                meta.remove("namespace");
            }
        }
        meta["uid"] = uid;
        meta["creationTimestamp"] = created;
        meta["resourceVersion"] = json!(self.rv.to_string());
        object["apiVersion"] = json!(resource.api_version());
        object["kind"] = json!(resource.kind);
        self.objects.insert(key, object.clone());
        Ok((object.clone(), self.record(resource, namespace, kind, object)))
    }

    /// Removes an object; `None` when it did not exist.
    pub fn delete(
        &mut self,
        resource: ResourceType,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<Change>> {
        let namespace = if resource.namespaced { namespace } else { "" };
        let key = (resource.plural, namespace.to_string(), name.to_string());
        let mut object = self.objects.remove(&key)?;
        self.rv += 1;
        object["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        Some(self.record(resource, namespace.to_string(), "DELETED", object))
    }

    pub fn get(&self, resource: ResourceType, namespace: &str, name: &str) -> Option<&Value> {
        let namespace = if resource.namespaced { namespace } else { "" };
        self.objects.get(&(resource.plural, namespace.to_string(), name.to_string()))
    }

    /// Current objects of `resource` that `filter` selects.
    pub fn list(&self, resource: ResourceType, filter: &Filter) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((plural, ns, _), object)| {
                *plural == resource.plural && filter.matches(ns, object)
            })
            .map(|(_, object)| object.clone())
            .collect()
    }

    fn record(
        &mut self,
        resource: ResourceType,
        namespace: String,
        kind: &'static str,
        object: Value,
    ) -> Arc<Change> {
        let change =
            Arc::new(Change { resource: resource.plural, namespace, rv: self.rv, kind, object });
        self.history.push(change.clone());
        change
    }
}

/// The string at `path` in `value`.
pub(crate) fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// Now, as Kubernetes writes timestamps (RFC 3339, seconds, UTC).
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    k8s_openapi::jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}
