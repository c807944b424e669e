//! Every way a request can fail, and the one place mapping a failure to a response: handlers
//! return an error and never build an error response themselves.

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};

use crate::body::{BodyError, ResponseBody};

macro_rules! page {
    ($title:literal) => {
        concat!(
            "<html>\r\n<head><title>",
            $title,
            "</title></head>\r\n<body>\r\n<center><h1>",
            $title,
            "</h1></center>\r\n<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
        )
    };
}

/// nginx's 400 page for a client-certificate failure: the reason in the title and body.
macro_rules! cert_page {
    ($reason:literal) => {
        concat!(
            "<html>\r\n<head><title>400 ",
            $reason,
            "</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>",
            $reason,
            "</center>\r\n<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
        )
    };
}

/// Why Portico answered instead of the upstream. Classified by who is at fault: the client
/// (400, 401, 413), the configuration (404, 503), or the upstream (502, 504).
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// No routing table is live yet.
    #[error("no routing table loaded yet")]
    NotReady,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// No location matches, or the location serves Portico's own 404.
    #[error("no route")]
    NoRoute,
    #[error("request body larger than {limit} bytes")]
    BodyTooLarge { limit: u64 },
    /// The client stopped sending its body for `client-body-timeout`: 408.
    #[error("client sent no body data within client-body-timeout")]
    ClientTimeout,
    /// The client's body is malformed (bad chunk framing) or was cut off: 400.
    #[error("malformed or truncated request body: {0}")]
    BadBody(hyper::Error),
    /// The location is denied by configuration (e.g. its auth Secret is missing).
    #[error("location denied: {0}")]
    Denied(std::sync::Arc<str>),
    #[error("authentication required")]
    Unauthorized { realm: HeaderValue },
    /// Refused by an access filter (address lists): 403.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Past `limit-rps`/`limit-rpm`/`limit-connections`: their ConfigMap status (503).
    #[error("limited: {0}")]
    Limited(u16),
    /// `auth-tls-verify-client: on` and the client sent no certificate (nginx's 496): 400.
    #[error("no required SSL certificate was sent")]
    NoClientCert,
    /// The client certificate did not verify (nginx's 495): 400.
    #[error("the SSL certificate error")]
    BadClientCert,
    /// The request's host verifies client certificates and the connection was established
    /// for another host (SNI): 421, as nginx.
    #[error(
        "host differs from the TLS server name, which verified client certificates differently"
    )]
    Misdirected,
    /// Portico cannot answer this request correctly (e.g. an unusable password hash): 500.
    #[error("internal error: {0}")]
    Internal(&'static str),
    #[error("backend {0} has no endpoints")]
    NoEndpoints(String),
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("connect to {addr} failed: {source}")]
    Connect { addr: SocketAddr, source: std::io::Error },
    #[error("connect to {addr} timed out")]
    ConnectTimeout { addr: SocketAddr },
    #[error("upstream {addr} did not answer in time")]
    Timeout { addr: SocketAddr },
    #[error("upstream {addr} failed: {source}")]
    Upstream { addr: SocketAddr, source: hyper::Error },
    /// The TLS handshake with the upstream failed (certificate not verified, no common
    /// version or cipher, client certificate refused): 502, as nginx.
    #[error("TLS handshake with upstream {addr} failed: {source}")]
    UpstreamTls { addr: SocketAddr, source: std::io::Error },
    /// The upstream's response head is larger than `proxy-buffer-size` (nginx's words).
    #[error("upstream sent too big header while reading response header from upstream {addr} ({size} bytes, proxy-buffer-size {limit})")]
    UpstreamHeadTooLarge { addr: SocketAddr, size: usize, limit: u64 },
    /// The upstream's response framing is unusable.
    #[error("upstream {addr} sent an invalid response: {reason}")]
    UpstreamInvalid { addr: SocketAddr, reason: &'static str },
}

// === impl ProxyError ===

impl ProxyError {
    /// Classifies a failed upstream exchange by walking its cause chain: our own body errors
    /// (too large, too slow, malformed, client gone) are the client's fault; anything else is
    /// the upstream's.
    pub(crate) fn from_upstream(addr: SocketAddr, error: hyper::Error) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(err) = cause {
            match err.downcast_ref::<BodyError>() {
                Some(BodyError::TooLarge { limit }) => return Self::BodyTooLarge { limit: *limit },
                Some(BodyError::ClientTimeout) => return Self::ClientTimeout,
                Some(BodyError::Client(_)) => return Self::BadBody(error),
                _ => {}
            }
            cause = err.source();
        }
        Self::Upstream { addr, source: error }
    }

    /// Classifies a failure while buffering the client's body (before any upstream): too
    /// large 413, too slow 408, malformed 400; a failing temporary file is Portico's own 500.
    pub(crate) fn from_body(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge { limit } => Self::BodyTooLarge { limit },
            BodyError::ClientTimeout => Self::ClientTimeout,
            BodyError::Client(error) => Self::BadBody(error),
            BodyError::Spool(error) => {
                tracing::error!(%error, "cannot buffer a request body");
                Self::Internal("the request body could not be buffered")
            }
            BodyError::ReadTimeout | BodyError::Upstream(_) | BodyError::Compress(_) => {
                Self::Internal("unexpected body error")
            }
        }
    }

    /// The client is at fault (4xx): logged as a client error, never as an upstream failure.
    pub fn is_client_error(&self) -> bool {
        self.status().is_client_error()
    }

    /// The status this failure answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::BadBody(_) | Self::NoClientCert | Self::BadClientCert => {
                StatusCode::BAD_REQUEST
            }
            Self::Misdirected => StatusCode::MISDIRECTED_REQUEST,
            Self::ClientTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Resolve { .. }
            | Self::Connect { .. }
            | Self::ConnectTimeout { .. }
            | Self::Upstream { .. }
            | Self::UpstreamTls { .. }
            | Self::UpstreamHeadTooLarge { .. }
            | Self::UpstreamInvalid { .. } => StatusCode::BAD_GATEWAY,
            Self::NotReady | Self::Denied(_) | Self::NoEndpoints(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Limited(status) => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            }
        }
    }

    /// The response sent to the client: nginx's stock page for the status.
    pub fn into_response(self) -> Response<ResponseBody> {
        let status = self.status();
        let mut response = match self {
            // nginx's pages for its internal 496 and 495.
            Self::NoClientCert => page(status, cert_page!("No required SSL certificate was sent")),
            Self::BadClientCert => page(status, cert_page!("The SSL certificate error")),
            _ => error_page(status),
        };
        if let Self::Unauthorized { realm } = self {
            response.headers_mut().insert(WWW_AUTHENTICATE, realm);
        }
        response
    }
}

/// Whether a request is a gRPC call (`content-type: application/grpc[+proto|;...]`): its
/// failures are answered as gRPC statuses, not HTML pages.
pub(crate) fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.len() >= 16
            && v[..16].eq_ignore_ascii_case(b"application/grpc")
            && matches!(v.get(16), None | Some(b'+' | b';'))
    })
}

/// A gRPC "trailers-only" answer for a failure of status `status`: HTTP 200 with
/// `grpc-status` and `grpc-message`. The code is what a gRPC client derives from the HTTP
/// status nginx answers (gRPC's HTTP-to-status mapping: 502/503/504/429 → UNAVAILABLE, ...),
/// so clients see the same code as behind ingress-nginx; the message is the HTTP status (the
/// cause, e.g. an upstream address, stays in Portico's log).
pub(crate) fn grpc_error(status: StatusCode) -> Response<ResponseBody> {
    let code: &'static str = match status.as_u16() {
        400 => "13",             // INTERNAL
        401 => "16",             // UNAUTHENTICATED
        403 => "7",              // PERMISSION_DENIED
        404 => "12",             // UNIMPLEMENTED
        429 | 502..=504 => "14", // UNAVAILABLE
        _ => "2",                // UNKNOWN
    };
    let mut response = Response::new(ResponseBody::empty());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-status", HeaderValue::from_static(code));
    // The reason phrases are printable ASCII without `%`: no grpc-message escaping needed.
    let message = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    if let Ok(value) = HeaderValue::from_str(message.trim_end()) {
        headers.insert("grpc-message", value);
    }
    response
}

/// An nginx-like HTML page for `status` (`<title>404 Not Found</title>` ... `portico`).
pub(crate) fn error_page(status: StatusCode) -> Response<ResponseBody> {
    let body: &'static str = match status.as_u16() {
        301 => page!("301 Moved Permanently"),
        302 => page!("302 Found"),
        303 => page!("303 See Other"),
        307 => page!("307 Temporary Redirect"),
        308 => page!("308 Permanent Redirect"),
        400 => page!("400 Bad Request"),
        401 => page!("401 Authorization Required"),
        403 => page!("403 Forbidden"),
        404 => page!("404 Not Found"),
        408 => page!("408 Request Time-out"),
        413 => page!("413 Request Entity Too Large"),
        421 => page!("421 Misdirected Request"),
        429 => page!("429 Too Many Requests"),
        502 => page!("502 Bad Gateway"),
        503 => page!("503 Service Temporarily Unavailable"),
        504 => page!("504 Gateway Time-out"),
        _ => page!("500 Internal Server Error"),
    };
    page(status, body)
}

/// A `text/html` response with a static body.
fn page(status: StatusCode, body: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::fixed(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// A redirect to `location` with nginx's page for `status`.
pub(crate) fn redirect(status: StatusCode, location: HeaderValue) -> Response<ResponseBody> {
    let mut response = error_page(status);
    response.headers_mut().insert(http::header::LOCATION, location);
    response
}
