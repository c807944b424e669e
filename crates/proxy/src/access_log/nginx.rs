//! nginx-format access-log lines: `log-format-upstream` (ingress-nginx's `upstreaminfo` by
//! default) rendered with nginx's escaping (`\xXX` for quotes, backslashes and non-printable
//! bytes; JSON escaping with `log-format-escape-json`) and written whole, one `write` per
//! line, to `access-log-path`.
//!
//! Approximations, documented: `$request_length` counts the head as Portico received it
//! (request line, fields, line breaks) plus the declared Content-Length; `$bytes_sent` adds
//! an estimate of the response head; `$upstream_response_time` is the time to the response
//! head; `$upstream_response_length` the body bytes relayed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http::header::{AUTHORIZATION, CONTENT_LENGTH};
use http::{HeaderMap, HeaderName, HeaderValue, Version};
use portico_model::{LogPart, LogVar, NginxLog};

use super::AccessLog;
use crate::snapshot::Snapshot;

/// An open access-log destination with its compiled format.
#[derive(Debug)]
pub(crate) struct NginxSink {
    log: NginxLog,
    /// The request headers the format reads, in [`Captured::headers`] order.
    wanted: Vec<HeaderName>,
    out: Out,
}

/// The sink's writer ([`super::writer`]) and the guard that flushes it when the sink goes.
struct Out {
    writer: tracing_appender::non_blocking::NonBlocking,
    _guard: tracing_appender::non_blocking::WorkerGuard,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Out")
    }
}

/// What only the nginx format needs of a request, captured when it arrives.
#[derive(Debug)]
pub(crate) struct Captured {
    version: Version,
    peer: SocketAddr,
    tls: bool,
    headers: Vec<Option<HeaderValue>>,
    authorization: Option<HeaderValue>,
    request_length: u64,
    /// For the backend's names (`$proxy_upstream_name`, `$service_name`).
    snapshot: Option<Arc<Snapshot>>,
}

/// One rendered value.
enum Value<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
    Owned(String),
    Absent,
}

// === impl NginxSink ===

impl NginxSink {
    /// Opens `log.path` (appending to a file, created if missing).
    pub(crate) fn open(log: &NginxLog) -> std::io::Result<Self> {
        const NAME: &str = "portico-access-log";
        let (writer, guard) = match log.path.as_str() {
            "/dev/stdout" => super::writer::batched(std::io::stdout(), NAME),
            "/dev/stderr" => super::writer::batched(std::io::stderr(), NAME),
            path => super::writer::batched(
                std::fs::OpenOptions::new().create(true).append(true).open(path)?,
                NAME,
            ),
        };
        let out = Out { writer, _guard: guard };
        let wanted = log.format.headers().filter_map(|h| HeaderName::try_from(h).ok()).collect();
        Ok(Self { log: log.clone(), wanted, out })
    }

    pub(crate) fn capture(
        &self,
        version: Version,
        headers: &HeaderMap,
        peer: SocketAddr,
        tls: bool,
        snapshot: Option<&Arc<Snapshot>>,
    ) -> Captured {
        let uses_user = self.log.format.parts.contains(&LogPart::Var(LogVar::RemoteUser));
        let head: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
        let body = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
        Captured {
            version,
            peer,
            tls,
            headers: self.wanted.iter().map(|name| headers.get(name).cloned()).collect(),
            authorization: uses_user.then(|| headers.get(AUTHORIZATION).cloned()).flatten(),
            request_length: head as u64 + body.unwrap_or(0),
            snapshot: snapshot.cloned(),
        }
    }

    /// Renders and queues the line of `log`; a failed write is dropped (as nginx does).
    pub(super) fn write(&self, log: &AccessLog, captured: &Captured, bytes: u64) {
        let mut line = String::with_capacity(256);
        render(&self.log, log, captured, bytes, &mut line);
        line.push('\n');
        // Queued for the writer thread: never blocks; a full queue drops and counts the line.
        let _ = self.out.writer.clone().write_all(line.as_bytes());
    }
}

/// The line of `log` in `settings`' format.
fn render(settings: &NginxLog, log: &AccessLog, captured: &Captured, bytes: u64, out: &mut String) {
    let mut headers = captured.headers.iter();
    for part in &settings.format.parts {
        match part {
            LogPart::Text(text) => out.push_str(text),
            LogPart::Var(LogVar::Header(_)) => {
                let value = headers.next().and_then(Option::as_ref);
                let value = value.map_or(Value::Absent, |v| Value::Bytes(v.as_bytes()));
                push(out, value, settings.escape_json);
            }
            LogPart::Var(var) => {
                push(out, value(var, log, captured, bytes), settings.escape_json);
            }
        }
    }
}

/// The value of `var` for this request.
fn value<'a>(var: &LogVar, log: &'a AccessLog, cap: &'a Captured, bytes: u64) -> Value<'a> {
    let target = log.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let backend = log.backend.zip(cap.snapshot.as_ref()).and_then(|(id, s)| s.table.backend(id));
    let (namespace, name) = log.ingress.as_deref().and_then(|i| i.split_once('/')).unzip();
    match var {
        LogVar::RemoteAddr => Value::Owned(log.client.unwrap_or(cap.peer.ip()).to_string()),
        LogVar::RemoteUser => {
            cap.authorization.as_ref().and_then(basic_user).map_or(Value::Absent, Value::Owned)
        }
        LogVar::TimeLocal => Value::Owned(time_local(SystemTime::now())),
        LogVar::TimeIso8601 => Value::Owned(time_iso8601(SystemTime::now())),
        LogVar::Msec => {
            Value::Owned(seconds(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()))
        }
        LogVar::Request => {
            Value::Owned(format!("{} {target} {}", log.method, protocol(cap.version)))
        }
        LogVar::RequestMethod => Value::Str(log.method.as_str()),
        LogVar::RequestUri => Value::Str(target),
        LogVar::Uri => Value::Str(log.uri.path()),
        LogVar::Args => log.uri.query().map_or(Value::Absent, Value::Str),
        LogVar::ServerProtocol => Value::Str(protocol(cap.version)),
        LogVar::Scheme => Value::Str(if cap.tls { "https" } else { "http" }),
        LogVar::Host => log.host.as_ref().map_or(Value::Absent, |h| Value::Bytes(h.as_bytes())),
        LogVar::Status => Value::Owned(log.status.to_string()),
        LogVar::BodyBytesSent => Value::Owned(bytes.to_string()),
        LogVar::BytesSent => Value::Owned((bytes + 128).to_string()),
        LogVar::RequestLength => Value::Owned(cap.request_length.to_string()),
        LogVar::RequestTime => Value::Owned(seconds(log.started.elapsed())),
        LogVar::ProxyUpstreamName => backend.map_or(Value::Absent, |b| Value::Str(&b.name)),
        LogVar::ProxyAlternativeUpstreamName => Value::Str(""),
        LogVar::UpstreamAddr => log.upstream.map_or(Value::Absent, |a| Value::Owned(a.to_string())),
        LogVar::UpstreamStatus => upstream(log, |(s, _)| s.to_string()),
        LogVar::UpstreamResponseTime => upstream(log, |(_, t)| seconds(t)),
        LogVar::UpstreamResponseLength => upstream(log, |_| bytes.to_string()),
        LogVar::RequestId => {
            log.request_id.as_ref().map_or(Value::Absent, |v| Value::Bytes(v.as_bytes()))
        }
        LogVar::Namespace => namespace.map_or(Value::Absent, Value::Str),
        LogVar::IngressName => name.map_or(Value::Absent, Value::Str),
        LogVar::ServiceName => backend.map_or(Value::Absent, |b| Value::Str(&b.service)),
        LogVar::Header(_) => Value::Absent,
    }
}

fn upstream<'a>(log: &AccessLog, render: impl FnOnce((u16, Duration)) -> String) -> Value<'a> {
    log.upstream_status.map_or(Value::Absent, |s| Value::Owned(render(s)))
}

/// `$remote_user`: the user of `Authorization: Basic` credentials.
fn basic_user(value: &HeaderValue) -> Option<String> {
    let encoded = value.to_str().ok()?.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split_once(':').map_or(text.as_str(), |(user, _)| user).to_string())
}

fn protocol(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// nginx's seconds with millisecond resolution: `0.003`.
fn seconds(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

/// Appends `value` escaped as nginx does: `-` for an absent value (empty with JSON
/// escaping), an empty one stays empty; `"`, `\` and bytes outside printable ASCII as
/// `\xXX` (JSON: `\"`, `\\`, `\n`, `\u00XX`).
fn push(out: &mut String, value: Value<'_>, json: bool) {
    let bytes = match &value {
        Value::Str(s) => s.as_bytes(),
        Value::Bytes(b) => b,
        Value::Owned(s) => s.as_bytes(),
        Value::Absent if json => return,
        Value::Absent => return out.push('-'),
    };
    for &b in bytes {
        match (b, json) {
            (b'"', true) => out.push_str("\\\""),
            (b'\\', true) => out.push_str("\\\\"),
            (b'\n', true) => out.push_str("\\n"),
            (b'\r', true) => out.push_str("\\r"),
            (b'\t', true) => out.push_str("\\t"),
            (0..=0x1f, true) => {
                let _ = write!(out, "\\u{b:04x}");
            }
            (b'"' | b'\\' | 0..=0x1f | 0x7f..=0xff, false) => {
                let _ = write!(out, "\\x{b:02X}");
            }
            _ => out.push(char::from(b)),
        }
    }
}

/// `$time_local` (UTC): `01/Dec/2026:14:55:00 +0000`.
fn time_local(at: SystemTime) -> String {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m, d, hh, mm, ss) = civil(at);
    let month = MONTHS[usize::from(m - 1) % 12];
    format!("{d:02}/{month}/{y}:{hh:02}:{mm:02}:{ss:02} +0000")
}

/// `$time_iso8601` (UTC): `2026-12-01T14:55:00+00:00`.
fn time_iso8601(at: SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = civil(at);
    format!("{y}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+00:00")
}

/// UTC calendar date and time of `at` (Howard Hinnant's `civil_from_days`).
fn civil(at: SystemTime) -> (i64, u8, u8, u64, u64, u64) {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
