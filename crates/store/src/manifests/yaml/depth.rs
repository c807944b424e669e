//! A linear pre-scan bounding flow-collection nesting (`[`, `{`) before libyaml sees a
//! document. libyaml is quadratic in flow depth (every `[` opens a flow level whose simple-key
//! state is rescanned per token): 100 KB of `[` stalled every reload for 48 s. Kubernetes
//! objects nest a dozen levels deep; [`MAX_FLOW_DEPTH`] leaves ample room.
//!
//! The scan follows just enough YAML to not count brackets that are text: quoted scalars,
//! comments and block scalars (`|`, `>`) are skipped. Anything it misreads only shifts the
//! count; libyaml still parses the document that passes.

/// Deepest flow nesting accepted in one YAML document.
pub(crate) const MAX_FLOW_DEPTH: usize = 128;

/// Where a document first nests flow collections deeper than [`MAX_FLOW_DEPTH`]: the 0-based
/// line in `text` and 1-based column, or `None` when it stays within the bound. Linear in `text`.
pub(super) fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    // Indentation of the line that opened a block scalar: deeper lines are its text.
    let mut block_scalar: Option<usize> = None;
    let mut quote: Option<char> = None;
    for (line_no, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(opened_at) = block_scalar {
            if line.trim().is_empty() || indent > opened_at {
                continue;
            }
            block_scalar = None;
        }
        let mut previous = ' ';
        let mut chars = line.chars().enumerate().peekable();
        while let Some((column, c)) = chars.next() {
            match quote {
                Some('\'') if c == '\'' => {
                    if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
                Some('"') if c == '\\' => {
                    chars.next();
                }
                Some('"') if c == '"' => quote = None,
                Some(_) => {}
                None => match c {
                    '#' if previous.is_whitespace() => break,
                    '\'' | '"' if starts_scalar(previous) => quote = Some(c),
                    '[' | '{' => {
                        depth += 1;
                        if depth > MAX_FLOW_DEPTH {
                            return Some((line_no, column + 1));
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            previous = c;
        }
        if quote.is_none() && depth == 0 && opens_block_scalar(line) {
            block_scalar = Some(indent);
        }
    }
    None
}

/// Whether a quote after `previous` opens a quoted scalar (rather than being text in a plain one).
fn starts_scalar(previous: char) -> bool {
    previous.is_whitespace() || matches!(previous, '[' | '{' | ',' | ':' | '-' | '?')
}

/// `key: |`, `- >-`, `key: |2+ # comment`: the lines below are a block scalar's text.
fn opens_block_scalar(line: &str) -> bool {
    let line = match line.find(" #") {
        Some(comment) => &line[..comment],
        None => line,
    };
    let Some(last) = line.split_whitespace().last() else { return false };
    let mut indicator = last.chars();
    matches!(indicator.next(), Some('|' | '>'))
        && indicator.all(|c| c == '+' || c == '-' || c.is_ascii_digit())
        && line.trim_end().len() > last.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_flow_nesting_and_names_the_line() {
        assert_eq!(too_deep("a: [1, {b: [2]}]\n"), None);
        let deep = format!("a: 1\nb: {}\n", "[".repeat(MAX_FLOW_DEPTH + 1));
        assert_eq!(too_deep(&deep), Some((1, MAX_FLOW_DEPTH + 4)));
        let at_limit = format!("{}{}", "[".repeat(MAX_FLOW_DEPTH), "]".repeat(MAX_FLOW_DEPTH));
        assert_eq!(too_deep(&at_limit), None);
        let spread = "[\n".repeat(MAX_FLOW_DEPTH + 5);
        assert_eq!(too_deep(&spread), Some((MAX_FLOW_DEPTH, 1)));
    }

    #[test]
    fn brackets_in_text_do_not_count() {
        let many = "[".repeat(MAX_FLOW_DEPTH + 1);
        for text in [
            format!("a: '{many}'\n"),
            format!("a: \"{many} \\\" {many}\"\n"),
            format!("a: 'it''s {many}'\n"),
            format!("a: 1 # {many}\n"),
            format!("a: |\n  {many}\n\n  {many}\nb: 1\n"),
            format!("- >-\n    {many}\n"),
        ] {
            assert_eq!(too_deep(&text), None, "{text}");
        }
        // A quote inside a plain scalar is text: the brackets after it count.
        assert_eq!(too_deep(&format!("a: don't {many}\n")), Some((0, 138)));
        // The block scalar ends at the first line no deeper than its key.
        assert_eq!(too_deep(&format!("a: |\n  x\nb: {many}\n")), Some((2, 132)));
    }

    #[test]
    fn linear_on_a_large_input() {
        let text = "[".repeat(100 * 1024);
        let started = std::time::Instant::now();
        assert_eq!(too_deep(&text), Some((0, MAX_FLOW_DEPTH + 1)));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
