//! Order-preserving parallel work over a file's documents, on scoped threads. Small inputs run
//! on the calling thread: spawning costs more than a few documents take to parse.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Below this many items per thread the work stays on the calling thread.
const MIN_ITEMS_PER_THREAD: usize = 32;

/// Splits `items` into contiguous runs, applies `f` to each (in parallel when there are enough
/// items and cores) and returns the results in the order of the runs. The concatenation of the
/// runs is always `items` in order, so callers that fold the results in order are deterministic.
pub(super) fn map_runs<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(Vec<T>) -> R + Sync,
{
    let threads = threads().min(items.len() / MIN_ITEMS_PER_THREAD);
    if threads <= 1 {
        return vec![f(items)];
    }
    let per_run = items.len().div_ceil(threads);
    let mut rest = items.into_iter();
    let runs: Vec<Vec<T>> = (0..threads)
        .map(|_| rest.by_ref().take(per_run).collect())
        .filter(|r: &Vec<T>| !r.is_empty())
        .collect();
    let f = &f;
    std::thread::scope(|scope| {
        let mut runs = runs.into_iter();
        // The first run is done here, on the calling thread, while the others run.
        let first = runs.next();
        let handles: Vec<_> = runs.map(|run| scope.spawn(move || f(run))).collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.extend(first.map(f));
        for handle in handles {
            match handle.join() {
                Ok(result) => out.push(result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// The cores this process may use, read once (it reads cgroup files on Linux).
fn threads() -> usize {
    #[cfg(test)]
    if let Some(threads) = FORCE_THREADS.get() {
        return threads;
    }
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

#[cfg(test)]
thread_local! {
    /// Tests pin the thread count (of work started on this thread) to compare results.
    static FORCE_THREADS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with [`map_runs`] calls made on this thread using `threads` threads.
#[cfg(test)]
pub(super) fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    let before = FORCE_THREADS.replace(Some(threads));
    let out = f();
    FORCE_THREADS.set(before);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_every_item() {
        for n in [0, 1, 5, MIN_ITEMS_PER_THREAD * 2, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let runs = map_runs(items.clone(), |run| run);
            assert_eq!(runs.concat(), items, "n = {n}");
            assert!(runs.iter().all(|r| !r.is_empty()) || n == 0);
        }
    }

    #[test]
    fn small_inputs_stay_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let runs = map_runs(vec![1; MIN_ITEMS_PER_THREAD * 2 - 1], |_| std::thread::current().id());
        assert_eq!(runs, vec![caller]);
    }
}
