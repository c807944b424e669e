//! The controller ConfigMap (`--configmap NS/NAME`): ingress-nginx's global keys Portico honours,
//! as a registry of keys with their parser. Invalid values keep the default; unknown keys are
//! reported. ingress-nginx reference: `internal/ingress/controller/config/config.go`.

use std::collections::BTreeMap;

use portico_model::{Diagnostic, GlobalConfig};

use crate::balance::parse_load_balance;
use crate::proxy::{parse_next_upstream, unsupported_tokens_message};
use crate::value::{self, parse_bool, parse_count, parse_seconds, parse_seconds_or_zero};

/// What a key's parser returns: `Ok(Some(note))` = applied, with a warning to show.
type Applied = Result<Option<String>, String>;

/// One ConfigMap key: its name, ingress-nginx default (for docs), one-line doc and parser.
#[derive(Debug, Clone, Copy)]
pub struct ConfigKeySpec {
    pub key: &'static str,
    pub default: &'static str,
    pub doc: &'static str,
    /// Whether an empty value is meaningful (an empty list) rather than "unset".
    empty_is_value: bool,
    apply: fn(&str, &mut GlobalConfig) -> Applied,
}

/// A key whose value is a Go-style boolean.
macro_rules! bool_key {
    ($key:literal, $default:literal, $doc:literal, |$c:ident| $slot:expr) => {
        ConfigKeySpec {
            key: $key,
            default: $default,
            doc: $doc,
            empty_is_value: false,
            apply: |v, $c| {
                $slot = parse_bool(v)?;
                Ok(None)
            },
        }
    };
}

/// A key whose value is parsed by `$parse` and stored into `$slot`.
macro_rules! key {
    ($key:literal, $default:literal, $doc:literal, $parse:expr, |$c:ident| $slot:expr) => {
        ConfigKeySpec {
            key: $key,
            default: $default,
            doc: $doc,
            empty_is_value: false,
            apply: |v, $c| {
                $slot = $parse(v)?;
                Ok(None)
            },
        }
    };
}

/// Every ConfigMap key Portico understands, applied in this order.
pub static CONFIG_KEYS: &[ConfigKeySpec] = &[
    bool_key!("ssl-redirect", "true", "Redirect HTTP to HTTPS on hosts with a certificate.", |c| c
        .location_defaults
        .ssl_redirect),
    bool_key!(
        "force-ssl-redirect",
        "false",
        "Redirect HTTP to HTTPS even without a certificate.",
        |c| c.location_defaults.force_ssl_redirect
    ),
    key!(
        "http-redirect-code",
        "308",
        "Status of HTTPS redirects: 301, 302, 307 or 308.",
        parse_redirect_code,
        |c| c.http_redirect_code
    ),
    ConfigKeySpec {
        key: "no-tls-redirect-locations",
        default: "/.well-known/acme-challenge",
        doc: "Comma-separated location path prefixes never redirected to HTTPS.",
        empty_is_value: true,
        apply: |v, c| {
            c.no_tls_redirect_locations = value::parse_list(v);
            Ok(None)
        },
    },
    ConfigKeySpec {
        key: "no-auth-locations",
        default: "/.well-known/acme-challenge",
        doc: "Comma-separated location path prefixes exempt from authentication.",
        empty_is_value: true,
        apply: |v, c| {
            c.no_auth_locations = value::parse_list(v);
            Ok(None)
        },
    },
    bool_key!(
        "preserve-trailing-slash",
        "false",
        "Keep the trailing slash in HTTPS redirects.",
        |c| c.location_defaults.preserve_trailing_slash
    ),
    bool_key!("use-forwarded-headers", "false", "Trust incoming X-Forwarded-* headers.", |c| c
        .use_forwarded_headers),
    bool_key!(
        "compute-full-forwarded-for",
        "false",
        "Append the peer to the incoming X-Forwarded-For.",
        |c| c.compute_full_forwarded_for
    ),
    bool_key!("generate-request-id", "true", "Add X-Request-ID when the client sent none.", |c| c
        .generate_request_id),
    key!(
        "proxy-body-size",
        "1m",
        "Largest request body (nginx size; 0 = unlimited).",
        value::parse_size,
        |c| c.location_defaults.max_body_size
    ),
    key!(
        "proxy-connect-timeout",
        "5",
        "Upstream connect timeout, in seconds.",
        parse_seconds,
        |c| c.location_defaults.timeouts.connect
    ),
    key!("proxy-read-timeout", "60", "Upstream read timeout, in seconds.", parse_seconds, |c| c
        .location_defaults
        .timeouts
        .read),
    key!("proxy-send-timeout", "60", "Upstream send timeout, in seconds.", parse_seconds, |c| c
        .location_defaults
        .timeouts
        .send),
    ConfigKeySpec {
        key: "proxy-next-upstream",
        default: "error timeout",
        doc: "When a failed attempt tries the next endpoint.",
        empty_is_value: false,
        apply: |v, c| {
            let (next, ignored) = parse_next_upstream(v, c.location_defaults.next_upstream)?;
            c.location_defaults.next_upstream = next;
            Ok((!ignored.is_empty()).then(|| unsupported_tokens_message(&ignored)))
        },
    },
    key!(
        "proxy-next-upstream-tries",
        "3",
        "Total attempts of a request (0 = every endpoint once).",
        parse_count,
        |c| c.location_defaults.next_upstream.tries
    ),
    ConfigKeySpec {
        key: "load-balance",
        default: "round_robin",
        doc: "Default load-balancing algorithm: round_robin, ewma, rr, lc, dh, sh, sed, nq.",
        empty_is_value: false,
        apply: |v, c| {
            let (algorithm, note) = parse_load_balance(v)?;
            c.load_balance = algorithm;
            Ok(note)
        },
    },
    bool_key!(
        "allow-cross-namespace-resources",
        "false",
        "Let annotations reference Secrets of other namespaces.",
        |c| c.allow_cross_namespace_resources
    ),
    key!(
        "keep-alive",
        "75",
        "Idle timeout of client connections, in seconds (0 disables).",
        parse_seconds_or_zero,
        |c| c.client_keepalive
    ),
    key!(
        "upstream-keepalive-connections",
        "320",
        "Idle upstream connections kept per host.",
        parse_count,
        |c| c.upstream_keepalive_connections
    ),
    key!(
        "upstream-keepalive-timeout",
        "60",
        "Idle timeout of pooled upstream connections, in seconds.",
        parse_seconds_or_zero,
        |c| c.upstream_keepalive_timeout
    ),
    bool_key!("hsts", "true", "Send Strict-Transport-Security on HTTPS responses.", |c| c
        .hsts
        .enabled),
    key!("hsts-max-age", "31536000", "HSTS max-age, in seconds.", parse_count, |c| c.hsts.max_age),
    bool_key!("hsts-include-subdomains", "true", "Add includeSubDomains to HSTS.", |c| c
        .hsts
        .include_subdomains),
    bool_key!("hsts-preload", "false", "Add preload to HSTS.", |c| c.hsts.preload),
];

/// Parses the ConfigMap's data; see [`crate::parse_configmap`].
pub(crate) fn parse(data: &BTreeMap<String, String>) -> (GlobalConfig, Vec<Diagnostic>) {
    let mut config = GlobalConfig::default();
    let mut diagnostics = Vec::new();
    for spec in CONFIG_KEYS {
        let Some(raw) = data.get(spec.key) else { continue };
        if raw.is_empty() && !spec.empty_is_value {
            continue;
        }
        let field = format!("data[{:?}]", spec.key);
        let result = value::check_line_breaks(raw).and_then(|()| (spec.apply)(raw, &mut config));
        let message = match result {
            Ok(None) => continue,
            Ok(Some(note)) => note,
            Err(reason) => {
                format!("invalid value {raw:?}: {reason}; keeping the default {:?}", spec.default)
            }
        };
        diagnostics.push(Diagnostic::warning(message).with_field(field));
    }
    for key in data.keys().filter(|k| !CONFIG_KEYS.iter().any(|spec| spec.key == k.as_str())) {
        diagnostics.push(
            Diagnostic::warning(format!("ConfigMap key {key} is not supported by Portico"))
                .with_field(format!("data[{key:?}]")),
        );
    }
    (config, diagnostics)
}

/// `http-redirect-code`: only 301, 302, 307 and 308 (ingress-nginx `validRedirectCodes`).
fn parse_redirect_code(value: &str) -> Result<u16, String> {
    match value::parse_int(value)? {
        code @ (301 | 302 | 307 | 308) => Ok(code as u16),
        _ => Err("must be 301, 302, 307 or 308".to_string()),
    }
}

#[cfg(test)]
mod tests;
