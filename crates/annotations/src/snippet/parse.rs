//! The nginx directive syntax of a snippet, read as data: `name arg 'quoted arg' "…";` and
//! `name … { … }` blocks. Nothing here interprets a directive; [`super`] decides what each
//! one means.

/// One directive: its name, its arguments (quotes removed), and its block's text if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    pub name: String,
    pub args: Vec<String>,
    /// The text between `{` and the matching `}` (for `if`, `location`, ...).
    pub block: Option<String>,
}

/// Splits `text` into directives. `Err` for unbalanced quotes or braces, or a directive left
/// without its `;`.
pub(crate) fn directives(text: &str) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            ';' => {
                if let Some(d) = take(&mut words, None) {
                    out.push(d);
                }
            }
            '{' => {
                let mut depth = 1;
                let mut block = String::new();
                for c in chars.by_ref() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    block.push(c);
                }
                if depth != 0 {
                    return Err("unbalanced braces".to_string());
                }
                match take(&mut words, Some(block)) {
                    Some(d) => out.push(d),
                    None => return Err("a block without a directive".to_string()),
                }
            }
            '}' => return Err("unbalanced braces".to_string()),
            '\'' | '"' => {
                let mut word = String::new();
                let mut closed = false;
                while let Some(q) = chars.next() {
                    match q {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        q if q == c => {
                            closed = true;
                            break;
                        }
                        q => word.push(q),
                    }
                }
                if !closed {
                    return Err("unbalanced quotes".to_string());
                }
                words.push(word);
            }
            c => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, ';' | '{' | '}' | '\'' | '"') {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                words.push(word);
            }
        }
    }
    if !words.is_empty() {
        return Err(format!("directive {:?} is not terminated by ';'", words[0]));
    }
    Ok(out)
}

fn take(words: &mut Vec<String>, block: Option<String>) -> Option<Directive> {
    if words.is_empty() {
        return None;
    }
    let mut all = std::mem::take(words).into_iter();
    let name = all.next()?;
    Some(Directive { name, args: all.collect(), block })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn directives_quotes_blocks_and_comments() {
        let text = "more_set_headers \"X-A: 1\" 'X-B: two words';\n# comment; not a directive\n\
                    add_header X-C \"c;d\" always;\nif ($http_x = \"y\") { return 403; }\n";
        let got = directives(text).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].args, ["X-A: 1", "X-B: two words"]);
        assert_eq!(
            (got[1].name.as_str(), got[1].args.as_slice()),
            ("add_header", &["X-C".to_string(), "c;d".into(), "always".into()][..])
        );
        assert_eq!(got[2].name, "if");
        assert_eq!(got[2].block.as_deref().map(str::trim), Some("return 403;"));
    }

    #[test]
    fn malformed_text_is_an_error() {
        for text in ["add_header X 'y;", "if (x) { return 403;", "}", "deny all"] {
            assert!(directives(text).is_err(), "{text:?}");
        }
    }
}
