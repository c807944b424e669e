//! Body wrappers: the client's request body on its way upstream (streamed under its size limit
//! and timeout, or buffered first: [`buffered`]) and every response body Portico sends
//! (upstream stream or fixed page, read timeout, access log).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use pin_project_lite::pin_project;
use portico_balance::Pick;
use portico_model::RateLimit;
use tokio::time::{Instant, Sleep};

use crate::access_log::AccessLog;
use crate::conn::InFlight;
use crate::filters::limits::ConnPermit;
use crate::upstream::Reuse;

pub(crate) mod buffered;
pub(crate) mod compress;

pub(crate) use buffered::{Buffered, Replay};
pub(crate) use compress::Encoder;

/// `limit-rate`: nginx's `limit_rate` pace of one response. As nginx, by `t` seconds after the
/// response started at most `after + rate × (t + 1)` bytes are sent; a larger frame is split.
#[derive(Debug)]
struct Pace {
    rate: RateLimit,
    start: Instant,
    /// The rest of a frame that went out in part.
    stash: Option<Bytes>,
    wait: Pin<Box<Sleep>>,
}

/// Failures while streaming a body. Travels through hyper as the cause of its error, where
/// [`crate::ProxyError::from_upstream`] finds it again.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("client sent no request body data within client-body-timeout")]
    ClientTimeout,
    #[error("upstream sent no response data within the read timeout")]
    ReadTimeout,
    #[error("reading the client's body: {0}")]
    Client(#[source] hyper::Error),
    #[error("reading the upstream's body: {0}")]
    Upstream(#[source] hyper::Error),
    /// Compressing the response failed.
    #[error("compressing the response: {0}")]
    Compress(#[source] std::io::Error),
    /// The temporary file of a buffered request body failed (disk full, ...).
    #[error("buffering the request body in a temporary file: {0}")]
    Spool(#[source] std::io::Error),
}

pin_project! {
    /// The client's body on its way upstream: streamed as it arrives, or a buffered body
    /// (`proxy-request-buffering`) sent from memory or its temporary file.
    #[project = RequestBodyProj]
    pub enum RequestBody {
        Stream { #[pin] body: StreamBody },
        Buffered { body: Replay },
    }
}

pin_project! {
    /// The client's body as it arrives. Fails once more than `limit` bytes went through
    /// (a chunked body crossing `proxy-body-size`) or when no data came for `timeout`
    /// (`client-body-timeout`).
    pub struct StreamBody {
        #[pin]
        inner: Incoming,
        limit: u64,
        seen: u64,
        #[pin]
        idle: IdleTimer,
    }
}

pin_project! {
    /// nginx's timeout "between two successive reads" of a body. It costs nothing while data
    /// is there: it is armed (one clock read) only when a read would wait, and re-armed only
    /// on the first wait after some data came. Invariant: while armed, it fires at most
    /// `timeout` after the start of the current wait.
    pub(crate) struct IdleTimer {
        timeout: Option<Duration>,
        // Data came since the timer was last armed.
        progressed: bool,
        #[pin]
        sleep: Option<Sleep>,
    }
}

pin_project! {
    /// Every response body Portico sends. On drop it writes the access-log line (with the bytes
    /// sent) and releases the balancer pick, so both cover the whole exchange.
    pub struct ResponseBody {
        fixed: Option<Bytes>,
        #[pin]
        upstream: Option<Incoming>,
        #[pin]
        idle: IdleTimer,
        bytes: u64,
        log: Option<AccessLog>,
        pick: Option<Pick>,
        inflight: Option<InFlight>,
        held: Option<ConnPermit>,
        pace: Option<Box<Pace>>,
        // `use-gzip` / `enable-brotli`: compresses the upstream's data frames.
        encoder: Option<Box<Encoder>>,
        // The upstream connection, pooled again once its body has been read to the end.
        reuse: Option<Reuse>,
        // `enable-opentelemetry`: the request's server span, ended when the body is dropped.
        span: Option<Box<portico_trace::ServerSpan>>,
    }

    impl PinnedDrop for ResponseBody {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.upstream.as_ref().as_pin_ref().is_some_and(|b| b.is_end_stream()) {
                if let Some(reuse) = this.reuse.take() {
                    reuse.done();
                }
            }
            if let Some(log) = this.log.take() {
                let complete = this.fixed.is_none()
                    && this.upstream.as_ref().as_pin_ref().is_none_or(|b| b.is_end_stream());
                log.emit(*this.bytes, complete);
            }
        }
    }
}

// === impl RequestBody ===

impl RequestBody {
    /// One sending of a buffered body.
    pub(crate) fn buffered(body: &Buffered) -> Self {
        Self::Buffered { body: body.replay() }
    }

    /// No body at all (a request whose body is not sent).
    pub(crate) fn empty() -> Self {
        Self::Buffered { body: Buffered::empty().replay() }
    }

    /// A fresh sending of the same bytes, for a retry after this one was sent: only a
    /// buffered body can (a streamed one is gone).
    pub(crate) fn resend(&self) -> Option<Self> {
        match self {
            Self::Stream { .. } => None,
            Self::Buffered { body } => Some(Self::Buffered { body: body.restart() }),
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.project() {
            RequestBodyProj::Stream { body } => body.poll_frame(cx),
            RequestBodyProj::Buffered { body } => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Stream { body } => body.is_end_stream(),
            Self::Buffered { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Stream { body } => body.size_hint(),
            Self::Buffered { body } => body.size_hint(),
        }
    }
}

// === impl StreamBody ===

impl StreamBody {
    /// `limit`: `None` = unlimited.
    pub(crate) fn new(inner: Incoming, limit: Option<u64>, timeout: Duration) -> Self {
        Self {
            inner,
            limit: limit.unwrap_or(u64::MAX),
            seen: 0,
            idle: IdleTimer::new(Some(timeout)),
        }
    }
}

impl Body for StreamBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.project();
        let (seen, limit) = (this.seen, *this.limit);
        let (failed, expired) = (BodyError::Client, BodyError::ClientTimeout);
        poll_idle(cx, this.inner, this.idle, failed, expired, |len| {
            *seen += len;
            if *seen > limit {
                return Err(BodyError::TooLarge { limit });
            }
            Ok(())
        })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

// === impl ResponseBody ===

impl ResponseBody {
    /// A body Portico wrote itself (error page, redirect page).
    pub(crate) fn fixed(bytes: Bytes) -> Self {
        Self::new(Some(bytes), None, Duration::ZERO)
    }

    pub(crate) fn empty() -> Self {
        Self::new(None, None, Duration::ZERO)
    }

    /// The upstream's body, failing when no data arrives for `read_timeout`.
    pub(crate) fn upstream(body: Incoming, read_timeout: Duration) -> Self {
        Self::new(None, Some(body), read_timeout)
    }

    fn new(fixed: Option<Bytes>, upstream: Option<Incoming>, read_timeout: Duration) -> Self {
        let idle = IdleTimer::new(upstream.as_ref().map(|_| read_timeout));
        Self {
            fixed,
            upstream,
            idle,
            bytes: 0,
            log: None,
            pick: None,
            inflight: None,
            held: None,
            pace: None,
            encoder: None,
            reuse: None,
            span: None,
        }
    }

    /// Pools the upstream connection through `reuse` once this body has been read to its end.
    pub(crate) fn reuse_after(&mut self, reuse: Option<Reuse>) {
        self.reuse = reuse;
    }

    /// Sends the upstream's body through `encoder` (headers already rewritten).
    pub(crate) fn compress(&mut self, encoder: Encoder) {
        self.encoder = Some(Box::new(encoder));
    }

    /// Attaches what must live as long as the response: its access-log line, the balancer
    /// pick and the connection's in-flight count.
    pub(crate) fn attach(&mut self, log: AccessLog, pick: Option<Pick>, inflight: InFlight) {
        self.log = Some(log);
        self.pick = pick;
        self.inflight = Some(inflight);
    }

    /// Ends `span` (the request's server span) when the body is dropped, after the last byte.
    pub(crate) fn trace(&mut self, span: Box<portico_trace::ServerSpan>) {
        self.span = Some(span);
    }

    /// Keeps `permit` (a `limit-connections` slot) until the body is dropped.
    pub(crate) fn hold(&mut self, permit: ConnPermit) {
        self.held = Some(permit);
    }

    /// Sends the body at `rate` from now on (`limit-rate`, `limit-rate-after`).
    pub(crate) fn throttle(&mut self, rate: RateLimit) {
        let start = Instant::now();
        let wait = Box::pin(tokio::time::sleep_until(start));
        self.pace = Some(Box::new(Pace { rate, start, stash: None, wait }));
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let mut this = self.project();
        let Some(pace) = this.pace.as_deref_mut() else {
            let source = (this.fixed, this.upstream, this.idle);
            let polled = poll_encoded(source, this.encoder, cx);
            if let Poll::Ready(Some(Ok(frame))) = &polled {
                *this.bytes += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            return polled;
        };
        loop {
            let mut data = match pace.stash.take() {
                Some(data) => data,
                None => {
                    let (fixed, upstream) = (&mut *this.fixed, this.upstream.as_mut());
                    let source = (fixed, upstream, this.idle.as_mut());
                    match ready!(poll_encoded(source, this.encoder, cx)) {
                        Some(Ok(frame)) => match frame.into_data() {
                            Ok(data) => data,
                            Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                        },
                        other => return Poll::Ready(other),
                    }
                }
            };
            match pace.room(*this.bytes, data.len()) {
                Ok(room) => {
                    if room < data.len() {
                        pace.stash = Some(data.split_off(room));
                    }
                    *this.bytes += data.len() as u64;
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Err(due) => {
                    pace.stash = Some(data);
                    pace.wait.as_mut().reset(due);
                    ready!(pace.wait.as_mut().poll(cx));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none()
            && self.pace.as_ref().is_none_or(|pace| pace.stash.is_none())
            && self.fixed.is_none()
            && self.upstream.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        if self.encoder.is_some() {
            return SizeHint::default();
        }
        match (&self.fixed, &self.upstream) {
            (Some(bytes), _) => SizeHint::with_exact(bytes.len() as u64),
            (None, Some(upstream)) => upstream.size_hint(),
            (None, None) => SizeHint::with_exact(0),
        }
    }
}

// === impl Pace ===

impl Pace {
    /// How many of the next `len` bytes may go now that `sent` went (at least 1), or when
    /// some may.
    fn room(&self, sent: u64, len: usize) -> Result<usize, Instant> {
        let RateLimit { bytes_per_second: rate, after } = self.rate;
        let elapsed = Instant::now().saturating_duration_since(self.start).as_secs_f64();
        let allowed = after as f64 + rate as f64 * (elapsed + 1.0);
        let room = (allowed - sent as f64).max(0.0) as u64;
        if room > 0 {
            return Ok(usize::try_from(room).unwrap_or(usize::MAX).min(len));
        }
        // Wake when a tenth of a second's worth (or the whole frame) may go.
        let chunk = (len as u64).min((rate / 10).max(1));
        let at = (sent + chunk).saturating_sub(after) as f64 / rate as f64 - 1.0;
        Err(self.start + Duration::from_secs_f64(at.max(elapsed)))
    }
}

/// Where a response body's frames come from: Portico's page, the upstream, its read timer.
type Source<'a> = (&'a mut Option<Bytes>, Pin<&'a mut Option<Incoming>>, Pin<&'a mut IdleTimer>);

/// The next frame of a response body, compressed when an encoder is set: data frames go
/// through it (an empty result waits for more), its last bytes follow the upstream's end.
/// Trailers are dropped under compression (they would have to follow the final block).
fn poll_encoded(
    (fixed, mut upstream, mut idle): Source<'_>,
    encoder: &mut Option<Box<Encoder>>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
    let Some(active) = encoder.as_deref_mut() else {
        return poll_source(fixed, upstream, idle, cx);
    };
    loop {
        let (up, timer) = (upstream.as_mut(), idle.as_mut());
        match ready!(poll_source(fixed, up, timer, cx)) {
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else { continue };
                let out = active.encode(&data).map_err(BodyError::Compress)?;
                if !out.is_empty() {
                    return Poll::Ready(Some(Ok(Frame::data(out))));
                }
            }
            Some(Err(error)) => return Poll::Ready(Some(Err(error))),
            None => {
                let Some(done) = encoder.take() else { return Poll::Ready(None) };
                let tail = done.finish().map_err(BodyError::Compress)?;
                return Poll::Ready((!tail.is_empty()).then(|| Ok(Frame::data(tail))));
            }
        }
    }
}

/// The next frame of a response body: Portico's own page, or the upstream's under its read
/// timer.
fn poll_source(
    fixed: &mut Option<Bytes>,
    upstream: Pin<&mut Option<Incoming>>,
    idle: Pin<&mut IdleTimer>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
    if let Some(bytes) = fixed.take() {
        return Poll::Ready(Some(Ok(Frame::data(bytes))));
    }
    let Some(upstream) = upstream.as_pin_mut() else {
        return Poll::Ready(None);
    };
    let (failed, expired) = (BodyError::Upstream, BodyError::ReadTimeout);
    poll_idle(cx, upstream, idle, failed, expired, |_| Ok(()))
}

/// One `poll_frame` of a streamed body under an idle timer, shared by both directions: each
/// data frame's length goes to `count` (which may refuse it) and counts as progress for
/// `idle`; while `inner` is pending, an expired `idle` ends the body with `expired`, and an
/// error from `inner` becomes `failed(error)`.
fn poll_idle(
    cx: &mut Context<'_>,
    inner: Pin<&mut Incoming>,
    mut idle: Pin<&mut IdleTimer>,
    failed: fn(hyper::Error) -> BodyError,
    expired: BodyError,
    count: impl FnOnce(u64) -> Result<(), BodyError>,
) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
    match inner.poll_frame(cx) {
        Poll::Ready(Some(Ok(frame))) => {
            if let Some(data) = frame.data_ref() {
                if let Err(error) = count(data.len() as u64) {
                    return Poll::Ready(Some(Err(error)));
                }
            }
            idle.progress();
            Poll::Ready(Some(Ok(frame)))
        }
        Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(failed(error)))),
        Poll::Ready(None) => Poll::Ready(None),
        Poll::Pending => match idle.as_mut().poll_expired(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(expired))),
            Poll::Pending => Poll::Pending,
        },
    }
}

// === impl IdleTimer ===

impl IdleTimer {
    /// `None`: the body never times out.
    fn new(timeout: Option<Duration>) -> Self {
        Self { timeout, progressed: false, sleep: None }
    }

    /// Data came: the next wait starts a new period.
    fn progress(self: Pin<&mut Self>) {
        *self.project().progressed = true;
    }

    /// The read is waiting: `Ready` once `timeout` passed without data (the waker is
    /// registered otherwise).
    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(timeout) = *this.timeout else { return Poll::Pending };
        if this.sleep.is_none() || *this.progressed {
            *this.progressed = false;
            let deadline = Instant::now() + timeout;
            match this.sleep.as_mut().as_pin_mut() {
                Some(sleep) => sleep.reset(deadline),
                None => this.sleep.set(Some(tokio::time::sleep_until(deadline))),
            }
        }
        this.sleep.as_pin_mut().map_or(Poll::Pending, |sleep| sleep.poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pace_follows_nginx_budget() {
        let rate = RateLimit { bytes_per_second: 1000, after: 500 };
        let now = Instant::now();
        let pace = |start: Instant| Pace {
            rate,
            start,
            stash: None,
            wait: Box::pin(tokio::time::sleep_until(now)),
        };
        let fresh = pace(now);
        // `after` plus one second's worth at once.
        assert!(matches!(fresh.room(0, 5000), Ok(1400..=1500)), "{:?}", fresh.room(0, 5000));
        assert_eq!(fresh.room(0, 200), Ok(200), "a small frame goes whole");
        // Spent: wait for a tenth of a second's worth.
        let due = fresh.room(1500, 5000).unwrap_err();
        let wait = due.saturating_duration_since(now);
        assert!(wait > Duration::from_millis(50) && wait <= Duration::from_millis(100), "{wait:?}");
        let older = pace(now.checked_sub(Duration::from_secs(2)).unwrap());
        assert!(matches!(older.room(1500, 5000), Ok(1900..=2100)), "{:?}", older.room(1500, 5000));
    }
}
