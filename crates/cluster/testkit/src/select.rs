//! Query parameters: namespace, `fieldSelector` and `labelSelector` (equality forms only).

use std::collections::HashMap;

use serde_json::Value;

/// Which objects a list or watch selects.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub namespace: Option<String>,
    fields: Vec<Requirement>,
    labels: Vec<Requirement>,
}

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    equal: bool,
    value: String,
}

/// A request's query string, decoded.
#[derive(Debug, Default)]
pub(crate) struct Query(HashMap<String, String>);

// === impl Query ===

impl Query {
    pub fn parse(query: Option<&str>) -> Self {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = query.unwrap_or_default().split('&').filter(|p| !p.is_empty());
        Self(
            pairs
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(pair), String::new()),
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

// === impl Filter ===

impl Filter {
    pub fn new(namespace: Option<String>, query: &Query) -> Self {
        Self {
            namespace,
            fields: parse(query.get("fieldSelector")),
            labels: parse(query.get("labelSelector")),
        }
    }

    pub fn matches(&self, namespace: &str, object: &Value) -> bool {
        if self.namespace.as_deref().is_some_and(|ns| ns != namespace) {
            return false;
        }
        let field_ok = self.fields.iter().all(|r| {
            let path: Vec<&str> = r.key.split('.').collect();
            let actual = crate::state::str_at(object, &path).unwrap_or_default();
            (actual == r.value) == r.equal
        });
        let labels = object.get("metadata").and_then(|m| m.get("labels"));
        let label_ok = self.labels.iter().all(|r| {
            let actual = labels.and_then(|l| l.get(&r.key)).and_then(Value::as_str);
            (actual == Some(r.value.as_str())) == r.equal
        });
        field_ok && label_ok
    }
}

fn parse(selector: Option<&str>) -> Vec<Requirement> {
    let parts = selector.unwrap_or_default().split(',').filter(|p| !p.trim().is_empty());
    parts
        .filter_map(|part| {
            let (key, equal, value) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else {
                let (k, v) = part.split_once('=')?;
                (k, true, v)
            };
            Some(Requirement { key: key.trim().into(), equal, value: value.trim().into() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_by_fields_and_labels() {
        let q = Query::parse(Some(
            "fieldSelector=type%21%3Dhelm.sh%2Frelease.v1%2Cmetadata.name%3Dweb&labelSelector=app%3Dx",
        ));
        let filter = Filter::new(Some("a".into()), &q);
        let object = json!({"type": "Opaque", "metadata": {"name": "web", "labels": {"app": "x"}}});
        assert!(filter.matches("a", &object));
        assert!(!filter.matches("b", &object));
        let helm = json!({"type": "helm.sh/release.v1", "metadata": {"name": "web", "labels": {"app": "x"}}});
        assert!(!filter.matches("a", &helm));
    }
}
