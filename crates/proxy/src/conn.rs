//! One client connection's guard: the byte stream hyper reads through, enforcing what nginx
//! enforces before a request exists — `client-header-timeout` from accept (or from the first
//! byte of a later request) to the end of the head, the `keep-alive` idle timeout between
//! requests, the head size limits and the framing rules of [`head`] — and closing idle
//! connections when the process runs out of descriptors ([`evict`]).
//!
//! Timers cost nothing per request in the common case: the deadline is a plain value, and the
//! one `Sleep` of the connection is only registered when a read would wait, and only moved
//! earlier, never later (a timer that fires early re-checks and re-arms).

pub(crate) mod evict;
pub(crate) mod head;
pub(crate) mod proxy_protocol;
mod reject;

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use std::future::Future;

use futures_util::task::AtomicWaker;
use portico_model::ClientLimits;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use self::evict::Registration;
use self::head::{HeadLimits, HeadScanner};
use self::reject::Rejecting;
use crate::access_log::AccessOutput;

/// The connection state the request handler and the guard share.
#[derive(Debug, Default)]
pub struct ConnShared {
    /// Requests whose response body has not been dropped yet.
    inflight: AtomicU32,
    /// Requests started on this connection.
    requests: AtomicU64,
    /// Requests whose response body has been dropped.
    finished: AtomicU64,
    /// Waiting for the client's next request with nothing in flight (eviction candidate).
    idle: AtomicBool,
    /// Asked to close as soon as it is idle (descriptor exhaustion).
    evict: AtomicBool,
    /// The upstream switched protocols: the stream is a tunnel from the next byte on.
    upgraded: AtomicBool,
    /// The reader waits with a response in flight: the last response's end must wake it so
    /// that the keep-alive timer starts.
    parked_busy: AtomicBool,
    waker: AtomicWaker,
}

/// Holds one request in flight; dropped with its response body.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<ConnShared>);

/// How long an HTTP/1.1 connection waits for its next request before it gives its hyper
/// state up ([`crate::rounds`]). Busy connections keep theirs: a round costs a hyper
/// connection's set-up, and under load the next request comes within milliseconds.
pub(crate) const RELEASE_AFTER: Duration = Duration::from_millis(250);

/// Whether an HTTP/1.1 connection gives its hyper state up when it goes idle (see
/// [`crate::rounds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    /// Reads wait as usual.
    Off,
    /// A read that has waited [`RELEASE_AFTER`] between requests, with nothing in flight,
    /// ends hyper's connection (end of stream), without closing the stream.
    Armed,
    /// That happened: shutting down is a no-op until the stream is served again.
    Released,
}

/// The client's byte stream as hyper sees it, guarded (module docs).
pub(crate) struct Guarded<I> {
    io: I,
    /// Bytes already read and scanned, returned before anything else (the first bytes of the
    /// next request, read while no hyper connection existed).
    unread: Option<bytes::Bytes>,
    release: Release,
    /// Bytes were written since the last successful flush (hyper flushes the stream only once
    /// its own buffer is empty).
    unflushed: bool,
    peer: std::net::SocketAddr,
    scanner: HeadScanner,
    shared: Arc<ConnShared>,
    header_timeout: Duration,
    keepalive: Duration,
    /// When the current head must be complete (set from accept for the first request).
    head_deadline: Option<Instant>,
    /// Since when the connection has been idle between requests.
    idle_since: Option<Instant>,
    /// The instant `timer` is registered for, if it is.
    timer_at: Option<Instant>,
    /// Boxed so that the stream stays `Unpin` (hyper's upgrades need it): one per connection.
    timer: Pin<Box<Sleep>>,
    reject: Option<Rejecting>,
    /// The access log refused requests are written to (`None`: the structured event).
    access: Option<Arc<AccessOutput>>,
    _registration: Option<Registration>,
}

// === impl ConnShared ===

impl ConnShared {
    /// A request starts: returns its in-flight guard and its number on the connection (1-based).
    pub(crate) fn start(self: &Arc<Self>) -> (InFlight, u64) {
        self.inflight.fetch_add(1, Ordering::AcqRel);
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        (InFlight(Arc::clone(self)), n)
    }

    /// The response about to be sent is a `101`: stop reading the stream as HTTP/1.1.
    pub(crate) fn set_upgraded(&self) {
        self.upgraded.store(true, Ordering::Release);
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn busy(&self) -> bool {
        self.inflight.load(Ordering::Acquire) > 0
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.idle.load(Ordering::Relaxed)
    }

    /// Asks the connection to close once idle; wakes its reader.
    pub(crate) fn evict(&self) {
        self.evict.store(true, Ordering::Relaxed);
        self.waker.wake();
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let shared = &self.0;
        shared.finished.fetch_add(1, Ordering::AcqRel);
        if shared.inflight.fetch_sub(1, Ordering::AcqRel) == 1
            && shared.parked_busy.swap(false, Ordering::AcqRel)
        {
            shared.waker.wake();
        }
    }
}

// === impl Guarded ===

impl<I> Guarded<I> {
    /// Guards `io`, accepted just now, with the live table's client limits.
    pub(crate) fn new(
        io: I,
        peer: std::net::SocketAddr,
        limits: &ClientLimits,
        shared: Arc<ConnShared>,
        registration: Option<Registration>,
    ) -> Self {
        let head = HeadLimits { line_max: limits.line_max(), head_max: limits.head_max() };
        let now = Instant::now();
        Self {
            io,
            unread: None,
            release: Release::Off,
            unflushed: false,
            peer,
            scanner: HeadScanner::new(head),
            shared,
            header_timeout: limits.header_timeout,
            keepalive: limits.keepalive,
            head_deadline: Some(now + limits.header_timeout),
            idle_since: None,
            timer_at: None,
            timer: Box::pin(tokio::time::sleep_until(now + limits.header_timeout)),
            reject: None,
            access: None,
            _registration: registration,
        }
    }

    /// Refused requests are written to `output` (the live table's access log).
    pub(crate) fn log_to(mut self, output: Arc<AccessOutput>) -> Self {
        self.access = Some(output);
        self
    }

    /// Bytes to return before reading again: they were read (and scanned) through this guard.
    pub(crate) fn unread(&mut self, bytes: bytes::Bytes) {
        if !bytes.is_empty() {
            self.unread = Some(bytes);
        }
    }

    /// A wait of [`RELEASE_AFTER`] between HTTP/1.1 requests ends the stream for hyper (see
    /// [`Release`]).
    pub(crate) fn arm_release(&mut self) {
        self.release = Release::Armed;
    }

    /// Whether hyper's connection ended because the stream went idle (the stream is still
    /// open); reads and shutdown behave as usual again from here.
    pub(crate) fn take_released(&mut self) -> bool {
        let released = self.release == Release::Released;
        self.release = Release::Off;
        released
    }

    /// `use-http2: false`: answers an HTTP/2 preface (h2c, or h2 without ALPN) with 400.
    pub(crate) fn refuse_http2(mut self) -> Self {
        self.scanner.refuse_http2();
        self
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(unread) = this.unread.as_mut() {
            let n = unread.len().min(buf.remaining());
            buf.put_slice(&unread.split_to(n));
            if unread.is_empty() {
                this.unread = None;
            }
            return Poll::Ready(Ok(()));
        }
        if let Some(rejecting) = this.reject.as_mut() {
            return rejecting.poll(Pin::new(&mut this.io), cx);
        }
        if this.shared.upgraded.load(Ordering::Acquire) && !this.scanner.is_opaque() {
            this.scanner.set_opaque();
        }
        if this.shared.evict.load(Ordering::Relaxed)
            && this.scanner.is_idle()
            && !this.shared.busy()
        {
            return Poll::Ready(Ok(())); // EOF: hyper closes the idle connection
        }
        let before = buf.filled().len();
        let was_idle = this.scanner.is_idle();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {}
            Poll::Pending => return this.poll_wait(cx),
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
        }
        if buf.filled().len() == before {
            return Poll::Ready(Ok(()));
        }
        this.shared.idle.store(false, Ordering::Relaxed);
        this.idle_since = None;
        if let Err((at, why)) = this.scanner.feed(&buf.filled()[before..]) {
            let status = reject::status(why);
            tracing::info!(peer = %this.peer, status, reason = ?why, "request refused before routing");
            let started = this.head_deadline.map(|d| d - this.header_timeout);
            let line = this.scanner.request_line_text();
            reject::access_log(this.access.as_ref(), this.peer, line, status, started);
            buf.set_filled(before + at);
            let rejecting = this.reject.insert(Rejecting::new(why, !this.shared.busy()));
            if at == 0 {
                return rejecting.poll(Pin::new(&mut this.io), cx);
            }
            return Poll::Ready(Ok(()));
        }
        if was_idle && this.scanner.in_head() && this.shared.requests.load(Ordering::Relaxed) > 0 {
            this.head_deadline = Some(Instant::now() + this.header_timeout);
        }
        Poll::Ready(Ok(()))
    }
}

impl<I> Guarded<I> {
    /// An armed release applies: between HTTP/1.1 requests (no byte of the next one read; an
    /// upgraded stream is opaque, never idle), every request read answered to its end and
    /// flushed, not refusing anything.
    fn releases_now(&self) -> bool {
        self.release == Release::Armed
            && self.scanner.is_idle()
            && !self.unflushed
            && self.scanner.heads() == self.shared.finished.load(Ordering::Acquire)
            && self.reject.is_none()
            && !self.shared.busy()
    }

    /// The read would wait: arms the deadline of the current state, or fails once it passed;
    /// an armed release ends the stream for hyper once idle for [`RELEASE_AFTER`].
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(deadline) = self.current_deadline() else {
            if (self.scanner.is_idle() || self.scanner.is_http2()) && self.shared.busy() {
                self.shared.waker.register(cx.waker());
                self.shared.parked_busy.store(true, Ordering::Release);
                if !self.shared.busy() {
                    return self.poll_wait(cx); // the response ended meanwhile
                }
            }
            return Poll::Pending;
        };
        if self.shared.is_idle() {
            self.shared.waker.register(cx.waker());
        }
        let release = match self.releases_now() {
            true => self.idle_since.map(|since| since + RELEASE_AFTER),
            false => None,
        };
        let wake_at = release.map_or(deadline, |at| at.min(deadline));
        loop {
            if self.timer_at.is_none_or(|at| at > wake_at) {
                self.timer.as_mut().reset(wake_at);
                self.timer_at = Some(wake_at);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.timer_at = None;
            let now = Instant::now();
            if release.is_some_and(|at| now >= at) {
                self.release = Release::Released;
                return Poll::Ready(Ok(())); // end of stream: hyper's connection ends, idle
            }
            if now >= deadline {
                let what = match self.scanner.in_head() || self.shared.requests() == 0 {
                    true => "client-header-timeout",
                    false => "keep-alive timeout",
                };
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)));
            }
        }
    }

    /// What bounds the current wait: the head's deadline inside a head (and before the first
    /// request), the keep-alive deadline when idle with nothing in flight (between HTTP/1.1
    /// requests, or an HTTP/2 connection without streams), else nothing.
    /// Also tells the eviction registry whether the connection is idle.
    fn current_deadline(&mut self) -> Option<Instant> {
        let shared = &self.shared;
        let first = shared.requests() == 0;
        let waiting = if self.scanner.is_http2() {
            // Streams, not heads: idle once none is in flight (nginx: keepalive_timeout).
            !self.keepalive.is_zero()
        } else if self.scanner.is_opaque() {
            return None;
        } else if self.scanner.in_head() || (first && self.scanner.is_idle()) {
            shared.idle.store(first && self.scanner.is_idle(), Ordering::Relaxed);
            return self.head_deadline;
        } else {
            self.scanner.is_idle()
        };
        if !waiting || shared.busy() {
            self.idle_since = None;
            shared.idle.store(false, Ordering::Relaxed);
            return None;
        }
        shared.idle.store(true, Ordering::Relaxed);
        let since = *self.idle_since.get_or_insert_with(Instant::now);
        Some(since + self.keepalive)
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.reject.is_some() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        this.unflushed = true;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.reject.is_some() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        this.unflushed = true;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.io).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            this.unflushed = false;
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.release == Release::Released {
            return Poll::Ready(Ok(())); // hyper ends its side; the stream stays open
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
