//! ConfigMap keys of the client-facing TLS and HTTP/2 (nginx's `ssl_*` and `http2_*`
//! directives as ingress-nginx renders them). Portico terminates TLS with rustls, which offers
//! TLS 1.2 and 1.3 only and a fixed set of modern suites: what nginx would offer beyond that
//! is dropped with a warning.

use portico_model::{GlobalConfig, DEFAULT_TLS12_SUITES};

use super::{Applied, ConfigKeySpec};
use crate::value::{self, parse_bool, parse_count};

/// OpenSSL cipher names of the TLS 1.2 suites rustls implements, with their IANA names.
const OPENSSL_NAMES: [(&str, &str); 6] = [
    ("ECDHE-ECDSA-AES128-GCM-SHA256", DEFAULT_TLS12_SUITES[0]),
    ("ECDHE-RSA-AES128-GCM-SHA256", DEFAULT_TLS12_SUITES[1]),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", DEFAULT_TLS12_SUITES[2]),
    ("ECDHE-RSA-AES256-GCM-SHA384", DEFAULT_TLS12_SUITES[3]),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", DEFAULT_TLS12_SUITES[4]),
    ("ECDHE-RSA-CHACHA20-POLY1305", DEFAULT_TLS12_SUITES[5]),
];

/// OpenSSL cipher-string keywords naming groups that contain every rustls suite.
const GROUPS: [&str; 6] = ["ALL", "DEFAULT", "HIGH", "ECDHE", "EECDH", "AESGCM"];

/// `ssl-*`, `use-http2`, `http2-*`.
pub(super) static KEYS: &[ConfigKeySpec] = &[
    ConfigKeySpec {
        key: "ssl-protocols",
        default: "TLSv1.2 TLSv1.3",
        doc: "TLS versions offered: TLSv1.2 and/or TLSv1.3 (older versions are not offered by \
              Portico: dropped with a warning).",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: parse_protocols,
    },
    ConfigKeySpec {
        key: "ssl-ciphers",
        default: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
                  ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
                  ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:\
                  DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256",
        doc: "TLS 1.2 suites in preference order, OpenSSL or IANA names (TLS 1.3 suites are not \
              affected, as in OpenSSL). Portico offers the ECDHE AES-GCM and CHACHA20 suites; \
              HIGH, ALL, DEFAULT name them all; DHE suites are dropped silently, other names \
              with a warning; ! exclusions are ignored.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: parse_ciphers,
    },
    key!(
        "ssl-session-cache",
        "true",
        tls.session_cache,
        parse_bool,
        "Resume TLS sessions from a server-side cache."
    ),
    key!(
        "ssl-session-cache-size",
        "10m",
        tls.session_cache_entries,
        parse_cache_size,
        "Size of the session cache, nginx size (about 4000 sessions per megabyte)."
    ),
    accepted_key!(
        "ssl-session-timeout",
        "10m",
        value::parse_nginx_time,
        "the session cache evicts the oldest sessions by size, not by age."
    ),
    key!(
        "ssl-session-tickets",
        "false",
        tls.session_tickets,
        parse_bool,
        "Issue stateless TLS session tickets (keys rotated in memory)."
    ),
    ConfigKeySpec {
        key: "ssl-early-data",
        default: "false",
        doc: "accepted; 0-RTT early data always stays off in Portico (replayable requests): true \
              is reported.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, _| match parse_bool(v)? {
            true => Ok(Some(
                "ssl-early-data: Portico never accepts TLS 1.3 early data (0-RTT): replayed \
                 requests could repeat their effect; handshakes take a full round trip"
                    .to_string(),
            )),
            false => Ok(None),
        },
    },
    key!(
        "use-http2",
        "true",
        tls.http2,
        parse_bool,
        "Offer HTTP/2 (ALPN h2, and h2c on the plain listener); false: HTTP/1.1 only."
    ),
    key!(
        "http2-max-concurrent-streams",
        "128",
        tls.http2_max_concurrent_streams,
        parse_streams,
        "Concurrent streams per HTTP/2 connection."
    ),
    accepted_key!(
        "http2-max-field-size",
        "",
        value::parse_positive_size,
        "obsolete in nginx since 1.19.7; large-client-header-buffers bounds HTTP/2 heads."
    ),
    accepted_key!(
        "http2-max-header-size",
        "",
        value::parse_positive_size,
        "obsolete in nginx since 1.19.7; large-client-header-buffers bounds HTTP/2 heads."
    ),
    accepted_key!(
        "http2-max-requests",
        "0",
        parse_count::<u64>,
        "obsolete in nginx since 1.19.7, where keep-alive-requests applies."
    ),
];

/// `ssl-protocols`: space-separated; TLSv1.2/TLSv1.3 kept, older versions dropped with a note.
fn parse_protocols(value: &str, config: &mut GlobalConfig) -> Applied {
    let (mut tls12, mut tls13, mut dropped) = (false, false, Vec::new());
    for token in value.split_ascii_whitespace() {
        match token {
            "TLSv1.2" => tls12 = true,
            "TLSv1.3" => tls13 = true,
            "SSLv2" | "SSLv3" | "TLSv1" | "TLSv1.1" => dropped.push(token),
            other => return Err(format!("unknown protocol {other:?} (expected TLSv1.2 TLSv1.3)")),
        }
    }
    if !tls12 && !tls13 {
        return Err("neither TLSv1.2 nor TLSv1.3: Portico offers no older version".to_string());
    }
    config.tls.tls12 = tls12;
    config.tls.tls13 = tls13;
    Ok((!dropped.is_empty()).then(|| {
        format!("ssl-protocols {} not offered by Portico (rustls): ignored", dropped.join(" "))
    }))
}

/// `ssl-ciphers`: an OpenSSL cipher list (`:`, `,` or space separated) mapped to the TLS 1.2
/// suites rustls offers, in the given order.
fn parse_ciphers(value: &str, config: &mut GlobalConfig) -> Applied {
    let (suites, unknown) = map_ciphers(value)?;
    config.tls.tls12_suites = suites;
    Ok((!unknown.is_empty()).then(|| {
        format!("ssl-ciphers {} not offered by Portico (rustls): ignored", unknown.join(":"))
    }))
}

/// nginx's `ssl_ciphers` value as the TLS 1.2 suites rustls offers (IANA names, in the given
/// order, deduplicated), and the names Portico does not offer (DHE suites left out: rustls has
/// none and ingress-nginx's default lists them). `+X`, `!X`, `-X`, `@...` are skipped; `ALL`,
/// `HIGH`, ... name every suite. `Err`: no suite Portico offers remains. Shared by the
/// ConfigMap key and the `ssl-ciphers` annotation.
pub(crate) fn map_ciphers(value: &str) -> Result<(Vec<String>, Vec<&str>), String> {
    let mut suites: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    let mut push = |suite: &str| {
        if !suites.iter().any(|s| s == suite) {
            suites.push(suite.to_string());
        }
    };
    let tokens = value.split([':', ',', ' ']).filter(|t| !t.is_empty());
    for token in tokens {
        if token.starts_with(['!', '-', '+', '@']) {
            continue;
        }
        if GROUPS.contains(&token) {
            DEFAULT_TLS12_SUITES.iter().for_each(|s| push(s));
        } else if let Some((_, iana)) = OPENSSL_NAMES.iter().find(|(name, _)| *name == token) {
            push(iana);
        } else if DEFAULT_TLS12_SUITES.contains(&token) {
            push(token);
        } else if !token.starts_with("DHE-") {
            unknown.push(token);
        }
    }
    if suites.is_empty() {
        return Err("names no cipher suite Portico offers (ECDHE with AES-GCM or CHACHA20)".into());
    }
    Ok((suites, unknown))
}

/// `ssl-session-cache-size`: an nginx size, as sessions (4096 per MiB; at least 1).
fn parse_cache_size(value: &str) -> Result<usize, String> {
    let bytes = value::parse_positive_size(value)?;
    Ok(usize::try_from(bytes / 256).unwrap_or(usize::MAX).max(1))
}

/// `http2-max-concurrent-streams`: at least 1.
fn parse_streams(value: &str) -> Result<u32, String> {
    match parse_count::<u32>(value)? {
        0 => Err("must be at least 1".to_string()),
        n => Ok(n),
    }
}
