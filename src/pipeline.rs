//! Objects in, live table out: compile, build the proxy snapshot, swap it in, report.
//! One writer; the proxy's readers never wait for it.

use std::sync::Arc;
use std::time::Instant;

use portico_compiler::Compiler;
use portico_metrics::Metrics;
use portico_model::Diagnostic;
use portico_proxy::{Proxy, Snapshot};
use portico_store::Objects;

/// Owns the compiler state (last good Ingresses) and the table generation counter.
pub struct Pipeline {
    compiler: Compiler,
    proxy: Arc<Proxy>,
    metrics: Arc<Metrics>,
    generation: u64,
}

impl Pipeline {
    pub fn new(compiler: Compiler, proxy: Arc<Proxy>, metrics: Arc<Metrics>) -> Self {
        Self { compiler, proxy, metrics, generation: 0 }
    }

    /// Compiles `objects` and swaps the result in. `load_diagnostics` come from the source
    /// (unparsable files and such) and are reported with the compiler's. `started` is when the
    /// reload began (before the source was read), so the logged `elapsed_ms` is the whole
    /// reload, parsing included. Returns every diagnostic of the build (cluster mode turns the
    /// Ingresses' into Events).
    pub fn rebuild(
        &mut self,
        objects: &Objects,
        load_diagnostics: Vec<Diagnostic>,
        started: Instant,
    ) -> Vec<Diagnostic> {
        let loaded_at = Instant::now();
        let compiled = self.compiler.compile(objects);
        let compiled_at = Instant::now();
        self.generation += 1;
        let (snapshot, router_diagnostics) = Snapshot::build(compiled.table, self.generation);
        let built_at = Instant::now();
        let diagnostics: Vec<Diagnostic> = load_diagnostics
            .into_iter()
            .chain(compiled.diagnostics)
            .chain(router_diagnostics)
            .collect();
        crate::reload_metrics::report(&self.metrics, &snapshot.table, &diagnostics);
        self.proxy.swap(snapshot);
        let swapped_at = Instant::now();
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        for diagnostic in &diagnostics {
            if diagnostic.is_error() {
                tracing::error!(target: "portico::diagnostic", "{diagnostic}");
            } else {
                tracing::warn!(target: "portico::diagnostic", "{diagnostic}");
            }
        }
        self.metrics.table_rebuilt(errors as u64);
        tracing::info!(
            generation = self.generation,
            ingresses = objects.ingresses.len(),
            errors,
            warnings = diagnostics.len() - errors,
            elapsed_ms = started.elapsed().as_millis() as u64,
            load_ms = millis(started, loaded_at),
            compile_ms = millis(loaded_at, compiled_at),
            snapshot_ms = millis(compiled_at, built_at),
            swap_ms = millis(built_at, swapped_at),
            "routing table live"
        );
        diagnostics
    }
}

/// Runs one build's CPU work (parsing, compiling, the snapshot) on a thread of its own, made
/// for this build and ended with it, and waits for it; the caller's runtime worker hands its
/// other tasks over first. Why a thread: the allocator (mimalloc) keeps a thread's freed
/// pages for that thread and releases them only while it keeps allocating, so the transient
/// memory of a build (parse trees, the previous table) stayed resident on the long-lived
/// control thread; an ending thread hands its pages back (1,000 Ingresses x 10 paths, RSS
/// after five changes: 63 -> 50 MiB).
///
/// The thread runs inside the caller's runtime context: swapping a table in spawns tasks
/// (the trace exporter, ExternalName resolution).
pub fn off_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let runtime = tokio::runtime::Handle::current();
    let work = move || {
        let _context = runtime.enter();
        work()
    };
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| match scope.spawn(work).join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    })
}

/// Whole milliseconds from `from` to `to`, for the reload log line.
fn millis(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.duration_since(from).as_millis()).unwrap_or(u64::MAX)
}
