//! YAML text to JSON values, one per document. Documents are split on `---` lines first, so one
//! broken document does not hide the ones after it (libyaml cannot resume after an error).

use serde::Deserialize;
use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

mod depth;

pub(crate) use depth::MAX_FLOW_DEPTH;

/// One YAML document: 1-based index in its file, 1-based first line, and its value or error.
#[derive(Debug)]
pub(super) struct Document {
    pub index: usize,
    pub line: usize,
    pub value: Result<Value, String>,
}

/// Parses every document of `text` (chunks in parallel on large files; the result is the same
/// as parsing in order). Empty documents come out as `Value::Null`.
#[cfg(test)]
pub(super) fn documents(text: &str) -> Vec<Document> {
    documents_of(chunks(text), 0)
}

/// Parses the documents of `chunks` (from [`chunks`], in order), numbering them from
/// `before + 1`: callers parse a file's chunks a batch at a time, so a large file is never
/// held as JSON values all at once.
pub(super) fn documents_of(chunks: Vec<(usize, &str)>, before: usize) -> Vec<Document> {
    let parsed = super::par::map_runs(chunks, |run| {
        run.into_iter()
            .map(|(line, chunk)| (line, chunk_documents(chunk, line)))
            .collect::<Vec<_>>()
    });
    let mut out = Vec::new();
    for (line, values) in parsed.into_iter().flatten() {
        for value in values {
            out.push(Document { index: before + out.len() + 1, line: line + 1, value });
        }
    }
    out
}

/// Splits on document-start lines (`---` at column 0 is always a marker in YAML), keeping
/// leading comments and directives with the document they precede. Yields (0-based line, text).
pub(super) fn chunks(text: &str) -> Vec<(usize, &str)> {
    let mut chunks = Vec::new();
    let (mut start, mut start_line, mut has_content) = (0, 0, false);
    let mut offset = 0;
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let marker = is_document_start(line);
        if marker && has_content {
            chunks.push((start_line, &text[start..offset]));
            (start, start_line, has_content) = (offset, line_no, false);
        }
        let body = if marker { &line[3..] } else { line };
        let body = body.trim();
        let directive = line.starts_with('%');
        if !body.is_empty() && !body.starts_with('#') && !directive {
            has_content = true;
        }
        offset += line.len();
    }
    chunks.push((start_line, &text[start..]));
    chunks
}

fn is_document_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
}

/// The documents of one chunk (usually one). Stops at the first error; on error, re-parses with
/// the chunk shifted to its place in the file so the error's line numbers match the file.
fn chunk_documents(chunk: &str, line: usize) -> Vec<Result<Value, String>> {
    if let Some((deep, column)) = depth::too_deep(chunk) {
        let at = line + deep + 1;
        return vec![Err(format!(
            "flow collections ([ or {{) nested deeper than {MAX_FLOW_DEPTH} levels at line {at} \
             column {column}; the document is not parsed"
        ))];
    }
    let mut out = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(chunk) {
        match Yaml::deserialize(document) {
            Ok(yaml) => out.push(to_json(yaml)),
            Err(_) => {
                let shifted = format!("{}{chunk}", "\n".repeat(line));
                out.push(Err(first_error(&shifted)));
                break;
            }
        }
    }
    out
}

/// Splits the first `at line L column C` out of a YAML error message (lines are the file's,
/// see [`chunk_documents`]): `(L, C, message without it)`.
pub(super) fn error_position(message: &str) -> Option<(usize, usize, String)> {
    let start = message.find(" at line ")?;
    let rest = &message[start + " at line ".len()..];
    let (line, rest) = rest.split_once(" column ")?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let line = line.parse().ok()?;
    let column = rest[..digits].parse().ok()?;
    let without = format!("{}{}", &message[..start], &rest[digits..]);
    Some((line, column, without))
}

fn first_error(text: &str) -> String {
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        if let Err(error) = Yaml::deserialize(document) {
            return error.to_string();
        }
    }
    "invalid YAML".to_string()
}

/// Converts as kubectl does (sigs.k8s.io/yaml): merge keys applied, scalar keys stringified,
/// tags ignored. Non-finite floats and collection keys have no JSON form and are errors.
pub(super) fn to_json(mut yaml: Yaml) -> Result<Value, String> {
    yaml.apply_merge().map_err(|e| e.to_string())?;
    convert(yaml)
}

fn convert(yaml: Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(
                    Number::from_f64(f).ok_or_else(|| format!("number {n} has no JSON form"))?,
                )
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(seq) => {
            Value::Array(seq.into_iter().map(convert).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(mapping) => {
            let mut map = Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                map.insert(key_string(key)?, convert(value)?);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => convert(tagged.value)?,
    })
}

fn key_string(key: Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Null => Ok("null".to_string()),
        Yaml::Tagged(tagged) => key_string(tagged.value),
        Yaml::Sequence(_) | Yaml::Mapping(_) => Err("a mapping key is not a scalar".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(text: &str) -> Vec<Result<Value, String>> {
        documents(text).into_iter().map(|d| d.value).collect()
    }

    #[test]
    fn splits_documents_and_keeps_going_after_a_broken_one() {
        let text = "# header\n---\na: 1\n---\nb: [\n---\nc: 3\n";
        let docs = documents(text);
        assert_eq!(docs.len(), 3, "{docs:?}");
        assert_eq!(docs[0].value, Ok(json!({"a": 1})));
        let error = docs[1].value.as_ref().unwrap_err();
        assert!(error.contains("line 6"), "error names the line in the file: {error}");
        let (line, _, rest) = error_position(error).unwrap();
        assert_eq!(line, 6, "{error}");
        assert!(!rest.contains("at line 6 column"), "{rest}");
        assert_eq!((docs[2].index, docs[2].line), (3, 6));
        assert_eq!(docs[2].value, Ok(json!({"c": 3})));
    }

    #[test]
    fn empty_documents_are_null() {
        assert_eq!(values(""), vec![Ok(Value::Null)]);
        assert_eq!(values("---\n---\n# only a comment\n"), vec![Ok(Value::Null), Ok(Value::Null)]);
    }

    #[test]
    fn block_scalars_and_inline_document_starts() {
        let text = "--- {a: 1}\n--- \nb: |\n  ---not a marker\n  x\n";
        assert_eq!(
            values(text),
            vec![Ok(json!({"a": 1})), Ok(json!({"b": "---not a marker\nx\n"}))]
        );
    }

    #[test]
    fn directives_stay_with_their_document() {
        assert_eq!(values("%YAML 1.2\n---\na: 1\n"), vec![Ok(json!({"a": 1}))]);
    }

    #[test]
    fn converts_keys_merges_and_tags() {
        let text = "base: &b {x: 1}\nm:\n  <<: *b\n  80: http\n  true: t\nt: !custom 5\n";
        assert_eq!(
            values(text),
            vec![Ok(json!({"base": {"x": 1}, "m": {"x": 1, "80": "http", "true": "t"}, "t": 5}))]
        );
        assert!(values("a: .inf\n")[0].is_err());
        assert!(values("? [1]\n: x\n")[0].is_err());
    }
}
