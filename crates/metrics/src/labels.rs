//! Rendering label pairs in the Prometheus text format.

/// Appends `name="value"` (comma-separated from what is already there), escaping `\`, `"` and
/// newlines as the text format requires.
pub(crate) fn push_label(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One `name="value"` pair.
#[cfg(test)]
pub(crate) fn label(name: &str, value: &str) -> String {
    let mut out = String::new();
    push_label(&mut out, name, value);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_values() {
        assert_eq!(super::label("a", "x\"y\\z\n"), r#"a="x\"y\\z\n""#);
    }
}
