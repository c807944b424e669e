//! Typed checks of the Helm chart (`charts/portico`) as rendered by `helm template`.
//!
//! `scripts/chart-check` renders the default values and every `ci/*-values.yaml` scenario into
//! `target/chart-render/<scenario>.yaml`. This crate loads those files and turns each document
//! into its typed k8s-openapi object, strictly: k8s-openapi ignores unknown fields, so every
//! object is also serialized back and each key of the original document must survive the round
//! trip (a misspelt field name is lost on the way and reported). The assertions about what the
//! chart renders live in `tests/`.
#![forbid(unsafe_code)]

mod object;
mod render;

pub use object::{parse_document, Object, ParseError};
pub use render::{ensure_rendered, render_dir, workspace_root};

use std::path::Path;

use serde::Deserialize as _;

/// One rendered scenario: the objects of `target/chart-render/<name>.yaml`, in file order.
#[derive(Debug)]
pub struct Scenario {
    pub name: String,
    pub objects: Vec<Object>,
}

// === impl Scenario ===

impl Scenario {
    /// Loads and strictly parses one rendered scenario, rendering the chart first if needed.
    /// Every document that fails to parse is reported, not just the first.
    pub fn load(name: &str) -> Result<Self, String> {
        let dir = ensure_rendered();
        Self::load_file(name, &dir.join(format!("{name}.yaml")))
    }

    /// Every scenario rendered, sorted by name.
    pub fn all() -> Vec<Result<Self, String>> {
        let dir = ensure_rendered();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "yaml")
                    .then(|| path.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        names.sort();
        names.iter().map(|name| Self::load(name)).collect()
    }

    fn load_file(name: &str, path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut objects = Vec::new();
        let mut errors = Vec::new();
        for (index, document) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
            let value = match serde_json::Value::deserialize(document) {
                Ok(serde_json::Value::Null) => continue, // an empty document (`---` alone)
                Ok(value) => value,
                Err(e) => {
                    errors.push(format!("document {index}: not YAML: {e}"));
                    continue;
                }
            };
            match parse_document(value) {
                Ok(object) => objects.push(object),
                Err(e) => errors.push(format!("document {index}: {e}")),
            }
        }
        if errors.is_empty() {
            Ok(Self { name: name.to_owned(), objects })
        } else {
            Err(format!("{}:\n  {}", path.display(), errors.join("\n  ")))
        }
    }

    /// The objects of one variant, e.g. `scenario.of(Object::as_service)`.
    pub fn of<'a, T>(&'a self, pick: impl Fn(&'a Object) -> Option<&'a T>) -> Vec<&'a T> {
        self.objects.iter().filter_map(pick).collect()
    }

    /// The only object of one variant; panics naming the scenario when there are none or several.
    pub fn one<'a, T>(&'a self, what: &str, pick: impl Fn(&'a Object) -> Option<&'a T>) -> &'a T {
        match self.of(pick).as_slice() {
            [one] => one,
            other => panic!("scenario {}: expected one {what}, found {}", self.name, other.len()),
        }
    }
}
