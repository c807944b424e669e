//! `proxy-request-buffering: on`: the client's whole body is read before the upstream is
//! contacted, as nginx does by default. Up to `client-body-buffer-size` it stays in memory;
//! a larger body goes to an anonymous temporary file (removed by the OS when the last handle
//! closes). The result is sent with a `Content-Length` and can be sent again on a retry.
//!
//! Invariants: a [`Buffered`] is immutable once collected, so clones replay the same bytes; the
//! file is only read with positional reads, so replays never share a file offset.

use std::fs::File;
use std::future::Future as _;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;
use tokio::io::AsyncWriteExt as _;
use tokio::task::JoinHandle;

use super::BodyError;

/// How much of a spooled body one read of the temporary file returns.
const FILE_CHUNK: u64 = 64 * 1024;

/// A collected request body: cheap to clone (shared bytes or file).
#[derive(Debug, Clone)]
pub(crate) struct Buffered {
    store: Store,
    len: u64,
}

#[derive(Debug, Clone)]
enum Store {
    Memory(Bytes),
    File(Arc<File>),
}

/// One sending of a [`Buffered`] body: memory in one frame, a file in [`FILE_CHUNK`] reads
/// off the runtime.
#[derive(Debug)]
pub(crate) struct Replay {
    body: Buffered,
    /// Bytes handed out so far.
    sent: u64,
    reading: Option<JoinHandle<io::Result<Bytes>>>,
}

// === impl Buffered ===

impl Buffered {
    /// Reads `body` to its end: in memory while it fits `memory_limit`, then into a temporary
    /// file. `body` (a [`super::StreamBody`]) enforces `proxy-body-size` and
    /// `client-body-timeout` as it is read; trailers are dropped (nginx does not forward them
    /// either).
    pub(crate) async fn collect<B>(body: B, memory_limit: u64) -> Result<Self, BodyError>
    where
        B: Body<Data = Bytes, Error = BodyError>,
    {
        let mut body = std::pin::pin!(body);
        let mut memory = BytesMut::new();
        let mut single: Option<Bytes> = None;
        let mut spool: Option<tokio::fs::File> = None;
        let mut len = 0u64;
        let declared = body.size_hint().exact().unwrap_or(0);
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else { continue };
            len += data.len() as u64;
            if let Some(file) = &mut spool {
                file.write_all(&data).await.map_err(BodyError::Spool)?;
            } else if len <= memory_limit && declared <= memory_limit {
                // The usual case is one frame: keep it without copying.
                match single.take() {
                    None if memory.is_empty() => single = Some(data),
                    first => {
                        memory.extend_from_slice(&first.unwrap_or_default());
                        memory.extend_from_slice(&data);
                    }
                }
            } else {
                let mut file = new_spool().await?;
                let head = single.take().unwrap_or_else(|| std::mem::take(&mut memory).freeze());
                file.write_all(&head).await.map_err(BodyError::Spool)?;
                file.write_all(&data).await.map_err(BodyError::Spool)?;
                spool = Some(file);
            }
        }
        let store = match spool {
            Some(mut file) => {
                file.flush().await.map_err(BodyError::Spool)?;
                Store::File(Arc::new(file.into_std().await))
            }
            None => Store::Memory(single.unwrap_or_else(|| memory.freeze())),
        };
        Ok(Self { store, len })
    }

    /// A body of no bytes.
    pub(crate) fn empty() -> Self {
        Self { store: Store::Memory(Bytes::new()), len: 0 }
    }

    /// The body's length, for `Content-Length`.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body went to a temporary file.
    #[cfg(test)]
    pub(crate) fn is_spooled(&self) -> bool {
        matches!(self.store, Store::File(_))
    }

    /// A fresh sending of the whole body.
    pub(crate) fn replay(&self) -> Replay {
        Replay { body: self.clone(), sent: 0, reading: None }
    }
}

/// An anonymous temporary file in the system's temporary directory (`TMPDIR`).
async fn new_spool() -> Result<tokio::fs::File, BodyError> {
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|e| BodyError::Spool(io::Error::other(e)))?
        .map_err(BodyError::Spool)?;
    Ok(tokio::fs::File::from_std(file))
}

// === impl Replay ===

impl Replay {
    /// The same body from its first byte.
    pub(crate) fn restart(&self) -> Self {
        self.body.replay()
    }
}

impl Body for Replay {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        if this.sent >= this.body.len {
            return Poll::Ready(None);
        }
        let file = match &this.body.store {
            Store::Memory(bytes) => {
                this.sent = this.body.len;
                return Poll::Ready(Some(Ok(Frame::data(bytes.clone()))));
            }
            Store::File(file) => file,
        };
        let reading = this.reading.get_or_insert_with(|| {
            let (file, offset) = (Arc::clone(file), this.sent);
            let want = FILE_CHUNK.min(this.body.len - offset);
            tokio::task::spawn_blocking(move || read_chunk(&file, offset, want))
        });
        let read = ready!(Pin::new(reading).poll(cx));
        this.reading = None;
        let chunk = match read {
            Ok(Ok(chunk)) if !chunk.is_empty() => chunk,
            Ok(Ok(_)) => return Poll::Ready(Some(Err(BodyError::Spool(truncated())))),
            Ok(Err(error)) => return Poll::Ready(Some(Err(BodyError::Spool(error)))),
            Err(join) => return Poll::Ready(Some(Err(BodyError::Spool(io::Error::other(join))))),
        };
        this.sent += chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.body.len
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.body.len - self.sent)
    }
}

/// Up to `want` bytes of `file` from `offset` (fewer only at its end).
fn read_chunk(file: &File, offset: u64, want: u64) -> io::Result<Bytes> {
    let mut buf = vec![0u8; usize::try_from(want).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(Bytes::from(buf))
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "buffered request body file is shorter")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
