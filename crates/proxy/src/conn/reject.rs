//! Answering a request the guard refused: nginx's page for the status, `Connection: close`,
//! written straight to the socket (hyper never saw a complete head), then end of stream.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::AsyncWrite;

use super::head::Reject;
use crate::access_log::{AccessLog, AccessOutput};

/// A refusal being written: the bytes left, then flush and shutdown.
#[derive(Debug)]
pub(crate) struct Rejecting {
    bytes: Vec<u8>,
    written: usize,
    /// Whether to write at all: not while another response is on the wire (pipelining).
    send: bool,
    flushed: bool,
}

// === impl Rejecting ===

impl Rejecting {
    pub(crate) fn new(why: Reject, send: bool) -> Self {
        Self { bytes: render(why), written: 0, send, flushed: false }
    }

    /// Writes what is left; `Ready(Ok)` with nothing read is the end of the stream for hyper.
    pub(crate) fn poll<I: AsyncWrite>(
        &mut self,
        mut io: Pin<&mut I>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.send || self.flushed {
            return Poll::Ready(Ok(()));
        }
        while self.written < self.bytes.len() {
            match ready!(io.as_mut().poll_write(cx, &self.bytes[self.written..])) {
                Ok(0) | Err(_) => return Poll::Ready(Ok(())),
                Ok(n) => self.written += n,
            }
        }
        let _ = ready!(io.as_mut().poll_flush(cx));
        let _ = ready!(io.as_mut().poll_shutdown(cx));
        self.flushed = true;
        Poll::Ready(Ok(()))
    }
}

/// The access-log line of a refused request, as for every answered request (nginx logs
/// them too): method and target from the request line as far as it was read, no host.
/// With an nginx-format or disabled access log (`output`), that log decides.
pub(crate) fn access_log(
    output: Option<&Arc<AccessOutput>>,
    peer: SocketAddr,
    request_line: &[u8],
    status: u16,
    started: Option<tokio::time::Instant>,
) {
    let line = String::from_utf8_lossy(request_line);
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let method = words.next().unwrap_or("-");
    let path = words.next().unwrap_or("-");
    if let Some(output) = output {
        let refused = AccessLog::refused(output.clone(), (method, path), peer, status, started);
        if let Some(log) = refused {
            return log.emit(render_len(status), true);
        }
    }
    let duration_ms = started.map_or(0.0, |at| at.elapsed().as_secs_f64() * 1000.0);
    tracing::info!(
        target: crate::ACCESS_LOG_TARGET,
        method,
        host = "-",
        path,
        status,
        upstream = "-",
        duration_ms,
        bytes = render_len(status),
        complete = true,
        ingress = "",
        request_id = "-",
    );
}

/// The body length of the page answered with `status`.
fn render_len(status: u16) -> u64 {
    let why = match status {
        414 => Reject::UriTooLong,
        501 => Reject::NotImplemented,
        _ => Reject::BadRequest(""),
    };
    let page = render(why);
    let head_end = page.windows(4).position(|w| w == b"\r\n\r\n").map_or(0, |i| i + 4);
    (page.len() - head_end) as u64
}

/// The status code answered for `why`.
pub(crate) fn status(why: Reject) -> u16 {
    match why {
        Reject::UriTooLong => 414,
        Reject::HeaderTooLarge | Reject::BadRequest(_) => 400,
        Reject::NotImplemented => 501,
    }
}

/// The whole response for `why`, as nginx words it.
fn render(why: Reject) -> Vec<u8> {
    let (status, title, detail) = match why {
        Reject::UriTooLong => ("414 Request-URI Too Large", "414 Request-URI Too Large", ""),
        Reject::HeaderTooLarge => (
            "400 Bad Request",
            "400 Request Header Or Cookie Too Large",
            "<center>Request Header Or Cookie Too Large</center>\r\n",
        ),
        Reject::BadRequest(_) => ("400 Bad Request", "400 Bad Request", ""),
        Reject::NotImplemented => ("501 Not Implemented", "501 Not Implemented", ""),
    };
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{status}</h1>\
         </center>\r\n{detail}<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nServer: portico\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    [head.into_bytes(), body.into_bytes()].concat()
}
