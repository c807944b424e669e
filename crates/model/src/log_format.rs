//! The access log as ingress-nginx configures it (`disable-access-log`, `access-log-path`,
//! `log-format-upstream`, `log-format-escape-json`): nginx's `log_format` compiled once into
//! literal text and the variables Portico knows, rendered per request by the proxy.

/// ingress-nginx's `upstreaminfo` format, the default of `log-format-upstream`.
pub const UPSTREAMINFO: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status \
     $body_bytes_sent \"$http_referer\" \"$http_user_agent\" $request_length $request_time \
     [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr \
     $upstream_response_length $upstream_response_time $upstream_status $req_id";

/// Where access-log lines go and how they look.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessLogSettings {
    /// `disable-access-log`: no access-log line at all.
    pub disabled: bool,
    /// nginx-format lines (`access-log-path` or `log-format-upstream` set): written to
    /// `path`; `None`: Portico's structured `tracing` event instead.
    pub nginx: Option<NginxLog>,
}

/// nginx-format access logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NginxLog {
    /// `access-log-path`: a file (appended), `/dev/stdout` (default) or `/dev/stderr`.
    pub path: String,
    pub format: LogFormat,
    /// `log-format-escape-json`: JSON string escaping, absent values empty instead of `-`.
    pub escape_json: bool,
}

/// A compiled `log_format`: text and variables in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    pub parts: Vec<LogPart>,
}

/// One piece of a [`LogFormat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogPart {
    Text(String),
    Var(LogVar),
}

/// The nginx variables Portico renders (a request header is `$http_<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogVar {
    RemoteAddr,
    RemoteUser,
    TimeLocal,
    TimeIso8601,
    Msec,
    Request,
    RequestMethod,
    RequestUri,
    Uri,
    Args,
    ServerProtocol,
    Scheme,
    Host,
    Status,
    BodyBytesSent,
    BytesSent,
    RequestLength,
    RequestTime,
    ProxyUpstreamName,
    ProxyAlternativeUpstreamName,
    UpstreamAddr,
    UpstreamStatus,
    UpstreamResponseTime,
    UpstreamResponseLength,
    RequestId,
    Namespace,
    IngressName,
    ServiceName,
    /// `$http_user_agent` → `user-agent`.
    Header(String),
}

// === impl NginxLog ===

impl NginxLog {
    /// `/dev/stdout` with ingress-nginx's `upstreaminfo`.
    pub fn upstreaminfo() -> Self {
        let format = LogFormat::parse(UPSTREAMINFO).unwrap_or(LogFormat { parts: Vec::new() });
        Self { path: "/dev/stdout".to_string(), format, escape_json: false }
    }
}

// === impl LogFormat ===

impl LogFormat {
    /// Compiles an nginx format string; `$name` and `${name}` are variables, anything else is
    /// text. An unknown variable is an error (nginx refuses the configuration too).
    pub fn parse(format: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(at) = rest.find('$') {
            text.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, next) = match after.strip_prefix('{') {
                Some(braced) => {
                    let end = braced.find('}').ok_or("unclosed ${ in the format")?;
                    (&braced[..end], &braced[end + 1..])
                }
                None => {
                    let end = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            if name.is_empty() {
                return Err("a $ names no variable".to_string());
            }
            let var = LogVar::named(name).ok_or_else(|| format!("unknown variable ${name}"))?;
            if !text.is_empty() {
                parts.push(LogPart::Text(std::mem::take(&mut text)));
            }
            parts.push(LogPart::Var(var));
            rest = next;
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(LogPart::Text(text));
        }
        Ok(Self { parts })
    }

    /// The request headers the format reads (`$http_*`), lowercase.
    pub fn headers(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            LogPart::Var(LogVar::Header(name)) => Some(name.as_str()),
            _ => None,
        })
    }
}

// === impl LogVar ===

impl LogVar {
    /// The variable called `name` (without `$`).
    pub fn named(name: &str) -> Option<Self> {
        if let Some(header) = name.strip_prefix("http_") {
            return Some(Self::Header(header.replace('_', "-").to_ascii_lowercase()));
        }
        Some(match name {
            "remote_addr" => Self::RemoteAddr,
            "remote_user" => Self::RemoteUser,
            "time_local" => Self::TimeLocal,
            "time_iso8601" => Self::TimeIso8601,
            "msec" => Self::Msec,
            "request" => Self::Request,
            "request_method" => Self::RequestMethod,
            "request_uri" => Self::RequestUri,
            "uri" | "document_uri" => Self::Uri,
            "args" | "query_string" => Self::Args,
            "server_protocol" => Self::ServerProtocol,
            "scheme" => Self::Scheme,
            "host" | "server_name" => Self::Host,
            "status" => Self::Status,
            "body_bytes_sent" => Self::BodyBytesSent,
            "bytes_sent" => Self::BytesSent,
            "request_length" => Self::RequestLength,
            "request_time" => Self::RequestTime,
            "proxy_upstream_name" => Self::ProxyUpstreamName,
            "proxy_alternative_upstream_name" => Self::ProxyAlternativeUpstreamName,
            "upstream_addr" => Self::UpstreamAddr,
            "upstream_status" => Self::UpstreamStatus,
            "upstream_response_time" => Self::UpstreamResponseTime,
            "upstream_response_length" => Self::UpstreamResponseLength,
            "req_id" | "request_id" => Self::RequestId,
            "namespace" => Self::Namespace,
            "ingress_name" => Self::IngressName,
            "service_name" => Self::ServiceName,
            _ => return None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn upstreaminfo_compiles() {
        let format = LogFormat::parse(UPSTREAMINFO).unwrap();
        let vars = format.parts.iter().filter(|p| matches!(p, LogPart::Var(_))).count();
        assert_eq!(vars, 17);
        let headers: Vec<_> = format.headers().collect();
        assert_eq!(headers, ["referer", "user-agent"]);
        assert_eq!(format.parts[0], LogPart::Var(LogVar::RemoteAddr));
        assert_eq!(format.parts[1], LogPart::Text(" - ".to_string()));
    }

    #[test]
    fn braces_text_and_errors() {
        let format = LogFormat::parse("{\"s\":${status}x, $http_X_Real_IP}").unwrap();
        assert_eq!(
            format.parts,
            [
                LogPart::Text("{\"s\":".into()),
                LogPart::Var(LogVar::Status),
                LogPart::Text("x, ".into()),
                LogPart::Var(LogVar::Header("x-real-ip".into())),
                LogPart::Text("}".into()),
            ]
        );
        assert!(LogFormat::parse("$nope").unwrap_err().contains("$nope"));
        assert!(LogFormat::parse("cost $").is_err());
        assert!(LogFormat::parse("${status").is_err());
    }
}
