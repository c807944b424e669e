//! A bidirectional copy that ends when both directions are done (half-closes passed on), or
//! when no byte has moved either way for an idle timeout (nginx stream `proxy_timeout`).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Copies between `a` and `b`: `Some((a to b, b to a))` bytes when both sides finished,
/// `None` when the connection idled out for `idle`.
pub(crate) async fn copy_until_idle<A, B>(
    a: &mut A,
    b: &mut B,
    idle: Duration,
) -> io::Result<Option<(u64, u64)>>
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let clock = Clock { start: Instant::now(), last: AtomicU64::new(0) };
    let mut a = Active { io: a, clock: &clock };
    let mut b = Active { io: b, clock: &clock };
    let copy = tokio::io::copy_bidirectional(&mut a, &mut b);
    tokio::pin!(copy);
    loop {
        let deadline = clock.last_activity() + idle;
        tokio::select! {
            done = &mut copy => return done.map(Some),
            () = tokio::time::sleep_until(deadline) => {
                if clock.last_activity() + idle <= Instant::now() {
                    return Ok(None);
                }
            }
        }
    }
}

/// When bytes last moved, as milliseconds since `start` (one atomic, no lock).
struct Clock {
    start: Instant,
    last: AtomicU64,
}

/// A stream whose reads record activity on the shared [`Clock`].
struct Active<'a, S> {
    io: &'a mut S,
    clock: &'a Clock,
}

// === impl Clock ===

impl Clock {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn last_activity(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

// === impl Active ===

impl<S: AsyncRead + Unpin> AsyncRead for Active<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut *this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.clock.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Active<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn bytes_flow_both_ways_until_both_close() {
        let (mut client, mut near) = tokio::io::duplex(64);
        let (mut far, mut backend) = tokio::io::duplex(64);
        let copy = tokio::spawn(async move {
            copy_until_idle(&mut near, &mut far, Duration::from_secs(60)).await
        });
        client.write_all(b"hello").await.unwrap();
        let mut got = [0u8; 5];
        backend.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hello");
        backend.write_all(b"back").await.unwrap();
        client.read_exact(&mut got[..4]).await.unwrap();
        assert_eq!(&got[..4], b"back");
        drop(client);
        drop(backend);
        assert_eq!(copy.await.unwrap().unwrap(), Some((5, 4)));
    }

    #[tokio::test]
    async fn a_silent_connection_idles_out() {
        let (_client, mut near) = tokio::io::duplex(64);
        let (mut far, _backend) = tokio::io::duplex(64);
        let copy = copy_until_idle(&mut near, &mut far, Duration::from_millis(50));
        let done = tokio::time::timeout(Duration::from_secs(10), copy).await;
        assert_eq!(done.unwrap().unwrap(), None, "closed for idleness, both ends still open");
    }
}
