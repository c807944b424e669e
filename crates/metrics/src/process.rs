//! ingress-nginx's `nginx_process_*` metrics, for Portico's one process: open client
//! connections, CPU time and resident memory. Read at scrape time only (Linux `/proc`; on other
//! systems the CPU and memory samples are left out).

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::labels::push_label;
use crate::requests::ControllerLabels;

/// `/proc/<pid>/stat` counts CPU time in USER_HZ ticks, 100 per second on every Linux build
/// (the kernel converts to it whatever its internal HZ).
const USER_HZ: f64 = 100.0;

/// Counts what the proxy has open, asked at scrape time.
type Source = Box<dyn Fn() -> usize + Send + Sync>;

/// The process metrics and where the connection count comes from.
pub struct ProcessMetrics {
    constant: String,
    connections: OnceLock<Source>,
}

// === impl ProcessMetrics ===

impl ProcessMetrics {
    pub fn new(labels: &ControllerLabels) -> Self {
        let mut constant = String::new();
        push_label(&mut constant, "controller_class", &labels.class);
        push_label(&mut constant, "controller_namespace", &labels.namespace);
        push_label(&mut constant, "controller_pod", &labels.pod);
        Self { constant, connections: OnceLock::new() }
    }

    /// Where the open client connection count comes from (set once; later calls are ignored).
    pub fn count_connections(&self, source: impl Fn() -> usize + Send + Sync + 'static) {
        let _ = self.connections.set(Box::new(source));
    }

    /// Writes the samples in the Prometheus text format.
    pub fn encode(&self, out: &mut String) {
        let c = &self.constant;
        let name = "nginx_ingress_controller_nginx_process";
        if let Some(count) = self.connections.get() {
            let _ = writeln!(out, "# HELP {name}_connections current number of client connections with state {{active}}");
            let _ = writeln!(out, "# TYPE {name}_connections gauge");
            let _ = writeln!(out, "{name}_connections{{{c},state=\"active\"}} {}", count());
        }
        if let Some(ticks) =
            std::fs::read_to_string("/proc/self/stat").ok().as_deref().and_then(cpu_ticks)
        {
            let _ = writeln!(out, "# HELP {name}_cpu_seconds_total Cpu usage in seconds");
            let _ = writeln!(out, "# TYPE {name}_cpu_seconds_total counter");
            let _ = writeln!(out, "{name}_cpu_seconds_total{{{c}}} {}", ticks as f64 / USER_HZ);
        }
        if let Some(bytes) =
            std::fs::read_to_string("/proc/self/status").ok().as_deref().and_then(rss_bytes)
        {
            let _ = writeln!(
                out,
                "# HELP {name}_resident_memory_bytes number of bytes of memory in use"
            );
            let _ = writeln!(out, "# TYPE {name}_resident_memory_bytes gauge");
            let _ = writeln!(out, "{name}_resident_memory_bytes{{{c}}} {bytes}");
        }
    }
}

impl std::fmt::Debug for ProcessMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessMetrics")
            .field("counted", &self.connections.get().is_some())
            .finish()
    }
}

/// utime + stime of a `/proc/<pid>/stat` line (fields 14 and 15; the command name, field 2,
/// may hold spaces and ends at the last `)`).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS:` of `/proc/<pid>/status`, in bytes.
fn rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_fields() {
        let stat = "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0";
        assert_eq!(cpu_ticks(stat), Some(300));
        assert_eq!(rss_bytes("Name:\tx\nVmRSS:\t  2048 kB\n"), Some(2048 * 1024));
    }

    #[test]
    fn connections_come_from_the_source() {
        let m = ProcessMetrics::new(&ControllerLabels::default());
        m.count_connections(|| 7);
        let mut out = String::new();
        m.encode(&mut out);
        assert!(out.contains("nginx_ingress_controller_nginx_process_connections{controller_class=\"\",controller_namespace=\"\",controller_pod=\"\",state=\"active\"} 7"), "{out}");
        if cfg!(target_os = "linux") {
            assert!(
                out.contains("nginx_ingress_controller_nginx_process_cpu_seconds_total{"),
                "{out}"
            );
            assert!(
                out.contains("nginx_ingress_controller_nginx_process_resident_memory_bytes{"),
                "{out}"
            );
        }
    }
}
