//! Response compression (`use-gzip`, `enable-brotli`), as nginx's gzip filter and ngx_brotli:
//! only responses 200/403/404 to requests other than HEAD, not already encoded, of a listed
//! type and not shorter than the minimum length get compressed; such a response always gets
//! `Vary: Accept-Encoding`; a client accepting `br` gets brotli (when on), else one accepting
//! `gzip` gets gzip. The compressed body streams: each upstream chunk is compressed and flushed
//! at once (as nginx with `proxy_buffering off`), so a slow stream is not held back.
//!
//! Cost when off: [`accepted`] returns `None` without reading a header and nothing else runs.

use std::io::{self, Write as _};

use bytes::Bytes;
use flate2::write::GzEncoder;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, VARY,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Version};
use portico_model::Compression;

/// nginx's default `brotli_window 512k`.
const BROTLI_WINDOW_BITS: u32 = 19;
const BROTLI_BUFFER: usize = 4096;

/// The codecs a request accepts among those turned on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Accepted {
    gzip: bool,
    brotli: bool,
}

/// A streaming compressor writing into its own buffer, drained after every chunk.
pub(crate) enum Encoder {
    Gzip(GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

/// The codec chosen for one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Brotli,
}

/// What the request allows, read before it is forwarded; `None` when compression is off, the
/// request is a HEAD, or the client speaks HTTP/1.0 (`gzip_http_version 1.1`).
pub(crate) fn accepted(
    config: &Compression,
    method: &Method,
    version: Version,
    headers: &HeaderMap,
) -> Option<Accepted> {
    if !config.is_enabled() || method == Method::HEAD || version < Version::HTTP_11 {
        return None;
    }
    let mut accepted = Accepted::default();
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if parts.any(|p| is_q_zero(p.trim())) {
                continue;
            }
            accepted.gzip |= config.gzip.enabled && coding.eq_ignore_ascii_case("gzip");
            accepted.brotli |= config.brotli.enabled && coding.eq_ignore_ascii_case("br");
        }
    }
    Some(accepted)
}

/// `q=0`, `q=0.0`, ... (the coding is refused).
fn is_q_zero(param: &str) -> bool {
    let Some(q) = param.strip_prefix("q=").or_else(|| param.strip_prefix("Q=")) else {
        return false;
    };
    q.trim().trim_end_matches('0').trim_end_matches('.').trim_start_matches('0').is_empty()
}

/// Decides for `response`: adds `Vary` when it is compressible, and when the client accepts a
/// codec for it, rewrites the headers (Content-Encoding; no Content-Length, no Accept-Ranges;
/// a strong ETag becomes weak, as nginx) and returns the encoder for its body.
pub(crate) fn negotiate<B>(
    config: &Compression,
    accepted: Accepted,
    response: &mut Response<B>,
) -> Option<Encoder> {
    let status = response.status();
    if !matches!(status, StatusCode::OK | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) {
        return None;
    }
    let headers = response.headers_mut();
    if headers.get(CONTENT_ENCODING).is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or("", |v| v.split(';').next().unwrap_or("").trim());
    let length = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let brotli = config.brotli.applies(media_type, length);
    let gzip = config.gzip.applies(media_type, length);
    if !brotli && !gzip {
        return None;
    }
    add_vary(headers);
    let coding = match (brotli && accepted.brotli, gzip && accepted.gzip) {
        (true, _) => Coding::Brotli,
        (false, true) => Coding::Gzip,
        (false, false) => return None,
    };
    let (name, encoder) = match coding {
        Coding::Brotli => ("br", Encoder::brotli(config.brotli.level)),
        Coding::Gzip => ("gzip", Encoder::gzip(config.gzip.level)),
    };
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    headers.remove(CONTENT_LENGTH);
    headers.remove(ACCEPT_RANGES);
    weaken_etag(headers);
    Some(encoder)
}

/// `Vary: Accept-Encoding`, unless the upstream's Vary already names it (or is `*`).
fn add_vary(headers: &mut HeaderMap) {
    let named = headers.get_all(VARY).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|f| f.trim() == "*" || f.trim().eq_ignore_ascii_case("accept-encoding"))
    });
    if !named {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

/// A strong `ETag` no longer names the bytes sent: `"x"` becomes `W/"x"`.
fn weaken_etag(headers: &mut HeaderMap) {
    let Some(etag) = headers.get(ETAG) else { return };
    if etag.as_bytes().starts_with(b"\"") {
        let mut weak = b"W/".to_vec();
        weak.extend_from_slice(etag.as_bytes());
        if let Ok(weak) = HeaderValue::from_bytes(&weak) {
            headers.insert(ETAG, weak);
        }
    }
}

// === impl Encoder ===

impl Encoder {
    fn gzip(level: u32) -> Self {
        Self::Gzip(GzEncoder::new(Vec::new(), flate2::Compression::new(level)))
    }

    fn brotli(level: u32) -> Self {
        let writer =
            brotli::CompressorWriter::new(Vec::new(), BROTLI_BUFFER, level, BROTLI_WINDOW_BITS);
        Self::Brotli(Box::new(writer))
    }

    /// Compresses `data` and flushes: the bytes to send now (possibly empty).
    pub(crate) fn encode(&mut self, data: &[u8]) -> io::Result<Bytes> {
        let out = match self {
            Self::Gzip(gz) => {
                gz.write_all(data)?;
                gz.flush()?;
                gz.get_mut()
            }
            Self::Brotli(br) => {
                br.write_all(data)?;
                br.flush()?;
                br.get_mut()
            }
        };
        Ok(Bytes::from(std::mem::take(out)))
    }

    /// Ends the stream: its last bytes (gzip trailer, brotli final block).
    pub(crate) fn finish(self) -> io::Result<Bytes> {
        let out = match self {
            Self::Gzip(gz) => gz.finish()?,
            Self::Brotli(br) => br.into_inner(),
        };
        Ok(Bytes::from(out))
    }
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Gzip(_) => "Encoder::Gzip",
            Self::Brotli(_) => "Encoder::Brotli",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
