//! One file's text to typed objects and diagnostics. Pure: no file system, no state.

use std::fmt;

use portico_model::{Diagnostic, ObjectRef};
use serde_json::{Map, Value};

use super::entry::Entry;
use super::kinds::{self, Kind};
use super::{par, yaml};

/// What one file yields. Diagnostic indexes point into `diagnostics`.
#[derive(Debug, Default)]
pub(super) struct FileParse {
    pub entries: Vec<Entry>,
    /// Objects whose kind/namespace/name are known but which failed to decode.
    pub failed: Vec<(ObjectRef, usize)>,
    /// The first diagnostic about input whose objects cannot be named (a broken document).
    pub opaque: Option<usize>,
    pub diagnostics: Vec<Diagnostic>,
}

/// YAML documents parsed and decoded together: a file's JSON values (several times the size
/// of its text) exist for one batch at a time, not for the whole file.
const BATCH_DOCUMENTS: usize = 256;

/// Decodes every document of a file; `file` is only used to label diagnostics. Large files are
/// decoded in parallel runs of documents, joined in order: the result is the same either way.
pub(super) fn parse(file: &str, text: &str, json: bool) -> FileParse {
    if !json {
        return parse_yaml(file, text, BATCH_DOCUMENTS);
    }
    let mut documents = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    for (index, value) in stream.enumerate() {
        let at = Loc { doc: index + 1, line: None, error_at: None, items: String::new() };
        match value {
            Ok(value) => documents.push((Ok(value), at)),
            Err(error) => {
                documents.push((Err(format!("invalid JSON: {error}")), at));
                break;
            }
        }
    }
    decode(file, documents)
}

/// [`parse`] of a YAML file, `batch` chunks at a time (the result does not depend on it).
fn parse_yaml(file: &str, text: &str, batch: usize) -> FileParse {
    let mut out = FileParse::default();
    let mut chunks = yaml::chunks(text).into_iter().peekable();
    let mut before = 0;
    while chunks.peek().is_some() {
        let parsed = yaml::documents_of(chunks.by_ref().take(batch.max(1)).collect(), before);
        before += parsed.len();
        let documents = parsed.into_iter().map(|document| {
            let mut at = Loc {
                doc: document.index,
                line: Some(document.line),
                error_at: None,
                items: String::new(),
            };
            let value = document.value.map_err(|error| match yaml::error_position(&error) {
                Some((line, column, rest)) => {
                    at.error_at = Some((line, column));
                    format!("invalid YAML: {rest}")
                }
                None => format!("invalid YAML: {error}"),
            });
            (value, at)
        });
        out = out.append(decode(file, documents.collect()));
    }
    out
}

/// Decodes parsed documents, in parallel runs joined in order.
fn decode(file: &str, documents: Vec<(Result<Value, String>, Loc)>) -> FileParse {
    let runs = par::map_runs(documents, |run| {
        let mut decoder = Decoder { file, out: FileParse::default() };
        for (value, at) in run {
            match value {
                Ok(value) => decoder.value(value, &at),
                Err(message) => decoder.opaque(&at, None, message),
            }
        }
        decoder.out
    });
    runs.into_iter().reduce(FileParse::append).unwrap_or_default()
}

// === impl FileParse ===

impl FileParse {
    /// `self` followed by `next`, as if one decoder had seen both runs of documents in order.
    fn append(mut self, next: FileParse) -> FileParse {
        let offset = self.diagnostics.len();
        self.entries.extend(next.entries);
        self.failed.extend(next.failed.into_iter().map(|(origin, index)| (origin, index + offset)));
        if self.opaque.is_none() {
            self.opaque = next.opaque.map(|index| index + offset);
        }
        self.diagnostics.extend(next.diagnostics);
        self
    }
}

/// Where in a file an object is: `document 2 (line 14) items[3]`; for a document that does not
/// parse, where the error is: `line 17 column 3 (document 2)`. Lines are the file's.
struct Loc {
    doc: usize,
    /// The document's first line.
    line: Option<usize>,
    /// The line and column of a parse error.
    error_at: Option<(usize, usize)>,
    items: String,
}

struct Decoder<'a> {
    file: &'a str,
    out: FileParse,
}

// === impl Loc ===

impl Loc {
    fn item(&self, index: usize) -> Loc {
        Loc {
            doc: self.doc,
            line: self.line,
            error_at: None,
            items: format!("{}.items[{index}]", self.items),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, column)) = self.error_at {
            return write!(f, "line {line} column {column} (document {})", self.doc);
        }
        write!(f, "document {}", self.doc)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(items) = self.items.strip_prefix('.') {
            write!(f, " {items}")?;
        }
        Ok(())
    }
}

// === impl Decoder ===

impl Decoder<'_> {
    /// One document or list item. Null (an empty document) is skipped silently.
    fn value(&mut self, value: Value, at: &Loc) {
        let mut map = match value {
            Value::Null => return,
            Value::Object(map) => map,
            other => {
                let found = type_name(&other);
                return self.opaque(at, None, format!("expected an object, found {found}"));
            }
        };
        let name = meta_str(&map, "name");
        let namespace = meta_str(&map, "namespace");
        let Some(kind) = map.get("kind").and_then(Value::as_str).map(str::to_owned) else {
            let named = name.map_or_else(String::new, |n| format!(" (metadata.name {n})"));
            return self.opaque(at, None, format!("`kind` is missing{named}"));
        };
        let api_version = map.get("apiVersion").and_then(Value::as_str).map(str::to_owned);
        if kind.ends_with("List") && map.contains_key("items") {
            return self.list(map, &kind, api_version.as_deref(), at);
        }
        let Some((wanted_api, namespaced, known)) = Kind::lookup(&kind) else {
            let d =
                Diagnostic::warning(format!("{at}: kind {kind} is not one Portico reads; skipped"));
            self.push(written_ref(&kind, namespace, name), d);
            return;
        };
        if api_version.as_deref() != Some(wanted_api) {
            let written = api_version.as_deref().unwrap_or("(none)");
            let d = Diagnostic::warning(format!(
                "{at}: apiVersion {written} is not supported for {kind} (use {wanted_api}); skipped"
            ));
            // The kind is known, so is its scope: name it as it would be served.
            let namespace = namespace.or_else(|| namespaced.then(|| "default".into()));
            self.push(written_ref(&kind, namespace, name), d);
            return;
        }
        let Some(name) = name else {
            let d = Diagnostic::error(format!("{at}: {kind} has no metadata.name; skipped"));
            let index = self.push(None, d.with_field("metadata.name"));
            self.out.opaque.get_or_insert(index);
            return;
        };
        let namespace =
            if namespaced { namespace.unwrap_or_else(|| "default".into()) } else { String::new() };
        set_namespace(&mut map, &namespace);
        self.object(known, Value::Object(map), ObjectRef::new(kind, namespace, name), at);
    }

    /// An object of a known kind with its namespace settled: typed, or a diagnostic that marks
    /// it failed (so its last good version is kept).
    fn object(&mut self, kind: Kind, value: Value, origin: ObjectRef, at: &Loc) {
        match kinds::decode(kind, value, &origin.namespace, &origin.name) {
            Ok(decoded) => {
                let entries = decoded.into_iter().map(|(key, object)| Entry {
                    origin: origin.clone(),
                    key,
                    object,
                });
                self.out.entries.extend(entries);
            }
            Err((field, error)) => {
                let written = &origin.kind;
                let mut d = Diagnostic::error(format!("{at}: cannot decode {written}: {error}"));
                if let Some(field) = field {
                    d = d.with_field(field);
                }
                let index = self.push(Some(origin.clone()), d);
                self.out.failed.push((origin, index));
            }
        }
    }

    /// `kind: List` (or a typed `FooList`): decodes each item; items of a `FooList` may omit
    /// `kind` and `apiVersion`, as the API server returns them.
    fn list(&mut self, mut map: Map<String, Value>, kind: &str, api: Option<&str>, at: &Loc) {
        let items = match map.remove("items") {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                let found = type_name(&other);
                return self.opaque(at, None, format!("{kind}.items is {found}, not a list"));
            }
        };
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        for (index, mut item) in items.into_iter().enumerate() {
            if let (Some(item_kind), Value::Object(fields)) = (item_kind, &mut item) {
                fields.entry("kind").or_insert_with(|| item_kind.into());
                if let Some(api) = api {
                    fields.entry("apiVersion").or_insert_with(|| api.into());
                }
            }
            self.value(item, &at.item(index));
        }
    }

    fn push(&mut self, object: Option<ObjectRef>, mut d: Diagnostic) -> usize {
        d = d.with_file(self.file);
        if let Some(object) = object {
            d = d.with_object(object);
        }
        self.out.diagnostics.push(d);
        self.out.diagnostics.len() - 1
    }

    /// An error about input whose objects cannot all be named: the file keeps what it had.
    fn opaque(&mut self, at: &Loc, object: Option<ObjectRef>, message: String) {
        let index = self.push(object, Diagnostic::error(format!("{at}: {message}")));
        self.out.opaque.get_or_insert(index);
    }
}

/// The object as written, for warnings about kinds or versions we skip (namespace not defaulted:
/// the kind's scope is unknown).
fn written_ref(kind: &str, namespace: Option<String>, name: Option<String>) -> Option<ObjectRef> {
    name.map(|name| ObjectRef::new(kind, namespace.unwrap_or_default(), name))
}

fn meta_str(map: &Map<String, Value>, field: &str) -> Option<String> {
    let value = map.get("metadata")?.get(field)?.as_str()?;
    (!value.is_empty()).then(|| value.to_owned())
}

/// Namespaced objects get their (defaulted) namespace written in; cluster-scoped lose theirs.
fn set_namespace(map: &mut Map<String, Value>, namespace: &str) {
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        if namespace.is_empty() {
            meta.remove("namespace");
        } else {
            meta.insert("namespace".into(), Value::String(namespace.into()));
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
