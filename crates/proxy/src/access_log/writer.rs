//! Log lines off the request path: a request hands its line to a bounded queue (no lock, no
//! syscall); one writer thread per output drains the queue into a buffer and writes it in
//! batches. A full queue drops the line and counts it, rather than making requests wait on a
//! slow disk or a blocked pipe ([`dropped_lines`]).
//!
//! Used for nginx-format access logs and, by the binary, for every `tracing` line on stderr.

use std::io::{BufWriter, Write};
use std::sync::{Mutex, OnceLock};

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};

/// Lines a writer may hold before it drops new ones: over half a second of lines at 50,000
/// requests/s. The queue reserves its slots when made (32 bytes each: 1 MiB, for stderr and
/// again for a file access log), so it is not made larger than needed.
const QUEUE_LINES: usize = 32_768;
/// Bytes the writer thread gathers before a write; it also writes whenever the queue is empty.
const BATCH_BYTES: usize = 64 * 1024;

/// The drop counters of every writer made so far (writers are made at start and when the
/// access-log settings change, never per request).
static COUNTERS: OnceLock<Mutex<Vec<ErrorCounter>>> = OnceLock::new();

/// A non-blocking, batched writer to `out`. The writer thread flushes what it holds and stops
/// when the returned guard is dropped.
pub fn batched<W: Write + Send + 'static>(out: W, name: &str) -> (NonBlocking, WorkerGuard) {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUE_LINES)
        .thread_name(name)
        .finish(BufWriter::with_capacity(BATCH_BYTES, out));
    let counters = COUNTERS.get_or_init(Mutex::default);
    if let Ok(mut counters) = counters.lock() {
        counters.push(writer.error_counter());
    }
    (writer, guard)
}

/// Log lines dropped so far because a writer's queue was full (`portico_log_lines_dropped_total`).
pub fn dropped_lines() -> u64 {
    let Some(counters) = COUNTERS.get() else { return 0 };
    let Ok(counters) = counters.lock() else { return 0 };
    counters.iter().map(|c| c.dropped_lines() as u64).sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A `Write` that keeps what it gets, shared with the test.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_whole_and_in_order_once_the_guard_is_dropped() {
        let sink = Sink::default();
        let (mut writer, guard) = batched(sink.clone(), "test-log");
        for i in 0..1000 {
            writer.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[999], "line 999");
    }
}
