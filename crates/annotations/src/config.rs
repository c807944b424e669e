//! The controller ConfigMap (`--configmap NS/NAME`): ingress-nginx's global keys Portico honours,
//! as a registry of keys with their parser. Invalid values keep the default; unknown keys are
//! reported. ingress-nginx reference: `internal/ingress/controller/config/config.go`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use portico_model::{Diagnostic, GlobalConfig};

use crate::balance::parse_load_balance;
use crate::proxy::{parse_next_upstream, unsupported_tokens_message};
use crate::value::{self, parse_bool, parse_count, parse_seconds, parse_seconds_or_zero};

mod restricting;

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
    /// An invalid value is an error and denies every location (access lists), instead of a
    /// warning keeping the default.
    deny_on_invalid: bool,
    apply: fn(&str, &mut GlobalConfig) -> Applied,
}

/// A key whose value is a Go-style boolean stored at `config.<field path>`.
macro_rules! bool_key {
    ($key:literal, $default:literal, $($field:ident).+, $doc:literal) => {
        key!($key, $default, $($field).+, parse_bool, $doc)
    };
}

/// A key whose value `$parse` turns into `config.<field path>`.
macro_rules! key {
    ($key:literal, $default:literal, $($field:ident).+, $parse:expr, $doc:literal) => {
        ConfigKeySpec {
            key: $key,
            default: $default,
            doc: $doc,
            empty_is_value: false,
            deny_on_invalid: false,
            apply: |v, c| {
                c.$($field).+ = $parse(v)?;
                Ok(None)
            },
        }
    };
}

/// A `global-auth-*` key: read together by [`crate::external_auth::apply_global`] after the
/// others, listed here for docs and so that it is known.
macro_rules! global_auth_key {
    ($key:literal, $doc:literal) => {
        ConfigKeySpec {
            key: $key,
            default: "",
            doc: $doc,
            empty_is_value: false,
            deny_on_invalid: false,
            apply: |_, _| Ok(None),
        }
    };
}

/// A key that Portico validates and that has no observable effect in it: `$why` says why, for
/// the docs ("accepted, no effect: ...").
macro_rules! accepted_key {
    ($key:literal, $default:literal, $parse:expr, $why:literal) => {
        ConfigKeySpec {
            key: $key,
            default: $default,
            doc: concat!("accepted, no effect: ", $why),
            empty_is_value: false,
            deny_on_invalid: false,
            apply: |v, _| {
                $parse(v)?;
                Ok(None)
            },
        }
    };
}

mod access_log;
mod bodies;
mod compression;
mod tls;
mod tracing;

pub(crate) use tls::map_ciphers;

/// Every ConfigMap key Portico understands, applied in this order.
pub static CONFIG_KEYS: LazyLock<Vec<ConfigKeySpec>> = LazyLock::new(|| {
    [CORE_KEYS, bodies::KEYS, compression::KEYS, tls::KEYS, access_log::KEYS, tracing::KEYS]
        .concat()
});

/// The keys of the first waves (redirects, forwarded headers, timeouts, limits, HSTS, auth).
static CORE_KEYS: &[ConfigKeySpec] = &[
    ConfigKeySpec {
        key: "ssl-redirect",
        default: "true",
        doc: "Redirect HTTP to HTTPS on hosts with a certificate.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let on = parse_bool(v)?;
            c.location_defaults.filters.update_https_redirect(|r| r.ssl_redirect = on);
            Ok(None)
        },
    },
    ConfigKeySpec {
        key: "force-ssl-redirect",
        default: "false",
        doc: "Redirect HTTP to HTTPS even without a certificate.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let on = parse_bool(v)?;
            c.location_defaults.filters.update_https_redirect(|r| r.force = on);
            Ok(None)
        },
    },
    key!(
        "http-redirect-code",
        "308",
        http_redirect_code,
        parse_redirect_code,
        "Status of HTTPS redirects: 301, 302, 307 or 308."
    ),
    ConfigKeySpec {
        key: "no-tls-redirect-locations",
        default: "/.well-known/acme-challenge",
        doc: "Comma-separated location path prefixes never redirected to HTTPS.",
        empty_is_value: true,
        deny_on_invalid: false,
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
        deny_on_invalid: false,
        apply: |v, c| {
            c.no_auth_locations = value::parse_list(v);
            Ok(None)
        },
    },
    bool_key!(
        "server-tokens",
        "false",
        headers.server_tokens,
        "Send Server: portico/<version> (off: no Server header at all)."
    ),
    key!(
        "add-headers",
        "",
        headers.add_headers_configmap,
        parse_configmap_ref,
        "namespace/name of a ConfigMap whose data are headers set on every response."
    ),
    key!(
        "proxy-set-headers",
        "",
        headers.proxy_set_headers_configmap,
        parse_configmap_ref,
        "namespace/name of a ConfigMap whose data are headers set on every upstream request."
    ),
    ConfigKeySpec {
        key: "hide-headers",
        default: "",
        doc: "Comma-separated upstream response headers not passed to the client.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let (names, note) = parse_header_names(v);
            c.headers.hide = names;
            Ok(note)
        },
    },
    ConfigKeySpec {
        key: "global-allowed-response-headers",
        default: "",
        doc: "Comma-separated header names a custom-headers ConfigMap may set.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let (names, note) = parse_header_names(v);
            // As written: ingress-nginx compares a custom-headers key with them exactly.
            c.headers.allowed_response_headers = v
                .split(',')
                .map(str::trim)
                .filter(|e| names.iter().any(|n| n.as_str().eq_ignore_ascii_case(e)))
                .map(str::to_string)
                .collect();
            Ok(note)
        },
    },
    ConfigKeySpec {
        key: "custom-http-errors",
        default: "",
        doc: "Comma-separated statuses (300-599) every location without the annotation answers \
              from the default backend (--default-backend-service, else Portico's 404).",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let (codes, note) = parse_error_codes(v);
            let errors = portico_model::CustomErrors { codes, ..Default::default() };
            let filters = &mut c.location_defaults.filters;
            if errors.codes.is_empty() {
                filters.remove_like(&portico_model::Filter::CustomErrors(Default::default()));
            } else {
                filters.set(portico_model::Filter::CustomErrors(std::sync::Arc::new(errors)));
            }
            Ok(note)
        },
    },
    ConfigKeySpec {
        key: "relative-redirects",
        default: "false",
        doc: "Keep the Location of redirects Portico builds from a path relative (nginx's \
              absolute_redirect off): the add-slash 301 and permanent-/temporal-redirect paths.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            if parse_bool(v)? {
                c.location_defaults.filters.set(portico_model::Filter::RelativeRedirects);
            } else {
                c.location_defaults.filters.remove_like(&portico_model::Filter::RelativeRedirects);
            }
            Ok(None)
        },
    },
    ConfigKeySpec {
        key: "use-port-in-redirects",
        default: "false",
        doc:
            "The listener's port in the Location of redirects Portico builds from a path (nginx's \
              port_in_redirect), unless it is the scheme's default.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            if parse_bool(v)? {
                c.location_defaults.filters.set(portico_model::Filter::PortInRedirects);
            } else {
                c.location_defaults.filters.remove_like(&portico_model::Filter::PortInRedirects);
            }
            Ok(None)
        },
    },
    ConfigKeySpec {
        key: "preserve-trailing-slash",
        default: "false",
        doc: "Keep the trailing slash in HTTPS redirects.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let on = parse_bool(v)?;
            c.location_defaults.filters.update_https_redirect(|r| r.preserve_trailing_slash = on);
            Ok(None)
        },
    },
    bool_key!(
        "use-forwarded-headers",
        "false",
        use_forwarded_headers,
        "Trust incoming X-Forwarded-* headers."
    ),
    bool_key!(
        "compute-full-forwarded-for",
        "false",
        compute_full_forwarded_for,
        "Append the peer to the incoming X-Forwarded-For."
    ),
    bool_key!(
        "allow-snippet-annotations",
        "false",
        allow_snippet_annotations,
        "Read configuration-snippet and server-snippet (their safe subset, as data)."
    ),
    bool_key!(
        "use-proxy-protocol",
        "false",
        real_ip.proxy_protocol,
        "Connections to the HTTP and HTTPS listeners start with a PROXY protocol v1/v2 header \
         naming the client (cloud load balancers); connections without one are closed."
    ),
    bool_key!(
        "enable-real-ip",
        "false",
        real_ip.enable,
        "Take the client address from forwarded-for-header (from trusted peers only)."
    ),
    key!(
        "forwarded-for-header",
        "X-Forwarded-For",
        real_ip.header,
        parse_header_name,
        "Header naming the client, with enable-real-ip or use-forwarded-headers."
    ),
    key!(
        "proxy-real-ip-cidr",
        "0.0.0.0/0",
        real_ip.trusted,
        parse_trusted,
        "Peers trusted to name the client (PROXY protocol or forwarded-for-header), \
         comma-separated CIDRs."
    ),
    bool_key!(
        "generate-request-id",
        "true",
        generate_request_id,
        "Add X-Request-ID when the client sent none."
    ),
    key!(
        "proxy-body-size",
        "1m",
        location_defaults.max_body_size,
        value::parse_size,
        "Largest request body (nginx size; 0 = unlimited)."
    ),
    key!(
        "proxy-connect-timeout",
        "5",
        location_defaults.timeouts.connect,
        parse_seconds,
        "Upstream connect timeout, in seconds."
    ),
    key!(
        "proxy-read-timeout",
        "60",
        location_defaults.timeouts.read,
        parse_seconds,
        "Upstream read timeout, in seconds."
    ),
    key!(
        "proxy-send-timeout",
        "60",
        location_defaults.timeouts.send,
        parse_seconds,
        "Upstream send timeout, in seconds."
    ),
    ConfigKeySpec {
        key: "proxy-next-upstream",
        default: "error timeout",
        doc: "When a failed attempt tries the next endpoint.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let (next, ignored) = parse_next_upstream(v, c.location_defaults.next_upstream)?;
            c.location_defaults.next_upstream = next;
            Ok((!ignored.is_empty()).then(|| unsupported_tokens_message(&ignored)))
        },
    },
    key!(
        "proxy-next-upstream-tries",
        "3",
        location_defaults.next_upstream.tries,
        parse_count,
        "Total attempts of a request (0 = every endpoint once)."
    ),
    ConfigKeySpec {
        key: "load-balance",
        default: "round_robin",
        doc: "Default load-balancing algorithm: round_robin, ewma, rr, lc, dh, sh, sed, nq.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            let (algorithm, note) = parse_load_balance(v)?;
            c.load_balance = algorithm;
            Ok(note)
        },
    },
    bool_key!(
        "allow-cross-namespace-resources",
        "false",
        allow_cross_namespace_resources,
        "Let annotations reference Secrets of other namespaces."
    ),
    key!(
        "keep-alive",
        "75",
        client.keepalive,
        parse_seconds_or_zero,
        "Idle timeout of client connections between requests, in seconds (0 disables keep-alive)."
    ),
    key!(
        "keep-alive-requests",
        "1000",
        client.keepalive_requests,
        parse_count,
        "Requests served on one client connection before it is closed."
    ),
    key!(
        "client-header-timeout",
        "60",
        client.header_timeout,
        parse_seconds,
        "Time to send the request head, in seconds: from accept for the first request, from \
         its first byte for later ones. The connection is closed."
    ),
    key!(
        "client-body-timeout",
        "60",
        client.body_timeout,
        parse_seconds,
        "Longest wait between two reads of the request body, in seconds (then 408)."
    ),
    key!(
        "client-header-buffer-size",
        "1k",
        client.header_buffer_size,
        value::parse_positive_size,
        "nginx's first header buffer; accepted and validated (Portico's buffers grow as needed)."
    ),
    key!(
        "large-client-header-buffers",
        "4 8k",
        client.large_header_buffers,
        value::parse_header_buffers,
        "Number and size of header buffers: a longer request line is 414, a longer header line \
         or a larger head 400 (at most 256k in all)."
    ),
    key!(
        "proxy-buffer-size",
        "4k",
        location_defaults.proxy_buffer_size,
        value::parse_positive_size,
        "Largest upstream response head; a larger one is 502 (upstream sent too big header)."
    ),
    ConfigKeySpec {
        key: "worker-shutdown-timeout",
        default: "",
        doc: "Grace period of in-flight requests and WebSocket connections on shutdown, as an \
              nginx time (240s). Unset: --shutdown-grace-secs (10 s); ingress-nginx's is 240s.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            c.shutdown_grace = Some(value::parse_nginx_time(v)?);
            Ok(None)
        },
    },
    key!(
        "upstream-keepalive-connections",
        "320",
        upstream_keepalive_connections,
        parse_count,
        "Idle upstream connections kept per host."
    ),
    key!(
        "upstream-keepalive-timeout",
        "60",
        upstream_keepalive_timeout,
        parse_seconds_or_zero,
        "Idle timeout of pooled upstream connections, in seconds."
    ),
    ConfigKeySpec {
        key: "whitelist-source-range",
        default: "",
        doc: "Client CIDRs allowed on every location (annotations replace it); others get 403. \
              Invalid: every location answers 503.",
        empty_is_value: false,
        deny_on_invalid: true,
        apply: |v, c| source_range(v, c, true),
    },
    ConfigKeySpec {
        key: "denylist-source-range",
        default: "",
        doc: "Client CIDRs refused (403) on every location (annotations replace it). Invalid: \
              every location answers 503.",
        empty_is_value: false,
        deny_on_invalid: true,
        apply: |v, c| source_range(v, c, false),
    },
    key!(
        "limit-req-status-code",
        "503",
        limits.req_status,
        parse_error_status,
        "Status of requests past limit-rps/limit-rpm (400-599)."
    ),
    key!(
        "limit-conn-status-code",
        "503",
        limits.conn_status,
        parse_error_status,
        "Status of requests past limit-connections (400-599)."
    ),
    key!(
        "limit-rate",
        "0",
        limits.rate,
        parse_kb,
        "Default of the limit-rate annotation: response bandwidth per request, in KB/s (0 = none)."
    ),
    key!(
        "limit-rate-after",
        "0",
        limits.rate_after,
        parse_kb,
        "Default of the limit-rate-after annotation, in KB."
    ),
    bool_key!("hsts", "true", hsts.enabled, "Send Strict-Transport-Security on HTTPS responses."),
    key!("hsts-max-age", "31536000", hsts.max_age, parse_count, "HSTS max-age, in seconds."),
    bool_key!(
        "hsts-include-subdomains",
        "true",
        hsts.include_subdomains,
        "Add includeSubDomains to HSTS."
    ),
    bool_key!("hsts-preload", "false", hsts.preload, "Add preload to HSTS."),
    global_auth_key!(
        "global-auth-url",
        "External auth service of every location without auth-url; unusable: every location \
         answers 503."
    ),
    global_auth_key!("global-auth-method", "HTTP method of the global auth request (GET)."),
    global_auth_key!("global-auth-signin", "Where a 401 of the global auth service redirects."),
    global_auth_key!(
        "global-auth-signin-redirect-param",
        "Query parameter of global-auth-signin naming the original URL (rd)."
    ),
    global_auth_key!(
        "global-auth-response-headers",
        "Global auth response headers copied onto the upstream request."
    ),
    global_auth_key!(
        "global-auth-request-redirect",
        "X-Auth-Request-Redirect of the global auth request (default the request URI)."
    ),
    global_auth_key!(
        "global-auth-cache-key",
        "Caches global auth answers under this key (nginx variables)."
    ),
    global_auth_key!(
        "global-auth-cache-duration",
        "How long global auth answers are cached by status (200 202 401 5m)."
    ),
    global_auth_key!(
        "global-auth-always-set-cookie",
        "Set-Cookie of the global auth answer on every response."
    ),
];

/// Parses the ConfigMap's data; see [`crate::parse_configmap`].
pub(crate) fn parse(data: &BTreeMap<String, String>) -> (GlobalConfig, Vec<Diagnostic>) {
    let mut config = GlobalConfig::default();
    let mut diagnostics = Vec::new();
    for spec in CONFIG_KEYS.iter() {
        let Some(raw) = data.get(spec.key) else { continue };
        if raw.is_empty() && !spec.empty_is_value {
            continue;
        }
        let field = format!("data[{:?}]", spec.key);
        let result = value::check_line_breaks(raw).and_then(|()| (spec.apply)(raw, &mut config));
        let message = match result {
            Ok(None) => continue,
            Ok(Some(note)) => note,
            Err(reason) if spec.deny_on_invalid => {
                let message = format!("invalid value {raw:?}: {reason}");
                diagnostics.push(Diagnostic::error(message).with_field(field));
                continue;
            }
            Err(reason) => {
                format!("invalid value {raw:?}: {reason}; keeping the default {:?}", spec.default)
            }
        };
        diagnostics.push(Diagnostic::warning(message).with_field(field));
    }
    crate::external_auth::apply_global(data, &mut config, &mut diagnostics);
    let mut denied = Vec::new();
    for (key, raw) in data.iter().filter(|(k, _)| !CONFIG_KEYS.iter().any(|s| s.key == k.as_str()))
    {
        if restricting::restricts(key, raw).is_some() {
            diagnostics.push(
                Diagnostic::error(format!(
                    "ConfigMap key {key} restricts access and is not supported by Portico yet: \
                     every location answers 503 until it is (fails closed)"
                ))
                .with_field(format!("data[{key:?}]")),
            );
            denied.push(key.as_str());
            continue;
        }
        diagnostics.push(
            Diagnostic::warning(format!("ConfigMap key {key} is not supported by Portico"))
                .with_field(format!("data[{key:?}]")),
        );
    }
    if !denied.is_empty() {
        let reason =
            format!("unsupported access-restricting ConfigMap key(s): {}", denied.join(", "));
        config.location_defaults.denied = Some(reason.into());
    }
    (config, diagnostics)
}

/// A Markdown table of the ConfigMap keys, for generated docs.
pub fn render_markdown() -> String {
    let mut out = String::from("| key | default | description |\n|---|---|---|\n");
    for spec in CONFIG_KEYS.iter() {
        out.push_str(&format!("| `{}` | `{}` | {} |\n", spec.key, spec.default, spec.doc));
    }
    out
}

/// A Markdown table of the access-restricting ConfigMap keys Portico does not implement yet.
pub(crate) fn render_restricting_markdown() -> String {
    let mut out = String::from("| key | unsupported effect | description |\n|---|---|---|\n");
    for spec in restricting::RESTRICTING_KEYS {
        out.push_str(&format!("| `{}` | {} | {} |\n", spec.name, spec.effect.describe(), spec.doc));
    }
    out
}

/// `whitelist-source-range` / `denylist-source-range`: the default lists of every location. An
/// invalid list denies every location (an access list that cannot be read never opens).
fn source_range(value: &str, config: &mut GlobalConfig, allow: bool) -> Applied {
    let defaults = &mut config.location_defaults;
    let mut range = defaults.filters.source_range().cloned().unwrap_or_default();
    match crate::ipaccess::parse_cidrs(value) {
        Ok(nets) if allow => range.allow = nets,
        Ok(nets) => range.deny = nets,
        Err(reason) => {
            defaults.denied.get_or_insert_with(|| "invalid ConfigMap source range".into());
            return Err(format!("{reason}; every location answers 503"));
        }
    }
    crate::ipaccess::set(defaults, range);
    Ok(None)
}

/// `forwarded-for-header`: a valid header name, stored lowercase.
fn parse_header_name(value: &str) -> Result<String, String> {
    http::HeaderName::from_bytes(value.as_bytes())
        .map(|name| name.as_str().to_string())
        .map_err(|_| "not a header name".to_string())
}

/// `proxy-real-ip-cidr`: at least one CIDR or address.
fn parse_trusted(value: &str) -> Result<Vec<portico_model::IpNet>, String> {
    let nets = crate::ipaccess::parse_cidrs(value)?;
    if nets.is_empty() {
        return Err("no CIDR given".to_string());
    }
    Ok(nets)
}

/// `limit-req-status-code` / `limit-conn-status-code`: nginx accepts 400 to 599.
fn parse_error_status(value: &str) -> Result<u16, String> {
    match value::parse_int(value)? {
        code @ 400..=599 => Ok(code as u16),
        _ => Err("must be a status between 400 and 599".to_string()),
    }
}

/// `limit-rate` / `limit-rate-after`: an integer in KB, 0 or less = none.
fn parse_kb(value: &str) -> Result<u64, String> {
    Ok(u64::try_from(value::parse_int(value)?).unwrap_or(0))
}

/// `namespace/name` of a ConfigMap.
fn parse_configmap_ref(value: &str) -> Result<Option<String>, String> {
    match value.split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(Some(value.to_string()))
        }
        _ => Err("expected namespace/name of a ConfigMap".to_string()),
    }
}

/// Comma-separated header names (ingress-nginx's `^[a-zA-Z\d\-_]+$`); invalid ones are
/// skipped and named in the note.
fn parse_header_names(value: &str) -> (Vec<http::HeaderName>, Option<String>) {
    let mut names = Vec::new();
    let mut skipped = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let valid = entry.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match http::HeaderName::try_from(entry) {
            Ok(name) if valid => names.push(name),
            _ => skipped.push(entry),
        }
    }
    let note = (!skipped.is_empty()).then(|| {
        format!("invalid value {value:?}: not header names, ignored: {}", skipped.join(", "))
    });
    (names, note)
}

/// `custom-http-errors`: comma-separated integers, those within 300-599 kept (ingress-nginx
/// `filterErrors`); the others are named in the note.
fn parse_error_codes(value: &str) -> (Vec<u16>, Option<String>) {
    let mut codes = Vec::new();
    let mut skipped = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.parse::<u16>() {
            Ok(code) if (300..600).contains(&code) => codes.push(code),
            _ => skipped.push(entry),
        }
    }
    let note = (!skipped.is_empty()).then(|| {
        format!("invalid value {value:?}: ignored (not a status 300-599): {}", skipped.join(", "))
    });
    (codes, note)
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
