//! Log setup: every line through `tracing`, as text or JSON, on stderr; the access log too
//! unless the ConfigMap asks for nginx-format lines (written by the proxy to their own path).
//! Lines go through a batched, non-blocking writer: no request waits on stderr.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default `info` level. The guard
/// flushes the last lines when dropped: keep it until the process ends.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: piped logs (containers, tests, log shippers) stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = portico_proxy::log_writer::batched(std::io::stderr(), "portico-log");
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(ansi);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Err(error) = result {
        eprintln!("portico: logging already initialised: {error}");
    }
    guard
}
