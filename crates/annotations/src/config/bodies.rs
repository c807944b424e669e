//! ConfigMap keys of request and response bodies: the defaults of the buffering annotations
//! ([`crate::buffering`]).

use super::ConfigKeySpec;
use crate::buffering::{parse_http_version, parse_on_off};
use crate::value;

/// Keys of the `proxy-*` buffering family and `client-body-buffer-size`.
pub(super) static KEYS: &[ConfigKeySpec] = &[
    key!(
        "proxy-request-buffering",
        "on",
        location_defaults.request_body.buffering,
        parse_on_off,
        "on: request bodies are read whole (memory up to client-body-buffer-size, then a \
         temporary file) before the backend is contacted and sent with a Content-Length; off: \
         streamed."
    ),
    key!(
        "client-body-buffer-size",
        "8k",
        location_defaults.request_body.memory_limit,
        value::parse_positive_size,
        "Largest buffered request body kept in memory; a larger one goes to a temporary file."
    ),
    key!(
        "proxy-http-version",
        "1.1",
        location_defaults.request_body.http10,
        parse_http_version,
        "HTTP version of requests to backends (1.0: bodies buffered, one request per \
         connection)."
    ),
    accepted_key!(
        "proxy-buffering",
        "off",
        parse_on_off,
        "Portico relays responses as they arrive with bounded memory; client and backend see \
         the same bytes with on or off."
    ),
    accepted_key!(
        "proxy-buffers-number",
        "4",
        parse_buffers_number,
        "nginx's number of response buffers; Portico's response memory is bounded without it."
    ),
    accepted_key!(
        "proxy-busy-buffers-size",
        "",
        value::parse_positive_size,
        "nginx's response buffers busy sending; Portico forwards each chunk as it comes."
    ),
    accepted_key!(
        "proxy-max-temp-file-size",
        "1024m",
        value::parse_size,
        "responses never go to a temporary file in Portico (as nginx with proxy-buffering off)."
    ),
];

/// `proxy-buffers-number`: at least one buffer.
fn parse_buffers_number(v: &str) -> Result<u32, String> {
    match value::parse_count::<u32>(v)? {
        0 => Err("must be at least 1".to_string()),
        n => Ok(n),
    }
}
