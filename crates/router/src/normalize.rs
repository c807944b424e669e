//! The URL normalization done before matching, as nginx computes `$uri`
//! (`ngx_http_parse_complex_uri` with `merge_slashes on`).
//!
//! Input: the raw request path, without the query string. Output, in this order:
//! 1. **Percent-decoding of every escape**, once. A decoded byte takes part in the next steps
//!    like a literal one (nginx feeds it back into its parser): `%2F` is a `/`, `%2E%2E` is a
//!    `..` segment. Decoding happens once only: `%252F` gives the text `%2F`, never `/`.
//!    - `%00` (and a raw NUL) → [`NormalizeError::Nul`]; `%` not followed by two hex digits →
//!      [`NormalizeError::BadEscape`] (nginx: 400 for both).
//!    - Deliberate difference from nginx, so that normalization is idempotent: a decoded `%`
//!      stays written as `%25`, and decoded bytes that do not form UTF-8 stay as `%XX`
//!      (uppercase). So the only `%` in the output start such an escape.
//! 2. **`//` merged** into `/` (a trailing `/` is kept).
//! 3. **Dot segments resolved**: `.` is dropped, `..` drops the previous segment; either one as
//!    the last segment leaves a trailing `/` (`/a/b/..` → `/a/`). A `..` above the root →
//!    [`NormalizeError::AboveRoot`] (nginx: 400).
//!
//! The path must start with `/` ([`NormalizeError::NotAbsolute`]); an empty path is `/`.
//! Normalization is case-preserving. The result borrows the input when nothing changes (no
//! `%`, no `//`, no dot segment: the common case allocates nothing).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Why a request path cannot be normalized. Every variant means 400 Bad Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("request path does not start with '/'")]
    NotAbsolute,
    #[error("invalid percent-encoding in the request path")]
    BadEscape,
    #[error("NUL byte in the request path")]
    Nul,
    #[error("'..' segment above the root of the request path")]
    AboveRoot,
}

/// Normalizes a raw request path (see the module doc).
pub fn normalize(path: &str) -> Result<Cow<'_, str>, NormalizeError> {
    if path.is_empty() {
        return Ok(Cow::Borrowed("/"));
    }
    if !path.starts_with('/') {
        return Err(NormalizeError::NotAbsolute);
    }
    if is_normal(path.as_bytes()) {
        return Ok(Cow::Borrowed(path));
    }
    let decoded = decode(path.as_bytes())?;
    let resolved = resolve(&decoded)?;
    Ok(Cow::Owned(into_string(resolved)))
}

/// True when [`normalize`] would return the path unchanged without any decoding work.
fn is_normal(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' | 0 => false,
        b'/' => {
            let rest = &bytes[i + 1..];
            rest.first() != Some(&b'/') && !starts_with_dot_segment(rest)
        }
        _ => true,
    })
}

/// `rest` follows a `/`: does its first segment read `.` or `..`?
fn starts_with_dot_segment(rest: &[u8]) -> bool {
    let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    matches!(&rest[..end], b"." | b"..")
}

/// Step 1: decodes every escape once; a decoded `%` is kept as `%25`.
fn decode(bytes: &[u8]) -> Result<Vec<u8>, NormalizeError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0 => return Err(NormalizeError::Nul),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&b| hex(b));
                let lo = bytes.get(i + 2).and_then(|&b| hex(b));
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(NormalizeError::BadEscape);
                };
                match hi << 4 | lo {
                    0 => return Err(NormalizeError::Nul),
                    b'%' => out.extend_from_slice(b"%25"),
                    byte => out.push(byte),
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Steps 2 and 3 on a decoded path that starts with `/`.
fn resolve(bytes: &[u8]) -> Result<Vec<u8>, NormalizeError> {
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut trailing_slash = false;
    for segment in bytes[1..].split(|&b| b == b'/') {
        trailing_slash = true;
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop().ok_or(NormalizeError::AboveRoot)?;
            }
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = Vec::with_capacity(bytes.len());
    for segment in &segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if trailing_slash || out.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

/// Final form: bytes that are not UTF-8 are written back as `%XX`.
fn into_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(error) => {
            let bytes = error.into_bytes();
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    let _ = write!(out, "%{b:02X}");
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests;
