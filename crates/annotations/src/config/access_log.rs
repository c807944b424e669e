//! ConfigMap keys of the access log. Without any of them, Portico writes its structured
//! access event (`portico::access`, stderr, text or JSON by `--log-format`); `access-log-path`,
//! `log-format-upstream` or `log-format-escape-json: true` switch to nginx-format lines as
//! ingress-nginx writes them (`upstreaminfo` unless another format is given).

use portico_model::{GlobalConfig, LogFormat, NginxLog};

use super::{Applied, ConfigKeySpec};
use crate::value::parse_bool;

/// `disable-access-log`, `access-log-path`, `log-format-upstream`, `log-format-escape-json`.
pub(super) static KEYS: &[ConfigKeySpec] = &[
    key!(
        "disable-access-log",
        "false",
        access_log.disabled,
        parse_bool,
        "No access-log line at all."
    ),
    ConfigKeySpec {
        key: "disable-http-access-log",
        default: "false",
        doc: "No access-log line for HTTP requests (the only ones Portico logs).",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            c.access_log.disabled |= parse_bool(v)?;
            Ok(None)
        },
    },
    ConfigKeySpec {
        key: "access-log-path",
        default: "",
        doc: "Write nginx-format access-log lines (log-format-upstream) to this file (appended), \
              /dev/stdout or /dev/stderr instead of Portico's structured access event. \
              ingress-nginx's /var/log/nginx/access.log is its container's stdout: that path \
              means /dev/stdout here.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: parse_path,
    },
    ConfigKeySpec {
        key: "http-access-log-path",
        default: "",
        doc: "access-log-path of HTTP requests; wins over access-log-path (Portico has no stream \
              log).",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: parse_path,
    },
    ConfigKeySpec {
        key: "log-format-upstream",
        default: "",
        doc: "nginx log_format of access-log lines, with nginx variables ($remote_addr, \
              $time_local, $request, $status, $http_<header>, $upstream_addr, ...); setting it \
              selects nginx-format lines (to access-log-path, default /dev/stdout). Unset: \
              ingress-nginx's upstreaminfo.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: parse_format,
    },
    ConfigKeySpec {
        key: "log-format-escape-json",
        default: "false",
        doc: "Escape variables for JSON (absent ones empty, not -) in nginx-format lines; true \
              selects nginx-format lines.",
        empty_is_value: false,
        deny_on_invalid: false,
        apply: |v, c| {
            if parse_bool(v)? {
                nginx(c).escape_json = true;
            }
            Ok(None)
        },
    },
];

/// The nginx-format settings, switched on with ingress-nginx's defaults on first use.
fn nginx(config: &mut GlobalConfig) -> &mut NginxLog {
    config.access_log.nginx.get_or_insert_with(NginxLog::upstreaminfo)
}

/// `access-log-path`: an absolute path (`/var/log/nginx/access.log` = stdout, as in
/// ingress-nginx's image).
fn parse_path(value: &str, config: &mut GlobalConfig) -> Applied {
    if !value.starts_with('/') {
        return Err("must be an absolute path (or /dev/stdout, /dev/stderr)".to_string());
    }
    let path = match value {
        "/var/log/nginx/access.log" => "/dev/stdout",
        other => other,
    };
    nginx(config).path = path.to_string();
    Ok(None)
}

/// `log-format-upstream`: compiled now, so an unknown variable keeps the default.
fn parse_format(value: &str, config: &mut GlobalConfig) -> Applied {
    let format = LogFormat::parse(value)?;
    nginx(config).format = format;
    Ok(None)
}
