//! Response compression from the controller ConfigMap (`use-gzip`, `enable-brotli` and their
//! `*-level`, `*-min-length`, `*-types`), as ingress-nginx renders nginx's gzip and brotli
//! modules: `gzip_proxied any`, `gzip_vary on`, `gzip_http_version 1.1`.

/// Both codecs; brotli is preferred when the client accepts both (ngx_brotli runs first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compression {
    pub gzip: Codec,
    pub brotli: Codec,
}

/// One codec's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// `use-gzip` / `enable-brotli` (both off by default).
    pub enabled: bool,
    /// `gzip-level` (1-9, default 1) / `brotli-level` (0-11, default 4).
    pub level: u32,
    /// `gzip-min-length` (256) / `brotli-min-length` (20): responses whose Content-Length is
    /// smaller stay uncompressed (a response without one is compressed).
    pub min_length: u64,
    /// `gzip-types` / `brotli-types`: media types compressed, lowercase, without parameters;
    /// `text/html` always is (as nginx), `*` matches every type.
    pub types: Vec<String>,
}

/// ingress-nginx's default `gzip-types`.
pub const GZIP_TYPES: &str = "application/atom+xml application/javascript \
    application/x-javascript application/json application/rss+xml \
    application/vnd.ms-fontobject application/x-font-ttf application/x-web-app-manifest+json \
    application/xhtml+xml application/xml font/opentype image/svg+xml image/x-icon text/css \
    text/javascript text/plain text/x-component";

/// ingress-nginx's default `brotli-types`.
pub const BROTLI_TYPES: &str = "application/xml+rss application/atom+xml \
    application/javascript application/x-javascript application/json application/rss+xml \
    application/vnd.ms-fontobject application/x-font-ttf application/x-web-app-manifest+json \
    application/xhtml+xml application/xml font/opentype image/svg+xml image/x-icon text/css \
    text/javascript text/plain text/x-component";

// === impl Compression ===

impl Compression {
    /// Whether any codec is on (else responses are never looked at).
    pub fn is_enabled(&self) -> bool {
        self.gzip.enabled || self.brotli.enabled
    }
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            gzip: Codec { enabled: false, level: 1, min_length: 256, types: types(GZIP_TYPES) },
            brotli: Codec { enabled: false, level: 4, min_length: 20, types: types(BROTLI_TYPES) },
        }
    }
}

// === impl Codec ===

impl Codec {
    /// Whether a response of `media_type` (without parameters, any case) and `length` (its
    /// Content-Length, if any) is compressed by this codec.
    pub fn applies(&self, media_type: &str, length: Option<u64>) -> bool {
        let typed = media_type.eq_ignore_ascii_case("text/html")
            || self.types.iter().any(|t| t == "*" || t.eq_ignore_ascii_case(media_type));
        self.enabled && typed && length.is_none_or(|len| len >= self.min_length)
    }
}

/// A space-separated list of media types, lowercased.
pub fn types(list: &str) -> Vec<String> {
    list.split_ascii_whitespace().map(str::to_ascii_lowercase).collect()
}
