//! ConfigMap keys of response compression (nginx's gzip and ngx_brotli modules as
//! ingress-nginx configures them).

use portico_model::compression_types;

use super::ConfigKeySpec;
use crate::value::{parse_bool, parse_count};

/// `use-gzip`, `gzip-*`, `enable-brotli`, `brotli-*`.
pub(super) static KEYS: &[ConfigKeySpec] = &[
    key!(
        "use-gzip",
        "false",
        compression.gzip.enabled,
        parse_bool,
        "Compress responses with gzip for clients that accept it (HTTP/1.1 and later), when \
         their type is listed and they are not encoded already; adds Vary: Accept-Encoding."
    ),
    key!(
        "gzip-level",
        "1",
        compression.gzip.level,
        |v| parse_level(v, 1, 9),
        "gzip compression level, 1 to 9."
    ),
    key!(
        "gzip-min-length",
        "256",
        compression.gzip.min_length,
        parse_count,
        "Responses with a smaller Content-Length are not gzipped."
    ),
    key!(
        "gzip-types",
        "application/atom+xml application/javascript application/x-javascript \
         application/json application/rss+xml application/vnd.ms-fontobject \
         application/x-font-ttf application/x-web-app-manifest+json application/xhtml+xml \
         application/xml font/opentype image/svg+xml image/x-icon text/css text/javascript \
         text/plain text/x-component",
        compression.gzip.types,
        parse_types,
        "Space-separated media types gzipped (text/html always is; * = every type)."
    ),
    key!(
        "enable-brotli",
        "false",
        compression.brotli.enabled,
        parse_bool,
        "Compress responses with brotli for clients that accept br; preferred over gzip."
    ),
    key!(
        "brotli-level",
        "4",
        compression.brotli.level,
        |v| parse_level(v, 0, 11),
        "brotli compression level, 0 to 11."
    ),
    key!(
        "brotli-min-length",
        "20",
        compression.brotli.min_length,
        parse_count,
        "Responses with a smaller Content-Length are not compressed with brotli."
    ),
    key!(
        "brotli-types",
        "application/xml+rss application/atom+xml application/javascript \
         application/x-javascript application/json application/rss+xml \
         application/vnd.ms-fontobject application/x-font-ttf \
         application/x-web-app-manifest+json application/xhtml+xml application/xml \
         font/opentype image/svg+xml image/x-icon text/css text/javascript text/plain \
         text/x-component",
        compression.brotli.types,
        parse_types,
        "Space-separated media types compressed with brotli (text/html always is; * = every \
         type)."
    ),
];

/// A compression level within `min..=max`.
fn parse_level(value: &str, min: u32, max: u32) -> Result<u32, String> {
    let level: u32 = parse_count(value)?;
    if !(min..=max).contains(&level) {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(level)
}

/// A space-separated list of `type/subtype` (or `*`).
fn parse_types(value: &str) -> Result<Vec<String>, String> {
    let types = compression_types(value);
    if types.is_empty() {
        return Err("no media type given".to_string());
    }
    match types.iter().find(|t| *t != "*" && t.split('/').filter(|p| !p.is_empty()).count() != 2) {
        Some(bad) => Err(format!("{bad:?} is not a media type (type/subtype)")),
        None => Ok(types),
    }
}
