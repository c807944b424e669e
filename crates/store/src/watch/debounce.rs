//! Batching of wake-ups: one batch per burst, bounded in how long it may be held back.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

/// Turns a stream of wake-ups into batches: a batch ends once none came for `quiet`, or
/// `max_delay` after its first one, whichever is sooner.
#[derive(Debug)]
pub(super) struct Debouncer {
    events: mpsc::Receiver<()>,
    quiet: Duration,
    max_delay: Duration,
    /// The batch being collected: (first event, latest event). Kept across a cancelled `next()`.
    batch: Option<(Instant, Instant)>,
}

// === impl Debouncer ===

impl Debouncer {
    pub fn new(events: mpsc::Receiver<()>, quiet: Duration, max_delay: Duration) -> Self {
        Self { events, quiet, max_delay, batch: None }
    }

    /// Waits for the next batch. Cancel-safe: an interrupted batch resumes on the next call.
    /// `None` once the sender is gone and nothing is pending.
    pub async fn next(&mut self) -> Option<()> {
        let (started, mut latest) = match self.batch {
            Some(batch) => batch,
            None => {
                self.events.recv().await?;
                let now = Instant::now();
                *self.batch.insert((now, now))
            }
        };
        let deadline = started + self.max_delay;
        loop {
            let wake = (latest + self.quiet).min(deadline);
            match tokio::time::timeout_at(wake, self.events.recv()).await {
                Ok(Some(())) if Instant::now() < deadline => {
                    latest = Instant::now();
                    self.batch = Some((started, latest));
                }
                // Deadline reached, quiet period over, or the sender gone: report this batch.
                Ok(_) | Err(_) => break,
            }
        }
        self.batch = None;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_millis(500);

    fn debouncer() -> (mpsc::Sender<()>, Debouncer) {
        let (tx, rx) = mpsc::channel(1);
        (tx, Debouncer::new(rx, QUIET, MAX))
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_one_batch_after_the_quiet_period() {
        let (tx, mut debouncer) = debouncer();
        let start = Instant::now();
        tokio::spawn(async move {
            for _ in 0..5 {
                let _ = tx.try_send(());
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            // Keep the sender alive past the test's waits.
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        assert_eq!(debouncer.next().await, Some(()));
        // Last event at 120 ms, then 100 ms of quiet.
        assert_eq!(start.elapsed(), Duration::from_millis(220));
        let again = tokio::time::timeout(Duration::from_secs(1), debouncer.next()).await;
        assert!(again.is_err(), "one burst, one batch");
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_stream_still_gets_a_batch_every_max_delay() {
        let (tx, mut debouncer) = debouncer();
        tokio::spawn(async move {
            loop {
                if tx.try_send(()).is_err() && tx.is_closed() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let start = Instant::now();
        debouncer.next().await;
        assert_eq!(start.elapsed(), MAX);
        debouncer.next().await;
        assert!(start.elapsed() <= MAX * 2 + Duration::from_millis(50), "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_batch_is_not_lost() {
        let (tx, mut debouncer) = debouncer();
        tx.try_send(()).unwrap();
        // Cancel mid-batch (before the quiet period ends).
        let cancelled = tokio::time::timeout(Duration::from_millis(50), debouncer.next()).await;
        assert!(cancelled.is_err());
        let start = Instant::now();
        assert_eq!(debouncer.next().await, Some(()));
        assert_eq!(start.elapsed(), Duration::from_millis(50), "resumes the same batch");
        drop(tx);
        assert_eq!(debouncer.next().await, None);
    }
}
